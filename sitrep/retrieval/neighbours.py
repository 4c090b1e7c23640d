"""BM25 scores lent along the candidates' dense neighbourhood (score regularisation, Diaz 2005).

A 60-word snippet that tells the story in other words than the question's scores little in BM25, while
the passages most like it in meaning, which do use the question's words, score well. Each candidate of
a question (the union of its BM25 and vector lists) gains `weight` x the mean BM25 score of its `count`
most similar candidates, each neighbour weighed by its cosine and counted only at `cosine` or above:

    s'(d) = s(d) + weight * sum_n cos(d, n) * s(n) / sum_n cos(d, n)

Only the question's own candidates lend: they already passed its filters (its dates, its source), so a
report published after the question's day never lends its words to an older one, and both backends do
the same with the vectors the candidates' rows carry (no new call, no index change). Measured on the
corpus shapes without dates (docs/evaluation.md "Corpus shapes"), weight 0.1: every cell of snippets,
bare and syndicated up or equal, undated's MRR@10 0.693 -> 0.702 (its older half's recall@10 0.919 ->
0.911); on the dated dev set it lowered MRR@10, so it is used only where the fusion is the undated one.
It costs ~0.5 ms a question (the candidates' similarities: small matrix products run far below the
machine's peak), which put `ask` at 2x txtai's speed on the line, so it is off by default
(RetrievalParams.neighbour_weight; SITREP_NEIGHBOUR_WEIGHT=0.1 turns it on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Neighbourhood:
    """The candidates (passage ids), those that may gain (`rows`: positions among them) and, row by row, each
    one's neighbours' weights: its `count` most similar other candidates at `cosine` or above, each weighed
    by its cosine over their sum (a row of zeros: none)."""

    ids: np.ndarray
    rows: np.ndarray
    weights: np.ndarray


def neighbourhood(ids: np.ndarray, vectors: np.ndarray, rows: np.ndarray, count: int, cosine: float) -> Neighbourhood:
    """The neighbours of the candidates at `rows`, sought among all `ids` (row-aligned with `vectors`)."""
    n = len(ids)
    v = np.asarray(vectors, dtype=np.float32)
    sims = v[rows] @ v.T
    sims[np.arange(len(rows)), rows] = -1.0  # not its own neighbour
    k = min(count, n - 1)
    sims *= sims >= cosine
    if k > 0:
        # where a row has more than k neighbours at `cosine` or above, only its k most similar count: the
        # k-th highest similarity of those rows alone (a partition of the values, not of their positions)
        crowded = np.flatnonzero(np.count_nonzero(sims, axis=1) > k)
        if len(crowded):
            block = sims[crowded]
            kth = np.partition(block, n - k, axis=1)[:, n - k]
            block *= block >= kth[:, None]
            sims[crowded] = block
    else:
        sims[:] = 0.0
    total = sims.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    sims /= total
    return Neighbourhood(np.asarray(ids, dtype=np.int64), np.asarray(rows, dtype=np.int64), sims)


def lend(hood: Neighbourhood, ids: np.ndarray, scores: np.ndarray, weight: float) -> np.ndarray:
    """`scores` (row-aligned with `ids`; 0 where the BM25 list missed a candidate) plus `weight` x the weighted
    mean score of each neighbourhood row's neighbours. Candidates outside the neighbourhood (the feedback's
    second search may bring new ones) neither lend nor gain."""
    if weight <= 0 or not len(hood.rows) or not scores.any():
        return scores
    out = np.array(scores, dtype=np.float64)
    if len(ids) == len(hood.ids) and np.array_equal(ids, hood.ids):
        out[hood.rows] += weight * (hood.weights @ scores.astype(np.float32))
        return out
    at = {int(i): j for j, i in enumerate(ids.tolist())}
    here = np.array([at.get(i, -1) for i in hood.ids.tolist()], dtype=np.int64)  # each candidate's place in `ids`
    inside = here >= 0
    s = np.zeros(len(hood.ids), dtype=np.float32)
    s[inside] = scores[here[inside]]
    gained = here[hood.rows]
    keep = gained >= 0
    out[gained[keep]] += weight * (hood.weights @ s)[keep]
    return out
