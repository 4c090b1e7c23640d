"""Local (FAISS + bm25s) against Milvus (milvus-lite, in process), side by side in one run.

1. The dev index on both backends (built by `sitrep eval --dataset ../shared/eval/realtimeqa` and the
   same with `--backend milvus`): `ask` p50/p95 over every dev question (k=10, as of its date), and
   an update that adds 10 articles (embedding included, with the ONNX encoder, no embedding cache,
   on a copy of each index).
2. A synthetic index of --passages passages (default 200,000) written through each backend's Writer:
   insert rate (upsert + commit, i.e. until searchable), then `ask` p50/p95. Its texts are words
   sampled from the dev corpus's frequencies; its vectors are real dev passage vectors plus noise,
   so HNSW has neighbourhoods to find and the questions' real vectors mean something.

    python benchmarks/bench_backends.py [--passages 200000] [--questions N] [--synthetic-questions 100]

Raw results in var/bench/backends.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_search import pct, word_frequencies  # noqa: E402

from index import store  # noqa: E402
from index.articles import Article  # noqa: E402
from index.backends import BackendConfig  # noqa: E402
from index.backends.local import DenseSettings  # noqa: E402
from index.build import update  # noqa: E402
from index.chunking import ChunkSettings, Passage  # noqa: E402
from index.embedding import query_encoder  # noqa: E402
from index.lexicon import BM25Settings  # noqa: E402
from index.manifest import Manifest, ModelInfo  # noqa: E402
from retrieval import evaluate  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.types import Query  # noqa: E402

DEV = ROOT / "var" / "eval" / "realtimeqa"


def time_asks(engine: Engine, queries: list[Query]) -> dict[str, float]:
    for q in queries[:10]:
        engine.ask(q)  # warm caches and lazy imports
    times = []
    for q in queries:
        t = time.perf_counter()
        engine.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    return {"questions": len(times), "p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
            "mean_ms": round(statistics.fmean(times), 2)}


def dev_targets() -> dict[str, BackendConfig]:
    return {"local": BackendConfig(path=DEV / "index"),
            "milvus": BackendConfig(kind="milvus", uri=str(DEV / "milvus.db"), collection="eval_realtimeqa")}


def copy_target(kind: str, config: BackendConfig, into: Path) -> BackendConfig:
    if kind == "local":
        real = config.path.resolve()
        shutil.copytree(real, into / real.name, symlinks=True)
        (into / "index").symlink_to(real.name)
        return BackendConfig(path=into / "index")
    shutil.copytree(config.uri, into / "milvus.db")
    return BackendConfig(kind="milvus", uri=str(into / "milvus.db"), collection=config.collection)


def ten_articles(folder: Path) -> Path:
    """The dev corpus plus 10 new articles (the bundled five, each under two new ids)."""
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "corpus.jsonl.gz").symlink_to((DEV / "corpus" / "corpus.jsonl.gz").resolve())
    seeds = sorted((ROOT / "corpus").glob("*.txt"))
    with (corpus / "extra.jsonl").open("w") as fh:
        for copy in range(2):
            for s in seeds:
                fh.write(json.dumps({"id": f"bench-new-{copy}-{s.stem}", "body": s.read_text()}) + "\n")
    return corpus


def synthetic_articles(n_passages: int, dataset: Path, dev_vectors: np.ndarray, per_article: int = 10,
                       words: int = 60) -> tuple[list[Article], list[list[Passage]], list[np.ndarray]]:
    rng = np.random.default_rng(0)
    vocab, probs = word_frequencies(dataset)
    sampled = vocab[rng.choice(len(vocab), size=(n_passages, words), p=probs)]
    base = dev_vectors[rng.integers(0, len(dev_vectors), n_passages)]
    vecs = base + rng.standard_normal(base.shape).astype(np.float32) * 0.03
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    articles, passages, vectors = [], [], []
    for a in range(n_passages // per_article):
        texts = [" ".join(row) for row in sampled[a * per_article : (a + 1) * per_article]]
        body = "\n".join(texts)
        aid = f"synth-{a}"
        day = f"2022-{1 + a % 12:02d}-{1 + a % 28:02d}"
        ps, pos = [], 0
        for j, t in enumerate(texts):
            ps.append(Passage(aid, j, pos, pos + len(t), t))
            pos += len(t) + 1
        articles.append(Article(aid, body, f"Synthetic {a}", f"outlet{a % 50}", day, None, aid, f"h{a}", ()))
        passages.append(ps)
        vectors.append(vecs[a * per_article : (a + 1) * per_article])
    return articles, passages, vectors


def write_synthetic(config: BackendConfig, articles: list[Article], passages: list[list[Passage]],
                    vectors: list[np.ndarray], model: ModelInfo) -> float:
    """Seconds from the first upsert to a committed, searchable index."""
    manifest = Manifest(model, ChunkSettings(), 0, BM25Settings(), backend=config.kind)
    manifest.articles = {a.id: a.content_hash for a in articles}
    t = time.perf_counter()
    writer = config.writer(full=True, dense=DenseSettings())
    try:
        writer.begin(manifest)
        for i in range(0, len(articles), 500):
            writer.upsert(articles[i : i + 500], passages[i : i + 500], vectors[i : i + 500])
        writer.commit(manifest)
    finally:
        writer.close()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--passages", type=int, default=200_000)
    ap.add_argument("--questions", type=int, default=0, help="only the first N dev questions (default all)")
    ap.add_argument("--synthetic-questions", type=int, default=100,
                    help="questions asked of the synthetic index (milvus-lite scores BM25 in Python: seconds each)")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "backends.json")
    args = ap.parse_args()

    encoder = query_encoder(None, ROOT / "var" / "models")
    queries = evaluate.load_queries(args.dataset / "queries.jsonl") + evaluate.load_queries(args.dataset / "queries_null.jsonl")
    if args.questions:
        queries = queries[: args.questions]
    asks = [Query(q.question, k=10, as_of=q.question_date) for q in queries]
    results: dict[str, object] = {}

    dev: dict[str, object] = {}
    for kind, config in dev_targets().items():
        engine = Engine.open(config, encoder)
        dev[kind] = {"passages": engine.backend.stats().passages, "ask": time_asks(engine, asks)}
        engine.backend.close()
        with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
            copy = copy_target(kind, config, Path(tmp))
            corpus = ten_articles(Path(tmp))
            t = time.perf_counter()
            report = update(corpus, copy, encoder, dense=DenseSettings())
            dev[kind]["update_10_articles"] = {"seconds": round(time.perf_counter() - t, 2), "added": report.added,  # type: ignore[index]
                                               "passages_embedded": report.passages_embedded}
        print(kind, json.dumps(dev[kind]), flush=True)
    dev["ratio_p50"] = round(dev["milvus"]["ask"]["p50_ms"] / dev["local"]["ask"]["p50_ms"], 1)  # type: ignore[index]
    dev["ratio_p95"] = round(dev["milvus"]["ask"]["p95_ms"] / dev["local"]["ask"]["p95_ms"], 1)  # type: ignore[index]
    dev["ratio_update"] = round(dev["milvus"]["update_10_articles"]["seconds"] /  # type: ignore[index]
                                dev["local"]["update_10_articles"]["seconds"], 1)  # type: ignore[index]
    results["dev"] = dev

    if not args.skip_synthetic:
        dev_vectors = np.asarray(store.load(DEV / "index").vectors, dtype=np.float32)
        articles, passages, vectors = synthetic_articles(args.passages, args.dataset, dev_vectors)
        model = ModelInfo(encoder.name, encoder.fingerprint, encoder.dim)
        synth: dict[str, object] = {"passages": args.passages}
        with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
            targets = {"local": BackendConfig(path=Path(tmp) / "index"),
                       "milvus": BackendConfig(kind="milvus", uri=str(Path(tmp) / "milvus.db"), collection="synth")}
            for kind, config in targets.items():
                seconds = write_synthetic(config, articles, passages, vectors, model)
                engine = Engine.open(config, encoder)
                synth[kind] = {"insert_s": round(seconds, 1), "insert_per_s": round(args.passages / seconds),
                               "dense": engine.backend.manifest.dense.kind,
                               "ask": time_asks(engine, asks[: args.synthetic_questions])}
                engine.backend.close()
                print(kind, json.dumps(synth[kind]), flush=True)
        synth["ratio_p50"] = round(synth["milvus"]["ask"]["p50_ms"] / synth["local"]["ask"]["p50_ms"], 1)  # type: ignore[index]
        synth["ratio_insert"] = round(synth["local"]["insert_per_s"] / synth["milvus"]["insert_per_s"], 1)  # type: ignore[index]
        results["synthetic"] = synth
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
