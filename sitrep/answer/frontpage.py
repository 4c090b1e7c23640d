"""The latest news, no topic asked: what "@sitrep what's new?" and a bare `sitrep brief` get.

Before, "what's new?" was searched as a question and refused ("the corpus does not answer this"): there is
nothing in it to search for. A front page needs no topic: the stories published in the last days the corpus
has (three, up to its newest article on or before the day asked), grouped as a brief groups them, the stories
most outlets carried first, each quoted with the sentence that best states its headline (as the daily digest
quotes: follows/follower.py). Dates are the articles' own; undated articles are not on it. A window is read
from its newest 300 articles (1,200 when a source narrows it), and only those articles' records are read:
the backend gives a window's (article, day) pairs (Backend.dated_articles), read newest first a stretch at a
time until enough are found (newest_first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from sitrep.answer.brief import Brief, Briefer, Story
from sitrep.index.backends.base import ArticleMeta

TOPIC = "the latest news"
MAX_ARTICLES = 300  # the newest of a window grouped into stories (every pair is compared: a year's window
# of a large corpus would hold the model's lock for minutes)


def headline_stories(briefer: Briefer, groups: Sequence[Sequence[str]], meta: dict[str, ArticleMeta]) -> list[Story]:
    """Each group of articles as a story quoted with the sentence that best states its lead's headline."""
    topics = briefer.topics([meta[g[0]].title or meta[g[0]].location for g in groups], exclusions=False)
    out = []
    for g, topic in zip(groups, topics):
        rows = {s.article_id: s for s in briefer.score([topic], list(g))[0]}
        members = [rows[a] for a in g if a in rows]
        if members:
            out.append(briefer.story(topic, members, meta))
    return out


def ranked_groups(briefer: Briefer, ids: Sequence[str], meta: dict[str, ArticleMeta]) -> list[list[str]]:
    """The articles grouped into stories, the stories most outlets carried first, then the newest."""
    groups = briefer.group(list(ids), meta)
    return sorted(groups, key=lambda g: (len({meta[a].source or meta[a].location for a in g}),
                                         max(meta[a].date or "" for a in g)), reverse=True)


def newest_first(dated: Callable[[str, str], dict[str, str]], since: date, until: date, want: int,
                 step: int = 31) -> dict[str, str]:
    """A window's (article, day) pairs read back from `until` a stretch at a time — 31 days, then twice as many
    each time, so a sparse past is crossed in a few queries — until `want` are found or `since` is reached:
    every article newer than the last stretch's start is in, so the newest `want` are exact. `/brief since:10y`
    reads the newest weeks, not ten years (on Milvus each read is a scan of its stretch)."""
    out: dict[str, str] = {}
    end = until
    while end >= since:
        start = since if (end - since).days < step else end - timedelta(days=step - 1)
        out.update(dated(start.isoformat(), end.isoformat()))
        if len(out) >= want or start <= since:
            break
        end, step = start - timedelta(days=1), step * 2
    return out


def front_page(briefer: Briefer, dated: Callable[[str, str], dict[str, str]],
               articles: Callable[[Sequence[str]], dict[str, ArticleMeta]], until: date, since: date | None = None,
               source: str | None = None, days: int = 3, max_stories: int = 10) -> Brief:
    """The stories published from `since` (default: the `days` days up to the newest article on or before
    `until`) to `until`, most outlets first. `dated(since, until)` gives the articles of a window with their
    days (Backend.dated_articles); only the newest few have their records read (`articles`)."""
    if since is None:  # the newest day on or before `until`: looked for in a widening window, not in every article
        found: dict[str, str] = {}
        for back in (days, 31, 366, None):
            start = until - timedelta(days=back - 1) if back else date.min
            found = dated(start.isoformat(), until.isoformat())
            if found:
                break
        if not found:
            return Brief(TOPIC, since, until, (), (), 0)
        until = date.fromisoformat(max(found.values()))
        since = until - timedelta(days=days - 1)
    want = MAX_ARTICLES * (4 if source else 1)
    window = newest_first(dated, since, until, want)
    newest = [a for _, a in sorted((d, a) for a, d in window.items())][-want:]
    meta = articles(newest)
    wanted = (source or "").lower()
    ids = sorted([a for a in newest if a in meta and (not wanted or wanted in (meta[a].source or "").lower()
                                                     or wanted in (meta[a].location or "").lower())][-MAX_ARTICLES:])
    if not ids:
        return Brief(TOPIC, since, until, (), (), 0)
    groups = ranked_groups(briefer, ids, meta)
    stories = headline_stories(briefer, groups[:max_stories], meta)
    return Brief(TOPIC, since, until, tuple(stories), (), max(0, len(groups) - max_stories))
