"""`sitrep follow add|list|remove|check`: the topics channels follow, from the terminal."""

from __future__ import annotations

import argparse
import json

from sitrep.app.compose import App
from sitrep.cli import render
from sitrep.cli.ask import target_of
from sitrep.cli.errors import UserError
from sitrep.follows.errors import FollowError
from sitrep.follows.state import Follow, FollowStore


def cmd_follow(args: argparse.Namespace, app: App) -> int:
    store = app.follow_store()
    try:
        return {"add": _add, "remove": _remove, "list": _list, "check": _check}[args.action](args, app, store)
    finally:
        store.close()


def _add(args: argparse.Namespace, app: App, store: FollowStore) -> int:
    backend = target_of(app, args).open()
    try:
        store.sync(backend.article_hashes())  # what the index holds now is not news
    finally:
        backend.close()
    try:
        f = store.add(args.channel, args.topic, source=args.source)
    except FollowError as exc:
        raise UserError(str(exc)) from None
    print(f"channel {f.channel_id} now follows {f.label!r}: new stories from the next update on")
    return 0


def _remove(args: argparse.Namespace, app: App, store: FollowStore) -> int:
    label = Follow(0, args.channel, " ".join(args.topic.split()), None, "", 0, args.source).label
    if not store.remove(args.channel, args.topic, args.source):
        raise UserError(f"channel {args.channel} does not follow {label!r}: `sitrep follow list` shows what it follows "
                        "(a follow of one outlet is removed with its --source)")
    print(f"channel {args.channel} no longer follows {label!r}")
    return 0


def _list(args: argparse.Namespace, app: App, store: FollowStore) -> int:
    follows = store.follows(args.channel)
    if args.json:
        print(json.dumps([{"id": f.id, "channel_id": f.channel_id, "topic": f.topic, "source": f.source,
                           "added_at": f.added_at} for f in follows]))
        return 0
    if not follows:
        print("no follows yet: `sitrep follow add --channel ID \"topic\"`, or /follow in Discord")
    for f in follows:
        print(f"{f.channel_id}  {f.label}  (since {f.added_at})")
    return 0


def _check(args: argparse.Namespace, app: App, store: FollowStore) -> int:
    engine = app.engine(target_of(app, args))
    report, seq = app.follower(store).check(engine)
    if not args.dry_run:
        for d in report.deliveries:
            store.record(d, seq)
    if args.json:
        print(json.dumps(render.check_json(report, args.dry_run), ensure_ascii=False))
    else:
        print(render.check_text(report, args.dry_run))
    return 0
