"""The real packaged model, end to end on the seeds (slow: loads torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitrep.index.backends.local import store
from sitrep.index.build import update
from sitrep.index.embedding import SentenceTransformerEncoder
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder()


def test_real_model_embeds_and_retrieves_the_china_proposal(encoder, seed_corpus: Path, tmp_path: Path) -> None:
    report = update(seed_corpus, tmp_path / "idx", encoder)
    data = store.load(tmp_path / "idx")
    assert data.vectors.shape == (report.passages, 384)
    assert np.allclose(np.linalg.norm(data.vectors, axis=1), 1.0, atol=1e-4)
    q = encoder.encode(["What did China propose to India?"])
    _, ids = data.dense.search(q, 3)
    top_articles = {data.articles.id[int(data.passage_article[i])] for i in ids[0]}
    assert "000_08773b1c9158e159.txt" in top_articles
    assert all(n <= 200 for n in encoder.count_tokens([data.passage_text(i) for i in range(data.passage_count)]))


def test_onnx_encoder_matches_the_torch_reference_on_every_bundled_passage(encoder, tmp_path: Path) -> None:
    """Indexing runs on the ONNX export; sentence-transformers on torch stays the reference it must equal."""
    from sitrep.corpus.articles import parse, scan_corpus
    from sitrep.index.chunking import ChunkSettings, chunk, index_text
    from sitrep.index.embedding import OnnxEncoder, query_encoder
    from tests.conftest import SEEDS

    onnx = query_encoder(None, ROOT / "var" / "models", batch_size=8)
    assert isinstance(onnx, OnnxEncoder) and onnx.fingerprint == encoder.fingerprint  # old indexes stay valid
    texts = []
    for raw in scan_corpus(SEEDS, 5_000_000).articles:
        article = parse(raw)
        texts += [index_text(article.title, p.text, ChunkSettings()) for p in chunk(article, ChunkSettings(), encoder.count_tokens)]
    assert len(texts) > 20
    cosine = np.sum(onnx.encode(texts) * encoder.encode(texts), axis=1)
    assert cosine.min() >= 0.9999, f"worst passage {int(cosine.argmin())}: cosine {cosine.min():.6f}"
