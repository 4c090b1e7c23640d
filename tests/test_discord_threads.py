"""Conversations in Discord, end to end: the real discord.py client against tests/fake_discord.py.

A question in a channel opens a thread; a follow-up there needs no mention; a user replying to
another user is left alone; after a restart (new process state, same Discord) the thread's context
is read back from the bot's own answers; a reply to an answer in the channel is its follow-up;
/ask's options, their bad values and a channel's scope. Slow: the real model answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sitrep.answer.engine import Engine
from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.policy import RateLimiter, Scope
from sitrep.chat.service import QAService
from sitrep.index.build import update
from tests.conftest import SEEDS
from tests.fake_discord import BOT_ID, CHANNEL_ID, Call, FakeDiscord, serving
from tests.test_discord_e2e import next_post, no_pings, wait_for_call

pytestmark = pytest.mark.slow
CHINA = "000_08773b1c9158e159.txt"
PAKISTAN = "001_d3da3a035377400c.txt"
THEPRINT = "003_66a95eaf13f0a52c.txt"


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory, real_encoder: Any, real_cache: Any) -> Path:
    idx = tmp_path_factory.mktemp("threads") / "idx"
    update(SEEDS, idx, real_encoder, cache=real_cache)
    return idx


def new_bot(seed_index: Path, encoder: Any) -> tuple[SitrepBot, QAService]:
    engine = Engine.open(seed_index, encoder, today=lambda: date(2026, 11, 22))
    service = QAService(engine, lambda: engine, lambda: None,  # type: ignore[arg-type, return-value]
                        limiter=RateLimiter(limit=100))
    return SitrepBot(service, BotConfig()), service


async def started(fake: FakeDiscord, bot: SitrepBot) -> asyncio.Task[None]:
    fake.identified.clear()
    task = asyncio.create_task(bot.start("not-a-real-token"))
    await asyncio.wait_for(fake.identified.wait(), 30)
    await asyncio.wait_for(bot.wait_until_ready(), 30)
    return task


async def stopped(bot: SitrepBot, task: asyncio.Task[None]) -> None:
    await bot.close()
    await asyncio.wait_for(task, 10)


@asynccontextmanager
async def bot_running(seed_index: Path, encoder: Any, config: BotConfig | None = None
                      ) -> AsyncIterator[tuple[FakeDiscord, SitrepBot, QAService]]:
    """A bot on the seed index, connected to a fresh stand-in Discord; closed afterwards."""
    fake = FakeDiscord()
    async with serving(fake), connected(fake, seed_index, encoder, config) as (bot, service):
        yield fake, bot, service


@asynccontextmanager
async def connected(fake: FakeDiscord, seed_index: Path, encoder: Any, config: BotConfig | None = None
                    ) -> AsyncIterator[tuple[SitrepBot, QAService]]:
    """A fresh bot (nothing in memory) connected to a stand-in Discord that is already serving; closed afterwards."""
    bot, service = new_bot(seed_index, encoder)
    if config is not None:
        bot.config = config
    task = await started(fake, bot)
    try:
        yield bot, service
    finally:
        await stopped(bot, task)


def footer(post: Call) -> str:
    body = post.body.get("data", post.body)
    return body["embeds"][0].get("footer", {}).get("text", "")


def first_source(post: Call) -> str:
    body = post.body.get("data", post.body)
    return body["embeds"][0]["fields"][0]["value"]


async def thread_known(bot: SitrepBot, thread: str) -> None:
    """THREAD_CREATE has reached the client's cache (Discord sends it right after the thread starts)."""
    async def poll() -> None:
        while bot.get_channel(int(thread)) is None:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), 10)


async def test_thread_follow_ups_survive_a_restart(seed_index: Path, real_encoder: Any) -> None:
    fake = FakeDiscord()
    async with serving(fake):
        bot, service = new_bot(seed_index, real_encoder)
        task = await started(fake, bot)
        try:
            thread = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            first = await next_post(fake)
            assert first.path == f"/channels/{thread}/messages" and CHINA in first_source(first)
            assert not footer(first).startswith("understood as")  # a first question is searched as typed
            await thread_known(bot, thread)

            # A follow-up in the thread needs no mention; it is searched with the earlier question.
            follow = await fake.message("And how did India respond?", mentions_bot=False, channel=thread)
            second = await next_post(fake)
            assert second.path == f"/channels/{thread}/messages"
            assert str(second.body["message_reference"]["message_id"]) == follow
            no_pings(second.body)
            assert footer(second).startswith("understood as: What did China propose to India? And how did India respond?\n")
            assert "suitable response" in second.body["embeds"][0]["description"] and CHINA in first_source(second)

            # People talking to each other in the thread: a reply to another user is not for the bot. The next
            # thing the bot posts answers the message after it.
            await fake.message("I doubt they will say yes", author_id="777", mentions_bot=False, channel=thread,
                               reply_to=follow)
            swap = await fake.message("What about Pakistan?", mentions_bot=False, channel=thread)
            third = await next_post(fake)
            assert str(third.body["message_reference"]["message_id"]) == swap
            assert footer(third).startswith("understood as: What did China propose to Pakistan?")
            assert PAKISTAN in first_source(third)
        finally:
            await stopped(bot, task)

        # A restart: nothing in memory, the same Discord. The thread's context comes back from its history.
        bot, service = new_bot(seed_index, real_encoder)
        task = await started(fake, bot)
        try:
            assert len(service.conversations) == 0
            later = await fake.message("When was it signed?", mentions_bot=False, channel=thread)
            fourth = await next_post(fake)
            assert str(fourth.body["message_reference"]["message_id"]) == later
            assert any(c.method == "GET" and c.path == f"/channels/{thread}/messages" for c in fake.calls)
            assert footer(fourth).startswith("understood as: What did China propose to Pakistan?")
            assert PAKISTAN in first_source(fourth)
        finally:
            await stopped(bot, task)


async def test_replies_ask_options_and_scopes(seed_index: Path, real_encoder: Any) -> None:
    fake = FakeDiscord()
    async with serving(fake):
        bot, service = new_bot(seed_index, real_encoder)
        task = await started(fake, bot)
        try:
            # /ask in the channel: the answer there, a thread started from it.
            await fake.slash("ask", [{"name": "question", "type": 3, "value": "What did China propose to India?"}])
            assert (await next_post(fake)).body["type"] == 5
            answer = await next_post(fake)
            answer_id = fake.message_ids[id(answer)]
            await wait_for_call(fake, f"/channels/{CHANNEL_ID}/messages/{answer_id}/threads")
            await thread_known(bot, answer_id)

            # A reply to that answer in the channel is its follow-up, answered in place.
            reply = await fake.message("And how did India respond?", mentions_bot=False, reply_to=answer_id)
            followed = await next_post(fake)
            assert followed.path == f"/channels/{CHANNEL_ID}/messages"
            assert str(followed.body["message_reference"]["message_id"]) == reply
            assert footer(followed).startswith("understood as: What did China propose to India? And how did India respond?")

            # /ask inside the thread started from the /ask answer: a follow-up of that answer (its starter message).
            service.conversations.drop(int(answer_id))  # read it back from Discord, as after a restart
            await fake.slash("ask", [{"name": "question", "type": 3, "value": "What about Pakistan?"}], channel=answer_id)
            assert (await next_post(fake)).body["type"] == 5
            in_thread = await next_post(fake)
            assert footer(in_thread).startswith("understood as: What did China propose to Pakistan?")
            assert not [c for c in fake.calls if c.path.endswith(f"/messages/{fake.message_ids[id(in_thread)]}/threads")]

            # Options: source, since, as_of, k, private; bad values are one ephemeral line, before any work.
            options = [{"name": "question", "type": 3, "value": "What did India and the US agree?"},
                       {"name": "source", "type": 3, "value": "ThePrint"}, {"name": "k", "type": 4, "value": 3},
                       {"name": "private", "type": 5, "value": True}]
            await fake.slash("ask", options)
            deferral = await next_post(fake)
            assert deferral.body["type"] == 5 and deferral.body["data"]["flags"] == 64  # private: only the asker
            private = await next_post(fake)
            assert THEPRINT in first_source(private) and private.body["flags"] == 64
            await asyncio.sleep(0.1)
            assert not [c for c in fake.calls if c.path.endswith(f"/messages/{fake.message_ids[id(private)]}/threads")]
            for extra, told in (([("since", "soon")], "bad 'since' 'soon'"), ([("as_of", "22/11/2026")], "bad date '22/11/2026'"),
                                ([("as_of", "2020-10-01"), ("since", "2020-11-01")],
                                 "'since' 2020-11-01 is after the day asked on 2020-10-01")):
                await fake.slash("ask", [{"name": "question", "type": 3, "value": "What is BECA?"},
                                         *({"name": name, "type": 3, "value": value} for name, value in extra)])
                bad = await next_post(fake)
                assert bad.body["type"] == 4 and bad.body["data"]["flags"] == 64
                assert bad.body["data"]["content"].startswith(told)
            await fake.slash("ask", [{"name": "question", "type": 3, "value": "What did China propose to India?"},
                                     {"name": "as_of", "type": 3, "value": "2020-10-01"},
                                     {"name": "since", "type": 3, "value": "2020-09-01"}])
            assert (await next_post(fake)).body["type"] == 5
            dated = await next_post(fake)
            dates = [f["value"] for f in dated.body["embeds"][0].get("fields", [])]
            assert dates and all("2020-09" in d or "2020-10" in d or "·" not in d for d in dates)

            # source autocomplete lists the index's outlets.
            await fake.slash("ask", [{"name": "question", "type": 3, "value": "x"},
                                     {"name": "source", "type": 3, "value": "print", "focused": True}], kind=4)
            choices = await next_post(fake)
            assert choices.body["type"] == 8
            assert [c["value"] for c in choices.body["data"]["choices"]] == ["ThePrint"]

            # A channel scope: /status shows it, and questions there search only that source.
            service.scopes = {int(CHANNEL_ID): Scope(source="ThePrint")}
            await fake.slash("status")
            fields = {f["name"]: f["value"] for f in (await next_post(fake)).body["data"]["embeds"][0]["fields"]}
            assert fields["This channel searches"] == "source ThePrint"
            scoped = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            post = await next_post(fake)
            assert post.path == f"/channels/{scoped}/messages"
            cited = [f["value"] for f in post.body["embeds"][0].get("fields", [])]
            assert cited and all(THEPRINT in v for v in cited)
        finally:
            await stopped(bot, task)


async def test_without_threads_replies_and_dms_carry_the_conversation(seed_index: Path, real_encoder: Any,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """SITREP_DISCORD_THREADS=false: a mention gets a reply in the channel (no thread), a reply to that
    answer is its follow-up; a DM channel is one conversation. No message's text reaches a log line at
    INFO or above."""
    import logging

    caplog.set_level(logging.INFO)
    fake = FakeDiscord()
    async with serving(fake):
        engine = Engine.open(seed_index, real_encoder, today=lambda: date(2026, 11, 22))
        service = QAService(engine, lambda: engine, lambda: None, limiter=RateLimiter(limit=100))  # type: ignore[arg-type, return-value]
        bot = SitrepBot(service, BotConfig(threads=False))
        assert not bot.intents.message_content  # no Q&A channels, no threads: no privileged intent asked for
        task = await started(fake, bot)
        try:
            asked = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            first = await next_post(fake)
            assert first.path == f"/channels/{CHANNEL_ID}/messages"
            assert str(first.body["message_reference"]["message_id"]) == asked
            reply = await fake.message(f"<@{BOT_ID}> What about Pakistan?", reply_to=fake.message_ids[id(first)])
            second = await next_post(fake)
            assert str(second.body["message_reference"]["message_id"]) == reply
            assert footer(second).startswith("understood as: What did China propose to Pakistan?")
            assert not [c for c in fake.calls if c.path.endswith("/threads")]

            await fake.message("What did China propose to India?", mentions_bot=False, dm=True)
            await next_post(fake)
            await fake.message("And how did India respond?", mentions_bot=False, dm=True)
            dm = await next_post(fake)
            assert footer(dm).startswith("understood as: What did China propose to India? And how did India respond?")
        finally:
            await stopped(bot, task)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "propose" not in logged and "respond" not in logged and "Pakistan" not in logged


async def test_a_question_in_reply_to_someones_message_asks_about_it(seed_index: Path, real_encoder: Any) -> None:
    """"@sitrep is this true?" under a claim searches the claim; a question naming its own subject stands alone."""
    async with bot_running(seed_index, real_encoder) as (fake, _, _):
        claim = await fake.message("China wants to send a delegation of senior armed forces officials to India",
                                   author_id="777", mentions_bot=False)
        await fake.message(f"<@{BOT_ID}> is this true?", reply_to=claim)
        answer = await next_post(fake)
        no_pings(answer.body)
        assert CHINA in first_source(answer)
        assert "China wants to send a delegation" in answer.body["embeds"][0]["description"]
        assert footer(answer).startswith("understood as: China wants to send a delegation of senior armed forces "
                                         "officials to India is this true?")
        await fake.message(f"<@{BOT_ID}> What is BECA?", reply_to=claim)
        own = await next_post(fake)
        assert not footer(own).startswith("understood as")  # searched as typed
        assert "Basic Exchange and Cooperation Agreement" in own.body["embeds"][0]["description"]


async def test_the_message_menu_asks_about_a_message(seed_index: Path, real_encoder: Any) -> None:
    """Apps → *Ask sitrep about this* on someone's message: answered as /ask is, in a thread for follow-ups."""
    async with bot_running(seed_index, real_encoder) as (fake, _, _):
        synced = [c for c in fake.calls if c.method == "PUT" and c.path.endswith("/commands")]
        assert {"name": "Ask sitrep about this", "type": 3} in [{k: c[k] for k in ("name", "type")} for c in synced[0].body]
        claim = await fake.message("India and the US will sign BECA, a pact on geo-spatial cooperation",
                                   author_id="777", mentions_bot=False)
        await fake.message_command("Ask sitrep about this", claim)
        assert (await next_post(fake)).body["type"] == 5  # "thinking", in the channel
        answer = await next_post(fake)
        no_pings(answer.body)
        assert answer.body["embeds"][0]["title"] == "India and the US will sign BECA, a pact on geo-spatial cooperation"
        assert THEPRINT in first_source(answer)
        thread = await wait_for_call(fake, f"/channels/{CHANNEL_ID}/messages/{fake.message_ids[id(answer)]}/threads")
        assert thread.body["name"].startswith("India and the US will sign BECA")

        empty = await fake.message("", author_id="777", mentions_bot=False)
        await fake.message_command("Ask sitrep about this", empty)
        told = await next_post(fake)
        assert told.body["type"] == 4 and told.body["data"]["flags"] == 64  # to the asker alone
        assert told.body["data"]["content"] == "That message has no words to ask about."


async def test_what_else_after_a_restart_quotes_nothing_the_thread_was_shown(seed_index: Path, real_encoder: Any) -> None:
    """What an answer quoted is read back from its message in the thread's history, so after a restart "What
    else?" still quotes only sentences the thread has not been shown."""
    fake = FakeDiscord()
    async with serving(fake):
        async with connected(fake, seed_index, real_encoder) as (bot, _):
            await fake.message(f"<@{BOT_ID}> what else?")  # nothing asked before: said in one line, no search
            told = await next_post(fake)
            assert "continues an answer: ask a question first" in told.body["content"] and not told.body.get("embeds")
            thread = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            first = (await next_post(fake)).body["embeds"][0]["description"]
            assert "note verbale" in first and "delegation of senior armed forces" in first
            await thread_known(bot, thread)
        async with connected(fake, seed_index, real_encoder) as (bot, service):
            assert len(service.conversations) == 0
            await fake.message("What else?", mentions_bot=False, channel=thread)
            post = await next_post(fake)
            more = post.body["embeds"][0]["description"]
            assert footer(post).startswith("understood as: What did China propose to India?\n(asks for more")
            assert "note verbale" not in more and "delegation of senior armed forces" not in more
            assert "Defence Minister visit China in 2020" in more and CHINA in first_source(post)


async def test_a_long_what_else_chain_says_nothing_twice_after_a_restart(seed_index: Path, real_encoder: Any) -> None:
    """More answers than a conversation remembers (3): read back after a restart, the chain's answers all searched
    the same question, so what the first of them quoted still counts as said."""
    fake = FakeDiscord()
    async with serving(fake):
        async with connected(fake, seed_index, real_encoder) as (bot, _):
            thread = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            said = [(await next_post(fake)).body["embeds"][0]["description"]]
            await thread_known(bot, thread)
            for more in ("What else?", "Tell me more", "more"):
                await fake.message(more, mentions_bot=False, channel=thread)
                said.append((await next_post(fake)).body["embeds"][0]["description"])
            assert all(not d.startswith("Nothing more") for d in said)
        async with connected(fake, seed_index, real_encoder) as (bot, service):
            await fake.message("go on", mentions_bot=False, channel=thread)
            last = (await next_post(fake)).body["embeds"][0]["description"]
            assert last.startswith("Nothing more on this than what was already quoted."), last


async def test_two_questions_in_one_message_are_answered_as_one(seed_index: Path, real_encoder: Any) -> None:
    """One answer with both halves quoted and one source list; the note says how it was asked; nothing pings."""
    async with bot_running(seed_index, real_encoder) as (fake, bot, _):
        thread = await fake.message(f"<@{BOT_ID}> What did China propose and how did India respond?")
        post = await next_post(fake)
        no_pings(post.body)
        embed = post.body["embeds"][0]
        assert embed["title"] == "What did China propose and how did India respond?"
        assert "The Indian side is yet to respond to the Chinese request." in embed["description"]
        assert 'asked as two questions: "What did China propose?" and "How did India respond?"' in embed["description"]
        assert "**[2]**" in embed["description"] and not footer(post).startswith("understood as")
        await thread_known(bot, thread)
        await fake.message("When was it signed?", mentions_bot=False, channel=thread)  # the thread carries on
        after = await next_post(fake)
        assert footer(after).startswith("understood as: ")


async def test_he_after_a_restart_is_the_person_the_answer_named(seed_index: Path, real_encoder: Any) -> None:
    """The person an answer named travels with it: after a restart, the thread's answer is read back from Discord
    and "What did he say?" is still asked about the defence minister it named."""
    fake = FakeDiscord()
    async with serving(fake):
        async with connected(fake, seed_index, real_encoder) as (bot, _):
            thread = await fake.message(f"<@{BOT_ID}> Who is India's defence minister?")
            first = await next_post(fake)
            assert "Rajnath Singh" in first.body["embeds"][0]["description"]
            await thread_known(bot, thread)
        async with connected(fake, seed_index, real_encoder) as (bot, service):
            assert len(service.conversations) == 0
            await fake.message("What did he say?", mentions_bot=False, channel=thread)
            second = await next_post(fake)
            assert footer(second).startswith("understood as: Who is India's defence minister? What did Rajnath Singh say?")
            assert "read as Rajnath Singh" in footer(second)
            no_pings(second.body)
