"""What the Discord handlers do, without Discord: testable as plain async functions.

- Questions run off the event loop, one at a time behind a lock: one tokenizer and one ONNX
  session are shared. With 20 questions at once on the dev index, the last answer arrives
  within ~0.6 s p95 (benchmarks/bench_bot.py).
- /reindex runs the incremental update in a worker thread, opens the new index, then swaps
  the engine reference: a question already running keeps the engine it started with.
- Per-user rate limit, admin policy and the feedback log are small pure pieces here too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.build import BuildReport
from retrieval.engine import Engine
from retrieval.types import Answer, Query

log = logging.getLogger("sitrep.bot")


class RateLimiter:
    """At most `limit` questions per user in any `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[int, deque[float]] = {}

    def check(self, user_id: int) -> float:
        """0 if the question may go ahead (and counts it), else seconds until it may."""
        now = self.clock()
        q = self._seen.setdefault(user_id, deque())
        while q and now - q[0] >= self.window:
            q.popleft()
        if len(q) >= self.limit:
            return max(0.1, self.window - (now - q[0]))
        q.append(now)
        return 0.0


@dataclass(frozen=True)
class AdminPolicy:
    user_ids: frozenset[int] = frozenset()
    role_ids: frozenset[int] = frozenset()

    def allows(self, user_id: int, role_ids: Iterable[int], can_manage_guild: bool) -> bool:
        """Configured admins only; with none configured, members who can manage the server."""
        if self.user_ids or self.role_ids:
            return user_id in self.user_ids or bool(self.role_ids & set(role_ids))
        return can_manage_guild


def hash_user(user_id: int, salt: str = "sitrep-feedback") -> str:
    return hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()[:16]


class FeedbackLog:
    """Appends one JSON line per vote: {time, question, answer_ids, vote, user}."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, question: str, answer_ids: list[str], vote: str, user_id: int) -> dict[str, Any]:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": question,
            "answer_ids": answer_ids,
            "vote": vote,
            "user": hash_user(user_id),
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry


class ReindexBusy(Exception):
    pass


@dataclass
class QAService:
    engine: Engine
    open_engine: Callable[[], Engine]  # loads the index afresh (after a reindex)
    run_update: Callable[[], BuildReport]  # the incremental update of the bot's corpus
    limiter: RateLimiter = field(default_factory=RateLimiter)
    admins: AdminPolicy = field(default_factory=AdminPolicy)
    feedback: FeedbackLog | None = None
    k: int = 10
    pull_feeds: Callable[[], Any] | None = None  # fetches the feeds' new items into the corpus (a PullReport)
    last_refresh: dict[str, Any] | None = None  # what the last scheduled refresh did, for /status
    _model_lock: threading.Lock = field(default_factory=threading.Lock)
    _reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def _ask_sync(self, engine: Engine, question: str) -> Answer:
        with self._model_lock:
            return engine.ask(Query(question, k=self.k))

    async def ask(self, question: str) -> tuple[Answer, Engine]:
        """Answer off the event loop; returns the engine used, so rendering matches it."""
        engine = self.engine  # captured: a swap during the question does not affect it
        answer = await asyncio.to_thread(self._ask_sync, engine, question)
        return answer, engine

    def status(self) -> dict[str, Any]:
        return {**self.engine.status(), "last_refresh": self.last_refresh}

    @property
    def reindexing(self) -> bool:
        return self._reindexing.locked()

    async def reindex(self) -> BuildReport:
        """Update the index in a worker thread and swap the engine in; one at a time."""
        if self._reindexing.locked():
            raise ReindexBusy("a reindex is already running; wait for it to finish")
        async with self._reindexing:
            report = await asyncio.to_thread(self.run_update)
            if report.added or report.changed or report.removed or report.full:
                self.engine = await asyncio.to_thread(self.open_engine)
            return report

    async def refresh(self) -> dict[str, Any] | None:
        """The scheduled refresh: pull the feeds (if any), update the index, swap the engine in, as
        /reindex does. Never raises: a failure is recorded for /status and the old index keeps
        answering. Skipped (None) while a reindex or the previous refresh still runs."""
        if self._reindexing.locked():
            return None
        async with self._reindexing:
            info: dict[str, Any] = {"at": datetime.now(UTC).isoformat(timespec="seconds")}
            try:
                if self.pull_feeds is not None:
                    pulled = await asyncio.to_thread(self.pull_feeds)
                    info["saved_from_feeds"] = len(pulled.saved)
                    info["feed_failures"] = len(pulled.failures)
                report = await asyncio.to_thread(self.run_update)
                info.update(added=report.added, changed=report.changed, removed=report.removed)
                if report.added or report.changed or report.removed or report.full:
                    self.engine = await asyncio.to_thread(self.open_engine)
            except Exception as exc:  # the bot must keep answering from the index it has
                log.exception("scheduled refresh failed")
                info["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.last_refresh = info
            return info
