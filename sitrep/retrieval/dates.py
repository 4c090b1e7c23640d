"""Time expressions in a question -> a date window, relative to the as-of date.

Only simple, unambiguous expressions are understood; anything else leaves the window
open. Named past years and months ("in 2020", "in December 2020") filter; relative
expressions ("this week", "yesterday") only hint: news quizzes about "this week" often
cite an article from the week before, so they must not exclude it (measured on the dev
set: hard relative windows lost 4% of gold articles); the recency prior ranks instead. The as-of date itself is always an upper bound: an article published after the
question was asked cannot be its answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sitrep.retrieval.errors import BadOption

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH_RX = "|".join(_MONTHS)


@dataclass(frozen=True)
class Window:
    start: date | None  # None: no lower bound (a relative hint has none either)
    end: date  # inclusive
    reason: str = ""  # the expression that set start, for :explain
    hard: bool = True  # False: a hint ("this week") that ranks, but never excludes, older articles


def parse_as_of(value: str | None, today: date | None = None) -> date:
    if value is None or not value.strip():
        return today or date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadOption(f"bad date {value!r}: use YYYY-MM-DD, e.g. --as-of 2022-06-16") from None


# Relative expressions: hints for the recency prior (RetrievalParams.hint_*), never a filter,
# so they carry no day count of their own.
_RELATIVE = re.compile(r"\b(yesterday|today|tonight|this week|past week|this weekend|past few days|last week(?:end)?"
                       r"|this month|past month|last month|this year|past year)\b")


# Words that ask for the latest state of things. In an archive (its newest article older than the as-of date) a
# question with one of them, or with a relative span above, is ranked as of the archive's newest article
# (HybridRetriever.prior_day).
_LATEST = re.compile(r"\b(?:new|newest|latest|current|currently|now|recent|recently|nowadays|these days|so far|ongoing|upcoming|next(?![- ]generation))\b")


_NEW_NAME = re.compile(r"\bNew\s+(?=[A-Z])")  # New York, New Delhi, New Zealand: a name, not news


def _latest_word(question: str) -> bool:
    return bool(_LATEST.search(_NEW_NAME.sub(" ", question).lower()))


def asks_latest(question: str) -> bool:
    """Whether the question asks what is new or current ("the new prime minister", "recently", "this week")."""
    return _latest_word(question) or bool(_RELATIVE.search(question.lower()))


def asks_current(question: str) -> bool:
    """Whether the question asks for the present state of things ("new", "now", "currently") without naming a
    span of its own ("this week" is RECENT_DAYS' to judge)."""
    return _latest_word(question) and not _RELATIVE.search(question.lower())


# What a question about a recent span may be answered from: articles no older than this many days before
# the as-of date. Asked a week before its news broke, the dev set's questions got 189 answers; 55 came from
# articles over 7 days old for such a question, 43 of them wrong. Asked on the quiz date, the same rule
# refused 3 answers, none right (docs/evaluation.md "Questions asked before their news").
RECENT_DAYS = {"today": 3, "tonight": 3, "yesterday": 3, "this week": 7, "past week": 7, "this weekend": 7,
               "past few days": 7, "last week": 14, "last weekend": 14}


def too_old(w: Window, as_of: date, newest: date | None) -> int | None:
    """The days of the recent span the question asks about ("this week": 7) when the newest article an
    answer would quote is older than that; None when it is not, or the question names no such span, or
    the article's date is unknown."""
    days = RECENT_DAYS.get(w.reason) if not w.hard else None
    if days is None or newest is None or (as_of - newest).days <= days:
        return None
    return days


def window(question: str, as_of: date) -> Window:
    """The question's time window. A relative expression wins over a named past date: in
    "announced this week that it drops the rules it set in March 2020", March 2020 is
    background and the news is this week's (filtering to March 2020 lost that dev question)."""
    q = question.lower()
    m = _RELATIVE.search(q)
    if m:
        return Window(None, as_of, m.group(0), hard=False)
    m = re.search(rf"\b(?:in|during|since|from)\s+({_MONTH_RX})\s+(\d{{4}})\b", q)
    if m and int(m.group(2)) <= as_of.year:
        month, year = _MONTHS.index(m.group(1)) + 1, int(m.group(2))
        start = date(year, month, 1)
        end = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
        if q[m.start():].startswith("since"):
            end = as_of
        return Window(start, min(end, as_of), m.group(0))
    m = re.search(r"\b(?:in|during|since)\s+((?:19|20)\d{2})\b", q)
    if m and int(m.group(1)) <= as_of.year:  # "plans to merge in 2024", asked in 2022, is no filter
        year = int(m.group(1))
        end = as_of if q[m.start():].startswith("since") else min(date(year, 12, 31), as_of)
        return Window(date(year, 1, 1), end, m.group(0))
    return Window(None, as_of)


_SPAN = re.compile(r"^\s*(\d{1,5})\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)\s*$", re.I)


def parse_since(value: str, today: date) -> date:
    """A window's start: "30d", "2w", "6m", "1y" before `today`, or a date YYYY-MM-DD."""
    m = _SPAN.match(value or "")
    if m:
        n, unit = int(m.group(1)), m.group(2)[0].lower()
        days = n * {"d": 1, "w": 7, "m": 30, "y": 365}[unit]
        return today - timedelta(days=min(days, 365 * 200))
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise BadOption(f"bad 'since' {value!r}: use a span like 30d, 2w, 6m, or a date YYYY-MM-DD") from None


def ask_window(since: str | None, as_of: str | None, today: date) -> tuple[date | None, date | None]:
    """A question's (since, as_of) from its options: `as_of` a date (None: today), `since` a span before
    it or a date. A start after the day asked on is refused (BadOption, one line): it would find nothing
    and read as "the corpus does not answer"."""
    day = parse_as_of(as_of, today) if as_of else None
    start = parse_since(since, day or today) if since else None
    if start is not None and start > (day or today):
        raise BadOption(f"'since' {start.isoformat()} is after the day asked on {(day or today).isoformat()}: "
                        "give an earlier date or a span like 30d")
    return start, day


def brief_window(since: str | None, until: str | None, today: date) -> tuple[date | None, date]:
    """A brief's window from its options: `until` a date (default today), `since` a span before it
    ("30d") or a date. A start after the end, or in the future, is refused (BadOption, one line)."""
    end = parse_as_of(until, today) if until else today
    if end > today:
        end = today  # nothing is published after today; a later end adds nothing
    start = parse_since(since, end) if since else None
    if start is not None and start > end:
        raise BadOption(f"'since' {start.isoformat()} is after the window's end {end.isoformat()}: "
                        "give an earlier date or a span like 30d")
    return start, end
