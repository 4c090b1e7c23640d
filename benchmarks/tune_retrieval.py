"""Pick fusion, recency and abstention parameters on the dev set; prints the comparison.

Needs the dev index that `sitrep eval --dataset ../shared/eval/realtimeqa` builds (in
var/eval/realtimeqa/index). Questions are embedded once; every configuration then
reuses the vectors, so a sweep takes seconds per configuration.

    python benchmarks/tune_retrieval.py [--dataset DIR] [--index DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import store  # noqa: E402
from index.embedding import query_encoder  # noqa: E402
from retrieval import evaluate  # noqa: E402
from retrieval.answer import Answerer, AnswerParams  # noqa: E402
from retrieval.hybrid import HybridRetriever, RetrievalParams  # noqa: E402
from retrieval.types import Query  # noqa: E402


class CachedEncoder:
    """Serves precomputed question vectors (the real encoder's), so sweeps skip the model."""

    def __init__(self, inner, texts: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        self.count_tokens = inner.count_tokens
        self._vecs = dict(zip(texts, inner.encode(list(texts))))

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return np.stack([self._vecs[t] for t in texts])


def run(retriever: HybridRetriever, queries: list[evaluate.EvalQuery], mode: str = "hybrid") -> dict[str, float]:
    results = retriever.search_batch([Query(q.question, k=50, mode=mode, as_of=q.question_date) for q in queries])
    return evaluate.retrieval_metrics([evaluate.article_ranking(r.hits) for r in results], [q.gold for q in queries])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "tune.json")
    args = ap.parse_args()

    data = store.load(args.index)
    queries = evaluate.load_queries(args.dataset / "queries.jsonl")
    nulls = evaluate.load_queries(args.dataset / "queries_null.jsonl")
    enc = CachedEncoder(query_encoder(None, ROOT / "var" / "models"), [q.question for q in queries + nulls])
    base = RetrievalParams()
    retriever = HybridRetriever(data, enc, base)
    table: list[dict[str, object]] = []

    def record(name: str, params: RetrievalParams, mode: str = "hybrid") -> dict[str, float]:
        retriever.params = params
        m = run(retriever, queries, mode)
        table.append({"config": name, "mode": mode, **m})
        print(f"{name:<58} {mode:<7} R@1 {m['recall@1']:.3f}  R@10 {m['recall@10']:.3f}  MRR@10 {m['mrr@10']:.3f}", flush=True)
        return m

    for mode in ("bm25", "dense", "hybrid"):
        record("no prior", base, mode)
    for hl, w in itertools.product((7, 14, 30), (0.5, 0.8, 1.0)):
        for mode in ("bm25", "dense", "hybrid"):
            record(f"recency hl={hl} w={w}", replace(base, half_life_days=hl, recency_weight=w), mode)
    best_prior = max((r for r in table if r["mode"] == "hybrid"), key=lambda r: (r["mrr@10"], r["recall@10"]))
    hl_w = str(best_prior["config"])
    print("best prior:", hl_w)
    hl = float(hl_w.split("hl=")[1].split()[0]) if "hl=" in hl_w else 14.0
    w = float(hl_w.split("w=")[1]) if "w=" in hl_w else 0.0
    prior = replace(base, half_life_days=hl, recency_weight=w)
    for k in (10, 30, 60, 100):
        for dw in (0.4, 0.5, 0.6, 0.7):
            record(f"rrf k={k} dense_weight={dw} + prior", replace(prior, rrf_k=k, dense_weight=dw))
    for dw in (0.3, 0.5, 0.7):
        record(f"convex dense_weight={dw} + prior", replace(prior, fusion="convex", dense_weight=dw))

    best = max((r for r in table if r["mode"] == "hybrid"), key=lambda r: (r["mrr@10"], r["recall@10"]))
    print("best hybrid:", json.dumps(best))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, indent=1))
    calibrate(data, retriever, queries, nulls)


def calibrate(data: store.IndexData, retriever: HybridRetriever, queries: list[evaluate.EvalQuery],
              nulls: list[evaluate.EvalQuery]) -> None:
    """Fit the abstention score on answerable (1) vs unanswerable (0) questions; print the trade-off."""
    from sklearn.linear_model import LogisticRegression

    answerer = Answerer(data, retriever.lexical, AnswerParams())
    feats, labels = [], []
    for group, label in ((queries, 1), (nulls, 0)):
        for r in retriever.search_batch([Query(q.question, k=10, as_of=q.question_date) for q in group]):
            weights = {t: retriever.lexical.term_weight(t) for t in set(r.terms)}
            cands = answerer._candidates(r, weights)
            coverage = max((c.coverage for c in cands), default=0.0)
            d = data.articles.date[int(data.passage_article[r.hits[0].passage])] if r.hits else None
            age = min(max(0, r.as_of.toordinal() - _ord(d)) / 365.0, 5.0) if d else 0.0
            feats.append([r.top_cosine, coverage, age])
            labels.append(label)
    X, y = np.array(feats), np.array(labels)
    for cols, name in (([0], "cosine"), ([0, 1], "cosine+coverage"), ([0, 1, 2], "cosine+coverage+age")):
        model = LogisticRegression(C=10.0, max_iter=1000).fit(X[:, cols], y)
        p = model.predict_proba(X[:, cols])[:, 1]
        ans, null = np.sort(p[y == 1]), p[y == 0]
        t = ans[int(0.05 * len(ans))]  # abstain on at most 5% of the answerable
        print(f"{name:<22} coef {np.round(model.coef_[0], 3).tolist()} bias {model.intercept_[0]:.3f} "
              f"threshold {t:.3f}: null abstained {np.mean(null < t):.3f}, answerable abstained {np.mean(ans < t):.3f}")


def _ord(iso: str) -> int:
    from datetime import date

    return date.fromisoformat(iso).toordinal()


if __name__ == "__main__":
    main()
