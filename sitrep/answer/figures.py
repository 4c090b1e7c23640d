"""The newest figure first: a count or amount asked for that reports of different days give differently.

"How many people died in Hurricane Ian?" asked on 2022-10-05 was answered "Hurricane Ian's U.S. death toll rose to
at least 32 people Saturday" (a report of 2022-10-01) first, and "As of Tuesday, at least 109 people have been
reported killed" (2022-10-04) last: the reader liked the first best, and a toll only rises. Where a question asks
how many or how much, and the quoted sentences that give such a figure come from articles published on different
days, the newest article's leads, and a note says so. A figure is a number that is not a year, nor one the question
holds; for "how many <things>", the sentence must name the things. Durations, ages, distances and years ("how
long", "how old", "what year") do not change with the day of the report, and are left as the reader chose.

And an answer to a question that asks for a number whose quotes give none (of the kind asked: an age for "how old")
says so: the reader quotes what is nearest, which is not an answer; where some do and the first does not, the best
of those that do leads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sitrep.answer import reader
from sitrep.answer.candidates import _Candidate
from sitrep.index.backends.base import ArticleMeta

_COUNT_Q = re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|percent|percentage|amount|share|proportion|price|rate)\b"
                      r"|\bwhat\b[^?,]{0,40}?\b(?:price|cost|percentage|percent|amount|rate|toll|population)\b", re.I)
_NOT_COUNT_Q = re.compile(r"\bhow (?:old|long|far|big|tall)\b|\bwhat (?:age|year|day|month|date)\b", re.I)
_THINGS = re.compile(r"\bhow many ((?:[\w’'-]+\s+){0,3}?[\w’'-]+?)(?=\s+(?:were|was|are|is|have|has|had|did|do|does|will|"
                     r"would|could|can|in|of|on|at|for|to|from|across|since|during|by|so|this|that|\?)|\s*$|\s*\?)", re.I)
_FIGURE = re.compile(r"[$£€¥]?\d+(?:[.,]\d+)*%?(?:\s+(?:million|billion|trillion|thousand|hundred|percent))?|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundreds|thousands|millions|dozens?)\b",
                     re.I)  # "at least two people have died" ("one" is too often "one of …")
_YEARS = re.compile(r"(?<![$£€¥\d.,])\b(?:19|20)\d\d(?:[/–-](?:19|20)?\d\d)?\b(?![.,]?\d|%| (?:million|billion|percent))")


def _gives_figure(sentence: str, question: str, things: list[str]) -> bool:
    """The sentence holds a number that is not a year nor the question's own, and names what is counted."""
    asked = {m.group(0).lower() for m in _FIGURE.finditer(question)}
    figures = [m.group(0) for m in _FIGURE.finditer(_YEARS.sub(" ", sentence))]  # "the 2024/25 season": no figure
    if not any(f.lower() not in asked for f in figures):
        return False
    words = {w[:5] for w in re.findall(r"[\w’'-]+", sentence.lower())}
    return not things or any(t[:5] in words for t in things)


_PERCENT_Q = re.compile(r"\bpercent(?:age)?\b|\bshare\b|\bproportion\b", re.I)
_PERCENT = re.compile(r"\d\s*%|\bpercent\b|\b(?:half|third|quarter|fifth)s?\b", re.I)


def _fits(sentence: str, question: str, things: list[str]) -> bool:
    """The sentence gives a figure of the kind asked: a share for "what percentage" ("a third" too), else a count
    of the things "how many" names (_gives_figure)."""
    if _PERCENT_Q.search(question):
        return bool(_PERCENT.search(sentence))
    return _gives_figure(sentence, question, things)


def arrange(chosen: Sequence[_Candidate], kind: reader.QuestionKind, texts: Mapping[int, str],
            meta: Mapping[str, ArticleMeta]) -> tuple[list[_Candidate], str | None]:
    """For a question that asks for a number: the chosen sentences with the best of the newest article's that give a
    figure first, and a note, when such sentences come from articles of different days and the one leading is older;
    or, when none of them gives a number of the kind asked ("How old is Messi?" answered with his goals), a note that
    says so. Else as they were, and no note."""
    question = kind.text
    gives = reader.holds_age if kind.age else lambda sentence: bool(reader.answers_type(sentence, kind))
    if kind.number and not any(gives(texts[c.hit.passage][c.start : c.join_end or c.end]) for c in chosen):
        return list(chosen), "none of the sentences quoted gives the number asked for: the articles found may not say it"
    if not kind.number or len(chosen) < 2 or not _COUNT_Q.search(question) or _NOT_COUNT_Q.search(question):
        return list(chosen), None
    counted = _THINGS.search(question)
    things = [w for w in re.findall(r"[\w’'-]+", counted.group(1).lower()) if len(w) > 2] if counted else []
    fits = [_fits(texts[c.hit.passage][c.start : c.join_end or c.end], question, things) for c in chosen]
    if not fits[0] and any(fits):  # "How many troops are on the border?": "… China had placed 60,000 troops …" leads,
        first = chosen[fits.index(True)]  # not China's delegation "of border troops" (no figure)
        chosen = [first, *(c for c in chosen if c is not first)]
    giving = [c for c in chosen if _gives_figure(texts[c.hit.passage][c.start : c.join_end or c.end], question, things)]
    return newest_first(chosen, giving, meta, "figures quoted")


def newest_first(chosen: Sequence[_Candidate], giving: Sequence[_Candidate], meta: Mapping[str, ArticleMeta],
                 what: str) -> tuple[list[_Candidate], str | None]:
    """The best of the newest article's sentences among `giving` (those that give what was asked: a figure, a post's
    holder) first, and a note, when they come from articles of different days and the one leading is older; else
    `chosen` as it was, and no note. Undated sentences are never moved, nor ahead of one."""
    day = {id(c): (meta[c.hit.article_id].date or "")[:10] for c in chosen}
    giving = [c for c in giving if day[id(c)]]
    lead = day[id(chosen[0])] if chosen else ""
    if not lead or len({day[id(c)] for c in giving}) < 2:
        return list(chosen), None
    newest = max(giving, key=lambda c: (day[id(c)], c.score))
    if day[id(newest)] <= lead:
        return list(chosen), None
    return [newest, *(c for c in chosen if c is not newest)], \
        f"the {what} are of different days: the newest report's ({day[id(newest)]}) is quoted first"
