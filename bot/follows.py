"""Follows: topics channels asked to be told about, and the stories already posted to them.

State lives in SQLite (standard library, WAL, one writer at a time; another process holding the
write lock makes a call wait `timeout` seconds, then fail with one line). A restart posts nothing
twice and forgets nothing:

    meta      key, value                    -- schema_version
    follows   id, channel_id, topic, key, added_by, added_at, last_seq
    arrivals  seq, article_id, hash, at     -- every (article, content) the index has held, in order seen
    posts     id, follow_id, story_key, articles (JSON), day, message_id, posted_at

A follow sees the arrivals after its `last_seq` (a new follow starts at the newest: no backlog). Each
check scores those articles against the topic (retrieval/brief.py, the brief's relevance cut), groups
the relevant ones into stories together with the follow's recent posts, and returns what to post:
a story that joins an earlier post is an update of that post ("also in"), never a second post; more
than `digest_after` new stories at once become one digest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from retrieval.brief import Scored, Story
from retrieval.engine import Engine
from retrieval.errors import BadQuestion

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, topic TEXT NOT NULL, key TEXT NOT NULL,
    added_by INTEGER, added_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0, UNIQUE (channel_id, key));
CREATE TABLE IF NOT EXISTS arrivals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL,
    UNIQUE (article_id, hash));
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY, follow_id INTEGER NOT NULL REFERENCES follows(id) ON DELETE CASCADE,
    story_key TEXT NOT NULL, articles TEXT NOT NULL, day TEXT, message_id INTEGER, posted_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS posts_follow ON posts (follow_id, day);
"""


class StateError(Exception):
    """The follow database cannot be used; the message is one line saying what to do."""


class StateBusy(StateError):
    """Another process holds the database's write lock past the timeout."""


class StateCorrupt(StateError):
    """The file is not a sitrep follow database (damaged, or something else)."""


class StateTooNew(StateError):
    """Written by a newer sitrep (a schema this one does not know)."""


class FollowError(Exception):
    """A user's follow request that cannot be done (one line)."""


@dataclass(frozen=True)
class Follow:
    id: int
    channel_id: int
    topic: str
    added_by: int | None
    added_at: str
    last_seq: int


@dataclass(frozen=True)
class Post:
    id: int
    follow_id: int
    story_key: str
    articles: tuple[str, ...]
    day: str | None
    message_id: int | None


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


def topic_key(topic: str) -> str:
    return " ".join(topic.lower().split())


class FollowStore:
    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the follow database {path} ({exc}): check the folder, or set SITREP_STATE_PATH") from None
        try:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as exc:
                raise self._translate(exc) from None
            with self._write():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if row is None:
                    self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise StateTooNew(f"the follow database {path} was written by a newer sitrep (schema {row[0]}, this one "
                                      f"knows {SCHEMA_VERSION}): upgrade sitrep, or point SITREP_STATE_PATH elsewhere")
        except StateError:
            self._db.close()
            raise
        self._db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, taken with BEGIN IMMEDIATE: one writer; the lock waits `timeout` s."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self._translate(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None
        try:
            yield self._db
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._db.execute("ROLLBACK")
            raise self._translate(exc) from None
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: sqlite3.DatabaseError) -> StateError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StateBusy(f"the follow database {self.path} is locked by another process: try again when it is done")
        if "not a database" in text or "malformed" in text or "no such table" in text:
            return StateCorrupt(f"the follow database {self.path} is damaged ({text}): move it away to start with no "
                                "follows (questions are not affected)")
        return StateError(f"the follow database {self.path} failed: {text}")

    # -- follows ---------------------------------------------------------------------------------
    def add(self, channel_id: int, topic: str, added_by: int | None = None) -> Follow:
        topic = " ".join(topic.split())
        if not any(ch.isalnum() for ch in topic):
            raise FollowError("the topic has no words: follow a few words, e.g. /follow India China border talks")
        if len(topic) > 200:
            raise FollowError("the topic is too long: at most 200 characters, a few words work best")
        with self._write() as db:
            newest = db.execute("SELECT COALESCE(MAX(seq), 0) FROM arrivals").fetchone()[0]
            try:
                cur = db.execute("INSERT INTO follows (channel_id, topic, key, added_by, added_at, last_seq) VALUES (?,?,?,?,?,?)",
                                 (channel_id, topic, topic_key(topic), added_by, _now(), newest))
            except sqlite3.IntegrityError:
                raise FollowError(f"this channel already follows {topic!r}") from None
            return Follow(int(cur.lastrowid or 0), channel_id, topic, added_by, _now(), newest)

    def remove(self, channel_id: int, topic: str) -> bool:
        with self._write() as db:
            return db.execute("DELETE FROM follows WHERE channel_id=? AND key=?", (channel_id, topic_key(topic))).rowcount > 0

    def follows(self, channel_id: int | None = None) -> list[Follow]:
        sql = "SELECT id, channel_id, topic, added_by, added_at, last_seq FROM follows"
        rows = self._read(sql + (" WHERE channel_id=? ORDER BY id" if channel_id is not None else " ORDER BY id"),
                          (channel_id,) if channel_id is not None else ())
        return [Follow(*r) for r in rows]

    # -- arrivals ----------------------------------------------------------------------------------
    def sync(self, articles: dict[str, str]) -> int:
        """Record the index's (article, hash) pairs not seen before; returns how many were new."""
        with self._write() as db:
            known = {(a, h) for a, h in db.execute("SELECT article_id, hash FROM arrivals")}
            fresh = [(a, h, _now()) for a, h in articles.items() if (a, h) not in known]
            db.executemany("INSERT INTO arrivals (article_id, hash, at) VALUES (?,?,?)", fresh)
            return len(fresh)

    def arrivals_after(self, seq: int) -> list[tuple[int, str, str]]:
        return [(int(s), a, h) for s, a, h in self._read("SELECT seq, article_id, hash FROM arrivals WHERE seq>? ORDER BY seq", (seq,))]

    def newest_seq(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM arrivals")[0][0])

    # -- posts -------------------------------------------------------------------------------------
    def posts(self, follow_id: int, since_day: str | None = None) -> list[Post]:
        rows = self._read("SELECT id, follow_id, story_key, articles, day, message_id FROM posts WHERE follow_id=?"
                          + (" AND (day IS NULL OR day>=?)" if since_day else "") + " ORDER BY id",
                          (follow_id, since_day) if since_day else (follow_id,))
        return [Post(i, f, k, tuple(json.loads(a)), d, m) for i, f, k, a, d, m in rows]

    def record(self, delivery: Delivery, seq: int, message_ids: dict[str, int | None] | None = None) -> None:
        """After posting: new stories stored with their message ids (keyed by story key), updated posts get
        the story's articles, and the follow's last_seq moves on. In one transaction."""
        ids = message_ids or {}
        with self._write() as db:
            for s in delivery.new:
                db.execute("INSERT INTO posts (follow_id, story_key, articles, day, message_id, posted_at) VALUES (?,?,?,?,?,?)",
                           (delivery.follow.id, s.key, json.dumps(list(s.article_ids)), s.day, ids.get(s.key), _now()))
            for post, s in delivery.updates:
                db.execute("UPDATE posts SET articles=? WHERE id=?", (json.dumps(list(s.article_ids)), post.id))
            db.execute("UPDATE follows SET last_seq=MAX(last_seq, ?) WHERE id=?", (seq, delivery.follow.id))

    def advance(self, follow_id: int, seq: int) -> None:
        with self._write() as db:
            db.execute("UPDATE follows SET last_seq=MAX(last_seq, ?) WHERE id=?", (seq, follow_id))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Follower:
    """Matches each follow's topic against the articles that arrived since its last check."""

    def __init__(self, store: FollowStore, digest_after: int = 5) -> None:
        self.store = store
        self.digest_after = digest_after

    def check(self, engine: Engine, follows: Sequence[Follow] | None = None) -> tuple[CheckReport, int]:
        """What each follow would post now; (report, newest arrival seq). Nothing is recorded: post, then
        call store.record() per delivery (or `sitrep follow check` without --dry-run records them)."""
        import time

        t0 = time.perf_counter()
        backend = engine.backend
        self.store.sync(dict(backend.manifest.articles))
        seq = self.store.newest_seq()
        follows = list(self.store.follows() if follows is None else follows)
        report = CheckReport(follows=len(follows))
        if not follows:
            return report, seq
        first = min(f.last_seq for f in follows)
        arrivals = self.store.arrivals_after(first)
        present = backend.manifest.articles
        briefer = engine.briefer
        topics = []
        usable = []
        for f in follows:
            try:
                topics.append(briefer.topics([f.topic])[0])
                usable.append(f)
            except BadQuestion:
                continue
        union = list(dict.fromkeys(a for s, a, h in arrivals if present.get(a) == h))
        report.articles_new = len(union)
        scored = briefer.score(topics, union)
        for f, topic, rows in zip(usable, topics, scored):
            mine = {a for s, a, h in arrivals if s > f.last_seq and present.get(a) == h}
            relevant = [r for r in briefer.relevant(rows) if r.article_id in mine]
            if not relevant:
                report.deliveries.append(Delivery(f, (), ()))
                continue
            report.deliveries.append(self._deliver(engine, f, topic, relevant))
        report.seconds = time.perf_counter() - t0
        return report, seq

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
        old_ids = [a for a in dict.fromkeys(posted) if a in engine.backend.manifest.articles]
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
