"""The sentence reader's parts: what a question asks for, what a sentence says that the question
does not, and the linear score over those features.

The weights are a softmax model over each dev question's candidate sentences (label: the
sentence holds the quiz's answer text), fitted with benchmarks/tune_reader.py. Five-fold
cross-validated on the dev set (272 answered questions; the answer text is in some candidate
sentence for 82.4% of them), the best sentence held the answer for 52.6% and one of the best
three for 67.7%, against 44.1% / 63.2% for question-word coverage alone. Sentence vectors (the
same model, one per sentence, cosine to the question) were measured as a feature too: alone
40.1% / 59.2%, added to the rest 54.1% / 67.7%, so not worth a second vector per sentence in the
index (README "Answer quality").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

_NUMBER_Q = re.compile(r"\b(how (many|much|old|long|far|big|tall)|what (number|percent|percentage|age|amount|share|"
                       r"proportion|price|rate|year))\b", re.I)
_WHEN_Q = re.compile(r"\b(when|what (year|day|month|date))\b", re.I)
_WHO_Q = re.compile(r"\b(who|whom|whose)\b", re.I)
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                     r"hundred|thousand|million|billion|half|dozen)\b", re.I)
_NUMBER_PHRASE = re.compile(r"\d[\d.,]*%?(?:\s+(?:million|billion|trillion|thousand|hundred))?")
_DATE = re.compile(r"\b(?:(?:19|20)\d\d|(?:January|February|March|April|May|June|July|August|September|October|"
                   r"November|December)(?:\s+\d{1,2})?(?:,?\s+(?:19|20)\d\d)?|Monday|Tuesday|Wednesday|Thursday|Friday|"
                   r"Saturday|Sunday)\b")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")  # not the sentence's first word
_NAME = re.compile(r"[A-Z][\w’'-]+(?:\s+(?:of|de|the|[A-Z][\w’'-]+))*")


@dataclass(frozen=True)
class QuestionKind:
    text: str  # lower-cased question
    number: bool  # how many / how much / what percentage ...
    when: bool
    who: bool

    @classmethod
    def of(cls, question: str) -> QuestionKind:
        return cls(question.lower(), bool(_NUMBER_Q.search(question)), bool(_WHEN_Q.search(question)),
                   bool(_WHO_Q.search(question)))


@dataclass(frozen=True)
class Phrase:
    start: int  # in the passage
    end: int
    key: str  # lower-cased text: the same phrase in two sentences
    kind: str  # "name", "number" or "date"
    typed: bool  # the kind the question asks for (a number for "how many", a date for "when", else a name)


def phrases(sentence: str, offset: int, q: QuestionKind) -> tuple[Phrase, ...]:
    """Names (and, for number/date questions, numbers/dates) in the sentence that the question does
    not contain: what the sentence adds."""
    out: list[Phrase] = []
    for m in _NAME.finditer(sentence):
        text = m.group(0)
        if (m.start() == 0 and " " not in text) or text.lower() in q.text:
            continue  # a lone first word is capitalised anyway; a name from the question adds nothing
        out.append(Phrase(offset + m.start(), offset + m.end(), text.lower(), "name", not (q.number or q.when)))
    if q.number:
        for m in _NUMBER_PHRASE.finditer(sentence):
            out.append(Phrase(offset + m.start(), offset + m.end(), m.group(0).lower(), "number", True))
    if q.when:
        for m in _DATE.finditer(sentence):
            if m.group(0).lower() not in q.text:
                out.append(Phrase(offset + m.start(), offset + m.end(), m.group(0).lower(), "date", True))
    return tuple(out)


def repetition(per_sentence: Sequence[tuple[Phrase, ...]]) -> Counter[str]:
    """How many candidate sentences say each phrase. An answer tends to be repeated: by other
    passages of its article and by other articles on the story."""
    return Counter(k for phs in per_sentence for k in {p.key for p in phs})


@dataclass(frozen=True)
class Weights:
    """Fitted by the model in benchmarks/tune_reader.py (softmax over each dev question's sentences,
    L2 0.5) on the sentences of the 8 best passages, before the default became 6; tune_reader prints
    a refit on the current candidates beside these (not swapped in: the README's numbers are these)."""

    coverage: float = 2.58  # share of the question's idf weight in the sentence
    rank_prior: float = 1.82  # 1 / (1 + 0.35 * passage rank): 0.35 is the old reader's prior, kept
    novel_names: float = 0.59  # capitalised words the question does not use, up to 4
    number_for_number_question: float = 2.09
    names_for_who_question: float = 0.47
    lede: float = 1.62  # the article's first sentence
    neighbour_coverage: float = 0.59  # the better of the sentences before and after
    coverage_x_prior: float = 2.41
    repetition: float = 1.14  # the sentence's most repeated phrase, in up to 6 candidate sentences


WEIGHTS = Weights()


def features(sentence: str, q: QuestionKind, coverage: float, rank: int, neighbour: float, lede: bool,
             dense_gap: float) -> list[float]:
    """The features in Weights' order, less repetition (it needs every candidate; see score)."""
    del dense_gap  # measured (weight +0.5) but left out: no cross-validated gain
    prior = 1.0 / (1.0 + 0.35 * rank)
    # The caps (4 names, 6 repeats; score()) were set before fitting, to keep one long sentence of
    # names from dominating; they were not swept.
    names = sum(1 for m in _CAPITALISED.finditer(sentence) if m.group(0).lower() not in q.text)
    return [
        coverage,
        prior,
        min(names, 4) / 4,
        float(q.number and bool(_NUMBER.search(sentence))),
        (min(names, 4) / 4) * q.who,
        float(lede),
        neighbour,
        coverage * prior,
    ]


def score(feats: list[float], repeated: int, w: Weights = WEIGHTS) -> float:
    weights = (w.coverage, w.rank_prior, w.novel_names, w.number_for_number_question, w.names_for_who_question, w.lede,
               w.neighbour_coverage, w.coverage_x_prior)
    return sum(a * b for a, b in zip(weights, feats, strict=True)) + w.repetition * min(repeated, 6) / 6


def weight_vector(w: Weights = WEIGHTS) -> list[float]:
    """The weights in the order of a candidate's features (features() then repetition)."""
    return [w.coverage, w.rank_prior, w.novel_names, w.number_for_number_question, w.names_for_who_question, w.lede,
            w.neighbour_coverage, w.coverage_x_prior, w.repetition]


def quotable(sentence: str) -> bool:
    """A question ("A top chef banned which diners ...?", quoted from a quiz) or a dateline
    ("New York CNN Business —") never answers."""
    end = sentence.rstrip()[-1:]
    return end not in "?—–-:" if end else False


def answer_spans(phrases: tuple[Phrase, ...], counts: dict[str, int]) -> tuple[tuple[int, int], ...]:
    """The answer phrase to mark in a quote, when the reader can tell it: for a number or date
    question, the number/date that the most candidate sentences repeat (at least MARK_REPEATS),
    or the only one there is."""
    typed = [p for p in phrases if p.typed and p.kind != "name"]  # names: marks held the answer for only
    # 42% of dev answers (numbers 53%), so a name is never marked
    if not typed:
        return ()
    best = max(typed, key=lambda p: (counts.get(p.key, 0), -p.start))
    if counts.get(best.key, 0) >= MARK_REPEATS or len(typed) == 1:
        return ((best.start, best.end),)
    return ()


MARK_REPEATS = 2  # dev, numbers: 2 -> 18/34 marks hold the answer, 3 -> 17/34 (README "Answer quality")
