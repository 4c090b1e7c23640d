"""Guess title, date, outlet and URL from an article's own text.

Used only where a file carries no fields. Each guess prefers evidence that the page
says about itself ("originally appeared on X", "Copyright ... X", "X has learnt") over a
name merely mentioned, so an article quoting The Wall Street Journal is not filed
under it.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}

_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_DMY = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")

# Outlets named in self-descriptions; aliases map to the display name.
OUTLETS = {
    "theprint": "ThePrint",
    "south china morning post": "South China Morning Post",
    "scmp": "South China Morning Post",
    "hindustan times": "Hindustan Times",
    "the hindu": "The Hindu",
    "times of india": "The Times of India",
    "the times of india": "The Times of India",
    "indian express": "The Indian Express",
    "the indian express": "The Indian Express",
    "ndtv": "NDTV",
    "reuters": "Reuters",
    "associated press": "Associated Press",
    "ap": "Associated Press",
    "afp": "AFP",
    "cnn": "CNN",
    "bbc": "BBC",
    "bbc news": "BBC",
    "the guardian": "The Guardian",
    "the new york times": "The New York Times",
    "new york times": "The New York Times",
    "the washington post": "The Washington Post",
    "the wall street journal": "The Wall Street Journal",
    "usa today": "USA Today",
    "bloomberg": "Bloomberg",
    "al jazeera": "Al Jazeera",
    "the week": "The Week",
    "financial times": "Financial Times",
    "politico": "Politico",
    "npr": "NPR",
    "xinhua": "Xinhua",
    "global times": "Global Times",
    "dawn": "Dawn",
    "the diplomat": "The Diplomat",
}
_SELF = [
    re.compile(r"originally (?:appeared|published) (?:on|in) (?:the )?([A-Z][\w&' .-]{1,60}?)\s*(?:\(|,|\.|$)", re.M),
    re.compile(r"(?:Copyright|©|\(c\))\s*(?:\(c\)\s*)?\d{4}\.?\s*(?:the )?([A-Z][\w&' .-]{1,60}?)(?:\s+Publishers?|\s+Ltd|\s+Inc|\.|,|$)", re.M),
    re.compile(r"More (?:Articles|Stories|News) from ([A-Z][\w&' .-]{1,40}?)\s*$", re.M),
    re.compile(r"\b([A-Z][\w]+(?: [A-Z][\w]+){0,3}) has (?:learnt|learned|reported exclusively)\b"),
    re.compile(r"^[A-Z][A-Za-z .,'-]{1,40}\((AP|Reuters|AFP)\)", re.M),
]
_URL = re.compile(r"https?://[^\s)>\]\"']+")


def parse_date(value: str) -> str | None:
    """An ISO yyyy-mm-dd for the first date written in value, or None."""
    for rx, order in ((_ISO, "ymd"), (_MDY, "mdy"), (_DMY, "dmy")):
        for m in rx.finditer(value):
            a, b, c = m.groups()
            try:
                if order == "ymd":
                    d = date(int(a), int(b), int(c))
                elif order == "mdy":
                    d = date(int(c), _MONTHS[a.lower()], int(b))
                else:
                    d = date(int(c), _MONTHS[b.lower()], int(a))
            except (KeyError, ValueError):
                continue
            return d.isoformat()
    return None


def outlet_of(name: str) -> str | None:
    return OUTLETS.get(" ".join(name.lower().split()))


def guess_source(text: str) -> str | None:
    for rx in _SELF:
        for m in rx.finditer(text):
            found = outlet_of(m.group(1))
            if found:
                return found
    return None


def guess_url(text: str) -> str | None:
    m = _URL.search(text)
    return m.group(0).rstrip(".,;") if m else None


_DATELINE = re.compile(r"[^.!?\n]{0,60}\s[—–]\s*|\s[A-Z][^.!?\n]{0,60}\(\w+\)\s*[—–-]*\s*")
# Edition and section codes news sites append to a URL slug ("...-muertos-trnd", "...-intl-hnk").
_SLUG_CODES = frozenset({"intl", "hnk", "trnd", "scn", "gbr", "cmd", "cec", "latam", "scli", "spt", "cnnphotos", "html", "htm"})


def is_dateline(line: str) -> bool:
    """'CNN —', 'Washington CNN Business —', 'LONDON (Reuters) -': where and who, not a headline."""
    return len(line.split()) <= 6 and _DATELINE.fullmatch(" " + line.strip()) is not None


def title_from_url(url: str | None) -> str | None:
    """The headline words in a URL's slug (/2021/11/02/us/day-of-the-dead-dia-de-los-muertos-trnd/),
    for an article stored without a title: an editor's summary, better than the lede's first words."""
    if not url:
        return None
    path = re.sub(r"[?#].*", "", url.split("://", 1)[-1]).split("/")[1:]
    for segment in reversed(path):
        words = [w for w in re.split(r"[-_]", re.sub(r"\.html?$|^index$", "", segment.lower())) if w]
        while words and (words[-1] in _SLUG_CODES or words[-1].isdigit()):
            words.pop()
        if len(words) >= 3 and sum(w.isalpha() for w in words) >= 3:
            text = " ".join(words)
            return text[0].upper() + text[1:]
    return None


def guess_title(first_line: str, first_sentence: str) -> tuple[str, bool]:
    """(title, whole_line): a short first line is the headline; else its first sentence."""
    if len(first_line.split()) <= 20:
        return first_line, True
    words = first_sentence.split()
    if len(words) <= 30:
        return first_sentence.rstrip(), False
    return " ".join(words[:14]) + " …", False


def web_address(url: str | None) -> str | None:
    """The URL when it is one a reader can open (http or https), else None."""
    return url if url and url.startswith(("http://", "https://")) else None


_TAIL = re.compile(r"\s+[|\-–—]\s+([^|\-–—]{2,40})$")
_NOT_NAMES = frozenset({"www", "com", "org", "net", "gov", "edu", "edition", "amp"})


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def shown_title(title: str | None, source: str | None, url: str | None) -> str | None:
    """The title as a source list shows it: without the outlet's name a page puts after it ("Twitter confirms
    … | CNN Business", "… - The Week UK", "… | CNN ..."), which the line names beside it anyway. Only a tail
    that is the outlet's (its name or its site's, or the start of either, three letters at least) goes; the
    index keeps the title as the page gave it."""
    if not title:
        return title
    m = _TAIL.search(title)
    if m is None:
        return title
    tail = _letters(m.group(1).replace("...", "").replace("…", ""))
    labels = (urlsplit(url).hostname or "").split(".") if url else []
    names = [n for n in (_letters(source or ""), *(_letters(x) for x in labels if x not in _NOT_NAMES)) if len(n) >= 3]
    if len(tail) >= 3 and any(n.startswith(tail) or tail.startswith(n) for n in names):
        return title[: m.start()].rstrip() or title
    return title
