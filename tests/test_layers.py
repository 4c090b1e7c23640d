"""Data flows one way. Each package of sitrep/ may import only the packages below it; every module is
checked, every import in it (inside functions too, relative ones resolved), by its full dotted name.

    corpus  ->  feeds, index  ->  retrieval  ->  answer  ->  evaluation, follows  ->  app  ->  chat  ->  cli
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "sitrep"
BELOW: dict[str, set[str]] = {"corpus": set()}
BELOW["feeds"] = {"corpus"}
BELOW["index"] = {"corpus"}
BELOW["retrieval"] = {"index"} | BELOW["index"]
BELOW["answer"] = {"retrieval"} | BELOW["retrieval"]
BELOW["evaluation"] = {"answer"} | BELOW["answer"]
BELOW["follows"] = {"answer"} | BELOW["answer"]
BELOW["app"] = {"feeds", "evaluation", "follows"} | BELOW["evaluation"]
BELOW["chat"] = {"app"} | BELOW["app"]
BELOW["cli"] = {"chat"} | BELOW["chat"]
SHARED = {"errors", "records", "databases"}  # sitrep/errors.py: the root every package's errors derive from;
# records.py: quick_init; databases.py: what the SQLite stores share


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module this file imports, as full dotted names (relative imports resolved)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return {name for name in found if name == "sitrep" or name.startswith("sitrep.")}


def modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


def test_every_package_is_placed() -> None:
    folders = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(BELOW), f"a package the layer map does not place: {folders ^ set(BELOW)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_down(path: Path) -> None:
    parts = path.relative_to(PKG).parts
    own = parts[0] if len(parts) > 1 else None
    allowed = (BELOW[own] | {own} if own else set()) | SHARED
    for name in imports_of(path):
        target = name.split(".")[1] if "." in name else ""
        if target in ("", "__main__"):
            continue
        assert target in allowed, (
            f"{path.relative_to(ROOT)} imports {name}: {own} may import only {sorted(allowed)}")


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_backends_package_names_a_backend(path: Path) -> None:
    """Everything else opens a backend through BackendConfig: local and Milvus stay swappable."""
    if path.is_relative_to(PKG / "index" / "backends"):
        return
    for name in imports_of(path):
        assert not name.startswith(("sitrep.index.backends.local", "sitrep.index.backends.milvus")), (
            f"{path.relative_to(ROOT)} imports {name}: open a backend through sitrep.index.backends.BackendConfig")


def test_only_app_settings_reads_the_environment() -> None:
    for path in modules():
        if path == PKG / "app" / "settings.py":
            continue
        text = path.read_text("utf-8")
        assert "os.environ.get" not in text and "getenv" not in text and "os.environ[" not in text, path


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_long_module_says_why_at_its_top(path: Path) -> None:
    """Short modules; one that passes ~300 lines says at its top why it is one module."""
    lines = path.read_text("utf-8").count("\n")
    doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
    assert lines <= 320 or "Over 300 lines on purpose" in doc, f"{path.relative_to(ROOT)}: {lines} lines and no reason"
