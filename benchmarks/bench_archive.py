"""An archive asked long after its last article: the dev questions, each on the corpus as it stood on its date,
asked `lag` days later (30 and 365), with the recency prior counted from the as-of date (the rule before) and
as built (HybridRetriever.prior_day: a question that asks what is new counts from the index's newest article, and
one that asks for the present state from the newest of its best candidates, RetrievalParams.current_depth).

The corpus "as it stood" is the dev index with every question's date as its filter's end, as `sitrep eval`
asks; only the day the prior counts ages from moves, to the question's date + lag (what today would be) or,
for the built rule and a question that asks for the latest (dates.asks_latest), to the newest article on or
before the question's date (what the index's newest article would be). Reported for all questions, and for the
questions that ask for the latest and those that do not: recall@10, MRR@10, answerable questions refused,
the answer cites a gold article, its quote holds the answer; and the probes refused.

    python benchmarks/bench_archive.py

Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa`). Writes var/bench/archive.json.
"""

from __future__ import annotations

import bisect
import json
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval import hybrid  # noqa: E402
from sitrep.retrieval.dates import asks_latest  # noqa: E402

DATASET = ROOT.parent / "shared" / "eval" / "realtimeqa"
LAGS = (30, 365)


def row(engine: Engine, queries: list[evaluate.EvalQuery], nulls: list[evaluate.EvalQuery]) -> dict[str, float]:
    r = evaluate.evaluate(engine.ask, queries, nulls, ["hybrid"])
    m = r["modes"]["hybrid"]  # type: ignore[index]
    return {"questions": len(queries), "recall@10": m["recall@10"], "mrr@10": m["mrr@10"],
            "answerable_refused": r["abstention"]["answerable_abstained"],  # type: ignore[index]
            "probes_refused": r["abstention"]["null_abstained"] if nulls else None,  # type: ignore[index]
            "cites_gold": r["answers"]["cites_gold_article"], "quote_holds_answer": r["answers"]["quote_contains_answer"]}  # type: ignore[index]


def main() -> None:
    queries = evaluate.load_queries(DATASET / "queries.jsonl")
    nulls = evaluate.load_queries(DATASET / "queries_null.jsonl")
    engine = Engine.open(ROOT / "var" / "eval" / "realtimeqa" / "index", query_encoder(None, ROOT / "var" / "models"))
    days = sorted(engine.backend.dated_articles("0000-01-01", "9999-12-31").values())
    built = hybrid.HybridRetriever.prior_day
    params = engine.retriever.params
    groups = {"all": (queries, nulls), "asks latest": ([q for q in queries if asks_latest(q.question)], []),
              "other": ([q for q in queries if not asks_latest(q.question)], [])}
    out: dict[str, dict[str, dict[str, float]]] = {}

    def measure(name: str) -> None:
        out[name] = {g: row(engine, qs, ns) for g, (qs, ns) in groups.items()}
        print(name, json.dumps(out[name]), flush=True)

    measure("asked on the day (sitrep eval)")
    for lag in LAGS:
        for rule in ("as-of date", "built"):
            def prior_day(self: hybrid.HybridRetriever, as_of: date, latest: bool, lag: int = lag, rule: str = rule) -> date:
                later = as_of + timedelta(days=lag)
                if rule == "as-of date" or not latest:
                    return later
                return min(later, date.fromisoformat(days[bisect.bisect_right(days, as_of.isoformat()) - 1]))
            hybrid.HybridRetriever.prior_day = prior_day  # type: ignore[method-assign]
            engine.retriever.params = replace(params, current_depth=0) if rule == "as-of date" else params  # before: no topic "now"
            measure(f"{lag} days later, prior from the {rule}" if rule != "built" else f"{lag} days later, as built")
    hybrid.HybridRetriever.prior_day = built  # type: ignore[method-assign]
    engine.retriever.params = params
    path = ROOT / "var" / "bench" / "archive.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
