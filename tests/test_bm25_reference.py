"""bm25s (what sitrep searches with: ~300x faster than rank-bm25 at 100k passages, docs/architecture.md)
checked against rank-bm25, the design card's reference implementation: on the same tokens, bm25s's
Robertson/Okapi scoring gives rank-bm25's `BM25Okapi` scores (up to the constant k1 + 1 bm25s leaves
out), and sitrep's own setting (Lucene's idf, which rank-bm25 does not have) is rank-bm25's term
counts and length normalisation with that idf."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from sitrep.index import lexicon

DOCS = [
    "China proposed that both armies pull back troops from the border in Ladakh",
    "India and China held talks in Moscow about the border standoff",
    "Pakistan and China began the Shaheen air exercise in Sindh",
    "India rejected the proposal and asked for a return to the earlier positions",
    "The defence ministers of India and the United States met in New Delhi",
    "Farmers protested in Delhi against the new farm laws for a second week",
    "The air exercise involved fighter jets from both air forces",
    "Troops on both sides of the border faced a harsh winter in the mountains",
]
QUERIES = ["China proposed troops border", "air exercise Pakistan", "farm laws protest Delhi", "India United States ministers"]


def scores_bm25s(tokens: list[list[str]], query: list[str], method: str, k1: float, b: float) -> np.ndarray:
    vocab = {t: i for i, t in enumerate(sorted({t for doc in tokens for t in doc}))}
    index = bm25s.BM25(method=method, k1=k1, b=b)
    index.index(bm25s.tokenization.Tokenized(ids=[[vocab[t] for t in doc] for doc in tokens], vocab=vocab),
                show_progress=False)
    return np.asarray(index.get_scores([t for t in query if t in vocab]))


@pytest.mark.parametrize("k1, b", [(1.5, 0.75), (1.2, 0.75), (0.9, 0.4)])
def test_robertson_scores_equal_rank_bm25_okapi(k1: float, b: float) -> None:
    settings = lexicon.BM25Settings()
    tokens = lexicon.tokenize(DOCS, settings)
    reference = BM25Okapi(tokens, k1=k1, b=b, epsilon=0.25)
    for q in lexicon.tokenize(QUERIES, settings):
        # rank-bm25 floors a negative idf (a term in more than half the documents) at epsilon x the mean
        # idf; no query term here is that common, so both use log((N - n + 0.5) / (n + 0.5)) unchanged.
        assert all(sum(t in doc for doc in tokens) < len(DOCS) / 2 for t in q), q
        # bm25s leaves out the numerator's constant (k1 + 1) (it scales every score alike, so no ranking moves)
        np.testing.assert_allclose(scores_bm25s(tokens, q, "robertson", k1, b) * (k1 + 1), reference.get_scores(q),
                                   rtol=1e-5, atol=1e-6)


def test_sitreps_lucene_setting_is_okapi_with_lucenes_idf() -> None:
    """sitrep's setting (bm25s `lucene`, k1 0.9, b 0.4): rank-bm25's own term counts and length
    normalisation, with Lucene's idf log(1 + (N - n + 0.5) / (n + 0.5)) in place of Okapi's."""
    settings = lexicon.BM25Settings()
    tokens = lexicon.tokenize(DOCS, settings)
    ref = BM25Okapi(tokens, k1=settings.k1, b=settings.b)
    k1, b, n_docs = settings.k1, settings.b, len(tokens)
    for q in lexicon.tokenize(QUERIES, settings):
        expected = np.zeros(n_docs)
        for t in set(q):
            df = sum(t in freqs for freqs in ref.doc_freqs)
            idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
            tf = np.array([freqs.get(t, 0) for freqs in ref.doc_freqs])
            expected += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * np.array(ref.doc_len) / ref.avgdl))
        np.testing.assert_allclose(scores_bm25s(tokens, q, settings.method, k1, b) * (k1 + 1), expected, rtol=1e-5, atol=1e-6)
