"""LocalWriter: collects upserts and deletes in memory and writes one complete new version of the index
at commit() (store.py swaps it in atomically), reusing the old version's rows for unchanged articles."""


from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sitrep.corpus.articles import Article
from sitrep.index import lexicon
from sitrep.index.backends.base import (
    text_key,
)
from sitrep.index.backends.local import store
from sitrep.index.backends.local.backend import _ARTICLE_COLUMNS, make_dense
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.chunking import Passage, index_text
from sitrep.index.errors import IndexNotBuilt
from sitrep.index.manifest import Manifest
from sitrep.index.readings import StoredReadings


@dataclass
class _Entry:
    old_row: int | None  # an article kept as it is
    article: Article | None = None  # or replaced by this one
    passages: Sequence[Passage] = ()
    vectors: np.ndarray | None = None


class LocalWriter:
    """Collects upserts and deletes over the loaded version; commit() writes a whole new version.

    Holds the index's write lock from opening to close(): one writer at a time.
    """

    name = "local"

    def __init__(self, path: Path, dense: DenseSettings = DenseSettings(), full: bool = False) -> None:
        self.path = path
        self.dense_settings = dense
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(store.writer_lock(path))
        self.old: store.IndexData | None = None
        if not full:
            try:
                self.old = store.load(path)
            except IndexNotBuilt:
                self.old = None
            except Exception:
                self._stack.close()
                raise
        self.manifest: Manifest | None = self.old.manifest if self.old else None
        self._bounds = (np.searchsorted(self.old.passage_article, np.arange(len(self.old.articles) + 1), side="left")
                        if self.old else np.zeros(1, np.int64))
        self._entries: dict[str, _Entry] = {aid: _Entry(i) for i, aid in enumerate(self.old.articles.id)} if self.old else {}
        self.changed = False

    def article_hashes(self) -> dict[str, str]:
        return dict(zip(self.old.articles.id, self.old.articles.hash)) if self.old else {}

    def _old_span(self, row: int) -> tuple[int, int]:
        return int(self._bounds[row]), int(self._bounds[row + 1])

    def old_passages(self, article_ids: Sequence[str]) -> tuple[list[bytes], np.ndarray]:
        old = self.old
        if old is None:
            return [], np.zeros((0, 1), np.float32)
        rows = {aid: i for i, aid in enumerate(old.articles.id)}
        keys: list[bytes] = []
        spans: list[np.ndarray] = []
        chunking = old.manifest.chunking
        for aid in article_ids:
            r = rows.get(aid)
            if r is None:
                continue
            lo, hi = self._old_span(r)
            keys += [text_key(index_text(old.articles.title[r], old.passage_text(i), chunking)) for i in range(lo, hi)]
            spans.append(np.arange(lo, hi))
        idx = np.concatenate(spans) if spans else np.zeros(0, np.int64)
        return keys, np.asarray(old.vectors[idx], dtype=np.float32)

    def begin(self, manifest: Manifest) -> None:
        return None  # everything happens at commit()

    def delete(self, article_ids: Sequence[str]) -> None:
        for aid in article_ids:
            self.changed |= self._entries.pop(aid, None) is not None

    def upsert(self, articles: Sequence[Article], passages: Sequence[Sequence[Passage]], vectors: Sequence[np.ndarray]) -> None:
        for a, ps, vs in zip(articles, passages, vectors):
            self._entries[a.id] = _Entry(None, a, ps, vs)
            self.changed = True

    def commit(self, manifest: Manifest) -> Manifest:
        """Write the new version: articles in the manifest's order (the corpus scan's), BM25
        recomputed over every passage (so an update equals a full rebuild by construction)."""
        old = self.old
        order = list(manifest.articles) or list(self._entries)
        cols: dict[str, list[Any]] = {f: [] for f in _ARTICLE_COLUMNS}
        p_article: list[np.ndarray] = []
        p_old: list[np.ndarray] = []  # each passage's row in the old version (-1: a new article's)
        p_start: list[np.ndarray] = []
        p_end: list[np.ndarray] = []
        vecs: list[np.ndarray] = []
        dim = manifest.model.dim
        for row, aid in enumerate(order):
            e = self._entries[aid]
            if e.old_row is not None and old is not None:
                for f in _ARTICLE_COLUMNS:
                    cols[f].append(getattr(old.articles, f)[e.old_row])
                lo, hi = self._old_span(e.old_row)
                p_start.append(old.passage_start[lo:hi])
                p_end.append(old.passage_end[lo:hi])
                vecs.append(np.asarray(old.vectors[lo:hi], dtype=np.float32))
                p_old.append(np.arange(lo, hi))
                n = hi - lo
            else:
                a = e.article
                if a is None or e.vectors is None:  # build's bug: a new entry always carries its article and vectors
                    raise RuntimeError(f"article {aid!r} has neither an old row nor a new article with vectors")
                for f, v in (("id", a.id), ("title", a.title), ("source", a.source), ("date", a.date), ("url", a.url),
                             ("location", a.location), ("hash", a.content_hash), ("text", a.text), ("seen", a.seen)):
                    cols[f].append(v)
                p_start.append(np.array([p.start for p in e.passages], dtype=np.int32))
                p_end.append(np.array([p.end for p in e.passages], dtype=np.int32))
                vecs.append(np.asarray(e.vectors, dtype=np.float32).reshape(-1, dim))
                n = len(e.passages)
                p_old.append(np.full(n, -1))
            p_article.append(np.full(n, row, dtype=np.int32))
        table = store.ArticleTable(**cols)
        pa = np.concatenate(p_article) if p_article else np.zeros(0, np.int32)
        ps = np.concatenate(p_start).astype(np.int32) if p_start else np.zeros(0, np.int32)
        pe = np.concatenate(p_end).astype(np.int32) if p_end else np.zeros(0, np.int32)
        vectors = np.concatenate(vecs) if vecs else np.zeros((0, dim), np.float32)
        # every passage read once (index/readings.py): its sentences and words kept for the re-ranking and
        # the reader, its indexed text's terms given to BM25; an unchanged article's as the old version read it
        reuse = old is not None and old.readings is not None and old.manifest.bm25 == manifest.bm25
        readings, tokens = StoredReadings.build(
            [table.text[a][s:e] for a, s, e in zip(pa.tolist(), ps.tolist(), pe.tolist())], pa, table.title,
            manifest.bm25, manifest.chunking.title_prefix, old.readings if reuse and old is not None else None,
            np.concatenate(p_old).tolist() if reuse and p_old else None)
        bm = lexicon.build(tokens, manifest.bm25)
        dates = [d for d in table.date if d]
        final = manifest.stamped(
            dense=self.dense_settings.info(int(pa.shape[0])), backend=self.name, article_count=len(table),
            passage_count=int(pa.shape[0]), newest_article_date=max(dates) if dates else None,
            articles=dict(zip(table.id, table.hash)), outlets=sorted({s for s in table.source if s}),
        )
        store.save(self.path, store.IndexData(final, table, pa, ps, pe, vectors, make_dense(vectors, self.dense_settings), bm,
                                              readings=readings))
        return final

    def close(self) -> None:
        self._stack.close()
