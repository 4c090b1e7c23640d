"""How an answer describes itself, in words every front-end shows the same way (the terminal in
cli/render.py, Discord in chat/render.py): what a follow-up was understood as and why, the answer
phrase inside a quoted sentence, a date window, why a recent question gets no old answer. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sitrep.index.backends.base import ArticleMeta
from sitrep.retrieval.dates import Window, asks_current, too_old
from sitrep.retrieval.types import Answer, Citation

UNDERSTOOD = "understood as: "


def understood(answer: Answer) -> str | None:
    """"understood as: <what was searched>" when that is not what was typed (a follow-up), else None.
    The searched text is shown whole (the earlier question with this one, or the rewrite): exact, so
    a Discord thread can be read back from it (chat/render.py)."""
    a = answer.asked_as
    if a is None or not a.followup or a.text == answer.question:
        return None
    return UNDERSTOOD + a.text


def why(answer: Answer) -> str | None:
    """Why the earlier turns took part, in brackets, for showing beside understood()."""
    a = answer.asked_as
    if a is None or not a.reason:
        return None
    parts = [a.reason] + (["favouring the last answer's sources"] if a.prior_articles else []) + (
        ["not quoting again what was quoted above"] if answer.not_repeated else [])
    return f"({'; '.join(parts)})"


def answer_parts(sentence: str, c: Citation | None) -> list[tuple[str, bool]]:
    """The sentence cut into (text, is the answer phrase) parts; joined, the parts are the sentence."""
    spans = sorted((a - c.quote_start, b - c.quote_start) for a, b in c.answer_spans) if c else []
    parts: list[tuple[str, bool]] = []
    pos = 0
    for a, b in spans:
        if 0 <= a < b <= len(sentence) and a >= pos:
            parts += [(sentence[pos:a], False), (sentence[a:b], True)]
            pos = b
    parts.append((sentence[pos:], False))
    return [(t, m) for t, m in parts if t]


def window(c: Citation, width: int = 320) -> tuple[int, int]:
    """The span of the passage a source's snippet shows: about `width` characters around the quote (all of a longer
    quote), never starting or ending inside a word."""
    text, q0, q1 = c.passage, c.quote_start, c.quote_start + len(c.quote)
    start = max(0, q0 - max(0, width - len(c.quote)) // 2)  # a longer quote: from its start
    end = min(len(text), start + max(width, len(c.quote)))
    start = max(0, min(start, end - width))
    if 0 < start < q0 and not text[start - 1].isspace():  # inside a word: from the next one
        space = text.find(" ", start, q0)
        start = space + 1 if space >= 0 else q0
    if q1 < end < len(text) and not text[end].isspace():  # ... up to the last whole word
        space = text.rfind(" ", q1, end)
        end = space if space >= 0 else q1
    return start, end


def snippet_parts(c: Citation, start: int, end: int) -> list[tuple[str, bool]]:
    """The passage from `start` to `end` cut into (text, is a question word) parts: a source's snippet, the
    question's words marked as the front-end marks them (bold). Joined, the parts are the span."""
    text = c.passage
    parts: list[tuple[str, bool]] = []
    pos = start
    for a, b in sorted(c.highlights):
        a, b = max(a, pos), min(b, end)
        if a >= b:
            continue
        parts += [(text[pos:a], False), (text[a:b], True)]
        pos = b
    parts.append((text[pos:end], False))
    return [(t, m) for t, m in parts if t]


def shown_windows(group: Sequence[Citation], width: int) -> list[tuple[Citation, int, int]]:
    """The snippets that show an article's quotes: each quote's window (`window`), those of one passage that
    overlap made one, in the quotes' order."""
    out: list[tuple[Citation, int, int]] = []
    for x in group:
        a, b = window(x, width)
        for i, (y, c, d) in enumerate(out):
            if y.passage_id == x.passage_id and a <= d and c <= b:
                out[i] = (y, min(a, c), max(b, d))
                break
        else:
            out.append((x, a, b))
    return out


# A photo's credit at a sentence's start, run into the caption that follows it on the page: two to four
# capitalised words (the photographer), a slash, the agency (an acronym, or one of the names news sites
# credit; other names may come between, each before a slash), then the caption's capital letter.
_AGENCY = (r"(?:[A-Z]{2,6}|[A-Z]\d{3,5}|Getty Images|Reuters|Bloomberg|Shutterstock|Pool|Handout|Sipa USA|ZUMA Press"
           r"|Zuma Press|NurPhoto|Anadolu Agency|SOPA Images|LightRocket|Xinhua|Redux|Alamy|The New York Times"
           r"|The Washington Post|Los Angeles Times|Bloomberg Creative|Getty)")
# Or the photographer taken "for" the outlet that ran the photo ("Matthew Busch for CNN "): only an outlet's
# name, for "… for Disease Control" and "… for Marriage Act" are no credits.
_FOR = r"(?:CNN|NPR|USA TODAY|The New York Times|The Washington Post|The Guardian|The Times|Los Angeles Times|Bloomberg)"
_CREDIT = re.compile(r"(?:[A-Z][\w.'’-]*\s){1,3}[A-Z][\w.'’-]*(?:/(?:[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3}/)*"
                     + _AGENCY + r"| for " + _FOR + r")\s+(?=[A-Z])")  # "/Hindustan Times/Sipa/Reuters ": any names before the last


# A credit whose first name is one word — an agency, a studio, a "Stringer" — is known by the photo agency it ends
# with ("AFP/Getty Images ", "Keystone-France/Gamma-Keystone/Getty Images ", "Stringer/EPA-EFE/Shutterstock "), a
# lone "AP " or "Getty Images " before a caption's capitalised word ("AP Jawaharlal Nehru and …"), and a source "via"
# an agency ("NASA via AP Waves kick up …").
_PHOTO_AGENCY = r"(?:Getty Images|Shutterstock|Reuters|AFP|AP|EPA-EFE|EPA|NurPhoto|Sipa USA|ZUMA Press|Xinhua|Redux|Alamy)"
_CREDIT_ONE = re.compile(r"(?:[A-Z][\w.'’-]*(?:/[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3})*/" + _PHOTO_AGENCY
                         + r"|AP(?! Photo)|Getty Images|(?:[A-Z][\w.'’-]*\s){1,4}via\s+(?:AP|Reuters|Getty Images|AFP))"
                         r"\s+(?=[A-Z][a-z])")  # "AP Photo/Susan Walsh …": the credit is all of it


def credit_prefix(sentence: str) -> int:
    """How many characters of a sentence's start are a photo's credit ("John Raoux/AP ", "Matthew Busch for CNN ",
    "AFP/Getty Images "), or 0: a quote starts after it (still a verbatim slice), the caption's own words first."""
    m = _CREDIT.match(sentence) or _CREDIT_ONE.match(sentence)
    return m.end() if m and m.end() < len(sentence) else 0


_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?"
          r"|Nov(?:ember)?|Dec(?:ember)?)\.?")
# A photo's caption without a credit before it: an agency's scene told in the present with its full date and then
# its place ("… celebrates … at Al Thumama Stadium on December 10, 2022 in Doha, Qatar.", "… in Brussels on September
# 23, 2022." at its end: news tells such a day in the past, "was born on July 4, 1976 in Chicago"), or a caption that says it is one ("This
# aerial view shows …", "In this file photo, …").
_DATED_SCENE = re.compile(r"\bon\s+" + _MONTH + r"\s+\d{1,2},\s+(?:19|20)\d\d,?\s+in\s+[A-Z]"
                          r"|\bin\s+[A-Z][\w.'’-]*(?:,?\s+[A-Z][\w.'’-]*){0,3},?\s+on\s+" + _MONTH + r"\s+\d{1,2},\s+(?:19|20)\d\d\.?$")
# ... or a scene in the present that ends on its weekday and date ("WNBA star Brittney Griner arrives in San Antonio on
# Friday, December 9.", "Snow blankets buildings in Buffalo, New York, on Wednesday, December 28."), as CNN's captions
# end; not with an infinitive or a note ("… is poised to vote … on Monday, April 4.", "Editor's note: This page recaps
# … on Sunday, Feb. 27."), nor a day that is when something falls ("This year, Presidents Day is on Monday, Feb. 19.").
_WEEKDAY_SCENE = re.compile(r"(?<!\bis )(?<!\bare )\bon\s+(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+" + _MONTH
                            + r"\s+\d{1,2}(?:,\s+(?:19|20)\d\d)?\.?$")
_NOT_SCENE = re.compile(r"\b(?:to|note|here)\b", re.I)
_TOLD = re.compile(r"\b(?:was|were|had|has|have|will|would)\b")  # a caption is in the present: "was born on July 4, 1976 in …" is news
_SCENE = re.compile(r"^(?:This|These|A|An)\s+(?:aerial\s+|file\s+|satellite\s+|handout\s+)?(?:photo(?:graph)?|image|picture|view|screenshot|"
                    r"screen\s?grab|video\s+grab)s?\s+(?:taken\s|provided\s|released\s|shows?\s|made\s)"
                    r"|^In\s+(?:this|these|an?)\s+(?:aerial\s+|file\s+|handout\s+)?(?:photo(?:graph)?|image|picture)s?\b")


def caption(sentence: str) -> bool:
    """Whether a sentence is a photo's caption: its credit first (credit_prefix), or a scene told as agencies caption
    one (_SCENE). It shows a scene and rarely tells the news: the reader quotes it only where the story's own
    sentences are far worse."""
    text = sentence.strip()
    if credit_prefix(text) > 0 or _SCENE.search(text):
        return True
    if _DATED_SCENE.search(text):
        return not _TOLD.search(text)
    return bool(_WEEKDAY_SCENE.search(text)) and not _TOLD.search(text) and not _NOT_SCENE.search(text)


# A wire story's dateline before its first sentence ("(CNN) ", "New York (CNN Business) ", "LIMA, Peru (AP) — "):
# the place, if any, in a few capitalised words and commas, the outlet in brackets (a wire's or a site's name, its
# misspellings included), a dash; or the place alone in capitals and a dash ("WASHINGTON – ", "LOUISVILLE, Ky. — ",
# "ZHANGJIAKOU, China – "; a word of three capitals at least, for "US – China talks" is no dateline); then the
# sentence's capital. The citation already names the outlet.
_WIRE = r"(?:CNN ?[A-Z][a-z]+|CNN|AP|Reuters|AFP|UPI|Bloomberg|Xinhua|dpa|ANI|PTI|IANS)"
_CAPS_PLACE = r"(?:[A-Z][A-Z.'’-]{2,},?\s){0,3}[A-Z][A-Z.'’-]{2,}(?:,\s(?:[A-Z][a-z]+\.?(?:\s[A-Z][a-z]+\.?)?|[A-Z]{2,}))?"
# CNN's style without brackets ("New York CNN Business — ", "Tokyo, Japan CNN — ", "CNN — "), and an AP story as
# other sites carry it, its byline first ("Marta Fiorin and Raf Casert Associated Press KORTRIJK, Belgium — "): glued
# to the sentence wherever the text's line breaks are gone (a 60-word snippet, a web search's), "New York CNN —"
# began 6 of 20 quotes of the snippets shape's answers.
_BARE_CNN = r"(?:[A-Z][a-z]+(?:,?\s[A-Z][a-z]+){0,3}\s)?CNN(?:\s[A-Z][a-z]+)?\s[—–-]{1,2}\s+"
_AP_BYLINE = r"(?:[A-Z][\w.'’-]*\s(?:and\s)?){0,6}Associated Press\s" + _CAPS_PLACE + r"\s[—–-]{1,2}\s+"
_DATELINE = re.compile(r"(?:(?:[A-Z][\w.'’-]*,?\s){0,4}\(" + _WIRE + r"\)\s*(?:[—–-]{1,2}\s*)?|" + _CAPS_PLACE
                       + r"\s[—–-]{1,2}\s+|" + _BARE_CNN + "|" + _AP_BYLINE + r")(?=[A-Z“\"‘'])")


_BULLET = re.compile(r"(?:[►•▶●■◆▪·]|\*(?=\s))+\s*")  # a list's marks ("► Ian's strength …"; "*NSYNC" is a name)


def dateline_prefix(sentence: str) -> int:
    """How many characters of a sentence's start are a list's bullet and a wire story's dateline ("► ", "WASHINGTON
    (AP) — ", "(CNN) "), or 0: a quote starts after them, still a verbatim slice. Not a caption (the reader does not
    mark it down)."""
    bullet = _BULLET.match(sentence)
    skip = bullet.end() if bullet else 0
    m = _DATELINE.match(sentence, skip)
    skip = m.end() if m else skip
    return skip if skip < len(sentence) else 0


def window_text(since: date | None, until: date) -> str:
    return f"{since.isoformat()} to {until.isoformat()}" if since else f"up to {until.isoformat()}"


def window_note(w: Window, notes: Sequence[str] = ()) -> tuple[str, ...]:
    """A refusal's notes: `notes`, and what was searched when a date window excluded articles (the asker's
    "since", or the question's own "in march 2021"), for the corpus may answer outside it."""
    if not w.hard or w.start is None:
        return tuple(notes)
    said = f'the question says "{w.reason}": ' if w.reason and not w.reason.startswith("since ") else ""
    return (*notes, f"{said}only articles from {window_text(w.start, w.end)} were searched")


def stale_note(w: Window, as_of: date, cited: list[ArticleMeta]) -> str | None:
    """Why a question about a recent span ("this week") is not answered from the articles that would be
    quoted: all older than the span (retrieval/dates.py RECENT_DAYS). None when they are not, or one of
    them is undated (its age is unknown)."""
    days = [m.date for m in cited]
    if not days or not all(days):
        return None
    newest = max(d for d in days if d)
    if too_old(w, as_of, date.fromisoformat(newest[:10])) is None:
        return None
    m = next(m for m in cited if m.date == newest)
    return f"nothing from {w.reason} answers this: the newest article that would be quoted is from {newest} " \
           f"({m.shown_title or m.location})"


CURRENT_DAYS = 30  # a question for what is current, answered only from reports older than this, is told how old


def dated_note(question: str, w: Window, as_of: date, cited: list[ArticleMeta]) -> str | None:
    """For a question that asks what is new or current ("Who is the new prime minister?") answered only from
    dated reports older than CURRENT_DAYS: how old the newest one is, for the corpus may not hold what came since
    (an archive, a feed that stopped). None when the question names a span or window of its own, or one of the
    cited articles is undated (its age is unknown), or the newest is recent."""
    days = [m.date for m in cited]
    if not asks_current(question) or w.start is not None or not days or not all(days):
        return None
    newest = max(d for d in days if d)
    age = (as_of - date.fromisoformat(newest[:10])).days
    if age <= CURRENT_DAYS:
        return None
    return f"the newest report quoted is from {newest[:10]}, {_age(age)} before {as_of.isoformat()}: it may have " \
           "changed since"


def _age(days: int) -> str:
    if days < 60:
        return f"{days} days"
    if days < 730:
        return f"{days * 12 // 365} months"
    return f"{days // 365} years"


def word_spans(text: str, word: str) -> list[tuple[int, int]]:
    """Where `word` (one run of word characters) stands in text as a whole \\w+ run, for highlights: found with
    str.find rather than a second \\w+ pass over the passage (a question marks a few words: highlights of a cited
    passage, bare shape, 112 -> 79 µs). A word character is what re's \\w is in a str pattern: alphanumeric, or "_"."""
    out, n, at = [], len(word), text.find(word)
    while at >= 0:
        end = at + n
        if (at == 0 or not is_word(text[at - 1])) and (end == len(text) or not is_word(text[end])):
            out.append((at, end))
        at = text.find(word, at + 1)
    return out


def is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


NOTHING_MORE = "nothing more on this than what was already quoted"  # "What else?" when every answering sentence was


def refusal(answer: Answer) -> tuple[str, tuple[str, ...]]:
    """The line a refusal leads with, and the notes left to show under it: "What else?" with nothing left to
    quote was answered before, so it does not say the corpus cannot answer."""
    if NOTHING_MORE in answer.notes:
        return "Nothing more on this than what was already quoted.", tuple(n for n in answer.notes if n != NOTHING_MORE)
    return "The corpus does not answer this.", answer.notes
