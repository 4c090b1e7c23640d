"""Measuring this tree against an earlier commit in one run: the commit checked out beside it (a git
worktree), and the same measuring code run in each tree's own process, alternated."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """`commit` checked out in a temporary folder (removed afterwards)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True,
                       capture_output=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False,
                           capture_output=True)


# The start of code run in a tree: the engine's modules imported from the tree, in either layout. The commits
# compared against predate the layout by job (0b4bbb6), whose packages were top-level (index/, retrieval/);
# from there the tree's working directory comes first on sys.path, so its own code is what is imported.
IMPORTS = r"""
import json, sys, time
import numpy as np
from pathlib import Path
if Path("sitrep").is_dir():
    from sitrep.index.embedding import query_encoder
    from sitrep.evaluation import evaluate
    from sitrep.answer.engine import Engine
    from sitrep.retrieval.types import Query
else:
    from index.embedding import query_encoder
    from retrieval import evaluate
    from retrieval.engine import Engine
    from retrieval.types import Query
"""


def run_in(tree: Path, code: str, *args: str) -> dict:
    """Run `code` (python source printing one JSON line last) with `tree`'s own packages first on the
    path; its last output line, parsed. Checks the tree's code is what was imported."""
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=tree, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    imported = result.get("imported", "")
    if imported and str(tree) not in imported:
        raise RuntimeError(f"{tree} did not import its own code: {imported}")
    return result
