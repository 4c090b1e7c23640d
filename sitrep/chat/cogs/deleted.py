"""A question deleted takes its answer with it: the answer's title repeats the question, and whoever
deleted it wanted it gone — unless somebody carried on from the answer (a follow-up after it, a reply to
it, someone else in its thread, or a person waiting on it with 🔔), whose conversation it stays in.

A message the client still holds in its message cache tells whether it asked the bot anything, so a
deletion anywhere else costs no request to Discord. One it does not hold (the bot restarted since it was
sent) is looked for only where every message asks the bot — the thread started from it, a DM, a thread the
bot started, a Q&A channel — or where the bot noted that it replied to it in place (chat/replies.py: an @mention
answered in an ordinary channel; a local look-up), so there too nothing is asked of Discord for a deletion
elsewhere. The bot's answer is
found as the edit handler finds it (chat/cogs/ask.py): first in the thread started from the question,
else the bot's reply to it. A thread left with nothing in it is renamed and archived (deleting a thread
needs Manage Threads, which the bot is not given); the conversation it kept in memory is dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from sitrep.chat.cogs.ask import HISTORY, turn_of
from sitrep.chat.replies import asks_us_everywhere, replied_in
from sitrep.errors import SitrepError
from sitrep.follows.waiting import WaitStore

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot

log = logging.getLogger("sitrep.bot")
DELETED_NAME = "(question deleted)"


class DeletedCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        me = self.bot.user.id if self.bot.user else 0
        question = payload.cached_message
        if question is not None and (question.author.bot or not self._asked_us(question, me)):
            return
        try:
            thread = self.bot.get_channel(payload.message_id)  # a thread started from a message has the message's id
            if isinstance(thread, discord.Thread) and thread.owner_id == me:
                await self._clear_thread(thread, me)
            elif question is not None:
                await self._delete_reply(question.channel, payload.message_id, me, question.guild is None)
            elif (where := self._ours(payload, me)) is not None:  # not cached (a restart since): where every
                await self._delete_reply(where, payload.message_id, me, True)  # message is a question to the bot
        except discord.HTTPException as exc:  # gone already, or not the bot's to touch: nothing else to do
            log.warning("could not take away the answer to a deleted question in %s (%s)", payload.channel_id, exc.status)

    def _ours(self, payload: discord.RawMessageDeleteEvent, me: int) -> Any:
        """For a deletion the cache cannot explain: the channel when every message in it asks the bot — a DM, a
        thread the bot started, a Q&A channel — or when the bot noted a reply to this message there (chat/replies.py),
        else None (a deletion anywhere else costs no request)."""
        channel = self.bot.get_channel(payload.channel_id)
        if asks_us_everywhere(self.bot, payload.channel_id, channel, payload.guild_id) or (
                replied_in(self.bot, payload.message_id) == payload.channel_id):
            return channel or self.bot.get_partial_messageable(payload.channel_id)
        return None

    def _asked_us(self, message: discord.Message, me: int) -> bool:
        """Whether the message could have been a question (the ask cog's reading, without a request)."""
        channel = message.channel
        return (message.guild is None or any(u.id == me for u in message.mentions)
                or (isinstance(channel, discord.Thread) and channel.owner_id == me)
                or channel.id in self.bot.config.qa_channels or message.reference is not None)

    async def _clear_thread(self, thread: discord.Thread, me: int) -> None:
        ours = [m async for m in thread.history(limit=HISTORY)]
        if any(m.author.id != me for m in ours) or self._waited_on(m.id for m in ours):
            return  # somebody carried on here
        for m in ours:
            await m.delete()
        self.bot.service.conversations.drop(thread.id)
        await thread.edit(name=DELETED_NAME, archived=True)

    async def _delete_reply(self, channel: Any, question: int, me: int, dm: bool) -> None:
        answer, later = None, []
        async for m in channel.history(after=discord.Object(question), limit=HISTORY, oldest_first=True):
            if answer is None and m.author.id == me and m.reference is not None and m.reference.message_id == question:
                answer = m
            elif answer is not None:
                later.append(m)
        if answer is None or self._waited_on([answer.id]):
            return
        conversation = dm or isinstance(channel, discord.Thread)
        if any(m.reference is not None and m.reference.message_id == answer.id for m in later) or (
                conversation and any(turn_of(m, me) is not None for m in later)):
            return  # a reply to the answer, or a later turn of its conversation
        await answer.delete()
        if conversation:
            self.bot.service.conversations.drop(channel.id)  # read back from what is left when next asked

    def _waited_on(self, message_ids: Any) -> bool:
        follower = self.bot.service.follower
        if follower is None:
            return False
        ids = set(message_ids)
        try:
            return any(w.message_id in ids for w in WaitStore(follower.store).waits())
        except SitrepError:  # the follow database unreadable: keep the answer rather than guess
            return True


async def setup(bot: SitrepBot) -> None:
    await bot.add_cog(DeletedCog(bot))
