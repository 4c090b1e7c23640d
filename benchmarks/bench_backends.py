"""Local (FAISS + bm25s) against Milvus, side by side in one run: milvus-lite as a file (its server
started by the client, in a child process) and milvus-lite run as a server on 127.0.0.1, so that each
round trip crosses a TCP socket as with a real server.

1. The dev index on each: `ask` p50/p95 over every dev question (k=10, as of its date, the citations'
   metadata read as a front end does), round trips per question — calls to the Milvus client, and how
   many of them waited one after another (calls that overlap in time are one round trip) — without a
   source filter and with one, index size on disk, peak RSS (this process and Milvus's), and an update
   that adds 10 articles (embedding included, ONNX, no embedding cache, on a copy of each index).
2. Synthetic indexes of --passages passages (default 200,000; give 200000 1000000 for both) written
   through each backend's Writer: insert rate (upsert + commit, until searchable), then `ask` p50/p95,
   size, RSS. Texts are words sampled from the dev corpus's frequencies; vectors are real dev passage
   vectors plus noise, so HNSW has neighbourhoods to find and the questions' real vectors mean something.

3. A corpus without dates (the *snippets* shape, benchmarks/shapes.py: one passage an article, no titles,
   no dates), where a question takes the most calls — the word-match re-ordering reads article records
   and the pseudo-relevance feedback searches BM25 a second time: every question asked once of a fresh
   engine (its words and articles seen for the first time, the term table read), with the feedback and
   without (SITREP_EXPAND_WEIGHT=0): `ask` p50/p95 and sequential round trips, next to the local backend.

Each target runs in its own process (peak RSS is then its own).

    python benchmarks/bench_backends.py [--passages 200000 [1000000]] [--questions N] [--synthetic-questions 100]

Raw results in var/bench/backends.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_search import pct, word_frequencies  # noqa: E402

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.corpus.articles import Article  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.backends import BackendConfig  # noqa: E402
from sitrep.index.backends.local import store  # noqa: E402
from sitrep.index.backends.local.backend import DenseSettings  # noqa: E402
from sitrep.index.build import update  # noqa: E402
from sitrep.index.chunking import ChunkSettings, Passage  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.index.lexicon import BM25Settings  # noqa: E402
from sitrep.index.manifest import Manifest, ModelInfo  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402

DEV = ROOT / "var" / "eval" / "realtimeqa"


class Trips:
    """Counts a Milvus client's calls, and how many of them waited one after another (calls that overlap
    in time, issued together, are one round trip)."""

    def __init__(self, engine: Engine) -> None:
        client = engine.backend._conn.client  # type: ignore[attr-defined]
        self.inner = client._client
        client._client = self
        self.calls: list[tuple[float, float, str]] = []
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return attr(*args, **kwargs)
            finally:
                with self.lock:
                    self.calls.append((t0, time.perf_counter(), name))
        return call

    def take(self) -> tuple[int, int]:
        """(sequential round trips, calls) since the last take."""
        with self.lock:
            calls, self.calls = sorted(self.calls), []
        waves, end = 0, float("-inf")
        for start, stop, _ in calls:
            if start >= end:
                waves += 1
                end = stop
            else:
                end = max(end, stop)
        return waves, len(calls)


def asked_each(engine: Engine, queries: list[Query], trips: Trips | None) -> tuple[list[float], list[int], list[int]]:
    """Each question asked once, the citations' metadata read as a front end reads it: ms, round trips, calls."""
    if trips is not None:
        trips.take()
    times, waves, calls = [], [], []
    for q in queries:
        t = time.perf_counter()
        engine.answer_meta(engine.ask(q))
        times.append((time.perf_counter() - t) * 1000)
        if trips is not None:
            w, c = trips.take()
            waves.append(w)
            calls.append(c)
    return times, waves, calls


def time_asks(engine: Engine, queries: list[Query], trips: Trips | None = None) -> dict[str, float]:
    for q in queries[:10]:
        engine.answer_meta(engine.ask(q))  # warm caches and lazy imports
    times, waves, calls = asked_each(engine, queries, trips)
    out: dict[str, float] = {"questions": len(times), "p50_ms": pct(times, 50), "p95_ms": pct(times, 95),
                             "mean_ms": round(statistics.fmean(times), 2)}
    if trips is not None:
        # Warm: an engine that has answered questions keeps passage rows and article records (up to 50,000),
        # so on a small index later questions often need only the searches.
        out.update(warm_round_trips_p50=statistics.median(waves), warm_round_trips_max=max(waves),
                   warm_calls_mean=round(statistics.fmean(calls), 2))
        # Cold: the protocol's own cost, nothing kept from earlier questions (term statistics aside: they
        # ride with the searches).
        backend = engine.backend
        cold_waves, cold_calls = [], []
        for q in queries[:100]:
            backend._rows.clear()  # type: ignore[attr-defined]
            backend._meta.clear()  # type: ignore[attr-defined]
            trips.take()
            engine.answer_meta(engine.ask(q))
            w, c = trips.take()
            cold_waves.append(w)
            cold_calls.append(c)
        out.update(round_trips_p50=statistics.median(cold_waves), round_trips_max=max(cold_waves),
                   round_trips_mean=round(statistics.fmean(cold_waves), 2), calls_mean=round(statistics.fmean(cold_calls), 2),
                   calls_max=max(cold_calls))
    return out


def size_on_disk(config: BackendConfig, server_dir: Path | None = None) -> int:
    root = server_dir or (config.path.resolve() if config.kind == "local" else Path(config.uri))
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.is_dir() else root.stat().st_size


def peak_rss_mb(pid: int | None = None) -> float:
    """VmHWM of a process (this one by default), and of the Milvus (Lite) processes this one started."""
    def hwm(p: int) -> float:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0
    return round(hwm(pid or os.getpid()), 1)


def milvus_children_rss_mb() -> float:
    total = 0.0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            ppid = int(next(x for x in (d / "status").read_text().splitlines() if x.startswith("PPid:")).split()[1])
            cmd = (d / "cmdline").read_bytes()
        except (OSError, StopIteration):
            continue
        if ppid == os.getpid() and b"milvus" in cmd:
            total += peak_rss_mb(int(d.name))
    return round(total, 1)


class Server:
    """milvus-lite run as a server on 127.0.0.1 (as tests/test_milvus.py starts one)."""

    def __init__(self, folder: Path) -> None:
        import socket
        import subprocess

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.folder = folder
        self.proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(folder),
                                      "--host", "127.0.0.1", "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.1)
        self.uri = f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


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


def dev_target(kind: str, encoder: Any, asks: list[Query], tmp: Path) -> dict[str, Any]:
    from sitrep.index.embedcache import EmbeddingCache

    server = None
    if kind == "server":
        server = Server(tmp / "server")
        config = BackendConfig(kind="milvus", uri=server.uri, collection="eval_realtimeqa")
        t = time.perf_counter()
        update(DEV / "corpus", config, encoder, cache=EmbeddingCache(ROOT / "var" / "embeddings", encoder.fingerprint, encoder.dim))
        built = round(time.perf_counter() - t, 1)
    else:
        config = dev_targets()[kind]
        built = None
    try:
        out: dict[str, Any] = {}
        for name, questions in (("ask", asks), ("ask_source_filter", [replace(q, source="cnn") for q in asks])):
            engine = Engine.open(config, encoder)  # afresh: nothing kept from the other pass
            trips = Trips(engine) if kind != "local" else None
            out["passages"] = engine.backend.stats().passages
            out[name] = time_asks(engine, questions, trips)
            engine.backend.close()
        out["size_mb"] = round(size_on_disk(config, server.folder if server else None) / 1e6, 1)
        out["rss_mb"] = peak_rss_mb()
        out["milvus_rss_mb"] = server.rss_mb() if server else milvus_children_rss_mb()
        if built is not None:
            out["built_from_embedding_cache_s"] = built
        if server is None:
            copy = copy_target(kind, config, tmp)
            corpus = ten_articles(tmp)
            t = time.perf_counter()
            report = update(corpus, copy, encoder, dense=DenseSettings())
            out["update_10_articles"] = {"seconds": round(time.perf_counter() - t, 2), "added": report.added,
                                         "passages_embedded": report.passages_embedded}
        return out
    finally:
        if server is not None:
            server.stop()


def synthetic_target(kind: str, n: int, dataset: Path, encoder: Any, asks: list[Query], tmp: Path) -> dict[str, Any]:
    dev_vectors = np.asarray(store.load(DEV / "index").vectors, dtype=np.float32)
    articles, passages, vectors = synthetic_articles(n, dataset, dev_vectors)
    del dev_vectors
    model = ModelInfo(encoder.name, encoder.fingerprint, encoder.dim)
    config = BackendConfig(path=tmp / "index") if kind == "local" else \
        BackendConfig(kind="milvus", uri=str(tmp / "milvus.db"), collection="synth")
    seconds = write_synthetic(config, articles, passages, vectors, model)
    del articles, passages, vectors
    engine = Engine.open(config, encoder)
    trips = Trips(engine) if kind != "local" else None
    out = {"passages": n, "insert_s": round(seconds, 1), "insert_per_s": round(n / seconds),
           "dense": engine.backend.manifest.dense.kind, "ask": time_asks(engine, asks, trips)}
    engine.backend.close()
    out["size_mb"] = round(size_on_disk(config) / 1e6, 1)
    out["rss_mb"] = peak_rss_mb()
    out["milvus_rss_mb"] = milvus_children_rss_mb()
    return out


def shape_target(kind: str, shape: str, encoder: Any, tmp: Path) -> dict[str, Any]:
    """Each question of a derived corpus shape once, of a fresh engine, with the feedback and without."""
    from shapes import folder

    from sitrep.index.embedcache import EmbeddingCache
    from sitrep.retrieval.hybrid import RetrievalParams

    dataset = folder(shape)
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / "corpus.jsonl").symlink_to(dataset / "corpus.jsonl")
    config = BackendConfig(path=tmp / "index") if kind == "local" else \
        BackendConfig(kind="milvus", uri=str(tmp / "milvus.db"), collection=f"shape_{shape}")
    t = time.perf_counter()
    update(corpus, config, encoder, cache=EmbeddingCache(ROOT / "var" / "embeddings", encoder.fingerprint, encoder.dim))
    out: dict[str, Any] = {"built_from_embedding_cache_s": round(time.perf_counter() - t, 1)}
    asks = [Query(q.question, k=10, as_of=q.question_date) for q in evaluate.load_queries(dataset / "queries.jsonl")]
    for name, params in (("feedback", RetrievalParams()), ("no_feedback", RetrievalParams(expand_weight=0.0))):
        t = time.perf_counter()
        engine = Engine.open(config, encoder, params=params)
        table = getattr(engine.backend, "term_table", None)
        if table is not None:
            table.wait()
        opened = time.perf_counter() - t
        times, waves, calls = asked_each(engine, asks, Trips(engine) if kind != "local" else None)
        row: dict[str, Any] = {"questions": len(times), "open_s": round(opened, 2), "p50_ms": pct(times, 50),
                               "p95_ms": pct(times, 95)}
        if waves:
            row.update(round_trips_p50=statistics.median(waves), round_trips_mean=round(statistics.fmean(waves), 2),
                       round_trips_max=max(waves), calls_mean=round(statistics.fmean(calls), 2))
        out[name] = row
        engine.backend.close()
    return out


def run_target(name: str, args: argparse.Namespace) -> dict[str, Any]:
    encoder = query_encoder(None, ROOT / "var" / "models")
    queries = evaluate.load_queries(args.dataset / "queries.jsonl") + evaluate.load_queries(args.dataset / "queries_null.jsonl")
    if args.questions:
        queries = queries[: args.questions]
    asks = [Query(q.question, k=10, as_of=q.question_date) for q in queries]
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        parts = name.split(":")
        if parts[0] in ("snippets", "undated", "syndicated", "bare"):
            return shape_target(parts[1], parts[0], encoder, Path(tmp))
        if parts[0] == "dev":
            return dev_target(parts[1], encoder, asks, Path(tmp))
        return synthetic_target(parts[2], int(parts[1]), args.dataset, encoder, asks[: args.synthetic_questions], Path(tmp))


def local_before_after(base: str, rounds: int, dataset: Path) -> dict[str, Any]:
    """The local backend's `ask` on the dev index, the tree at `base` and this one alternated in separate
    processes (the protocol changed under it: it must keep its speed)."""
    from bench_conversation import TIMER
    from trees import run_in, worktree

    index, models = (DEV / "index").resolve(), (ROOT / "var" / "models").resolve()
    runs: dict[str, list[float]] = {"before": [], "after": []}
    with worktree(base) as tree:
        for r in range(rounds):
            order = (("before", tree), ("after", ROOT)) if r % 2 == 0 else (("after", ROOT), ("before", tree))
            for name, where in order:
                runs[name].append(run_in(where, TIMER, str(index), str(models), str(dataset.resolve()))["p50_ms"])
                print(f"local ask, round {r + 1}, {name}: p50 {runs[name][-1]:.2f} ms", flush=True)
    return {"base": base, "p50_ms": {k: [round(x, 2) for x in v] for k, v in runs.items()},
            "median_p50_ms": {k: round(statistics.median(v), 2) for k, v in runs.items()}}


def main() -> None:
    import subprocess

    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--passages", type=int, nargs="*", default=[200_000])
    ap.add_argument("--questions", type=int, default=0, help="only the first N dev questions (default all)")
    ap.add_argument("--synthetic-questions", type=int, default=100,
                    help="questions asked of the synthetic index (milvus-lite scores BM25 in Python: seconds each)")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--targets", nargs="*", help="only these (dev:local dev:milvus dev:server snippets:local "
                    "snippets:milvus synth:N:local synth:N:milvus; another shape as snippets: undated:milvus ...)")
    ap.add_argument("--local-base", default="ff453b8",
                    help="the commit before issue 23: the local backend's ask, that tree and this one alternated")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--target", help=argparse.SUPPRESS)  # one target, in a child process
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "backends.json")
    args = ap.parse_args()
    if args.target:
        print("RESULT " + json.dumps(run_target(args.target, args)), flush=True)
        return

    targets = [t for t in args.targets if t != "local-base"] if args.targets else (["dev:local", "dev:milvus", "dev:server",
                                                                                   "snippets:local", "snippets:milvus"] + ([] if args.skip_synthetic else [
        f"synth:{n}:{kind}" for n in args.passages for kind in ("local", "milvus")]))
    results: dict[str, Any] = {}
    for name in targets:
        argv = [sys.executable, __file__, "--target", name, "--dataset", str(args.dataset),
                "--questions", str(args.questions), "--synthetic-questions", str(args.synthetic_questions)]
        done = subprocess.run(argv, capture_output=True, text=True)
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(f"{name}: failed\n{done.stderr[-2000:]}", flush=True)
            continue
        results[name] = json.loads(line[len("RESULT "):])
        print(name, json.dumps(results[name]), flush=True)
    if not args.targets or "local-base" in args.targets:
        results["local before / after"] = local_before_after(args.local_base, args.rounds, args.dataset)
    for base in ("dev:milvus", "dev:server"):
        if base in results and "dev:local" in results:
            results[f"{base} / local p50"] = round(results[base]["ask"]["p50_ms"] / results["dev:local"]["ask"]["p50_ms"], 1)
    for n in args.passages:
        if f"synth:{n}:milvus" in results and f"synth:{n}:local" in results:
            results[f"synth:{n} milvus / local p50"] = round(results[f"synth:{n}:milvus"]["ask"]["p50_ms"] /
                                                             results[f"synth:{n}:local"]["ask"]["p50_ms"], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(args.out.read_text()) if args.out.exists() and args.targets else {}
    args.out.write_text(json.dumps({**old, **results}, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
