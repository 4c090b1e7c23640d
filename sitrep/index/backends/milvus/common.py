"""The Milvus backend: the same index in Milvus — milvus-lite (a local file), standalone or a cluster.

Only the URI changes: a path such as var/milvus.db runs milvus-lite in this process; an
http(s)://host:19530 address talks to a server or cluster. Four collections share a prefix:

    <c>_passages  pk (int64 hash of "<article id>#<ordinal>"), article_id, ordinal, text (verbatim),
                  key (SHA-1 of the embedded text: reuse), terms (the analysed index text: BM25
                  Function -> sparse), vector (HNSW, inner product), day (published day ordinal,
                  -1 unknown), source (outlet + location, lower case: substring filter), outlet,
                  start/end (span in the article)
    <c>_articles  article_id, title, source, date, url, location, hash, passages
    <c>_terms     term, df: passages holding each analysed term (idf for the answer's term weights)
    <c>_meta      the manifest (one JSON record) and the writers' lock

The BM25 field gets sitrep's own analysed terms (lower-cased, stopwords dropped, Snowball-stemmed,
exactly what bm25s indexes locally) joined by spaces, and Milvus's `standard` analyzer splits them
again: server-side BM25 then scores the same tokens as the local backend (milvus-lite refuses the
`english` stemming analyzer).

Crash safety: an article is written passages first and its hash record last, so an article
whose record is missing or stale is simply redone by the next `update`; removals delete the
passages before the record. The meta record says "writing" while an update runs; an update that
finds it so (a crash) recounts the term statistics from the passages before going on.
"""


from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from sitrep.index.backends import redact
from sitrep.index.backends.base import (
    UNDATED,
    Filter,
)
from sitrep.index.errors import IndexNotBuilt, IndexNotWritable, IndexUnavailable
from sitrep.index.manifest import Manifest

os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # gRPC core logs keepalive chatter with milvus-lite; errors still raise
for _name in ("pymilvus", "pymilvus.client.iterator.query_iterator"):  # warns on every milvus-lite query iterator
    logging.getLogger(_name).setLevel(logging.ERROR)

_DUMMY = "_v"  # Milvus wants a vector field in every collection; the side collections carry a 2-d one
_BATCH = 512  # rows a call
_IN_CHUNK = 256  # ids in one `in [...]` expression
_CACHE_ROWS = 50_000  # passages (with vectors) kept from recent look-ups
_STALE_LOCK_S = 6 * 3600
_SEARCH_THREADS = 6  # a question's calls at once: BM25, vectors, term statistics; then ledes and records (in chunks)


@dataclass
class _Row:
    """A passage as the read side keeps it: what searches and look-ups returned so far."""

    article_id: str
    ordinal: int
    day: int
    start: int
    end: int
    vector: np.ndarray | None = None
    text: str | None = None


def _hash63(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") & ((1 << 63) - 1)


def passage_pk(article_id: str, ordinal: int) -> int:
    return _hash63(f"{article_id}#{ordinal}")


def _day(iso: str | None) -> int:
    return date.fromisoformat(iso).toordinal() if iso else UNDATED


def _quote(value: str) -> str:
    """A string literal for a Milvus expression."""
    return json.dumps(value, ensure_ascii=False)


def _like(needle: str) -> str:
    # LIKE wildcards in a user's outlet name would widen the match; they never occur in one
    cleaned = needle.lower().strip().replace("%", "").replace("\\", "")
    return _quote(f"%{cleaned}%")


def filter_expr(flt: Filter | None) -> str:
    """A Filter as a Milvus boolean expression ("" lets everything through)."""
    if flt is None:
        return ""
    parts = []
    if flt.day_to is not None:
        parts.append(f"(day == {UNDATED} or day <= {int(flt.day_to)})")
    if flt.day_from is not None:
        parts.append(f"(day == {UNDATED} or day >= {int(flt.day_from)})")
    if flt.source:
        parts.append(f"source like {_like(flt.source)}")
    if flt.outlet is not None:
        parts.append(f"outlet == {_quote(flt.outlet)}")
    if flt.article_ids is not None:
        parts.append(f"article_id in {json.dumps(list(flt.article_ids), ensure_ascii=False)}")
    return " and ".join(parts)


def _index_params(params: dict[str, Any]) -> dict[str, Any]:
    """Index parameters in both wire forms: pymilvus 3 sends each as its own key, which milvus-lite
    ignores (it read k1 1.5 / b 0.75, M and efConstruction defaults: the dev set's BM25 ranking then
    differed from bm25s's); milvus-lite reads them from one JSON "params" key, as older clients sent."""
    return {"params": json.dumps(params), **params}


def _chunks(items: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


_FULL = ("No space left on device", "File too large", "Disk quota exceeded")
_LOST = ("Fail connecting", "server unavailable", "UNAVAILABLE", "Connection refused", "Socket closed",
         "failed to connect", "Broken pipe", "connection reset", "DEADLINE_EXCEEDED")


def _connection_lost(exc: Exception) -> bool:
    """The server went away (stopped, restarted, unreachable), not a bad request."""
    text = f"{type(exc).__name__} {exc}"
    return any(s.lower() in text.lower() for s in _LOST)


class _Client:
    """The MilvusClient, re-made once when a call finds the server gone (it was restarted, say), the call
    then made again; if the server is still away, IndexUnavailable (one line for the user) — the next
    call tries again, so a running bot answers as soon as the server is back."""

    def __init__(self, make: Any, where: str) -> None:
        self._make, self._where = make, where
        self._client: Any = make()
        self.reload: Any = None  # set by the connection: loads its collections into a restarted server
        self._lock = threading.Lock()
        self._remaking = threading.Lock()
        self._busy, self._ended = 0, time.monotonic()  # calls under way; when the last one ended

    def quiet_for(self) -> float:
        """Seconds since the last call ended; 0 while one is under way (background reads wait for quiet)."""
        with self._lock:
            return 0.0 if self._busy else time.monotonic() - self._ended

    def __getattr__(self, name: str) -> Any:
        if self._client is not None and not callable(getattr(self._client, name)):
            return getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self._busy += 1
            try:
                return self._call(name, args, kwargs)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._ended = time.monotonic()

        return call

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        used = self._client
        try:
            if used is None:  # closed when the server went away, and not made again since: the old
                # client would only say "should create connection first", so make one now
                raise ConnectionError("server unavailable")
            return getattr(used, name)(*args, **kwargs)
        except Exception as exc:
            full = next((s for s in _FULL if s.lower() in str(exc).lower()), None)
            if full:  # the server's disk: one line; what was committed before stays (article by article)
                raise IndexNotWritable(f"cannot write the index at {self._where} ({full}): free space on the "
                                       "Milvus server's disk, then run the update again") from None
            released = "call load()" in str(exc) or "not loaded" in str(exc)  # a restarted server forgot them
            if not (_connection_lost(exc) or released):
                raise
        try:
            if not released:
                with self._remaking:  # one thread makes the new client; one that failed on the same old
                    if self._client is used:  # client meanwhile uses the one made
                        if used is not None:
                            with contextlib.suppress(Exception):
                                used.close()
                            self._client = None  # if the server is still away, the next call makes it again
                        self._client = self._make()
            if self.reload is not None:
                self.reload(self._client)
            return getattr(self._client, name)(*args, **kwargs)
        except Exception as exc:
            if isinstance(exc, IndexUnavailable) or _connection_lost(exc):
                raise IndexUnavailable(f"lost the Milvus server at {self._where} ({type(exc).__name__}): start it "
                                       "again (or check SITREP_MILVUS_URI); questions resume when it is back") from None
            raise


class _Conn:
    """One client and the names of the four collections."""

    def __init__(self, uri: str, collection: str, token: str | None) -> None:
        from pymilvus import MilvusClient

        # pymilvus logs each failed call and retry with its traceback (set up when it is imported, so
        # quietened here); the errors that matter come back to the user as one line (_Client).
        for name in ("pymilvus", "milvus_lite"):  # milvus-lite's in-process server logs its failures the same way
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self.uri, self.prefix = uri, collection
        self.where = f"{redact(uri)} (collection {collection})"
        local_file = "://" not in uri
        if local_file:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client: Any = _Client(lambda: MilvusClient(uri=uri, token=token or "", timeout=10 if not local_file else None),
                                       self.where)
            self.client.list_collections()
        except Exception as exc:
            raise IndexUnavailable(
                f"cannot reach Milvus at {redact(uri)} ({type(exc).__name__}): start the server or fix SITREP_MILVUS_URI "
                "(a file path such as var/milvus.db runs milvus-lite in this process)"
            ) from None
        self.passages = f"{collection}_passages"
        self.articles = f"{collection}_articles"
        self.terms = f"{collection}_terms"
        self.meta = f"{collection}_meta"
        self.client.reload = self._load_all

    def _load_all(self, client: Any) -> None:
        """Load the collections into a server that was restarted (it starts with them released)."""
        for name in (self.passages, self.articles, self.terms, self.meta):
            if client.has_collection(name):
                client.load_collection(name)

    def exists(self) -> bool:
        return all(self.client.has_collection(c) for c in (self.passages, self.articles, self.terms, self.meta))

    def article_fields(self) -> frozenset[str]:
        """The article collection's fields: one made before seen dates were kept has no "seen" (it works
        without them; a rebuild adds them)."""
        if self._article_fields is None:
            self._article_fields = frozenset(f["name"] for f in self.client.describe_collection(self.articles)["fields"])
        return self._article_fields

    _article_fields: frozenset[str] | None = None

    def read_meta(self, name: str) -> dict[str, Any] | None:
        rows = self.client.query(self.meta, filter=f"name == {_quote(name)}", output_fields=["json"])
        return json.loads(rows[0]["json"]) if rows else None

    def write_meta(self, name: str, value: dict[str, Any]) -> None:
        self.client.upsert(self.meta, [{"name": name, "json": json.dumps(value, ensure_ascii=False), _DUMMY: [0.0, 1.0]}])
        self.client.flush(self.meta)

    def manifest(self) -> Manifest | None:
        raw = self.read_meta("manifest")
        return Manifest.from_json(raw, self.where) if raw is not None else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def read_manifest(uri: str, collection: str, token: str | None) -> Manifest:
    conn = _Conn(uri, collection, token)
    try:
        if not conn.exists():
            raise IndexNotBuilt(f"no sitrep index in Milvus at {conn.where}: run `sitrep index update --backend milvus`")
        conn.client.load_collection(conn.meta)
        manifest = conn.manifest()
        if manifest is None:
            raise IndexNotBuilt(f"the sitrep index in Milvus at {conn.where} was never completed: "
                                "run `sitrep index update --backend milvus`")
        return manifest
    finally:
        conn.close()


_WRITING: set[str] = set()  # the indexes this process is writing now (their `where`)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
