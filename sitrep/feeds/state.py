"""What feed pulls remember, in SQLite (standard library, WAL): which items were fetched, which item saved
each story, and how each feed fared. A lookup reads one row and a pull writes only what it changed, so the
state costs the same at a year's items as at a day's (a JSON file, as it was, was read whole by /status and
rewritten whole by every pull: 1.1 s and 2.8 s at 300,000 items; docs/corpus.md "What a pull remembers"):

    meta     key, value                   -- schema_version; imported: the JSON state file read in, if one was;
                                             forgot_on: the day `forget` last ran
    items    link, entry_hash, seen_on    -- fetched once, an item is fetched again only when its feed entry changes;
                                             seen_on: the last day (an ordinal) a pull found it listed
    stories  key, link, saved_on          -- a story's canonical URL or text hash -> the item link that saved it
    feeds    url, read_at, items, title, new_at, failing, error, failed_at, failing_since

What no feed has listed for SITREP_FEED_FORGET_DAYS (180) is forgotten at the end of the day's first pull (`forget`:
one scan a day, no index to keep), so the file stays the size of half a year of items, however long the bot runs: an item still listed is seen again each pull,
and one that comes back after that is fetched once more and saved to the same file (its name is its address's).

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sitrep.databases import described, made, transaction
from sitrep.feeds.errors import FeedStateError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
HEALTH = ("read_at", "items", "title", "new_at", "failing", "error", "failed_at", "failing_since")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (link TEXT PRIMARY KEY, entry_hash TEXT NOT NULL, seen_on INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stories (key TEXT PRIMARY KEY, link TEXT NOT NULL, saved_on INTEGER NOT NULL) WITHOUT ROWID;
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
            with transaction(self._db, self._translate):
                stored = made(self._db, _SCHEMA, SCHEMA_VERSION)
                if stored is not None and stored > SCHEMA_VERSION:
                    raise FeedStateError(f"the feed state {self.path} was written by a newer sitrep (schema {stored}, this "
                                         f"one knows {SCHEMA_VERSION}): upgrade sitrep, or point SITREP_FEEDS_STATE elsewhere")
                imported = self._db.execute("SELECT 1 FROM meta WHERE key='imported'").fetchone()
                if imported is None and legacy.is_file():
                    self._import(legacy)
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
        self._run("INSERT OR REPLACE INTO items VALUES (?, ?, ?)", (link, entry_hash, _today()))

    def seen(self, links: Sequence[str]) -> None:
        """These items were listed by a feed today (unchanged, so not fetched): not to be forgotten yet."""
        today = _today()
        self._many("UPDATE items SET seen_on=? WHERE link=? AND seen_on<?", [(today, link, today) for link in links])

    def forget(self, days: int) -> tuple[int, int]:
        """Items no feed has listed, and stories not saved, for `days` days: forgotten, once a day (a later call the
        same day does nothing). (items, stories) removed."""
        today = _today()
        done = self._run("SELECT value FROM meta WHERE key='forgot_on'")
        if done and int(done[0][0]) >= today:
            return 0, 0
        with transaction(self._db, self._translate) as db:
            items = db.execute("DELETE FROM items WHERE seen_on<?", (today - days,)).rowcount
            stories = db.execute("DELETE FROM stories WHERE saved_on<?", (today - days,)).rowcount
            db.execute("INSERT OR REPLACE INTO meta VALUES ('forgot_on', ?)", (str(today),))
        return items, stories

    def saved_by(self, keys: Sequence[str]) -> str | None:
        """The item link that saved the story first known by any of `keys` (its canonical URL, its text's hash)."""
        for key in keys:
            rows = self._run("SELECT link FROM stories WHERE key=?", (key,))
            if rows:
                return str(rows[0][0])
        return None

    def save(self, keys: Sequence[str], link: str) -> None:
        """The story known by `keys` was saved from `link`."""
        self._many("INSERT OR REPLACE INTO stories VALUES (?, ?, ?)", [(k, link, _today()) for k in keys])

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

    def drop_feed(self, url: str) -> None:
        """A feed no longer read: its record goes (added again, it starts as "not pulled yet"). Its items' records
        stay until forgotten (`forget`): another feed may list the same links."""
        self._run("DELETE FROM feeds WHERE url=?", (url,))

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
        today = _today()  # their days were not kept: counted from the day they were read in
        self._db.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?)", [(*i, today) for i in items])
        self._db.executemany("INSERT OR IGNORE INTO stories VALUES (?, ?, ?)", [(*st, today) for st in stories])
        self._db.executemany(f"INSERT OR IGNORE INTO feeds (url, {', '.join(HEALTH)}) VALUES (?{', ?' * len(HEALTH)})", feeds)
        self._db.execute("INSERT INTO meta VALUES ('imported', ?)", (str(legacy),))
        try:
            legacy.replace(legacy.with_name(legacy.name + ".imported"))
        except OSError as exc:  # read in all the same; the meta row keeps it from being read again
            log.warning("the old feed state %s was read in but could not be renamed (%s)", legacy, exc)
        log.info("feed state: %d items, %d stories and %d feeds read in from %s", len(items), len(stories), len(feeds), legacy)

    def _many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """One statement over many rows, in one transaction."""
        if rows:
            with transaction(self._db, self._translate) as db:
                db.executemany(sql, rows)

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: sqlite3.DatabaseError) -> FeedStateError:
        return FeedStateError(described(exc, f"the feed state {self.path}", "another pull", "every listed feed's pages are "
                                        "then fetched once more; the corpus is not affected")[1])


def _today() -> int:
    """Today's date as an ordinal (days since year 1): what seen_on and saved_on hold."""
    return datetime.now(UTC).date().toordinal()
