"""Follows: each followed topic matched against the articles that arrived since its last check.

A follow sees the arrivals after its `last_seq` (a new follow starts at the newest: no backlog). Each
check scores those articles against the topic (retrieval/brief.py, the brief's relevance cut), groups
the relevant ones into stories together with the follow's recent posts, and returns what to post:
a story that joins an earlier post is an update of that post ("also in"), never a second post; more
than `digest_after` new stories at once become one digest. State: bot/state.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sitrep.answer.brief import Scored, Story
from sitrep.answer.engine import Engine
from sitrep.answer.frontpage import headline_stories, ranked_groups
from sitrep.follows.state import Follow, FollowStore, Post
from sitrep.retrieval.errors import BadQuestion
from sitrep.retrieval.hybrid import clean_question


@dataclass(frozen=True)
class Delivery:
    """What one follow gets from one check: new stories (one message each, or one digest) and updates of
    earlier posts the same story's new outlets join."""

    follow: Follow
    new: tuple[Story, ...]
    updates: tuple[tuple[Post, Story], ...]  # (the earlier post, the story with every article so far)
    digest: bool = False  # more new stories than digest_after: post them as one message

    @property
    def empty(self) -> bool:
        return not self.new and not self.updates


@dataclass
class CheckReport:
    deliveries: list[Delivery] = field(default_factory=list)
    articles_new: int = 0  # arrivals scored this check
    follows: int = 0
    seconds: float = 0.0


class Follower:
    """Matches each follow's topic against the articles that arrived since its last check."""

    def __init__(self, store: FollowStore, digest_after: int = 5) -> None:
        self.store = store
        self.digest_after = digest_after
        self._vectors: dict[str, Any] = {}  # topic text -> its vector (the encoder never changes under a bot)

    def check(self, engine: Engine, follows: Sequence[Follow] | None = None) -> tuple[CheckReport, int]:
        """What each follow would post now; (report, newest arrival seq). Nothing is recorded: post, then
        call store.record() per delivery (or `sitrep follow check` without --dry-run records them)."""
        import time

        t0 = time.perf_counter()
        backend = engine.backend
        present = backend.article_hashes()
        self.store.sync(present)
        seq = self.store.newest_seq()
        follows = list(self.store.follows() if follows is None else follows)
        report = CheckReport(follows=len(follows))
        if not follows:
            return report, seq
        first = min(f.last_seq for f in follows)
        arrivals = self.store.arrivals_after(first)
        briefer = engine.briefer
        usable = []
        for f in follows:
            if not f.topic:  # everything from one outlet: no topic to match
                arrived = [x.article_id for x in arrivals if x.seq > f.last_seq and present.get(x.article_id) == x.hash]
                report.deliveries.append(self._everything(engine, f, list(dict.fromkeys(arrived))))
                continue
            try:
                clean_question(f.topic, 10_000)
                usable.append(f)
            except BadQuestion:
                continue
        topics = briefer.topics([f.topic for f in usable], self._vectors)  # embedded once per topic, ever
        union = list(dict.fromkeys(x.article_id for x in arrivals if present.get(x.article_id) == x.hash))
        report.articles_new = len(union)
        scored = briefer.score(topics, union)
        for f, topic, rows in zip(usable, topics, scored):
            mine = {x.article_id for x in arrivals if x.seq > f.last_seq and present.get(x.article_id) == x.hash}
            relevant = [r for r in briefer.relevant(rows) if r.article_id in mine]
            if f.source and relevant:  # a follow of one outlet: its stories only
                meta = backend.articles([r.article_id for r in relevant])
                relevant = [r for r in relevant if r.article_id in meta and meta[r.article_id].from_source(f.source)]
            if not relevant:
                report.deliveries.append(Delivery(f, (), ()))
                continue
            report.deliveries.append(self._deliver(engine, f, topic, relevant))
        order = {f.id: i for i, f in enumerate(follows)}
        report.deliveries.sort(key=lambda d: order[d.follow.id])  # in the follows' order, whatever their kind
        report.seconds = time.perf_counter() - t0
        return report, seq

    def day(self, engine: Engine, hours: float = 24.0, max_stories: int = 10) -> list[Story]:
        """The daily digest: every story that arrived in the last `hours` (not the articles indexed before
        sitrep first recorded arrivals), ranked by how many outlets carried it; each quoted with the
        sentence that best states its headline."""
        from datetime import UTC, datetime

        present = engine.backend.article_hashes()
        self.store.sync(present)
        since = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
        ids = [a for a in self.store.arrived_since(since) if a in present]
        if not ids:
            return []
        meta = engine.backend.articles(ids)
        return headline_stories(engine.briefer, ranked_groups(engine.briefer, list(meta), meta)[:max_stories], meta)

    def _everything(self, engine: Engine, follow: Follow, arrived: list[str]) -> Delivery:
        """A follow of one outlet with no topic: every story from it that arrived, each quoted with its headline's
        sentence; an article posted before (arrived again, changed) is not posted twice."""
        if not arrived or not follow.source:
            return Delivery(follow, (), ())
        meta = engine.backend.articles(arrived)
        posted = {a for p in self.store.posts(follow.id) for a in p.articles}
        ids = [a for a in arrived if a in meta and a not in posted and meta[a].from_source(follow.source)]
        if not ids:
            return Delivery(follow, (), ())
        stories = headline_stories(engine.briefer, engine.briefer.group(ids, meta), meta)
        stories.sort(key=lambda s: s.day or "", reverse=True)
        return Delivery(follow, tuple(stories), (), digest=len(stories) > self.digest_after)

    def _deliver(self, engine: Engine, follow: Follow, topic: object, relevant: list) -> Delivery:
        briefer = engine.briefer
        meta = engine.backend.articles([r.article_id for r in relevant])
        days = [m.date for m in meta.values() if m.date]
        since = (date.fromisoformat(min(days)) - timedelta(days=briefer.params.story_days)).isoformat() if days else None
        earlier = [p for p in self.store.posts(follow.id, since) if p.articles]
        posted = {a for p in earlier for a in p.articles}
        relevant = [r for r in relevant if r.article_id not in posted]  # re-arrived (changed) article already posted
        if not relevant:
            return Delivery(follow, (), ())
        new_ids = [r.article_id for r in relevant]
        old_ids = [a for a in dict.fromkeys(posted) if a in engine.backend.article_hashes()]
        meta = engine.backend.articles(new_ids + old_ids)
        post_of = {a: p for p in earlier for a in p.articles}
        by_id = {r.article_id: r for r in relevant}
        new_stories: list[Story] = []
        updates: list[tuple[Post, Story]] = []
        for members in briefer.group(new_ids + old_ids, meta):
            fresh = [a for a in members if a in by_id]
            if not fresh:
                continue
            post = next((post_of[a] for a in members if a in post_of), None)
            if post is None:
                new_stories.append(briefer.story(topic, [by_id[a] for a in fresh], meta))  # type: ignore[arg-type]
                continue
            # The same story from another outlet: the earlier post gains it (its lead stays first).
            kept = [Scored(a, 0.0, 0.0, 0.0, 2.0 if a == post.story_key else 0.5, -1) for a in post.articles if a in meta]
            story = briefer.story(topic, kept + [by_id[a] for a in fresh], meta, quote=False, key=post.story_key)  # type: ignore[arg-type]
            updates.append((post, story))
        new_stories.sort(key=lambda s: (s.day or "", s.relevance), reverse=True)
        return Delivery(follow, tuple(new_stories), tuple(updates), digest=len(new_stories) > self.digest_after)
