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


# The commits the before/after benchmarks check out beside this tree (bench_conversation, bench_reader,
# bench_backends): the code run there must import that tree's modules, whichever layout it has.
COMPARED = ("a30b94b", "85eadeb", "ff453b8")


def test_code_run_in_a_compared_tree_imports_that_trees_engine(tmp_path: Path) -> None:
    import subprocess

    sys.path.insert(0, str(BENCH))
    try:
        import trees
    finally:
        sys.path.remove(str(BENCH))
    here = subprocess.run(["git", "-C", str(BENCH.parent), "cat-file", "-e", f"{COMPARED[0]}^{{commit}}"],
                          capture_output=True)
    if here.returncode != 0:
        pytest.skip("a shallow clone: the compared commits are not in its history")
    code = trees.IMPORTS + 'print(json.dumps({"imported": evaluate.__file__, "engine": Engine.__module__}))'
    for commit in COMPARED:
        with trees.worktree(commit) as old:
            result = trees.run_in(old, code)  # raises when the tree's own code was not what was imported
            assert result["imported"].startswith(str(old)) and result["engine"] == "retrieval.engine"
    result = trees.run_in(BENCH.parent, code)
    assert result["engine"] == "sitrep.answer.engine"
