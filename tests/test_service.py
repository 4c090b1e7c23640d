"""The bot's logic without Discord: rate limit, admin policy, feedback, engine swap, reindex."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.service import AdminPolicy, FeedbackLog, QAService, RateLimiter, ReindexBusy, hash_user
from index.build import update
from index.errors import IndexUnavailable
from retrieval.engine import Engine
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


@pytest.fixture
def service(seed_corpus: Path, tmp_path: Path, backend_kind: str) -> QAService:
    enc = FakeEncoder()
    idx = target(backend_kind, tmp_path)
    update(seed_corpus, idx, enc)
    return QAService(Engine.open(idx, enc), lambda: Engine.open(idx, enc), lambda: update(seed_corpus, idx, enc))


async def test_twenty_questions_at_once(service: QAService) -> None:
    answers = await asyncio.gather(*(service.ask(f"Shaheen air exercise {i}") for i in range(20)))
    assert len(answers) == 20 and all(a.hits for a, _ in answers)


async def test_reindex_swaps_engine_and_in_flight_questions_finish(service: QAService, seed_corpus: Path) -> None:
    old = service.engine
    (seed_corpus / "new.txt").write_text("Floods in Assam\n\nHeavy floods displaced thousands in Assam on Monday.\n")
    question = asyncio.create_task(service.ask("Floods Assam"))
    report = await service.reindex()
    answer, used = await question
    assert report.added == 1 and service.engine is not old
    assert used in (old, service.engine) and answer.hits  # finished on whichever engine it started with
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
