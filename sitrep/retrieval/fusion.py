"""Fusing ranked lists: pure functions over arrays. The candidates of all lists are one array of passage
ids (`union`); each list is its positions in that array, best first, and its scores; a fused score is one
float per candidate. Every step after the searches works on these arrays, so a question's few hundred
candidates cost a few numpy calls, not a Python loop each."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def union(id_lists: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The ids of all lists, each once, in order of first appearance; and each list's positions in it.
    A dict walk, not np.unique: for two lists of 100-200 ids it is as fast warm and 2.5x faster on the
    cold caches a question's embedding leaves (measured: 65 / 68 µs warm, 148 / 364 µs cold)."""
    lists = [np.asarray(x, dtype=np.int64).tolist() for x in id_lists]
    at: dict[int, int] = {}
    for ids in lists:
        for i in ids:
            if i not in at:
                at[i] = len(at)
    return (np.fromiter(at, dtype=np.int64, count=len(at)),
            [np.fromiter(map(at.__getitem__, ids), dtype=np.int64, count=len(ids)) for ids in lists])


def rrf(positions: Sequence[np.ndarray], n: int, k: float = 60.0, weights: Sequence[float] | None = None) -> np.ndarray:
    """Reciprocal rank fusion: sum of w / (k + rank) over the lists a candidate appears in."""
    fused = np.zeros(n)
    for pos, w in zip(positions, weights or [1.0] * len(positions)):
        np.add.at(fused, pos, w / (k + np.arange(1, len(pos) + 1)))
    return fused


def convex(positions: Sequence[np.ndarray], scores: Sequence[np.ndarray], weights: Sequence[float], n: int,
           norm: str = "minmax") -> np.ndarray:
    """Weighted sum of normalised scores; a candidate missing from a list gets 0 there. norm: "minmax"
    (each list onto 0..1 over its own range) or "max" (each score over the list's best: a list whose
    scores are close together stays close, as cosines do)."""
    fused = np.zeros(n)
    for pos, s, w in zip(positions, scores, weights):
        if not len(pos):
            continue
        s = np.asarray(s, dtype=np.float64)
        hi = s.max()
        lo = s.min() if norm == "minmax" else 0.0
        span = hi - lo
        np.add.at(fused, pos, w * ((s - lo) / span) if span > 0 else np.full(len(s), w * 1.0))
    return fused


def ordered(ids: np.ndarray, fused: np.ndarray) -> list[tuple[int, float]]:
    """(id, score), best first; ties broken by id so results are deterministic."""
    order = np.lexsort((ids, -fused))
    return list(zip(ids[order].tolist(), fused[order].tolist()))
