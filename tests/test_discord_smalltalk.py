"""Small talk in Discord, end to end (the real discord.py client against tests/fake_discord.py): "help"
and "hi" get how to ask, not a search; "what's new?" the front page, "what's the latest on X?" X's brief; "thanks" and 👍 in an answer's thread get nothing and do not
become a turn of its conversation; /help answers only the asker. Slow: the real model answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fake_discord import BOT_ID
from tests.test_discord_e2e import next_post, no_pings
from tests.test_discord_edits import quiet
from tests.test_discord_threads import CHINA, bot_running, first_source, footer, seed_index, thread_known

pytestmark = pytest.mark.slow
__all__ = ["seed_index"]  # the module's index fixture, shared


async def test_small_talk_is_not_searched(seed_index: Path, real_encoder: Any) -> None:
    async with bot_running(seed_index, real_encoder) as (fake, bot, _):
        asked = await fake.message(f"<@{BOT_ID}> help")
        helped = await next_post(fake)
        no_pings(helped.body)
        embed = helped.body["embeds"][0]
        assert embed["title"] == "sitrep: cited answers from the news" and "`/brief topic`" in embed["description"]
        assert {f["name"]: f["value"] for f in embed["fields"]}["What I hold"].startswith("5 articles from ")
        assert str(helped.body["message_reference"]["message_id"]) == asked  # a reply, no thread for it
        assert not [c for c in fake.calls if c.path.endswith(f"/messages/{asked}/threads")]

        await fake.message(f"<@{BOT_ID}> hi!")
        assert (await next_post(fake)).body["embeds"][0]["title"] == "Hello — I'm sitrep"

        # In an answer's thread, "thanks" and a 👍 are let be: nothing posted, and no turn of the conversation.
        thread = await fake.message(f"<@{BOT_ID}> What did China propose to India?")
        first = await next_post(fake)
        assert CHINA in first_source(first)
        await thread_known(bot, thread)
        mark = len(fake.calls)
        await fake.message("thanks!", mentions_bot=False, channel=thread)
        await fake.message("👍", mentions_bot=False, channel=thread)
        assert await quiet(fake, mark) == []
        await fake.message("And how did India respond?", mentions_bot=False, channel=thread)
        follow = await next_post(fake)
        assert footer(follow).startswith("understood as: What did China propose to India? And how did India respond?\n")

        # "What's new?" with nothing asked before: the front page, as /brief with no topic, no 📌 (it is no topic).
        await fake.message(f"<@{BOT_ID}> What's new?")
        page = await next_post(fake)
        assert page.body["embeds"][0]["title"] == "Brief: the latest news"
        assert "1 story, 2020-12-09 to 2020-12-11" in page.body["embeds"][0]["description"]
        assert "sitrep:follow:" not in str(page.body.get("components"))

        # "What's the latest on …?": that topic's brief, as /brief topic gives it, in reply (no thread: no answer to
        # follow up); "What's the latest on it?" in a conversation stays its "any news?".
        asked = await fake.message(f"<@{BOT_ID}> What's the latest on China and Pakistan?")
        brief = await next_post(fake)
        no_pings(brief.body)
        assert brief.body["embeds"][0]["title"] == "Brief: China and Pakistan"
        assert "China and Pakistan have signed an agreement" in str(brief.body["embeds"][0])
        assert str(brief.body["message_reference"]["message_id"]) == asked
        assert not [c for c in fake.calls if c.path.endswith(f"/messages/{asked}/threads")]

        # /help: only the asker sees it.
        await fake.slash("help")
        reply = await next_post(fake)
        assert reply.body["type"] == 4 and reply.body["data"]["flags"] == 64
        assert reply.body["data"]["embeds"][0]["title"] == "sitrep: cited answers from the news"

        # A question edited into a thanks is not asked again.
        asked = await fake.message(f"<@{BOT_ID}> What did China and Pakistan sign?")
        await next_post(fake)
        mark = len(fake.calls)
        await fake.edit_message(asked, f"<@{BOT_ID}> thanks")
        assert await quiet(fake, mark) == []
