"""Fusion as pure functions; time expressions as date windows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from sitrep.retrieval.dates import parse_as_of, window
from sitrep.retrieval.errors import BadOption
from sitrep.retrieval.fusion import convex, ordered, rrf, union


def lists(*ranked: list[tuple[int, float]]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """(candidates, each list's positions in them, each list's scores) of (id, score) lists, best first."""
    ids, positions = union([np.array([i for i, _ in r], dtype=np.int64) for r in ranked])
    return ids, positions, [np.array([s for _, s in r], dtype=np.float32) for r in ranked]


def test_union_keeps_the_order_of_first_appearance() -> None:
    ids, positions = union([np.array([5, 2]), np.array([2, 9, 5]), np.array([], dtype=np.int64)])
    assert ids.tolist() == [5, 2, 9]
    assert [p.tolist() for p in positions] == [[0, 1], [1, 2, 0], []]
    ids, positions = union([])
    assert ids.tolist() == [] and positions == []


def test_rrf_known_values() -> None:
    ids, positions, _ = lists([(1, 9.0), (2, 5.0)], [(2, 0.9), (3, 0.8)])
    fused = dict(zip(ids.tolist(), rrf(positions, len(ids), k=60).tolist()))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61) and fused[3] == pytest.approx(1 / 62)
    assert [i for i, _ in ordered(ids, rrf(positions, len(ids), k=60))] == [2, 1, 3]


def test_rrf_weights_and_empty_lists() -> None:
    ids, positions, _ = lists([], [(7, 1.0)])
    assert rrf(positions, len(ids), weights=[1.0, 2.0]).tolist() == [pytest.approx(2 / 61)]
    assert rrf([], 0).tolist() == []


def test_convex_normalises_each_list() -> None:
    ids, positions, scores = lists([(1, 10.0), (2, 0.0)], [(2, 0.5), (1, 0.25)])
    fused = dict(zip(ids.tolist(), convex(positions, scores, [0.5, 0.5], len(ids)).tolist()))
    assert fused[1] == pytest.approx(0.5) and fused[2] == pytest.approx(0.5)
    ids, positions, scores = lists([(4, 3.0)])
    assert convex(positions, scores, [1.0], len(ids)).tolist() == [1.0]  # a single item scores as the best


def test_convex_max_keeps_close_scores_close() -> None:
    ids, positions, scores = lists([(1, 0.62), (2, 0.60)], [(2, 10.0), (1, 5.0)])
    fused = dict(zip(ids.tolist(), convex(positions, scores, [0.5, 0.5], len(ids), norm="max").tolist()))
    assert fused[1] == pytest.approx(0.5 + 0.25) and fused[2] == pytest.approx(0.5 * 0.60 / 0.62 + 0.5, rel=1e-6)


def test_ordered_breaks_ties_by_id() -> None:
    assert ordered(np.array([5, 3, 9]), np.array([1.0, 1.0, 2.0])) == [(9, 2.0), (3, 1.0), (5, 1.0)]


AS_OF = date(2022, 6, 16)


@pytest.mark.parametrize(
    ("question", "start", "end", "hint"),
    [
        ("What happened in 2020?", date(2020, 1, 1), date(2020, 12, 31), ""),
        ("Who won in December 2020?", date(2020, 12, 1), date(2020, 12, 31), ""),
        ("Which show was green lit this week?", None, AS_OF, "this week"),
        ("What did he say last week?", None, AS_OF, "last week"),
        ("Who resigned yesterday?", None, AS_OF, "yesterday"),
        ("What changed since 2021?", date(2021, 1, 1), AS_OF, ""),
        ("What did China propose to India?", None, AS_OF, ""),
        ("Which stores plan to merge in 2024?", None, AS_OF, ""),  # a future year is no filter
        # the news is this week's; March 2020 is background, not a filter
        ("Which country dropped this week the rules it set in March 2020?", None, AS_OF, "this week"),
    ],
)
def test_windows(question: str, start: date | None, end: date, hint: str) -> None:
    """Named dates filter (start..end); relative expressions are only a hint (no start) that
    switches the recency prior to its short half-life."""
    w = window(question, AS_OF)
    assert (w.start, w.end) == (start, end)
    assert w.hard == (not hint) and (not hint or w.reason == hint)


def test_relative_expressions_only_hint() -> None:
    assert window("Who resigned this week?", AS_OF).hard is False
    assert window("What happened in 2020?", AS_OF).hard is True


def test_bad_as_of() -> None:
    with pytest.raises(BadOption, match="use YYYY-MM-DD"):
        parse_as_of("next tuesday")
    assert parse_as_of("2020-01-02") == date(2020, 1, 2)
    assert parse_as_of(None, today=AS_OF) == AS_OF
