"""BM25 scores lent along the candidates' dense neighbourhood (retrieval/neighbours.py): the arithmetic, that
only the corpus shapes without dates use it, that a report after the question's day lends nothing, and
that both backends lend alike."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sitrep.index.backends import BackendConfig
from sitrep.index.build import update
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams
from sitrep.retrieval.neighbours import lend, neighbourhood
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder, target


def test_a_candidate_gains_its_near_neighbours_weighted_score() -> None:
    v = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0], [0.6, 0.8, 0.0]], dtype=np.float32)
    ids = np.array([10, 11, 12, 13])
    s = np.array([0.0, 2.0, 1.0, 4.0])
    hood = neighbourhood(ids, v, np.arange(4), count=2, cosine=0.5)
    got = lend(hood, ids, s, weight=0.1)
    # 10: neighbours 11 (cos .8) and 13 (cos .6): 0.1 x (.8 x 2 + .6 x 4) / 1.4
    assert got[0] == pytest.approx(0.1 * (0.8 * 2 + 0.6 * 4) / 1.4)
    # 11: neighbours 13 (cos .96) and 10 (cos .8), which scores 0 but still counts in the mean
    assert got[1] == pytest.approx(2 + 0.1 * (0.96 * 4 + 0.8 * 0) / 1.76)
    assert got[2] == 1.0  # no neighbour at cosine 0.5 or above: its own score
    assert got[3] == pytest.approx(4 + 0.1 * (0.96 * 2 + 0.6 * 0) / 1.56)
    assert lend(hood, ids, s, 0.0) is s and lend(hood, ids, np.zeros(4), 0.1).sum() == 0  # off; nothing to lend
    # the feedback's second list, in another order and with a candidate the neighbourhood has not seen (99):
    # the neighbourhood's candidates lend and gain as before, the new one neither
    again = lend(hood, np.array([13, 99, 11, 10]), np.array([4.0, 5.0, 2.0, 0.0]), weight=0.1)
    assert again == pytest.approx([got[3], 5.0, got[1], got[0]])
    single = neighbourhood(ids[:1], v[:1], np.arange(1), count=2, cosine=0.5)  # one candidate: nothing near it
    assert lend(single, ids[:1], s[:1] + 1, 0.1) == pytest.approx([1.0])
    # only the rows asked for gain (the first of each list); every candidate lends and counts as a neighbour
    some = neighbourhood(ids, v, np.array([0, 3]), count=2, cosine=0.5)
    assert lend(some, ids, s, 0.1) == pytest.approx([got[0], 2.0, 1.0, got[3]])


ROWS = [
    ("final", None, "The Avalanche won the Stanley Cup final against the Lightning in Tampa on Sunday night."),
    ("parade", None, "The Avalanche beat the Lightning in Tampa on Sunday night, and Denver fans partied."),
    ("exam", None, "The school published its exam timetable for the spring term."),
    ("fruit", None, "Bananas are a yellow fruit grown in warm countries."),
    ("rates", None, "The central bank raised interest rates by half a point."),
]


def _snippets(tmp_path: Path, kind: str, rows: list[tuple[str, str | None, str]] = ROWS) -> BackendConfig:
    """Undated one-passage articles: the story of the question told twice, once in the question's words
    and once in the same words but for the question's."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "snips.jsonl").write_text("".join(
        json.dumps({"id": i, "title": None, "body": body, "published_at": day}) + "\n" for i, day, body in rows))
    config = target(kind, tmp_path)
    update(corpus, config, FakeEncoder())
    return config


def _scores(data: object, params: RetrievalParams, q: Query) -> dict[str, float]:
    hits = HybridRetriever(data, FakeEncoder(), params).search(q).hits  # type: ignore[arg-type]
    return {h.article_id: h.score for h in hits}


def test_the_same_story_in_other_words_gains_from_its_neighbour(tmp_path: Path, backend_kind: str) -> None:
    data = _snippets(tmp_path, backend_kind).open()
    try:
        q = Query("Who won the Stanley Cup final?", k=5)
        off = _scores(data, RetrievalParams(expand_weight=0.0, neighbour_weight=0.0), q)
        on = _scores(data, RetrievalParams(expand_weight=0.0, neighbour_weight=0.1), q)
        assert max(on, key=on.__getitem__) == "final"
        assert on["parade"] > off["parade"]  # it holds none of the question's words; its neighbour does
        assert on["fruit"] == pytest.approx(off["fruit"])  # nothing like it scores in BM25
    finally:
        data.close()


def test_a_report_after_the_question_lends_nothing(tmp_path: Path) -> None:
    """The lenders are the question's own candidates, which passed its dates: "final", published after the
    question's day, is not one, so "parade" scores as if nothing were lent."""
    rows = [("final", "2026-06-01", ROWS[0][2]), *ROWS[1:]]
    data = _snippets(tmp_path, "local", rows).open()
    try:
        q = Query("Who won the Stanley Cup final?", k=5, as_of=date(2026, 5, 1))
        off = _scores(data, RetrievalParams(expand_weight=0.0, neighbour_weight=0.0), q)
        on = _scores(data, RetrievalParams(expand_weight=0.0, neighbour_weight=0.1), q)
        assert "final" not in on and on["parade"] == pytest.approx(off["parade"])
        later = replace(q, as_of=date(2026, 6, 2))  # asked after it, it lends
        assert (_scores(data, RetrievalParams(expand_weight=0.0, neighbour_weight=0.1), later)["parade"]
                > _scores(data, RetrievalParams(expand_weight=0.0, neighbour_weight=0.0), later)["parade"])
    finally:
        data.close()


def test_local_and_milvus_lend_alike(tmp_path: Path) -> None:
    got = {}
    for kind in ("local", "milvus"):
        (tmp_path / kind).mkdir()
        data = _snippets(tmp_path / kind, kind).open()
        try:
            hits = HybridRetriever(data, FakeEncoder(), RetrievalParams(neighbour_weight=0.1)).search(
                Query("Who won the Stanley Cup final in Tampa?", k=5)).hits
            got[kind] = [(h.article_id, h.rank_bm25, h.rank_dense) for h in hits], [h.score for h in hits]
        finally:
            data.close()
    assert got["local"][0] == got["milvus"][0]
    np.testing.assert_allclose(got["local"][1], got["milvus"][1], rtol=1e-4)
