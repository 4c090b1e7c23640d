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
import socket
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from sitrep.corpus.articles import Article
from sitrep.index import lexicon
from sitrep.index.backends import redact
from sitrep.index.backends.base import (
    UNDATED,
    ArticleMeta,
    Filter,
    PassageRows,
    Ranked,
    Searched,
    SearchRequest,
    Stats,
    text_key,
)
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.chunking import Passage, index_text
from sitrep.index.errors import IndexBusy, IndexCorrupt, IndexNotBuilt, IndexNotWritable, IndexUnavailable
from sitrep.index.manifest import DenseInfo, Manifest

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
        self._client = make()
        self.reload: Any = None  # set by the connection: loads its collections into a restarted server

    def __getattr__(self, name: str) -> Any:
        if not callable(getattr(self._client, name)):
            return getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return getattr(self._client, name)(*args, **kwargs)
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
                    with contextlib.suppress(Exception):
                        self._client.close()
                    self._client = self._make()
                if self.reload is not None:
                    self.reload(self._client)
                return getattr(self._client, name)(*args, **kwargs)
            except Exception as exc:
                if isinstance(exc, IndexUnavailable) or _connection_lost(exc):
                    raise IndexUnavailable(f"lost the Milvus server at {self._where} ({type(exc).__name__}): start it "
                                           "again (or check SITREP_MILVUS_URI); questions resume when it is back") from None
                raise

        return call


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


class MilvusBackend:
    """Read side. One question costs two sequential round trips: its searches, issued at once (BM25 and
    vectors, their hits returned with everything fusion, de-duplication and the answer read — vectors
    and text — and the statistics of terms not seen before), then, at once again, the candidate
    articles' lede vectors (for the lede list) and records (for the citations, kept: neither the answer
    nor the front end asks for them again)."""

    name = "milvus"

    def __init__(self, uri: str, collection: str, token: str | None = None) -> None:
        self._conn = _Conn(uri, collection, token)
        c = self._conn
        try:
            if not c.exists():
                raise IndexNotBuilt(f"no sitrep index in Milvus at {c.where}: run `sitrep index update --backend milvus`")
            for name in (c.passages, c.articles, c.terms, c.meta):
                c.client.load_collection(name)
            manifest = c.manifest()
            c.article_fields()  # read once now, not in the middle of the first question
        except IndexNotBuilt:
            c.close()
            raise
        except Exception as exc:
            c.close()
            raise IndexUnavailable(f"cannot read the sitrep index in Milvus at {c.where} ({exc}): "
                                   "check the server, or rebuild with `sitrep index build --backend milvus`") from None
        if manifest is None:
            c.close()
            raise IndexNotBuilt(f"the sitrep index in Milvus at {c.where} was never completed: "
                                "run `sitrep index update --backend milvus`")
        self.manifest = manifest
        self._rows: OrderedDict[int, _Row] = OrderedDict()
        self._meta: OrderedDict[str, ArticleMeta] = OrderedDict()
        self._pool: Any = None

    # -- search ----------------------------------------------------------------------------
    @staticmethod
    def _fields() -> list[str]:
        return ["article_id", "ordinal", "day", "start", "end", "vector"]

    def _one(self, item: Any, field: str, k: int, flt: Filter | None, params: dict[str, Any],
             extra: str = "", output: list[str] | None = None) -> list[Any]:
        expr = " and ".join(x for x in (filter_expr(flt), extra) if x)
        return self._conn.client.search(self._conn.passages, data=[item], anns_field=field, limit=k, filter=expr,
                                        output_fields=output if output is not None else self._fields(),
                                        search_params=params)[0]

    def _ranked(self, res: list[Any], field: str) -> Ranked:
        ids = np.array([h["pk"] for h in res], dtype=np.int64)
        # BM25 comes back as negative distances from milvus-lite, positive scores from a server
        scores = np.array([abs(h["distance"]) if field == "sparse" else h["distance"] for h in res], dtype=np.float32)
        for h in res:
            self._keep(int(h["pk"]), h["entity"])
        keep = scores > 0 if field == "sparse" else np.ones(len(ids), dtype=bool)
        return Ranked(ids[keep], scores[keep])

    def _search(self, data: list[Any], field: str, k: int, filters: Sequence[Filter | None],
                params: dict[str, Any]) -> list[Ranked]:
        k = min(k, self.manifest.passage_count)
        if k <= 0 or not data:
            return [_EMPTY for _ in data]
        return [self._ranked(self._one(item, field, k, flt, params), field) for item, flt in zip(data, filters)]

    def lexical(self, queries: Sequence[Sequence[str]], k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        texts = [" ".join(q) for q in queries]
        ranked = self._search([t for t in texts if t], "sparse", k, [f for t, f in zip(texts, filters) if t],
                              {"metric_type": "BM25"})
        it = iter(ranked)
        return [next(it) if t else _EMPTY for t in texts]

    def dense(self, vectors: np.ndarray, k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        return self._search([np.asarray(v, dtype=np.float32).tolist() for v in vectors], "vector", k, filters,
                            self._dense_params(k))

    def _dense_params(self, k: int) -> dict[str, Any]:
        return {"metric_type": "IP", "params": {"ef": max(k, self.manifest.dense.ef_search)}}

    def _pooled(self) -> Any:
        from concurrent.futures import ThreadPoolExecutor

        if self._pool is None:
            self._pool = ThreadPoolExecutor(_SEARCH_THREADS, thread_name_prefix="sitrep-milvus")
        return self._pool

    def search(self, request: SearchRequest) -> Searched:
        """The question's calls at once, from a small thread pool: one round trip's wait, not three. The
        hits come with their vectors and text (what fusion, de-duplication and the answer read)."""
        pool = self._pooled()
        k = min(request.k, self.manifest.passage_count)
        text = " ".join(request.terms)
        fields = [*self._fields(), "text"]
        jobs: dict[str, Any] = {}
        if text and k > 0:
            jobs["lexical"] = pool.submit(self._one, text, "sparse", k, request.flt, {"metric_type": "BM25"}, "", fields)
        if request.vector is not None and k > 0:
            vector = np.asarray(request.vector, dtype=np.float32).tolist()
            jobs["dense"] = pool.submit(self._one, vector, "vector", k, request.flt, self._dense_params(k), "", fields)
        if request.df_terms:
            jobs["df"] = pool.submit(self.term_stats, request.df_terms)
        done = {name: job.result() for name, job in jobs.items()}  # the first failure raises, as a call would
        return Searched(self._ranked(done["lexical"], "sparse") if "lexical" in done else _EMPTY,
                        self._ranked(done["dense"], "vector") if "dense" in done else _EMPTY,
                        done.get("df", {}))

    def lede_similarity(self, article_ids: Sequence[str], vector: np.ndarray) -> np.ndarray:
        """The ledes' vectors (those not already kept) and the articles' records, read at once. Exact:
        a dense search filtered to these ledes would keep the vectors in Milvus, but on milvus-lite its
        HNSW found 19 of 76 such ledes in a test, where the lede list must rank them all."""
        ids = self.lede_ids(article_ids)
        self._run(self._fetch_calls(ids.tolist(), False) + self._article_calls(article_ids))
        return self.vectors(ids) @ vector if len(ids) else np.zeros(0, np.float32)

    # -- look-ups --------------------------------------------------------------------------
    def _keep(self, pk: int, e: dict[str, Any]) -> None:
        """Remember a passage row."""
        row = self._rows.get(pk)
        if row is None:
            row = self._rows[pk] = _Row(e["article_id"], int(e["ordinal"]), int(e["day"]), int(e["start"]), int(e["end"]))
        else:
            self._rows.move_to_end(pk)
        if e.get("vector") is not None:
            row.vector = np.asarray(e["vector"], dtype=np.float32)
        if e.get("text") is not None:
            row.text = e["text"]
        if len(self._rows) > _CACHE_ROWS:
            self._rows.popitem(last=False)

    def _concurrently(self, calls: list[Any]) -> list[Any]:
        """Run these calls at once (one round trip's wait); a single one in this thread."""
        if len(calls) <= 1:
            return [c() for c in calls]
        return [f.result() for f in [self._pooled().submit(c) for c in calls]]

    def _fetch_calls(self, ids: Sequence[int], text: bool) -> list[Any]:
        """The queries that bring these passages (with vectors, and text if asked) into the look-up cache."""
        need = [i for i in dict.fromkeys(ids) if (r := self._rows.get(i)) is None or r.vector is None or (text and r.text is None)]
        fields = ["pk", *self._fields()] + (["text"] if text else [])
        client, name = self._conn.client, self._conn.passages
        return [lambda part=part: ("rows", client.query(name, filter=f"pk in {list(part)}", output_fields=fields))
                for part in _chunks(need, _IN_CHUNK)]

    def _article_calls(self, article_ids: Sequence[str]) -> list[Any]:
        fields = [f for f in ("article_id", "title", "source", "date", "url", "location", "hash", "seen", "passages")
                  if f in self._conn.article_fields()]
        client, name = self._conn.client, self._conn.articles
        missing = [a for a in dict.fromkeys(article_ids) if a not in self._meta]
        return [lambda part=part: ("articles", client.query(name, filter=f"article_id in {json.dumps(list(part), ensure_ascii=False)}",
                                                            output_fields=fields))
                for part in _chunks(missing, _IN_CHUNK)]

    def _run(self, calls: list[Any]) -> None:
        """The calls at once, then what they returned kept (in this thread: the caches are not shared)."""
        for kind, rows in self._concurrently(calls):
            for r in rows:
                if kind == "rows":
                    self._keep(int(r["pk"]), r)
                else:
                    self._meta[r["article_id"]] = ArticleMeta(r["article_id"], r["title"] or None, r["source"] or None,
                                                              r["date"] or None, r["url"] or None, r["location"], r["hash"],
                                                              r.get("seen") or None, int(r.get("passages") or 0))
                    if len(self._meta) > _CACHE_ROWS:
                        self._meta.popitem(last=False)

    def _fetch(self, ids: Sequence[int], text: bool) -> None:
        self._run(self._fetch_calls(ids, text))

    def passages(self, ids: np.ndarray, text: bool = False) -> PassageRows:
        ids = np.asarray(ids, dtype=np.int64)
        plain = ids.tolist()
        self._fetch(plain, text)
        missing = [i for i in plain if i not in self._rows]
        if missing:
            raise IndexCorrupt(f"passages {missing[:3]} vanished from Milvus at {self._conn.where}: "
                               "an update may be running; ask again, or run `sitrep index update --backend milvus`")
        rows = [self._rows[i] for i in plain]
        return PassageRows(
            ids=ids, article_id=[r.article_id for r in rows],
            article_key=np.array([_hash63(r.article_id) for r in rows], dtype=np.int64),
            ordinal=np.array([r.ordinal for r in rows], dtype=np.int32), day=np.array([r.day for r in rows], dtype=np.int64),
            start=np.array([r.start for r in rows], dtype=np.int32), end=np.array([r.end for r in rows], dtype=np.int32),
            text=[r.text or "" for r in rows] if text else None,
        )

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        plain = np.asarray(ids, dtype=np.int64).tolist()
        self._fetch(plain, False)
        dim = self.manifest.model.dim
        return np.stack([self._rows[i].vector for i in plain]) if plain else np.zeros((0, dim), np.float32)

    def lede_ids(self, article_ids: Sequence[str]) -> np.ndarray:
        return np.array([passage_pk(a, 0) for a in article_ids], dtype=np.int64)

    def articles(self, article_ids: Sequence[str]) -> dict[str, ArticleMeta]:
        """Article records, kept once read (this engine's index does not change under it: an update opens
        a new one), so a front end showing an answer's sources asks nothing the answer did not."""
        wanted = list(dict.fromkeys(article_ids))
        self._run(self._article_calls(wanted))
        return {a: self._meta[a] for a in wanted if a in self._meta}

    def read(self, ids: np.ndarray, article_ids: Sequence[str]) -> tuple[PassageRows, dict[str, ArticleMeta]]:
        """The passages' text and the articles' records, asked at once (one round trip's wait); after a
        search and the lede list, both are usually kept already and nothing is asked."""
        self._run(self._fetch_calls(np.asarray(ids, dtype=np.int64).tolist(), True) + self._article_calls(article_ids))
        return self.passages(ids, text=True), self.articles(article_ids)

    def article_hashes(self) -> dict[str, str]:
        """Read once per opened index (the engine is re-opened after every update)."""
        if self._hashes is None:
            self._hashes = {}
            it = self._conn.client.query_iterator(self._conn.articles, batch_size=1000, filter="",
                                                  output_fields=["article_id", "hash"])
            try:
                while batch := it.next():
                    self._hashes.update((r["article_id"], r["hash"]) for r in batch)
            finally:
                it.close()
        return self._hashes

    _hashes: dict[str, str] | None = None

    def article_passages(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {a: np.array([passage_pk(a, i) for i in range(m.passages)], dtype=np.int64)
                for a, m in self.articles(article_ids).items()}

    def term_stats(self, terms: Sequence[str]) -> dict[str, int]:
        out = {t: 0 for t in terms}
        for part in _chunks(list(out), _IN_CHUNK):
            expr = f"term in {json.dumps(list(part), ensure_ascii=False)}"
            for r in self._conn.client.query(self._conn.terms, filter=expr, output_fields=["term", "df"]):
                out[r["term"]] = int(r["df"])
        return out

    def exists(self, flt: Filter) -> bool:
        expr = filter_expr(flt)
        if not expr:
            return self.manifest.passage_count > 0
        return bool(self._conn.client.query(self._conn.passages, filter=expr, output_fields=["pk"], limit=1))

    def stats(self) -> Stats:
        m = self.manifest
        return Stats(m.article_count, m.passage_count, tuple(m.outlets), m)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._conn.close()


_EMPTY = Ranked(np.zeros(0, np.int64), np.zeros(0, np.float32))


class MilvusWriter:
    """Write side: articles go in as they are embedded, each one's hash record last."""

    name = "milvus"

    def __init__(self, uri: str, collection: str, token: str | None = None, dense: DenseSettings = DenseSettings(),
                 full: bool = False) -> None:
        self._conn = _Conn(uri, collection, token)
        self.dense_settings = dense
        self._df: Counter[str] = Counter()
        self._new_dates: list[str] = []
        self._dropped_dates: set[str] = set()
        self._new_outlets: set[str] = set()
        self._locked = False
        self._fresh = False
        self._writing = False
        try:
            self._open(full)
        except BaseException:
            self.close()
            raise

    def _open(self, full: bool) -> None:
        c = self._conn
        if not c.client.has_collection(c.meta):
            self._create_meta()
        c.client.load_collection(c.meta)
        self._lock()
        if full:
            for name in (c.passages, c.articles, c.terms):
                if c.client.has_collection(name):
                    c.client.drop_collection(name)
        old = c.manifest() if not full else None
        if full and c.read_meta("manifest") is not None:
            c.client.delete(c.meta, filter='name == "manifest"')
        self.manifest: Manifest | None = old
        self._bm25 = old.bm25 if old else None
        self._chunking = old.chunking if old else None
        there = {name: c.client.has_collection(name) for name in (c.passages, c.articles, c.terms)}
        if any(there.values()) and not all(there.values()):
            if old is not None:
                raise IndexCorrupt(f"the sitrep index in Milvus at {c.where} lacks collection(s) "
                                   f"{', '.join(n for n, ok in there.items() if not ok)}: rebuild it with "
                                   "`sitrep index build --backend milvus`")
            for name, ok in there.items():  # a first build died while creating them: it starts again
                if ok:
                    c.client.drop_collection(name)
        if c.client.has_collection(c.passages):
            for name in (c.passages, c.articles, c.terms):
                c.client.load_collection(name)
            state = c.read_meta("state") or {}
            if state.get("writing"):
                self._recount_terms()  # an update died mid-way: term statistics may be off
        self._created = c.client.has_collection(c.passages)

    # -- lock ------------------------------------------------------------------------------
    def _lock(self) -> None:
        c = self._conn
        me = {"host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}
        held = c.read_meta("lock")
        if held and held.get("pid"):
            alive = not (held.get("host") == me["host"] and not _pid_alive(int(held["pid"])))
            if held.get("host") == me["host"] and int(held["pid"]) == me["pid"] and c.where not in _WRITING:
                alive = False  # this process's own lock, from an update that died here (its server went away)
            fresh = time.time() - float(held.get("time", 0)) < _STALE_LOCK_S
            if alive and fresh:
                raise IndexBusy(f"another `sitrep index` run (pid {held['pid']} on {held['host']}) is updating "
                                f"{c.where}; wait for it to finish, then run again")
        c.write_meta("lock", me)
        self._locked = True  # advisory (Milvus has no locks): writers check it, and a dead writer's is ignored
        _WRITING.add(c.where)

    # -- schema ----------------------------------------------------------------------------
    def _create_meta(self) -> None:
        from pymilvus import DataType, MilvusClient

        c = self._conn
        s = MilvusClient.create_schema(auto_id=False)
        s.add_field("name", DataType.VARCHAR, is_primary=True, max_length=64)
        s.add_field("json", DataType.VARCHAR, max_length=65535)
        s.add_field(_DUMMY, DataType.FLOAT_VECTOR, dim=2)
        ip = c.client.prepare_index_params()
        ip.add_index(_DUMMY, index_type="FLAT", metric_type="L2")
        _create_collection(c.client, c.meta, s, ip)

    def _create(self, dim: int, bm25: lexicon.BM25Settings) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        c = self._conn
        s = MilvusClient.create_schema(auto_id=False)
        s.add_field("pk", DataType.INT64, is_primary=True)
        s.add_field("article_id", DataType.VARCHAR, max_length=2048)
        s.add_field("ordinal", DataType.INT32)
        s.add_field("text", DataType.VARCHAR, max_length=65535)
        s.add_field("key", DataType.VARCHAR, max_length=40)
        s.add_field("terms", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                    analyzer_params={"tokenizer": "standard"})
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        s.add_field("day", DataType.INT64)
        s.add_field("source", DataType.VARCHAR, max_length=4096)
        s.add_field("outlet", DataType.VARCHAR, max_length=1024)
        s.add_field("start", DataType.INT32)
        s.add_field("end", DataType.INT32)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                output_field_names=["sparse"]))
        ip = c.client.prepare_index_params()
        ip.add_index("vector", index_type="HNSW", metric_type="IP",
                     params=_index_params({"M": self.dense_settings.hnsw_m, "efConstruction": self.dense_settings.ef_construction}))
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                     params=_index_params({"bm25_k1": bm25.k1, "bm25_b": bm25.b}))
        ip.add_index("article_id", index_type="INVERTED")
        _create_collection(c.client, c.passages, s, ip)
        self._fresh = True  # created by this writer: no passage of any article exists yet

        a = MilvusClient.create_schema(auto_id=False)
        a.add_field("article_id", DataType.VARCHAR, is_primary=True, max_length=2048)
        for name in ("title", "source", "date", "url", "location", "seen"):
            a.add_field(name, DataType.VARCHAR, max_length=4096)
        a.add_field("hash", DataType.VARCHAR, max_length=128)
        a.add_field("passages", DataType.INT32)
        a.add_field(_DUMMY, DataType.FLOAT_VECTOR, dim=2)
        ip = c.client.prepare_index_params()
        ip.add_index(_DUMMY, index_type="FLAT", metric_type="L2")
        _create_collection(c.client, c.articles, a, ip)
        c._article_fields = None

        t = MilvusClient.create_schema(auto_id=False)
        t.add_field("term", DataType.VARCHAR, is_primary=True, max_length=512)
        t.add_field("df", DataType.INT64)
        t.add_field(_DUMMY, DataType.FLOAT_VECTOR, dim=2)
        ip = c.client.prepare_index_params()
        ip.add_index(_DUMMY, index_type="FLAT", metric_type="L2")
        _create_collection(c.client, c.terms, t, ip)
        self._created = True

    # -- Writer protocol -------------------------------------------------------------------
    def _iterate(self, collection: str, fields: list[str], expr: str = "") -> Iterator[dict[str, Any]]:
        it = self._conn.client.query_iterator(collection, batch_size=1000, filter=expr, output_fields=fields)
        try:
            while True:
                batch = it.next()
                if not batch:
                    return
                yield from batch
        finally:
            it.close()

    def article_hashes(self) -> dict[str, str]:
        if not self._created:
            return {}
        return {r["article_id"]: r["hash"] for r in self._iterate(self._conn.articles, ["article_id", "hash"])}

    def _passages_of(self, article_ids: Sequence[str], fields: list[str]) -> Iterator[dict[str, Any]]:
        if not self._created:
            return
        for part in _chunks(list(article_ids), _IN_CHUNK // 4):
            expr = f"article_id in {json.dumps(list(part), ensure_ascii=False)}"
            yield from self._iterate(self._conn.passages, fields, expr)

    def old_passages(self, article_ids: Sequence[str]) -> tuple[list[bytes], np.ndarray]:
        keys: list[bytes] = []
        vecs: list[np.ndarray] = []
        for r in self._passages_of(article_ids, ["key", "vector"]):
            keys.append(bytes.fromhex(r["key"]))
            vecs.append(np.asarray(r["vector"], dtype=np.float32))
        return keys, (np.stack(vecs) if vecs else np.zeros((0, 1), np.float32))

    def _set_writing(self) -> None:
        if not self._writing:  # once per update: the flag is cleared by commit()
            self._conn.write_meta("state", {"writing": True})
            self._writing = True

    def _remove(self, article_ids: Sequence[str]) -> None:
        """Delete these articles' passages (counting their terms out); records are the caller's."""
        for r in self._passages_of(article_ids, ["terms"]):
            self._df.subtract(set(r["terms"].split()))
        for part in _chunks(list(article_ids), _IN_CHUNK // 4):
            self._conn.client.delete(self._conn.passages, filter=f"article_id in {json.dumps(list(part), ensure_ascii=False)}")

    def delete(self, article_ids: Sequence[str]) -> None:
        if not article_ids or not self._created:
            return
        self._set_writing()
        for part in _chunks(list(article_ids), _IN_CHUNK):
            expr = f"article_id in {json.dumps(list(part), ensure_ascii=False)}"
            for r in self._conn.client.query(self._conn.articles, filter=expr, output_fields=["date"]):
                self._dropped_dates.add(r["date"] or "?")
        self._remove(article_ids)  # passages first, then the records
        for part in _chunks(list(article_ids), _IN_CHUNK):
            self._conn.client.delete(self._conn.articles, filter=f"article_id in {json.dumps(list(part), ensure_ascii=False)}")

    def upsert(self, articles: Sequence[Article], passages: Sequence[Sequence[Passage]], vectors: Sequence[np.ndarray]) -> None:
        if not articles:
            return
        if self._pending is None:  # a caller's bug, not the user's: say which call was missing
            raise RuntimeError("MilvusWriter.upsert before begin(manifest)")
        self._set_writing()
        chunking, bm25 = self._pending.chunking, self._pending.bm25
        if not self._fresh:  # also clears passages a crashed update wrote without their article record
            self._remove([a.id for a in articles])
        rows: list[dict[str, Any]] = []
        for a, ps, vs in zip(articles, passages, vectors):
            day = _day(a.date)
            where = f"{a.source or ''} {a.location}".lower()
            texts = [index_text(a.title, p.text, chunking) for p in ps]
            for p, text, terms, v in zip(ps, texts, lexicon.tokenize(texts, bm25), vs):
                self._df.update(set(terms))
                rows.append({"pk": passage_pk(a.id, p.ordinal), "article_id": a.id, "ordinal": p.ordinal, "text": p.text,
                             "key": text_key(text).hex(), "terms": " ".join(terms),
                             "vector": np.asarray(v, dtype=np.float32).tolist(), "day": day, "source": where,
                             "outlet": a.source or "", "start": p.start, "end": p.end})
            if a.date:
                self._new_dates.append(a.date)
            if a.source:
                self._new_outlets.add(a.source)
        for part in _chunks(rows, _BATCH):
            self._conn.client.insert(self._conn.passages, list(part))
        records = [{"article_id": a.id, "title": a.title or "", "source": a.source or "", "date": a.date or "",
                    "url": a.url or "", "location": a.location, "hash": a.content_hash, "passages": len(ps), "seen": a.seen or "",
                    _DUMMY: [0.0, 1.0]} for a, ps in zip(articles, passages)]
        if "seen" not in self._conn.article_fields():
            for r in records:
                del r["seen"]
        for part in _chunks(records, _BATCH):
            self._conn.client.upsert(self._conn.articles, list(part))  # last: the article now counts as indexed

    _pending: Manifest | None = None

    def begin(self, manifest: Manifest) -> None:
        """The settings the coming upserts use (model dimension, chunking, BM25); creates the collections
        on the first build."""
        self._pending = manifest
        if not self._created:
            self._create(manifest.model.dim, manifest.bm25)

    def _count(self, collection: str) -> int:
        rows = self._conn.client.query(collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def _apply_terms(self) -> None:
        c = self._conn
        touched = [t for t, d in self._df.items() if d]
        for part in _chunks(touched, _IN_CHUNK):
            have = {r["term"]: int(r["df"]) for r in c.client.query(
                c.terms, filter=f"term in {json.dumps(list(part), ensure_ascii=False)}", output_fields=["term", "df"])}
            rows, gone = [], []
            for t in part:
                df = have.get(t, 0) + self._df[t]
                if df > 0:
                    rows.append({"term": t, "df": df, _DUMMY: [0.0, 1.0]})
                elif t in have:
                    gone.append(t)
            if rows:
                c.client.upsert(c.terms, rows)
            if gone:
                c.client.delete(c.terms, filter=f"term in {json.dumps(gone, ensure_ascii=False)}")
        self._df.clear()

    def _recount_terms(self) -> None:
        """Term statistics from the passages themselves (after a crash)."""
        c = self._conn
        counts: Counter[str] = Counter()
        for r in self._iterate(c.passages, ["terms"]):
            counts.update(set(r["terms"].split()))
        c.client.delete(c.terms, filter='term != ""')
        rows = [{"term": t, "df": n, _DUMMY: [0.0, 1.0]} for t, n in counts.items()]
        for part in _chunks(rows, 5000):
            c.client.insert(c.terms, list(part))
        c.client.flush(c.terms)

    def _newest(self) -> str | None:
        old = self.manifest.newest_article_date if self.manifest else None
        if old and (old in self._dropped_dates or "?" in self._dropped_dates):  # the newest article may be gone: look again
            dates = [r["date"] for r in self._iterate(self._conn.articles, ["date"]) if r["date"]]
            return max(dates) if dates else None
        dates = [d for d in [old, *self._new_dates] if d]
        return max(dates) if dates else None

    def commit(self, manifest: Manifest) -> Manifest:
        c = self._conn
        if not self._created:
            self.begin(manifest)
        self._apply_terms()
        for name in (c.passages, c.articles, c.terms):
            c.client.flush(name)
        if self._dropped_dates:  # an outlet may be gone with the removed articles: list them again
            outlets = self._outlets()
        else:
            outlets = sorted(set(self.manifest.outlets if self.manifest else []) | self._new_outlets)
        final = manifest.stamped(
            backend=self.name, dense=DenseInfo("hnsw", self.dense_settings.ef_search),
            article_count=self._count(c.articles), passage_count=self._count(c.passages),
            newest_article_date=self._newest(), articles={}, outlets=outlets,
        )
        c.write_meta("manifest", final.to_json())
        c.write_meta("state", {"writing": False})
        self._writing = False
        self.manifest = final
        return final

    def _outlets(self) -> list[str]:
        return sorted({r["source"] for r in self._iterate(self._conn.articles, ["source"]) if r["source"]})

    def close(self) -> None:
        if self._locked:
            _WRITING.discard(self._conn.where)
            with contextlib.suppress(Exception):  # a server gone away keeps the lock: the next writer sees it stale
                self._conn.client.delete(self._conn.meta, filter='name == "lock"')
                self._conn.client.flush(self._conn.meta)
        self._conn.close()


_WRITING: set[str] = set()  # the indexes this process is writing now (their `where`)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_collection(client: Any, name: str, schema: Any, index_params: Any) -> None:
    """Create, index and load an empty collection. `create_collection(index_params=...)` polls each
    index's state after a fixed 0.5 s sleep (pymilvus' wait_for_creating_index): 3 s for a new
    index's six indexes, most of a small build. An empty collection has no segment to build an
    index on, so the index is declared without the wait; load_collection then serves it."""
    client.create_collection(name, schema=schema)
    client.create_index(name, index_params, sync=False)
    client.load_collection(name)
