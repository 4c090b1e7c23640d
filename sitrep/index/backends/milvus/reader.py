"""MilvusBackend: answering questions from the Milvus collections (see common.py for their layout):
a question's searches in one concurrent round, then the passages and records it needs in a second.

Over 300 lines on purpose: every read the Backend protocol asks of Milvus sits beside the caches that keep a
question to two round trips (rows, records, the term table); split, each part would reach into them."""


from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from sitrep.index.backends.base import (
    ArticleMeta,
    Filter,
    PassageRows,
    Ranked,
    Searched,
    SearchRequest,
    Stats,
)
from sitrep.index.backends.milvus.common import (
    _CACHE_ROWS,
    _IN_CHUNK,
    _SEARCH_THREADS,
    _chunks,
    _Conn,
    _hash63,
    _Row,
    filter_expr,
    passage_pk,
)
from sitrep.index.backends.milvus.terms import TermTable
from sitrep.index.errors import IndexCorrupt, IndexNotBuilt, IndexUnavailable


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
        self._question_articles: list[str] = []  # the articles the question's searches found (records fetched together)
        self.term_table = TermTable(c.client, c.terms)  # read in the background from the second question (terms.py)
        self._questions = 0

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
        if len(self._question_articles) > _CACHE_ROWS // 10:  # searched without a question (term strengths)
            self._question_articles.clear()
        self._question_articles.extend(h["entity"]["article_id"] for h in res)
        # BM25 comes back as negative distances from milvus-lite, positive scores from a server
        scores = np.array([abs(h["distance"]) if field == "sparse" else h["distance"] for h in res], dtype=np.float32)
        for h in res:
            self._keep(int(h["pk"]), h["entity"])
        keep = scores > 0 if field == "sparse" else np.ones(len(ids), dtype=bool)
        return Ranked(ids[keep], scores[keep])

    def _search(self, data: list[Any], field: str, k: int, filters: Sequence[Filter | None],
                params: dict[str, Any], output: list[str] | None = None) -> list[Ranked]:
        k = min(k, self.manifest.passage_count)
        if k <= 0 or not data:
            return [_EMPTY for _ in data]
        return [self._ranked(self._one(item, field, k, flt, params, "", output), field) for item, flt in zip(data, filters)]

    def lexical(self, queries: Sequence[Sequence[str]], k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        """BM25 searches (a repeated term weighs as many times). The hits come with their text, as the
        question's own searches do: a search with the words its best hits share (retrieval/feedback.py) brings
        passages the answer may read."""
        texts = [" ".join(q) for q in queries]
        ranked = self._search([t for t in texts if t], "sparse", k, [f for t, f in zip(texts, filters) if t],
                              {"metric_type": "BM25"}, [*self._fields(), "text"])
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
        kept = self.term_table.get(request.df_terms) if request.df_terms else {}
        if kept is None:
            jobs["df"] = pool.submit(self.term_stats, request.df_terms)
        done = {name: job.result() for name, job in jobs.items()}  # the first failure raises, as a call would
        self._question_articles = []
        self._questions += 1
        if self._questions == 2:  # an engine that answers more than one question: keep the term table
            self.term_table.start()
        df = done["df"] if kept is None else kept
        return Searched(self._ranked(done["lexical"], "sparse") if "lexical" in done else _EMPTY,
                        self._ranked(done["dense"], "vector") if "dense" in done else _EMPTY, df)

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
        """The queries that bring these articles' records into the cache. When one is missing, the records of
        every article the question's searches found come along in the same wait: where there is no lede list
        (a snippet collection) the re-ordering, then the answer and its citations, each want a few of them."""
        if all(a in self._meta for a in article_ids):
            return []
        fields = [f for f in ("article_id", "title", "source", "date", "url", "location", "hash", "seen", "passages")
                  if f in self._conn.article_fields()]
        client, name = self._conn.client, self._conn.articles
        missing = [a for a in dict.fromkeys([*article_ids, *self._question_articles]) if a not in self._meta]
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
        got = [v for i in plain if (v := self._rows[i].vector) is not None]  # _fetch brought every one's vector
        if len(got) != len(plain):
            raise IndexCorrupt(f"passages without vectors in Milvus at {self._conn.where}: "
                               "rebuild the index (`sitrep index build --backend milvus`)")
        return np.stack(got) if got else np.zeros((0, dim), np.float32)

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

    def dated_articles(self, since: str, until: str) -> dict[str, str]:
        """One scan of the window's (id, date) pairs: dates are ISO text, compared as text ("~" sorts after any
        time of day that follows `until`)."""
        window = f'date >= {json.dumps(since)} and date <= {json.dumps(until + "~")}'
        return {r["article_id"]: r["date"][:10] for r in self._scan(window, ["article_id", "date"]) if r["date"]}

    def article_hashes(self) -> dict[str, str]:
        """Read once per opened index (the engine is re-opened after every update)."""
        if self._hashes is None:
            self._hashes = {r["article_id"]: r["hash"] for r in self._scan("", ["article_id", "hash"])}
        return self._hashes

    def _scan(self, expr: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every article record the filter lets through, a thousand at a time."""
        it = self._conn.client.query_iterator(self._conn.articles, batch_size=1000, filter=expr, output_fields=fields)
        try:
            while batch := it.next():
                yield from batch
        finally:
            it.close()

    _hashes: dict[str, str] | None = None

    def article_passages(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        return {a: np.array([passage_pk(a, i) for i in range(m.passages)], dtype=np.int64)
                for a, m in self.articles(article_ids).items()}

    def term_stats(self, terms: Sequence[str]) -> dict[str, int]:
        kept = self.term_table.get(terms)
        if kept is not None:
            return kept
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

    def stored_readings(self) -> None:
        """None: a passage is read from its text the first time a question brings it (the text comes with
        the question's records, so reading it asks Milvus nothing more)."""
        return None

    def close(self) -> None:
        self.term_table.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._conn.close()


_EMPTY = Ranked(np.zeros(0, np.int64), np.zeros(0, np.float32))
