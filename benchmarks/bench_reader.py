"""The reader before and after (issue 19), on every answerable dev question, in one run: quote_contains_answer
overall and by question type (the current classifier, retrieval/reader.py QuestionKind.type, for both),
mean words quoted, cites_gold_article, and `ask` p50/p95 — this tree and --base (a git worktree) alternated
in separate processes.

    python benchmarks/bench_reader.py [--base 85eadeb] [--rounds 2]

Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa`). Writes var/bench/reader_types.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trees import IMPORTS, run_in, worktree  # noqa: E402

from sitrep.answer.reader import QuestionKind  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402

TYPES = ("how many", "when", "who", "where", "which+noun", "what", "other")

# In a tree: each dev question asked once (timed), what its answer quotes scored.
MEASURE = IMPORTS + r"""
index, models, dataset = map(Path, sys.argv[1:4])
engine = Engine.open(index, query_encoder(None, models))
qs = evaluate.load_queries(dataset / "queries.jsonl")
for q in qs[:30]:
    engine.ask(Query(q.question, as_of=q.question_date))
times, out = [], {}
for q in qs:
    t = time.perf_counter()
    a = engine.ask(Query(q.question, as_of=q.question_date))
    times.append((time.perf_counter() - t) * 1000)
    if not a.abstained:
        text = " ".join(s for s, _ in a.sentences)
        out[q.id] = {"quoted": bool(q.answer) and evaluate.norm_text(q.answer) in evaluate.norm_text(text),
                     "words": len(text.split()), "gold": any(c.article_id in q.gold for c in a.citations),
                     "verbatim": all(c.passage[c.quote_start:c.quote_start + len(c.quote)] == c.quote for c in a.citations)}
print(json.dumps({"answers": out, "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
                  "imported": evaluate.__file__}))
"""


def table(answers: dict[str, dict], kinds: dict[str, str]) -> dict[str, object]:
    by_type = {}
    for t in TYPES:
        got = [a["quoted"] for qid, a in answers.items() if kinds[qid] == t]
        by_type[t] = {"questions": len(got), "quote_contains_answer": round(sum(got) / len(got), 4) if got else None}
    n = max(len(answers), 1)
    return {"answered": len(answers), "quote_contains_answer": round(sum(a["quoted"] for a in answers.values()) / n, 4),
            "words_quoted": round(sum(a["words"] for a in answers.values()) / n, 2),
            "cites_gold_article": round(sum(a["gold"] for a in answers.values()) / n, 4),
            "verbatim": all(a["verbatim"] for a in answers.values()), "by_type": by_type}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(ROOT.parent / "shared" / "eval" / "realtimeqa"))
    ap.add_argument("--base", default="85eadeb", help="the commit before the reader of issue 19")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    dataset = Path(args.dataset).resolve()
    index = ROOT / "var" / "eval" / dataset.name / "index"
    if not index.exists():
        sys.exit(f"no dev index at {index}: run `sitrep eval --dataset {args.dataset}` first")
    kinds = {q.id: QuestionKind.of(q.question).type for q in evaluate.load_queries(dataset / "queries.jsonl")}
    runs: dict[str, list[dict]] = {"before": [], "now": []}
    with worktree(args.base) as base:
        for r in range(args.rounds):
            for name, tree in (("before", base), ("now", ROOT)) if r % 2 == 0 else (("now", ROOT), ("before", base)):
                runs[name].append(run_in(tree, MEASURE, str(index), str(ROOT / "var" / "models"), str(dataset)))
                print(f"round {r + 1} {name:<6} ask p50 {runs[name][-1]['p50_ms']:.2f} ms p95 {runs[name][-1]['p95_ms']:.2f} ms",
                      flush=True)
    report = {}
    for name, rs in runs.items():
        report[name] = {**table(rs[0]["answers"], kinds), "p50_ms": round(statistics.median(r["p50_ms"] for r in rs), 2),
                        "p95_ms": round(statistics.median(r["p95_ms"] for r in rs), 2)}
    b, n = report["before"], report["now"]
    print(f"{'':<12}{'before':>16}{'now':>16}")
    for key in ("answered", "quote_contains_answer", "words_quoted", "cites_gold_article", "verbatim", "p50_ms", "p95_ms"):
        print(f"{key:<22}{b[key]!s:>12}{n[key]!s:>14}")
    print("by type (questions: before -> now)")
    for t in TYPES:
        x, y = b["by_type"][t], n["by_type"][t]  # type: ignore[index]
        print(f"  {t:<12} {x['questions']:>4}  {x['quote_contains_answer']!s:>7} -> {y['quote_contains_answer']!s:<7}")
    out = ROOT / "var" / "bench" / "reader_types.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
