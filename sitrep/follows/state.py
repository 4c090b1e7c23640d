"""The follow database: topics channels follow, the articles the index has held, what was posted where,
and the questions waiting for a story that answers them.

SQLite (standard library), WAL, one writer at a time: a write waits `timeout` seconds for another
process's lock, then fails with one line. A restart posts nothing twice and forgets nothing:

    meta      key, value                    -- schema_version
    follows   id, channel_id, topic, key, added_by, added_at, last_seq
    arrivals  seq, article_id, hash, at     -- every (article, content) the index has held, in order seen
    posts     id, follow_id, story_key, articles (JSON), day, message_id, posted_at
    waits     id, channel_id, message_id, user, question, searched, source, asked_at, until, last_seq

Errors (one line each, saying what to do):

    StateError          the database cannot be used
    ├── StateBusy       another process holds its write lock past the timeout
    ├── StateCorrupt    the file is damaged or not a sitrep database
    └── StateTooNew     written by a newer sitrep
    FollowError         a follow request that cannot be done (no words, already followed, too many waits)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sitrep.databases import described, made, transaction
from sitrep.follows.errors import FollowError, StateBusy, StateCorrupt, StateError, StateTooNew

if TYPE_CHECKING:
    from sitrep.follows.follower import Delivery

REPLY_DAYS = 30  # a question answered in place is remembered this long (note_reply)
SCHEMA_VERSION = 3  # 2: a follow may name one outlet or site (follows.source); 3: waits

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, topic TEXT NOT NULL, key TEXT NOT NULL,
    added_by INTEGER, added_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0, source TEXT,
    UNIQUE (channel_id, key));
CREATE TABLE IF NOT EXISTS arrivals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL,
    baseline INTEGER NOT NULL DEFAULT 0, UNIQUE (article_id, hash));
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY, follow_id INTEGER NOT NULL REFERENCES follows(id) ON DELETE CASCADE,
    story_key TEXT NOT NULL, articles TEXT NOT NULL, day TEXT, message_id INTEGER, posted_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS posts_follow ON posts (follow_id, day);
CREATE TABLE IF NOT EXISTS waits (
    id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, message_id INTEGER NOT NULL, user TEXT NOT NULL,
    question TEXT NOT NULL, searched TEXT NOT NULL, source TEXT, asked_at TEXT NOT NULL, until TEXT NOT NULL,
    last_seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS waits_message ON waits (message_id, user);
CREATE TABLE IF NOT EXISTS replies (
    question_id INTEGER PRIMARY KEY, channel_id INTEGER NOT NULL, at TEXT NOT NULL);
"""  # replies: added beside schema 3 without a new version (a table an older sitrep simply does not read)


class Arrival(NamedTuple):
    """An article version the index gained: in the order seen (seq), by id and content hash."""
    seq: int
    article_id: str
    hash: str


@dataclass(frozen=True)
class Follow:
    id: int
    channel_id: int
    topic: str
    added_by: int | None
    added_at: str
    last_seq: int
    source: str | None = None  # only stories from this outlet or site (a substring, as `ask --source`)

    @property
    def label(self) -> str:
        """How it is named to people: the topic, and the outlet when it has one."""
        if not self.topic:
            return f"everything from {self.source}"
        return f"{self.topic} (from {self.source})" if self.source else self.topic


@dataclass(frozen=True)
class Post:
    id: int
    follow_id: int
    story_key: str
    articles: tuple[str, ...]
    day: str | None
    message_id: int | None


def topic_key(topic: str, source: str | None = None) -> str:
    """What makes a follow one of a kind in its channel: the topic's words, and its outlet if any."""
    key = " ".join(topic.lower().split())
    return f"{key} @{' '.join(source.lower().split())}".strip() if source else key


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
                stored = made(self._db, _SCHEMA, SCHEMA_VERSION)
                if stored is not None and stored > SCHEMA_VERSION:
                    raise StateTooNew(f"the follow database {path} was written by a newer sitrep (schema {stored}, this one "
                                      f"knows {SCHEMA_VERSION}): upgrade sitrep, or point SITREP_STATE_PATH elsewhere")
                elif stored is not None and stored < SCHEMA_VERSION:  # 1 -> 2: follows gain an outlet (none for those there); 3: waits
                    columns = {r[1] for r in self._db.execute("PRAGMA table_info(follows)")}
                    if "source" not in columns:
                        self._db.execute("ALTER TABLE follows ADD COLUMN source TEXT")
                    self._db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        except StateError:
            self._db.close()
            raise
        self._db.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self._db.close()

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One transaction, taken with BEGIN IMMEDIATE: one writer; the lock waits `timeout` s."""
        return transaction(self._db, self._translate)

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: sqlite3.DatabaseError) -> StateError:
        kind, line = described(exc, f"the follow database {self.path}", "another process",
                               "to start with no follows; questions are not affected")
        return {"busy": StateBusy, "damaged": StateCorrupt}.get(kind, StateError)(line)

    # -- questions answered in place -----------------------------------------------------------------
    def note_reply(self, question_id: int, channel_id: int, keep_days: int = REPLY_DAYS) -> None:
        """The bot replied to this message where it was asked, in an ordinary channel: so that after a restart,
        when the client no longer holds the message, deleting it still finds its answer (chat/cogs/deleted.py)
        without asking Discord about every deletion. Kept `keep_days`."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="seconds")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?, ?)", (question_id, channel_id, _now()))
            db.execute("DELETE FROM replies WHERE at < ?", (cutoff,))

    def replied_in(self, question_id: int) -> int | None:
        """The channel the bot replied to this message in (note_reply), or None."""
        rows = self._read("SELECT channel_id FROM replies WHERE question_id=?", (question_id,))
        return int(rows[0][0]) if rows else None

    # -- follows ---------------------------------------------------------------------------------
    def add(self, channel_id: int, topic: str, added_by: int | None = None, source: str | None = None) -> Follow:
        topic = " ".join(topic.split())
        source = " ".join((source or "").split()) or None
        if not topic and source is None:
            raise FollowError("name a topic, an outlet, or both: e.g. /follow India China border talks, or /follow source: Dawn")
        if topic and not any(ch.isalnum() for ch in topic):
            raise FollowError("the topic has no words: follow a few words, e.g. /follow India China border talks")
        if len(topic) > 200:
            raise FollowError("the topic is too long: at most 200 characters, a few words work best")
        if source is not None and (len(source) > 100 or not any(ch.isalnum() for ch in source)):
            raise FollowError("the source should be an outlet's name or site, e.g. ThePrint or cnn.com (at most 100 characters)")
        with self._write() as db:
            newest = db.execute("SELECT COALESCE(MAX(seq), 0) FROM arrivals").fetchone()[0]
            follow = Follow(0, channel_id, topic, added_by, _now(), newest, source)
            try:
                cur = db.execute("INSERT INTO follows (channel_id, topic, key, added_by, added_at, last_seq, source) "
                                 "VALUES (?,?,?,?,?,?,?)", (channel_id, topic, topic_key(topic, source), added_by,
                                                            follow.added_at, newest, source))
            except sqlite3.IntegrityError:
                raise FollowError(f"this channel already follows {follow.label!r}") from None
            return replace(follow, id=int(cur.lastrowid or 0))

    def remove(self, channel_id: int, topic: str, source: str | None = None) -> bool:
        """Stop the channel's follow of this topic (from this outlet, when the follow names one)."""
        with self._write() as db:
            return db.execute("DELETE FROM follows WHERE channel_id=? AND key=?",
                              (channel_id, topic_key(topic, source))).rowcount > 0

    def follows(self, channel_id: int | None = None) -> list[Follow]:
        sql = "SELECT id, channel_id, topic, added_by, added_at, last_seq, source FROM follows"
        rows = self._read(sql + (" WHERE channel_id=? ORDER BY id" if channel_id is not None else " ORDER BY id"),
                          (channel_id,) if channel_id is not None else ())
        return [Follow(*r) for r in rows]

    # -- arrivals ----------------------------------------------------------------------------------
    def sync(self, articles: dict[str, str]) -> int:
        """Record the index's (article, hash) pairs not seen before; returns how many were new."""
        with self._write() as db:
            known = {(a, h) for a, h in db.execute("SELECT article_id, hash FROM arrivals")}
            first = 0 if known else 1  # the first sync records the index as it was: not news to anyone
            fresh = [(a, h, _now(), first) for a, h in articles.items() if (a, h) not in known]
            db.executemany("INSERT INTO arrivals (article_id, hash, at, baseline) VALUES (?,?,?,?)", fresh)
            return len(fresh)

    def arrivals_after(self, seq: int) -> list[Arrival]:
        return [Arrival(int(s), a, h) for s, a, h in self._read("SELECT seq, article_id, hash FROM arrivals WHERE seq>? ORDER BY seq", (seq,))]

    def arrived_since(self, at: str) -> list[str]:
        """Article ids that arrived (new or changed) at or after this ISO time, oldest first; not those the
        first sync found already indexed."""
        rows = self._read("SELECT article_id FROM arrivals WHERE at>=? AND baseline=0 ORDER BY seq", (at,))
        return list(dict.fromkeys(a for (a,) in rows))

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


