"""`sitrep`: the command line. Translates domain errors into one line and exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.settings import Settings, SettingsError, load_settings
from index.errors import IndexStoreError

EXIT_USER = 2


class UserError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


def _encoder(settings: Settings) -> Any:
    from index.embedding import SentenceTransformerEncoder

    return SentenceTransformerEncoder(settings.model_dir, batch_size=settings.embed_batch_size)


class _Bar:
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


def cmd_index(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any]) -> int:
    from index import build, store

    index_path = Path(args.index or settings.index_dir)
    if args.action == "status":
        manifest = store.read_manifest(index_path.resolve())
        status = {
            "index": str(index_path),
            "articles": manifest["article_count"],
            "passages": manifest["passage_count"],
            "model": manifest["model"]["name"],
            "newest_article_date": manifest["newest_article_date"],
            "built_at": manifest["built_at"],
        }
        if args.json:
            print(json.dumps(status))
        else:
            for key, value in status.items():
                print(f"{key.replace('_', ' ')}: {value}")
        return 0

    corpus = Path(args.corpus or settings.corpus_dir)
    show_bar = not args.json and sys.stderr.isatty()
    report = build.update(
        corpus,
        index_path,
        make_encoder(settings),
        settings.chunking(),
        settings.bm25(),
        settings.dense(),
        full=args.action == "build",
        max_article_bytes=int(settings.max_article_mb * 1_000_000),
        progress=_Bar() if show_bar else None,
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        verb = "built" if report.full else "updated"
        print(
            f"{verb} {index_path} from {corpus}: {report.articles} articles ({report.added} added, "
            f"{report.changed} changed, {report.removed} removed, {report.unchanged} unchanged), "
            f"{report.passages} passages ({report.passages_embedded} embedded) in {report.seconds:.1f} s"
        )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sitrep", description="Cited answers from a corpus of news articles.")
    sub = p.add_subparsers(dest="command", required=True)

    idx = sub.add_parser("index", help="build, update or inspect the index")
    idx_sub = idx.add_subparsers(dest="action", required=True)
    for action, text in (
        ("build", "rebuild the index from scratch"),
        ("update", "embed only new and changed articles, drop removed ones"),
        ("status", "show what the index holds"),
    ):
        a = idx_sub.add_parser(action, help=text)
        if action != "status":
            a.add_argument("--corpus", help="corpus folder (default: SITREP_CORPUS_DIR or corpus/)")
        a.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
        a.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def main(argv: Sequence[str] | None = None, make_encoder: Callable[[Settings], Any] = _encoder) -> int:
    p = parser()
    args = p.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "index":
            return cmd_index(args, settings, make_encoder)
        raise UserError(f"unknown command {args.command!r}: see `sitrep --help`")
    except (IndexStoreError, SettingsError, UserError) as exc:
        print(f"sitrep: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("sitrep: interrupted; the index was left as it was", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
