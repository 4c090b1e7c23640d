"""The local backend: FAISS (exact, or HNSW above a size) and bm25s arrays in this process.

The default. Files live in a version folder behind an atomically swapped symlink (store.py);
a writer collects upserts and deletes in memory and writes one complete new version at
commit(), so readers and crashes see the old index or the new one, never a mix. Passage ids
are row numbers of the opened version.
"""

from __future__ import annotations

import bisect
import functools
import os
from collections import Counter, OrderedDict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from sitrep.index.backends.base import (
    UNDATED,
    ArticleMeta,
    Filter,
    PassageRows,
    Ranked,
    Searched,
    SearchRequest,
    Stats,
    search_in_turn,
)
from sitrep.index.backends.local import store
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.readings import StoredReadings

_ARTICLE_COLUMNS = ("id", "title", "source", "date", "url", "location", "hash", "text", "seen")


def make_dense(vectors: np.ndarray, settings: DenseSettings) -> Any:
    import faiss

    dim = vectors.shape[1]
    index: Any
    if settings.info(vectors.shape[0]).kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = settings.ef_construction
        index.hnsw.efSearch = settings.ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if vectors.shape[0]:
        before = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # a searcher in this process may have set 1
        try:
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        finally:
            faiss.omp_set_num_threads(before)
    return index


def _day(iso: str | None) -> int:
    return date.fromisoformat(iso).toordinal() if iso else UNDATED


class LocalBackend:
    """Read side over one loaded version (store.IndexData)."""

    name = "local"

    def __init__(self, data: store.IndexData) -> None:
        import faiss

        self._faiss = faiss
        # One question at a time needs one thread: measured on 2 cores with the other core busy,
        # a flat search of the dev index took 13 ms p50 with OpenMP's 2 spinning threads, 2.5 ms with 1.
        faiss.omp_set_num_threads(1)
        self.data = data
        self.manifest = data.manifest
        self._hnsw = hasattr(faiss.downcast_index(data.dense), "hnsw")
        flat: Any = faiss.downcast_index(data.dense.storage if self._hnsw else data.dense)
        n, d = data.dense.ntotal, data.dense.d
        self._vectors = faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)  # FAISS's own RAM, zero-copy
        self._vocab: dict[str, int] = data.bm25.vocab_dict
        self._df = np.diff(np.asarray(data.bm25.scores["indptr"])).astype(np.int64)  # passages holding each term
        # The score matrix's columns (plain arrays over the mapped memory: store.py): a weighted query (terms
        # repeated, retrieval/feedback.py) sums them here.
        self._columns = tuple(np.asarray(data.bm25.scores[key]) for key in ("indptr", "indices", "data"))
        arts = data.articles
        self._row = {aid: i for i, aid in enumerate(arts.id)}
        self._article_ids = np.array(arts.id, dtype=object)  # a question's candidates' ids in one take
        self._article_day = np.array([_day(d) for d in arts.date], dtype=np.int64)
        self._sources = [f"{s or ''} {loc}".lower() for s, loc in zip(arts.source, arts.location)]
        self._lede = np.searchsorted(data.passage_article, np.arange(len(arts)), side="left")
        self._ordinal = (np.arange(data.passage_count) - self._lede[data.passage_article]).astype(np.int32) \
            if data.passage_count else np.zeros(0, np.int32)
        self._count = np.diff(np.append(self._lede, data.passage_count))  # passages per article
        self._masks: OrderedDict[Filter, np.ndarray | None] = OrderedDict()
        self._meta: dict[str, ArticleMeta] = {}  # records once made: the index does not change under a reader

    # -- filters ---------------------------------------------------------------------------
    def _article_mask(self, flt: Filter) -> np.ndarray:
        day = self._article_day
        undated = day == UNDATED
        ok = np.ones(len(day), dtype=bool)
        if flt.day_to is not None:
            ok &= undated | (day <= flt.day_to)
        if flt.day_from is not None:
            ok &= undated | (day >= flt.day_from)
        if flt.source:
            needle = flt.source.lower().strip()
            ok &= np.array([needle in s for s in self._sources], dtype=bool)
        if flt.outlet is not None:
            ok &= np.array([s == flt.outlet for s in self.data.articles.source], dtype=bool)
        if flt.article_ids is not None:
            wanted = set(flt.article_ids)
            ok &= np.array([a in wanted for a in self.data.articles.id], dtype=bool)
        return ok

    def mask(self, flt: Filter | None) -> np.ndarray | None:
        """The passages a filter lets through; None when it lets every passage through."""
        if flt is None or flt.empty:
            return None
        if flt in self._masks:
            self._masks.move_to_end(flt)
            return self._masks[flt]
        articles = self._article_mask(flt)
        out = None if articles.all() else articles[self.data.passage_article]
        self._masks[flt] = out
        if len(self._masks) > 64:  # a question's window changes with its as-of day; keep the recent ones
            self._masks.popitem(last=False)
        return out

    # -- search ----------------------------------------------------------------------------
    def lexical(self, queries: Sequence[Sequence[str]], k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        return [self._lexical_one([t for t in terms if t in self._vocab], k, self.mask(f)) for terms, f in zip(queries, filters)]

    def _lexical_one(self, terms: list[str], k: int, mask: np.ndarray | None) -> Ranked:
        if not terms or k <= 0 or not self.data.passage_count:
            return _EMPTY
        if len(set(terms)) < len(terms):  # a term repeated weighs as many times: one column each, scaled
            scores = self._weighted_scores(terms)
        else:
            scores = np.asarray(self.data.bm25.get_scores(terms), dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return Ranked(top.astype(np.int64), scores[top])

    def _weighted_scores(self, terms: list[str]) -> np.ndarray:
        """BM25 scores of a query whose terms repeat: each term's column times its count, as bm25s's
        get_scores sums a repeated term (once per copy)."""
        indptr, indices, data = self._columns
        counts = Counter(self._vocab[t] for t in terms)
        ids = np.fromiter(counts, dtype=np.int64, count=len(counts))
        starts, ends = indptr[ids], indptr[ids + 1]
        at = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist())])
        weight = np.repeat(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)), ends - starts)
        return np.bincount(indices[at], weights=data[at] * weight, minlength=self.data.passage_count).astype(np.float32)

    def search(self, request: SearchRequest) -> Searched:
        return search_in_turn(self, request)

    def lede_similarity(self, article_ids: Sequence[str], vector: np.ndarray) -> np.ndarray:
        return self.vectors(self.lede_ids(article_ids)) @ vector if len(article_ids) else np.zeros(0, np.float32)

    def dense(self, vectors: np.ndarray, k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        return [self._dense_one(v, k, self.mask(f)) for v, f in zip(vectors, filters)]

    def _dense_one(self, vector: np.ndarray, k: int, mask: np.ndarray | None) -> Ranked:
        faiss, index = self._faiss, self.data.dense
        n = index.ntotal
        k = min(k, n)
        if k <= 0 or (mask is not None and not mask.any()):
            return _EMPTY
        q = np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32)
        if mask is None:
            scores, ids = index.search(q, k)
        else:
            bitmap = np.packbits(mask.astype(np.uint8), bitorder="little")
            selector = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bitmap))
            if self._hnsw:
                ef = max(k, faiss.downcast_index(index).hnsw.efSearch)
                params: Any = faiss.SearchParametersHNSW(sel=selector, efSearch=ef)
            else:
                params = faiss.SearchParameters(sel=selector)
            scores, ids = index.search(q, k, params=params)
        keep = ids[0] >= 0
        return Ranked(ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32))

    # -- lookups ---------------------------------------------------------------------------
    def passages(self, ids: np.ndarray, text: bool = False) -> PassageRows:
        ids = np.asarray(ids, dtype=np.int64)
        rows = self.data.passage_article[ids].astype(np.int64)
        return PassageRows(
            ids=ids, article_id=self._article_ids[rows].tolist(), article_key=rows, ordinal=self._ordinal[ids],
            day=self._article_day[rows], start=self.data.passage_start[ids], end=self.data.passage_end[ids],
            text=[self.data.passage_text(i) for i in ids.tolist()] if text else None,
        )

    def read(self, ids: np.ndarray, article_ids: Sequence[str]) -> tuple[PassageRows, dict[str, ArticleMeta]]:
        return self.passages(ids, text=True), self.articles(article_ids)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        return self._vectors[np.asarray(ids, dtype=np.int64)]

    def lede_ids(self, article_ids: Sequence[str]) -> np.ndarray:
        return self._lede[[self._row[a] for a in article_ids]].astype(np.int64)

    def article_hashes(self) -> dict[str, str]:
        return dict(zip(self.data.articles.id, self.data.articles.hash))

    def dated_articles(self, since: str, until: str) -> dict[str, str]:
        days, ids = self._by_day
        lo, hi = bisect.bisect_left(days, since), bisect.bisect_right(days, until)
        return dict(zip(ids[lo:hi], days[lo:hi]))

    @functools.cached_property
    def _by_day(self) -> tuple[list[str], list[str]]:
        """The dated articles' days (sorted) and ids: a window is two bisections, not a pass over every article."""
        a = self.data.articles
        pairs = sorted((d[:10], aid) for aid, d in zip(a.id, a.date) if d)
        return [d for d, _ in pairs], [aid for _, aid in pairs]

    def article_passages(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        out = {}
        for aid in article_ids:
            r = self._row.get(aid)
            if r is not None:
                out[aid] = np.arange(self._lede[r], self._lede[r] + self._count[r], dtype=np.int64)
        return out

    def articles(self, article_ids: Sequence[str]) -> dict[str, ArticleMeta]:
        out = {}
        for aid in article_ids:
            m = self._meta.get(aid)
            if m is None:
                r = self._row.get(aid)
                if r is None:
                    continue
                a = self.data.articles
                m = self._meta[aid] = ArticleMeta(aid, a.title[r], a.source[r], a.date[r], a.url[r], a.location[r],
                                                  a.hash[r], a.seen[r], int(self._count[r]))
            out[aid] = m
        return out

    def article_text(self, article_id: str) -> str:
        return self.data.articles.text[self._row[article_id]]

    def term_stats(self, terms: Sequence[str]) -> dict[str, int]:
        at = [self._vocab.get(t, -1) for t in terms]  # one take of the counts, not a numpy scalar a term
        df = self._df[np.array(at, dtype=np.int64)].tolist() if len(self._df) else at  # no term known: all -1
        return {t: d if i >= 0 else 0 for t, i, d in zip(terms, at, df)}

    def exists(self, flt: Filter) -> bool:
        m = self.mask(flt)
        return bool(self.data.passage_count) if m is None else bool(m.any())

    def stats(self) -> Stats:
        outlets = tuple(sorted({s for s in self.data.articles.source if s}))
        return Stats(len(self.data.articles), self.data.passage_count, outlets, self.manifest)

    def stored_readings(self) -> StoredReadings | None:
        return self.data.readings

    def close(self) -> None:
        return None


_EMPTY = Ranked(np.zeros(0, np.int64), np.zeros(0, np.float32))


def open_local(path: Path) -> LocalBackend:
    return LocalBackend(store.load(path))
