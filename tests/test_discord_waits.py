"""🔔 under a refusal, end to end: the real discord.py client against tests/fake_discord.py, the App's updater,
the fake encoder (so it runs with the fast tests). A question the corpus cannot answer is left waiting (pressed
again: no longer; again: waiting); a story that does not answer it changes nothing; the story that does is
posted as a reply to the refusal, in the thread it was asked in, quoting it, pinging no one — once, however
many people waited for it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from sitrep.app.compose import App
from sitrep.app.settings import load_settings
from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.policy import RateLimiter
from sitrep.chat.service import QAService
from sitrep.follows.follower import Follower
from sitrep.follows.state import FollowStore
from sitrep.follows.waiting import WaitStore
from tests.conftest import SEEDS, FakeEncoder
from tests.fake_discord import BOT_ID, FakeDiscord, serving
from tests.test_discord_e2e import next_post, no_pings
from tests.test_discord_threads import started, stopped
from tests.test_waiting import KESTREL, QUESTION


def buttons(post_body: dict) -> dict[str, str]:
    return {b.get("label") or b["emoji"]["name"]: b["custom_id"] for row in post_body.get("components", [])
            for b in row["components"]}


def seed_app(tmp_path: Path) -> tuple[App, Any, Path]:
    """The App over a writable copy of the seed corpus, indexed with the fake encoder."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    app = App(load_settings(corpus_dir=corpus, index_dir=tmp_path / "idx", embed_cache_dir=tmp_path / "emb"),
              lambda _s: FakeEncoder())
    target = app.target()
    app.update(target, corpus)
    return app, target, corpus


def waiting_bot(tmp_path: Path, wait_days: float = 14.0) -> tuple[Path, QAService, FollowStore, SitrepBot]:
    """A bot over the seed corpus (fake encoder) with the follow database: (corpus folder, service, store, bot)."""
    app, target, corpus = seed_app(tmp_path)
    service = QAService(app.engine(target), lambda: app.engine(target), app.updater(target), limiter=RateLimiter(limit=100))
    store = FollowStore(tmp_path / "state.sqlite3")
    service.follower = Follower(store)
    return corpus, service, store, SitrepBot(service, BotConfig(wait_days=wait_days))


async def test_a_refused_question_left_waiting_is_answered_in_its_thread_when_the_story_arrives(tmp_path: Path) -> None:
    corpus, service, store, bot = waiting_bot(tmp_path, wait_days=7)
    fake = FakeDiscord()
    async with serving(fake):
        task = await started(fake, bot)
        try:
            await fake.message(f"<@{BOT_ID}> What is BECA?")
            answered = await next_post(fake)
            assert "Tell me when it's known" not in buttons(answered.body)  # an answer: nothing to wait for

            await fake.message(f"<@{BOT_ID}> {QUESTION}")
            refusal = await next_post(fake)
            thread = refusal.path.split("/")[2]
            assert thread in fake.threads  # asked in the channel: answered in a thread started from the question
            bell = buttons(refusal.body)["Tell me when it's known"]
            await fake.click(refusal, bell)
            told = await next_post(fake)
            assert told.body["data"]["flags"] == 64
            assert told.body["data"]["content"].startswith("Waiting: when a story that answers this arrives (each update is "
                                                           "checked, for 7 days)")
            await fake.click(refusal, bell)
            assert (await next_post(fake)).body["data"]["content"].startswith("No longer waiting")
            await fake.click(refusal, bell)
            assert (await next_post(fake)).body["data"]["content"].startswith("Waiting:")
            await fake.click(refusal, bell, user_id="777")  # someone else in the thread waits for it too
            assert (await next_post(fake)).body["data"]["content"].startswith("Waiting:")
            waiting = WaitStore(store).waits()
            assert [(str(w.channel_id), w.question) for w in waiting] == [(thread, QUESTION)] * 2
            await fake.slash("status")
            fields = {f["name"]: f["value"] for f in (await next_post(fake)).body["data"]["embeds"][0]["fields"]}
            assert fields["Follows"] == "0 followed in 0 channels; 2 refused questions waiting for a story (🔔)"
            await fake.slash("waiting")  # not an admin: refused, to them alone
            refused = (await next_post(fake)).body["data"]
            assert (refused["content"], refused["flags"]) == ("Only sitrep admins can list the waiting questions, in a "
                                                              "server.", 64)
            await fake.slash("waiting", permissions="32")  # Manage Server: what this server waits for, to them alone
            listed = (await next_post(fake)).body["data"]
            assert listed["flags"] & 64 and listed["content"].startswith(
                f"Waiting for a story that answers them, most asked first:\n• {QUESTION} — 2 waiting since 20")

            (corpus / "weather.txt").write_text("---\ntitle: Rain ahead\nsource: Coast Herald\ndate: 2020-12-14\n---\n"
                                                "Heavy rain is expected across the region on Thursday, forecasters said.\n")
            await service.reindex()
            assert fake.posted.empty() and len(WaitStore(store).waits()) == 2  # a story, but not the answer

            (corpus / "kestrel.txt").write_text(KESTREL)
            await service.reindex()
            late = await next_post(fake)
            assert late.path == f"/channels/{thread}/messages"
            no_pings(late.body)
            assert str(late.body["message_reference"]["message_id"]) == fake.message_ids[id(refusal)]
            assert late.body["content"].startswith("🔔 A story that arrived since answers the question left waiting here on ")
            embed = late.body["embeds"][0]
            assert "supplies **40 million** litres" in embed["description"] and "kestrel.txt" in embed["fields"][0]["value"]
            assert WaitStore(store).waits() == []
            await asyncio.sleep(0.2)
            assert fake.posted.empty()  # one reply for both who waited

            (corpus / "kestrel.txt").write_text(KESTREL.replace("Tuesday", "Tuesday morning"))
            await service.reindex()  # the story changes: the question was answered, nothing is posted twice
            await asyncio.sleep(0.2)
            assert fake.posted.empty()
        finally:
            await stopped(bot, task)
            store.close()



async def test_any_news_in_a_thread_reasks_its_question_on_what_is_new_and_offers_the_bell(tmp_path: Path) -> None:
    """In the thread of an answer, "Any news?" is the thread's question again, on what was published since the
    answer: here nothing, so a refusal that says so, understood as the earlier question, with 🔔 to wait."""
    _, _, store, bot = waiting_bot(tmp_path)
    fake = FakeDiscord()
    async with serving(fake):
        task = await started(fake, bot)
        try:
            await fake.message(f"<@{BOT_ID}> What is BECA?")
            answer = await next_post(fake)
            thread = answer.path.split("/")[2]
            assert answer.body["embeds"][0]["fields"]  # answered, with sources
            await fake.message("Any news?", mentions_bot=False, channel=thread)
            news = await next_post(fake)
            no_pings(news.body)
            embed = news.body["embeds"][0]
            assert news.path == f"/channels/{thread}/messages"
            assert "nothing new on this since 20" in embed["description"]
            assert embed["footer"]["text"].startswith("understood as: What is BECA?\n(asks what is new since the last answer")
            assert "Tell me when it's known" in buttons(news.body)
        finally:
            await stopped(bot, task)
            store.close()
