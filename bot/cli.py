"""`sitrep`: the command line. Translates domain errors into one line and exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot.settings import Settings, SettingsError, load_settings
from bot.state import StateError
from index.errors import IndexStoreError

EXIT_USER = 2


class UserError(Exception):
    """Bad input from the command line; printed as one line, exit code 2."""


_ENCODERS: dict[tuple[Any, ...], Any] = {}


def _encoder(settings: Settings) -> Any:
    """One encoder for questions and indexing: the ONNX export of the packaged model (the same vectors
    as sentence-transformers on torch, about twice its rate here), torch only if the export cannot be
    had. Made once a process: the bot and `eval` both index and ask."""
    from index.embedding import query_encoder

    key = (settings.model_dir, settings.model_cache_dir, settings.embed_batch_size, settings.onnx_int8)
    if key not in _ENCODERS:
        _ENCODERS[key] = query_encoder(settings.model_dir, settings.model_cache_dir, batch_size=settings.embed_batch_size,
                                       int8=settings.onnx_int8)
    return _ENCODERS[key]


def _config(settings: Settings, args: argparse.Namespace) -> Any:
    return settings.backend_config(getattr(args, "backend", None), getattr(args, "index", None))


def _engine(settings: Settings, config: Any, make_encoder: Callable[[Settings], Any]) -> Any:
    from retrieval.engine import Engine

    return Engine.open(config, make_encoder(settings), params=settings.retrieval(), answer_params=settings.answering())


def _update(settings: Settings, config: Any, corpus: Path, encoder: Any, *, full: bool = False, progress: Any = None) -> Any:
    from index import build
    from index.embedcache import EmbeddingCache

    return build.update(corpus, config, encoder, settings.chunking(), settings.bm25(), settings.dense(), full=full,
                        max_article_bytes=int(settings.max_article_mb * 1_000_000), progress=progress,
                        cache=EmbeddingCache(Path(settings.embed_cache_dir), encoder.fingerprint, encoder.dim))


def _query(args: argparse.Namespace, settings: Settings) -> Any:
    from retrieval.dates import parse_as_of
    from retrieval.types import Query

    as_of = parse_as_of(args.as_of) if args.as_of else None
    return Query(args.question, k=args.k or settings.default_k, mode=args.mode, as_of=as_of, source=args.source)


def cmd_ask(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any]) -> int:
    from dataclasses import replace

    from bot import render
    from retrieval.conversation import Conversation

    query = _query(args, settings)  # bad options fail before the model loads
    engine = _engine(settings, _config(settings, args), make_encoder)
    conversation = Conversation() if args.after else None
    for earlier in args.after or ():  # the conversation so far, asked in order; their answers are not printed
        engine.ask(replace(query, text=earlier), conversation)
    answer = engine.ask(query, conversation)
    if args.json:
        print(json.dumps(render.as_json(answer), ensure_ascii=False))
    else:
        print(render.as_text(answer, engine.answer_meta(answer), color=sys.stdout.isatty()))
    return 0


def cmd_brief(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any]) -> int:
    from bot import render
    from retrieval.dates import brief_window

    since, until = brief_window(args.since, args.until, date.today())  # bad options fail before the model loads
    engine = _engine(settings, _config(settings, args), make_encoder)
    brief = engine.brief(args.topic, since, until, args.source, args.max or settings.brief_max, args.oldest_first)
    if args.json:
        print(json.dumps(render.brief_json(brief), ensure_ascii=False))
    else:
        print(render.brief_text(brief, color=sys.stdout.isatty()))
    return 0


def cmd_follow(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any]) -> int:
    from bot import render
    from bot.follows import Follower
    from bot.state import FollowError, FollowStore

    store = FollowStore(settings.state_file())
    try:
        if args.action == "add":
            backend = _config(settings, args).open()
            try:
                store.sync(backend.article_hashes())  # what the index holds now is not news
            finally:
                backend.close()
            try:
                f = store.add(args.channel, args.topic)
            except FollowError as exc:
                raise UserError(str(exc)) from None
            print(f"channel {f.channel_id} now follows {f.topic!r}: new stories from the next update on")
            return 0
        if args.action == "remove":
            if not store.remove(args.channel, args.topic):
                raise UserError(f"channel {args.channel} does not follow {args.topic!r}: `sitrep follow list` shows what it follows")
            print(f"channel {args.channel} no longer follows {args.topic!r}")
            return 0
        if args.action == "list":
            follows = store.follows(args.channel)
            if args.json:
                print(json.dumps([{"id": f.id, "channel_id": f.channel_id, "topic": f.topic, "added_at": f.added_at}
                                  for f in follows]))
            elif not follows:
                print("no follows yet: `sitrep follow add --channel ID \"topic\"`, or /follow in Discord")
            for f in follows if not args.json else ():
                print(f"{f.channel_id}  {f.topic}  (since {f.added_at})")
            return 0
        engine = _engine(settings, _config(settings, args), make_encoder)
        follower = Follower(store, settings.follow_digest_after)
        report, seq = follower.check(engine)
        if not args.dry_run:
            for d in report.deliveries:
                store.record(d, seq)
        if args.json:
            print(json.dumps(render.check_json(report, args.dry_run), ensure_ascii=False))
        else:
            print(render.check_text(report, args.dry_run))
        return 0
    finally:
        store.close()


def cmd_repl(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any]) -> int:
    from bot.repl import Repl, terminal_reader

    engine = _engine(settings, _config(settings, args), make_encoder)
    repl = Repl(engine, color=sys.stdout.isatty(), k=settings.default_k)
    repl.run(terminal_reader(Path(settings.model_cache_dir).parent / "repl_history"))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any],
             make_index_encoder: Callable[[Settings], Any]) -> int:
    from retrieval import evaluate
    from retrieval.types import MODES

    if args.conversations and not args.dataset:
        raise UserError("--conversations needs --dataset: its turns name the dataset's questions and articles")
    if not args.dataset and not args.feedback:
        raise UserError("nothing to evaluate: give --dataset DIR, --feedback FILE, or both")
    conversations: list[Any] = []
    queries: list[Any] = []
    nulls: list[Any] = []
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
        cache_dir = Path(settings.eval_cache_dir) / dataset.resolve().name
        config = _config(settings, args)
        if not args.index:  # an index of the dataset's own, beside the bot's
            config = _eval_target(settings, config, cache_dir, dataset.resolve().name)
    else:  # feedback alone: the bot's own index, whose article ids the votes name
        config = _config(settings, args)
    ups, downs = evaluate.load_feedback(Path(args.feedback)) if args.feedback else ([], [])
    if args.feedback and not (ups or downs):
        raise UserError(f"feedback file {args.feedback} holds no votes yet: vote with 👍/👎 under the bot's answers")
    queries = queries + ups
    if args.dataset and not args.index:
        corpus = cache_dir / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        link = corpus / source.name
        if not link.is_symlink() or link.resolve() != source.resolve():
            link.unlink(missing_ok=True)
            link.symlink_to(source.resolve())
        report = _update(settings, config, corpus, make_index_encoder(settings),
                         progress=_Bar() if not args.json and sys.stderr.isatty() else None)
        if not args.json:
            print(f"index {config.where()}: {report.articles} articles, {report.passages} passages "
                  f"({report.passages_embedded} embedded now)", file=sys.stderr)
    engine = _engine(settings, config, make_encoder)
    if args.conversations:
        return _eval_conversations(args, engine, conversations)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    default_mode = "hybrid" if "hybrid" in modes else modes[0]
    result = evaluate.evaluate(engine.ask, queries, nulls, modes, default_mode=default_mode)
    if args.feedback:
        result["feedback"] = {"up_votes": len(ups), "down_votes": len(downs),
                              "down_still_first": evaluate.down_votes_still_first(engine.ask, downs, default_mode)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['queries']} questions, {result['null_queries']} unanswerable probes")
    if "feedback" in result:
        fb = result["feedback"]
        print(f"feedback: {fb['up_votes']} up-voted questions (scored with the rest), {fb['down_votes']} down-voted; "  # type: ignore[index]
              f"{fb['down_still_first']:.1%} of those still cite a voted-down article first")  # type: ignore[index]
    cols = ["recall@1", "recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10", "p50_ms", "p95_ms"]
    print(f"{'mode':<8}" + "".join(f"{c:>11}" for c in cols))
    for mode, m in result["modes"].items():  # type: ignore[union-attr]
        print(f"{mode:<8}" + "".join(f"{m[c]:>11}" for c in cols))
    if "abstention" in result:
        ab = result["abstention"]
        print(f"abstained: {ab['null_abstained']:.1%} of unanswerable, {ab['answerable_abstained']:.1%} of answerable")  # type: ignore[index]
        an = result["answers"]
        print(f"answers: {an['cites_gold_article']:.1%} cite a gold article, {an['quote_contains_answer']:.1%} quote the answer text, "  # type: ignore[index]
              f"quotes verbatim: {an['quotes_verbatim']}")  # type: ignore[index]
    return 0


def _eval_conversations(args: argparse.Namespace, engine: Any, conversations: list[Any]) -> int:
    from retrieval import evaluate
    from retrieval.conversation import Conversation

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
    if isinstance(sw, dict):
        print(f"subject changes lose {sw['recall@10_lost']:+.4f} recall@10 against being asked alone")
    return 0


def _eval_target(settings: Settings, config: Any, cache_dir: Path, name: str) -> Any:
    """A dataset's index: var/eval/<name>/index locally; on Milvus a collection of its own, in a
    milvus-lite file under var/eval/<name>/ unless SITREP_MILVUS_URI names a server."""
    from dataclasses import replace

    if config.kind == "local":
        return replace(config, path=cache_dir / "index")
    collection = "eval_" + "".join(c if c.isalnum() else "_" for c in name)
    uri = config.uri if "://" in config.uri else str(cache_dir / "milvus.db")
    return replace(config, uri=uri, collection=collection)


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
    from index import build

    config = _config(settings, args)
    if args.action == "status":
        status = {"index": config.where(), **config.read_manifest().status()}
        if args.json:
            print(json.dumps(status))
        else:
            for key, value in status.items():
                print(f"{key.replace('_', ' ')}: {value}")
            if status["parser_version"] != build.PARSER_VERSION:
                print(f"note: this sitrep parses articles with parser {build.PARSER_VERSION}: "
                      "run `sitrep index update` to re-read titles and dates (only changed passages are embedded)")
        return 0

    corpus = Path(args.corpus or settings.corpus_dir)
    if args.action == "watch":
        return _watch(settings, config, corpus, make_encoder, args)
    show_bar = not args.json and sys.stderr.isatty()
    report = _update(settings, config, corpus, make_encoder(settings), full=args.action == "build",
                     progress=_Bar() if show_bar else None)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        verb = "built" if report.full else "updated"
        print(
            f"{verb} {config.where()} from {corpus}: {report.articles} articles ({report.added} added, "
            f"{report.changed} changed, {report.removed} removed, {report.unchanged} unchanged"
            + (f", {report.reparsed} of them parsed again by a newer parser" if report.reparsed else "")
            + f"), {report.passages} passages ({report.passages_embedded} embedded) in {report.seconds:.1f} s"
        )
    return 0


def _watch(settings: Settings, config: Any, corpus: Path, make_encoder: Callable[[Settings], Any],
           args: argparse.Namespace) -> int:
    from index.watch import watch

    if not corpus.is_dir():
        raise UserError(f"corpus folder {corpus} does not exist: create it or pass --corpus")
    encoder = make_encoder(settings)

    def report(result: Any) -> None:
        if isinstance(result, (IndexStoreError, OSError)):
            print(f"sitrep: update failed: {result} (still watching)", file=sys.stderr, flush=True)
        elif isinstance(result, Exception):
            raise result
        else:
            for warning in result.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            print(f"updated {config.where()}: {result.added} added, {result.changed} changed, {result.removed} removed; "
                  f"{result.passages_embedded} passages embedded in {result.seconds:.1f} s", flush=True)

    print(f"watching {corpus} (every {args.interval:g} s, updating after {args.debounce:g} s of quiet); Ctrl-C stops",
          file=sys.stderr, flush=True)
    try:
        watch(corpus, lambda: _update(settings, config, corpus, encoder), report,
              interval=args.interval, debounce=args.debounce)
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr)
    return 0


def cmd_bot(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any],
            make_index_encoder: Callable[[Settings], Any]) -> int:
    import asyncio
    import logging

    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        raise UserError("DISCORD_TOKEN is not set: create a bot at https://discord.com/developers/applications "
                        "(Bot > Reset Token), then put DISCORD_TOKEN=... in .env or the environment (see README)")
    import discord

    from bot.client import BotConfig, SitrepBot
    from bot.service import AdminPolicy, FeedbackLog, QAService, RateLimiter, parse_scopes
    from retrieval.errors import RetrievalError

    config = BotConfig(
        guild_id=settings.discord_guild_id,
        allowed_channels=settings.ids("discord_allowed_channels"),
        qa_channels=settings.ids("discord_qa_channels"),
        max_question_chars=settings.max_question_chars,
        refresh_minutes=settings.refresh_minutes,
        threads=settings.discord_threads,
        follow_who=settings.follow_who,
        digest_channel=settings.digest_channel,
        digest_time=settings.digest_time,
        timezone=settings.timezone,
    )
    settings.zone()  # a bad SITREP_TIMEZONE fails now, in one line
    try:
        scopes = parse_scopes(settings.discord_channel_scopes)
    except ValueError as exc:
        raise UserError(f"setting SITREP_DISCORD_CHANNEL_SCOPES is invalid: {exc}; use CHANNEL_ID=SOURCE[@SINCE], "
                        "e.g. 920000000000000001=cnn.com@30d") from None
    except RetrievalError as exc:
        raise UserError(f"setting SITREP_DISCORD_CHANNEL_SCOPES is invalid: {exc}") from None
    admins = AdminPolicy(settings.ids("discord_admin_user_ids"), settings.ids("discord_admin_role_ids"))
    target = _config(settings, args)
    engine = _engine(settings, target, make_encoder)  # no index: one line now, not a half-working bot

    def run_update() -> Any:
        if make_index_encoder is not _encoder:  # a test's encoder lives in this process: update here
            return _update(settings, target, Path(settings.corpus_dir), make_index_encoder(settings))
        from bot.service import update_in_child  # the real one: in a child process, off the bot's GIL

        where = ["--index", str(target.path)] if target.kind == "local" else []
        return update_in_child(["--corpus", str(settings.corpus_dir), "--backend", target.kind, *where])

    def pull_feeds() -> Any:
        from index import feeds

        urls = feeds.FeedList(Path(settings.feeds)).urls()
        fetcher = feeds.Fetcher(feeds.FetchSettings(timeout=settings.feed_timeout_s, host_delay=settings.feed_host_delay_s,
                                                    allow_private=settings.feeds_allow_private, max_items=settings.feed_max_items,
                                                    max_bytes=int(settings.max_article_mb * 1e6)))
        try:
            return feeds.pull(urls, Path(settings.corpus_dir), Path(settings.feeds_state), fetcher)
        finally:
            fetcher.close()

    service = QAService(engine, lambda: _engine(settings, target, make_encoder), run_update,
                        RateLimiter(settings.rate_limit_questions, settings.rate_limit_seconds), admins,
                        FeedbackLog(Path(settings.feedback_path)), k=settings.default_k, pull_feeds=pull_feeds,
                        scopes=scopes)
    from bot.follows import Follower
    from bot.state import FollowStore

    try:  # a damaged or locked follow database turns follows off, with the reason; questions still work
        service.follower = Follower(FollowStore(settings.state_file()), settings.follow_digest_after)
    except StateError as exc:
        service.follow_error = str(exc)
        print(f"sitrep: follows are off: {exc}", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(logging.WARNING)
    bot = SitrepBot(service, config)
    try:
        asyncio.run(bot.start(settings.discord_token.get_secret_value()))
    except discord.LoginFailure:
        raise UserError("Discord rejected the token: reset it in the developer portal (Bot > Reset Token) and update DISCORD_TOKEN") from None
    except discord.PrivilegedIntentsRequired:
        raise UserError("Q&A channels and follow-ups in threads need the Message Content intent: enable it under "
                        "Bot > Privileged Gateway Intents, or set SITREP_DISCORD_THREADS=false and clear "
                        "SITREP_DISCORD_QA_CHANNELS") from None
    return 0


def cmd_feeds(args: argparse.Namespace, settings: Settings, make_encoder: Callable[[Settings], Any]) -> int:
    from index import feeds

    listed = feeds.FeedList(Path(settings.feeds))
    if args.action == "add":
        added = listed.add(args.url)
        print(f"{'added' if added else 'already listed'}: {args.url.strip()} ({listed.path})")
        return 0
    if args.action == "remove":
        if not listed.remove(args.url):
            raise UserError(f"{args.url.strip()} is not in {listed.path}: `sitrep feeds list` shows what is")
        print(f"removed: {args.url.strip()}")
        return 0
    if args.action == "list":
        urls = listed.urls()
        print("\n".join(urls) if urls else f"no feeds yet: `sitrep feeds add URL` (they are kept in {listed.path})")
        return 0
    urls = listed.urls()
    if not urls:
        raise UserError(f"no feeds to pull: add one with `sitrep feeds add URL` (kept in {listed.path})")
    corpus = Path(args.corpus or settings.corpus_dir)
    fetcher = feeds.Fetcher(feeds.FetchSettings(timeout=settings.feed_timeout_s, host_delay=settings.feed_host_delay_s,
                                                    allow_private=settings.feeds_allow_private, max_items=settings.feed_max_items,
                                                max_bytes=int(settings.max_article_mb * 1e6)))
    try:
        report = feeds.pull(urls, corpus, Path(settings.feeds_state), fetcher)
    finally:
        fetcher.close()
    for line in report.failures:
        print(f"failed: {line}", file=sys.stderr)
    for line in report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    summary = {"feeds": report.feeds, "items": report.items, "saved": report.saved, "unchanged": report.unchanged,
               "duplicates": report.duplicates, "failures": report.failures, "warnings": report.warnings}
    if not args.no_update and report.saved:
        config = _config(settings, args)
        built = _update(settings, config, corpus, make_encoder(settings))
        summary["update"] = built.as_dict()
    if args.json:
        print(json.dumps(summary))
    else:
        line = (f"pulled {report.feeds} feeds: {report.items} items, {len(report.saved)} saved to {corpus}, "
                f"{report.unchanged} unchanged, {report.duplicates} duplicates, {len(report.failures)} failed")
        if "update" in summary:
            u = summary["update"]
            line += f"; index: {u['added']} added, {u['changed']} changed, {u['passages_embedded']} passages embedded"
        print(line)
    return 1 if report.feeds_failed == report.feeds else 0  # every feed unreadable: a cron job should notice


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sitrep", description="Cited answers from a corpus of news articles.")
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
    for action, text in (("add", "add a feed URL"), ("remove", "remove a feed URL")):
        fd_sub.add_parser(action, help=text).add_argument("url")
    fd_sub.add_parser("list", help="the feeds pulled (SITREP_FEEDS)")
    pl = fd_sub.add_parser("pull", help="fetch new items' pages into the corpus, then update the index")
    pl.add_argument("--corpus", help="corpus folder (default: SITREP_CORPUS_DIR or corpus/)")
    pl.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(pl)
    pl.add_argument("--no-update", action="store_true", help="only save the pages; do not update the index")
    pl.add_argument("--json", action="store_true", help="print one JSON object")

    ask = sub.add_parser("ask", help="answer one question with cited quotes")
    ask.add_argument("question")
    ask.add_argument("--after", action="append", metavar="QUESTION",
                     help="an earlier question of the conversation (repeatable, oldest first): the question is "
                          "answered as a follow-up of these")
    _search_options(ask)
    ask.add_argument("--json", action="store_true", help="print one JSON object")

    br = sub.add_parser("brief", help="what has happened on a topic: its stories, newest first, each quoted")
    br.add_argument("topic")
    br.add_argument("--since", help="a span before --until (30d, 2w, 6m, 1y) or a date YYYY-MM-DD (default: no start)")
    br.add_argument("--until", help="the window's last day, YYYY-MM-DD (default: today)")
    br.add_argument("--source", help="only articles from this outlet or site")
    br.add_argument("--max", type=_positive, help="stories shown at most (default SITREP_BRIEF_MAX, 10)")
    br.add_argument("--oldest-first", action="store_true", help="the timeline from its start")
    br.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
    _backend_option(br)
    br.add_argument("--json", action="store_true", help="print one JSON object")

    fo = sub.add_parser("follow", help="topics channels follow: add, list, remove, and check what would be posted")
    fo_sub = fo.add_subparsers(dest="action", required=True)
    for action, text in (("add", "follow a topic in a channel"), ("remove", "stop following a topic in a channel")):
        a = fo_sub.add_parser(action, help=text)
        a.add_argument("--channel", type=_positive, required=True, help="the Discord channel id")
        a.add_argument("topic")
    for a in fo_sub.choices.values():
        a.add_argument("--index", help="index folder (default: SITREP_INDEX_DIR or var/index)")
        _backend_option(a)
    ls = fo_sub.add_parser("list", help="the follows (of one channel with --channel)")
    ls.add_argument("--channel", type=_positive)
    ls.add_argument("--json", action="store_true", help="print one JSON array")
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


def main(argv: Sequence[str] | None = None, make_encoder: Callable[[Settings], Any] | None = None) -> int:
    """make_encoder replaces both encoders (tests pass a fake)."""
    from retrieval.errors import RetrievalError

    p = parser()
    args = p.parse_args(argv)
    index_encoder = question_encoder = make_encoder or _encoder
    try:
        settings = load_settings()
        if args.command == "index":
            return cmd_index(args, settings, index_encoder)
        if args.command == "ask":
            return cmd_ask(args, settings, question_encoder)
        if args.command == "brief":
            return cmd_brief(args, settings, question_encoder)
        if args.command == "follow":
            return cmd_follow(args, settings, question_encoder)
        if args.command == "repl":
            return cmd_repl(args, settings, question_encoder)
        if args.command == "bot":
            return cmd_bot(args, settings, question_encoder, index_encoder)
        if args.command == "eval":
            return cmd_eval(args, settings, question_encoder, index_encoder)
        if args.command == "feeds":
            return cmd_feeds(args, settings, index_encoder)
        raise UserError(f"unknown command {args.command!r}: see `sitrep --help`")
    except (IndexStoreError, SettingsError, UserError, RetrievalError, StateError) as exc:
        print(f"sitrep: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("sitrep: interrupted; the index was left as it was", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
