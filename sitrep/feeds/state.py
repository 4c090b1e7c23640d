"""What feed pulls remember, in SQLite (standard library, WAL): which items were fetched, which item saved
each story, and how each feed fared. A lookup reads one row and a pull writes only what it changed, so the
state costs the same at a year's items as at a day's (a JSON file, as it was, was read whole by /status and
rewritten whole by every pull: 1.3 s and 3.3 s at 300,000 items; docs/corpus.md "What a pull remembers"):

    meta     key, value         -- schema_version; imported: the JSON state file read in, if one was
    items    link, entry_hash   -- an item fetched once is fetched again only when its feed entry changes
    stories  key, link          -- a story's canonical URL or text hash -> the item link that saved it
    feeds    url, read_at, items, title, new_at, failing, error, failed_at, failing_since

Each write is its own transaction: a pull that is killed keeps every item it had finished, and two pulls at
once (the bot's scheduled refresh and `sitrep feeds pull`) each wait at most `timeout` seconds for the
other's write, never lose it. A JSON state file of an earlier sitrep (SITREP_FEEDS_STATE=…json, or
feeds-state.json beside the database) is read in once and renamed `.imported`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sitrep.databases import described, made
from sitrep.feeds.errors import FeedStateError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
HEALTH = ("read_at", "items", "title", "new_at", "failing", "error", "failed_at", "failing_since")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (link TEXT PRIMARY KEY, entry_hash TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stories (key TEXT PRIMARY KEY, link TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, read_at TEXT, items INTEGER, title TEXT, new_at TEXT, failing INTEGER, error TEXT,
    failed_at TEXT, failing_since TEXT)
"""


def locate(path: Path) -> tuple[Path, Path]:
    """(the database, the JSON state file an earlier sitrep kept) for a SITREP_FEEDS_STATE path: a path
    ending in .json names the old file, and the database goes beside it as .sqlite3."""
    if path.suffix == ".json":
        return path.with_suffix(".sqlite3"), path
    return path, path.with_suffix(".json")


class FeedState:
    """The pulls' memory in one SQLite file; `path` as SITREP_FEEDS_STATE gives it (see `locate`)."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path, legacy = locate(path)
        self.timeout = timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise FeedStateError(f"cannot open the feed state {self.path} ({exc}): check the folder, or set "
                                 "SITREP_FEEDS_STATE") from None
        try:
            self._run("PRAGMA journal_mode=WAL")
            self._run("PRAGMA synchronous=NORMAL")  # WAL: a commit is safe from a crash of the process, not of the machine
            self._run("BEGIN IMMEDIATE")
            try:
                stored = made(self._db, _SCHEMA, SCHEMA_VERSION)
                if stored is not None and stored > SCHEMA_VERSION:
                    raise FeedStateError(f"the feed state {self.path} was written by a newer sitrep (schema {stored}, this "
                                         f"one knows {SCHEMA_VERSION}): upgrade sitrep, or point SITREP_FEEDS_STATE elsewhere")
                imported = self._db.execute("SELECT 1 FROM meta WHERE key='imported'").fetchone()
                if imported is None and legacy.is_file():
                    self._import(legacy)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._translate(exc) from None
        except FeedStateError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FeedState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- items and stories -------------------------------------------------------------------------
    def entry_hash(self, link: str) -> str | None:
        """The hash of the feed entry an item was last fetched for, or None (never fetched)."""
        rows = self._run("SELECT entry_hash FROM items WHERE link=?", (link,))
        return str(rows[0][0]) if rows else None

    def fetched(self, link: str, entry_hash: str) -> None:
        self._run("INSERT OR REPLACE INTO items VALUES (?, ?)", (link, entry_hash))

    def saved_by(self, keys: Sequence[str]) -> str | None:
        """The item link that saved the story first known by any of `keys` (its canonical URL, its text's hash)."""
        for key in keys:
            rows = self._run("SELECT link FROM stories WHERE key=?", (key,))
            if rows:
                return str(rows[0][0])
        return None

    def save(self, keys: Sequence[str], link: str) -> None:
        """The story known by `keys` was saved from `link`."""
        self._run("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO stories VALUES (?, ?)", [(k, link) for k in keys])
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    # -- how each feed fared -----------------------------------------------------------------------
    def health(self, urls: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """Each feed's record (the HEALTH fields it has), for `urls` or every feed pulled."""
        if urls is None:
            rows = self._run(f"SELECT url, {', '.join(HEALTH)} FROM feeds")
        else:
            wanted = list(dict.fromkeys(urls))
            rows = []
            for i in range(0, len(wanted), 500):  # SQLite's bound on a statement's parameters
                chunk = wanted[i: i + 500]
                rows += self._run(f"SELECT url, {', '.join(HEALTH)} FROM feeds WHERE url IN ({','.join('?' * len(chunk))})",
                                  chunk)
        return {str(r[0]): {k: v for k, v in zip(HEALTH, r[1:]) if v is not None} for r in rows}

    def feed_failed(self, url: str, error: str, at: str) -> None:
        """A feed could not be read: one failure more in a row, since the first of them."""
        self._run("INSERT INTO feeds (url, failing, error, failed_at, failing_since) VALUES (?, 1, ?, ?, ?) "
                  "ON CONFLICT (url) DO UPDATE SET failing=coalesce(failing, 0) + 1, error=excluded.error, "
                  "failed_at=excluded.failed_at, failing_since=coalesce(failing_since, excluded.failing_since)",
                  (url, error, at, at))

    def feed_read(self, url: str, at: str, items: int, title: str | None, new: bool) -> None:
        """A feed was read: its failures are over; `new`: a story of it was saved."""
        self._run("INSERT INTO feeds (url, read_at, items, title, new_at) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT (url) DO UPDATE SET read_at=excluded.read_at, items=excluded.items, title=excluded.title, "
                  "new_at=coalesce(excluded.new_at, new_at), failing=NULL, error=NULL, failed_at=NULL, failing_since=NULL",
                  (url, at, items, title, at if new else None))

    # -- internals ---------------------------------------------------------------------------------
    def _import(self, legacy: Path) -> None:
        """The JSON state file of an earlier sitrep, read in (inside the opening transaction) and renamed."""
        try:
            state = json.loads(legacy.read_text("utf-8"))
            if not isinstance(state, dict):
                raise ValueError("not a JSON object")
            items = [(str(k), str(v)) for k, v in (state.get("items") or {}).items()]
            stories = [(str(k), str(v)) for k, v in (state.get("stories") or {}).items()]
            feeds = [(str(u), *[h.get(k) for k in HEALTH]) for u, h in (state.get("feeds") or {}).items() if isinstance(h, dict)]
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            log.warning("the old feed state %s could not be read (%s): its pages will be fetched again once", legacy, exc)
            self._db.execute("INSERT INTO meta VALUES ('imported', ?)", (f"unreadable: {legacy}",))
            return
        self._db.executemany("INSERT OR IGNORE INTO items VALUES (?, ?)", items)
        self._db.executemany("INSERT OR IGNORE INTO stories VALUES (?, ?)", stories)
        self._db.executemany(f"INSERT OR IGNORE INTO feeds (url, {', '.join(HEALTH)}) VALUES (?{', ?' * len(HEALTH)})", feeds)
        self._db.execute("INSERT INTO meta VALUES ('imported', ?)", (str(legacy),))
        try:
            legacy.replace(legacy.with_name(legacy.name + ".imported"))
        except OSError as exc:  # read in all the same; the meta row keeps it from being read again
            log.warning("the old feed state %s was read in but could not be renamed (%s)", legacy, exc)
        log.info("feed state: %d items, %d stories and %d feeds read in from %s", len(items), len(stories), len(feeds), legacy)

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: sqlite3.DatabaseError) -> FeedStateError:
        return FeedStateError(described(exc, f"the feed state {self.path}", "another pull", "every listed feed's pages are "
                                        "then fetched once more; the corpus is not affected")[1])
