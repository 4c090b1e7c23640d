"""`sitrep follow add|list|remove|check|waiting`: the topics channels follow, and the refused questions left
waiting for a story (🔔 in Discord), from the terminal."""

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
        return {"add": _add, "remove": _remove, "list": _list, "check": _check,
                "waiting": _waiting}[args.action](args, app, store)
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


def _waiting(args: argparse.Namespace, app: App, store: FollowStore) -> int:
    """The questions people left waiting, most people first: what the corpus does not cover yet."""
    from sitrep.follows.waiting import WaitStore

    gaps = WaitStore(store).gaps()
    if args.json:
        print(json.dumps([{"question": g.question, "source": g.source, "people": g.people, "since": g.since,
                           "channels": list(g.channels)} for g in gaps], ensure_ascii=False))
        return 0
    if not gaps:
        print("no refused question is waiting: 🔔 under a refusal in Discord leaves one waiting for a story")
    for g in gaps:
        who = f"{g.people} {'person' if g.people == 1 else 'people'}"
        print(f"{who:>10}  since {g.since[:10]}  {g.question}" + (f"  (from {g.source})" if g.source else ""))
    return 0
