"""The real, unmodified discord.py client against tests/fake_discord.py over loopback.

Asserts what the bot posted: mention and /ask replies cite the China-proposal article of the
bundled corpus, the deferral comes before the answer, no message allows a ping, a non-admin
/reindex is refused. Slow: the real model answers.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest

from sitrep.answer.engine import Engine
from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.policy import FeedbackLog, hash_user
from sitrep.chat.service import QAService
from sitrep.index.build import update
from sitrep.index.embedding import SentenceTransformerEncoder, query_encoder
from sitrep.retrieval.conversation import article_key
from tests.conftest import ROOT, SEEDS
from tests.fake_discord import BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, Call, FakeDiscord, serving

pytestmark = pytest.mark.slow
CHINA = "000_08773b1c9158e159.txt"


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    idx = tmp_path_factory.mktemp("e2e") / "idx"
    update(SEEDS, idx, SentenceTransformerEncoder())
    return idx


async def next_post(fake: FakeDiscord, timeout: float = 30) -> Call:
    return await asyncio.wait_for(fake.posted.get(), timeout)


async def wait_for_call(fake: FakeDiscord, path: str, timeout: float = 10) -> Call:
    """The first request to `path` (one that posts nothing the test reads from the queue)."""
    async def poll() -> Call:
        while True:
            found = [c for c in fake.calls if c.path == path]
            if found:
                return found[0]
            await asyncio.sleep(0.01)
    return await asyncio.wait_for(poll(), timeout)


def no_pings(body: dict) -> None:
    assert body["allowed_mentions"]["parse"] == []
    assert body["allowed_mentions"].get("replied_user") in (None, False)


async def test_bot_end_to_end(seed_index: Path, tmp_path: Path) -> None:
    fake = FakeDiscord()
    enc = query_encoder(None, ROOT / "var" / "models")
    engine = Engine.open(seed_index, enc, today=lambda: date(2026, 11, 22))
    reindexed: list[bool] = []
    service = QAService(engine, lambda: engine, lambda: reindexed.append(True),  # type: ignore[arg-type, return-value]
                        feedback=FeedbackLog(tmp_path / "feedback.jsonl"))
    bot = SitrepBot(service, BotConfig())
    async with serving(fake):
        await talk_to_the_bot(fake, bot, reindexed, service)


async def talk_to_the_bot(fake: FakeDiscord, bot: SitrepBot, reindexed: list[bool], service: QAService) -> None:
    runner_task = asyncio.create_task(bot.start("not-a-real-token"))
    try:
        await asyncio.wait_for(fake.identified.wait(), 30)
        await asyncio.wait_for(bot.wait_until_ready(), 30)
        synced = [c for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands")]
        assert {cmd["name"] for cmd in synced[0].body} == {"ask", "status", "reindex", "add", "remove", "feeds", "brief", "follow", "unfollow", "following",
                                                   "waiting", "help", "Ask sitrep about this"}

        # @mention in a channel -> a thread started from the question, named after it (mentions gone), and the
        # answer in it, citing the right article, pinging no one.
        asked = await fake.message(f"<@{BOT_ID}> What did China propose to India? @everyone")
        reply = await next_post(fake)
        assert reply.path == f"/channels/{asked}/messages"
        started = [c for c in fake.calls if c.path == f"/channels/{CHANNEL_ID}/messages/{asked}/threads"]
        assert [c.body["name"] for c in started] == ["What did China propose to India?"]
        no_pings(reply.body)
        embed = reply.body["embeds"][0]
        assert "**[1]**" in embed["description"] and CHINA in embed["fields"][0]["value"]
        assert "@everyone" not in embed["title"]
        buttons = [c for row in reply.body["components"] for c in row["components"]]
        assert [b.get("label") or b["emoji"]["name"] for b in buttons] == ["More sources", "👍", "👎"]
        assert all(b["custom_id"] for b in buttons)
        assert buttons[0]["custom_id"] == "sitrep:more:" + article_key(CHINA)  # the cited article, for follow-ups

        # The buttons under it: "More sources" answers only the clicker; 👍 is written to the feedback log.
        more, up, _down = (b["custom_id"] for b in buttons)
        await fake.click(reply, more)
        extra = await next_post(fake)
        assert extra.body["type"] == 4 and extra.body["data"]["flags"] == 64 | 4  # ephemeral, no link previews
        no_pings(extra.body["data"])
        assert "Nearest" not in extra.body["data"]["content"] and extra.body["data"]["content"]
        await fake.click(reply, up, user_id="777")
        thanks = await next_post(fake)
        assert thanks.body["data"]["content"] == "Thanks, noted." and thanks.body["data"]["flags"] == 64
        assert service.feedback is not None
        vote = json.loads(service.feedback.path.read_text().splitlines()[-1])
        assert vote["vote"] == "up" and vote["question"] == "What did China propose to India?" and CHINA in vote["answer_ids"]
        assert vote["user"] == hash_user(777)
        # A button that fails (the vote log cannot be written): told to the clicker alone, as a command's
        # failure is (chat/failures.py), and the bot goes on.
        real_record = service.feedback.record

        def unwritable(*args: object, **kwargs: object) -> dict:
            raise OSError(28, "No space left on device")
        service.feedback.record = unwritable  # type: ignore[method-assign]
        await fake.click(reply, up, user_id="778")
        failed = await next_post(fake)
        assert failed.body["data"]["content"] == "Sorry, something went wrong; it has been logged."
        assert failed.body["data"]["flags"] == 64
        service.feedback.record = real_record  # type: ignore[method-assign]

        # A DM needs no mention: the answer goes back to the DM channel.
        await fake.message("What is BECA?", mentions_bot=False, dm=True)
        dm_reply = await next_post(fake)
        assert dm_reply.path == f"/channels/{DM_CHANNEL_ID}/messages"
        no_pings(dm_reply.body)
        assert "BECA" in dm_reply.body["embeds"][0]["description"]

        # A message that does not mention the bot is ignored: the next thing the bot posts answers the
        # mention sent after it (in the thread started from that mention).
        await fake.message("just chatting about China", mentions_bot=False)
        asked = await fake.message(f"<@{BOT_ID}> What is BECA?")
        after = await next_post(fake)
        assert after.path == f"/channels/{asked}/messages"

        # /ask: the deferral ("thinking") first, then the answer as a follow-up.
        await fake.slash("ask", [{"name": "question", "type": 3, "value": "What did China propose to India?"}])
        deferral = await next_post(fake)
        assert deferral.path.endswith("/callback") and deferral.body["type"] == 5
        answer = await next_post(fake)
        assert answer.path.startswith("/webhooks/")
        no_pings(answer.body)
        assert CHINA in answer.body["embeds"][0]["fields"][0]["value"]
        # ... and a thread started from the answer, where follow-ups go.
        answer_id = fake.message_ids[id(answer)]
        await wait_for_call(fake, f"/channels/{CHANNEL_ID}/messages/{answer_id}/threads")

        # /reindex by a member without Manage Server, with no admins configured: refused, ephemerally.
        await fake.slash("reindex", permissions="0")
        refusal = await next_post(fake)
        assert refusal.body["type"] == 4 and refusal.body["data"]["flags"] == 64
        assert refusal.body["data"]["content"].startswith("Only sitrep admins")
        assert not reindexed

        # /status answers everyone.
        await fake.slash("status")
        status = await next_post(fake)
        fields = {f["name"]: f["value"] for f in status.body["data"]["embeds"][0]["fields"]}
        assert fields["Articles"] == "5"

        # A command that fails unexpectedly: the tree's error handler tells the user (ephemerally) and the
        # bot keeps serving.
        def broken() -> dict:
            raise RuntimeError("disk on fire")
        service.status = broken  # type: ignore[method-assign]
        await fake.slash("status")
        failure = await next_post(fake)
        assert failure.body["data"]["content"] == "Sorry, something went wrong; it has been logged."
        assert failure.body["data"]["flags"] == 64
        del service.status
        await fake.slash("status")
        assert (await next_post(fake)).body["data"]["embeds"]
    finally:
        await bot.close()
        await asyncio.wait_for(runner_task, 10)
