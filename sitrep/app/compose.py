"""The one composition root: every front-end — the CLI's commands, the REPL, the Discord bot — is built
from an `App`, so the encoder, the index target, the engine, the index updater, the feed fetcher and the
follow database are made the same way, from the same settings, in one place.

    app = App(load_settings())            # tests: App(settings, make_encoder=fake)
    engine = app.engine(app.target())     # --backend / --index override the settings
    report = app.update(app.target(), corpus)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sitrep.answer.engine import Engine
from sitrep.app.settings import Settings
from sitrep.app.threads import quiet_blas
from sitrep.corpus.errors import CorpusError
from sitrep.feeds import ingest
from sitrep.feeds.errors import FetchError
from sitrep.follows.follower import Follower
from sitrep.follows.state import FollowStore
from sitrep.index import build
from sitrep.index.backends import BackendConfig
from sitrep.index.embedcache import EmbeddingCache
from sitrep.index.embedding import Encoder, query_encoder
from sitrep.index.errors import IndexStoreError

MakeEncoder = Callable[[Settings], Encoder]
_ENCODERS: dict[tuple[Any, ...], Encoder] = {}


def default_encoder(settings: Settings) -> Encoder:
    """One encoder for questions and indexing: the ONNX export of the packaged model (the same vectors
    as sentence-transformers on torch, about twice its rate here), torch only if the export cannot be
    had (logged). Made once a process: the bot and `eval` both index and ask."""
    key = (settings.model_dir, settings.model_cache_dir, settings.embed_batch_size, settings.onnx_int8, settings.question_int8)
    if key not in _ENCODERS:
        # numpy's BLAS on one thread, and then the question session's threads spin (app/threads.py)
        _ENCODERS[key] = query_encoder(settings.model_dir, settings.model_cache_dir, batch_size=settings.embed_batch_size,
                                       int8=settings.onnx_int8, spin=quiet_blas(), question_int8=settings.question_int8)
    return _ENCODERS[key]


class App:
    """What the front-ends are made of. `make_encoder` replaces the real encoder (tests pass a fake);
    with a fake, updates run in this process (the fake lives here), else a running bot updates in a
    child process (see `updater`)."""

    def __init__(self, settings: Settings, make_encoder: MakeEncoder | None = None) -> None:
        self.settings = settings
        self.make_encoder: MakeEncoder = make_encoder or default_encoder
        self.real_encoder = make_encoder is None

    def encoder(self) -> Encoder:
        return self.make_encoder(self.settings)

    def target(self, backend: str | None = None, index: str | Path | None = None) -> BackendConfig:
        """Where the index lives: the settings, unless a front-end's option names another backend or folder."""
        return self.settings.backend_config(backend, str(index) if index is not None else None)

    def engine(self, target: BackendConfig) -> Engine:
        return Engine.open(target, self.encoder(), params=self.settings.retrieval(), answer_params=self.settings.answering())

    def update(self, target: BackendConfig, corpus: Path, *, full: bool = False, progress: Any = None,
               encoder: Encoder | None = None) -> build.BuildReport:
        s = self.settings
        enc = encoder or self.encoder()
        return build.update(corpus, target, enc, s.chunking(), s.bm25(), s.dense(), full=full,
                            max_article_bytes=int(s.max_article_mb * 1_000_000), progress=progress,
                            cache=EmbeddingCache(Path(s.embed_cache_dir), enc.fingerprint, enc.dim))

    def updater(self, target: BackendConfig) -> Callable[[], build.BuildReport]:
        """The bot's update of the corpus folder: in a child process with the real encoder (the update's
        pure-Python work would stall the event loop), in this process with a test's encoder."""
        corpus = Path(self.settings.corpus_dir)
        if not self.real_encoder:
            return lambda: self.update(target, corpus)
        where = ["--index", str(target.path)] if target.kind == "local" else []
        return lambda: update_in_child(["--corpus", str(corpus), "--backend", target.kind, *where])

    def eval_target(self, target: BackendConfig, cache_dir: Path, name: str) -> BackendConfig:
        """A dataset's index: var/eval/<name>/index locally; on Milvus a collection of its own, in a
        milvus-lite file under var/eval/<name>/ unless SITREP_MILVUS_URI names a server."""
        if target.kind == "local":
            return replace(target, path=cache_dir / "index")
        collection = "eval_" + "".join(c if c.isalnum() else "_" for c in name)
        uri = target.uri if "://" in target.uri else str(cache_dir / "milvus.db")
        return replace(target, uri=uri, collection=collection)

    def feed_list(self) -> ingest.FeedList:
        return ingest.FeedList(Path(self.settings.feeds), Path(self.settings.feeds_state))

    def fetcher(self) -> ingest.Fetcher:
        s = self.settings
        return ingest.Fetcher(ingest.FetchSettings(timeout=s.feed_timeout_s, host_delay=s.feed_host_delay_s,
                                                   allow_private=s.feeds_allow_private, max_items=s.feed_max_items,
                                                   feed_budget=s.feed_budget_s, forget_days=s.feed_forget_days, read_timeout=s.feed_read_s,
                                                   read_memory_mb=s.feed_read_mb,
                                                   max_bytes=int(s.max_article_mb * 1e6)))

    def pull_feeds(self, corpus: Path | None = None) -> ingest.PullReport:
        """Every listed feed's new items into the corpus folder (not the index: see update)."""
        fetcher = self.fetcher()
        try:
            return ingest.pull(self.feed_list().urls(), corpus or Path(self.settings.corpus_dir),
                               Path(self.settings.feeds_state), fetcher)
        finally:
            fetcher.close()

    def probe_feed(self, url: str) -> ingest.FeedProbe:
        """A feed read before it is listed (or the feed a page names); FetchError or CorpusError with one line."""
        fetcher = self.fetcher()
        try:
            return ingest.probe_feed(url, fetcher)
        finally:
            fetcher.close()

    def add_pages(self, urls: list[str], corpus: Path | None = None) -> tuple[list[ingest.Page], list[str]]:
        """News pages by their addresses into the corpus folder (not the index: see update): the pages
        saved or already there, and one line for each that could not be used."""
        fetcher = self.fetcher()
        pages: list[ingest.Page] = []
        failures: list[str] = []
        try:
            for url in urls:
                try:
                    pages.append(ingest.add_page(url, corpus or Path(self.settings.corpus_dir), fetcher))
                except (FetchError, CorpusError) as exc:
                    failures.append(f"{url.strip()}: {exc}")
        finally:
            fetcher.close()
        return pages, failures

    def remove_article(self, backend: Any, ref: str, corpus: Path | None = None,
                       target: BackendConfig | None = None) -> tuple[Any, Path]:
        """Take one article out of the corpus folder by its id (its file, as a source list shows it) or its
        web address: the file is moved, not deleted, to <index folder's parent>/removed/<time>/<its path> (the
        local index's folder, else SITREP_INDEX_DIR's), so nothing is lost; the index is the caller's to
        update. (its metadata, where it went); CorpusError with one line when there is no such article or it
        is not a file of its own."""
        import shutil
        from datetime import UTC, datetime

        corpus = Path(corpus or self.settings.corpus_dir)
        ref = ref.strip()
        ids = list(backend.article_hashes())
        found = ref if ref in ids else None
        meta = backend.articles([found] if found else ids)
        if found is None:
            found = next((a for a, m in meta.items() if ref and ref in (m.url, m.location)), None)
        if found is None:
            raise CorpusError(f"no article {ref!r} in the index: give its file as the sources show it, or its web address")
        path = (corpus / found).resolve()
        if not path.is_relative_to(corpus.resolve()) or not path.is_file():
            raise CorpusError(f"{found!r} is not a file of its own in {corpus} (a record of a .jsonl file?): "
                              "remove it there, then run `sitrep index update`")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        index = target.path if target is not None and target.kind == "local" else Path(self.settings.index_dir)
        kept = Path(index).parent / "removed" / stamp / found
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, kept)
        return meta[found], kept

    def follow_store(self) -> FollowStore:
        return FollowStore(self.settings.state_file())

    def follower(self, store: FollowStore | None = None) -> Follower:
        return Follower(store or self.follow_store(), self.settings.follow_digest_after)


def update_in_child(argv: list[str], env: dict[str, str] | None = None) -> build.BuildReport:
    """`sitrep index update --json <argv>` in a child process: the update's pure-Python work (parsing,
    chunking, BM25) holds the GIL for long stretches, and in the bot's own process that stalled the
    event loop by ~100 ms during a refresh (benchmarks/bench_load.py). A refusal or failure is the child's
    one line, raised as IndexStoreError; the index is the child's to write, as a CLI run's would be."""
    done = subprocess.run([sys.executable, "-m", "sitrep.cli", "index", "update", "--json", *argv], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise IndexStoreError((lines[-1] if lines else f"the update stopped (exit {done.returncode})").removeprefix("sitrep: "))
    report = build.BuildReport(**json.loads(done.stdout.strip().splitlines()[-1]))
    report.warnings.extend(line.removeprefix("warning: ") for line in done.stderr.splitlines() if line.startswith("warning: "))
    return report
