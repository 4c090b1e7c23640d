"""Fit and check the sentence reader on the dev set; prints the comparison docs/evaluation.md quotes.

Needs the dev index that `sitrep eval --dataset ../shared/eval/realtimeqa` builds. Questions
are searched once (their vectors computed once); then:
  1. every candidate sentence of each answered question gets the reader's features and a label
     (does it hold the quiz's answer text?); a softmax over each question's sentences is fitted,
     five-fold cross-validated by question, against question-word coverage alone;
  2. the answer's selection rules are swept (passages read, how likely a further sentence must
     be, how much of the question it must cover), reporting the `answers` block of `sitrep eval`.

    python benchmarks/tune_reader.py [--dataset DIR] [--index DIR] [--sentence-vectors]

--sentence-vectors also embeds every candidate sentence with the model and adds its cosine to
the question as a feature (option (a) of issue 12), to measure what it would add.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tune_retrieval import CachedEncoder  # noqa: E402

from sitrep.answer import reader  # noqa: E402
from sitrep.answer.answerer import Answerer, AnswerParams  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.backends.local import store  # noqa: E402
from sitrep.index.backends.local.backend import LocalBackend  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.hybrid import HybridRetriever, RetrievalParams  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402


def fit(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 0.5) -> np.ndarray:
    """Weights maximising, per question, the softmax probability of its answer-holding sentences."""
    from scipy.optimize import minimize

    groups = [(x, y) for x, y in groups if y.any()]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for x, y in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            pos = p[y].sum()
            total -= float(np.log(pos + 1e-12))
            grad = grad + x.T @ p - x[y].T @ (p[y] / pos)
        return total, grad

    return np.asarray(minimize(loss, np.zeros(groups[0][0].shape[1]), jac=True, method="L-BFGS-B").x)


def hit_rates(groups: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> tuple[float, float]:
    top1 = top3 = 0
    for x, y in groups:
        order = np.argsort(-(x @ w), kind="stable")
        top1 += bool(y[order[0]]) if len(order) else 0
        top3 += bool(y[order[:3]].any())
    return top1 / len(groups), top3 / len(groups)


def cross_validated(groups: list[tuple[np.ndarray, np.ndarray]], cols: list[int], folds: int = 5) -> tuple[float, float]:
    picked = [(x[:, cols], y) for x, y in groups]
    order = np.random.default_rng(0).permutation(len(picked))
    rates = []
    for k in range(folds):
        test = set(order[k::folds].tolist())
        w = fit([g for i, g in enumerate(picked) if i not in test])
        rates.append(hit_rates([g for i, g in enumerate(picked) if i in test], w))
    return tuple(np.round(np.mean(rates, axis=0), 3))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=ROOT.parent / "shared" / "eval" / "realtimeqa")
    ap.add_argument("--index", type=Path, default=ROOT / "var" / "eval" / "realtimeqa" / "index")
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "reader.json")
    ap.add_argument("--sentence-vectors", action="store_true")
    args = ap.parse_args()

    data = store.load(args.index)
    queries = evaluate.load_queries(args.dataset / "queries.jsonl")
    nulls = evaluate.load_queries(args.dataset / "queries_null.jsonl")
    encoder = query_encoder(None, ROOT / "var" / "models")
    enc = CachedEncoder(encoder, [q.question for q in queries + nulls])
    backend = LocalBackend(data)
    retriever = HybridRetriever(backend, enc, RetrievalParams())
    results = retriever.search_batch([Query(q.question, k=50, as_of=q.question_date) for q in queries + nulls])
    answerable, probes = results[: len(queries)], results[len(queries):]
    report: dict[str, object] = {}

    # 1. The reader's model: features of every candidate sentence, label = holds the answer text.
    base = Answerer(backend, retriever.terms, AnswerParams())
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    sentences: list[list[str]] = []
    group_days: list[object] = []  # each group's question date, for the time split
    for q, r in zip(queries, answerable):
        if base.answer(r).abstained:
            continue
        _, cands, _ = base.evidence(r)
        texts = dict(zip((h.passage for h in r.hits), (data.passage_text(h.passage) for h in r.hits)))
        said = [texts[c.hit.passage][c.start : c.end] for c in cands]
        x = np.array([c.features for c in cands], dtype=np.float64)
        y = np.array([evaluate.norm_text(q.answer or "") in evaluate.norm_text(s) for s in said])
        if args.sentence_vectors:
            cos = encoder.encode(said) @ enc.encode_queries([r.question])[0]
            x = np.hstack([x, cos[:, None]])
        groups.append((x, y))
        sentences.append(said)
        group_days.append(q.question_date)
    names = [*reader.FEATURES, "repetition"] + (["sentence_cosine"] if args.sentence_vectors else [])
    everything = list(range(len(names)))
    with_answer = sum(bool(y.any()) for _, y in groups)
    print(f"{len(groups)} answered dev questions; the answer text is in a candidate sentence for {with_answer} "
          f"({with_answer / len(groups):.3f}): the ceiling")
    table = {"coverage only": cross_validated(groups, [0]), "all features": cross_validated(groups, everything)}
    if args.sentence_vectors:
        table["sentence cosine only"] = cross_validated(groups, [len(names) - 1])
        table["all but sentence cosine"] = cross_validated(groups, everything[:-1])
    print("5-fold CV, share of answered questions whose best (top-3) sentence holds the answer:")
    for name, (t1, t3) in table.items():
        print(f"  {name:<28} best {t1:.3f}   top-3 {t3:.3f}")
    # The generalisation protocol: fit on the older half of the dev weeks, score on the newer half, and the reverse.
    median = sorted(group_days)[len(group_days) // 2]  # type: ignore[type-var]
    older = [g for g, d in zip(groups, group_days) if d < median]  # type: ignore[operator]
    newer = [g for g, d in zip(groups, group_days) if d >= median]  # type: ignore[operator]
    defaults = np.array(reader.weight_vector())
    cols = len(defaults)  # the reader's own features (without --sentence-vectors' extra column)
    split = {"fit older, score newer": hit_rates(newer, fit(older)), "fit newer, score older": hit_rates(older, fit(newer)),
             "defaults on older": hit_rates([(x[:, :cols], y) for x, y in older], defaults),
             "defaults on newer": hit_rates([(x[:, :cols], y) for x, y in newer], defaults)}
    print(f"time split ({len(older)} older / {len(newer)} newer answered questions), best / top-3:")
    for name, (t1, t3) in split.items():
        print(f"  {name:<28} best {t1:.3f}   top-3 {t3:.3f}")
    report["time_split"] = {k: {"best": round(v[0], 3), "top3": round(v[1], 3)} for k, v in split.items()}
    w = fit(groups)
    print("weights fitted on all:", dict(zip(names, np.round(w, 2).tolist())))
    print("weights in retrieval/reader.py:", dict(zip(names, reader.weight_vector())))
    report["reader"] = {"answered": len(groups), "ceiling": round(with_answer / len(groups), 4),
                        "cv": {k: {"best": v[0], "top3": v[1]} for k, v in table.items()},
                        "fitted": dict(zip(names, np.round(w, 3).tolist()))}

    # 2. Selection rules: the `answers` block for each setting, on the cached search results.
    def answers_block(params: AnswerParams) -> dict[str, float]:
        answerer = Answerer(backend, retriever.terms, params)
        t = time.perf_counter()
        got = [answerer.answer(r) for r in answerable]
        ms = (time.perf_counter() - t) * 1000 / len(got)
        null_abstained = sum(answerer.answer(r).abstained for r in probes) / len(probes)
        answered = [(a, q) for a, q in zip(got, queries) if not a.abstained]
        quoted = sum(evaluate.norm_text(q.answer or "") in evaluate.norm_text(a.text or "") for a, q in answered)
        gold = sum(any(c.article_id in q.gold for c in a.citations) for a, q in answered)
        return {"answered": len(answered), "null_abstained": round(null_abstained, 4),
                "quote_contains_answer": round(quoted / len(answered), 4), "cites_gold_article": round(gold / len(answered), 4),
                "sentences_per_answer": round(sum(len(a.sentences) for a, _ in answered) / len(answered), 2),
                "words_quoted": round(sum(len(" ".join(q for q, _ in a.sentences).split()) for a, _ in answered)
                                      / len(answered), 2),
                "reader_ms": round(ms, 2)}

    sweep = []
    print("\npassages  extra_ratio  extra_min_coverage  subject_share | quote_contains  cites_gold  sentences   words")
    default = AnswerParams()
    for passages, ratio, cover, share in itertools.chain(
            itertools.product((4, 6, 8), (0.1,), (0.3,), (0.6,)),
            itertools.product((6,), (0.0, 0.1, 0.25, 0.5, 1.1), (0.0, 0.2, 0.3), (0.6,)),
            itertools.product((6,), (0.1,), (0.3,), (0.0, 0.8)),
            itertools.product((6, 8), (0.05, 0.1, 0.15), (0.1, 0.15, 0.2, 0.25), (0.6,))):
        # `cover` is the further sentence's coverage for every question (typed_min_coverage set alike),
        # except on the default's row
        params = replace(default, passages_considered=passages, extra_ratio=ratio, other_article_ratio=ratio,
                         extra_min_coverage=cover, typed_min_coverage=cover, subject_share=share)
        row = {"passages": passages, "extra_ratio": ratio, "extra_min_coverage": cover, "subject_share": share,
               **answers_block(params)}
        sweep.append(row)
        print(f"{passages:>8}  {ratio:>11}  {cover:>18}  {share:>13} | {row['quote_contains_answer']:>14.4f}  "
              f"{row['cites_gold_article']:>10.4f}  {row['sentences_per_answer']:>9}  {row['words_quoted']:>6}")
    report["sweep"] = sweep
    report["default"] = answers_block(default)
    print("defaults:", report["default"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
