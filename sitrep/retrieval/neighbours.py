"""BM25 scores lent along the candidates' dense neighbourhood (score regularisation, Diaz 2005).

A 60-word snippet that tells the story in other words than the question's scores little in BM25, while
the passages most like it in meaning, which do use the question's words, score well. Each candidate of
a question (the union of its BM25 and vector lists) gains `weight` x the mean BM25 score of its `count`
most similar candidates, each neighbour weighed by its cosine and counted only at `cosine` or above:

    s'(d) = s(d) + weight * sum_n cos(d, n) * s(n) / sum_n cos(d, n)

Only the question's own candidates lend: they already passed its filters (its dates, its source), so a
report published after the question's day never lends its words to an older one, and both backends do
the same with the vectors the candidates' rows carry (no new call, no index change). The neighbourhood
is made once a question, in its first fusion; the feedback's second fusion lends along it. Measured on
the corpus shapes without dates (docs/evaluation.md "Corpus shapes"), weight 0.1: every cell of
snippets, bare, syndicated and undated up or equal (undated's MRR@10 0.693 -> 0.701), one issue-20 target
cell fewer missed; on the dated dev set it lowered MRR@10, so it is used only where the fusion is the
undated one. In a snippet collection only the best 30 candidates of the fusion without it may gain
(all of them where articles have several passages): the same rankings as all, at a fifth of the matrix
product. It still costs ~0.45-0.53 ms a question (the candidates' vectors gathered, one small matrix
product, a plain fusion to choose those that gain), which put `ask` under 2x txtai's speed where it was
only ~2x (snippets, bare), so it was off; since questions run on the int8 graph (index/quantize.py) `ask`
is 2.1-2.3x there with it on, and it is on (RetrievalParams.neighbour_weight; SITREP_NEIGHBOUR_WEIGHT=0
turns it off).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Neighbourhood:
    """The candidates (passage ids), those that may gain (`rows`: positions among them) and, row by row, each
    one's neighbours' cosines (its `count` most similar other candidates at `cosine` or above; 0 elsewhere)
    and their sum (`total`; 1 where there are none)."""

    ids: np.ndarray
    rows: np.ndarray
    weights: np.ndarray
    total: np.ndarray


def neighbourhood(ids: np.ndarray, vectors: np.ndarray, rows: np.ndarray, count: int, cosine: float) -> Neighbourhood:
    """The neighbours of the candidates at `rows`, sought among all `ids` (row-aligned with `vectors`)."""
    n = len(ids)
    vectors = np.asarray(vectors, dtype=np.float32)
    sims = vectors[rows] @ vectors.T
    sims[np.arange(len(rows)), rows] = 0.0  # not its own neighbour
    k = min(count, n - 1)
    # each row's k-th highest similarity (a partition of the values, not of their positions): the neighbours
    # are those at or above it and at `cosine` or above
    floor = np.partition(sims, n - k, axis=1)[:, n - k] if k > 0 else np.full(len(rows), np.inf, np.float32)
    np.maximum(floor, cosine, out=floor)
    sims *= sims >= floor[:, None]
    total = sims.sum(axis=1)
    total[total == 0] = 1.0
    return Neighbourhood(np.asarray(ids, dtype=np.int64), np.asarray(rows, dtype=np.int64), sims, total)


def lend(hood: Neighbourhood, ids: np.ndarray, scores: np.ndarray, weight: float) -> np.ndarray:
    """`scores` (row-aligned with `ids`; 0 where the BM25 list missed a candidate) plus `weight` x the weighted
    mean score of each neighbourhood row's neighbours. Candidates outside the neighbourhood (the feedback's
    second search may bring new ones) neither lend nor gain."""
    if weight <= 0 or not len(hood.rows) or not scores.any():
        return scores
    out = np.array(scores, dtype=np.float64)
    if ids is hood.ids or (len(ids) == len(hood.ids) and np.array_equal(ids, hood.ids)):
        out[hood.rows] += weight * (hood.weights @ scores.astype(np.float32, copy=False)) / hood.total
        return out
    order = np.argsort(ids, kind="stable")
    place = np.minimum(np.searchsorted(ids, hood.ids, sorter=order), len(ids) - 1)
    here = np.where(ids[order[place]] == hood.ids, order[place], -1)  # each candidate's place in `ids`, or -1
    inside = here >= 0
    s = np.zeros(len(hood.ids), dtype=np.float32)
    s[inside] = scores[here[inside]]
    gained = here[hood.rows]
    keep = gained >= 0
    out[gained[keep]] += weight * ((hood.weights @ s) / hood.total)[keep]
    return out
