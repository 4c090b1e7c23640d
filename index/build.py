"""build() and update(): bring an index (any backend) in line with the corpus, embedding only what is new.

Articles are compared by content hash with the hashes the backend holds. Unchanged articles are
left alone (unless the index was made by an older parser: then every article is parsed again, and
only passages whose text the new parser changed are embedded); new and changed ones are parsed and
chunked, and a passage whose indexed text already has a vector (an unchanged paragraph of an
edited article, or any text in the embedding cache) reuses it. Articles are written in batches as
their vectors are ready; the backend decides when readers see them (local: one atomic swap at the
end; Milvus: article by article, hash record last).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index import lexicon
from index.articles import PARSER_VERSION, Article, RawArticle, parse, scan_corpus
from index.backends import BackendConfig
from index.backends.base import Writer, text_key
from index.backends.local import DenseSettings, make_dense
from index.chunking import ChunkSettings, Passage, chunk, index_text
from index.embedcache import EmbeddingCache
from index.embedding import Encoder
from index.errors import CorpusError
from index.manifest import Manifest

__all__ = ["PARSER_VERSION", "BuildReport", "DenseSettings", "make_dense", "update"]

ENCODE_BATCH = 2048  # passages embedded, then written, at a time: a crash keeps the batches written


class ProgressSink(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def close(self) -> None: ...


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


@dataclass
class _Todo:
    article: Article
    passages: list[Passage]
    slots: list[int]  # >= 0: position in the pending texts; < 0: -1 - position in the reused vectors


def update(
    corpus_dir: Path,
    target: Path | BackendConfig,
    encoder: Encoder,
    chunking: ChunkSettings = ChunkSettings(),
    bm25: lexicon.BM25Settings = lexicon.BM25Settings(),
    dense: DenseSettings = DenseSettings(),
    *,
    full: bool = False,
    max_article_bytes: int = 5_000_000,
    progress: ProgressSink | None = None,
    cache: EmbeddingCache | None = None,
) -> BuildReport:
    """Bring the index in line with corpus_dir; full=True ignores what is there (a rebuild).

    target: a local index path, or a BackendConfig for any backend."""
    started = time.perf_counter()
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"corpus folder {corpus_dir} does not exist: create it and add .txt, .md or .jsonl "
            "articles, or point --corpus / SITREP_CORPUS_DIR at one"
        )
    config = target if isinstance(target, BackendConfig) else BackendConfig(path=Path(target))
    writer = config.writer(full=full, dense=dense)
    try:
        return _update(writer, config, corpus_dir, encoder, chunking, bm25, dense, max_article_bytes, progress, cache,
                       started)
    finally:
        writer.close()


def _update(writer: Writer, config: BackendConfig, corpus_dir: Path, encoder: Encoder, chunking: ChunkSettings,
            bm25: lexicon.BM25Settings, dense: DenseSettings, max_article_bytes: int, progress: ProgressSink | None,
            cache: EmbeddingCache | None, started: float) -> BuildReport:
    scan = scan_corpus(corpus_dir, max_article_bytes)
    if not scan.articles:
        why = f" ({len(scan.warnings)} files skipped: {scan.warnings[0]})" if scan.warnings else ""
        raise CorpusError(f"no readable articles in {corpus_dir}{why}: add .txt, .md, .html or .jsonl articles")
    old = writer.manifest
    reparse = old.check(encoder, chunking, config.where()) if old is not None else False
    hashes = writer.article_hashes()
    todo_raw: list[RawArticle] = []
    added = changed = unchanged = reparsed = 0
    for raw in scan.articles:
        prev = hashes.get(raw.id)
        if prev == raw.content_hash and not reparse:
            unchanged += 1
            continue
        if prev is None:
            added += 1
        elif prev == raw.content_hash:
            unchanged += 1
            reparsed += 1
        else:
            changed += 1
        todo_raw.append(raw)
    scanned = {a.id for a in scan.articles}
    removed = [aid for aid in hashes if aid not in scanned]
    same_settings = old is not None and old.bm25 == bm25 and (
        config.kind != "local" or old.dense.kind == dense.info(old.passage_count).kind)
    if old is not None and not (todo_raw or removed) and same_settings:
        return BuildReport(0, 0, 0, unchanged, 0, old.article_count, old.passage_count, False,
                           round(time.perf_counter() - started, 3), scan.warnings)  # nothing to write

    # Parse and chunk; find a vector for every passage whose indexed text was embedded before.
    old_keys, old_vectors = writer.old_passages([r.id for r in todo_raw if r.id in hashes])
    reuse_at = {k: i for i, k in enumerate(old_keys)}
    reused: list[np.ndarray] = []
    pending: list[str] = []
    pending_keys: list[bytes] = []
    pending_at: dict[bytes, int] = {}
    todo: list[_Todo] = []
    for raw in todo_raw:
        article = parse(raw)
        passages = chunk(article, chunking, encoder.count_tokens)
        if not passages:
            scan.warnings.append(f"{raw.location}: no article text found (nothing to index until it changes)")
        slots: list[int] = []
        for p in passages:
            text = index_text(article.title, p.text, chunking)
            k = text_key(text)
            if k in pending_at:
                slots.append(pending_at[k])
                continue
            vec = old_vectors[reuse_at[k]] if k in reuse_at else (cache.get(k) if cache is not None else None)
            if vec is not None:
                slots.append(-1 - len(reused))
                reused.append(vec)
                continue
            pending_at[k] = len(pending)
            pending.append(text)
            pending_keys.append(k)
            slots.append(pending_at[k])
        todo.append(_Todo(article, passages, slots))

    manifest = Manifest.new(encoder, chunking, bm25, config.kind)
    writer.begin(manifest)
    writer.delete(removed)
    if progress and pending:
        progress.start(len(pending))
    try:
        _embed_and_write(writer, encoder, todo, pending, pending_keys, reused, progress, cache)
    finally:
        if progress and pending:
            progress.close()
    manifest.articles = {a.id: a.content_hash for a in scan.articles}  # in scan order
    final = writer.commit(manifest)
    return BuildReport(
        added=added, changed=changed, removed=len(removed), unchanged=unchanged,
        passages_embedded=len(pending), articles=final.article_count, passages=final.passage_count,
        full=old is None, seconds=round(time.perf_counter() - started, 3), warnings=scan.warnings,
        reparsed=reparsed,
    )


def _embed_and_write(writer: Writer, encoder: Encoder, todo: Sequence[_Todo], pending: list[str],
                     pending_keys: list[bytes], reused: list[np.ndarray], progress: ProgressSink | None,
                     cache: EmbeddingCache | None) -> None:
    """Embed the pending texts a batch at a time, and write each article once all its vectors exist."""
    fresh = np.zeros((len(pending), encoder.dim), np.float32)
    done = 0  # pending texts embedded so far
    start = 0  # first article not yet written
    while start < len(todo):
        # Take articles until the batch holds ENCODE_BATCH new texts (or the rest).
        end, need = start, done
        while end < len(todo) and need - done < ENCODE_BATCH:
            need = max(need, max((s + 1 for s in todo[end].slots if s >= 0), default=need))
            end += 1
        if need > done:
            vecs = encoder.encode(pending[done:need], progress.advance if progress else None)
            fresh[done:need] = vecs
            if cache is not None:
                cache.put(pending_keys[done:need], vecs)
            done = need
        batch = todo[start:end]
        writer.upsert([t.article for t in batch], [t.passages for t in batch],
                      [_vectors(t.slots, fresh, reused, encoder.dim) for t in batch])
        start = end


def _vectors(slots: list[int], fresh: np.ndarray, reused: list[np.ndarray], dim: int) -> np.ndarray:
    if not slots:
        return np.zeros((0, dim), np.float32)
    return np.stack([fresh[s] if s >= 0 else np.asarray(reused[-1 - s], dtype=np.float32) for s in slots])
