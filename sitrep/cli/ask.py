"""`sitrep ask`, `sitrep brief` and `sitrep repl`: questions and briefs on the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from sitrep.app.compose import App
from sitrep.cli import render
from sitrep.cli.repl import Repl, terminal_reader
from sitrep.retrieval.conversation import Conversation
from sitrep.retrieval.dates import ask_window, brief_window
from sitrep.retrieval.types import Query


def target_of(app: App, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The index a command's --backend / --index options name (the settings' otherwise)."""
    return app.target(getattr(args, "backend", None), getattr(args, "index", None))


def query_of(args: argparse.Namespace, app: App) -> Query:
    start, as_of = ask_window(getattr(args, "since", None), args.as_of, date.today())
    return Query(args.question, k=args.k or app.settings.default_k, mode=args.mode, as_of=as_of, source=args.source,
                 since=start)


def cmd_ask(args: argparse.Namespace, app: App) -> int:
    query = query_of(args, app)  # bad options fail before the model loads
    engine = app.engine(target_of(app, args))
    conversation = Conversation() if args.after else None
    for earlier in args.after or ():  # the conversation so far, asked in order; their answers are not printed
        engine.ask(replace(query, text=earlier), conversation)
    answer = engine.ask(query, conversation)
    if args.json:
        print(json.dumps(render.as_json(answer), ensure_ascii=False))
    else:
        print(render.as_text(answer, engine.answer_meta(answer), color=sys.stdout.isatty()))
    return 0


def cmd_brief(args: argparse.Namespace, app: App) -> int:
    since, until = brief_window(args.since, args.until, date.today())  # bad options fail before the model loads
    engine = app.engine(target_of(app, args))
    brief = engine.brief(args.topic, since, until, args.source, args.max or app.settings.brief_max, args.oldest_first)
    if args.json:
        print(json.dumps(render.brief_json(brief), ensure_ascii=False))
    else:
        print(render.brief_text(brief, color=sys.stdout.isatty()))
    return 0


def cmd_repl(args: argparse.Namespace, app: App) -> int:
    engine = app.engine(target_of(app, args))
    repl = Repl(engine, color=sys.stdout.isatty(), k=app.settings.default_k)
    repl.run(terminal_reader(Path(app.settings.model_cache_dir).parent / "repl_history"))
    return 0
