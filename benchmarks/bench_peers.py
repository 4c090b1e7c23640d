"""sitrep against a peer people would pick instead — txtai — on sitrep's own passages and vectors, on
every corpus shape (benchmarks/shapes.py: dev, snippets, undated), in one run (issue 20).

txtai (a benchmark-only extra: `pip install -e ".[bench]"`, never a runtime dependency) indexes the
same passages (the same indexed text: title + passage) with the same vectors (txtai's `external`
method: its transform looks the passage's vector up; a question is embedded by sitrep's encoder), as
three indexes — hybrid (txtai's default: convex 0.5 / 0.5 over normalised BM25 and vector scores),
BM25 only (`keyword`), vectors only (exact, numpy backend). Each question is searched as of its date
(txtai SQL: `similar(question, 200)` and the passage's day at most the question's; undated passages
pass). sitrep is asked through `Engine.ask` (the full answer, reader included). Both are scored by
sitrep's metric code at the article level, on all questions and on each half of the time split
(questions older / newer than the median question date).

    python benchmarks/bench_peers.py [--shapes dev snippets undated]

Needs each shape's index (`sitrep eval --dataset <shape folder>` builds it; this script runs it when
missing). Writes var/bench/peers.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapes import SHAPES, folder  # noqa: E402

from index import store  # noqa: E402
from index.chunking import index_text  # noqa: E402
from index.embedding import query_encoder  # noqa: E402
from retrieval import evaluate  # noqa: E402
from retrieval.engine import Engine  # noqa: E402
from retrieval.types import MODES, Query  # noqa: E402

K = 50  # hits per question, as `sitrep eval` scores them
CANDIDATES = 200  # txtai's similar() candidates before the date filter (sitrep fuses 200 per list)


def halves(queries: list[evaluate.EvalQuery]) -> dict[str, list[int]]:
    """Question positions: all, and the older / newer half by question date."""
    days = sorted(q.question_date or date.min for q in queries)
    median = days[len(days) // 2]
    return {"all": list(range(len(queries))),
            "older": [i for i, q in enumerate(queries) if (q.question_date or date.min) < median],
            "newer": [i for i, q in enumerate(queries) if (q.question_date or date.min) >= median]}


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
            return np.asarray(encoder.encode(list(inputs)), dtype=np.float32)  # type: ignore[attr-defined]

        dense = {"method": "external", "transform": transform, "backend": "numpy"}
        config = {"hybrid": {**dense, "hybrid": True}, "bm25": {"keyword": True}, "dense": dense}[kind]
        self.embeddings = Embeddings({**config, "content": True})
        self.embeddings.index((i, {"text": t, "day": d}, None) for i, (t, d) in enumerate(zip(texts, days)))

    def search(self, question: str, as_of: date | None) -> list[int]:
        sql = f"select id, score from txtai where similar(:q, {CANDIDATES}) and (day is null or day <= :d)"
        day = (as_of or date.max).toordinal()
        return [int(r["id"]) for r in self.embeddings.search(sql, K, parameters={"q": question, "d": day})]


def run_shape(shape: str, encoder: object) -> dict[str, object]:
    dataset = folder(shape)
    index = ROOT / "var" / "eval" / dataset.name / "index"
    if not index.exists():
        subprocess.run([str(ROOT / ".venv" / "bin" / "sitrep"), "eval", "--dataset", str(dataset), "--mode", "hybrid",
                        "--json"], check=True, capture_output=True)
    queries = evaluate.load_queries(dataset / "queries.jsonl")
    data = store.load(index)
    chunking = data.manifest.chunking
    articles = data.articles
    texts, days, article_of = [], [], []
    for i in range(data.passage_count):
        a = int(data.passage_article[i])
        texts.append(index_text(articles.title[a], data.passage_text(i), chunking))
        d = articles.date[a]
        days.append(date.fromisoformat(d).toordinal() if d else None)
        article_of.append(articles.id[a])
    report: dict[str, object] = {"passages": data.passage_count, "articles": len(articles)}

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
        report[f"sitrep {mode}"] = score(rankings, queries, times)
        print(shape, f"sitrep {mode}", report[f"sitrep {mode}"], flush=True)
    vectors = np.asarray(data.vectors, dtype=np.float32)
    for kind in ("hybrid", "bm25", "dense"):
        t0 = time.perf_counter()
        peer = Peer(kind, texts, vectors, days, encoder)
        built = time.perf_counter() - t0
        rankings, times = [], []
        for q in queries[:20]:
            peer.search(q.question, q.question_date)
        for q in queries:
            t = time.perf_counter()
            rows = peer.search(q.question, q.question_date)
            times.append((time.perf_counter() - t) * 1000)
            rankings.append(list(dict.fromkeys(article_of[r] for r in rows)))
        report[f"txtai {kind}"] = {**score(rankings, queries, times), "index_s": round(built, 1)}
        print(shape, f"txtai {kind}", report[f"txtai {kind}"], flush=True)
    return report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", nargs="*", default=list(SHAPES), choices=SHAPES)
    args = ap.parse_args()
    encoder = query_encoder(None, ROOT / "var" / "models")
    results = {shape: run_shape(shape, encoder) for shape in args.shapes}
    print(f"\n{'shape':<10}{'system':<16}" + "".join(f"{h + ' R@10':>13}{h + ' MRR':>12}" for h in ("all", "older", "newer"))
          + f"{'p50 ms':>9}{'p95 ms':>9}")
    for shape, rows in results.items():
        for name, row in rows.items():
            if not isinstance(row, dict):
                continue
            cells = "".join(f"{row[h]['recall@10']:>13.4f}{row[h]['mrr@10']:>12.4f}" for h in ("all", "older", "newer"))
            print(f"{shape:<10}{name:<16}{cells}{row['p50_ms']:>9}{row['p95_ms']:>9}")
        ours, theirs = rows["sitrep hybrid"], rows["txtai hybrid"]
        print(f"{shape:<10}txtai hybrid p50 / sitrep ask p50: "
              f"{theirs['p50_ms'] / ours['p50_ms']:.2f}x")  # type: ignore[index]
    out = ROOT / "var" / "bench" / "peers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
