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


def test_questions_and_passages_run_on_the_fused_graph_with_the_plain_graphs_vectors(encoder) -> None:
    """What runs is onnxruntime's fused graph (one Attention op a layer), and it gives the plain export's vectors,
    alone and in a padded batch of mixed lengths (the fused attention honours the mask)."""
    import onnx

    from sitrep.index.embedding import OnnxEncoder, query_encoder

    fused = query_encoder(None, ROOT / "var" / "models", batch_size=8)
    assert isinstance(fused, OnnxEncoder) and fused.onnx_path != fused.plain_path
    ops = {n.op_type for n in onnx.load(str(fused.onnx_path), load_external_data=False).graph.node}
    assert "Attention" in ops and "Softmax" not in ops
    plain = OnnxEncoder(fused.plain_path, encoder.model_dir, fused.fingerprint)
    texts = ["What did China propose to India?", "Who won? " * 30, "The minister said the talks would resume."]
    assert np.sum(fused.encode(texts) * plain.encode(texts), axis=1).min() >= 0.99999
    one = fused.encode(texts[:1])[0]
    assert float(one @ fused._run(texts)[0]) >= 0.99999  # padded beside a longer text: the same vector


def test_a_graph_the_optimiser_cannot_fuse_falls_back_to_the_plain_export(tmp_path: Path, monkeypatch) -> None:
    from sitrep.index import embedding

    models = tmp_path / "models"
    models.mkdir()
    for f in (ROOT / "var" / "models").glob("*-eager.onnx"):  # the export is the slow part: reuse it
        (models / f.name).symlink_to(f)

    def refuse(*_: object) -> None:
        raise RuntimeError("onnxruntime's optimiser fused no attention")

    monkeypatch.setattr(embedding, "fuse_onnx", refuse)
    enc = embedding.query_encoder(None, models)
    assert isinstance(enc, embedding.OnnxEncoder) and enc.onnx_path == enc.plain_path
    assert enc.encode(["What did China propose to India?"]).shape == (1, 384)
