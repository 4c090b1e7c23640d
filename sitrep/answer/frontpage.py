"""The latest news, no topic asked: what "@sitrep what's new?" and a bare `sitrep brief` get.

Before, "what's new?" was searched as a question and refused ("the corpus does not answer this"): there is
nothing in it to search for. A front page needs no topic: the stories published in the last days the corpus
has (three, up to its newest article on or before the day asked), grouped as a brief groups them, the stories
most outlets carried first, each quoted with the sentence that best states its headline (as the daily digest
quotes: follows/follower.py). Dates are the articles' own; undated articles are not on it. A wider window
(`since`) is read from its newest 300 articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sitrep.answer.brief import Brief, Briefer, Story
from sitrep.index.backends.base import ArticleMeta

TOPIC = "the latest news"
MAX_ARTICLES = 300  # the newest of a window grouped into stories (every pair is compared: a year's window
# of a large corpus would hold the model's lock for minutes)


def headline_stories(briefer: Briefer, groups: Sequence[Sequence[str]], meta: dict[str, ArticleMeta]) -> list[Story]:
    """Each group of articles as a story quoted with the sentence that best states its lead's headline."""
    topics = briefer.topics([meta[g[0]].title or meta[g[0]].location for g in groups])
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


def front_page(briefer: Briefer, meta: dict[str, ArticleMeta], until: date, since: date | None = None,
               source: str | None = None, days: int = 3, max_stories: int = 10) -> Brief:
    """The stories published from `since` (default: the `days` days up to the newest article on or before
    `until`) to `until`, most outlets first; `meta` is every article's (Engine.article_meta)."""
    wanted = (source or "").lower()
    dated = {a: m.date[:10] for a, m in meta.items()
             if m.date and m.date[:10] <= until.isoformat()
             and (not wanted or wanted in (m.source or "").lower() or wanted in (m.location or "").lower())}
    if not dated:
        return Brief(TOPIC, since, until, (), (), 0)
    if since is None:
        newest = date.fromisoformat(max(dated.values()))
        since, until = newest - timedelta(days=days - 1), newest
    within = sorted((d, a) for a, d in dated.items() if since.isoformat() <= d <= until.isoformat())
    ids = sorted(a for _, a in within[-MAX_ARTICLES:])  # grouping compares every pair: a wide window, the newest
    if not ids:
        return Brief(TOPIC, since, until, (), (), 0)
    groups = ranked_groups(briefer, ids, meta)
    stories = headline_stories(briefer, groups[:max_stories], meta)
    return Brief(TOPIC, since, until, tuple(stories), (), max(0, len(groups) - max_stories))
