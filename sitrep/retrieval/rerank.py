"""The first hits re-ordered by the question's own words: its exact word forms, and its adjacent word
pairs, that each passage holds.

BM25 over stems finds more than a BM25 over exact forms, and a BM25 over exact forms puts its first hit
right more often (measured against txtai, docs/evaluation.md "Corpus shapes"). This keeps the stems'
list and re-orders only its first `depth` hits, so which passages are in the first ten does not change
(recall@10 holds by construction). Each hit gains, over the best of the ten:

- exact: the idf of each question word whose exact form the passage's indexed text holds ("resignation",
  not only "resign");
- pairs: the idf of both words of each pair of the question's adjacent stems that stand adjacent in the
  passage too ("stanley cup", "student loan"), stopwords left out as the index leaves them out.

Nothing is looked up beyond the passages' text: the idf is the stems' own (TermWeights). Used where
the lists are fused without dates (RetrievalParams.exact_weight, pair_weight); measured on the four
shapes that take that path, it raised MRR@10 on both halves of the time split on each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sitrep.index import lexicon
from sitrep.index.lexicon import BM25Settings
from sitrep.records import quick_init
from sitrep.retrieval.readings import Reading


@quick_init
@dataclass(frozen=True)
class Matchable:
    """What the re-ranking reads of a passage's indexed text: its word forms and its adjacent stem pairs."""

    forms: frozenset[str]
    pairs: frozenset[str]  # "first second": strings, not tuples, so the many kept per passage cost the
    # garbage collector nothing (it tracks tuples, not strings)


def words(text: str, settings: BM25Settings) -> tuple[list[str], list[str]]:
    """(exact forms, stems) of a text's index words, stopwords dropped, as the index analyses it."""
    exact, stems = lexicon.analyse([text], settings)
    return exact[0], stems[0]


def matchable(texts: Sequence[str], settings: BM25Settings) -> list[Matchable]:
    forms, stems = lexicon.analyse(texts, settings)
    return [Matchable(frozenset(f), frozenset(map(" ".join, zip(s, s[1:])))) for f, s in zip(forms, stems)]


def of_reading(reading: Reading, with_title: bool) -> Matchable:
    """What `matchable` reads of a passage's indexed text (its title first when `with_title`), from the
    passage as already read (retrieval/readings.py): the same words and pairs, without analysing again."""
    if with_title:
        return Matchable(reading.titled_words, reading.titled_term_pairs)
    return Matchable(reading.all_words, reading.term_pairs)


def word_match(ranked: Sequence[tuple[int, float]], passages: dict[int, Matchable], question: str,
               idf: Callable[[str], float], settings: BM25Settings, depth: int, exact_weight: float,
               pair_weight: float, analysed: tuple[list[str], list[str]] | None = None) -> list[tuple[int, float]]:
    """`ranked` (passage, fused score), best first, with its first `depth` re-ordered by fused score over
    the best's + exact_weight x exact-form match + pair_weight x word-pair match (each over the best of
    the `depth`); their scores become that sum times the best fused score, so the list stays best first.
    `passages`: at least the first `depth` passages, read (`matchable`) from their indexed text;
    `analysed`: the question's `words`, when already analysed."""
    top = list(ranked[:depth])
    best = top[0][1] if top else 0.0
    if len(top) < 2 or best <= 0 or (exact_weight <= 0 and pair_weight <= 0):
        return list(ranked)
    q_exact, q_stems = analysed if analysed is not None else words(question, settings)
    weight = {s: idf(s) for s in set(q_stems)}
    q_pairs = set(zip(q_stems, q_stems[1:]))
    exact, pairs = [], []
    for i, _ in top:
        p = passages[i]
        exact.append(sum([weight[s] for w, s in zip(q_exact, q_stems) if w in p.forms]))
        pairs.append(sum([weight[a] + weight[b] for a, b in q_pairs if f"{a} {b}" in p.pairs]))
    top_exact, top_pairs = max(exact), max(pairs)
    scored = []
    for (i, s), e, pr in zip(top, exact, pairs):
        total = s / best
        total += exact_weight * e / top_exact if top_exact > 0 else 0.0
        total += pair_weight * pr / top_pairs if top_pairs > 0 else 0.0
        scored.append((i, total * best))
    scored.sort(key=lambda kv: -kv[1])  # stable: a tie keeps the fused order
    return scored + list(ranked[depth:])
