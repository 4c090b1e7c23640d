"""Situation reports in Discord, end to end: the real discord.py client against tests/fake_discord.py
and the real model. /brief answers with the topic's stories; /follow is refused to non-admins and
where the bot cannot post (nothing saved); after a /reindex that brings a new story the channel gets
one post, and the same story from another outlet later edits that post instead of posting again."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sitrep.answer.engine import Engine
from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.policy import RateLimiter, Scope
from sitrep.chat.service import QAService
from sitrep.follows.follower import Follower
from sitrep.follows.state import FollowStore
from sitrep.index.build import update
from tests.conftest import SEEDS
from tests.fake_discord import CHANNEL_ID, FakeDiscord, serving
from tests.test_brief import twin_of
from tests.test_discord_e2e import next_post, no_pings
from tests.test_discord_threads import started, stopped

pytestmark = pytest.mark.slow
PAKISTAN = "001_d3da3a035377400c.txt"
MANAGE_GUILD = "32"


async def posted_to(fake: FakeDiscord, channel: str, count: int, timeout: float = 30) -> list[Any]:
    async def poll() -> list[Any]:
        while True:
            found = [c for c in fake.calls if c.method == "POST" and c.path == f"/channels/{channel}/messages"]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.02)
    return await asyncio.wait_for(poll(), timeout)


async def test_brief_follow_and_posts(tmp_path: Path, real_encoder: Any, real_cache: Any) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in SEEDS.iterdir():
        if f.name != PAKISTAN:
            shutil.copy(f, corpus / f.name)
    idx = tmp_path / "idx"
    update(corpus, idx, real_encoder, cache=real_cache)

    def open_engine() -> Engine:
        return Engine.open(idx, real_encoder, today=lambda: date(2026, 11, 22))

    service = QAService(open_engine(), open_engine, lambda: update(corpus, idx, real_encoder, cache=real_cache),
                        limiter=RateLimiter(limit=100))
    service.follower = Follower(FollowStore(tmp_path / "state.sqlite3"))
    bot = SitrepBot(service, BotConfig())
    fake = FakeDiscord()
    async with serving(fake):
        task = await started(fake, bot)
        try:
            # /brief: the topic's stories; an undated article is marked so, never placed by guess.
            await fake.slash("brief", [{"name": "topic", "type": 3, "value": "India China border tensions"}])
            assert (await next_post(fake)).body["type"] == 5
            brief = await next_post(fake)
            no_pings(brief.body)
            embed = brief.body["embeds"][0]
            assert embed["title"] == "Brief: India China border tensions" and embed["fields"]
            assert all(len(f["value"]) <= 1024 and len(f["name"]) <= 256 for f in embed["fields"])

            # In a channel scoped to one outlet, /brief reads only that outlet unless asked for another.
            def sources(embed: dict[str, Any]) -> list[str]:
                return [f["value"].rsplit("\n— ", 1)[-1] for f in embed.get("fields", [])]
            us = [{"name": "topic", "type": 3, "value": "India US defence cooperation"}]
            await fake.slash("brief", us)
            await next_post(fake)
            everywhere = sources((await next_post(fake)).body["embeds"][0])
            service.scopes = {int(CHANNEL_ID): Scope(source="ThePrint")}
            await fake.slash("brief", us)
            await next_post(fake)
            scoped = sources((await next_post(fake)).body["embeds"][0])
            assert len(everywhere) >= 3 and any("South China Morning Post" in x for x in everywhere)  # (4 since
            # the relevance cut reads how much of an article is on the topic: the 2020-09-03 story at 0.50)
            assert scoped == [x for x in everywhere if x.startswith("ThePrint")] and len(scoped) == 1
            await fake.slash("brief", [*us, {"name": "source", "type": 3, "value": "South China Morning Post"}])
            await next_post(fake)
            asked = sources((await next_post(fake)).body["embeds"][0])  # the option wins over the scope
            assert asked and all(x.startswith("South China Morning Post") for x in asked)
            service.scopes = {}

            # /follow: not for everyone, not where the bot cannot post; nothing saved then.
            topic = [{"name": "topic", "type": 3, "value": "China Pakistan defence cooperation"}]
            await fake.slash("follow", topic)
            refused = await next_post(fake)
            assert refused.body["data"]["flags"] == 64 and "Only sitrep admins" in refused.body["data"]["content"]
            await fake.slash("follow", topic, permissions=MANAGE_GUILD, app_permissions="0")
            cannot = await next_post(fake)
            assert "I can't post in this channel" in cannot.body["data"]["content"]
            assert service.follower.store.follows() == []
            await fake.slash("follow", topic, permissions=MANAGE_GUILD)
            ok = await next_post(fake)
            assert "now follows **China Pakistan defence cooperation**" in ok.body["data"]["content"]
            await fake.slash("following")
            assert "China Pakistan defence cooperation" in (await next_post(fake)).body["data"]["content"]

            # A follow of one outlet's stories, named with it; a channel scoped to an outlet follows that one.
            await fake.slash("follow", [*topic, {"name": "source", "type": 3, "value": "Dawn"}], permissions=MANAGE_GUILD)
            assert "now follows **China Pakistan defence cooperation (from Dawn)**" in (await next_post(fake)).body["data"]["content"]
            service.scopes = {int(CHANNEL_ID): Scope(source="ThePrint")}
            await fake.slash("follow", [{"name": "topic", "type": 3, "value": "Rajnath Singh"}], permissions=MANAGE_GUILD)
            assert "now follows **Rajnath Singh (from ThePrint)**" in (await next_post(fake)).body["data"]["content"]
            service.scopes = {}
            await fake.slash("follow", [{"name": "source", "type": 3, "value": "Dawn"}], permissions=MANAGE_GUILD)
            assert "now follows **everything from Dawn**: each new story is posted" in (await next_post(fake)).body["data"]["content"]
            await fake.slash("follow", [], permissions=MANAGE_GUILD)  # neither: one line, to the asker alone
            neither = (await next_post(fake)).body["data"]
            assert neither["flags"] == 64 and neither["content"].startswith("name a topic, an outlet, or both")
            await fake.slash("following")
            listed = (await next_post(fake)).body["data"]["content"]
            assert listed == ("This channel follows: **China Pakistan defence cooperation**, "
                              "**China Pakistan defence cooperation (from Dawn)**, **Rajnath Singh (from ThePrint)**, "
                              "**everything from Dawn**")
            for label in ("China Pakistan defence cooperation (from Dawn)", "rajnath singh (from theprint)",
                          "Everything from Dawn"):
                await fake.slash("unfollow", [{"name": "topic", "type": 3, "value": label}], permissions=MANAGE_GUILD)
                assert "no longer follows" in (await next_post(fake)).body["data"]["content"]
            assert [f.label for f in service.follower.store.follows()] == ["China Pakistan defence cooperation"]

            # A reindex brings the story: one post in the channel, quoting it, pinging no one.
            shutil.copy(SEEDS / PAKISTAN, corpus / PAKISTAN)
            await service.reindex()
            post = await next_post(fake)
            assert post.path == f"/channels/{CHANNEL_ID}/messages"
            no_pings(post.body)
            story = post.body["embeds"][0]
            assert story["footer"]["text"] == "following: China Pakistan defence cooperation"
            assert "China" in story["title"] and "2020-12-11" in story["description"]
            message_id = fake.message_ids[id(post)]

            # The same story from another outlet: that post is edited to say so; no second post.
            (corpus / "dawn.txt").write_text(twin_of((SEEDS / PAKISTAN).read_text().split(" ", 3)[-1]))
            await service.reindex()
            async def edited() -> Any:
                while True:
                    found = [c for c in fake.calls if c.method == "PATCH" and c.path == f"/channels/{CHANNEL_ID}/messages/{message_id}"]
                    if found:
                        return found[0]
                    await asyncio.sleep(0.02)
            edit = await asyncio.wait_for(edited(), 30)
            assert "also in: Dawn" in edit.body["embeds"][0]["description"]
            await asyncio.sleep(0.2)
            assert len(await posted_to(fake, CHANNEL_ID, 1)) == 1

            await fake.slash("unfollow", topic, permissions=MANAGE_GUILD)
            gone = await next_post(fake)
            assert "no longer follows" in gone.body.get("data", {}).get("content", ""), (gone.path, gone.body)
        finally:
            await stopped(bot, task)
            service.follower.store.close()
