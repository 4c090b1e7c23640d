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
from typing import Any, NamedTuple, Protocol

import numpy as np

from sitrep.corpus.articles import PARSER_VERSION, Article, RawArticle, parse, scan_corpus
from sitrep.corpus.errors import CorpusError
from sitrep.index import lexicon
from sitrep.index.backends import BackendConfig
from sitrep.index.backends.base import Writer, text_key
from sitrep.index.backends.settings import DenseSettings
from sitrep.index.chunking import ChunkSettings, Passage, chunk, index_text
from sitrep.index.embedcache import EmbeddingCache
from sitrep.index.embedding import Encoder
from sitrep.index.manifest import Manifest

__all__ = ["PARSER_VERSION", "BuildReport", "DenseSettings", "update"]

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


class Slot(NamedTuple):
    """Where a passage's vector comes from: `fresh` (embedded by this update) or `reused` (the index's
    old vector for the same text, or the embedding cache's), at position `at` in that list."""
    fresh: bool
    at: int


@dataclass
class _Todo:
    article: Article
    passages: list[Passage]
    slots: list[Slot]  # one per passage


@dataclass
class Plan:
    """What the corpus asks of the index: the articles to (re)write, the ids to drop, and the counts."""
    todo: list[RawArticle] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    reparsed: int = 0  # unchanged, but parsed again: the index was made by an older parser


@dataclass
class Vectors:
    """Texts still to embed (in order, each once) and vectors found without embedding."""
    pending: list[str] = field(default_factory=list)
    pending_keys: list[bytes] = field(default_factory=list)
    reused: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """How an update runs: the encoder and the settings the index is built with."""
    encoder: Encoder
    chunking: ChunkSettings
    bm25: lexicon.BM25Settings
    dense: DenseSettings
    max_article_bytes: int
    progress: ProgressSink | None
    cache: EmbeddingCache | None


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
    job = Job(encoder, chunking, bm25, dense, max_article_bytes, progress, cache)
    writer = config.writer(full=full, dense=dense)
    try:
        return _update(writer, config, corpus_dir, job, started)
    finally:
        writer.close()


def _update(writer: Writer, config: BackendConfig, corpus_dir: Path, job: Job, started: float) -> BuildReport:
    """Scan, plan, find or embed the vectors, write, commit."""
    scan = scan_corpus(corpus_dir, job.max_article_bytes)
    if not scan.articles:
        why = f" ({len(scan.warnings)} files skipped: {scan.warnings[0]})" if scan.warnings else ""
        raise CorpusError(f"no readable articles in {corpus_dir}{why}: add .txt, .md, .html or .jsonl articles")
    old = writer.manifest
    reparse = old.check(job.encoder, job.chunking, config.where()) if old is not None else False
    hashes = writer.article_hashes()
    plan = plan_update(scan.articles, hashes, reparse)
    same_settings = old is not None and old.bm25 == job.bm25 and (
        config.kind != "local" or old.dense.kind == job.dense.info(old.passage_count).kind)
    if old is not None and not (plan.todo or plan.removed) and same_settings:
        return BuildReport(0, 0, 0, plan.unchanged, 0, old.article_count, old.passage_count, False,
                           round(time.perf_counter() - started, 3), scan.warnings)  # nothing to write
    old_keys, old_vectors = writer.old_passages([r.id for r in plan.todo if r.id in hashes])
    todo, vectors = prepare(plan.todo, dict(zip(old_keys, old_vectors)), job, scan.warnings)
    manifest = Manifest.new(job.encoder, job.chunking, job.bm25, config.kind)
    writer.begin(manifest)
    writer.delete(plan.removed)
    progress = job.progress if vectors.pending else None
    if progress:
        progress.start(len(vectors.pending))
    try:
        _embed_and_write(writer, job.encoder, todo, vectors, progress, job.cache)
    finally:
        if progress:
            progress.close()
    manifest.articles = {a.id: a.content_hash for a in scan.articles}  # in scan order
    final = writer.commit(manifest)
    return BuildReport(
        added=plan.added, changed=plan.changed, removed=len(plan.removed), unchanged=plan.unchanged,
        passages_embedded=len(vectors.pending), articles=final.article_count, passages=final.passage_count,
        full=old is None, seconds=round(time.perf_counter() - started, 3), warnings=scan.warnings,
        reparsed=plan.reparsed,
    )


def plan_update(scanned: Sequence[RawArticle], hashes: dict[str, str], reparse: bool) -> Plan:
    """Compare the corpus with the hashes the index holds: new and changed articles are to be written
    (every one, when `reparse`: the parser is newer than the index), missing ones removed."""
    plan = Plan()
    for raw in scanned:
        prev = hashes.get(raw.id)
        if prev == raw.content_hash and not reparse:
            plan.unchanged += 1
            continue
        if prev is None:
            plan.added += 1
        elif prev == raw.content_hash:
            plan.unchanged += 1
            plan.reparsed += 1
        else:
            plan.changed += 1
        plan.todo.append(raw)
    ids = {a.id for a in scanned}
    plan.removed = [aid for aid in hashes if aid not in ids]
    return plan


def prepare(todo_raw: Sequence[RawArticle], old: dict[bytes, np.ndarray], job: Job,
            warnings: list[str]) -> tuple[list[_Todo], Vectors]:
    """Parse and chunk the articles to write; give every passage a slot: a vector its indexed text
    already has (`old`: the index's, by text key; then the embedding cache), else a text to embed
    (each distinct text once)."""
    vectors = Vectors()
    pending_at: dict[bytes, int] = {}
    todo: list[_Todo] = []
    for raw in todo_raw:
        article = parse(raw)
        passages = chunk(article, job.chunking, job.encoder.count_tokens)
        if not passages:
            warnings.append(f"{raw.location}: no article text found (nothing to index until it changes)")
        slots: list[Slot] = []
        for p in passages:
            text = index_text(article.title, p.text, job.chunking)
            k = text_key(text)
            if k in pending_at:
                slots.append(Slot(True, pending_at[k]))
                continue
            vec = old.get(k)
            if vec is None and job.cache is not None:
                vec = job.cache.get(k)
            if vec is not None:
                slots.append(Slot(False, len(vectors.reused)))
                vectors.reused.append(vec)
                continue
            pending_at[k] = len(vectors.pending)
            vectors.pending.append(text)
            vectors.pending_keys.append(k)
            slots.append(Slot(True, pending_at[k]))
        todo.append(_Todo(article, passages, slots))
    return todo, vectors


def _embed_and_write(writer: Writer, encoder: Encoder, todo: Sequence[_Todo], vectors: Vectors,
                     progress: ProgressSink | None, cache: EmbeddingCache | None) -> None:
    """Embed the pending texts a batch at a time, and write each article once all its vectors exist."""
    pending = vectors.pending
    fresh = np.zeros((len(pending), encoder.dim), np.float32)
    done = 0  # pending texts embedded so far
    start = 0  # first article not yet written
    while start < len(todo):
        # Take articles until the batch holds ENCODE_BATCH new texts (or the rest).
        end, need = start, done
        while end < len(todo) and need - done < ENCODE_BATCH:
            need = max(need, max((s.at + 1 for s in todo[end].slots if s.fresh), default=need))
            end += 1
        if need > done:
            vecs = encoder.encode(pending[done:need], progress.advance if progress else None)
            fresh[done:need] = vecs
            if cache is not None:
                cache.put(vectors.pending_keys[done:need], vecs)
            done = need
        batch = todo[start:end]
        writer.upsert([t.article for t in batch], [t.passages for t in batch],
                      [_stack(t.slots, fresh, vectors.reused, encoder.dim) for t in batch])
        start = end


def _stack(slots: list[Slot], fresh: np.ndarray, reused: list[np.ndarray], dim: int) -> np.ndarray:
    if not slots:
        return np.zeros((0, dim), np.float32)
    return np.stack([fresh[s.at] if s.fresh else np.asarray(reused[s.at], dtype=np.float32) for s in slots])
