"""Every benchmark and tuning script still imports (they are run by `make bench`, not by the tests,
so a moved module would otherwise go unnoticed until the next benchmark run)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_the_script_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # the scripts import each other (shapes, tune_retrieval)
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # runs the imports; main() only runs under __main__
    if '__name__ == "__main__"' in path.read_text("utf-8"):  # a script, not a helper (shapes.py, trees.py)
        assert callable(getattr(module, "main", None)), f"{path.name} has no main()"
