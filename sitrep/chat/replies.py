"""Questions the bot answered where they were asked, in an ordinary channel, remembered in the follow database
(FollowStore.note_reply), so that after a restart — when the client no longer holds the message — deleting
the question still takes its answer with it (chat/cogs/deleted.py), while a deletion of any other message
still costs no request to Discord. Threads the bot started, DMs and Q&A channels need no record: every message
there asks the bot. With follows off (no database) nothing is recorded, and such an answer stays."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from sitrep.errors import SitrepError

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot

log = logging.getLogger("sitrep.bot")


def asks_us_everywhere(bot: SitrepBot, channel_id: int, channel: Any, guild_id: int | None) -> bool:
    """Every message in this channel is a question to the bot: a DM, a thread it started, a Q&A channel."""
    me = bot.user.id if bot.user else 0
    return (guild_id is None or (isinstance(channel, discord.Thread) and channel.owner_id == me)
            or channel_id in bot.config.qa_channels)


def note_reply(bot: SitrepBot, question: discord.Message) -> None:
    """The bot replied to `question` in its own channel: remember it where a restart would lose it."""
    follower = bot.service.follower
    guild_id = question.guild.id if question.guild is not None else None
    if follower is None or asks_us_everywhere(bot, question.channel.id, question.channel, guild_id):
        return
    try:
        follower.store.note_reply(question.id, question.channel.id)
    except SitrepError as exc:  # the answer is sent: only its removal on a later deletion is lost
        log.warning("could not note the reply to %s (%s)", question.id, exc)


def replied_in(bot: SitrepBot, question_id: int) -> int | None:
    """The channel the bot replied to this message in, as noted, or None."""
    follower = bot.service.follower
    if follower is None:
        return None
    try:
        return follower.store.replied_in(question_id)
    except SitrepError:
        return None
