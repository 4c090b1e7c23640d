"""sitrep against peers people would pick instead — txtai, and Haystack — on sitrep's own passages and vectors, on
every corpus shape (benchmarks/shapes.py: dev, snippets, undated, syndicated, bare, mixed), in one run (issue 20).

txtai (a benchmark-only extra: `pip install -e ".[bench]"`, never a runtime dependency) indexes the
same passages (the same indexed text: title + passage) with the same vectors (txtai's `external`
method: its transform looks the passage's vector up; a question is embedded by sitrep's encoder), as
three indexes — hybrid (txtai's default: convex 0.5 / 0.5 over normalised BM25 and vector scores),
BM25 only (`keyword`), vectors only (exact, numpy backend). Each question is searched as of its date
(txtai SQL: `similar(question, 200)` and the passage's day at most the question's; undated passages
pass). sitrep is asked through `Engine.ask` (the full answer, reader included). Both are scored by
sitrep's metric code at the article level, on all questions and on each half of the time split
(questions older / newer than the median question date). Speed is reported twice: each system timed in a
block of its own during its accuracy run, and — the ratio the docs quote — all hybrids asked in turn,
question by question (`interleaved`), so the machine's busy spells fall on every system alike.

sitrep runs as `sitrep` serves (app/threads.py): numpy's BLAS on one thread and the question encoder's
threads spinning. For the speed comparison asked in turn, 25 questions at a time (`--block`; question by
question, sitrep's threads still spinning after its answer slowed txtai's next search by ~2.4 ms and
the ratio read 2.4x where alone it is 2.1-2.2x), each peer answers from a process of its own
(PeerProcess), with the threads that suit it best here: numpy's BLAS on one thread too (txtai's numpy
search gains more from that than sitrep: bare 19.4-20.0 -> 16.3-16.9 ms) and an encoder of its own that
does not spin (spinning costs txtai's search more than it saves). `--same-process` times the peers in
sitrep's process on its encoder instead; `--library-defaults` runs every process as a program importing
these libraries gets them (BLAS on every core, nothing spinning).

    python benchmarks/bench_peers.py [--shapes dev snippets undated] [--same-process] [--library-defaults]

Needs each shape's index (`sitrep eval --dataset <shape folder>` builds it; this script runs it when
missing). Writes var/bench/peers.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from questions import per_question, question_changes, sign_test  # noqa: E402
from shapes import SHAPES, folder  # noqa: E402

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.app.threads import quiet_blas  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.backends.local import store  # noqa: E402
from sitrep.index.chunking import index_text  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.types import MODES, Query  # noqa: E402

K = 50  # hits per question, as `sitrep eval` scores them
CANDIDATES = 200  # txtai's similar() candidates before the date filter (sitrep fuses 200 per list)
SMALL_SHAPES = ("snippets", "syndicated", "bare")  # Haystack runs on these by default


def halves(queries: list[evaluate.EvalQuery]) -> dict[str, list[int]]:
    """Question positions: all, and the older / newer half by question date."""
    days = sorted(q.question_date or date.min for q in queries)
    median = days[len(days) // 2]
    return {"all": list(range(len(queries))),
            "older": [i for i, q in enumerate(queries) if (q.question_date or date.min) < median],
            "newer": [i for i, q in enumerate(queries) if (q.question_date or date.min) >= median]}


def paired_bootstrap(ours: list[list[str]], theirs: list[list[str]], queries: list[evaluate.EvalQuery],
                     idx: list[int], comparisons: int = 1, draws: int = 5000, seed: int = 0) -> dict[str, list[float]]:
    """sitrep minus the peer on the same questions, recall@10 and MRR@10: the mean difference, a 95%
    paired-bootstrap interval (questions resampled with replacement), and the interval widened for the
    number of comparisons made in the run (Bonferroni: 1 - 0.05 / comparisons). An interval across 0 is
    a gap the questions cannot tell from chance; with many comparisons, look at the corrected one."""
    a = np.array([per_question(ours[i], queries[i].gold) for i in idx])
    b = np.array([per_question(theirs[i], queries[i].gold) for i in idx])
    d = a - b
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(idx), size=(draws, len(idx)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5], axis=0)
    tail = 100 * 0.05 / comparisons / 2
    clo, chi = np.percentile(means, [tail, 100 - tail], axis=0)
    return {metric: [round(float(d[:, j].mean()), 4), round(float(lo[j]), 4), round(float(hi[j]), 4),
                     round(float(clo[j]), 4), round(float(chi[j]), 4)]
            for j, metric in enumerate(("recall@10", "mrr@10"))}


def score(rankings: list[list[str]], queries: list[evaluate.EvalQuery], times: list[float]) -> dict[str, object]:
    out: dict[str, object] = {}
    for half, idx in halves(queries).items():
        m = evaluate.retrieval_metrics([rankings[i] for i in idx], [queries[i].gold for i in idx])
        out[half] = {"recall@10": m["recall@10"], "mrr@10": m["mrr@10"], "questions": len(idx)}
    out["p50_ms"] = round(float(np.percentile(times, 50)), 2)
    out["p95_ms"] = round(float(np.percentile(times, 95)), 2)
    return out


class Peer:
    """One txtai index over sitrep's passages."""

    def __init__(self, kind: str, texts: list[str], vectors: np.ndarray, days: list[int | None], encoder: object) -> None:
        from txtai import Embeddings

        row = {t: i for i, t in reversed(list(enumerate(texts)))}

        def transform(inputs: list[str]) -> np.ndarray:
            rows = [row.get(x) for x in inputs]
            if all(r is not None for r in rows):
                return vectors[rows]
            return np.asarray(encoder.encode_queries(list(inputs)), dtype=np.float32)  # type: ignore[attr-defined]

        dense = {"method": "external", "transform": transform, "backend": "numpy"}
        config = {"hybrid": {**dense, "hybrid": True}, "bm25": {"keyword": True}, "dense": dense}[kind]
        self.embeddings = Embeddings({**config, "content": True})
        self.embeddings.index((i, {"text": t, "day": d}, None) for i, (t, d) in enumerate(zip(texts, days)))

    def search(self, question: str, as_of: date | None) -> list[int]:
        sql = f"select id, score from txtai where similar(:q, {CANDIDATES}) and (day is null or day <= :d)"
        day = (as_of or date.max).toordinal()
        return [int(r["id"]) for r in self.embeddings.search(sql, K, parameters={"q": question, "d": day})]


class HaystackPeer:
    """A second peer: Haystack's (haystack-ai) in-memory document store over the same passages and vectors — its BM25
    retriever, its embedding retriever (the question's vector given: sitrep's encoder), and for hybrid its
    DocumentJoiner with reciprocal rank fusion, the hybrid recipe Haystack documents. As of each
    question's date by a metadata filter (undated passages pass)."""

    def __init__(self, kind: str, texts: list[str], vectors: np.ndarray, days: list[int | None], encoder: object) -> None:
        import os

        os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
        from haystack import Document
        from haystack.components.joiners import DocumentJoiner
        from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        self.kind, self.encoder = kind, encoder
        store = InMemoryDocumentStore(embedding_similarity_function="dot_product")
        store.write_documents([Document(id=str(i), content=t, embedding=vectors[i].tolist(),
                                        meta={"day": d or 0, "dated": d is not None})
                               for i, (t, d) in enumerate(zip(texts, days))])
        self.bm25 = InMemoryBM25Retriever(store, top_k=CANDIDATES)
        self.dense = InMemoryEmbeddingRetriever(store, top_k=CANDIDATES)
        self.joiner = DocumentJoiner(join_mode="reciprocal_rank_fusion", top_k=K)

    def search(self, question: str, as_of: date | None) -> list[int]:
        day = (as_of or date.max).toordinal()
        filters = {"operator": "OR", "conditions": [{"field": "meta.dated", "operator": "==", "value": False},
                                                    {"field": "meta.day", "operator": "<=", "value": day}]}
        lists = []
        if self.kind in ("hybrid", "bm25"):
            lists.append(self.bm25.run(query=question, filters=filters)["documents"])
        if self.kind in ("hybrid", "dense"):
            vector = np.asarray(self.encoder.encode_queries([question]), dtype=np.float32)[0]  # type: ignore[attr-defined]
            lists.append(self.dense.run(query_embedding=vector.tolist(), filters=filters)["documents"])
        docs = self.joiner.run(documents=lists)["documents"] if len(lists) > 1 else lists[0][:K]
        return [int(d.id) for d in docs]


def passages_of(index: Path) -> tuple[list[str], np.ndarray, list[int | None], list[str]]:
    """An index's passages as the peers index them: the indexed text (title + passage), the vector, the
    article's day (None if undated) and the article's id."""
    data = store.load(index)
    chunking, articles = data.manifest.chunking, data.articles
    texts, days, article_of = [], [], []
    for i in range(data.passage_count):
        a = int(data.passage_article[i])
        texts.append(index_text(articles.title[a], data.passage_text(i), chunking))
        d = articles.date[a]
        days.append(date.fromisoformat(d).toordinal() if d else None)
        article_of.append(articles.id[a])
    return texts, np.asarray(data.vectors, dtype=np.float32), days, article_of


MAKERS: dict[str, type] = {"txtai": Peer, "haystack": HaystackPeer}


class TimedEncoder:
    """The question encoder, with the time its calls took since `spent` was last zeroed. Both systems embed
    the question with the same model; what each does besides (`ask` or search less its embedding) is the
    part of the time its own code decides, and it does not move with how fast this machine runs the model."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint  # type: ignore[attr-defined]
        self.count_tokens = inner.count_tokens  # type: ignore[attr-defined]
        self.spent = 0.0

    def encode(self, texts: Sequence[str], progress: object = None) -> np.ndarray:
        return self.encode_queries(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return self.inner.encode_queries(texts)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.spent += (time.perf_counter() - t) * 1000


class PeerProcess:
    """A peer's hybrid search in a process of its own, for the speed comparison: with numpy's BLAS on one
    thread and its own question encoder, not spinning — the setting that suits txtai best here (bare,
    questions asked back to back: 16.0 ms a search, 19.4 with the encoder's threads spinning; 16.3-16.9
    asked in turn with sitrep against 19.4-20.0 with BLAS on both cores). sitrep's process keeps the
    setting it serves with. Each search is timed in the peer's process (the pipe is not its cost)."""

    def __init__(self, name: str, index: Path, library_defaults: bool = False) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve_peer, args=(child, name, index, library_defaults), daemon=True)
        self.process.start()
        if self.conn.recv() != "ready":
            raise RuntimeError(f"{name} did not start in its own process")

    def timed_search(self, question: str, as_of: date | None) -> float:
        return self.timed_parts(question, as_of)[0]

    def timed_parts(self, question: str, as_of: date | None) -> tuple[float, float]:
        """The search's time and the part of it spent embedding the question, in ms."""
        self.conn.send((question, as_of))
        total, embedding = self.conn.recv()
        return float(total), float(embedding)

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(30)


def _serve_peer(conn: object, name: str, index: Path, library_defaults: bool) -> None:
    if not library_defaults:
        quiet_blas()
    encoder = TimedEncoder(query_encoder(None, ROOT / "var" / "models", spin=False))
    texts, vectors, days, _ = passages_of(index)
    peer = MAKERS[name]("hybrid", texts, vectors, days, encoder)
    conn.send("ready")  # type: ignore[attr-defined]
    while (asked := conn.recv()) is not None:  # type: ignore[attr-defined]
        encoder.spent = 0.0
        t = time.perf_counter()
        peer.search(*asked)
        conn.send(((time.perf_counter() - t) * 1000, encoder.spent))  # type: ignore[attr-defined]


def interleaved(index: Path, encoder: object, peers: dict[str, object], queries: list[evaluate.EvalQuery],
                rounds: int = 3, block: int = 1, peer_encoder: TimedEncoder | None = None) -> dict[str, object]:
    """The speed comparison, with the systems asked in turn (sitrep's `ask`, then each peer's hybrid search,
    the order rotating), so a busy spell on the machine falls on all of them alike: p50 of each and the
    peers' p50 over sitrep's. `block` questions at a time: 1 asks in turn question by question, where
    what one system leaves running (threads still spinning, caches filled) falls on the next one's
    question; a block of 25 lets each answer on a quiet machine but for its first question. The accuracy
    runs time each system in a block of its own. Each round asks a freshly opened sitrep engine each
    question once: nothing it keeps between questions (term statistics, what the re-ranking read of a
    passage) was filled by the same question before. Three rounds, because on this machine one round's
    ratio moved by +-0.05 from run to run. Each system's time is also given less its question's embedding
    (TimedEncoder; a peer in this process is timed so when it embeds through `peer_encoder`)."""
    names = ["sitrep", *peers]
    times: dict[str, list[float]] = {n: [] for n in names}
    embedding: dict[str, list[float]] = {n: [] for n in names}  # the part of each spent embedding the question
    timed = TimedEncoder(encoder)
    for r in range(rounds):
        engine = Engine.open(index, timed)  # type: ignore[arg-type]
        for b, start in enumerate(range(0, len(queries), block)):
            turn = (b + r) % len(names)
            for name in names[turn:] + names[:turn]:
                for q in queries[start : start + block]:
                    if isinstance(peers.get(name), PeerProcess):  # timed in its process: the pipe is not its cost
                        total, embedded = peers[name].timed_parts(q.question, q.question_date)  # type: ignore[union-attr]
                        times[name].append(total)
                        embedding[name].append(embedded)
                        continue
                    timer = timed if name == "sitrep" else peer_encoder
                    if timer is not None:
                        timer.spent = 0.0
                    t = time.perf_counter()
                    if name == "sitrep":
                        engine.ask(Query(q.question, k=K, mode="hybrid", as_of=q.question_date))
                    else:
                        peers[name].search(q.question, q.question_date)  # type: ignore[attr-defined]
                    times[name].append((time.perf_counter() - t) * 1000)
                    embedding[name].append(timer.spent if timer is not None else float("nan"))
    p50 = {n: round(float(np.percentile(ts, 50)), 2) for n, ts in times.items()}
    own = {n: [t - e for t, e in zip(times[n], embedding[n])] for n in names}  # less the shared model's time
    own50 = {n: round(float(np.percentile(ts, 50)), 2) for n, ts in own.items()}  # nan: not timed apart
    return {"block": block, "p50_ms": p50, "ratio": {n: round(p50[n] / p50["sitrep"], 2) for n in peers},
            "ratio_95": {n: ratio_interval(times["sitrep"], times[n]) for n in peers},
            "embedding_p50_ms": {n: round(float(np.percentile(ts, 50)), 2) for n, ts in embedding.items()},
            "without_embedding_p50_ms": own50,
            "without_embedding_ratio": {n: round(own50[n] / own50["sitrep"], 2) if own50["sitrep"] > 0 and own50[n] == own50[n]
                                        else None for n in peers}}


def ratio_interval(ours: list[float], theirs: list[float], draws: int = 2000, seed: int = 0) -> list[float]:
    """A 95% interval of the peer's p50 over sitrep's, the askings resampled in pairs (the same question
    and round for both, as they were asked in turn). It shows how far the questions alone move the
    ratio; how far the machine moves it from one run to the next comes on top."""
    a, b = np.asarray(ours), np.asarray(theirs)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(a), size=(draws, len(a)))
    ratios = np.median(b[pick], axis=1) / np.median(a[pick], axis=1)
    return [round(float(x), 2) for x in np.percentile(ratios, [2.5, 97.5])]


def run_shape(shape: str, encoder: object, peers: tuple[str, ...] = ("txtai", "haystack"),
              own_process: bool = True, library_defaults: bool = False, block: int = 25,
              peer_encoder: object = None) -> dict[str, object]:
    """One shape: every mode of sitrep and of each peer scored (each timed in a block of its own), then the
    speed comparison asked in turn. `peer_encoder` embeds the peers' questions in the accuracy runs (the same
    vectors as sitrep's encoder; one that does not spin, as suits them): sitrep's encoder when None."""
    dataset = folder(shape)
    index = ROOT / "var" / "eval" / dataset.name / "index"
    if not index.exists():
        subprocess.run([str(ROOT / ".venv" / "bin" / "sitrep"), "eval", "--dataset", str(dataset), "--mode", "hybrid",
                        "--json"], check=True, capture_output=True)
    queries = evaluate.load_queries(dataset / "queries.jsonl")
    texts, vectors, days, article_of = passages_of(index)
    report: dict[str, object] = {"passages": len(texts), "articles": len(set(article_of))}
    ranked: dict[str, list[list[str]]] = {}

    engine = Engine.open(index, encoder)  # type: ignore[arg-type]
    for mode in MODES:
        rankings, times = [], []
        for q in queries[:20]:
            engine.ask(Query(q.question, k=K, mode=mode, as_of=q.question_date))
        for q in queries:
            t = time.perf_counter()
            answer = engine.ask(Query(q.question, k=K, mode=mode, as_of=q.question_date))
            times.append((time.perf_counter() - t) * 1000)
            rankings.append(evaluate.article_ranking(answer.hits))
        ranked[f"sitrep {mode}"] = rankings
        report[f"sitrep {mode}"] = score(rankings, queries, times)
        print(shape, f"sitrep {mode}", report[f"sitrep {mode}"], flush=True)
    hybrids: dict[str, object] = {}
    peer_timer = TimedEncoder(peer_encoder or encoder)
    for name in peers:
        for kind in ("hybrid", "bm25", "dense"):
            t0 = time.perf_counter()
            peer = MAKERS[name](kind, texts, vectors, days, peer_timer)  # type: ignore[abstract]
            built = time.perf_counter() - t0
            rankings, times = [], []
            for q in queries[:20]:
                peer.search(q.question, q.question_date)
            for q in queries:
                t = time.perf_counter()
                rows = peer.search(q.question, q.question_date)
                times.append((time.perf_counter() - t) * 1000)
                rankings.append(list(dict.fromkeys(article_of[r] for r in rows)))
            ranked[f"{name} {kind}"] = rankings
            report[f"{name} {kind}"] = {**score(rankings, queries, times), "index_s": round(built, 1)}
            print(shape, f"{name} {kind}", report[f"{name} {kind}"], flush=True)
            if kind == "hybrid" and not own_process:
                hybrids[name] = peer
    if own_process:  # each peer's hybrid in a process of its own, with the threads that suit it (PeerProcess)
        hybrids = {name: PeerProcess(name, index, library_defaults) for name in peers}
        for peer in hybrids.values():
            for q in queries[:20]:
                peer.timed_search(q.question, q.question_date)  # type: ignore[attr-defined]
    try:
        report["interleaved"] = interleaved(index, encoder, hybrids, queries, block=block, peer_encoder=peer_timer)
    finally:
        for peer in hybrids.values():
            if isinstance(peer, PeerProcess):
                peer.close()
    print(shape, "interleaved", report["interleaved"], flush=True)
    split = halves(queries)
    comparisons = 2 * len(split) * len(peers)  # recall and MRR, on each half, against each peer
    each = {system: [per_question(r, q.gold) for r, q in zip(rankings, queries)] for system, rankings in ranked.items()}
    report["questions"] = {name: {half: [*question_changes([each[f"{name} hybrid"][i] for i in idx],
                                                           [each["sitrep hybrid"][i] for i in idx])]
                                  for half, idx in split.items()} for name in peers}  # sitrep better, worse
    report["paired"] = {name: {half: paired_bootstrap(ranked["sitrep hybrid"], ranked[f"{name} hybrid"], queries, idx,
                                                      comparisons) for half, idx in split.items()} for name in peers}
    return report


def target_misses(rows: dict[str, object], peer: str = "txtai") -> list[str]:
    """Issue 20's accuracy targets on one shape, the cells that miss: on all questions and each half, hybrid's
    recall@10 and MRR@10 at least the better single mode's and at least the peer's hybrid."""
    misses = []
    for half in ("all", "older", "newer"):
        for metric in ("recall@10", "mrr@10"):
            ours = rows["sitrep hybrid"][half][metric]  # type: ignore[index]
            for other in ("sitrep bm25", "sitrep dense", f"{peer} hybrid"):
                theirs = rows[other][half][metric] if other in rows else None  # type: ignore[index]
                if theirs is not None and ours < theirs:
                    misses.append(f"{half} {metric} {ours:.4f} < {other} {theirs:.4f}")
    return misses


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=SHAPES)
    ap.add_argument("--peers", nargs="*", default=None, choices=["txtai", "haystack"],
                    help="default: txtai on every shape, Haystack too on the snippet shapes (its pure-Python BM25 "
                         "takes about 50 minutes a shape on the 38.6k-passage ones)")
    ap.add_argument("--library-defaults", action="store_true",
                    help="numpy's BLAS on every core and the encoder's threads not spinning, as a program that imports "
                         "sitrep gets them; by default the process runs as `sitrep` serves (app/threads.py)")
    ap.add_argument("--same-process", action="store_true",
                    help="time the peers in turn in this process, on sitrep's encoder and threads (by default each "
                         "peer answers from a process of its own, with the threads that suit it: PeerProcess)")
    ap.add_argument("--block", type=int, default=25,
                    help="questions each system answers before the next takes its turn (1: question by question, "
                         "where what one leaves spinning falls on the other's next question)")
    args = ap.parse_args()
    encoder = query_encoder(None, ROOT / "var" / "models", spin=not args.library_defaults and quiet_blas())
    # The peers' questions in the accuracy runs: the same model and vectors, its threads not spinning (txtai
    # alone, bare: 16.0 ms a search, 19.4 on a spinning encoder).
    peer_encoder = query_encoder(None, ROOT / "var" / "models")
    results = {shape: run_shape(shape, encoder, tuple(args.peers if args.peers is not None else
                                                      ["txtai", "haystack"] if shape in SMALL_SHAPES else ["txtai"]),
                                own_process=not args.same_process, library_defaults=args.library_defaults,
                                block=args.block, peer_encoder=peer_encoder)
               for shape in args.shapes}
    out = ROOT / "var" / "bench" / "peers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    earlier = json.loads(out.read_text("utf-8")) if out.is_file() else {}  # a run of some shapes keeps the others'
    out.write_text(json.dumps({**earlier, **results}, indent=1))
    print(f"\n{'shape':<10}{'system':<16}" + "".join(f"{h + ' R@10':>13}{h + ' MRR':>12}" for h in ("all", "older", "newer"))
          + f"{'p50 ms':>9}{'p95 ms':>9}")
    for shape, rows in results.items():
        for name, row in rows.items():
            if not isinstance(row, dict) or name in ("paired", "interleaved", "questions"):
                continue
            cells = "".join(f"{row[h]['recall@10']:>13.4f}{row[h]['mrr@10']:>12.4f}" for h in ("all", "older", "newer"))
            print(f"{shape:<10}{name:<16}{cells}{row['p50_ms']:>9}{row['p95_ms']:>9}")
        ours = rows["sitrep hybrid"]
        for name in rows["paired"]:  # type: ignore[union-attr]
            theirs = rows[f"{name} hybrid"]
            lo, hi = rows["interleaved"]["ratio_95"][name]  # type: ignore[index]
            print(f"{shape:<10}{name} hybrid p50 / sitrep ask p50: {theirs['p50_ms'] / ours['p50_ms']:.2f}x in blocks, "  # type: ignore[index]
                  f"{rows['interleaved']['ratio'][name]:.2f}x asked in turn ({rows['interleaved']['block']} at a time), 95% [{lo:.2f}, {hi:.2f}] "  # type: ignore[index]
                  f"({rows['interleaved']['p50_ms'][name]} / {rows['interleaved']['p50_ms']['sitrep']} ms)")  # type: ignore[index]
            turn = rows["interleaved"]
            if "without_embedding_p50_ms" in turn:  # type: ignore[operator]
                print(f"{shape:<10}{name}, the question's embedding left out (the same model, {turn['embedding_p50_ms'][name]} / "  # type: ignore[index]
                      f"{turn['embedding_p50_ms']['sitrep']} ms): {turn['without_embedding_p50_ms'][name]} / "  # type: ignore[index]
                      f"{turn['without_embedding_p50_ms']['sitrep']} ms, {turn['without_embedding_ratio'][name]}x")  # type: ignore[index]
            misses = target_misses(rows, name)
            print(f"{shape:<10}targets against {name}: " + ("all met" if not misses else "missed: " + "; ".join(misses)))
            for half, diff in rows["paired"][name].items():  # type: ignore[index]
                counts = rows.get("questions", {}).get(name, {}).get(half)  # type: ignore[union-attr]
                print(f"{shape:<10}sitrep - {name} hybrid, {half:<5}: " + "  ".join(
                    f"{m} {v[0]:+.4f} 95% [{v[1]:+.4f}, {v[2]:+.4f}] corrected [{v[3]:+.4f}, {v[4]:+.4f}]"
                    for m, v in diff.items()) + (f"  questions ranked better {counts[0]}, worse {counts[1]} "
                                                 f"(sign test p {sign_test(*counts):.2f})" if counts else ""))


if __name__ == "__main__":
    main()
