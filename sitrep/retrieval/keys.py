"""Short keys that let a conversation be read back from what a front-end shows: an article's key for a Discord
button id, a quoted sentence's key for the text of an answer."""

from __future__ import annotations

import hashlib
import re


def quote_key(text: str) -> str:
    """A quoted sentence as its words, lower-cased: the same key whether it comes from an answer or is read
    back from a Discord message (markdown escapes, bold and white space make no difference)."""
    return " ".join(_KEY_WORD.findall(text.lower()))


_KEY_WORD = re.compile(r"[^\W_]+")


def article_key(article_id: str) -> str:
    """A short, stable key for an article id (8 hex of its SHA-1): what a Discord answer keeps in its
    button ids so a thread can be rebuilt from its history, within Discord's 100-character limit."""
    return hashlib.sha1(article_id.encode("utf-8")).hexdigest()[:8]
