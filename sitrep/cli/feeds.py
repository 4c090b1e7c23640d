"""`sitrep feeds add|remove|list|pull`: RSS/Atom feeds pulled into the corpus folder; `sitrep add URL`: one
news page by its address."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sitrep.app.compose import App
from sitrep.cli.ask import target_of
from sitrep.cli.errors import UserError
from sitrep.feeds.errors import FetchError
from sitrep.feeds.ingest import check_url


def cmd_feeds(args: argparse.Namespace, app: App) -> int:
    listed = app.feed_list()
    if args.action == "add":
        url = check_url(args.url)
        if url in listed.urls():
            print(f"already listed: {url} ({listed.path})")
            return 0
        what = ""
        if not args.no_check:  # a typo or a page that is not a feed is told now, not at the next pull
            try:
                probe = app.probe_feed(url)
            except FetchError as exc:
                raise UserError(f"{url}: {exc}; not added (--no-check adds it unread)") from None
            if probe.url in listed.urls():
                print(f"already listed: {probe.url}, the feed {url} names ({listed.path})")
                return 0
            url = probe.url
            found = f" (the feed {probe.found_on} names)" if probe.found_on else ""
            what = f"{found} — {probe.title or 'untitled feed'}, {probe.items} item{'' if probe.items == 1 else 's'} now"
        listed.add(url)
        print(f"added: {url}{what} ({listed.path})")
        return 0
    if args.action == "remove":
        if not listed.remove(args.url):
            raise UserError(f"{args.url.strip()} is not in {listed.path}: `sitrep feeds list` shows what is")
        print(f"removed: {args.url.strip()}")
        return 0
    if args.action == "list":
        health = listed.health()
        if args.json:
            print(json.dumps([{"url": url, "health": line} for url, line in health]))
        elif not health:
            print(f"no feeds yet: `sitrep feeds add URL` (they are kept in {listed.path})")
        for url, line in health if not args.json else ():
            print(f"{url}\n    {line}")
        return 0
    if not listed.urls():
        raise UserError(f"no feeds to pull: add one with `sitrep feeds add URL` (kept in {listed.path})")
    corpus = Path(args.corpus or app.settings.corpus_dir)
    report = app.pull_feeds(corpus)
    for line in report.failures:
        print(f"failed: {line}", file=sys.stderr)
    for line in report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    summary: dict[str, Any] = {"feeds": report.feeds, "items": report.items, "saved": report.saved, "unchanged": report.unchanged,
                               "duplicates": report.duplicates, "failures": report.failures, "warnings": report.warnings,
                               "forgotten": report.forgotten}
    if not args.no_update and report.saved:
        summary["update"] = app.update(target_of(app, args), corpus).as_dict()
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


def cmd_add(args: argparse.Namespace, app: App) -> int:
    """`sitrep add URL...`: each page's story into the corpus (web/<host>/), then the incremental update."""
    corpus = Path(args.corpus or app.settings.corpus_dir)
    pages, failures = app.add_pages(args.urls, corpus)
    if not pages and len(failures) == 1:
        raise UserError(f"no page added: {failures[0]}")  # the one line, said once
    for line in failures:
        print(f"failed: {line}", file=sys.stderr)
    summary: dict[str, Any] = {"pages": [{"url": p.url, "file": p.file, "saved": p.saved, "title": p.title,
                                          "date": p.date, "source": p.source} for p in pages], "failures": failures}
    if not args.no_update and any(p.saved for p in pages):
        summary["update"] = app.update(target_of(app, args), corpus).as_dict()
    if args.json:
        print(json.dumps(summary))
    else:
        for p in pages:
            print(f"{'added' if p.saved else 'unchanged'}: {p.describe()}")
        if "update" in summary:
            u = summary["update"]
            print(f"index: {u['added']} added, {u['changed']} changed, {u['passages_embedded']} passages embedded")
        undated = [p for p in pages if p.saved and not p.date]
        if undated:
            print(f"note: {len(undated)} page(s) without a publication date: briefs and dated questions will not "
                  "place them; add `date: YYYY-MM-DD` to the file's front matter if you know it", file=sys.stderr)
    if not pages:
        raise UserError(f"no page added: all {len(failures)} failed (above)")
    return 0


def cmd_remove(args: argparse.Namespace, app: App) -> int:
    """`sitrep remove FILE|URL`: one article out of the corpus folder (kept aside, not deleted), then the update."""
    corpus = Path(args.corpus or app.settings.corpus_dir)
    target = target_of(app, args)
    backend = target.open()
    try:
        meta, kept = app.remove_article(backend, args.article, corpus, target)
    finally:
        backend.close()
    title = " — ".join(x for x in (meta.title or meta.id, meta.source, meta.date) if x)
    print(f"removed: {title} ({meta.id}); the file is kept in {kept}")
    if not args.no_update:
        u = app.update(target, corpus).as_dict()
        print(f"index: {u['removed']} removed, {u['passages']} passages")
    return 0
