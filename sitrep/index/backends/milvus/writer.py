"""MilvusWriter: building and updating the Milvus collections (see common.py for their layout and the
crash-safety order: passages first, the article's hash record last).

Over 300 lines on purpose: the lock, the schema, the write order and the crash repair are one
protocol, each step relying on the one before; split, the order would be easier to break.
"""


from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from sitrep.corpus.articles import Article
from sitrep.index import lexicon
from sitrep.index.backends.base import (
    text_key,
)
from sitrep.index.backends.milvus.common import (
    _BATCH,
    _DUMMY,
    _IN_CHUNK,
    _STALE_LOCK_S,
    _WRITING,
    _chunks,
    _Conn,
    _day,
    _index_params,
    _pid_alive,
    passage_pk,
)
from sitrep.index.backends.milvus.create import create_collection
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.chunking import Passage, index_text
from sitrep.index.errors import IndexBusy, IndexCorrupt
from sitrep.index.manifest import DenseInfo, Manifest


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
        self._create_side(c.meta, s)

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
        create_collection(c.client, c.passages, s, ip)
        self._fresh = True  # created by this writer: no passage of any article exists yet

        a = MilvusClient.create_schema(auto_id=False)
        a.add_field("article_id", DataType.VARCHAR, is_primary=True, max_length=2048)
        for name in ("title", "source", "date", "url", "location", "seen"):
            a.add_field(name, DataType.VARCHAR, max_length=4096)
        a.add_field("hash", DataType.VARCHAR, max_length=128)
        a.add_field("passages", DataType.INT32)
        self._create_side(c.articles, a)
        c._article_fields = None

        t = MilvusClient.create_schema(auto_id=False)
        t.add_field("term", DataType.VARCHAR, is_primary=True, max_length=512)
        t.add_field("df", DataType.INT64)
        self._create_side(c.terms, t)
        self._created = True

    def _create_side(self, name: str, schema: Any) -> None:
        """A side collection (records, terms): Milvus wants a vector field in each, so a 2-d one it never searches."""
        from pymilvus import DataType

        schema.add_field(_DUMMY, DataType.FLOAT_VECTOR, dim=2)
        ip = self._conn.client.prepare_index_params()
        ip.add_index(_DUMMY, index_type="FLAT", metric_type="L2")
        create_collection(self._conn.client, name, schema, ip)

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
