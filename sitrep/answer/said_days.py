"""The days a quote names relative to its article's date, made absolute: "on Wednesday" in a story published
Thursday 2022-10-06 is 2022-10-05.

A quote stays verbatim; what its "Wednesday", "yesterday" or "last night" was is said beside it, from the article's
publication date (never from a date the page was only seen on). News writes the days of the week around the day
it is published: a day named in the past tense ("said Tuesday", "met on Monday") is the latest such day on or before
it, one in the future tense ("will meet on Friday", "next Friday", "through Wednesday") the first on or after it, and
a day in a sentence with neither is left alone. Days named together ("Wednesday through Friday", "Saturday and
Sunday", "Friday, Saturday and Sunday nights") are one stretch of days, each after the one before: the first found
ahead, or the last found back. A day the sentence dates itself ("Wednesday, October 5", "Wednesday (Oct. 5)") needs
no help and is left alone; so is a day that recurs or is counted from something else ("every Friday", "the third
Monday of the month", "the Friday before Election Day", "Typically, Friday is a work day"), and "today", which news
also writes for "nowadays". `python benchmarks/bench_said_days.py` checks the rule against the days the dev corpus dates itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from itertools import accumulate

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
# a weekday the sentence dates itself: "Wednesday, October 5", "Wednesday (Oct. 5)", "Wednesday 5 October", "Wednesday the 5th"
_DATED = re.compile(r",?\s*\(?\s*(?:" + _MONTH + r"\s+\d|\d{1,2}(?:st|nd|rd|th)?\b|the\s+\d)")
_WEEKDAY = re.compile(r"\b(?:(?P<dir>last|next|this\s+(?:past|coming))\s+)?(?P<day>" + "|".join(_DAYS) + r")\b")
_OTHER = re.compile(r"\b(?P<word>yesterday|tomorrow|tonight|last\s+night|this\s+(?:morning|afternoon|evening)|"
                    r"(?:earlier|later)\s+today)\b", re.I)  # "today" alone is also "nowadays"; "earlier today" is not
_FUTURE = re.compile(r"\b(?:will|won't|shall|'ll|(?:would|could|might|(?-i:may))(?!\s+(?:not\s+)?have\b)|(?:is|are|was|were)\s+(?:set|due|expected|scheduled|slated|poised|going|"
                     r"planning|supposed)\s+to|plans?\s+to|(?:forecast(?:ed)?|projected|predicted|likely)\s+to|planned\s+for|is\s+to|are\s+to|scheduled\s+for|set\s+for|slated\s+for|"
                     r"upcoming|ahead\s+of|deadline)\b", re.I)
# right before the day: "through Wednesday", "until Friday", "starting Monday", "effective Friday", "by Monday"
_UNTIL = re.compile(r"\b(?:through|thru|until|till|by|starting|beginning|effective|before)\s+(?:this\s+)?$", re.I)
# a sentence told in the past: "said", "was", "met", "announced" (a verb ending in -ed), "had"
_PAST = re.compile(r"\b(?:said|told|was|were|had|did|met|made|took|gave|came|went|saw|began|won|lost|left|held|led|"
                   r"spoke|wrote|sent|set|hit|struck|fell|rose|ran|beat|broke|brought|caught|chose|fled|found|got|"
                   r"kept|knew|paid|put|sold|stood|thought|saying|says|[a-z]{2,}ed)\b", re.I)
_SHIFT = {"yesterday": -1, "tomorrow": 1, "tonight": 0, "last night": -1}


_WEAK = re.compile(r"may|likely\s+to", re.I)


def _ahead(text: str) -> bool:
    """Whether a sentence (or quotation) is told in the future anywhere: "may" and "likely to" count only next to a
    day ("storms may hit Saturday"), for a sentence's "may" is as often about a past day ("said Wednesday that the
    ban may violate …", "prices are likely to climb after Biden announced a ban … on Tuesday")."""
    return any(not _WEAK.fullmatch(m.group(0)) for m in _FUTURE.finditer(text))


def published(day: str | None) -> date | None:
    """An article's publication date from its ISO text, None when it has none or it does not parse."""
    try:
        return date.fromisoformat(day[:10]) if day else None
    except ValueError:
        return None


_TO_DO = re.compile(r"\bto\s+(?:be\s+)?(?!the\b|this\b|that\b|his\b|her\b|its\b|their\b)[a-z]{3,}\s+(?:on\s+)?$", re.I)  # "trial
# to start Friday", "to be held on Monday" (not "according to a Monday release")
_PASSIVE = re.compile(r"\b(?:be|been|being|will|won't|shall|'ll|would|could|might|may|can|to)\s+$", re.I)  # "will be held
# Saturday": a participle, not the past; "will hit", "may hit", "to set": the verb's bare form, not its past
_GOING_ON = re.compile(r"\b(?:is|are)\s+[a-z]{3,}ing\s+(?:\w+\s+){0,3}(?:on\s+)?$", re.I)  # "are dropping a new single on Friday"


_OPENS, _CLOSES = "“‘", "”’"
# A weekday that is its clause's subject, told in the present ("Friday is definitely in play", "Tuesday is the first day
# of school"): a day ahead (or today). Not one that only dates a verb before it ("a lawsuit filed Tuesday is …").
_IS = re.compile(r"^(?:\s+(?:and|or)\s+(?:" + "|".join(_DAYS) + r"))?\s+(?:is|are)\b(?!\s+(?:over|gone|done|past)\b)",
                 re.I)  # "Saturday and Sunday are slated …": both ahead
_CLAUSE_START = re.compile(r"(?:^|[“\"‘(,;:—–]|\b(?:and|but|while|so|because|as|since|if|when|now|for))\s*$", re.I)
# A day that recurs, or is counted from something else than the article's date: "every Friday", "each Thursday in April",
# "the third Monday of February", "the Friday before Election Day", "a Monday in March", "Typically, Friday"
_RECURS = re.compile(r"(?<![\w-])(?:every|each|any|(?:the|a)\s+(?:first|second|third|fourth|fifth|last|final|same|following|"
                     r"previous|preceding)|typically,?|usually,?|normally,?|generally,?|traditionally,?|always)\s+$", re.I)
_COUNTED_FROM = re.compile(r"\s+(?:before|after|following|preceding|prior\s+to|of|in)\b", re.I)  # "the Friday before …", "a Monday in March"
_ARTICLE = re.compile(r"\b(?:the|a|an)\s+$", re.I)
# between two days named together: "Wednesday through Friday", "Saturday and Sunday", "Monday–Friday", "Friday, Saturday
# and Sunday nights", "late Thursday through Saturday morning"
_JOINED = re.compile(r"(?:\s+(?:morning|afternoon|evening|night)s?)?\s*(?:,\s*(?:and|or)?|and|or|through|thru|to|until|till|"
                     r"into|[-–—/])\s*(?:(?:on|late|early)\s+)?", re.I)


def _quoted_from(sentence: str, at: int) -> int | None:
    """Where the quotation holding position `at` opens (just after its mark), or None when `at` is outside quotes:
    "Sarafin confirmed that “Friday is definitely in play”" — the speaker's past is not the quote's tense."""
    depth, start = 0, None
    for i, ch in enumerate(sentence[:at]):
        if ch in _OPENS and not (ch == "‘" and i and sentence[i - 1].isalpha()):
            depth, start = depth + 1, i + 1
        elif ch in _CLOSES and not (ch == "’" and i + 1 < len(sentence) and sentence[i + 1].isalpha()):  # "NASA’s"
            depth = max(0, depth - 1)
    if depth:
        return start
    straight = [i for i, ch in enumerate(sentence[:at]) if ch == '"']
    return straight[-1] + 1 if len(straight) % 2 else None


def _tense(sentence: str, m: re.Match[str], future: bool, past: bool) -> str:
    """"future", "past" or "": the tense of the verb nearest before a weekday ("won the jackpot Tuesday will have to
    reveal" is the past; "scheduled … to start Friday" the future), else of the first after it (up to a comma), else
    the sentence's. Inside a quotation only the quotation counts: a speaker's "said" is not its tense."""
    opened = _quoted_from(sentence, m.start())
    if opened is not None:
        closes = [i for i in (sentence.find(c, m.end()) for c in _CLOSES + '"') if i >= 0]
        quote = sentence[opened: min(closes) if closes else len(sentence)]
        inner = re.compile(re.escape(m.group(0))).search(quote, m.start() - opened)
        if inner is not None:
            sentence, m = quote, inner
            future, past = _ahead(quote), bool(_PAST.search(quote))
    before, after = sentence[max(0, m.start() - 45): m.start()], sentence[m.end(): m.end() + 20].split(",")[0]
    if _UNTIL.search(before) or _TO_DO.search(before) or _GOING_ON.search(before) or (
            _IS.search(after) and _CLAUSE_START.search(before)):
        return "future"
    last_future = max((x.end() for x in _FUTURE.finditer(before)), default=-1)
    last_past = max((x.end() for x in _PAST.finditer(before) if not _PASSIVE.search(before[: x.start()])), default=-1)
    if last_future >= 0 or last_past >= 0:
        return "future" if last_future > last_past else "past"
    first_future = next((x.start() for x in _FUTURE.finditer(after)), None)
    first_past = next((x.start() for x in _PAST.finditer(after) if not _PASSIVE.search(after[: x.start()])), None)
    if first_future is not None or first_past is not None:
        return "future" if first_past is None or (first_future is not None and first_future < first_past) else "past"
    return "future" if future and not past else "past" if past and not future else ("future" if future else "")


def said_days(sentence: str, day: date | None) -> list[tuple[str, date]]:
    """(the words as the sentence has them, the day they mean) for each relative day it names, in order, each
    once; [] without a publication date."""
    if day is None:
        return []
    future, past = _ahead(sentence), bool(_PAST.search(sentence))
    found: list[tuple[int, str, date]] = []
    for group in _named_together([m for m in _WEEKDAY.finditer(sentence) if not _DATED.match(sentence, m.end())], sentence):
        if _relative(sentence, group[0]):  # "each Friday and Saturday night": the stretch recurs
            found += _read_group(sentence, [m for m in group if _relative(sentence, m)], day, future, past)
    for m in _OTHER.finditer(sentence):
        words = " ".join(m.group("word").split())
        found.append((m.start(), words, day + timedelta(days=_SHIFT.get(words.lower(), 0))))
    out: dict[str, date] = {}
    for _, words, meant in sorted(found, key=lambda f: f[0]):
        out.setdefault(words, meant)
    return list(out.items())


def _relative(sentence: str, m: re.Match[str]) -> bool:
    """Whether a weekday (one the sentence does not date itself) is told relative to the article's date: not
    recurring ("every Friday"), not counted from something else ("the Friday before Election Day")."""
    before = sentence[max(0, m.start() - 40): m.start()]
    if _RECURS.search(before):
        return False
    return not (_ARTICLE.search(before) and _COUNTED_FROM.match(sentence, m.end()))


def _named_together(days: list[re.Match[str]], sentence: str) -> list[list[re.Match[str]]]:
    """The weekdays in groups named together ("Wednesday through Friday", "Saturday and Sunday"), in order."""
    groups: list[list[re.Match[str]]] = []
    for m in days:
        if groups and _JOINED.fullmatch(sentence, groups[-1][-1].end(), m.start()):
            groups[-1].append(m)
        else:
            groups.append([m])
    return groups


def _read_one(sentence: str, m: re.Match[str], day: date, future: bool, past: bool) -> tuple[date | None, str]:
    """The day one weekday means, and its tense ("future", "past" or ""): ahead when told in the future (or "next"),
    back when told in the past (or "last")."""
    target = _DAYS.index(m.group("day"))
    way = (m.group("dir") or "").lower()
    tense = ("future" if way.startswith("next") or way.endswith("coming") else "past") if way else _tense(sentence, m, future, past)
    if tense == "future":
        return day + timedelta(days=(target - day.weekday()) % 7 or (7 if way else 0)), tense
    if tense == "past":  # the latest such day on or before publication
        back = (day.weekday() - target) % 7 or (7 if way else 0)
        if back == 6 and not way:
            return None, tense  # the day after publication, told in the past: an event abroad, a day ahead of the
            # outlet's clock ("struck the Philippines on Wednesday" in a US story of Tuesday), or six days
            # before: which one, the sentence does not say
        return day - timedelta(days=back), tense
    return None, tense  # no tense to go by ("Tuesday, March 17" as a heading, "… is Presidents Day"): said nothing


def _read_group(sentence: str, group: list[re.Match[str]], day: date, future: bool,
                past: bool) -> list[tuple[int, str, date]]:
    """(position, words, day meant) for weekdays named together, one stretch of days, each after the one before.
    Each is read alone first; where those readings keep that order, a day left unread is counted from its
    neighbour ("wearing a costume Friday through Sunday"). Where they do not ("met Wednesday through Friday": the
    past, then "through" ahead), the stretch is read as one: the first day ahead when the first day is told in the
    future, the last day back when it is told in the past. A day told in the past that would be the day after
    publication leaves the stretch unsaid, as it does a day alone, unless another of its days is told in the past
    ("raised their prices later Monday and early Tuesday" in a story of Monday: Tuesday is the day after)."""
    step = [0] + [(_DAYS.index(b.group("day")) - _DAYS.index(a.group("day"))) % 7 for a, b in zip(group, group[1:])]  # 0: "Monday
    # morning and Monday night", one day
    offset = list(accumulate(step))  # each day's distance from the first, in days
    alone = [_read_one(sentence, m, day, future, past) for m in group]
    if any(d is None and tense == "past" for d, tense in alone) and not any(d and t == "past" for d, t in alone):
        return []  # a day the day after publication in the past, and no other day told in the past to count it from
    read = [(i, d) for i, (d, _) in enumerate(alone) if d is not None]
    if not read:
        return []
    starts = {d - timedelta(days=offset[i]) for i, d in read}  # the stretch's first day, by each reading
    if len(starts) > 1:  # out of order: the stretch read as one, by its first day's tense
        if next(tense for _, tense in alone if tense) == "past":  # the last day back from publication
            back = (day.weekday() - _DAYS.index(group[-1].group("day"))) % 7
            if back == 6:
                return []
            starts = {day - timedelta(days=back + offset[-1])}
        else:  # the first day ahead, unless the stretch is under way: "forecast to hit late Thursday through
            # Saturday" in a story of Friday is this Thursday to Saturday, not next week's
            ahead = day + timedelta(days=(_DAYS.index(group[0].group("day")) - day.weekday()) % 7)
            under_way = ahead - timedelta(days=7)
            starts = {under_way if under_way < day < under_way + timedelta(days=offset[-1]) else ahead}
    start = starts.pop()
    return [(m.start(), m.group(0), start + timedelta(days=offset[i])) for i, m in enumerate(group)]


def said_days_text(sentence: str, day: str | None) -> str:
    """What a source list shows beside a quote: '“Wednesday”: Wed 2022-10-05', joined by "; "; "" if none."""
    return quotes_days_text([(sentence, day)])


def quotes_days_text(quotes: Iterable[tuple[str, str | None]]) -> str:
    """The same for several quotes, each with its article's date (a brief's story): each day once."""
    seen: dict[str, None] = {}
    for sentence, day in quotes:
        for w, meant in said_days(sentence, published(day)):
            seen.setdefault(f"“{w}”: {meant:%a} {meant.isoformat()}", None)
    return "; ".join(seen)


def said_days_json(sentence: str, day: str | None) -> list[dict[str, str]]:
    """For --json: [{"words": "Wednesday", "date": "2022-10-05"}, …]."""
    return [{"words": w, "date": meant.isoformat()} for w, meant in said_days(sentence, published(day))]
