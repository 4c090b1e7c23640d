"""The question-by-question comparison the shape sweep and the peer comparison print (benchmarks/questions.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def tune(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(BENCH))
    import questions

    yield questions
    sys.modules.pop("questions", None)


def test_sign_test_known_values(tune) -> None:  # type: ignore[no-untyped-def]
    assert tune.sign_test(0, 0) == 1.0
    assert tune.sign_test(5, 5) == 1.0
    assert tune.sign_test(10, 0) == pytest.approx(2 / 1024)
    assert tune.sign_test(0, 10) == pytest.approx(2 / 1024)
    assert tune.sign_test(9, 1) == pytest.approx(2 * 11 / 1024)
    assert tune.sign_test(31, 28) > 0.7  # this session's coherence-gated feedback: a coin flip


def test_question_changes_counts_recall_then_reciprocal_rank(tune) -> None:  # type: ignore[no-untyped-def]
    base = [(1.0, 1.0), (1.0, 0.5), (0.0, 0.0), (0.5, 0.2), (1.0, 0.25)]
    now = [(1.0, 1.0), (1.0, 1.0), (1.0, 0.1), (0.5, 0.1), (0.5, 1.0)]
    assert tune.question_changes(base, now) == (2, 2)  # q2 and q3 up; q4 down, q5 loses a gold in the top 10


def test_per_question_matches_the_metric(tune) -> None:  # type: ignore[no-untyped-def]
    assert tune.per_question(["a", "b", "c"], ("c", "z")) == (0.5, pytest.approx(1 / 3, abs=1e-4))
    assert tune.per_question([], ("a",)) == (0.0, 0.0)
