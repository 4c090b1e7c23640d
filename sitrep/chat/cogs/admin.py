"""/status for everyone; /reindex and /add for admins only (configured ids or roles, else Manage Server)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from sitrep.chat.render import NO_PINGS

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot

log = logging.getLogger("sitrep.bot")


class AdminCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    @app_commands.command(name="status", description="What the index holds: articles, passages, newest article, last build")
    async def status(self, interaction: discord.Interaction) -> None:
        s = self.bot.service.status()
        embed = discord.Embed(title="sitrep index", colour=discord.Colour.blurple())
        for name, key in (("Articles", "articles"), ("Passages", "passages"), ("Newest article", "newest_article_date"),
                          ("Last build", "built_at"), ("Model", "model"), ("Backend", "backend")):
            embed.add_field(name=name, value=str(s[key] or "unknown"), inline=True)
        embed.add_field(name="Last refresh", value=refresh_line(s.get("last_refresh")), inline=False)
        channel = interaction.channel
        scope_id = channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
        scope = self.bot.service.scopes.get(scope_id or 0)
        embed.add_field(name="This channel searches", value=scope.describe() if scope else "everything (no scope set)",
                        inline=False)
        await interaction.response.send_message(embed=embed, allowed_mentions=NO_PINGS)

    async def _may_change(self, interaction: discord.Interaction, refusal: str, busy: str) -> bool:
        """Whether the user may change the corpus now (an admin, and no reindex running); if so the reply is
        deferred (the change takes a while), if not they alone are told why."""
        roles = [r.id for r in getattr(interaction.user, "roles", [])]
        manage = bool(interaction.permissions and interaction.permissions.manage_guild)
        why = (refusal if not self.bot.service.admins.allows(interaction.user.id, roles, manage)
               else busy if self.bot.service.reindexing else None)
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


def refresh_line(info: dict | None) -> str:
    """What the last scheduled refresh did, in one line for /status."""
    if not info:
        return "none yet (SITREP_REFRESH_MINUTES turns it on)"
    if "error" in info:
        return f"{info['at']}: failed ({info['error']}); still answering from the previous index"
    feeds = f", {info['saved_from_feeds']} saved from feeds" if "saved_from_feeds" in info else ""
    return f"{info['at']}: {info['added']} added, {info['changed']} changed, {info['removed']} removed{feeds}"


async def setup(bot: SitrepBot) -> None:
    await bot.add_cog(AdminCog(bot))
