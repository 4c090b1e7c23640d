"""Messages that are not questions: a call for help, a greeting, a thanks.

Every message in the bot's thread is read as a follow-up, so without this "thanks!" was searched for in
the news (and refused, with the nearest articles), a 👍 was told it had no words, and "@sitrep help"
was answered with a story about aid. A message is small talk only when the whole of it is (a question
that starts with "hi" or ends with "thanks" is a question); no model, a few word lists. Phrases a
follow-up could mean about the story ("How does it work?", "What is this?") are questions. The ask cog
acts on it (chat/cogs/ask.py): a thanks is let be, help and a greeting get help_embed (as /help does),
"what's new?" the front page where no conversation has a question to re-ask.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import discord

from sitrep.chat.render import clean, shorten

HELP, GREETING, THANKS, NEWS = "help", "greeting", "thanks", "news"

_HELP = frozenset({
    "help", "help me", "commands", "command list", "list commands", "usage", "how to use", "how to use this",
    "how do i use this", "how do i use you", "what can you do", "what do you do", "what are you", "who are you",
    "what is sitrep", "about", "how do i ask", "how can i ask", "what can i ask", "what can i ask you",
})
_GREETING = frozenset({
    "hi", "hello", "hey", "hiya", "howdy", "yo", "hi there", "hello there", "hey there", "good morning",
    "good afternoon", "good evening", "morning", "gm", "greetings",
})
# The news itself, no subject: the front page (answer/frontpage.py) — in a conversation it is "Any news?" on
# the conversation's question instead (retrieval/conversation.py), which the ask cog leaves to it.
_NEWS = frozenset({
    "news", "any news", "the news", "latest news", "the latest news", "latest", "the latest", "headlines",
    "top stories", "what's new", "whats new", "what is new", "anything new", "what's happening", "whats happening",
    "what is happening", "what's going on", "whats going on", "what is going on", "what happened today",
    "what's the news", "whats the news", "what is the news", "news today", "today's news", "todays news",
    "what's in the news", "what is in the news", "what's the latest", "whats the latest", "what is the latest",
})
# A thanks or an acknowledgement: every word from this list, and at least one of the markers below.
_ACK_WORDS = frozenset({
    "thanks", "thank", "you", "thx", "ty", "tysm", "cheers", "ok", "okay", "k", "kk", "cool", "great", "nice",
    "perfect", "awesome", "got", "it", "so", "much", "a", "lot", "very", "that", "helps", "helped", "makes", "sense",
    "good", "to", "know", "noted", "alright", "understood", "appreciated", "appreciate", "brilliant", "excellent",
    "fantastic", "wonderful", "amazing", "sweet", "ah", "oh", "i", "see", "lovely", "interesting", "wow", "all",
    "right", "for", "the", "answer", "info", "information", "again", "really", "useful", "super", "bot", "mate",
})
_ACK_MARKERS = frozenset({
    "thanks", "thank", "thx", "ty", "tysm", "cheers", "ok", "okay", "k", "kk", "cool", "great", "nice", "perfect",
    "awesome", "got", "noted", "alright", "understood", "appreciated", "appreciate", "brilliant", "excellent",
    "fantastic", "wonderful", "amazing", "sweet", "lovely", "interesting", "wow", "see", "sense", "helps", "helped",
    "useful",
})
_FILLER = frozenset({"sitrep", "please", "pls", "plz"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def kind(message: str) -> str | None:
    """HELP, GREETING, NEWS or THANKS when the whole message is one (the bot's mention already taken out), else
    None: a question. A message of symbols and emoji alone (👍, 🙏) is THANKS, unless it asks ("?")."""
    text = unicodedata.normalize("NFKC", message).lower().replace("’", "'")
    words = [w for w in _WORD.findall(text) if w not in _FILLER]
    if not words:
        return None if "?" in text or not text.strip() else THANKS
    said = " ".join(words)
    if said in _HELP:
        return HELP
    if said in _GREETING:
        return GREETING
    if said in _NEWS:
        return NEWS
    if all(w in _ACK_WORDS for w in words) and any(w in _ACK_MARKERS for w in words):
        return THANKS
    return None


def help_embed(status: dict[str, Any], outlets: int, scope: str | None, greeting: bool = False,
               name: str = "sitrep") -> discord.Embed:
    """What the bot does and how to ask it, with what it holds (the index's status) and what this channel
    searches."""
    lines = [
        "I answer questions about the news I hold by quoting the sentences that answer, each marked [n], with "
        "their sources (title, outlet, date) — or I say the corpus does not answer.",
        "",
        f"**Ask**: `/ask`, `@{name.replace('`', '')} <question>`, or a DM. In the answer's thread, follow up without a mention "
        "(*And how did India respond?*, *Any news?*). Edit your question and the answer follows it.",
        "**What has happened**: `/brief topic` — its dated stories, each quoted.",
        "**Be told**: `/follow topic` posts each new story on it here; 🔔 under a refusal brings the answer once "
        "a story has it.",
        "**Admins**: `/add` a page, `/feeds`, `/remove`, `/reindex`, `/waiting`. `/status` for everyone.",
    ]
    e = discord.Embed(title=f"Hello — I'm {clean(name)}" if greeting else f"{clean(name)}: cited answers from the news",
                      description="\n".join(lines), colour=discord.Colour.blurple())
    held = f"{status.get('articles') or 0} articles from {outlets} outlets"
    if status.get("newest_article_date"):
        held += f", the newest from {status['newest_article_date']}"
    e.add_field(name="What I hold", value=held, inline=False)
    if scope:
        e.add_field(name="This channel searches", value=shorten(clean(scope), 1024), inline=False)
    return e
