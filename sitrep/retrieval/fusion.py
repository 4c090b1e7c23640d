"""Fusing ranked lists: pure functions over (passage, score) lists, best first."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

Ranked = Sequence[tuple[int, float]]


def rrf(lists: Sequence[Ranked], k: float = 60.0, weights: Sequence[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: sum of w / (k + rank) over the lists an item appears in."""
    weights = weights or [1.0] * len(lists)
    fused: dict[int, float] = {}
    for ranked, w in zip(lists, weights):
        for rank, (item, _) in enumerate(ranked, start=1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return fused


def convex(lists: Sequence[Ranked], weights: Sequence[float], norm: str = "minmax") -> dict[int, float]:
    """Weighted sum of normalised scores; an item missing from a list gets 0 there. norm: "minmax"
    (each list onto 0..1 over its own range) or "max" (each score over the list's best: a list whose
    scores are close together stays close, as cosines do)."""
    fused: dict[int, float] = {}
    for ranked, w in zip(lists, weights):
        if not ranked:
            continue
        items, scores = zip(*ranked)
        hi = max(scores)
        lo = min(scores) if norm == "minmax" else 0.0
        span = hi - lo
        values = [w * ((s - lo) / span) for s in scores] if span > 0 else [w * 1.0] * len(scores)
        get = fused.get
        for item, v in zip(items, values):
            fused[item] = get(item, 0.0) + v
    return fused


def ordered(fused: dict[int, float]) -> list[tuple[int, float]]:
    """Best first; ties broken by item id so results are deterministic."""
    by_id = sorted(fused.items(), key=itemgetter(0))
    return sorted(by_id, key=itemgetter(1), reverse=True)  # stable, reverse included: a tie keeps id order
