"""The index directory: manifest, articles, passages, vectors, FAISS and BM25.

Layout: the configured path (say var/index) is a symlink to a sibling version folder
(var/.index.<stamp>). A save writes a complete new version folder, manifest last, then
swaps the symlink with one atomic rename: a reader, or a crash at any moment, sees the
old index or the new one, never a mix. A lock file serialises writers.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sitrep.index import lexicon
from sitrep.index.errors import IndexBusy, IndexCorrupt, IndexNotBuilt, IndexNotWritable
from sitrep.index.manifest import Manifest
from sitrep.index.readings import FOLDER as READINGS_FOLDER
from sitrep.index.readings import StoredReadings

_ARTICLE_FIELDS = ("id", "title", "source", "date", "url", "location", "hash", "text", "seen")


@dataclass
class ArticleTable:
    """Column-wise article metadata; row i is article i."""

    id: list[str]
    title: list[str | None]
    source: list[str | None]
    date: list[str | None]
    url: list[str | None]
    location: list[str]
    hash: list[str]
    text: list[str]
    seen: list[str | None] = field(default_factory=list)  # a date the page showed above its headline (Article.seen)

    def __len__(self) -> int:
        return len(self.id)


@dataclass
class IndexData:
    """Everything one index version holds, ready to search."""

    manifest: Manifest
    articles: ArticleTable
    passage_article: np.ndarray  # int32: row of the passage's article
    passage_start: np.ndarray  # int32: span in the article's text
    passage_end: np.ndarray
    vectors: np.ndarray  # float32 (passages, dim), unit rows
    dense: Any  # faiss.Index over vectors
    bm25: Any  # bm25s.BM25 over the passages' index text
    path: Path | None = None
    readings: StoredReadings | None = None  # every passage's sentences and words (None: read from the text)

    @property
    def passage_count(self) -> int:
        return int(self.passage_article.shape[0])

    def passage_text(self, i: int) -> str:
        a = int(self.passage_article[i])
        return self.articles.text[a][int(self.passage_start[i]) : int(self.passage_end[i])]

    def passage_ordinal(self, i: int) -> int:
        """Position of passage i within its article (passages of an article are contiguous)."""
        a = self.passage_article[i]
        first = int(np.searchsorted(self.passage_article, a, side="left"))
        return i - first

    def passage_id(self, i: int) -> str:
        return f"{self.articles.id[int(self.passage_article[i])]}#{self.passage_ordinal(i)}"


def _version_dirs(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.glob(f".{path.name}.*") if p.is_dir())


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """Hold the index's write lock, or raise IndexBusy at once."""
    _ensure_parent(path)
    lock_path = path.parent / f".{path.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy(
                f"another `sitrep index` run is updating {path}; wait for it to finish, then run again"
            ) from None
        _drop_leftovers(path)  # writers are serialised: any half-written save now is a dead one's
        yield
    finally:
        os.close(fd)


def _ensure_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".{path.name}.probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise IndexNotWritable(
            f"cannot write the index at {path} ({exc.strerror}): fix the folder's permissions "
            "or choose another with --index / SITREP_INDEX_DIR"
        ) from None


def _fsync_write(path: Path, data: bytes) -> None:
    with path.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


# Crash tests set this to stop a writer at a named point of save() (then kill it there):
# "vectors" (mid-write of the new version), "written" (complete, not yet renamed), "swap" (renamed,
# link not yet swapped). None in normal runs.
checkpoint: Callable[[str], None] | None = None


def _reached(point: str) -> None:
    if checkpoint is not None:
        checkpoint(point)


def save(path: Path, data: IndexData) -> Path:
    """Write a new version beside the current one and swap it in atomically."""
    import faiss

    _ensure_parent(path)
    stamp = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
    tmp = path.parent / f".{path.name}.{stamp}.tmp"
    final = path.parent / f".{path.name}.{stamp}"
    try:
        tmp.mkdir()
        cols = {f: getattr(data.articles, f) for f in _ARTICLE_FIELDS}
        _fsync_write(tmp / "articles.json", json.dumps(cols, ensure_ascii=False).encode())
        with (tmp / "passages.npz").open("wb") as fh:
            np.savez(fh, article=data.passage_article, start=data.passage_start, end=data.passage_end)
            fh.flush()
            os.fsync(fh.fileno())
        with (tmp / "vectors.npy").open("wb") as fh:
            np.save(fh, np.ascontiguousarray(data.vectors, dtype=np.float32))
            fh.flush()
            os.fsync(fh.fileno())
        _reached("vectors")
        if data.readings is not None:
            data.readings.save(tmp / READINGS_FOLDER)
        faiss.write_index(data.dense, str(tmp / "dense.faiss"))
        data.bm25.save(str(tmp / "bm25"), show_progress=False)
        files = {
            p.relative_to(tmp).as_posix(): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        data.manifest.files = files
        _fsync_write(tmp / "manifest.json", data.manifest.dumps().encode())
        _reached("written")
        os.rename(tmp, final)
        _reached("swap")
        _swap_link(path, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise IndexNotWritable(f"cannot write the index at {path} ({exc.strerror}): free space or fix permissions") from None
        raise
    _prune(path, keep={final})
    return final


def _swap_link(path: Path, target: Path) -> None:
    if path.exists() and not path.is_symlink():
        # A plain folder from elsewhere: move it aside once so the link can take its place.
        os.rename(path, path.parent / f".{path.name}.legacy-{int(time.time())}")
    link_tmp = path.parent / f".{path.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link_tmp.unlink()
    os.symlink(target.name, link_tmp)
    os.replace(link_tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _prune(path: Path, keep: set[Path]) -> None:
    """Drop old versions and leftovers of crashed saves; keep the newest previous one for readers."""
    versions = [p for p in _version_dirs(path) if not p.name.endswith(".tmp") and p not in keep]
    for old in versions[:-1]:
        shutil.rmtree(old, ignore_errors=True)
    _drop_leftovers(path)


def _drop_leftovers(path: Path) -> None:
    """Remove half-written versions and links of crashed saves (never this process's own)."""
    for stale in path.parent.glob(f".{path.name}.*"):
        if stale.name.endswith(f"-{os.getpid()}.tmp") or stale.name.endswith(f".link-{os.getpid()}"):
            continue
        if stale.name.endswith(".tmp") and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        elif ".link-" in stale.name and stale.is_symlink():
            stale.unlink(missing_ok=True)


def read_manifest(path: Path) -> Manifest:
    if not path.exists():
        raise IndexNotBuilt(f"no index at {path}: run `sitrep index build` first")
    try:
        text = (path / "manifest.json").read_text("utf-8")
    except FileNotFoundError:
        raise IndexCorrupt(f"the index at {path} has no manifest.json: rebuild it with `sitrep index build`") from None
    except OSError as exc:
        raise IndexCorrupt(f"the index manifest at {path} is unreadable ({exc}): rebuild it with `sitrep index build`") from None
    return Manifest.loads(text, str(path))


def load(path: Path, mmap: bool = True) -> IndexData:
    """Load and check an index; any damage becomes IndexCorrupt with the fix in its message."""
    import faiss

    bm25s = lexicon.quiet_bm25s()
    real = path.resolve()
    manifest = read_manifest(real)
    for name, size in manifest.files.items():
        f = real / name
        actual = f.stat().st_size if f.is_file() else None
        if actual != size:
            state = "missing" if actual is None else f"{actual} bytes, expected {size}"
            raise IndexCorrupt(f"the index at {path} is damaged ({name}: {state}): rebuild it with `sitrep index build`")
    try:
        cols = json.loads((real / "articles.json").read_text("utf-8"))
        cols.setdefault("seen", [None] * len(cols["id"]))  # written before seen dates were kept
        short = [f for f in _ARTICLE_FIELDS if len(cols[f]) != len(cols["id"])]
        if short:  # a writer left a column out: every article must have one of each
            raise IndexCorrupt(f"the index at {path} is damaged (articles.json: {', '.join(short)} not one per "
                               "article): rebuild it with `sitrep index build`")
        articles = ArticleTable(**{f: cols[f] for f in _ARTICLE_FIELDS})
        with np.load(real / "passages.npz") as npz:
            pa, ps, pe = npz["article"], npz["start"], npz["end"]
        vectors = np.load(real / "vectors.npy", mmap_mode="r" if mmap else None)
        dense = faiss.read_index(str(real / "dense.faiss"))
        if dense.metric_type == faiss.METRIC_INNER_PRODUCT and hasattr(dense, "hnsw"):
            faiss.downcast_index(dense).hnsw.efSearch = manifest.dense.ef_search  # type: ignore[attr-defined]
        bm25 = bm25s.BM25.load(str(real / "bm25"), mmap=mmap, show_progress=False)
        # Plain arrays over the same mapped memory: bm25s slices its score matrix twice for every query term,
        # and a slice of a np.memmap runs memmap.__getitem__ and __array_finalize__ in Python each time.
        bm25.scores = {k: np.asarray(v) if isinstance(v, np.ndarray) else v for k, v in bm25.scores.items()}
        readings = StoredReadings.load(real / READINGS_FOLDER, pa, mmap)
    except Exception as exc:  # any unreadable part means the same thing to the user
        raise IndexCorrupt(f"the index at {path} is unreadable ({type(exc).__name__}: {exc}): rebuild it with `sitrep index build`") from None
    n = int(pa.shape[0])
    if not (vectors.shape[0] == n == dense.ntotal == manifest.passage_count):
        raise IndexCorrupt(f"the index at {path} is inconsistent (passage counts differ): rebuild it with `sitrep index build`")
    return IndexData(manifest, articles, pa, ps, pe, vectors, dense, bm25, real, readings)
