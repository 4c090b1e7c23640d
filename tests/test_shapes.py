"""benchmarks/shapes.py derives the corpus shapes the dev set does not have (issue 20): checked on a tiny
stand-in for the dev set, so the shapes the peers are compared on are what their docstring says."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture()
def shapes(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(BENCH))
    monkeypatch.delitem(sys.modules, "shapes", raising=False)
    import shapes as module

    return module


def _dev(tmp_path: Path, shapes) -> tuple[Path, list[str]]:  # type: ignore[no-untyped-def]
    dev = tmp_path / "dev"
    dev.mkdir()
    ids = [f"rtqa-{i:04d}" for i in range(12)]
    body = " ".join(f"w{j}" for j in range(100))
    with gzip.open(dev / "corpus.jsonl.gz", "wt", encoding="utf-8") as f:
        for i, aid in enumerate(ids):
            f.write(json.dumps({"id": aid, "title": f"Title {i}", "source": "cnn.com", "published_at": "2022-06-01",
                                "url": f"https://cnn.com/2022/06/01/story-{i}/", "body": body if i else "too short"}) + "\n")
    (dev / "queries.jsonl").write_text("".join(json.dumps({"id": str(i), "question": f"q{i}", "gold_article_ids": [aid]}) + "\n"
                                               for i, aid in enumerate(ids)), encoding="utf-8")
    (dev / "queries_null.jsonl").write_text("", encoding="utf-8")
    return dev, ids


def _read(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_snippets_are_one_untitled_undated_passage_of_60_words(tmp_path: Path, shapes) -> None:  # type: ignore[no-untyped-def]
    dev, ids = _dev(tmp_path, shapes)
    out = shapes.folder("snippets", dev, tmp_path / "shapes")
    articles = _read(out / "corpus.jsonl")
    assert [a["id"] for a in articles] == ids
    assert all(a["title"] is None and a["published_at"] is None for a in articles)
    assert articles[1]["body"].split() == [f"w{j}" for j in range(60)]


def test_bare_snippets_have_no_url_either(tmp_path: Path, shapes) -> None:  # type: ignore[no-untyped-def]
    dev, ids = _dev(tmp_path, shapes)
    articles = _read(shapes.folder("bare", dev, tmp_path / "shapes") / "corpus.jsonl")
    assert [a["id"] for a in articles] == ids
    assert all(a["url"] is None and a["title"] is None and a["published_at"] is None for a in articles)
    assert articles[1]["body"].split() == [f"w{j}" for j in range(60)]


def test_syndicated_adds_a_second_outlets_copy_of_every_other_story_gold_with_its_original(
        tmp_path: Path, shapes) -> None:  # type: ignore[no-untyped-def]
    dev, ids = _dev(tmp_path, shapes)
    out = shapes.folder("syndicated", dev, tmp_path / "shapes")
    articles = {a["id"]: a for a in _read(out / "corpus.jsonl")}
    copied = [aid for aid in ids[1:] if shapes.has_copy(aid)]  # the first article is too short to copy
    assert 0 < len(copied) < len(ids) - 1  # every other story, by a hash of its id
    assert set(articles) == set(ids) | {shapes.copy_id(a) for a in copied}
    copy = articles[shapes.copy_id(copied[0])]
    n = copied[0].split("-")[1].lstrip("0") or "0"
    assert copy["source"] == shapes.COPY_SOURCE and copy["url"] == f"https://{shapes.COPY_SOURCE}/story-{n}"
    assert copy["body"].split() == [f"w{j}" for j in range(5, 65)] and copy["title"] is None
    gold = {q["id"]: q["gold_article_ids"] for q in _read(out / "queries.jsonl")}
    for i, aid in enumerate(ids):
        assert gold[str(i)] == ([aid, shapes.copy_id(aid)] if aid in copied else [aid])
    assert shapes.folder("syndicated", dev, tmp_path / "shapes") == out  # derived once, then reused
