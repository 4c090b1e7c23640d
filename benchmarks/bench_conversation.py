"""Conversations (issue 18): what following a conversation gains, and what it costs.

1. The conversation set (benchmarks/conversations.jsonl) over the dev corpus: follow-up turns asked
   alone, with the conversation and as their full rewrite (the ceiling); subject changes alone and
   with the conversation; latency of each kind of turn (`sitrep eval --conversations`, in process);
   what the follow-ups' answers quote. Then "What else?" after every answered dev question.
2. One-shot `ask` (no conversation) on every dev question, p50/p95, the code before conversations
   (a git worktree at --base) and this tree alternated in separate processes, rounds x 2: the cost
   every question pays for the feature.

    python benchmarks/bench_conversation.py [--base a30b94b] [--rounds 2]

Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa` builds it). Writes
var/bench/conversation.json.
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

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.app.settings import load_settings  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.evaluation.evaluate import norm_text  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.conversation import Conversation, quote_key  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402

# Run inside a tree (its working directory: its own packages first on sys.path, in either layout): every
# dev question asked once to warm up, then timed; prints {"p50_ms", "p95_ms"}.
TIMER = IMPORTS + r"""
index, models, dataset = map(Path, sys.argv[1:4])
engine = Engine.open(index, query_encoder(None, models))
qs = evaluate.load_queries(dataset / "queries.jsonl") + evaluate.load_queries(dataset / "queries_null.jsonl")
queries = [Query(q.question, as_of=q.question_date) for q in qs]
for q in queries[:50]:
    engine.ask(q)
times = []
for q in queries:
    t = time.perf_counter()
    engine.ask(q)
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
                  "questions": len(times), "imported": evaluate.__file__}))
"""


def what_else(engine: Engine, queries: list[evaluate.EvalQuery]) -> dict[str, int]:
    """Every dev question asked, then "What else?" in the same conversation: what the second answer adds."""
    out = dict.fromkeys(("answered", "first_quotes_answer", "first_misses", "what_else_quotes_answer", "nothing_more",
                         "repeats", "cites_gold"), 0)
    for q in queries:
        talk = Conversation()
        first = engine.ask(Query(q.question, as_of=q.question_date), talk)
        if first.abstained:
            continue
        more = engine.ask(Query("What else?", as_of=q.question_date), talk)
        answer = norm_text(q.answer or "")
        holds = bool(answer) and answer in norm_text(first.text or "")
        shown = {quote_key(s) for s, _ in first.sentences}
        out["answered"] += 1
        out["first_quotes_answer"] += holds
        out["first_misses"] += not holds
        out["what_else_quotes_answer"] += (not holds and not more.abstained and bool(answer)
                                           and answer in norm_text(more.text or ""))
        out["nothing_more"] += more.abstained
        out["repeats"] += any(quote_key(s) in shown for s, _ in more.sentences)
        out["cites_gold"] += any(c.article_id in q.gold for c in more.citations)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(ROOT.parent / "shared" / "eval" / "realtimeqa"))
    ap.add_argument("--conversations", default=str(ROOT / "benchmarks" / "conversations.jsonl"))
    ap.add_argument("--base", default="a30b94b", help="the commit before conversations")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    settings = load_settings()
    dataset = Path(args.dataset).resolve()
    index = (ROOT / settings.eval_cache_dir / dataset.name / "index").resolve()
    models = (ROOT / settings.model_cache_dir).resolve()
    if not index.exists():
        sys.exit(f"no dev index at {index}: run `sitrep eval --dataset {args.dataset}` first")

    engine = Engine.open(index, query_encoder(None, models))
    conversations = evaluate.load_conversations(Path(args.conversations), evaluate.load_queries(dataset / "queries.jsonl"))
    report = evaluate.evaluate_conversations(engine.ask, Conversation, conversations)
    more = what_else(engine, evaluate.load_queries(dataset / "queries.jsonl"))
    del engine
    for group in ("first", "followup", "switch"):
        entry = report[group]
        ways = "  ".join(f"{w} R@10 {entry[w]['recall@10']:.4f} MRR {entry[w]['mrr@10']:.4f}"  # type: ignore[index]
                         for w in ("with_conversation", "alone", "rewrite") if w in entry)  # type: ignore[operator]
        print(f"{group:<9} {entry['turns']:>4} turns  {ways}  p50 {entry['p50_ms']} ms p95 {entry['p95_ms']} ms")  # type: ignore[index]
    print("follow-ups, share of the rewrite ceiling:", report["followup"]["share_of_ceiling"])  # type: ignore[index]
    print("subject changes, recall@10 lost:", report["switch"]["recall@10_lost"])  # type: ignore[index]
    print(f"'What else?' after each answered dev question ({more['answered']}): the first answer quotes the dataset's "
          f"answer {more['first_quotes_answer']}; of the {more['first_misses']} that do not, 'What else?' quotes it "
          f"{more['what_else_quotes_answer']}; says nothing more {more['nothing_more']}; quotes again what the first "
          f"answer quoted {more['repeats']}; cites a gold article {more['cites_gold']}")

    with worktree(args.base) as base:
        runs: dict[str, list[dict[str, float]]] = {"before": [], "now": []}
        for r in range(args.rounds):
            for name, tree in (("before", base), ("now", ROOT)) if r % 2 == 0 else (("now", ROOT), ("before", base)):
                runs[name].append(run_in(tree, TIMER, str(index), str(models), str(dataset)))
                print(f"round {r + 1} {name:<6} p50 {runs[name][-1]['p50_ms']:.2f} ms p95 {runs[name][-1]['p95_ms']:.2f} ms",
                      flush=True)
    summary = {name: {"p50_ms": round(statistics.median(r["p50_ms"] for r in rs), 2),
                      "p95_ms": round(statistics.median(r["p95_ms"] for r in rs), 2)} for name, rs in runs.items()}
    delta = round(summary["now"]["p50_ms"] - summary["before"]["p50_ms"], 2)
    print(f"one-shot ask, median of {args.rounds} runs: before {summary['before']} now {summary['now']}; p50 {delta:+.2f} ms")
    out = ROOT / "var" / "bench" / "conversation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report.pop("understood", None)
    out.write_text(json.dumps({"conversations": report, "what_else": more, "one_shot": {"runs": runs, "median": summary, "p50_delta_ms": delta}},
                              indent=1))


if __name__ == "__main__":
    main()
