"""/status and /feeds list for everyone; /reindex, /add, /remove and /feeds add|remove for admins only (configured ids or
roles, else Manage Server)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from sitrep.chat.render import NO_PINGS, clean, shorten
from sitrep.feeds.errors import FetchError
from sitrep.feeds.ingest import check_url

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot

log = logging.getLogger("sitrep.bot")


class AdminCog(commands.Cog):
    feeds = app_commands.Group(name="feeds", description="The RSS/Atom feeds the bot reads")

    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot
        self._tasks: set[asyncio.Task[Any]] = set()  # refreshes started by /feeds add, kept until they end

    @app_commands.command(name="status", description="What the index holds: articles, passages, newest article, last build")
    async def status(self, interaction: discord.Interaction) -> None:
        s = self.bot.service.status()
        embed = discord.Embed(title="sitrep index", colour=discord.Colour.blurple())
        for name, key in (("Articles", "articles"), ("Passages", "passages"), ("Newest article", "newest_article_date"),
                          ("Last build", "built_at"), ("Model", "model"), ("Backend", "backend")):
            embed.add_field(name=name, value=str(s[key] or "unknown"), inline=True)
        embed.add_field(name="Last refresh", value=refresh_line(s.get("last_refresh")), inline=False)
        if self.bot.service.feed_list is not None:
            health = await asyncio.to_thread(self.bot.service.feed_list.health)  # a file read: off the event loop
            embed.add_field(name="Feeds", value=feeds_line(health), inline=False)
        embed.add_field(name="Follows", value=follows_line(self.bot.service.follower, self.bot.service.follow_error),
                        inline=False)
        channel = interaction.channel
        scope_id = channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
        scope = self.bot.service.scopes.get(scope_id or 0)
        embed.add_field(name="This channel searches", value=scope.describe() if scope else "everything (no scope set)",
                        inline=False)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)

    async def _may_change(self, interaction: discord.Interaction, refusal: str, busy: str | None) -> bool:
        """Whether the user may change the corpus now (an admin, and no reindex running unless `busy` is None);
        if so the reply is deferred (the change takes a while), if not they alone are told why."""
        roles = [r.id for r in getattr(interaction.user, "roles", [])]
        manage = bool(interaction.permissions and interaction.permissions.manage_guild)
        why = (refusal if not self.bot.service.admins.allows(interaction.user.id, roles, manage)
               else busy if busy is not None and self.bot.service.reindexing else None)
        if why is not None:
            await interaction.response.send_message(why, ephemeral=True, allowed_mentions=NO_PINGS)
            return False
        await interaction.response.defer(thinking=True, ephemeral=True)
        return True

    @app_commands.command(name="add", description="Admins: add a news page by its address (its story is indexed)")
    @app_commands.describe(url="the page's http(s) address")
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]) -> None:
        if not await self._may_change(interaction, "Only sitrep admins can add pages to the corpus.",
                                      "A reindex is running; add the page when it has finished."):
            return
        page, r = await self.bot.service.add_page(url)  # a page that cannot be used: the tree's handler says why
        if r is None:
            text = f"Already in the corpus, unchanged: {page.describe()}."
        else:
            text = f"Added: {page.describe()}; {r.passages_embedded} passages embedded, {r.passages} in the index."
            if not page.date:
                text += " It has no publication date: briefs and dated questions will not place it."
        await interaction.followup.send(text[:2000], ephemeral=True, allowed_mentions=NO_PINGS)

    async def indexed_articles(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=a[:100], value=a[:100]) for a in self.bot.service.article_ids(current)]

    @app_commands.command(name="remove", description="Admins: take an article out of the corpus (its file is kept aside)")
    @app_commands.describe(article="its file as the sources show it (type part of it), or its web address")
    @app_commands.autocomplete(article=indexed_articles)
    async def remove(self, interaction: discord.Interaction, article: app_commands.Range[str, 1, 2000]) -> None:
        if not await self._may_change(interaction, "Only sitrep admins can remove articles.",
                                      "A reindex is running; remove the article when it has finished."):
            return
        meta, _, r = await self.bot.service.remove(article)  # no such article: the tree's handler says so
        title = " — ".join(x for x in (meta.title or meta.id, meta.source, meta.date) if x)
        text = (f"Removed: {clean(title)} (`{meta.id.replace('`', '')}`); {r.passages} passages left in the index. "
                "Its file is kept aside on the bot's machine.")
        await interaction.followup.send(shorten(text, 2000), ephemeral=True, allowed_mentions=NO_PINGS)

    # -- /feeds -------------------------------------------------------------------------------------
    def _feed_list(self) -> Any:
        if self.bot.service.feed_list is None or self.bot.service.probe_feed is None:
            raise FetchError("feeds are not set up in this bot")
        return self.bot.service.feed_list

    def _probe(self) -> Any:
        if self.bot.service.probe_feed is None:
            raise FetchError("feeds are not set up in this bot")
        return self.bot.service.probe_feed

    async def listed_feeds(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        urls = self.bot.service.feed_list.urls() if self.bot.service.feed_list is not None else []
        return [app_commands.Choice(name=u[:100], value=u[:100]) for u in urls if current.lower() in u.lower()][:25]

    @feeds.command(name="add", description="Admins: read a new RSS/Atom feed; its stories join the corpus")
    @app_commands.describe(url="the feed's http(s) address")
    async def feeds_add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]) -> None:
        listed = self._feed_list()  # not set up: the tree's handler says so, in one line
        if not await self._may_change(interaction, "Only sitrep admins can add feeds.", None):
            return
        url = check_url(url)  # a refusal (file:, no scheme) or a feed that cannot be read: the tree's handler
        if url in listed.urls():
            await interaction.followup.send(f"Already read: {url}", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        probe = await asyncio.to_thread(self._probe(), url)  # read once: a feed, or a page naming one?
        if probe.url in listed.urls():
            await interaction.followup.send(f"Already read: {probe.url}, the feed {url} names", ephemeral=True,
                                            allowed_mentions=NO_PINGS, suppress_embeds=True)
            return
        listed.add(probe.url)
        items = f"{probe.items} item{'' if probe.items == 1 else 's'} now"
        found = f", the feed {probe.found_on} names" if probe.found_on else ""
        text = f"Added feed **{clean(probe.title or 'untitled')}** ({items}): {probe.url}{found}. "
        if self.bot.service.pull_feeds is None:
            text += "This bot does not pull feeds itself: `sitrep feeds pull` does."
        elif self.bot.service.reindexing:
            text += "A reindex or refresh is running; its stories come with the next refresh."
        else:
            task = asyncio.create_task(self.bot.service.refresh())  # pulls every feed, then updates and swaps
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            text += "Pulling its stories now; /status shows when that is done."
            minutes = self.bot.config.refresh_minutes
            text += (f" New ones come every {minutes:g} minutes." if minutes > 0 else
                     " Later ones come only when the bot refreshes: SITREP_REFRESH_MINUTES turns that on.")
        await interaction.followup.send(shorten(text, 2000), ephemeral=True, allowed_mentions=NO_PINGS,
                                        suppress_embeds=True)

    @feeds.command(name="remove", description="Admins: stop reading a feed (its stories already indexed stay)")
    @app_commands.describe(url="one of the feeds (/feeds list)")
    @app_commands.autocomplete(url=listed_feeds)
    async def feeds_remove(self, interaction: discord.Interaction, url: str) -> None:
        listed = self._feed_list()
        if not await self._may_change(interaction, "Only sitrep admins can remove feeds.", None):
            return
        removed = await asyncio.to_thread(listed.remove, url)  # the feed state's file too: off the event loop
        text = (f"No longer reading {url.strip()} (its stories already indexed stay)." if removed
                else f"{url.strip()} is not read here: /feeds list shows what is.")
        await interaction.followup.send(shorten(text, 2000), ephemeral=True, allowed_mentions=NO_PINGS,
                                        suppress_embeds=True)

    @feeds.command(name="list", description="The RSS/Atom feeds the bot reads")
    async def feeds_list(self, interaction: discord.Interaction) -> None:
        health = await asyncio.to_thread(self._feed_list().health)  # the feed state's file: off the event loop
        text = ("Feeds read here:\n" + "\n".join(f"• {u} — {clean(line)}" for u, line in health)) if health else \
            "No feeds yet: an admin adds one with `/feeds add url`."
        await interaction.response.send_message(shorten(text, 2000), ephemeral=True, allowed_mentions=NO_PINGS,
                                                suppress_embeds=True)

    @app_commands.command(name="reindex", description="Admins: index new and changed articles of the corpus now")
    async def reindex(self, interaction: discord.Interaction) -> None:
        if not await self._may_change(interaction, "Only sitrep admins can rebuild the index.",
                                      "A reindex is already running; wait for it to finish."):
            return
        r = await self.bot.service.reindex()  # a refusal or failure (SitrepError) is told by the tree's handler
        text = (f"Index updated: {r.added} added, {r.changed} changed, {r.removed} removed, {r.unchanged} unchanged; "
                f"{r.passages} passages ({r.passages_embedded} embedded) in {r.seconds:.1f} s.")
        if r.warnings:
            text += f" {len(r.warnings)} files skipped (see the bot's log)."
            for w in r.warnings:
                log.warning("reindex: %s", w)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)


def feeds_line(health: list[tuple[str, str]]) -> str:
    """How many feeds are read and how many are failing, for /status."""
    if not health:
        return "none (/feeds add url)"
    failing = sum(line.startswith("FAILING") for _, line in health)
    return f"{len(health)} read" + (f", {failing} failing: /feeds list says why" if failing else ", all ok or not pulled yet")


def follows_line(follower: Any, error: str | None) -> str:
    """How many topics are followed where, and how many refused questions wait for a story, for /status."""
    from sitrep.follows.errors import StateError
    from sitrep.follows.waiting import WaitStore

    if follower is None:
        return f"off: {error}" if error else "off"
    try:
        follows, waiting = follower.store.follows(), len(WaitStore(follower.store).waits())
    except StateError as exc:  # locked or damaged: /status still answers
        return f"unavailable now: {exc}"
    channels = len({f.channel_id for f in follows})
    return (f"{len(follows)} followed in {channels} channel{'' if channels == 1 else 's'}; "
            f"{waiting} refused question{'' if waiting == 1 else 's'} waiting for a story (🔔)")


def refresh_line(info: dict | None) -> str:
    """What the last scheduled refresh did, in one line for /status."""
    if not info:
        return "none yet (SITREP_REFRESH_MINUTES turns it on)"
    if "error" in info:
        return f"{info['at']}: failed ({info['error']}); still answering from the previous index"
    feeds = f", {info['saved_from_feeds']} saved from feeds" if "saved_from_feeds" in info else ""
    if info.get("feed_failures"):
        feeds += f" ({info['feed_failures']} feeds or pages failed: /feeds list shows the feeds' health)"
    return f"{info['at']}: {info['added']} added, {info['changed']} changed, {info['removed']} removed{feeds}"


async def setup(bot: SitrepBot) -> None:
    await bot.add_cog(AdminCog(bot))
