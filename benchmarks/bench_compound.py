"""Two questions in one message (answer/compound.py), on the dev corpus: asked as two (the default) and whole.

The messages are made from the conversation set (benchmarks/conversations.jsonl): each follow-up turn after the
first is joined to the turn before it as one message — the earlier question written out in full (the dev question
it refers to, or the turn's rewrite), "and", then the follow-up as it was typed ("Who did Elon Musk fire after his
Twitter acquisition closed and how much did it cost him?"). Each half has its answer pattern (the dev set's answer,
the set's `answer` regex). Reported, split and whole: the messages whose quotes hold both halves' answers, the
first's, the second's, and those refused; how many dev questions and probes the splitter splits at all, and the
probes' refusals either way (a probe asked as two halves must still be refused).

    python benchmarks/bench_compound.py

Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa`). Writes var/bench/compound.json.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer import compound  # noqa: E402
from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.evaluation.evaluate import norm_text  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.types import Query  # noqa: E402

DATASET = ROOT.parent / "shared" / "eval" / "realtimeqa"


def messages(queries: dict[str, evaluate.EvalQuery]) -> list[dict]:
    """(message, as_of, the two halves' answer patterns) from the conversation set's follow-ups."""
    out = []
    for line in (ROOT / "benchmarks" / "conversations.jsonl").read_text("utf-8").splitlines():
        turns = json.loads(line)["turns"]
        if "ref" not in turns[0] or turns[0]["ref"] not in queries:
            continue
        ref = queries[turns[0]["ref"]]
        earlier = (ref.question, re.escape(norm_text(ref.answer or "")) or None)
        for turn in turns[1:]:
            if not turn.get("answer") or not turn.get("rewrite"):
                break
            if earlier[1] is not None:
                text = earlier[0].rstrip(" ?") + " and " + turn["q"][:1].lower() + turn["q"][1:]
                out.append({"message": text, "as_of": ref.question_date, "answers": (earlier[1], turn["answer"])})
            earlier = (turn["rewrite"], turn["answer"])
    return out


def score(engine: Engine, cases: list[dict]) -> dict[str, int]:
    tally = dict.fromkeys(("messages", "both", "first", "second", "refused"), 0)
    for case in cases:
        a = engine.ask(Query(case["message"], as_of=case["as_of"]))
        said = norm_text(a.text or "")
        holds = [bool(re.search(p, said, re.I)) for p in case["answers"]]
        tally["messages"] += 1
        tally["both"] += all(holds)
        tally["first"] += holds[0]
        tally["second"] += holds[1]
        tally["refused"] += a.abstained
    return tally


def main() -> None:
    queries = evaluate.load_queries(DATASET / "queries.jsonl")
    nulls = evaluate.load_queries(DATASET / "queries_null.jsonl")
    engine = Engine.open(ROOT / "var" / "eval" / "realtimeqa" / "index", query_encoder(None, ROOT / "var" / "models"))
    cases = messages({q.id: q for q in queries})
    split_probes = [q for q in nulls if compound.parts(q.question)]
    out: dict = {"dev_questions_split": sum(bool(compound.parts(q.question)) for q in queries),
                 "probes_split": [q.question for q in split_probes]}
    real = compound.parts
    for way in ("whole", "split"):
        compound.parts = real if way == "split" else (lambda text: None)  # type: ignore[assignment]
        out[way] = score(engine, cases)
        out[way]["split_probes_refused"] = sum(engine.ask(Query(q.question, as_of=q.question_date)).abstained
                                               for q in split_probes)
        print(way, json.dumps(out[way]), flush=True)
    compound.parts = real
    print(json.dumps({k: v for k, v in out.items() if k not in ("whole", "split")}, indent=1))
    path = ROOT / "var" / "bench" / "compound.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
