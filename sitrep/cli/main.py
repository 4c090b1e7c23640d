"""`sitrep`: the command line. Every command is built from the App (the composition root); every user
error (`SitrepError`) becomes one line on stderr and exit code 2, here and nowhere else."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from sitrep.app.compose import App, MakeEncoder
from sitrep.app.settings import load_settings
from sitrep.cli.errors import UserError
from sitrep.cli.parser import joined, parser, words_left_out
from sitrep.errors import SitrepError

EXIT_USER = 2
Command = Callable[[argparse.Namespace, App], int]


def commands() -> dict[str, Command]:
    """Imported when asked for: `sitrep ask` does not load discord.py, `sitrep bot` not the eval tooling."""
    from sitrep.cli import ask, bot, evaluation, feeds, follow, index

    return {"index": index.cmd_index, "ask": ask.cmd_ask, "brief": ask.cmd_brief, "follow": follow.cmd_follow,
            "repl": ask.cmd_repl, "bot": bot.cmd_bot, "eval": evaluation.cmd_eval, "feeds": feeds.cmd_feeds,
            "add": feeds.cmd_add, "remove": feeds.cmd_remove}


def main(argv: Sequence[str] | None = None, make_encoder: MakeEncoder | None = None) -> int:
    """make_encoder replaces the encoder (tests pass a fake)."""
    try:
        args, extra = parser().parse_known_args(words_left_out(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help (0), or a bad option already said in one line (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USER
    if extra:  # named with the command they were given to, whose --help lists what it takes
        named = " ".join(str(part) for part in ("sitrep", args.command, getattr(args, "action", None)) if part)
        print(f"{named}: unrecognized arguments: {' '.join(extra)} (see `{named} --help`)", file=sys.stderr)
        return EXIT_USER
    for name in ("question", "topic"):  # unquoted words, joined
        if hasattr(args, name):
            setattr(args, name, joined(getattr(args, name)))
    try:
        app = App(load_settings(), make_encoder)
        command = commands().get(args.command)
        if command is None:
            raise UserError(f"unknown command {args.command!r}: see `sitrep --help`")
        return command(args, app)
    except SitrepError as exc:
        print(f"sitrep: {exc}", file=sys.stderr)
        return EXIT_USER
    except BrokenPipeError:  # `sitrep ask ... | head`: the reader left; nothing to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush goes nowhere
        return 0
    except KeyboardInterrupt:
        print("sitrep: interrupted; the index was left as it was", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
