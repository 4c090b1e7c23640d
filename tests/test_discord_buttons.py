"""Buttons that work for as long as their message exists (discord.py dynamic items): an answer's More sources,
👍/👎 and 🔔 (chat/buttons.py) and a brief's More (chat/cogs/reports.py), pressed on messages a bot sent
before it restarted. The real discord.py client against tests/fake_discord.py, the fake encoder."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.policy import FeedbackLog, RateLimiter
from sitrep.chat.service import QAService
from sitrep.follows.follower import Follower
from sitrep.follows.state import FollowStore
from sitrep.follows.waiting import WaitStore
from sitrep.retrieval.conversation import article_key
from tests.fake_discord import BOT_ID, FakeDiscord, serving
from tests.test_discord_e2e import next_post, no_pings
from tests.test_discord_threads import started, stopped
from tests.test_discord_waits import QUESTION, buttons, seed_app

TOWNS = ["Avalon", "Brenton", "Carlow", "Dunmore", "Eastvale", "Fairhaven", "Glenrock", "Harwich", "Ilford", "Jarrow",
         "Kelso", "Lymington"]


async def test_an_answers_buttons_work_after_the_bot_restarts(tmp_path: Path) -> None:
    """Dynamic items (chat/buttons.py): a press on a message the bot sent before it restarted is handled from
    the button's id and the message — More sources asks again, a vote reads the cited articles from the id,
    🔔 reads the question from the title — where a dead view used to leave Discord's "interaction failed"."""
    app, target, corpus = seed_app(tmp_path)
    store = FollowStore(tmp_path / "state.sqlite3")

    def new_bot() -> SitrepBot:
        service = QAService(app.engine(target), lambda: app.engine(target), app.updater(target),
                            limiter=RateLimiter(limit=100), feedback=FeedbackLog(tmp_path / "feedback.jsonl"))
        service.follower = Follower(store)
        return SitrepBot(service, BotConfig(threads=False))

    fake = FakeDiscord()
    async with serving(fake):
        bot = new_bot()
        task = await started(fake, bot)
        try:
            await fake.message(f"<@{BOT_ID}> What is BECA?")
            answer = await next_post(fake)
            await fake.message(f"<@{BOT_ID}> {QUESTION}")
            refusal = await next_post(fake)
        finally:
            await stopped(bot, task)
        bot = new_bot()  # a new process: nothing of the first bot's answers in memory
        task = await started(fake, bot)
        try:
            ids = buttons(answer.body)
            await fake.click(answer, ids["More sources"])
            assert (await next_post(fake)).body["type"] == 5  # asked again: deferred, to the presser alone
            more = await next_post(fake)
            assert more.body["flags"] == 64 | 4 and more.body["content"]  # ephemeral, no link previews
            await fake.click(answer, ids["👍"], user_id="777")
            assert (await next_post(fake)).body["data"]["content"] == "Thanks, noted."
            vote = json.loads((tmp_path / "feedback.jsonl").read_text().splitlines()[-1])
            cited = ids["More sources"].removeprefix("sitrep:more:").split(",")
            assert vote["question"] == "What is BECA?" and vote["vote"] == "up" and vote["answer_ids"]
            assert sorted(article_key(a) for a in vote["answer_ids"]) == sorted(cited)
            await fake.click(refusal, buttons(refusal.body)["Tell me when it's known"])
            assert (await next_post(fake)).body["data"]["content"].startswith("Waiting:")
            [wait] = WaitStore(store).waits()
            assert (wait.question, wait.searched, wait.source) == (QUESTION, QUESTION, None)
        finally:
            await stopped(bot, task)
            store.close()



async def test_a_briefs_more_pages_on_and_works_after_the_bot_restarts(tmp_path: Path) -> None:
    app, target, corpus = seed_app(tmp_path)
    for i, town in enumerate(TOWNS):  # twelve stories on one topic: a page of 8, then 4
        (corpus / f"kb{i}.txt").write_text(
            f"---\ntitle: Kestrel Bay desalination plant starts supplying {town}\nsource: Coast Herald\n"
            f"date: 2020-11-{i * 2 + 1:02d}\n---\nThe Kestrel Bay desalination plant began supplying water to {town}, "
            f"the water board said. Residents of {town} had relied on trucked water for {i + 2} months.\n")
    app.update(target, corpus)

    store = FollowStore(tmp_path / "state.sqlite3")

    def new_bot() -> SitrepBot:
        service = QAService(app.engine(target), lambda: app.engine(target), app.updater(target),
                            limiter=RateLimiter(limit=100))
        service.follower = Follower(store)
        return SitrepBot(service, BotConfig())

    fake = FakeDiscord()
    async with serving(fake):
        bot = new_bot()
        task = await started(fake, bot)
        try:
            await fake.slash("brief", [{"name": "topic", "type": 3, "value": "Kestrel Bay desalination plant"}])
            await next_post(fake)
            brief = await next_post(fake)
            no_pings(brief.body)
            assert brief.body["embeds"][0]["title"] == "Brief: Kestrel Bay desalination plant"
            assert len(brief.body["embeds"][0]["fields"]) == 8
            assert list(buttons(brief.body)) == ["More"]  # not an admin: no Follow here (SITREP_FOLLOW_WHO)
            more = buttons(brief.body)["More"]
            assert re.fullmatch(r"sitrep:brief:8::\d{4}-\d\d-\d\d:", more)  # from page 2; the window as asked
            await fake.click(brief, more)
            page = (await next_post(fake)).body["data"]
            assert page["flags"] == 64 and len(page["embeds"][0]["fields"]) == 4 and not page.get("components")
        finally:
            await stopped(bot, task)
        bot = new_bot()  # a new process: the brief is made again from the message's title and the button's id
        task = await started(fake, bot)
        try:
            await fake.click(brief, more)
            assert (await next_post(fake)).body["type"] == 5  # deferred: the brief is made again
            again = (await next_post(fake)).body
            assert again["flags"] == 64 and [f["name"] for f in again["embeds"][0]["fields"]] == \
                [f["name"] for f in page["embeds"][0]["fields"]]

            # An admin's brief offers Follow here: the brief's topic followed in this channel, as /follow does.
            await fake.slash("brief", [{"name": "topic", "type": 3, "value": "Kestrel Bay desalination plant"},
                                       {"name": "source", "type": 3, "value": "Coast Herald"}], permissions="32")
            await next_post(fake)
            admins = await next_post(fake)
            follow = buttons(admins.body)["Follow here"]
            assert follow == "sitrep:follow:Coast Herald"
            await fake.click(admins, follow)  # someone who may not follow
            assert "Only sitrep admins" in (await next_post(fake)).body["data"]["content"]
            await fake.click(admins, follow, permissions="32")
            told = (await next_post(fake)).body["data"]
            no_pings(told)
            assert told["content"].startswith("This channel now follows **Kestrel Bay desalination plant (from Coast Herald)**")
            assert [(f.topic, f.source) for f in store.follows()] == [("Kestrel Bay desalination plant", "Coast Herald")]
        finally:
            await stopped(bot, task)
            store.close()
