"""Pseudo-relevance feedback (retrieval/feedback.py): which words go back into the BM25 search, how
they are weighed, and that both backends weigh a repeated term alike."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sitrep.answer.engine import Engine
from sitrep.index.backends import BackendConfig
from sitrep.index.build import update
from sitrep.retrieval.feedback import STEPS, expansion, weighted_query
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder, target


def test_expansion_weighs_share_rank_and_rarity_and_leaves_out_the_question() -> None:
    idf = {"cup": 1.0, "stanley": 1.0, "avalanch": 2.0, "tampa": 2.0, "said": 0.1, "lightn": 2.0}.__getitem__
    fed = [(["stanley", "cup", "avalanch", "tampa"], 3.0),  # the best hit: three quarters of the weight
           (["cup", "lightn"], 1.0),
           (["said", "said"], 0.0)]  # a passage with no score gives nothing
    got = dict(expansion(fed, {"stanley", "cup"}, idf, n_terms=5))
    assert set(got) == {"avalanch", "tampa", "lightn"}  # the question's own terms left out
    assert sum(got.values()) == pytest.approx(1.0)
    # avalanch: 0.75 / 4 x 2 = 0.375; lightn: 0.25 / 2 x 2 = 0.25
    assert got["avalanch"] == pytest.approx(got["tampa"]) and got["avalanch"] / got["lightn"] == pytest.approx(1.5)
    assert [t for t, _ in expansion(fed, {"stanley", "cup"}, idf, n_terms=1)] == ["avalanch"]  # ties by the term
    assert expansion([], set(), idf, 5) == [] and expansion(fed, set(), idf, 0) == []


def test_weighted_query_repeats_terms_by_weight() -> None:
    q = weighted_query(["fed", "rate"], [("inflat", 0.75), ("powel", 0.25), ("minor", 0.01)], weight=0.5)
    # the question's terms STEPS times each; the added ones share 0.5 x 2 question terms' worth
    assert q.count("fed") == q.count("rate") == STEPS
    assert q.count("inflat") == round(STEPS * 0.5 * 2 * 0.75) and q.count("powel") == round(STEPS * 0.5 * 2 * 0.25)
    assert "minor" not in q  # rounds to no copy
    assert weighted_query(["fed"], [], 0.4) == ["fed"] * STEPS


def test_a_repeated_term_weighs_as_many_times_on_every_backend(seed_target: BackendConfig) -> None:
    backend = seed_target.open()
    try:
        once = {i: s for i, s in backend.lexical([["india", "china"]], 50, [None])[0].pairs()}
        china = {i: s for i, s in backend.lexical([["china"]], 50, [None])[0].pairs()}
        twice = {i: s for i, s in backend.lexical([["india", "china", "china"]], 50, [None])[0].pairs()}
        assert set(twice) == set(once)
        for i, s in twice.items():
            assert s == pytest.approx(once[i] + china.get(i, 0.0), rel=1e-4)
    finally:
        backend.close()


def _snippets(tmp_path: Path, kind: str) -> BackendConfig:
    """Undated one-passage articles: the story of the question told twice, once in the question's words
    and once in other words only the first shares."""
    rows = [
        ("final", "The Avalanche won the Stanley Cup final against the Lightning in Tampa on Sunday."),
        ("parade", "Fans of the Avalanche lined Denver streets as Lightning fans left Tampa quietly."),
        ("exam", "The school published its final exam timetable for the spring term."),
        ("fruit", "Bananas are a yellow fruit grown in warm countries."),
        ("rates", "The central bank raised interest rates by half a point."),
    ]
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "snips.jsonl").write_text("".join(
        json.dumps({"id": i, "title": None, "body": body, "published_at": None}) + "\n" for i, body in rows))
    config = target(kind, tmp_path)
    update(corpus, config, FakeEncoder())
    return config


def test_the_best_hits_words_bring_in_the_same_story_told_otherwise(tmp_path: Path, backend_kind: str) -> None:
    data, enc = _snippets(tmp_path, backend_kind).open(), FakeEncoder()
    try:
        q = Query("Who won the Stanley Cup final?", k=5)
        plain = HybridRetriever(data, enc, RetrievalParams(expand_weight=0.0)).search(q).hits
        fed = HybridRetriever(data, enc, RetrievalParams(expand_feedback=1)).search(q).hits  # the first hit's words
        assert fed[0].article_id == plain[0].article_id == "final"  # the first hit chose the words: it stays first
        parade = next(h for h in fed if h.article_id == "parade")
        assert parade.rank_bm25 is not None  # found by BM25 through the words it shares with the first hit...
        assert next(h for h in plain if h.article_id == "parade").rank_bm25 is None  # ... which it could not before
        assert parade.score > next(h.score for h in plain if h.article_id == "parade")  # ... and it rose
        assert "rates" in {h.article_id for h in fed if h.rank_bm25 is None}  # another story's words were not added
        assert [h.score for h in fed] == sorted((h.score for h in fed), reverse=True)
    finally:
        data.close()


def test_dated_corpora_are_not_expanded_unless_asked(seed_target: BackendConfig) -> None:
    q = Query("India US defence cooperation", k=8, as_of=date(2026, 11, 22))
    engine = Engine.open(seed_target, FakeEncoder(), today=lambda: date(2026, 11, 22))
    default = [(h.passage, h.score) for h in engine.search(q).hits]
    engine.retriever.params = replace(RetrievalParams(), expand_weight=0.0)
    assert [(h.passage, h.score) for h in engine.search(q).hits] == default
    engine.retriever.params = replace(RetrievalParams(), neighbour_weight=0.1)  # nor do neighbours lend scores there
    assert [(h.passage, h.score) for h in engine.search(q).hits] == default
    engine.retriever.params = replace(RetrievalParams(), expand_dated=True)
    widened = engine.search(q).hits
    assert widened[0].passage == default[0][0] and np.all(np.diff([h.score for h in widened]) <= 0)


def test_snippet_collections_take_as_many_articles_not_passages(tmp_path: Path, seed_target: BackendConfig) -> None:
    """Each list is cut at `candidates` passages, or at `snippet_candidates` where articles are one passage
    each (about as many articles' worth as the dev set's 200 passages)."""
    enc = FakeEncoder()
    snippets = _snippets(tmp_path, "local").open()
    seeds = seed_target.open()
    try:
        params = RetrievalParams(candidates=200, snippet_candidates=3)
        one, long = HybridRetriever(snippets, enc, params), HybridRetriever(seeds, enc, params)
        assert (one.multi_passage, one.depth) == (False, 3)
        assert (long.multi_passage, long.depth) == (True, 200)
        hits = one.search(Query("Avalanche Lightning Tampa Denver fans", k=5, mode="bm25")).hits
        assert 0 < len(hits) <= 3  # the BM25 list was cut at three
    finally:
        snippets.close()
        seeds.close()


def test_local_and_milvus_feed_back_the_same_words_and_rank_alike(tmp_path: Path) -> None:
    """The weighted second search is a plain BM25 search with repeated terms on both backends: the same
    hits, in the same order, with the same BM25 ranks (scores within float error)."""
    enc = FakeEncoder()
    got = {}
    for kind in ("local", "milvus"):
        (tmp_path / kind).mkdir()
        data = _snippets(tmp_path / kind, kind).open()
        try:
            hits = HybridRetriever(data, enc, RetrievalParams(expand_feedback=2)).search(
                Query("Who won the Stanley Cup final in Tampa?", k=5)).hits
            got[kind] = [(h.article_id, h.rank_bm25, h.rank_dense) for h in hits], [h.score for h in hits]
        finally:
            data.close()
    assert got["local"][0] == got["milvus"][0]
    assert any(a == "parade" and bm is not None for a, bm, _ in got["local"][0])  # brought in by the fed-back words
    np.testing.assert_allclose(got["local"][1], got["milvus"][1], rtol=1e-4)


class _Counting:
    """Stands between the Milvus backend and its client: records (method, collection) of every call."""

    def __init__(self, inner: object) -> None:
        self.inner, self.calls = inner, []

    def __getattr__(self, name: str) -> object:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args: object, **kwargs: object) -> object:
            self.calls.append((name, str(args[0] if args else kwargs.get("collection_name", "")).rsplit("_", 1)[-1]))
            return attr(*args, **kwargs)
        return call


def test_milvus_keeps_the_term_table_and_fetches_a_questions_records_once(tmp_path: Path) -> None:
    """The feedback's words need their document frequencies only after the first search, and the re-ordering and
    the answer want article records: once the term table is read (in the background) a question asks
    Milvus no frequency, and every record it needs comes in one query, with the first that was missing."""
    config = _snippets(tmp_path, "milvus")
    engine = Engine.open(config, FakeEncoder())
    backend = engine.backend
    try:
        assert backend.term_table.wait(30)
        asked = ["tampa", "avalanch", "banana", "zzzunknown"]
        kept = backend.term_table.get(asked)
        table, backend.term_table._table = backend.term_table._table, None  # not read: asked of Milvus
        assert backend.term_table.get(asked) is None
        queried = backend.term_stats(asked)
        backend.term_table._table = table
        assert kept == queried == {"tampa": 2, "avalanch": 2, "banana": 1, "zzzunknown": 0}

        counting = _Counting(backend._conn.client._client)
        backend._conn.client._client = counting
        answer = engine.ask(Query("Who won the Stanley Cup final in Tampa?", k=5))
        engine.answer_meta(answer)
        assert answer.hits and ("query", "terms") not in counting.calls
        assert counting.calls.count(("query", "articles")) == 1
        assert [c for c in counting.calls if c[0] == "search"] == [("search", "passages")] * 3  # BM25 + vectors, BM25 again
    finally:
        backend._conn.client._client = getattr(backend._conn.client._client, "inner", backend._conn.client._client)
        backend.close()


def test_milvus_reads_its_term_table_from_the_second_question_and_stops_when_closed(tmp_path: Path) -> None:
    config = _snippets(tmp_path, "milvus")
    backend = config.open()
    backend.term_table.start()
    backend.close()  # at once: the reader thread stops, nothing hangs or raises
    assert not backend.term_table._loader.is_alive()
    engine = Engine.open(config, FakeEncoder())
    try:
        engine.ask(Query("Who won the Stanley Cup final?", k=3))
        assert not engine.backend.term_table._started  # one question (a one-shot `sitrep ask`): never read
        assert engine.backend.term_stats(["tampa"]) == {"tampa": 2}  # ... frequencies are asked as before
        engine.ask(Query("Who won the Stanley Cup final?", k=3))
        assert engine.backend.term_table._started  # the second: read in the background
        assert engine.backend.term_table.wait(30) and engine.backend.term_stats(["tampa"]) == {"tampa": 2}
    finally:
        engine.backend.close()
