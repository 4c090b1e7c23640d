"""What the Discord handlers do, without Discord: testable as plain async functions.

- Questions run off the event loop, one at a time behind a lock: one tokenizer and one ONNX
  session are shared. With 20 questions at once on the dev index, the last answer arrives
  within ~0.6 s p95 (benchmarks/bench_bot.py).
- /reindex runs the incremental update in a worker thread, opens the new index, then swaps
  the engine reference: a question already running keeps the engine it started with.
- Per-user rate limit, admin policy, channel scopes and the feedback log: chat/policy.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sitrep.answer.engine import Engine
from sitrep.chat.errors import ReindexBusy
from sitrep.chat.policy import AdminPolicy, FeedbackLog, RateLimiter, Scope
from sitrep.index.build import BuildReport
from sitrep.retrieval.conversation import Conversation
from sitrep.retrieval.types import Answer, Query

log = logging.getLogger("sitrep.bot")
K = TypeVar("K")
V = TypeVar("V")


class ConversationStore:
    """Conversations by Discord channel (a thread the bot started, or a DM), so a follow-up does not
    re-read the channel's history. Bounded: at most `size` kept (least recently used dropped), none
    idle longer than `idle_s`, a deleted thread's dropped at once. A miss is rebuilt from the
    channel's history (the bot's answers carry their turns), so a restart loses nothing."""

    def __init__(self, size: int = 500, idle_s: float = 24 * 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.idle_s, self.clock = size, idle_s, clock
        self._items: OrderedDict[int, tuple[Conversation, float]] = OrderedDict()

    def get(self, key: int) -> Conversation | None:
        self._expire()
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: int, conversation: Conversation) -> None:
        self._items[key] = (conversation, self.clock())
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def drop(self, key: int) -> None:
        self._items.pop(key, None)

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, (_, seen) in self._items.items() if now - seen > self.idle_s]:
            del self._items[key]

    def __len__(self) -> int:
        self._expire()
        return len(self._items)


@dataclass(frozen=True)
class Sent:
    """An answer as it was sent: what its buttons need for an exact reply."""

    answer: Answer
    meta: Any  # the engine's Meta of the answer's articles
    shown: int  # citations shown in the message; More sources lists the rest


class Recent(Generic[K, V]):
    """The last `size` items put (the answers and briefs the bot sent, for their buttons); older ones are
    re-derived from their message."""

    def __init__(self, size: int = 500) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        return self._items.get(key)


def settle() -> None:
    """Move what is loaded for good (the model, the index, discord.py's caches) out of the garbage
    collector's reach: a full collection walking it paused the event loop by 50-100 ms now and then
    (benchmarks/bench_load.py). Called once the bot is set up and after each swap of the engine."""
    import gc

    gc.collect()
    gc.freeze()


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
    add_pages: Callable[[list[str]], tuple[list[Any], list[str]]] | None = None  # App.add_pages: pages into the corpus
    feed_list: Any = None  # sitrep.feeds.ingest.FeedList: the feeds the refresh pulls (/feeds)
    remove_article: Callable[[Any, str], tuple[Any, Any]] | None = None  # App.remove_article: (backend, ref) -> (meta, kept)
    probe_feed: Callable[[str], Any] | None = None  # App.probe_feed: a feed (or the one a page names) read once
    last_refresh: dict[str, Any] | None = None  # what the last scheduled refresh did, for /status
    conversations: ConversationStore = field(default_factory=ConversationStore)
    answers: Recent[int, Sent] = field(default_factory=Recent)  # the last answers sent (by message id), for their buttons
    briefs: Recent[tuple[Any, ...], Any] = field(default_factory=lambda: Recent(50))  # the last briefs, by what was asked
    scopes: dict[int, Scope] = field(default_factory=dict)  # channel id -> its default source / since
    follower: Any = None  # sitrep.follows.follower.Follower over the follow database; None: follows are off
    follow_error: str | None = None  # why follows are off (the database could not be opened), for /follow and /status
    after_update: list[Callable[[], Any]] = field(default_factory=list)  # coroutines run after an update changed the index
    _model_lock: threading.Lock = field(default_factory=threading.Lock)
    _reindexing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def _ask_sync(self, engine: Engine, query: Query, conversation: Conversation | None) -> Answer:
        with self._model_lock:
            return engine.ask(query, conversation)

    async def ask(self, question: str | Query, conversation: Conversation | None = None) -> tuple[Answer, Engine]:
        """Answer off the event loop (in a conversation: as its next turn); returns the engine used,
        so rendering matches it."""
        engine = self.engine  # captured: a swap during the question does not affect it
        query = question if isinstance(question, Query) else Query(question, k=self.k)
        answer = await asyncio.to_thread(self._ask_sync, engine, query, conversation)
        return answer, engine

    def query(self, question: str, channel_id: int | None, *, source: str | None = None, since: str | None = None,
              as_of: str | None = None, k: int | None = None) -> Query:
        """The question with the channel's scope under the asker's own options; a bad date or span
        raises BadOption (one line for the user)."""
        from sitrep.retrieval.dates import ask_window

        scope = self.scopes.get(channel_id or 0, Scope())
        start, day = ask_window(since or scope.since, as_of, datetime.now(UTC).date())
        return Query(question, k=k or self.k, source=source or scope.source, as_of=day, since=start)

    async def brief(self, topic: str, since: Any = None, until: Any = None, source: str | None = None,
                    max_entries: int | None = None) -> Any:
        """A topic's brief off the event loop (the topic is embedded: one model user at a time)."""
        engine = self.engine

        def run() -> Any:
            with self._model_lock:
                return engine.brief(topic, since, until, source, max_entries)
        return await asyncio.to_thread(run)

    async def check_follows(self) -> Any:
        """(report, newest arrival) of every follow against what arrived since its last check; None when off."""
        if self.follower is None:
            return None
        engine = self.engine

        def run() -> Any:
            with self._model_lock:
                return self.follower.check(engine)
        return await asyncio.to_thread(run)

    async def check_waits(self) -> tuple[list[Any], int, Engine]:
        """(the waiting questions a new story answers, the newest arrival, the engine that answered them); each
        question takes the model lock on its own, so questions asked meanwhile are not held behind them all."""
        from sitrep.follows.waiting import WaitStore

        engine = self.engine
        waits = WaitStore(self.follower.store)

        def run() -> tuple[list[Any], int]:
            return waits.answered(engine.backend.article_hashes(), lambda q: self._ask_sync(engine, q, None), self.k)
        found, seq = await asyncio.to_thread(run)
        return found, seq, engine

    async def _updated(self) -> None:
        """Tell whoever waits for new articles (follows); a failure there never stops the bot."""
        for hook in list(self.after_update):
            try:
                await hook()
            except Exception:
                log.exception("after-update hook failed")

    def status(self) -> dict[str, Any]:
        return {**self.engine.status(), "last_refresh": self.last_refresh}

    def outlets(self, typed: str = "") -> list[str]:
        """The index's outlets that contain what was typed, for a source option's autocomplete (Discord
        shows 25 at most)."""
        typed = typed.lower().strip()
        return [o for o in self.engine.backend.stats().outlets if typed in o.lower()][:25]

    @property
    def reindexing(self) -> bool:
        return self._reindexing.locked()

    async def _update_and_swap(self) -> BuildReport:
        """The incremental update in a worker thread, then the new index swapped in if it changed (questions
        already running finish on the old one). The caller holds the reindex lock."""
        report = await asyncio.to_thread(self.run_update)
        if report.added or report.changed or report.removed or report.full:
            self.engine = await asyncio.to_thread(self.open_engine)
        settle()
        return report

    async def reindex(self) -> BuildReport:
        """Update the index in a worker thread and swap the engine in; one at a time."""
        if self._reindexing.locked():
            raise ReindexBusy("a reindex is already running; wait for it to finish")
        async with self._reindexing:
            report = await self._update_and_swap()
        if report.added or report.changed:
            await self._updated()
        return report

    async def add_page(self, url: str) -> tuple[Any, BuildReport | None]:
        """/add: one news page into the corpus (fetched in a worker thread, every limit of a feed's
        page), then the update and the swap as /reindex does; one at a time with them. The page saved
        (sitrep.feeds.ingest.Page) and the update's report (None when the corpus already held it); a
        page that cannot be used raises FetchError with its one line."""
        from sitrep.feeds.errors import FetchError

        if self.add_pages is None:
            raise FetchError("adding pages is not set up in this bot")
        if self._reindexing.locked():
            raise ReindexBusy("a reindex or refresh is running; add the page when it has finished")
        async with self._reindexing:
            pages, failures = await asyncio.to_thread(self.add_pages, [url])
            if not pages:
                raise FetchError(failures[0] if failures else f"{url}: nothing to add")
            report = None
            if pages[0].saved:
                report = await self._update_and_swap()
        if report is not None and (report.added or report.changed):
            await self._updated()  # followed topics hear of it as of any new story
        return pages[0], report

    async def remove(self, ref: str) -> tuple[Any, Any, BuildReport]:
        """/remove: one article out of the corpus (its file kept aside), then the update and the swap as
        /reindex does; one at a time with them. (its metadata, where the file went, the update's report)."""
        from sitrep.corpus.errors import CorpusError

        if self.remove_article is None:
            raise CorpusError("removing articles is not set up in this bot")
        if self._reindexing.locked():
            raise ReindexBusy("a reindex or refresh is running; remove the article when it has finished")
        async with self._reindexing:
            meta, kept = await asyncio.to_thread(self.remove_article, self.engine.backend, ref)
            report = await self._update_and_swap()
        return meta, kept, report

    def article_ids(self, typed: str, limit: int = 25) -> list[str]:
        """Indexed articles whose id (their file) holds what was typed, for /remove's autocomplete."""
        typed = typed.lower().strip()
        if len(typed) < 2:
            return []
        return [a for a in self.engine.backend.article_hashes() if typed in a.lower()][:limit]

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
                report = await self._update_and_swap()
                info.update(added=report.added, changed=report.changed, removed=report.removed)
            except Exception as exc:  # the bot must keep answering from the index it has
                log.exception("scheduled refresh failed")
                info["error"] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.last_refresh = info
        if info.get("added") or info.get("changed"):
            await self._updated()
        return info
