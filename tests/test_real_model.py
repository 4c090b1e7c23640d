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


QUESTIONS = ["What did China propose to India?", "What is BECA?", "Who won the Stanley Cup this week?",
             "How many people died in the floods in Pakistan?", "Which team did Serena Williams play at the US Open?",
             "Why were some Kia and Hyundai SUVs recalled?", "Any news on the Artemis mission?", "Who won? " * 30]


def test_questions_run_on_the_fused_float_graph_with_the_plain_graphs_vectors(encoder) -> None:
    """Without int8, questions run on onnxruntime's fused graph (one Attention op a layer), and it gives the plain
    export's vectors, alone and in a padded batch of mixed lengths (the fused attention honours the mask)."""
    import onnx

    from sitrep.index.embedding import OnnxEncoder, query_encoder

    fused = query_encoder(None, ROOT / "var" / "models", batch_size=8, question_int8=False)
    assert isinstance(fused, OnnxEncoder) and fused.onnx_path.name.endswith("-fused.onnx")
    ops = {n.op_type for n in onnx.load(str(fused.onnx_path), load_external_data=False).graph.node}
    assert "Attention" in ops and "Softmax" not in ops
    plain = OnnxEncoder(fused.plain_path, encoder.model_dir, fused.fingerprint)
    texts = ["What did China propose to India?", "Who won? " * 30, "The minister said the talks would resume."]
    assert np.sum(fused.encode_queries(texts) * plain.encode(texts), axis=1).min() >= 0.99999
    one = fused.encode_queries(texts[:1])[0]
    assert float(one @ fused._run(texts)[0]) >= 0.99999  # padded beside a longer text: the same vector


def test_questions_run_on_the_int8_graph_and_passages_on_the_float_export(encoder) -> None:
    """By default a question runs on the smoothed int8 graph (index/quantize.py): close to the float vector,
    the same alone as among others; passages never do: `encode` gives the export's vectors."""
    import onnx

    from sitrep.index.embedding import OnnxEncoder, query_encoder

    enc = query_encoder(None, ROOT / "var" / "models", batch_size=8)
    assert isinstance(enc, OnnxEncoder) and "-q8-" in enc.onnx_path.name and enc.fingerprint == encoder.fingerprint
    ops = {n.op_type for n in onnx.load(str(enc.onnx_path), load_external_data=False).graph.node}
    assert {"DynamicQuantizeLinear", "QAttention"} <= ops and "Attention" not in ops
    plain = OnnxEncoder(enc.plain_path, encoder.model_dir, enc.fingerprint)
    asked, exact = enc.encode_queries(QUESTIONS), plain.encode(QUESTIONS)
    cosine = np.sum(asked * exact, axis=1)
    assert cosine.min() >= 0.99 and cosine.mean() >= 0.996, cosine
    assert np.allclose(np.linalg.norm(asked, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(enc.encode_queries(QUESTIONS[:1])[0], asked[0])  # one at a time: no batch moves a vector
    passages = ["Beijing has suggested India's defence minister visit China.", "The talks resume on Monday. " * 20]
    assert np.sum(enc.encode(passages) * plain.encode(passages), axis=1).min() >= 0.99999


def test_smoothing_leaves_the_float_graph_computing_the_same_vectors(encoder, tmp_path: Path) -> None:
    """The smoothing divides each product's input by s and multiplies its weight by s: before quantisation, the
    same function (what the int8 graph then approximates)."""
    import onnx

    from sitrep.index import quantize
    from sitrep.index.embedding import OnnxEncoder, query_encoder

    fused = query_encoder(None, ROOT / "var" / "models", question_int8=False)
    model = onnx.load(str(fused.onnx_path))  # type: ignore[attr-defined]
    inputs = quantize.smoothed_inputs(model)
    assert len(inputs) == 18  # per layer: the attention's input and both feed-forward products'
    smoothed = quantize.smooth(model, quantize.activation_max(model, inputs, encoder.model_dir, quantize.CALIBRATION[:5]))
    assert sum(n.op_type == "Mul" and n.name.endswith("/smooth") for n in smoothed.graph.node) == 18
    onnx.save(smoothed, str(tmp_path / "smoothed.onnx"))
    same = OnnxEncoder(tmp_path / "smoothed.onnx", encoder.model_dir, encoder.fingerprint)
    assert np.sum(same.encode_queries(QUESTIONS) * fused.encode_queries(QUESTIONS), axis=1).min() >= 0.99999


@pytest.mark.parametrize(("broken", "graph"), [("fuse_onnx", "-eager.onnx"), ("smooth_quantize", "-fused.onnx")])
def test_a_graph_that_cannot_be_made_falls_back_to_the_one_before(tmp_path: Path, monkeypatch, broken: str, graph: str) -> None:
    """The optimiser fuses nothing: questions run on the plain export; the int8 graph cannot be made: on the fused one."""
    from sitrep.index import embedding, quantize

    models = tmp_path / "models"
    models.mkdir()
    for f in (ROOT / "var" / "models").glob("*-eager.onnx"):  # the export is the slow part: reuse it
        (models / f.name).symlink_to(f)

    def refuse(*_: object) -> None:
        raise RuntimeError(f"{broken} could not make its graph")

    monkeypatch.setattr(embedding if broken == "fuse_onnx" else quantize, broken, refuse)
    enc = embedding.query_encoder(None, models)
    assert isinstance(enc, embedding.OnnxEncoder) and enc.onnx_path.name.endswith(graph)
    assert not list(models.glob("*-q8-*"))
    assert enc.encode_queries(["What did China propose to India?"]).shape == (1, 384)
    assert enc.encode(["What did China propose to India?"]).shape == (1, 384)


def test_an_int8_graph_too_far_from_the_float_one_is_refused_once_and_for_all(tmp_path: Path, monkeypatch) -> None:
    """Where this CPU's int8 products put the vectors further from the float graph's than allowed, questions run on
    the fused float graph, the graph is not written, and no later process tries again."""
    from sitrep.index import embedding, quantize

    models = tmp_path / "models"
    models.mkdir()
    for f in (ROOT / "var" / "models").glob("*-eager.onnx"):
        (models / f.name).symlink_to(f)
    monkeypatch.setattr(quantize, "MIN_MEAN", 1.01)  # no int8 graph is that close
    enc = embedding.query_encoder(None, models)
    assert isinstance(enc, embedding.OnnxEncoder) and enc.onnx_path.name.endswith("-fused.onnx")
    assert not list(models.glob("*-q8-*.onnx")) and "too far from the float graph" in (quantize.refused(
        models / enc.onnx_path.name.replace("-fused", f"-q8-v{quantize.VERSION}")) or "")

    def tried(*_: object) -> None:
        raise AssertionError("tried again")

    monkeypatch.setattr(quantize, "smooth_quantize", tried)
    again = embedding.query_encoder(None, models)
    assert again.onnx_path.name.endswith("-fused.onnx")  # type: ignore[attr-defined]
