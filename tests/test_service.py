"""The bot's logic without Discord: rate limit, admin policy, feedback, engine swap, reindex."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from sitrep.answer.engine import Engine
from sitrep.chat.errors import ReindexBusy
from sitrep.chat.policy import AdminPolicy, FeedbackLog, RateLimiter, hash_user
from sitrep.chat.service import QAService
from sitrep.index.build import update
from sitrep.index.errors import IndexUnavailable
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder, target


def test_rate_limiter_window() -> None:
    now = [0.0]
    rl = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert rl.check(1) == 0 and rl.check(1) == 0
    assert rl.check(1) == pytest.approx(60)
    assert rl.check(2) == 0  # per user
    now[0] = 30
    assert rl.check(1) == pytest.approx(30)
    now[0] = 60.5
    assert rl.check(1) == 0


def test_admin_policy() -> None:
    open_ = AdminPolicy()
    assert open_.allows(1, [], can_manage_guild=True) and not open_.allows(1, [], can_manage_guild=False)
    strict = AdminPolicy(frozenset({7}), frozenset({99}))
    assert strict.allows(7, [], False) and strict.allows(8, [99], False)
    assert not strict.allows(8, [5], True)  # Manage Server is not enough once admins are configured


def test_feedback_log(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "fb" / "feedback.jsonl")
    log.record("What did China propose?", ["a.txt"], "up", 1234)
    entry = json.loads((tmp_path / "fb" / "feedback.jsonl").read_text())
    assert set(entry) == {"time", "question", "answer_ids", "vote", "user"}
    assert entry["user"] == hash_user(1234) and "1234" not in entry["user"]


def make_service(seed_corpus: Path, tmp_path: Path, backend_kind: str) -> QAService:
    enc = FakeEncoder()
    idx = target(backend_kind, tmp_path)
    update(seed_corpus, idx, enc)
    return QAService(Engine.open(idx, enc), lambda: Engine.open(idx, enc), lambda: update(seed_corpus, idx, enc))


@pytest.fixture
def service(seed_corpus: Path, tmp_path: Path, backend_kind: str) -> QAService:
    return make_service(seed_corpus, tmp_path, backend_kind)


@pytest.fixture
def local_service(seed_corpus: Path, tmp_path: Path) -> QAService:
    """For the refresh schedule, which sits above the swap the backend tests already cover."""
    return make_service(seed_corpus, tmp_path, "local")


class CountingEngine:
    """An Engine stand-in that records how many questions run inside it at once, and can hold
    a question until the test lets it go (a fake: it answers with the real engine)."""

    def __init__(self, inner: Engine) -> None:
        self.inner, self.backend = inner, inner.backend
        self.running = self.most_at_once = 0
        self.entered, self.release = threading.Event(), threading.Event()
        self.release.set()
        self._lock = threading.Lock()

    def ask(self, query, conversation=None):  # type: ignore[no-untyped-def]
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.entered.set()
        try:
            time.sleep(0.002)  # long enough for a second thread to get in, if the service let it
            self.release.wait(10)
            return self.inner.ask(query, conversation)
        finally:
            with self._lock:
                self.running -= 1

    def status(self) -> dict:
        return self.inner.status()


async def test_twenty_questions_at_once_run_one_at_a_time(service: QAService) -> None:
    alone = {f"Shaheen air exercise {i}": service.engine.ask(Query(f"Shaheen air exercise {i}", k=service.k)) for i in range(20)}
    counting = CountingEngine(service.engine)
    service.engine = counting  # type: ignore[assignment]
    answers = await asyncio.gather(*(service.ask(q) for q in alone))
    assert counting.most_at_once == 1  # one tokenizer and one model session: questions are serialised
    for (answer, used), (question, expected) in zip(answers, alone.items(), strict=True):
        assert used is counting and answer.question == question
        assert [h.passage_id for h in answer.hits] == [h.passage_id for h in expected.hits]  # each got its own answer


async def test_reindex_swaps_engine_and_in_flight_questions_finish(service: QAService, seed_corpus: Path,
                                                                   backend_kind: str) -> None:
    old = CountingEngine(service.engine)
    old.release.clear()  # the question will be held inside the old engine until the swap is done
    service.engine = old  # type: ignore[assignment]
    (seed_corpus / "new.txt").write_text("Floods in Assam\n\nHeavy floods displaced thousands in Assam on Monday.\n")
    question = asyncio.create_task(service.ask("Floods Assam"))
    assert await asyncio.to_thread(old.entered.wait, 10)  # running now, on the old engine
    report = await service.reindex()
    assert report.added == 1 and service.engine is not old and old.running == 1  # swapped mid-question
    old.release.set()
    answer, used = await question
    assert used is old and answer.hits  # it finished on the engine it started with ...
    if backend_kind == "local":  # ... which, on a local index (one version folder each), does not know the new
        # article; Milvus collections are updated in place, so a question in flight may see it (docs/backends.md)
        assert "new.txt" not in {h.article_id for h in answer.hits}
    fresh, _ = await service.ask("Floods Assam")
    assert fresh.hits[0].article_id == "new.txt"  # the next question sees it
    assert service.status()["articles"] == 6
    assert service.status()["backend"] == service.engine.backend.name


async def test_a_failed_reindex_keeps_answering_from_the_old_index(service: QAService) -> None:
    def unreachable() -> None:
        raise IndexUnavailable("cannot reach Milvus at http://127.0.0.1:1: start the server or fix SITREP_MILVUS_URI")

    old = service.engine
    service.run_update = unreachable  # type: ignore[assignment]
    with pytest.raises(IndexUnavailable, match="cannot reach Milvus"):
        await service.reindex()
    answer, used = await service.ask("Shaheen air exercise")
    assert service.engine is old and used is old and answer.hits and not service.reindexing


async def test_second_reindex_is_told_to_wait(service: QAService) -> None:
    first = asyncio.create_task(service.reindex())
    await asyncio.sleep(0)
    assert service.reindexing
    with pytest.raises(ReindexBusy, match="wait"):
        await service.reindex()
    await first


async def test_scheduled_refresh_pulls_updates_and_swaps(local_service: QAService, seed_corpus: Path) -> None:
    from sitrep.feeds.ingest import PullReport

    def pull() -> PullReport:  # a feed pull that saved one story into the corpus
        (seed_corpus / "feeds").mkdir(exist_ok=True)
        (seed_corpus / "feeds" / "floods.md").write_text(
            "---\ntitle: Floods in Assam\ndate: 2024-07-03\nsource: The Daily Ledger\n---\n"
            "Heavy floods displaced thousands of people in Assam on Monday, officials said.\n")
        return PullReport(feeds=1, items=1, saved=["feeds/floods.md"])

    old = local_service.engine
    local_service.pull_feeds = pull
    info = await local_service.refresh()
    assert info is not None and (info["added"], info["saved_from_feeds"], info["feed_failures"]) == (1, 1, 0)
    assert local_service.engine is not old and local_service.status()["articles"] == 6
    assert local_service.status()["last_refresh"] == info
    again = await local_service.refresh()  # nothing new: no swap
    assert again is not None and again["added"] == 0 and local_service.engine is not old


async def test_a_failed_refresh_is_recorded_and_the_old_index_answers(local_service: QAService) -> None:
    from sitrep.chat.cogs.admin import refresh_line

    def unreachable() -> None:
        raise IndexUnavailable("cannot reach Milvus at http://127.0.0.1:1: start the server or fix SITREP_MILVUS_URI")

    old = local_service.engine
    local_service.run_update = unreachable  # type: ignore[assignment]
    info = await local_service.refresh()
    assert info is not None and info["error"].startswith("cannot reach Milvus") and local_service.engine is old
    assert refresh_line(local_service.status()["last_refresh"]).endswith("still answering from the previous index")
    answer, used = await local_service.ask("Shaheen air exercise")
    assert used is old and answer.hits


def test_the_feeds_line_counts_the_failing() -> None:
    from sitrep.chat.cogs.admin import feeds_line

    assert feeds_line([]) == "none (/feeds add url)"
    assert feeds_line([("a", "ok: last read x"), ("b", "not pulled yet")]) == "2 read, all ok or not pulled yet"
    assert feeds_line([("a", "ok: last read x"), ("b", "FAILING: 2 pulls")]) == "2 read, 1 failing: /feeds list says why"


def test_the_refresh_line_names_what_it_did_and_what_failed() -> None:
    from sitrep.chat.cogs.admin import refresh_line

    info = {"at": "2026-12-03T02:00:00+00:00", "added": 3, "changed": 0, "removed": 0, "saved_from_feeds": 3}
    assert refresh_line(info) == "2026-12-03T02:00:00+00:00: 3 added, 0 changed, 0 removed, 3 saved from feeds"
    assert refresh_line({**info, "feed_failures": 2}).endswith(
        "3 saved from feeds (2 feeds or pages failed: /feeds list shows the feeds' health)")
    assert refresh_line(None).startswith("none yet")


async def test_the_bot_refreshes_on_its_schedule(local_service: QAService) -> None:
    from sitrep.chat.client import BotConfig, SitrepBot

    bot = SitrepBot(local_service, BotConfig(refresh_minutes=0.001))  # every 0.06 s
    loop = asyncio.create_task(bot.refresh_loop())
    try:
        for _ in range(200):
            if local_service.last_refresh is not None:
                break
            await asyncio.sleep(0.05)
        assert local_service.last_refresh is not None and "error" not in local_service.last_refresh
    finally:
        loop.cancel()


@pytest.mark.slow  # a child process that loads the model
def test_the_bots_update_runs_in_a_child_process(seed_corpus: Path, tmp_path: Path) -> None:
    """The bot's refresh runs `sitrep index update` in a child process (its pure-Python work would hold
    the bot's GIL): the report comes back; a refusal comes back as the child's one line."""
    from sitrep.app.compose import update_in_child
    from sitrep.index.errors import IndexStoreError
    from tests.conftest import ROOT

    env = {"SITREP_EMBED_CACHE_DIR": str(tmp_path / "emb"), "SITREP_MODEL_CACHE_DIR": str(ROOT / "var" / "models")}
    report = update_in_child(["--corpus", str(seed_corpus), "--index", str(tmp_path / "idx")], env=env)
    assert (report.added, report.articles, report.full) == (5, 5, True) and report.passages_embedded > 20
    again = update_in_child(["--corpus", str(seed_corpus), "--index", str(tmp_path / "idx")], env=env)
    assert again.added == again.changed == again.removed == 0 and again.unchanged == 5
    with pytest.raises(IndexStoreError, match=r"^corpus folder .*nowhere.* does not exist"):
        update_in_child(["--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "idx")], env=env)
