"""`sitrep index build|update|status|watch`: the index of the corpus folder."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sitrep.app.compose import App
from sitrep.app.watch import watch
from sitrep.cli.ask import target_of
from sitrep.cli.errors import UserError
from sitrep.errors import SitrepError
from sitrep.index import build
from sitrep.index.backends import BackendConfig


class Bar:
    """tqdm progress on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit="passage", desc="embedding", file=sys.stderr, dynamic_ncols=True)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def cmd_index(args: argparse.Namespace, app: App) -> int:
    target = target_of(app, args)
    if args.action == "status":
        return _status(args, target)
    corpus = Path(args.corpus or app.settings.corpus_dir)
    if args.action == "watch":
        return _watch(app, target, corpus, args)
    show_bar = not args.json and sys.stderr.isatty()
    report = app.update(target, corpus, full=args.action == "build", progress=Bar() if show_bar else None)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        verb = "built" if report.full else "updated"
        print(
            f"{verb} {target.where()} from {corpus}: {report.articles} articles ({report.added} added, "
            f"{report.changed} changed, {report.removed} removed, {report.unchanged} unchanged"
            + (f", {report.reparsed} of them parsed again by a newer parser" if report.reparsed else "")
            + f"), {report.passages} passages ({report.passages_embedded} embedded) in {report.seconds:.1f} s"
        )
    return 0


def _status(args: argparse.Namespace, target: BackendConfig) -> int:
    status = {"index": target.where(), **target.read_manifest().status()}
    if args.json:
        print(json.dumps(status))
        return 0
    for key, value in status.items():
        print(f"{key.replace('_', ' ')}: {value}")
    if status["parser_version"] != build.PARSER_VERSION:
        print(f"note: this sitrep parses articles with parser {build.PARSER_VERSION}: "
              "run `sitrep index update` to re-read titles and dates (only changed passages are embedded)")
    return 0


def _watch(app: App, target: BackendConfig, corpus: Path, args: argparse.Namespace) -> int:
    if not corpus.is_dir():
        raise UserError(f"corpus folder {corpus} does not exist: create it or pass --corpus")
    encoder = app.encoder()

    def report(result: Any) -> None:
        if isinstance(result, (SitrepError, OSError)):
            print(f"sitrep: update failed: {result} (still watching)", file=sys.stderr, flush=True)
        elif isinstance(result, Exception):
            raise result
        else:
            for warning in result.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            print(f"updated {target.where()}: {result.added} added, {result.changed} changed, {result.removed} removed; "
                  f"{result.passages_embedded} passages embedded in {result.seconds:.1f} s", flush=True)

    print(f"watching {corpus} (every {args.interval:g} s, updating after {args.debounce:g} s of quiet); Ctrl-C stops",
          file=sys.stderr, flush=True)
    try:
        watch(corpus, lambda: app.update(target, corpus, encoder=encoder), report,
              interval=args.interval, debounce=args.debounce)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    return 0
