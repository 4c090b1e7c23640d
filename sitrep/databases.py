"""What sitrep's SQLite stores share (the follow database, follows/state.py; what feed pulls remember,
feeds/state.py): their schema made and its version read, a write transaction with one writer at a time, and how a
failure of SQLite reads to a person. Each store words its own one-line message and raises its own error."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def failure_kind(exc: sqlite3.DatabaseError) -> str:
    """"busy": another process held the write lock past the timeout (try again); "damaged": the file is not a
    database, or not this store's (move it away); "": anything else."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return "busy"
    if "not a database" in text or "malformed" in text or "no such table" in text:
        return "damaged"
    return ""


def described(exc: sqlite3.DatabaseError, what: str, holder: str, damaged: str) -> tuple[str, str]:
    """(failure_kind, one line for a person): `what` the store is called ("the follow database x.sqlite3"),
    `holder` who may hold its lock ("another process"), `damaged` what moving it away costs."""
    kind = failure_kind(exc)
    if kind == "busy":
        return kind, f"{what} is locked by {holder}: try again when it is done"
    if kind == "damaged":
        return kind, f"{what} is damaged ({exc}): move it away ({damaged})"
    return kind, f"{what} failed: {exc}"


def made(db: sqlite3.Connection, schema: str, version: int) -> int | None:
    """The schema's tables made where missing (its statements say IF NOT EXISTS), inside the caller's transaction;
    returns the schema version the file was written with, or None for a new file (now marked `version`). The
    caller refuses a newer one and brings an older one up to date."""
    for statement in schema.split(";"):
        if statement.strip():
            db.execute(statement)
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
        return None
    return int(row[0])


@contextmanager
def transaction(db: sqlite3.Connection, translate: Callable[[sqlite3.DatabaseError], Exception]) -> Iterator[sqlite3.Connection]:
    """One transaction, taken with BEGIN IMMEDIATE: one writer at a time, the lock waited for as long as the
    connection's timeout. A failure of SQLite is raised as the store's own error (`translate`); anything raised
    inside rolls it back."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.DatabaseError as exc:
        raise translate(exc) from None
    try:
        yield db
        db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        db.execute("ROLLBACK")
        raise translate(exc) from None
    except BaseException:
        db.execute("ROLLBACK")
        raise
