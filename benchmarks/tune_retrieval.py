"""Pick fusion, recency and abstention parameters on the dev set; prints the comparison.

Needs the dev index that `sitrep eval --dataset ../shared/eval/realtimeqa` builds (in
var/eval/realtimeqa/index). Questions are embedded once; every configuration then
reuses the vectors, so a sweep takes seconds per configuration.

    python benchmarks/tune_retrieval.py [--dataset DIR] [--index DIR]
    python benchmarks/tune_retrieval.py --shapes    # the undated-path settings on the four shapes that take it

`--shapes` sweeps what applies where the lists are fused without dates (undated fusion, its dense weight,
the word-match re-ranking, the pseudo-relevance feedback, the lists' depth in snippet collections) on snippets, bare, syndicated and undated at once: per setting, hybrid on all
questions and each half of every shape, how many of issue 20's target cells it misses (against the
single modes and txtai's hybrid of the latest `bench_peers.py` run, var/bench/peers.json), and how many
questions it ranks better and worse than the defaults, with a sign test (a few large swings move a mean).
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

from questions import per_question, question_changes, sign_test  # noqa: E402

from sitrep.answer.answerer import Answerer, AnswerParams  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.backends.local import store  # noqa: E402
from sitrep.index.backends.local.backend import LocalBackend  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams, clean_question, embedded  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402


class CachedEncoder:
    """Serves precomputed question vectors (the real encoder's), so sweeps skip the model."""

    def __init__(self, inner, texts: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        self.count_tokens = inner.count_tokens
        cleaned = [embedded(clean_question(t, RetrievalParams().max_question_chars)[0]) for t in texts]
        self._vecs = dict(zip(cleaned, inner.encode_queries(cleaned)))

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self.encode_queries(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vecs[t] for t in texts])


def run(retriever: HybridRetriever, queries: list[evaluate.EvalQuery], mode: str = "hybrid") -> dict[str, float]:
    return run_split(retriever, queries, mode)["all"]


def time_split(queries: list[evaluate.EvalQuery]) -> dict[str, list[int]]:
    """The generalisation protocol: question positions of all the dev weeks, the older half (asked before
    the median question date) and the newer half. A default changes only if it wins on both halves."""
    from datetime import date

    days = sorted(q.question_date or date.min for q in queries)
    median = days[len(days) // 2]
    return {"all": list(range(len(queries))),
            "older": [i for i, q in enumerate(queries) if (q.question_date or date.min) < median],
            "newer": [i for i, q in enumerate(queries) if (q.question_date or date.min) >= median]}


def run_split(retriever: HybridRetriever, queries: list[evaluate.EvalQuery], mode: str = "hybrid") -> dict[str, dict[str, float]]:
    return split_metrics(rankings_of(retriever, queries, mode), queries)


def rankings_of(retriever: HybridRetriever, queries: list[evaluate.EvalQuery], mode: str = "hybrid") -> list[list[str]]:
    results = retriever.search_batch([Query(q.question, k=50, mode=mode, as_of=q.question_date) for q in queries])
    return [evaluate.article_ranking(r.hits) for r in results]


def split_metrics(rankings: list[list[str]], queries: list[evaluate.EvalQuery]) -> dict[str, dict[str, float]]:
    return {half: evaluate.retrieval_metrics([rankings[i] for i in idx], [queries[i].gold for i in idx])
            for half, idx in time_split(queries).items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "tune.json")
    ap.add_argument("--calibrate-only", action="store_true")
    ap.add_argument("--misses", action="store_true", help="list the gold articles hybrid leaves out of its top 10, and the ceiling")
    ap.add_argument("--shapes", action="store_true", help="sweep the undated-path settings on the four shapes that take that path")
    args = ap.parse_args()
    if args.shapes:
        sweep_shapes(ROOT / "var" / "bench" / "tune_shapes.json")
        return

    data = store.load(args.index)
    queries = evaluate.load_queries(args.dataset / "queries.jsonl")
    nulls = evaluate.load_queries(args.dataset / "queries_null.jsonl")
    enc = CachedEncoder(query_encoder(None, ROOT / "var" / "models"), [q.question for q in queries + nulls])
    base = RetrievalParams()
    retriever = HybridRetriever(LocalBackend(data), enc, base)
    if args.misses:
        misses(data, retriever, queries)
        return
    if not args.calibrate_only:
        sweep(retriever, queries, base, args.out)
    retriever.params = base
    calibrate(data, retriever, queries, nulls)


def sweep(retriever: HybridRetriever, queries: list[evaluate.EvalQuery], base: RetrievalParams, out: Path) -> None:
    """Each lever on its own, then together; every line is all three modes on the same settings."""
    table: list[dict[str, object]] = []
    off = replace(base, recency_weight=0.0, hint_weight=0.0, article_boost=0.0, lede_weight=0.0, rrf_k=60.0, dense_weight=0.5,
                  candidates=100)

    def record(name: str, params: RetrievalParams) -> None:
        retriever.params = params
        line = []
        for mode in ("bm25", "dense", "hybrid"):
            split = run_split(retriever, queries, mode)
            m = split["all"]
            table.append({"config": name, "mode": mode, **m, "older": split["older"], "newer": split["newer"]})
            line.append(f"{mode} {m['recall@10']:.3f}/{m['mrr@10']:.3f}")
            if mode == "hybrid":
                line.append("hybrid older " + "/".join(f"{split['older'][k]:.3f}" for k in ("recall@10", "mrr@10"))
                            + " newer " + "/".join(f"{split['newer'][k]:.3f}" for k in ("recall@10", "mrr@10")))
        print(f"{name:<52} " + " | ".join(line), flush=True)

    print("config (recall@10/MRR@10 per mode; hybrid on the older and the newer half of the dev weeks)")
    record("plain: rrf k=60, no dates beyond as-of", off)
    for hl, w in itertools.product((7, 14, 30), (0.5, 0.8, 1.0)):
        record(f"+ recency prior hl={hl} w={w}", replace(off, half_life_days=hl, recency_weight=w))
    prior = replace(off, half_life_days=30, recency_weight=0.5)
    for k, dw in itertools.product((10, 30, 60, 100), (0.4, 0.5, 0.6, 0.7)):
        record(f"+ prior, rrf k={k} dense_weight={dw}", replace(prior, rrf_k=k, dense_weight=dw))
    for dw in (0.3, 0.5, 0.7):
        record(f"+ prior, convex dense_weight={dw}", replace(prior, fusion="convex", dense_weight=dw))
    tuned = replace(prior, rrf_k=30, dense_weight=0.6)
    for hl, w in ((7, 0.8), (14, 0.8), (14, 1.0)):
        record(f"+ 'this week' hint hl={hl} w={w}", replace(tuned, hint_half_life_days=hl, hint_weight=w))
    for beta in (0.3, 0.6):
        record(f"+ hint 14/0.8, article boost {beta}", replace(tuned, hint_half_life_days=14, hint_weight=0.8, article_boost=beta))
    boosted = replace(tuned, hint_half_life_days=14, hint_weight=0.8, article_boost=0.3)
    for cand, k in ((200, 30), (200, 60), (300, 60)):
        record(f"+ boost 0.3, {cand} candidates a list, rrf k={k}", replace(boosted, candidates=cand, rrf_k=k))
    deeper = replace(boosted, candidates=200, rrf_k=60)
    uncut = 10**6
    for w in (0.4, 0.7, 1.0):
        record(f"+ 200/k60, lede list weight {w}", replace(deeper, lede_weight=w, lede_depth=uncut))
    ledes = replace(deeper, lede_weight=0.7)
    for depth in (30, 40, 50, 60, 70):
        record(f"+ lede 0.7, lede list cut at {depth}", replace(ledes, lede_depth=depth))
    for hl, w in ((14, 0.8), (14, 0.6), (10, 0.7), (10, 0.6), (7, 0.7)):
        record(f"+ lede cut 50, hint hl={hl} w={w}", replace(ledes, lede_depth=50, hint_half_life_days=hl, hint_weight=w))
    for fusion, dw in (("convex", 0.5), ("convex", 0.6)):
        record(f"defaults, {fusion} fusion, dense weight {dw}", replace(base, fusion=fusion, dense_weight=dw))
    record("defaults, no lede list", replace(base, lede_weight=0.0))
    record("defaults (RetrievalParams())", base)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(table, indent=1))


UNDATED_SHAPES = ("snippets", "bare", "syndicated", "undated")


def shape_settings(base: RetrievalParams) -> list[tuple[str, RetrievalParams]]:
    """The undated path's levers, each moved alone from the defaults."""
    out = [("defaults (RetrievalParams())", base)]
    out += [(f"undated fusion {f}", replace(base, undated_fusion=f)) for f in ("rrf", "convex") if f != base.undated_fusion]
    out += [(f"undated dense weight {w}", replace(base, undated_dense_weight=w)) for w in (0.4, 0.45, 0.55, 0.6)]
    out += [(f"word match exact {e} pairs {q}", replace(base, exact_weight=e, pair_weight=q))
            for e, q in ((0.0, 0.0), (0.0, 0.2), (0.2, 0.0), (0.3, 0.3))]
    out += [(f"re-ranking depth {d}", replace(base, rerank_depth=d)) for d in (5, 15)]
    out += [("no feedback (expand_weight 0)", replace(base, expand_weight=0.0))]
    out += [(f"feedback weight {w}", replace(base, expand_weight=w)) for w in (0.3, 0.5)]
    out += [(f"feedback words {n}", replace(base, expand_terms=n)) for n in (5, 15)]
    out += [(f"feedback hits {n}", replace(base, expand_feedback=n)) for n in (3, 6)]
    out += [(f"snippet lists {n} deep", replace(base, snippet_candidates=n)) for n in (200,)]
    lent = replace(base, neighbour_weight=0.1)  # off by default for its cost (docs/evaluation.md "Corpus shapes")
    out += [(f"neighbours' scores lent, weight {w}", replace(lent, neighbour_weight=w)) for w in (0.05, 0.1, 0.15)]
    out += [(f"... weight 0.1, {n} neighbours", replace(lent, neighbour_count=n)) for n in (5, 20)]
    out += [(f"... weight 0.1, cosine {c}", replace(lent, neighbour_cosine=c)) for c in (0.3, 0.5)]
    out += [(f"... weight 0.1, in snippets the best {r} gain", replace(lent, neighbour_rows=r)) for r in (15, 100)]
    return out


def sweep_shapes(out: Path) -> None:
    """Every undated-path setting on the four shapes that take that path, both halves of each, with the
    target cells it misses (bench_peers.target_misses against the latest peers run)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_peers import target_misses
    from shapes import folder

    peers_file = ROOT / "var" / "bench" / "peers.json"
    peers = json.loads(peers_file.read_text("utf-8")) if peers_file.is_file() else {}
    model = query_encoder(None, ROOT / "var" / "models")
    shapes = {}
    for shape in UNDATED_SHAPES:
        dataset = folder(shape)
        index = ROOT / "var" / "eval" / dataset.name / "index"
        if not index.exists():
            sys.exit(f"no index for {shape}: run `python benchmarks/bench_peers.py --shapes {shape}` (it builds it) first")
        queries = evaluate.load_queries(dataset / "queries.jsonl")
        retriever = HybridRetriever(LocalBackend(store.load(index)), CachedEncoder(model, [q.question for q in queries]))
        shapes[shape] = (retriever, queries)
    table: list[dict[str, object]] = []
    print("setting: per shape hybrid recall@10/MRR@10 all · older · newer; target cells missed (of 18 a shape); "
          "questions ranked better / worse than the defaults on the four shapes, and the sign test's p")
    base: dict[str, list[tuple[float, float]]] = {}
    for name, params in shape_settings(RetrievalParams()):
        cells, missed, better, worse = [], 0, 0, 0
        for shape, (retriever, queries) in shapes.items():
            retriever.params = params
            rankings = rankings_of(retriever, queries, "hybrid")
            split = split_metrics(rankings, queries)
            each = [per_question(r, q.gold) for r, q in zip(rankings, queries)]
            base.setdefault(shape, each)  # the first setting is the defaults
            up, down = question_changes(base[shape], each)
            better, worse = better + up, worse + down
            rows = {**peers.get(shape, {}), "sitrep hybrid": split}
            misses = target_misses(rows) if shape in peers else []
            missed += len(misses)
            table.append({"setting": name, "shape": shape, **split, "misses": misses, "better": up, "worse": down})
            cells.append(f"{shape} " + " · ".join(f"{split[h]['recall@10']:.3f}/{split[h]['mrr@10']:.3f}"
                                                  for h in ("all", "older", "newer")) + f" [{len(misses)}]")
        print(f"{name:<32} missed {missed:>2} +{better}/-{worse} p={sign_test(better, worse):.2f} | " + " | ".join(cells),
              flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(table, indent=1))


def misses(data: store.IndexData, retriever: HybridRetriever, queries: list[evaluate.EvalQuery]) -> None:
    """Each gold article hybrid misses at 10: its rank in every mode (of 100 articles) and whether its
    text holds the quiz's answer. Gold no mode ranks in the top 100 bounds recall@10 for any ranker
    built from these signals; printed as the ceiling."""
    row = {a: i for i, a in enumerate(data.articles.id)}
    ranks = {}
    for mode in ("bm25", "dense", "hybrid"):
        results = retriever.search_batch([Query(q.question, k=100, mode=mode, as_of=q.question_date) for q in queries])
        ranks[mode] = [evaluate.article_ranking(r.hits) for r in results]
    lost = unreachable = 0.0
    for n, q in enumerate(queries):
        for g in q.gold:
            where = {m: (ranks[m][n].index(g) + 1 if g in ranks[m][n] else None) for m in ranks}
            if where["hybrid"] is not None and where["hybrid"] <= 10:
                continue
            share = 1 / len(q.gold)
            lost += share
            far = all(r is None for r in where.values())
            unreachable += share if far else 0.0
            i = row[g]
            holds = bool(q.answer) and evaluate.norm_text(q.answer) in evaluate.norm_text(data.articles.text[i])
            print(f"{q.id} {q.question[:70]!r} gold {g} ({data.articles.date[i]}, {share:.1f} of its gold): "
                  f"rank " + " ".join(f"{m} {r or '>100'}" for m, r in where.items()) + f"; holds the answer: {holds}")
    n = len(queries)
    print(f"recall@10 {1 - lost / n:.4f}; {unreachable:.1f} of {lost:.1f} missed gold units are beyond rank 100 in every mode: "
          f"ceiling {1 - unreachable / n:.4f}")


def calibrate(data: store.IndexData, retriever: HybridRetriever, queries: list[evaluate.EvalQuery],
              nulls: list[evaluate.EvalQuery]) -> None:
    """Fit the abstention score on answerable (1) vs unanswerable (0) questions; print the trade-off."""
    from sklearn.linear_model import LogisticRegression

    answerer = Answerer(retriever.backend, retriever.terms, AnswerParams())
    feats, labels = [], []
    for group, label in ((queries, 1), (nulls, 0)):
        for r in retriever.search_batch([Query(q.question, k=10, as_of=q.question_date) for q in group]):
            _, _, coverage = answerer.evidence(r)
            d = data.articles.date[int(data.passage_article[r.hits[0].passage])] if r.hits else None
            age = min(max(0, r.as_of.toordinal() - _ord(d)) / 365.0, 5.0) if d else 0.0
            feats.append([r.top_cosine, coverage, age])
            labels.append(label)
    X, y = np.array(feats), np.array(labels)
    for cols, name in (([0], "cosine"), ([0, 1], "cosine+coverage"), ([0, 1, 2], "cosine+coverage+age")):
        model = LogisticRegression(C=10.0, max_iter=1000).fit(X[:, cols], y)
        p = model.predict_proba(X[:, cols])[:, 1]
        ans, null = np.sort(p[y == 1]), p[y == 0]
        cut = int(0.05 * len(ans))  # abstain on at most 5% of the answerable: midway below the first kept
        t = (ans[cut - 1] + ans[cut]) / 2 if cut else ans[0]
        print(f"{name:<22} coef {np.round(model.coef_[0], 4).tolist()} bias {model.intercept_[0]:.4f} "
              f"threshold {t:.4f}: null abstained {np.mean(null < t):.3f}, answerable abstained {np.mean(ans < t):.3f}")


def _ord(iso: str) -> int:
    from datetime import date

    return date.fromisoformat(iso).toordinal()


if __name__ == "__main__":
    main()
