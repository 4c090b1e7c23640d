"""Data flows one way: index -> retrieval -> bot. index imports nothing of ours but index."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"index": {"index"}, "retrieval": {"index", "retrieval"}, "bot": {"index", "retrieval", "bot"}}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layering(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        bad = imports_of(path) - ALLOWED[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_only_bot_reads_the_environment() -> None:
    for package in ("index", "retrieval"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text("utf-8")
            assert "os.environ.get" not in text and "getenv" not in text, path
