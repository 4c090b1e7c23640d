"""Situation reports in Discord: /brief (a topic's stories, newest first, each quoted), /follow,
/unfollow and /following; after each refresh or /reindex that brings new articles, every follow's new
stories are posted to its channel — one message a story (a digest past SITREP_FOLLOW_DIGEST_AFTER),
and a story that more outlets carry later is an edit of its post, never a second post.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from sitrep.answer import frontpage
from sitrep.chat.buttons import brief_view
from sitrep.chat.render import NO_PINGS, brief_embed, clean, digest_embed, shorten, story_embed, unescape
from sitrep.errors import SitrepError
from sitrep.follows.errors import StateError
from sitrep.follows.state import topic_key
from sitrep.retrieval.dates import brief_window

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot
    from sitrep.follows.follower import Delivery

log = logging.getLogger("sitrep.bot")


class ReportsCog(commands.Cog):
    def __init__(self, bot: SitrepBot, follow_who: str = "admins") -> None:
        self.bot = bot
        self.follow_who = follow_who
        bot.service.after_update.append(self.post_follows)

    # -- /brief -------------------------------------------------------------------------------------
    async def source_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=o[:100], value=o[:100]) for o in self.bot.service.outlets(current)]

    @app_commands.command(name="brief", description="What has happened on a topic (none: the latest news), each story quoted")
    @app_commands.describe(topic="A few words; -word leaves stories out, e.g. Ukraine -grain (none: the latest days' stories)",
                           since="Only since: 30d, 2w, 6m or YYYY-MM-DD", until="The window's last day, YYYY-MM-DD",
                           source="Only articles from this outlet or site")
    @app_commands.autocomplete(source=source_choices)
    async def brief(self, interaction: discord.Interaction, topic: str = "", since: str | None = None,
                    until: str | None = None, source: str | None = None) -> None:
        from datetime import UTC, datetime

        channel = interaction.channel  # a channel's scope (SITREP_DISCORD_CHANNEL_SCOPES) as for /ask; the options win
        scope = self.bot.service.scopes.get((channel.parent_id if isinstance(channel, discord.Thread) else
                                             interaction.channel_id) or 0)
        if scope is not None:
            source, since = source or scope.source, since or scope.since
        start, end = brief_window(since, until, datetime.now(UTC).date())  # a bad window: told before the defer
        await interaction.response.defer(thinking=True)
        b = await self.bot.service.brief(topic, start, end, source, max_entries=50)
        self.bot.service.briefs.put((" ".join(unescape(clean(b.topic)).split()), start, end, source), b)  # as its title reads back
        page = brief_embed(b)
        follow = (self.bot.service.follower is not None and interaction.guild is not None and b.topic != frontpage.TOPIC
                  and self._may_follow(interaction))
        await interaction.followup.send(embed=page.embed, view=brief_view(b, page.shown, start, end, source, follow),
                                        allowed_mentions=NO_PINGS)

    # -- follows ------------------------------------------------------------------------------------
    def _may_follow(self, interaction: discord.Interaction) -> bool:
        roles = [r.id for r in getattr(interaction.user, "roles", [])]
        return self.may_follow(interaction.user.id, roles, bool(interaction.permissions and interaction.permissions.manage_guild))

    def may_follow(self, user_id: int, roles: list[int], manage: bool) -> bool:
        """SITREP_FOLLOW_WHO: everyone, or the admins (configured ids and roles, else Manage Server)."""
        return self.follow_who == "everyone" or self.bot.service.admins.allows(user_id, roles, manage)

    def _store(self) -> Any:
        follower = self.bot.service.follower
        if follower is None:
            raise StateError(self.bot.service.follow_error or "follows are off on this bot")
        return follower.store

    @app_commands.command(name="follow", description="Post new stories on a topic to this channel as they arrive")
    @app_commands.describe(topic="A few words; -word leaves stories out, e.g. Ukraine -grain (none: every story from the source)",
                           source="Only stories from this outlet or site (default: the channel's, if it has one)")
    @app_commands.autocomplete(source=source_choices)
    async def follow(self, interaction: discord.Interaction, topic: str = "", source: str | None = None) -> None:
        await self.add_follow(interaction, topic, source)

    async def add_follow(self, interaction: discord.Interaction, topic: str, source: str | None) -> None:
        """/follow, and Follow under a brief: who may, where the bot can post, then the follow saved."""
        if interaction.guild is None or interaction.channel_id is None:
            await interaction.response.send_message("Follows post to a server channel: use /follow in one.", ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        if not self._may_follow(interaction):
            await interaction.response.send_message("Only sitrep admins can add follows here (SITREP_FOLLOW_WHO).",
                                                    ephemeral=True, allowed_mentions=NO_PINGS)
            return
        perms = interaction.app_permissions
        thread = isinstance(interaction.channel, discord.Thread)
        can_send = perms.send_messages_in_threads if thread else perms.send_messages
        if not (can_send and perms.embed_links and perms.view_channel):
            await interaction.response.send_message(
                "I can't post in this channel (I need View Channel, Send Messages and Embed Links here): "
                "grant them, then /follow again. Nothing was saved.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        store = self._store()
        store.sync(self.bot.service.engine.backend.article_hashes())  # what is indexed now is not news
        if source is None:  # a channel scoped to one outlet follows that outlet's stories
            channel = interaction.channel
            scope = self.bot.service.scopes.get((channel.parent_id if isinstance(channel, discord.Thread) else
                                                 interaction.channel_id) or 0)
            source = scope.source if scope is not None else None
        f = store.add(interaction.channel_id, topic, interaction.user.id, source=source)
        what = "each new story on it" if f.topic else "each new story"
        await interaction.response.send_message(
            f"This channel now follows **{clean(f.label)}**: {what} is posted here as it arrives, "
            "quoting the sentence that matters.", allowed_mentions=NO_PINGS)

    async def followed_topics(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        try:
            follows = self._store().follows(interaction.channel_id)
        except StateError:
            return []
        typed = current.lower()
        return [app_commands.Choice(name=f.label[:100], value=f.label[:100]) for f in follows if typed in f.label.lower()][:25]

    @app_commands.command(name="unfollow", description="Stop posting new stories on a topic to this channel")
    @app_commands.describe(topic="One of this channel's follows")
    @app_commands.autocomplete(topic=followed_topics)
    async def unfollow(self, interaction: discord.Interaction, topic: str) -> None:
        if not self._may_follow(interaction):
            await interaction.response.send_message("Only sitrep admins can remove follows here (SITREP_FOLLOW_WHO).",
                                                    ephemeral=True, allowed_mentions=NO_PINGS)
            return
        store = self._store()
        key = topic_key(topic)
        mine = store.follows(interaction.channel_id or 0)  # by its label (as /following names it), else an outlet-free topic
        f = next((f for f in mine if topic_key(f.label) == key), None) or \
            next((f for f in mine if f.source is None and topic_key(f.topic) == key), None)
        removed = f is not None and store.remove(f.channel_id, f.topic, f.source)
        text = (f"This channel no longer follows **{clean(f.label)}**." if f is not None and removed
                else f"This channel does not follow **{clean(topic)}**: /following lists what it follows.")
        await interaction.response.send_message(text, ephemeral=not removed, allowed_mentions=NO_PINGS)

    @app_commands.command(name="following", description="The topics this channel follows")
    async def following(self, interaction: discord.Interaction) -> None:
        follows = self._store().follows(interaction.channel_id)
        if not follows:
            text = "This channel follows nothing yet: `/follow topic: India China border talks`."
        else:
            text = shorten("This channel follows: " + ", ".join(f"**{clean(f.label)}**" for f in follows), 1900)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)

    # -- posting ------------------------------------------------------------------------------------
    async def post_follows(self) -> int:
        """Check every follow against the new articles and post what is new; returns messages sent or edited."""
        try:
            checked = await self.bot.service.check_follows()
        except SitrepError as exc:  # the follow database or the index: logged; the next update tries again
            log.error("follow check failed: %s", exc)
            return 0
        if checked is None:
            return 0
        report, seq = checked
        sent = 0
        store = self.bot.service.follower.store
        for d in report.deliveries:
            if d.empty:
                store.advance(d.follow.id, seq)
                continue
            try:
                ids, n = await self._deliver(d)
            except discord.HTTPException as exc:  # a passing failure: try again after the next update
                log.warning("could not post to channel %s (%s); will retry", d.follow.channel_id, exc)
                continue
            store.record(d, seq, ids)
            sent += n
        return sent

    async def post_digest(self, channel_id: int) -> bool:
        """The day's stories of everything (SITREP_DIGEST_CHANNEL), one message; False when there was nothing."""
        import asyncio

        service = self.bot.service
        if service.follower is None:
            return False
        engine = service.engine

        def run() -> Any:
            with service._model_lock:
                return service.follower.day(engine)
        stories = await asyncio.to_thread(run)
        if not stories:
            return False
        channel: Any = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        embed = digest_embed("the day's news", stories)
        embed.title = shorten(f"Today: {len(stories)} stor{'y' if len(stories) == 1 else 'ies'}, most outlets first", 256)
        await channel.send(embed=embed, allowed_mentions=NO_PINGS)
        return True

    async def _deliver(self, d: Delivery) -> tuple[dict[str, int | None], int]:
        channel: Any = self.bot.get_channel(d.follow.channel_id)
        try:
            if channel is None:
                channel = await self.bot.fetch_channel(d.follow.channel_id)
        except (discord.NotFound, discord.Forbidden):
            log.warning("follow %r: channel %s is gone or hidden; its stories are marked delivered", d.follow.topic,
                        d.follow.channel_id)
            return {}, 0
        ids: dict[str, int | None] = {}
        sent = 0
        try:
            if d.digest:
                msg = await channel.send(embed=digest_embed(d.follow.label, list(d.new)), allowed_mentions=NO_PINGS)
                ids = {s.key: msg.id for s in d.new}
                sent += 1
            else:
                for s in d.new:
                    msg = await channel.send(embed=story_embed(s, d.follow.label), allowed_mentions=NO_PINGS)
                    ids[s.key] = msg.id
                    sent += 1
            for post, s in d.updates:
                if post.message_id is None:
                    continue
                try:
                    msg = await channel.fetch_message(post.message_id)
                except discord.NotFound:
                    continue  # deleted by someone: nothing to update
                if msg.embeds and msg.embeds[0].title and msg.embeds[0].title.startswith(tuple("0123456789")) \
                        and "new stories" in msg.embeds[0].title:
                    await msg.reply(embed=story_embed(s, d.follow.label), allowed_mentions=NO_PINGS)  # under a digest
                else:
                    await msg.edit(embed=story_embed(s, d.follow.label), allowed_mentions=NO_PINGS)
                sent += 1
        except discord.Forbidden:
            log.warning("follow %r: no permission to post in channel %s; its stories are marked delivered",
                        d.follow.topic, d.follow.channel_id)
        return ids, sent


async def setup(bot: SitrepBot, follow_who: str = "admins") -> None:
    await bot.add_cog(ReportsCog(bot, follow_who))
