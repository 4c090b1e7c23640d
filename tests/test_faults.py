"""kill -9 of a writer at a random moment, on both backends: the index loads and answers after the kill,
and the next update repairs it to equal a clean build (benchmarks/bench_faults.py runs 20 a backend).
Slow: each trial starts a writer process."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from benchmarks.bench_faults import measure, trial

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("kind", ["local", "milvus"])
def test_random_kills_are_survived_and_repaired(kind: str, tmp_path: Path) -> None:
    window, clean = measure(kind, tmp_path / "clean")
    rng = random.Random(7)
    for i, action in enumerate(("build", "update")):
        row = trial(kind, action, tmp_path / f"t{i}", rng.uniform(0.1, 0.9) * window, clean)
        assert row["loads_after_kill"] and row["equal_to_clean_build_after_repair"], row
