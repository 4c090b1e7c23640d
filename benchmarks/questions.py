"""Comparing two rankers question by question: a mean over 135 questions moves with a few large swings (one
gold from rank 3 to rank 1 is +0.0049 of MRR@10 on a half), so the sweeps and the peer comparison also count
the questions each ranks better, with a sign test. A helper of tune_retrieval.py and bench_peers.py."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sitrep.evaluation import evaluate  # noqa: E402


def per_question(ranking: Sequence[str], gold: Sequence[str]) -> tuple[float, float]:
    """(recall@10, reciprocal rank within 10) of one question, as evaluate.retrieval_metrics counts them."""
    m = evaluate.retrieval_metrics([ranking], [gold])
    return m["recall@10"], m["mrr@10"]


def sign_test(better: int, worse: int) -> float:
    """Two-sided exact sign test: how likely a split at least this uneven is when a change helps and hurts
    a question equally often (questions it leaves alone do not count)."""
    from math import comb

    n = better + worse
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(better, worse) + 1)) / 2**n
    return min(1.0, 2 * tail)


def question_changes(base: list[tuple[float, float]], now: list[tuple[float, float]]) -> tuple[int, int]:
    """Questions a setting ranks better and worse than the defaults: recall@10 first, then the reciprocal
    rank. A few large swings can move a mean while as many questions lose as gain; this counts them."""
    better = sum(1 for b, n in zip(base, now) if n > b)
    worse = sum(1 for b, n in zip(base, now) if n < b)
    return better, worse
