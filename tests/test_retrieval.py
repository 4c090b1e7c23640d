"""One contract suite for bm25, dense and hybrid, on every backend (local and milvus-lite); filters;
de-duplication; bad questions."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sitrep.answer.engine import Engine
from sitrep.index.backends import BackendConfig
from sitrep.index.backends.base import Backend, Filter
from sitrep.index.build import update
from sitrep.retrieval.errors import BadOption, BadQuestion
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams, clean_question, embedded
from sitrep.retrieval.types import MODES, Query
from tests.conftest import FakeEncoder, target

TODAY = date(2026, 11, 22)


@pytest.fixture
def engine(seed_target: BackendConfig) -> Engine:
    return Engine.open(seed_target, FakeEncoder(), today=lambda: TODAY)


def article_date(engine: Engine, article_id: str) -> str | None:
    return engine.backend.articles([article_id])[article_id].date


@pytest.mark.parametrize("mode", MODES)
def test_contract_known_article_first(engine: Engine, mode: str) -> None:
    hits = engine.search(Query("Shaheen joint air force exercise Pakistan China", mode=mode)).hits
    assert hits and hits[0].article_id == "001_d3da3a035377400c.txt"


@pytest.mark.parametrize("mode", MODES)
def test_contract_k_ranks_and_scores(engine: Engine, mode: str) -> None:
    hits = engine.search(Query("India US defence cooperation", k=4, mode=mode)).hits
    assert 1 <= len(hits) <= 4
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.passage for h in hits}) == len(hits)
    for h in hits:
        assert h.passage_id.startswith(h.article_id + "#")
        if mode == "bm25":
            assert h.rank_bm25 is not None and h.rank_dense is None
        if mode == "dense":
            assert h.rank_dense is not None and h.rank_bm25 is None
        if mode == "hybrid":  # fused from the lists it came from
            assert h.rank_bm25 is not None or h.rank_dense is not None


@pytest.mark.parametrize("mode", MODES)
def test_contract_as_of_excludes_later_articles(engine: Engine, mode: str) -> None:
    hits = engine.search(Query("India US defence cooperation BECA", mode=mode, as_of=date(2020, 10, 1), k=20)).hits
    assert hits
    for h in hits:
        d = article_date(engine, h.article_id)
        assert d is None or d <= "2020-10-01"


@pytest.mark.parametrize("mode", MODES)
def test_contract_source_filter(engine: Engine, mode: str) -> None:
    hits = engine.search(Query("India US cooperation", mode=mode, source="theprint", k=20)).hits
    assert hits and {h.article_id for h in hits} == {"003_66a95eaf13f0a52c.txt"}


def test_year_in_question_filters(engine: Engine) -> None:
    hits = engine.search(Query("defence cooperation in 2020", k=20)).hits
    dates = {article_date(engine, h.article_id) for h in hits}
    assert dates <= {"2020-12-11", "2020-09-03", None}


def test_unknown_source_and_mode_and_k(engine: Engine) -> None:
    with pytest.raises(BadOption, match="no article from source 'nowhere'"):
        engine.search(Query("India", source="nowhere"))
    with pytest.raises(BadOption, match="unknown mode 'fast'"):
        engine.search(Query("India", mode="fast"))
    with pytest.raises(BadOption, match="k must be between 1 and 100"):
        engine.search(Query("India", k=0))


def test_near_duplicates_are_merged(seed_corpus: Path, tmp_path: Path, backend_kind: str) -> None:
    text = (seed_corpus / "000_08773b1c9158e159.txt").read_text()
    (seed_corpus / "copy_elsewhere.txt").write_text(text)
    enc = FakeEncoder()
    config = target(backend_kind, tmp_path)
    update(seed_corpus, config, enc)
    engine = Engine.open(config, enc)
    hits = engine.search(Query("China delegation border troops hotline", k=5)).hits
    rows = engine.backend.passages(np.array([h.passage for h in hits]), text=True)
    assert rows.text is not None and len(set(rows.text)) == len(rows.text) == len(hits)  # each story once
    twins = {"000_08773b1c9158e159.txt", "copy_elsewhere.txt"}
    for h in hits:
        if h.article_id in twins:
            assert {h.article_id, *h.also_in} == twins  # ... with "also in" naming the other copy


@pytest.mark.parametrize(
    ("raw", "error"),
    [("", "empty"), ("   \t\n", "empty"), ("🤔🤔 ?!", "no words"), ("\u200b\u200d\x07", "empty")],
)
def test_bad_questions(raw: str, error: str) -> None:
    with pytest.raises(BadQuestion, match=error):
        clean_question(raw, 1000)


def test_question_cleaning_and_truncation() -> None:
    assert clean_question("Wh\u200bat did\x00 China\n propose?", 1000) == ("What did China propose?", [])
    # ASCII alone (the fast path): control characters dropped, white space of every kind folded
    assert clean_question("What\x07 did\tChina\x1f\r\n propose?\x7f ", 1000) == ("What did China propose?", [])
    text, notes = clean_question("word " * 1000, 1000)
    assert len(text) <= 1000 and notes and "truncated from 4,999" in notes[0]


def test_words_of_chat_are_neither_terms_nor_embedded(engine: Engine) -> None:
    terms = engine.retriever.terms
    assert terms.all_terms("pls what did China propose to India, exactly? lol") == terms.all_terms("what did China propose to India?")
    assert terms.all_terms("What pleas did he enter? Was he pleased?") == ["plea", "enter", "pleas"]  # words, not stems
    # when, not what: the recency prior reads these (dates.asks_latest); as terms the answer lacked, they refused it
    assert terms.all_terms("What did China recently propose? Who currently leads?") == terms.all_terms("What did China propose? Who leads?")
    assert terms.all_terms("Who is India's defence minister now?") == terms.all_terms("Who is India's defence minister?")
    assert embedded("Tbh what did China ACTUALLY propose? lol") == "what did China propose?"
    assert embedded("thanks lol") == "thanks lol"  # nothing left: as typed (small talk answers it first)
    assert embedded("What did China propose?") == "What did China propose?"



def test_every_word_of_chat_is_dropped_and_the_rest_is_left_fast() -> None:
    from sitrep.retrieval.lexical import CHAT_WORDS, drop_fillers

    for w in CHAT_WORDS:  # the quick check before the patterns (a word each match holds) lets none of them by
        assert drop_fillers(f"BECA, {w.upper()}?").split() == ["BECA,", "?"], w
    question = "Which country did Antony Blinken visit this week?"
    assert drop_fillers(question) is question  # no word of either pattern: the same string, untouched


@pytest.mark.parametrize(("asked", "searched"), [
    ("Can you tell me what China proposed to India?", "what China proposed to India?"),
    ("Could you please explain to me why China blocked it?", "why China blocked it?"),
    ("I'd like to know more about BECA", "about BECA"),
    ("tell me about BECA", "about BECA"),
    ("whats beca", "beca"),
    ("Do you know who Esper is?", "who Esper is?"),
    ("Explain the note verbale", "the note verbale"),
    ("im curious about the MoU", "about the MoU"),
    # the verbs kept where they are what is asked
    ("What did India tell China?", "What did India tell China?"),
    ("How did Esper describe the talks?", "How did Esper describe the talks?"),
    ("Which seafood dish can you find on the menu?", "Which seafood dish can you find on the menu?"),
])
def test_how_a_question_is_put_is_not_what_it_asks(asked: str, searched: str) -> None:
    assert embedded(asked) == searched


@pytest.mark.parametrize(("typed", "vector_of"), [
    ("what China proposed", "what China proposed?"),
    ("Did India respond.", "Did India respond?"),
    ("To help reduce waste, which continent will require a common charger", "To help reduce waste, which continent will require a common charger?"),
    ("India China border talks", "India China border talks"),  # a topic, not a question
    ("Who won?", "Who won?"),
])
def test_a_question_without_its_question_mark_is_embedded_with_one(typed: str, vector_of: str) -> None:
    assert embedded(typed) == vector_of


def test_question_with_no_indexed_word_abstains(engine: Engine) -> None:
    answer = engine.ask(Query("xyzzyplugh quuxwobble"))
    assert answer.abstained and answer.citations == () and answer.text is None


def test_batch_equals_single(seed_target: BackendConfig) -> None:
    enc = FakeEncoder()
    r = HybridRetriever(seed_target.open(), enc, RetrievalParams(recency_weight=0.5))
    qs = [Query("BECA satellite"), Query("Russia arms Pakistan", mode="bm25"), Query("hotline", mode="dense")]
    assert [x.hits for x in r.search_batch(qs)] == [r.search(q).hits for q in qs]


def _storm_index(tmp_path: Path, kind: str) -> tuple[Backend, FakeEncoder, Query]:
    """Two articles: one about storm Nicole from its lede on, one that mentions it in a later passage."""
    import json

    sport = " ".join(f"The league table moved again as team {w} won at home." for w in "abcdefghijklmnopqrst")
    markets = " ".join(f"Shares of company {w} rose after its quarterly report." for w in "abcdefghijklmnopqrst")
    storm = "Storm Nicole made landfall in Florida on Thursday."
    recs = [
        {"id": "about", "title": "Weekly news", "published_at": "2022-11-10", "body": f"{storm}\n\n{markets}"},
        {"id": "mention", "title": "Weekly news", "published_at": "2022-11-10",
         "body": f"{sport}\n\nOfficials said storm Nicole made landfall in Florida."},
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    enc = FakeEncoder()
    config = target(kind, tmp_path)
    update(corpus, config, enc)
    return config.open(), enc, Query("Where did storm Nicole make landfall?", as_of=date(2022, 11, 11))


def test_lede_list_ranks_the_article_that_is_about_the_question(tmp_path: Path, backend_kind: str) -> None:
    data, enc, q = _storm_index(tmp_path, backend_kind)
    hits = HybridRetriever(data, enc, RetrievalParams(lede_weight=0.7)).search(q).hits
    assert hits[0].article_id == "about" and hits[0].rank_lede == 1
    assert {h.article_id: h.rank_lede for h in hits} == {"about": 1, "mention": 2}  # one rank per article
    assert data.stats().passages >= 4 and not next(h for h in hits if h.article_id == "mention").passage_id.endswith("#0")
    for mode in ("bm25", "dense"):
        assert all(h.rank_lede is None for h in HybridRetriever(data, enc).search(Query(q.text, mode=mode, as_of=q.as_of)).hits)
    unweighted = HybridRetriever(data, enc, RetrievalParams(lede_weight=0.0)).search(q).hits
    assert all(h.rank_lede is None for h in unweighted)
    lifted = {h.article_id: h.score for h in hits if h.passage == hits[0].passage}
    assert lifted["about"] > next(h.score for h in unweighted if h.passage == hits[0].passage)


def test_lede_list_gives_nothing_past_its_depth(tmp_path: Path, backend_kind: str) -> None:
    data, enc, q = _storm_index(tmp_path, backend_kind)
    cut = HybridRetriever(data, enc, RetrievalParams(lede_weight=0.7, lede_depth=1)).search(q).hits
    unweighted = HybridRetriever(data, enc, RetrievalParams(lede_weight=0.0)).search(q).hits
    assert {h.article_id: h.rank_lede for h in cut} == {"about": 1, "mention": None}

    def score(hits: list, article: str) -> float:
        return next(h.score for h in hits if h.article_id == article)

    assert score(cut, "mention") == pytest.approx(score(unweighted, "mention"))  # past the depth: no credit
    assert score(cut, "about") > score(unweighted, "about")


def test_hnsw_index_builds_loads_and_filters_like_exact(seed_corpus: Path, tmp_path: Path) -> None:
    """Above `hnsw_above` passages the local backend builds HNSW; loaded back it keeps efSearch, and a
    filtered search (FAISS selector) returns only allowed passages, the same ones exact search does."""
    from sitrep.index.backends.local import store
    from sitrep.index.backends.local.backend import DenseSettings, LocalBackend

    enc = FakeEncoder()
    update(seed_corpus, tmp_path / "flat", enc)
    update(seed_corpus, tmp_path / "hnsw", enc, dense=DenseSettings(hnsw_above=5, ef_search=64))
    flat, hnsw = store.load(tmp_path / "flat"), store.load(tmp_path / "hnsw")
    assert (flat.manifest.dense.kind, hnsw.manifest.dense.kind) == ("flat", "hnsw")
    assert type(hnsw.dense).__name__ == "IndexHNSWFlat" and hnsw.dense.hnsw.efSearch == 64
    exact, approx = LocalBackend(flat), LocalBackend(hnsw)
    q = enc.encode(["China Pakistan joint air force exercise Shaheen"])
    only = Filter(article_ids=("001_d3da3a035377400c.txt", "002_473cd780df3d0ee7.txt"))
    for flt in (None, only):
        want, got = exact.dense(q, 5, [flt])[0], approx.dense(q, 5, [flt])[0]
        assert got.ids.tolist() == want.ids.tolist()  # a tiny graph is searched exhaustively
        np.testing.assert_allclose(got.scores, want.scores, rtol=1e-5)
    allowed = approx.passages(approx.dense(q, 50, [only])[0].ids)
    assert set(allowed.article_id) == set(only.article_ids)


def test_undated_candidates_and_one_passage_articles_change_the_fusion(tmp_path: Path) -> None:
    """Where nothing is dated there is no prior to weigh: the fusion measured best without dates is used;
    where every article is one passage, the lede list (the vector list again) is left out."""
    from sitrep.retrieval.hybrid import RetrievalParams

    corpus = tmp_path / "c"
    corpus.mkdir()
    rows = [{"id": f"a{i}", "title": None, "body": body, "published_at": None} for i, body in enumerate(
        ["China and India held border talks in Ladakh.", "Pakistan and China signed a defence pact.",
         "India and the US agreed on satellite data sharing.", "Bananas are a yellow fruit grown in India."])]
    (corpus / "snips.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    update(corpus, tmp_path / "idx", FakeEncoder())
    engine = Engine.open(tmp_path / "idx", FakeEncoder())
    assert not engine.retriever.multi_passage
    hits = engine.search(Query("China India border talks", k=4)).hits
    assert hits[0].article_id == "a0" and all(h.rank_lede is None for h in hits)
    # the same question under plain RRF ranks by reciprocal ranks; convex-max by scores: they differ here
    undated = [round(h.score, 6) for h in hits]
    engine.retriever.params = replace(RetrievalParams(), undated_fusion="rrf", undated_dense_weight=0.6)
    assert [round(h.score, 6) for h in engine.search(Query("China India border talks", k=4)).hits] != undated
