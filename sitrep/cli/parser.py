"""The argparse tree of `sitrep`: every command, its options and their help. Only parsing; the commands
live in one module per command group (ask, index, feeds, follow, eval, bot)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import NoReturn


class _Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line that says what to do, not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


# A topic's word to leave out ("India China -Pakistan", unquoted): a dash and a word, which argparse would read
# as an unknown option. Given to it with a space in front, it is a word of the topic (brief.Topic reads "-word").
_LEFT_OUT = re.compile(r"-[^\W\d_][\w'’.-]+")  # two letters at least: -h stays help
_TOPIC_COMMANDS = ("brief", "follow")


def words_left_out(argv: Sequence[str]) -> list[str]:
    """argv with each "-word" of a brief or follow topic marked as a word, not an option (before any "--")."""
    if not argv or argv[0] not in _TOPIC_COMMANDS:
        return list(argv)
    out, rest = [argv[0]], False
    for i, arg in enumerate(argv[1:], start=1):
        rest = rest or arg == "--"
        after_option = argv[i - 1].startswith("--") and "=" not in argv[i - 1] and argv[i - 1] not in _FLAGS
        out.append(" " + arg if not rest and not after_option and _LEFT_OUT.fullmatch(arg) else arg)
    return out


_FLAGS = ("--oldest-first", "--json")  # the topic commands' options that take no value


def joined(words: str | list[str] | None) -> str:
    """A question or topic given as several words (unquoted), as one text."""
    return " ".join(w.strip() for w in words) if isinstance(words, list) else (words or "")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sitrep", description="Cited answers from a corpus of news articles.")
    sub = p.add_subparsers(dest="command", required=True)

    idx = sub.add_parser("index", help="build, update or inspect the index")
    idx_sub = idx.add_subparsers(dest="action", required=True)
    for action, text in (
        ("build", "rebuild the index from scratch"),
        ("update", "embed only new and changed articles, drop removed ones"),
        ("status", "show what the index holds"),
        ("watch", "update whenever files in the corpus folder change (debounced)"),
    ):
        a = idx_sub.add_parser(action, help=text)
        if action != "status":
            a.add_argument("--corpus", help="corpus folder (default: SITREP_CORPUS_DIR or corpus/)")
        if action == "watch":
            a.add_argument("--interval", type=float, default=2.0, help="seconds between looks at the folder (default 2)")
            a.add_argument("--debounce", type=float, default=3.0, help="seconds of quiet before updating (default 3)")
        a.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
        _backend_option(a)
        a.add_argument("--json", action="store_true", help="print one JSON object")

    fd = sub.add_parser("feeds", help="RSS/Atom feeds: add, list, remove, pull new items into the corpus")
    fd_sub = fd.add_subparsers(dest="action", required=True)
    for action, text in (("add", "add a feed URL (read once first: it must be an RSS or Atom feed)"), ("remove", "remove a feed URL")):
        fa = fd_sub.add_parser(action, help=text)
        fa.add_argument("url")
        if action == "add":
            fa.add_argument("--no-check", action="store_true", help="list it without reading it first (offline)")
    fd_sub.add_parser("list", help="the feeds pulled (SITREP_FEEDS), each with how its last pulls went").add_argument(
        "--json", action="store_true", help="print one JSON array")
    pl = fd_sub.add_parser("pull", help="fetch new items' pages into the corpus, then update the index")
    pl.add_argument("--corpus", help="corpus folder (default: SITREP_CORPUS_DIR or corpus/)")
    pl.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(pl)
    pl.add_argument("--no-update", action="store_true", help="only save the pages; do not update the index")
    pl.add_argument("--json", action="store_true", help="print one JSON object")

    ad = sub.add_parser("add", help="add news pages by their addresses: each story into the corpus, then update the index")
    ad.add_argument("urls", nargs="+", metavar="URL", help="http(s) address of a news page")
    ad.add_argument("--corpus", help="corpus folder (default: SITREP_CORPUS_DIR or corpus/)")
    ad.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(ad)
    ad.add_argument("--no-update", action="store_true", help="only save the pages; do not update the index")
    ad.add_argument("--json", action="store_true", help="print one JSON object")

    rm = sub.add_parser("remove", help="take an article out of the corpus (its file is kept aside), then update the index")
    rm.add_argument("article", metavar="FILE|URL", help="the article's file as sources show it, or its web address")
    rm.add_argument("--corpus", help="corpus folder (default: SITREP_CORPUS_DIR or corpus/)")
    rm.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(rm)
    rm.add_argument("--no-update", action="store_true", help="only move the file; do not update the index")

    ask = sub.add_parser("ask", help="answer one question with cited quotes")
    ask.add_argument("question", nargs="+", help="the question (quotes optional: the words are joined)")
    ask.add_argument("--after", action="append", metavar="QUESTION",
                     help="an earlier question of the conversation (repeatable, oldest first): the question is "
                          "answered as a follow-up of these")
    _search_options(ask)
    ask.add_argument("--since", help="only articles published since: a span before --as-of (30d, 2w, 6m, 1y) or a "
                     "date YYYY-MM-DD")
    ask.add_argument("--json", action="store_true", help="print one JSON object")

    br = sub.add_parser("brief", help="what has happened on a topic: its stories, newest first, each quoted; "
                        "no topic: the latest news")
    br.add_argument("topic", nargs="*", help="a few words, -word to leave stories with it out (none: the latest days' "
                    "stories, most outlets first)")
    br.add_argument("--since", help="a span before --until (30d, 2w, 6m, 1y) or a date YYYY-MM-DD (default: no start)")
    br.add_argument("--until", help="the window's last day, YYYY-MM-DD (default: today)")
    br.add_argument("--source", help="only articles from this outlet or site")
    br.add_argument("--max", type=_positive, help="stories shown at most (default SITREP_BRIEF_MAX, 10)")
    br.add_argument("--oldest-first", action="store_true", help="the timeline from its start")
    br.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(br)
    br.add_argument("--json", action="store_true", help="print one JSON object")

    fo = sub.add_parser("follow", help="topics channels follow: add, list, remove, and check what would be posted; "
                        "the questions left waiting")
    fo_sub = fo.add_subparsers(dest="action", required=True)
    for action, text in (("add", "follow a topic in a channel"), ("remove", "stop following a topic in a channel")):
        a = fo_sub.add_parser(action, help=text)
        a.add_argument("--channel", type=_positive, required=True, help="the Discord channel id")
        a.add_argument("--source", help="only stories from this outlet or site (e.g. ThePrint, cnn.com); with no "
                       "topic, every new story from it")
        a.add_argument("topic", nargs="*", help="a few words, -word to leave stories with it out (optional with --source)")
    for a in fo_sub.choices.values():
        a.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
        _backend_option(a)
    ls = fo_sub.add_parser("list", help="the follows (of one channel with --channel)")
    ls.add_argument("--channel", type=_positive)
    ls.add_argument("--json", action="store_true", help="print one JSON array")
    wt = fo_sub.add_parser("waiting", help="the refused questions people left waiting for a story (🔔): what the "
                           "corpus does not cover yet, most asked first")
    wt.add_argument("--json", action="store_true", help="print one JSON array")
    wt.add_argument("--index", help=argparse.SUPPRESS)
    ck = fo_sub.add_parser("check", help="the stories each follow would post now (new since its last check)")
    ck.add_argument("--dry-run", action="store_true", help="show them without marking them as posted")
    ck.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(ck)
    ls.add_argument("--index", help=argparse.SUPPRESS)
    ck.add_argument("--json", action="store_true", help="print one JSON object")

    repl = sub.add_parser("repl", help="ask questions interactively")
    repl.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(repl)

    bot = sub.add_parser("bot", help="run the Discord bot (needs DISCORD_TOKEN)")
    bot.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(bot)

    ev = sub.add_parser("eval", help="score retrieval, abstention and latency on a dataset")
    ev.add_argument("--dataset", help="folder with corpus.jsonl[.gz], queries.jsonl, queries_null.jsonl")
    ev.add_argument("--feedback", help="the bot's vote log (SITREP_FEEDBACK_PATH): up-voted answers become extra questions")
    ev.add_argument("--mode", default="all", choices=["bm25", "dense", "hybrid", "all"])
    ev.add_argument("--index", help="use this index instead of building one in the eval cache")
    _backend_option(ev)
    ev.add_argument("--limit", type=_positive, help="only the first N questions (and N probes), or N conversations")
    ev.add_argument("--conversations", help="a conversation set (benchmarks/conversations.jsonl): score follow-up turns "
                    "asked alone, with the conversation, and as full rewrites")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 up, not {value!r}")
    return int(value)


def _search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--k", type=_positive, help="hits to fetch (default 10)")
    p.add_argument("--mode", default="hybrid", help="bm25, dense or hybrid (default)")
    p.add_argument("--as-of", help="the date the question is asked on, YYYY-MM-DD (default: today)")
    p.add_argument("--source", help="only articles from this outlet or site")
    p.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(p)


def _backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=["local", "milvus"],
                   help="where the index lives (default: SITREP_BACKEND or local); milvus uses SITREP_MILVUS_URI")
