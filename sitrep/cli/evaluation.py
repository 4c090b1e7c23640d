"""`sitrep eval`: retrieval, abstention, answer and latency numbers on a dataset (or the bot's votes)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sitrep.answer.engine import Engine
from sitrep.app.compose import App
from sitrep.cli.ask import target_of
from sitrep.cli.errors import UserError
from sitrep.cli.index import Bar
from sitrep.evaluation import evaluate
from sitrep.retrieval.conversation import Conversation
from sitrep.retrieval.types import MODES

COLUMNS = ["recall@1", "recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10", "p50_ms", "p95_ms"]


def cmd_eval(args: argparse.Namespace, app: App) -> int:
    if args.conversations and not args.dataset:
        raise UserError("--conversations needs --dataset: its turns name the dataset's questions and articles")
    if not args.dataset and not args.feedback:
        raise UserError("nothing to evaluate: give --dataset DIR, --feedback FILE, or both")
    conversations: list[evaluate.EvalConversation] = []
    queries: list[evaluate.EvalQuery] = []
    nulls: list[evaluate.EvalQuery] = []
    target = target_of(app, args)
    staged: tuple[Path, Path] | None = None  # (cache folder, corpus file) of a dataset indexed on its own
    if args.dataset:
        dataset = Path(args.dataset)
        if not dataset.is_dir():
            raise UserError(f"dataset folder {dataset} does not exist: point --dataset at a folder with corpus.jsonl[.gz] and queries.jsonl")
        source = evaluate.corpus_file(dataset)
        queries = evaluate.load_queries(dataset / "queries.jsonl")
        nulls = evaluate.load_queries(dataset / "queries_null.jsonl", required=False)
        if args.conversations:  # read (and refused) before any index work
            conversations = evaluate.load_conversations(Path(args.conversations), queries)
        if args.limit and not args.conversations:
            queries, nulls = queries[: args.limit], nulls[: args.limit]
        cache_dir = Path(app.settings.eval_cache_dir) / dataset.resolve().name
        if not args.index:  # an index of the dataset's own, beside the bot's
            target = app.eval_target(target, cache_dir, dataset.resolve().name)
            staged = (cache_dir, source)
    ups, downs = evaluate.load_feedback(Path(args.feedback)) if args.feedback else ([], [])
    if args.feedback and not (ups or downs):
        raise UserError(f"feedback file {args.feedback} holds no votes yet: vote with 👍/👎 under the bot's answers")
    queries = queries + ups
    if staged is not None:
        _stage(app, target, *staged, quiet=args.json)
    engine = app.engine(target)
    if args.conversations:
        return _conversations(args, engine, conversations)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    default_mode = "hybrid" if "hybrid" in modes else modes[0]
    result: dict[str, Any] = evaluate.evaluate(engine.ask, queries, nulls, modes, default_mode=default_mode)
    if args.feedback:
        result["feedback"] = {"up_votes": len(ups), "down_votes": len(downs),
                              "down_still_first": evaluate.down_votes_still_first(engine.ask, downs, default_mode)}
    if args.json:
        print(json.dumps(result))
    else:
        _print_table(result)
    return 0


def _stage(app: App, target: Any, cache_dir: Path, source: Path, quiet: bool) -> None:
    """The dataset's corpus file linked into a corpus folder of its own, and its index updated."""
    corpus = cache_dir / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    link = corpus / source.name
    if not link.is_symlink() or link.resolve() != source.resolve():
        link.unlink(missing_ok=True)
        link.symlink_to(source.resolve())
    report = app.update(target, corpus, progress=Bar() if not quiet and sys.stderr.isatty() else None)
    if not quiet:
        print(f"index {target.where()}: {report.articles} articles, {report.passages} passages "
              f"({report.passages_embedded} embedded now)", file=sys.stderr)


def _print_table(result: dict[str, Any]) -> None:
    print(f"{result['queries']} questions, {result['null_queries']} unanswerable probes")
    if "feedback" in result:
        fb = result["feedback"]
        print(f"feedback: {fb['up_votes']} up-voted questions (scored with the rest), {fb['down_votes']} down-voted; "
              f"{fb['down_still_first']:.1%} of those still cite a voted-down article first")
    print(f"{'mode':<8}" + "".join(f"{c:>11}" for c in COLUMNS))
    for mode, m in result["modes"].items():
        print(f"{mode:<8}" + "".join(f"{m[c]:>11}" for c in COLUMNS))
    if "abstention" in result:
        ab = result["abstention"]
        print(f"abstained: {ab['null_abstained']:.1%} of unanswerable, {ab['answerable_abstained']:.1%} of answerable")
        an = result["answers"]
        print(f"answers: {an['cites_gold_article']:.1%} cite a gold article, {an['quote_contains_answer']:.1%} quote the answer text "
              f"({an['first_quote_contains_answer']:.1%} in the first quote), quotes verbatim: {an['quotes_verbatim']}")


def _conversations(args: argparse.Namespace, engine: Engine, conversations: list[evaluate.EvalConversation]) -> int:
    if args.limit:
        conversations = conversations[: args.limit]
    result = evaluate.evaluate_conversations(engine.ask, Conversation, conversations)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['conversations']} conversations")
    print(f"{'turns':<10}{'n':>5}  {'asked':<18}{'recall@10':>10}{'mrr@10':>10}{'p50_ms':>9}")
    for group in ("first", "followup", "switch"):
        entry = result.get(group)
        if not isinstance(entry, dict):
            continue
        for way in ("with_conversation", "alone", "rewrite"):
            if way in entry:
                m = entry[way]
                lat = f"{entry['p50_ms']:>9}" if way == "with_conversation" else ""
                print(f"{group:<10}{entry['turns']:>5}  {way:<18}{m['recall@10']:>10}{m['mrr@10']:>10}{lat}")
    fu, sw = result.get("followup"), result.get("switch")
    if isinstance(fu, dict) and "share_of_ceiling" in fu:
        share = fu["share_of_ceiling"]
        print(f"follow-ups with the conversation reach {share['recall@10']:.1%} of the full rewrite's recall@10 "
              f"and {share['mrr@10']:.1%} of its MRR@10")
    if isinstance(fu, dict) and "first_quote_holds_answer" in fu:
        print(f"follow-ups with an answer written ({fu['answered_turns']}): the first quote holds it in "
              f"{fu['first_quote_holds_answer']:.1%}, a quote in {fu['a_quote_holds_answer']:.1%}; the first quote is one "
              f"the answer before quoted in {fu['first_quote_said_before']:.1%}")
    if isinstance(sw, dict):
        print(f"subject changes lose {sw['recall@10_lost']:+.4f} recall@10 against being asked alone")
    return 0
