"""Questions left waiting, in Discord: under a refusal, 🔔 *Tell me when it's known* leaves the question
waiting (pressed again: no longer); after each update that brings articles, a question a new story answers
gets its cited answer as a reply to the refusal, where it was asked — in its thread, channel or DM.
The asker is not pinged (no reply ever pings); they see the reply in the conversation they left.
What is answered and when: follows/waiting.py. SITREP_WAIT_DAYS (14; 0 removes the button). /waiting shows
admins this server's waiting questions, most asked first: what the corpus does not cover yet.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from sitrep.chat.policy import hash_user
from sitrep.chat.render import NO_PINGS, answer_embed, clean, shorten
from sitrep.errors import SitrepError
from sitrep.follows.errors import StateError
from sitrep.follows.waiting import WaitStore

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot
    from sitrep.retrieval.types import Answer, Query

log = logging.getLogger("sitrep.bot")


def waitable(bot: SitrepBot, answer: Answer, query: Query | str | None, private: bool) -> bool:
    """Whether a refusal offers 🔔: a refusal, seen by others than Discord's ephemeral view (a reply needs a
    message to reply to), not asked as of a past day (no new story changes what was known then), and not "What
    else?" with nothing left to quote (the question was answered)."""
    as_of = getattr(query, "as_of", None)
    more = answer.asked_as is not None and answer.asked_as.more
    return answer.abstained and bot.config.wait_days > 0 and not private and as_of is None and not more


async def toggle_wait(bot: SitrepBot, interaction: discord.Interaction, question: str, searched: str,
                      source: str | None) -> None:
    """The 🔔 button: wait for a story that answers this refusal's question (as it was searched), or stop waiting."""
    follower = bot.service.follower
    if follower is None:
        raise StateError(bot.service.follow_error or "waiting for answers needs the follow database, which is off here")
    if interaction.message is None or interaction.channel_id is None:
        raise StateError("this answer cannot be replied to later: ask again in a channel, thread or DM")
    follower.store.sync(bot.service.engine.backend.article_hashes())  # what is indexed now is not news
    waits, days = WaitStore(follower.store), bot.config.wait_days
    user = hash_user(interaction.user.id, "sitrep-wait")
    if waits.cancel(interaction.message.id, user):
        text = "No longer waiting: nothing will be posted for this question."
    else:
        waits.add(interaction.channel_id, interaction.message.id, user, question, searched, source, days)
        text = (f"Waiting: when a story that answers this arrives (each update is checked, for {days:g} days), its "
                "cited answer is posted here as a reply. Press 🔔 again to stop.")
    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)


class WaitsCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot
        bot.service.after_update.append(self.post_answered)

    @app_commands.command(name="waiting", description="Admins: questions people left waiting (🔔) — what the corpus "
                                                       "does not cover yet")
    async def waiting(self, interaction: discord.Interaction) -> None:
        """This server's waiting questions, most people first, to the admin alone: which feeds or pages to add.
        Questions asked in DMs or other servers are not shown."""
        roles = [r.id for r in getattr(interaction.user, "roles", [])]
        manage = bool(interaction.permissions and interaction.permissions.manage_guild)
        if interaction.guild is None or not self.bot.service.admins.allows(interaction.user.id, roles, manage):
            await interaction.response.send_message("Only sitrep admins can list the waiting questions, in a server.",
                                                    ephemeral=True, allowed_mentions=NO_PINGS)
            return
        follower = self.bot.service.follower
        if follower is None:
            raise StateError(self.bot.service.follow_error or "waiting questions need the follow database, which is off here")
        here = interaction.guild.id
        gaps = [g for g in WaitStore(follower.store).gaps()
                if any(getattr(getattr(self.bot.get_channel(c), "guild", None), "id", None) == here for c in g.channels)]
        if not gaps:
            text = "No question asked here is waiting for a story (🔔 under a refusal leaves one waiting)."
        else:
            lines = [f"• {clean(shorten(g.question, 200))}" + (f" (from {clean(g.source)})" if g.source else "")
                     + f" — {g.people} waiting since {g.since[:10]}" for g in gaps]
            text = shorten("Waiting for a story that answers them, most asked first:\n" + "\n".join(lines), 1900)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS, suppress_embeds=True)

    async def post_answered(self) -> int:
        """Each waiting question a new story answers: its answer as a reply to its refusal; returns how many."""
        from sitrep.chat.buttons import AnswerButtons, remember

        service = self.bot.service
        if service.follower is None or self.bot.config.wait_days <= 0:
            return 0
        try:
            found, seq, engine = await service.check_waits()
        except SitrepError as exc:  # the follow database or the index: logged; the next update tries again
            log.error("waiting questions could not be checked: %s", exc)
            return 0
        waits, sent, retry = WaitStore(service.follower.store), 0, set[int]()
        by_refusal: dict[tuple[int, int], list[Any]] = {}  # several people waiting on one refusal: one reply
        for f in found:
            by_refusal.setdefault((f.wait.channel_id, f.wait.message_id), []).append(f)
        for (channel_id, message_id), group in by_refusal.items():
            f, first = group[0], min(g.wait.asked_at for g in group)
            try:
                channel: Any = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
                meta = engine.answer_meta(f.answer)
                rendered = answer_embed(f.answer, meta)
                view = AnswerButtons(self.bot, f.answer, meta, rendered.shown)
                late = await channel.send(
                    content=f"🔔 A story that arrived since answers the question left waiting here on {first[:10]}:",
                    embed=rendered.embed, view=view, allowed_mentions=NO_PINGS,
                    reference=discord.MessageReference(message_id=message_id, channel_id=channel_id,
                                                       fail_if_not_exists=False))
                remember(self.bot, late, view)
                sent += 1
            except (discord.NotFound, discord.Forbidden):  # the channel is gone or closed to the bot: nobody to tell
                log.warning("a waiting question's channel %s is gone or hidden; the wait ends", channel_id)
            except discord.HTTPException as exc:  # a passing failure: tried again after the next update
                log.warning("could not answer a waiting question in channel %s (%s); will retry", channel_id, exc)
                retry.update(g.wait.id for g in group)
                continue
            for g in group:
                waits.end(g.wait.id)
        waits.advance(seq, keep=retry)
        return sent


async def setup(bot: SitrepBot) -> None:
    await bot.add_cog(WaitsCog(bot))
