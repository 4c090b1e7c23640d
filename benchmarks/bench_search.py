"""Question latency inside a running process: embed, both searches, fusion, answer.

1. The dev index (var/eval/realtimeqa/index, built by `sitrep eval`): every dev question,
   asked one at a time through Engine.ask with its question_date; p50/p95 end to end,
   plus the share spent embedding.
2. A synthetic 1M-passage index (HNSW + bm25s), built once through our own store and cached
   in var/bench/synth1000k-efc40: texts are words sampled from the dev corpus's own word frequencies,
   vectors random unit vectors. The point is the search cost at scale.
3. What the index's stored readings save a freshly opened engine (index/readings.py): each question asked
   once of a new engine, with every passage's sentences and words looked up in the index against read
   from its text the first time it comes up (the engine before), alternated over three rounds; on the dev
   index and on each derived shape whose index exists (benchmarks/shapes.py).

    python benchmarks/bench_search.py [--passages 1000000] [--skip-synthetic]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.app.threads import quiet_blas  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index import lexicon  # noqa: E402
from sitrep.index.backends.local import store  # noqa: E402
from sitrep.index.backends.local.backend import LocalBackend, make_dense  # noqa: E402
from sitrep.index.backends.settings import DenseSettings  # noqa: E402
from sitrep.index.chunking import ChunkSettings  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.index.manifest import DenseInfo, Manifest, ModelInfo  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2)


def time_asks(engine: Engine, queries: list[Query], repeat: int = 1) -> dict[str, float]:
    for q in queries[:20]:
        engine.ask(q)  # warm caches and lazy imports
    times: list[float] = []
    for _ in range(repeat):
        for q in queries:
            t = time.perf_counter()
            engine.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    return {"questions": len(times), "p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "mean_ms": round(statistics.fmean(times), 2)}


def time_embedding(encoder, texts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    for t in texts:
        s = time.perf_counter()
        encoder.encode_queries([t])
        times.append((time.perf_counter() - s) * 1000)
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95)}


def word_frequencies(dataset: Path) -> tuple[np.ndarray, np.ndarray]:
    """The dev corpus's words and their probabilities, to sample synthetic passages from."""
    counts: Counter[str] = Counter()
    with gzip.open(dataset / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            counts.update(re.findall(r"[A-Za-z]+", json.loads(line)["body"]))
    probs = np.array(list(counts.values()), dtype=np.float64)
    return np.array(list(counts)), probs / probs.sum()


def build_synthetic(path: Path, passages: int, dataset: Path, ef_construction: int) -> None:
    """Sampled-word passages and random unit vectors, saved with the real store code."""
    rng = np.random.default_rng(0)
    words, probs = word_frequencies(dataset)
    per_article, words_per_passage = 10, 60
    n_articles = passages // per_article
    print(f"synthetic: sampling {passages:,} passages of {words_per_passage} words ...", flush=True)
    sampled = words[rng.choice(len(words), size=(passages, words_per_passage), p=probs)]
    texts = [" ".join(row) for row in sampled]
    del sampled
    article_texts, starts, ends = [], np.zeros(passages, np.int32), np.zeros(passages, np.int32)
    for a in range(n_articles):
        chunk = texts[a * per_article : (a + 1) * per_article]
        pos = 0
        for j, t in enumerate(chunk):
            starts[a * per_article + j], ends[a * per_article + j] = pos, pos + len(t)
            pos += len(t) + 1
        article_texts.append(" ".join(chunk))
    ids = [f"synth-{a}" for a in range(n_articles)]
    table = store.ArticleTable(id=ids, title=[None] * n_articles, source=["synthetic"] * n_articles,
                               date=["2024-01-01"] * n_articles, url=[None] * n_articles, location=ids,
                               hash=["0"] * n_articles, text=article_texts, seen=[None] * n_articles)
    pa = np.repeat(np.arange(n_articles, dtype=np.int32), per_article)
    print("synthetic: BM25 ...", flush=True)
    t = time.perf_counter()
    bm = lexicon.build(lexicon.tokenize(texts, lexicon.BM25Settings()), lexicon.BM25Settings())
    print(f"synthetic: BM25 built in {time.perf_counter() - t:.0f} s; HNSW ...", flush=True)
    vectors = rng.standard_normal((passages, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    t = time.perf_counter()
    dense = make_dense(vectors, DenseSettings(hnsw_above=0, ef_construction=ef_construction))
    print(f"synthetic: HNSW built in {time.perf_counter() - t:.0f} s; saving ...", flush=True)
    manifest = Manifest(ModelInfo("random-unit-vectors", "synthetic", 384), ChunkSettings(), 0, lexicon.BM25Settings(),
                        DenseInfo("hnsw", 128), article_count=n_articles, passage_count=passages,
                        newest_article_date="2024-01-01", built_at="synthetic", outlets=["synthetic"])
    store.save(path, store.IndexData(manifest, table, pa, starts, ends, vectors, dense, bm))


def hnsw_on_real_vectors(engine: Engine, questions: list[str], encoder) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    """Recall of HNSW against exact search where neighbourhoods mean something: the dev index's
    real passage vectors, queried with the real dev questions (random vectors have none)."""
    vectors = np.ascontiguousarray(engine.backend.data.vectors, dtype=np.float32)  # type: ignore[attr-defined]
    q = np.ascontiguousarray(encoder.encode_queries(questions), dtype=np.float32)
    exact = np.argsort(-(q @ vectors.T), axis=1)[:, :10]
    out = []
    for efc in (40, 200):
        t = time.perf_counter()
        index = make_dense(vectors, DenseSettings(hnsw_above=0, ef_construction=efc))
        build_s = time.perf_counter() - t
        index.hnsw.efSearch = 128
        _, found = index.search(q, 10)
        recall = float(np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found.tolist(), exact.tolist())]))
        out.append({"ef_construction": efc, "ef_search": 128, "passages": len(vectors), "build_s": round(build_s, 1),
                    "recall@10": round(recall, 3)})
    return out


def fresh_readings(index: Path, encoder, queries: list[Query], rounds: int = 3) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """`ask` p50 / mean of a freshly opened engine asking each question once, the passages' readings looked
    up in the index ("stored") or read from their text ("read"), the two alternated round by round."""
    times: dict[str, list[float]] = {"stored": [], "read": []}
    for r in range(rounds):
        for how in (("stored", "read") if r % 2 == 0 else ("read", "stored")):
            engine = Engine.open(index, encoder)
            if how == "read":
                engine.retriever.terms.readings.stored = None
            elif engine.retriever.terms.readings.stored is None:
                return {"skipped": "the index keeps no readings (written before they were kept): rebuild it"}
            for q in queries:
                t = time.perf_counter()
                engine.ask(q)
                times[how].append((time.perf_counter() - t) * 1000)
    out: dict[str, object] = {h: {"p50_ms": pct(ts, 50), "mean_ms": round(statistics.fmean(ts), 2)} for h, ts in times.items()}
    out["saved_p50_ms"] = round(pct(times["read"], 50) - pct(times["stored"], 50), 2)
    return out


class RandomQueryEncoder:
    """Question vectors for the synthetic index: the real encoder's cost, then a random unit vector
    (random corpus vectors make real ones meaningless there)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.name, self.dim, self.fingerprint = inner, "random-unit-vectors", 384, "synthetic"
        self.count_tokens = inner.count_tokens
        self.rng = np.random.default_rng(1)

    def encode(self, texts, progress=None):  # type: ignore[no-untyped-def]
        return self.encode_queries(texts)

    def encode_queries(self, texts):  # type: ignore[no-untyped-def]
        self.inner.encode_queries(texts)
        v = self.rng.standard_normal((len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--skip-synthetic", action="store_true")
    # efConstruction shapes the graph, efSearch the query cost. 200 on 1M random 384-d vectors
    # ran over 40 minutes on 2 cores without finishing; 40 builds ~5x faster (measured on 20k).
    ap.add_argument("--ef-construction", type=int, default=40)
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "search.json")
    args = ap.parse_args()

    encoder = query_encoder(None, ROOT / "var" / "models", spin=quiet_blas())  # as `sitrep` serves (app/threads.py)
    results: dict[str, object] = {"query_encoder": type(encoder).__name__, "spinning": getattr(encoder, "spin", False)}
    queries = evaluate.load_queries(args.dataset / "queries.jsonl") + evaluate.load_queries(args.dataset / "queries_null.jsonl")
    asks = [Query(q.question, k=10, as_of=q.question_date) for q in queries]
    results["embed_question"] = time_embedding(encoder, [q.question for q in queries])

    engine = Engine.open(args.index, encoder)
    results["dev_index"] = {"passages": engine.backend.stats().passages, **time_asks(engine, asks)}
    print(json.dumps(results, indent=1), flush=True)
    results["hnsw_on_dev_vectors"] = hnsw_on_real_vectors(engine, [q.question for q in queries], encoder)
    print(json.dumps(results["hnsw_on_dev_vectors"], indent=1), flush=True)
    readings: dict[str, object] = {"dev": fresh_readings(args.index, encoder, asks)}
    for shape in ("snippets", "bare", "undated"):  # indexes `sitrep eval` built for benchmarks/shapes.py
        index = ROOT / "var" / "eval" / f"{args.dataset.name}-{shape}" / "index"
        folder = ROOT / "var" / "eval" / "shapes" / f"{args.dataset.name}-{shape}"
        if index.exists() and (folder / "queries.jsonl").exists():
            shape_asks = [Query(q.question, k=50, as_of=q.question_date) for q in evaluate.load_queries(folder / "queries.jsonl")]
            readings[shape] = fresh_readings(index, encoder, shape_asks)
    results["fresh_engine_readings"] = readings
    print(json.dumps(readings, indent=1), flush=True)

    if not args.skip_synthetic:
        synth = ROOT / "var" / "bench" / f"synth{args.passages // 1000}k-efc{args.ef_construction}"
        if not synth.exists():
            build_synthetic(synth, args.passages, args.dataset, args.ef_construction)
        t = time.perf_counter()
        s_backend = LocalBackend(store.load(synth))
        s_engine = Engine(s_backend, RandomQueryEncoder(encoder))
        load_s = time.perf_counter() - t
        s_asks = [Query(q.question, k=10) for q in queries]
        # How much the graph gives up against exact search on random unit queries: little structure
        # to follow in 384 random dimensions, so this is a floor, not the recall on real text.
        rng = np.random.default_rng(2)
        probe = rng.standard_normal((100, 384)).astype(np.float32)
        probe /= np.linalg.norm(probe, axis=1, keepdims=True)
        exact = np.argsort(-(probe @ s_backend.data.vectors.T), axis=1)[:, :10]
        found = [set(r.ids.tolist()) for r in s_backend.dense(probe, 10, [None] * len(probe))]
        hnsw_recall = float(np.mean([len(f & set(e.tolist())) / 10 for f, e in zip(found, exact)]))
        results["synthetic"] = {"passages": s_backend.stats().passages, "load_s": round(load_s, 2), "hnsw_recall@10": round(hnsw_recall, 3),
                                "index": f"HNSW M=32 efConstruction={args.ef_construction} efSearch=128 + bm25s", **time_asks(s_engine, s_asks)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
