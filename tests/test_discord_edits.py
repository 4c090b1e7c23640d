"""A question edited soon after it was asked, or deleted, end to end: the real discord.py client against
tests/fake_discord.py. Its answer (or the one-line refusal it got) is edited in place, never posted
twice; a thread started from it is renamed; a follow-up edited while it is still the conversation's
last turn is asked again without its old self as context; an edit that changes nothing, an edit
after the conversation moved on, an edit long after the question and a message that never asked
anything are left alone. A question deleted takes its answer with it (a thread it started is emptied,
renamed and archived) unless somebody carried on from it. Slow: the real model answers.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sitrep.chat.client import BotConfig
from sitrep.follows.follower import Follower
from sitrep.follows.state import FollowStore
from sitrep.follows.waiting import WaitStore
from tests.fake_discord import BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, Call, FakeDiscord
from tests.test_discord_e2e import next_post, no_pings
from tests.test_discord_threads import CHINA, PAKISTAN, bot_running, first_source, footer, seed_index, thread_known

pytestmark = pytest.mark.slow
__all__ = ["seed_index"]  # the module's index fixture, shared


async def wait_for(fake: FakeDiscord, method: str, path: str, since: int, timeout: float = 30) -> Call:
    """The first such request after call number `since`."""
    async def poll() -> Call:
        while not (found := [c for c in fake.calls[since:] if c.method == method and c.path == path]):
            await asyncio.sleep(0.01)
        return found[0]
    return await asyncio.wait_for(poll(), timeout)


async def edited(fake: FakeDiscord, channel: str, message_id: str, since: int) -> Call:
    return await wait_for(fake, "PATCH", f"/channels/{channel}/messages/{message_id}", since)


async def quiet(fake: FakeDiscord, since: int, seconds: float = 1.0) -> list[Call]:
    """What the bot asked of Discord in a while after `since` (typing aside)."""
    await asyncio.sleep(seconds)
    return [c for c in fake.calls[since:] if not c.path.endswith("/typing") and c.method != "GET"]


async def test_an_edited_question_is_answered_again_in_place(seed_index: Path, real_encoder: Any) -> None:
    async with bot_running(seed_index, real_encoder) as (fake, bot, _):
        # A question in the channel: answered in a thread started from it (the thread's id is the message's).
        asked = await fake.message(f"<@{BOT_ID}> What did China propose to Pakistan?")
        first = await next_post(fake)
        answer_id = fake.message_ids[id(first)]
        await thread_known(bot, asked)

        # Edited: the answer in the thread is edited, not posted again, and the thread takes the new name.
        mark = len(fake.calls)
        await fake.edit_message(asked, f"<@{BOT_ID}> What did China propose to India?")
        patch = await edited(fake, asked, answer_id, mark)
        no_pings(patch.body)
        assert patch.body["embeds"][0]["title"] == "What did China propose to India?"
        assert CHINA in first_source(patch)
        renamed = await wait_for(fake, "PATCH", f"/channels/{asked}", mark)  # after the answer's edit
        assert renamed.body["name"] == "What did China propose to India?"
        assert fake.posted.empty() and len(fake.messages_to(asked)) == 1  # nothing posted twice

        # An edit that leaves the question as it was (spacing) asks nothing.
        mark = len(fake.calls)
        await fake.edit_message(asked, f"<@{BOT_ID}>  What did China  propose to India?")
        assert await quiet(fake, mark) == []

        # A follow-up in the thread, then edited while it is still the last turn: asked again with the
        # first question as context, not with its own old words.
        follow = await fake.message("And how did Pakistan respond?", mentions_bot=False, channel=asked)
        second = await next_post(fake)
        reply_id = fake.message_ids[id(second)]
        mark = len(fake.calls)
        await fake.edit_message(follow, "And how did India respond?", channel=asked)
        patch = await edited(fake, asked, reply_id, mark)
        assert footer(patch).startswith("understood as: What did China propose to India? And how did India respond?\n")
        assert "suitable response" in patch.body["embeds"][0]["description"]

        # The first question edited now: its conversation has moved on (an answer after its own), so nothing.
        mark = len(fake.calls)
        await fake.edit_message(asked, f"<@{BOT_ID}> What did China propose to Bangladesh?")
        assert await quiet(fake, mark) == []

        # An edit long after the question corrects the record: it is not asked again.
        late = await fake.message(f"<@{BOT_ID}> Where did the Shaheen exercise take place?")
        await next_post(fake)
        mark = len(fake.calls)
        await fake.edit_message(late, f"<@{BOT_ID}> Who took part in the Shaheen exercise?",
                                at=datetime.now(UTC) + timedelta(hours=2))
        assert await quiet(fake, mark) == []
        # ... unless the server allows longer (SITREP_EDIT_MINUTES): then it is asked again, its answer edited.
        bot.config = replace(bot.config, edit_minutes=180)
        mark = len(fake.calls)
        await fake.edit_message(late, f"<@{BOT_ID}> Where did the Shaheen exercise take place in 2020?",
                                at=datetime.now(UTC) + timedelta(hours=2))
        assert any(c.method == "PATCH" for c in await quiet(fake, mark, 3.0))
        bot.config = replace(bot.config, edit_minutes=60)

        # A message that never asked the bot anything, edited: nothing.
        chat = await fake.message("lunch?", mentions_bot=False)
        mark = len(fake.calls)
        await fake.edit_message(chat, "lunch at one?")
        assert await quiet(fake, mark) == []


async def test_a_refused_question_edited_within_the_limits_gets_its_answer_and_replies_are_edited(seed_index: Path, real_encoder: Any) -> None:
    async with bot_running(seed_index, real_encoder, BotConfig(max_question_chars=60, threads=False)) as (fake, _, service):
        long = "What exactly did China propose to Pakistan about their air forces, and when?"
        asked = await fake.message(long, dm=True)
        refused = await next_post(fake)
        assert refused.body["content"].startswith("Questions are limited to 60 characters")
        refusal_id = fake.message_ids[id(refused)]

        # Shortened: the refusal becomes the answer, in place.
        mark = len(fake.calls)
        await fake.edit_message(asked, "What did China and Pakistan sign?", channel=DM_CHANNEL_ID)
        patch = await edited(fake, DM_CHANNEL_ID, refusal_id, mark)
        no_pings(patch.body)
        assert patch.body["content"] is None and patch.body["embeds"][0]["title"] == "What did China and Pakistan sign?"
        assert PAKISTAN in first_source(patch)
        assert fake.posted.empty()
        # The DM is one conversation: the edited answer is its turn, read by the next question.
        async def remembered() -> list[str]:  # kept once the edit is done, just after Discord took it
            while (conversation := service.conversations.get(int(DM_CHANNEL_ID))) is None or not conversation.turns:
                await asyncio.sleep(0.01)
            return [t.question for t in conversation.turns]
        assert await asyncio.wait_for(remembered(), 10) == ["What did China and Pakistan sign?"]

        # Without threads an answer is a reply in the channel; edited the same way.
        asked = await fake.message(f"<@{BOT_ID}> What did China propose to Pakistan?")
        reply = await next_post(fake)
        assert reply.path == f"/channels/{CHANNEL_ID}/messages" and str(reply.body["message_reference"]["message_id"]) == asked
        mark = len(fake.calls)
        await fake.edit_message(asked, f"<@{BOT_ID}> What did China propose to India?")
        patch = await edited(fake, CHANNEL_ID, fake.message_ids[id(reply)], mark)
        assert patch.body["embeds"][0]["title"] == "What did China propose to India?" and CHINA in first_source(patch)
        assert fake.posted.empty()


async def test_a_deleted_question_takes_its_answer_unless_somebody_carried_on(seed_index: Path, real_encoder: Any,
                                                                               tmp_path: Path) -> None:
    async with bot_running(seed_index, real_encoder) as (fake, bot, service):
        service.follower = Follower(FollowStore(tmp_path / "state.sqlite3"))

        # Answered in a thread that nobody else wrote in: the answer goes, the thread loses the question's name.
        asked = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
        answer = fake.message_ids[id(await next_post(fake))]
        await thread_known(bot, asked)
        mark = len(fake.calls)
        await fake.delete_message(asked)
        await wait_for(fake, "PATCH", f"/channels/{asked}", mark)
        assert [c.path for c in fake.calls[mark:] if c.method == "DELETE"] == [f"/channels/{asked}/messages/{answer}"]
        assert fake.threads[asked]["name"] == "(question deleted)" and fake.threads[asked]["thread_metadata"]["archived"]
        assert fake.messages_to(asked) == []

        # Somebody followed up in the thread: their conversation keeps the answer.
        asked = await fake.message(f"<@{BOT_ID}> What did China propose to Pakistan?")
        await next_post(fake)
        await thread_known(bot, asked)
        await fake.message("And how did Pakistan respond?", mentions_bot=False, channel=asked)
        await next_post(fake)
        mark = len(fake.calls)
        await fake.delete_message(asked)
        assert await quiet(fake, mark) == [] and len(fake.messages_to(asked)) == 2

        # A DM's answer is a reply: deleted with its question.
        asked = await fake.message("What did China and Pakistan sign?", dm=True)
        reply = fake.message_ids[id(await next_post(fake))]
        mark = len(fake.calls)
        await fake.delete_message(asked, channel=DM_CHANNEL_ID)
        await wait_for(fake, "DELETE", f"/channels/{DM_CHANNEL_ID}/messages/{reply}", mark)

        # ... but not once the conversation went on after it (a later turn read it as context).
        asked = await fake.message("What did China and Pakistan sign?", dm=True)
        await next_post(fake)
        await fake.message("Where did the exercise take place?", dm=True)
        await next_post(fake)
        mark = len(fake.calls)
        await fake.delete_message(asked, channel=DM_CHANNEL_ID)
        assert await quiet(fake, mark) == []

        # A refusal somebody waits on (🔔) stays: the story that answers it is posted as a reply to it.
        asked = await fake.message("What did the Premier League decide about transfer windows?", dm=True)
        refusal = await next_post(fake)
        assert "does not answer" in refusal.body["embeds"][0]["description"]
        WaitStore(service.follower.store).add(int(DM_CHANNEL_ID), int(fake.message_ids[id(refusal)]), "someone",
                                              "the question", "the question", None, 7)
        mark = len(fake.calls)
        await fake.delete_message(asked, channel=DM_CHANNEL_ID)
        assert await quiet(fake, mark) == []

        # A message that asked nothing: its deletion costs no request at all.
        chat = await fake.message("lunch?", mentions_bot=False)
        mark = len(fake.calls)
        await fake.delete_message(chat)
        await asyncio.sleep(0.3)
        assert fake.calls[mark:] == []


async def test_after_a_restart_a_deleted_question_still_takes_its_answer(seed_index: Path, real_encoder: Any) -> None:
    """The new client holds no message from before: a deletion is looked for only where every message asks the
    bot — the thread started from the question, a DM — and elsewhere costs no request."""
    from tests.fake_discord import serving
    from tests.test_discord_threads import connected

    fake = FakeDiscord()
    async with serving(fake):
        async with connected(fake, seed_index, real_encoder) as (bot, _):
            in_thread = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            thread_answer = fake.message_ids[id(await next_post(fake))]
            await thread_known(bot, in_thread)
            in_dm = await fake.message("What did China and Pakistan sign?", dm=True)
            dm_answer = fake.message_ids[id(await next_post(fake))]
            chat = await fake.message("lunch?", mentions_bot=False)
        async with connected(fake, seed_index, real_encoder) as (bot, _):
            await thread_known(bot, in_thread)  # listed again when the client connects
            mark = len(fake.calls)
            await fake.delete_message(in_thread)
            await wait_for(fake, "PATCH", f"/channels/{in_thread}", mark)
            assert [c.path for c in fake.calls[mark:] if c.method == "DELETE"] == [
                f"/channels/{in_thread}/messages/{thread_answer}"]
            assert fake.threads[in_thread]["name"] == "(question deleted)"
            mark = len(fake.calls)
            await fake.delete_message(in_dm, channel=DM_CHANNEL_ID)
            await wait_for(fake, "DELETE", f"/channels/{DM_CHANNEL_ID}/messages/{dm_answer}", mark)
            mark = len(fake.calls)
            await fake.delete_message(chat)
            await asyncio.sleep(0.3)
            assert fake.calls[mark:] == []


async def test_after_a_restart_a_question_answered_in_place_still_takes_its_answer(seed_index: Path, real_encoder: Any,
                                                                                  tmp_path: Path) -> None:
    """Threads off: an @mention is answered by a reply in the channel itself. The bot notes that reply in its
    follow database, so after a restart deleting the question still takes the answer (and a refusal) with it,
    while deleting anything else there still costs no request."""
    from tests.fake_discord import serving
    from tests.test_discord_threads import connected

    store = FollowStore(tmp_path / "state.sqlite3")
    fake = FakeDiscord()
    async with serving(fake):
        async with connected(fake, seed_index, real_encoder, BotConfig(threads=False)) as (bot, service):
            service.follower = Follower(store)
            asked = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
            answer = fake.message_ids[id(await next_post(fake))]
            empty = await fake.message(f"<@{BOT_ID}> ?!")  # refused in one line, in place too
            refusal = fake.message_ids[id(await next_post(fake))]
            chat = await fake.message("lunch?", mentions_bot=False)
        assert store.replied_in(int(asked)) == int(CHANNEL_ID) and store.replied_in(int(chat)) is None
        async with connected(fake, seed_index, real_encoder, BotConfig(threads=False)) as (bot, service):
            service.follower = Follower(store)
            mark = len(fake.calls)
            await fake.delete_message(asked)
            await wait_for(fake, "DELETE", f"/channels/{CHANNEL_ID}/messages/{answer}", mark)
            mark = len(fake.calls)
            await fake.delete_message(empty)
            await wait_for(fake, "DELETE", f"/channels/{CHANNEL_ID}/messages/{refusal}", mark)
            mark = len(fake.calls)
            await fake.delete_message(chat)
            await asyncio.sleep(0.3)
            assert fake.calls[mark:] == []
        async with connected(fake, seed_index, real_encoder, BotConfig(threads=False)) as (bot, service):
            # follows off: nothing noted, nothing looked for (the answer stays, as before)
            asked = await fake.message(f"<@{BOT_ID}> What is BECA?")
            await next_post(fake)
        async with connected(fake, seed_index, real_encoder, BotConfig(threads=False)) as (bot, service):
            mark = len(fake.calls)
            await fake.delete_message(asked)
            await asyncio.sleep(0.3)
            assert fake.calls[mark:] == []


def test_a_noted_reply_is_kept_for_a_while(tmp_path: Path) -> None:
    store = FollowStore(tmp_path / "state.sqlite3")
    store.note_reply(1, 10)
    store.note_reply(2, 20, keep_days=0)  # noting prunes what is older than the kept days
    assert store.replied_in(2) == 20 and store.replied_in(3) is None
    store._db.execute("UPDATE replies SET at='2000-01-01T00:00:00+00:00' WHERE question_id=1")
    store.note_reply(4, 40)
    assert store.replied_in(1) is None and store.replied_in(4) == 40
