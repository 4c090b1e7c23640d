"""Sweep the follow-up settings on the conversation set (benchmarks/conversations.jsonl) over the dev
corpus, one setting at a time around the defaults, and report each on the whole set and on its two
halves (conversations with odd and even line numbers): a default should change only if it wins on
both halves. Needs the dev index (`sitrep eval --dataset ../shared/eval/realtimeqa` builds it).

    python benchmarks/tune_conversation.py [--dataset ../shared/eval/realtimeqa]

Writes var/bench/tune_conversation.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sitrep.answer import candidates  # noqa: E402
from sitrep.answer.engine import Engine  # noqa: E402
from sitrep.app.settings import load_settings  # noqa: E402
from sitrep.evaluation import evaluate  # noqa: E402
from sitrep.index.embedding import query_encoder  # noqa: E402
from sitrep.retrieval.conversation import Conversation, ConversationParams  # noqa: E402

SWEEPS: dict[str, list[float]] = {
    "topic_strength": [0.1, 0.15, 0.2, 0.25, 0.3],
    "subtopic_strength": [0.05, 0.1, 0.15],
    "generic_strength": [0.0, 0.1, 0.15, 0.2, 0.25],
    "prior_articles": [0, 1, 2, 3],
    "followup_prior": [0.1, 0.25, 0.5, 1.0],  # with the last answer's 3 cited articles favoured
    "max_turns": [1, 2, 3],
    # AnswerParams: a follow-up's answer quotes again what the conversation was shown only when no other sentence is
    # this likely (relative to it); 1.0 never switches (the answer repeats whenever the reader prefers it)
    "repeat_ratio": [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0],
    "carried_weight": [0.0, 0.1, 0.25, 0.5, 0.75, 1.0],  # AnswerParams: the earlier turns' terms in the reader's coverage
    "carried_name_weight": [0.1, 0.25, 0.5, 0.75, 1.0],  # ... those of them that are names in what was searched
    # 1: a sentence quoted before may lead again when it holds more of the follow-up's own words than the best new one
    # (candidates.own_words); 0: never for that reason
    "own_words": [0, 1],
}
ANSWER_PARAMS = ("repeat_ratio", "carried_weight", "carried_name_weight")  # set on the engine's answerer, not on the conversation


def score(engine: Engine, params: ConversationParams, conversations: list[evaluate.EvalConversation]) -> dict[str, float]:
    report = evaluate.evaluate_conversations(engine.ask, lambda: Conversation(params), conversations, compare=False)
    fu, sw = report["followup"], report.get("switch")
    out = {"followup_r10": fu["with_conversation"]["recall@10"], "followup_mrr": fu["with_conversation"]["mrr@10"],  # type: ignore[index]
           "followup_answer": fu["first_quote_holds_answer"], "followup_any": fu["a_quote_holds_answer"],  # type: ignore[index]
           "followup_repeat": fu["first_quote_said_before"]}  # type: ignore[index]
    if isinstance(sw, dict):
        out["switch_r10"] = sw["with_conversation"]["recall@10"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default=str(ROOT.parent / "shared" / "eval" / "realtimeqa"))
    ap.add_argument("--conversations", default=str(ROOT / "benchmarks" / "conversations.jsonl"))
    ap.add_argument("--only", nargs="*", help="sweep only these settings")
    args = ap.parse_args()
    only = set(args.only or ())
    settings = load_settings()
    dataset = Path(args.dataset)
    index = Path(settings.eval_cache_dir) / dataset.resolve().name / "index"
    if not index.exists():
        sys.exit(f"no dev index at {index}: run `sitrep eval --dataset {dataset}` first")
    engine = Engine.open(index, query_encoder(None, settings.model_cache_dir))
    conversations = evaluate.load_conversations(Path(args.conversations), evaluate.load_queries(dataset / "queries.jsonl"))
    halves = {"all": conversations, "odd": conversations[0::2], "even": conversations[1::2]}
    default_prior = engine.retriever.params.followup_prior
    default_answer = engine.answerer.params
    own_words = candidates.own_words
    rows = []
    started = time.perf_counter()
    for name, values in SWEEPS.items():
        if only and name not in only:
            continue
        for value in values:
            params = ConversationParams()
            prior = default_prior
            engine.answerer.params = default_answer
            candidates.own_words = own_words if name != "own_words" or value else (lambda *_: None)  # type: ignore[assignment]
            if name == "followup_prior":
                prior = value
                params = replace(params, prior_articles=3)
            elif name == "own_words":
                pass  # set above
            elif name in ANSWER_PARAMS:
                engine.answerer.params = replace(default_answer, **{name: value})
            else:
                params = replace(params, **{name: type(getattr(params, name))(value)})
            engine.retriever.params = replace(engine.retriever.params, followup_prior=prior)
            default = {"followup_prior": default_prior, "own_words": 1,
                       **{a: getattr(default_answer, a) for a in ANSWER_PARAMS}}.get(name)
            row = {"setting": name, "value": value,
                   "default": value == (default if default is not None else getattr(ConversationParams(), name))}
            for half, convs in halves.items():
                row[half] = score(engine, params, convs)
            rows.append(row)
            mark = "*" if row["default"] else " "
            print(f"{mark} {name:<18}{value:>6}  " + "  ".join(
                f"{half}: R@10 {row[half]['followup_r10']:.4f} MRR {row[half]['followup_mrr']:.4f} switch {row[half].get('switch_r10', 0):.4f}"
                f" answer {row[half]['followup_answer']:.3f}/{row[half]['followup_any']:.3f} again {row[half]['followup_repeat']:.3f}"
                for half in halves), flush=True)
    engine.retriever.params = replace(engine.retriever.params, followup_prior=default_prior)
    engine.answerer.params = default_answer
    candidates.own_words = own_words  # type: ignore[assignment]
    out = ROOT / "var" / "bench" / "tune_conversation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows, "seconds": round(time.perf_counter() - started, 1)}, indent=1))
    print(f"(* = default; {len(rows)} settings in {time.perf_counter() - started:.0f} s; {out})")


if __name__ == "__main__":
    main()
