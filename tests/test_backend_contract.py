"""The backend protocol, method by method, on both backends over the same corpus: the same answers
(passage ids differ in kind — row numbers locally, hashes on Milvus — so rows are compared by their
"<article id>#<ordinal>" names)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sitrep.index import lexicon
from sitrep.index.backends import BackendConfig
from sitrep.index.backends.base import Backend, Filter, SearchRequest
from tests.conftest import FakeEncoder, target

QUESTION = "What did China propose to India about border troops?"
PAKISTAN = "001_d3da3a035377400c.txt"
THEPRINT = "003_66a95eaf13f0a52c.txt"


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sitrep.index.build import update
    from tests.conftest import SEEDS

    backends = {}
    for kind in ("local", "milvus"):
        config: BackendConfig = target(kind, tmp_path_factory.mktemp(f"contract-{kind}"))
        update(SEEDS, config, FakeEncoder())
        backends[kind] = config.open()
    yield backends
    for b in backends.values():
        b.close()


def names(b: Backend, ids: np.ndarray) -> list[str]:
    rows = b.passages(np.asarray(ids, dtype=np.int64))
    return [rows.passage_id(i) for i in range(len(rows.ids))]


def test_searches_agree(both: dict[str, Backend]) -> None:
    local, milvus = both["local"], both["milvus"]
    terms = lexicon.tokenize([QUESTION], local.manifest.bm25)[0]
    vector = FakeEncoder().encode([QUESTION])[0]
    for flt in (None, Filter(day_to=738000), Filter(source="theprint"), Filter(article_ids=(PAKISTAN,))):
        a, b = (x.search(SearchRequest(terms, vector, 20, flt, terms)) for x in (local, milvus))
        assert names(local, a.lexical.ids) == names(milvus, b.lexical.ids), flt
        assert names(local, a.dense.ids) == names(milvus, b.dense.ids), flt
        assert np.allclose(a.dense.scores, b.dense.scores, atol=1e-5)
        assert a.df == b.df and set(a.df) == set(terms)
        # the finer calls say the same as the one search
        assert names(local, local.lexical([terms], 20, [flt])[0].ids) == names(local, a.lexical.ids)
        assert names(milvus, milvus.dense(vector[None, :], 20, [flt])[0].ids) == names(milvus, b.dense.ids)


def test_look_ups_agree(both: dict[str, Backend]) -> None:
    local, milvus = both["local"], both["milvus"]
    ids = {k: b.article_passages([PAKISTAN, THEPRINT, "no-such-article"]) for k, b in both.items()}
    assert set(ids["local"]) == set(ids["milvus"]) == {PAKISTAN, THEPRINT}
    for aid in (PAKISTAN, THEPRINT):
        a, b = ids["local"][aid], ids["milvus"][aid]
        assert names(local, a) == names(milvus, b) == [f"{aid}#{i}" for i in range(len(a))]
        ra, rb = local.passages(a, text=True), milvus.passages(b, text=True)
        assert ra.text == rb.text and ra.start.tolist() == rb.start.tolist() and ra.day.tolist() == rb.day.tolist()
        assert np.allclose(local.vectors(a), milvus.vectors(b), atol=1e-6)
        (pa, ma), (pb, mb) = local.read(a[:2], [aid]), milvus.read(b[:2], [aid])
        assert pa.text == pb.text and ma == mb
    assert local.articles([PAKISTAN, THEPRINT]) == milvus.articles([PAKISTAN, THEPRINT])
    assert local.articles([THEPRINT])[THEPRINT].seen == "2024-03-19"
    assert local.article_hashes() == milvus.article_hashes()
    for window, days in ((("2020-01-01", "2020-12-31"), {PAKISTAN: "2020-12-11", "002_473cd780df3d0ee7.txt": "2020-09-03"}),
                         (("2020-12-11", "2020-12-11"), {PAKISTAN: "2020-12-11"}), (("2021-01-01", "2030-01-01"), {})):
        assert local.dated_articles(*window) == milvus.dated_articles(*window) == days, window  # undated: never
    assert names(local, local.lede_ids([PAKISTAN, THEPRINT])) == names(milvus, milvus.lede_ids([PAKISTAN, THEPRINT]))
    vector = FakeEncoder().encode([QUESTION])[0]
    assert np.allclose(local.lede_similarity([PAKISTAN, THEPRINT], vector),
                       milvus.lede_similarity([PAKISTAN, THEPRINT], vector), atol=1e-6)
    terms = ["china", "india", "zzzunknown"]
    assert local.term_stats(terms) == milvus.term_stats(terms) and local.term_stats(terms)["zzzunknown"] == 0
    for flt in (Filter(source="theprint"), Filter(source="nowhere"), Filter(day_from=800000)):
        assert local.exists(flt) == milvus.exists(flt), flt
    sa, sb = local.stats(), milvus.stats()
    assert (sa.articles, sa.passages, sa.outlets) == (sb.articles, sb.passages, sb.outlets)
