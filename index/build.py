"""build() and update(): bring the index in line with the corpus, embedding only what is new.

Articles are compared by content hash. Unchanged articles keep their passages and
vectors (unless the index was made by an older parser: then every article is parsed
again, and only passages whose text the new parser changed are embedded); new and changed ones are parsed and chunked, and a passage whose indexed text
already has a vector (say, an unchanged paragraph of an edited article) reuses it. BM25
statistics are recomputed over all passages on every save, so an update's BM25 equals a
full rebuild's by construction (it costs seconds, not minutes).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index import lexicon, store
from index.articles import PARSER_VERSION, parse, scan_corpus
from index.chunking import ChunkSettings, chunk, index_text
from index.embedding import Encoder
from index.errors import CorpusError, IndexMismatch, IndexNotBuilt


class ProgressSink(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class DenseSettings:
    hnsw_above: int = 200_000  # exact inner product up to this many passages, HNSW above
    hnsw_m: int = 32
    ef_construction: int = 200
    ef_search: int = 128


@dataclass
class BuildReport:
    added: int
    changed: int
    removed: int
    unchanged: int
    passages_embedded: int
    articles: int
    passages: int
    full: bool
    seconds: float
    warnings: list[str] = field(default_factory=list)
    reparsed: int = 0  # unchanged articles parsed again because the parser is newer than the index

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def _dense_kind(passages: int, settings: DenseSettings) -> str:
    return "hnsw" if passages > settings.hnsw_above else "flat"


def make_dense(vectors: np.ndarray, settings: DenseSettings) -> Any:
    import faiss

    dim = vectors.shape[1]
    if _dense_kind(vectors.shape[0], settings) == "hnsw":
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


def _settings_manifest(encoder: Encoder, chunking: ChunkSettings) -> dict[str, Any]:
    return {
        "model": {"name": encoder.name, "fingerprint": encoder.fingerprint, "dim": encoder.dim},
        "chunking": {**chunking.as_dict(), "parser_version": PARSER_VERSION},
    }


def check_compatible(manifest: dict[str, Any], encoder: Encoder, chunking: ChunkSettings, path: Path) -> bool:
    """Refuse another model or chunking; True when only the parser is newer (update re-parses)."""
    want = _settings_manifest(encoder, chunking)
    have_chunking = dict(manifest.get("chunking") or {})
    old_parser = have_chunking.pop("parser_version", None)
    for part, have, need in (("model", manifest.get("model"), want["model"]),
                             ("chunking", have_chunking, chunking.as_dict())):
        if have != need:
            raise IndexMismatch(
                f"the index at {path} was built with another {part} setting "
                f"({have} vs {need}): run `sitrep index build` to rebuild it"
            )
    return old_parser != PARSER_VERSION


def update(
    corpus_dir: Path,
    index_path: Path,
    encoder: Encoder,
    chunking: ChunkSettings = ChunkSettings(),
    bm25: lexicon.BM25Settings = lexicon.BM25Settings(),
    dense: DenseSettings = DenseSettings(),
    *,
    full: bool = False,
    max_article_bytes: int = 5_000_000,
    progress: ProgressSink | None = None,
) -> BuildReport:
    """Bring index_path in line with corpus_dir; full=True ignores what is there (a rebuild)."""
    started = time.perf_counter()
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"corpus folder {corpus_dir} does not exist: create it and add .txt, .md or .jsonl "
            "articles, or point --corpus / SITREP_CORPUS_DIR at one"
        )
    with store.writer_lock(index_path):
        scan = scan_corpus(corpus_dir, max_article_bytes)
        if not scan.articles:
            why = f" ({len(scan.warnings)} files skipped: {scan.warnings[0]})" if scan.warnings else ""
            raise CorpusError(f"no readable articles in {corpus_dir}{why}: add .txt, .md or .jsonl articles")
        old: store.IndexData | None = None
        reparse = False
        if not full:
            try:
                old = store.load(index_path)
            except IndexNotBuilt:
                old = None
            if old is not None:
                reparse = check_compatible(old.manifest, encoder, chunking, index_path)

        old_rows = {aid: i for i, aid in enumerate(old.articles.id)} if old else {}
        old_bounds = (
            np.searchsorted(old.passage_article, np.arange(len(old.articles) + 1), side="left") if old else None
        )
        cols: dict[str, list[Any]] = {f: [] for f in ("id", "title", "source", "date", "url", "location", "hash", "text")}
        p_article: list[np.ndarray] = []
        p_start: list[np.ndarray] = []
        p_end: list[np.ndarray] = []
        vec_parts: list[np.ndarray | list[int]] = []  # old vector rows, or positions in `pending`
        pending: list[str] = []
        pending_at: dict[bytes, int] = {}
        added = changed = unchanged = reparsed = 0
        cache: dict[bytes, int] | None = None  # index text -> old vector row, built on first need

        for raw in scan.articles:
            row = len(cols["id"])
            prev = old_rows.get(raw.id)
            same = old is not None and prev is not None and old.articles.hash[prev] == raw.content_hash
            if same and not reparse and old_bounds is not None:
                unchanged += 1
                for f in cols:
                    cols[f].append(getattr(old.articles, f)[prev])
                lo, hi = int(old_bounds[prev]), int(old_bounds[prev + 1])
                p_article.append(np.full(hi - lo, row, dtype=np.int32))
                p_start.append(old.passage_start[lo:hi])
                p_end.append(old.passage_end[lo:hi])
                vec_parts.append(np.asarray(old.vectors[lo:hi]))
                continue
            if prev is None:
                added += 1
            elif same:
                unchanged += 1
                reparsed += 1
            else:
                changed += 1
            article = parse(raw)
            for f, v in (("id", article.id), ("title", article.title), ("source", article.source), ("date", article.date),
                         ("url", article.url), ("location", article.location), ("hash", article.content_hash), ("text", article.text)):
                cols[f].append(v)
            passages = chunk(article, chunking, encoder.count_tokens)
            p_article.append(np.full(len(passages), row, dtype=np.int32))
            p_start.append(np.array([p.start for p in passages], dtype=np.int32))
            p_end.append(np.array([p.end for p in passages], dtype=np.int32))
            if old is not None and cache is None:
                cache = _vector_cache(old, chunking)
            slots: list[int] = []
            for p in passages:
                text = index_text(article.title, p.text, chunking)
                k = _key(text)
                if cache is not None and k in cache:
                    slots.append(-1 - cache[k])  # negative: an old vector row
                    continue
                if k not in pending_at:
                    pending_at[k] = len(pending)
                    pending.append(text)
                slots.append(pending_at[k])
            vec_parts.append(slots)

        removed = len(set(old_rows) - set(cols["id"])) if old else 0
        if old is not None and not (added or changed or removed or reparsed) and old.manifest.get("bm25") == bm25.as_dict() \
                and old.manifest.get("faiss", {}).get("kind") == _dense_kind(old.passage_count, dense):
            return BuildReport(0, 0, 0, unchanged, 0, len(old.articles), old.passage_count, False,
                               round(time.perf_counter() - started, 3), scan.warnings)  # nothing to write

        if progress and pending:
            progress.start(len(pending))
        try:
            fresh = encoder.encode(pending, progress.advance if progress else None)
        finally:
            if progress and pending:
                progress.close()

        vectors = _assemble(vec_parts, fresh, old, encoder.dim)
        table = store.ArticleTable(**cols)
        pa = np.concatenate(p_article) if p_article else np.zeros(0, np.int32)
        ps = np.concatenate(p_start).astype(np.int32) if p_start else np.zeros(0, np.int32)
        pe = np.concatenate(p_end).astype(np.int32) if p_end else np.zeros(0, np.int32)
        texts = [index_text(table.title[a], table.text[a][s:e], chunking) for a, s, e in zip(pa.tolist(), ps.tolist(), pe.tolist())]
        bm = lexicon.build(lexicon.tokenize(texts, bm25), bm25)
        faiss_index = make_dense(vectors, dense)
        dates = [d for d in table.date if d]
        manifest = {
            **_settings_manifest(encoder, chunking),
            "bm25": bm25.as_dict(),
            "faiss": {"kind": _dense_kind(int(pa.shape[0]), dense), "ef_search": dense.ef_search},
            "article_count": len(table),
            "passage_count": int(pa.shape[0]),
            "newest_article_date": max(dates) if dates else None,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "articles": dict(zip(table.id, table.hash)),
        }
        data = store.IndexData(manifest, table, pa, ps, pe, vectors, faiss_index, bm)
        store.save(index_path, data, manifest)
        return BuildReport(
            added=added, changed=changed, removed=removed, unchanged=unchanged,
            passages_embedded=len(pending), articles=len(table), passages=int(pa.shape[0]),
            full=old is None, seconds=round(time.perf_counter() - started, 3), warnings=scan.warnings,
            reparsed=reparsed,
        )


def _vector_cache(old: store.IndexData, chunking: ChunkSettings) -> dict[bytes, int]:
    return {_key(index_text(old.articles.title[int(old.passage_article[i])], old.passage_text(i), chunking)): i
            for i in range(old.passage_count)}


def _assemble(parts: list[np.ndarray | list[int]], fresh: np.ndarray, old: store.IndexData | None, dim: int) -> np.ndarray:
    """Vectors in passage order from kept blocks, fresh rows (>= 0) and old rows (< 0)."""
    rows: list[np.ndarray] = []
    for part in parts:
        if isinstance(part, np.ndarray):
            rows.append(part)
        elif part:
            rows.append(np.stack([fresh[s] if s >= 0 else np.asarray(old.vectors[-1 - s]) for s in part]))  # type: ignore[union-attr]
    return np.concatenate(rows).astype(np.float32, copy=False) if rows else np.zeros((0, dim), np.float32)
