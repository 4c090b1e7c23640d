"""The discord.py bot: settings in, cogs loaded, slash commands synced, never a ping."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import discord
from discord.ext import commands

from sitrep.chat.failures import on_app_command_error
from sitrep.chat.render import NO_PINGS
from sitrep.chat.service import QAService, settle
from sitrep.retrieval.conversation import ConversationParams

log = logging.getLogger("sitrep.bot")


@dataclass(frozen=True)
class BotConfig:
    guild_id: int | None = None  # sync commands to this guild only (instant, for testing)
    allowed_channels: frozenset[int] = frozenset()  # empty: every channel
    qa_channels: frozenset[int] = frozenset()  # every message there is a question
    max_question_chars: int = 500
    refresh_minutes: float = 0.0  # > 0: pull feeds and update the index this often (SITREP_REFRESH_MINUTES)
    threads: bool = True  # a question asked in a channel is answered in a thread started from it
    conversation_params: ConversationParams = field(default_factory=ConversationParams)
    follow_who: str = "admins"  # who may /follow: "admins" or "everyone" (SITREP_FOLLOW_WHO)
    wait_days: float = 14.0  # a refused question may wait this long for a story that answers it (SITREP_WAIT_DAYS; 0: off)
    edit_minutes: float = 60.0  # a question edited within this long is asked again, its answer edited (SITREP_EDIT_MINUTES)
    digest_channel: int | None = None  # the day's brief of everything is posted here daily
    digest_time: str = "08:00"  # local time, HH:MM
    timezone: str = "UTC"

    @property
    def conversation_turns(self) -> int:
        return self.conversation_params.max_turns


def seconds_until(hhmm: str, zone: str, now: datetime | None = None) -> float:
    """Seconds from now to the next HH:MM in the time zone (tomorrow's if today's has passed)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    now = (now or datetime.now(UTC)).astimezone(tz)
    hour, minute = (int(x) for x in hhmm.split(":"))
    target = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= now:
        target = (now + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
        target = target.replace(tzinfo=tz)  # the wall-clock time in the zone, across a DST change too
    return (target.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


class SitrepBot(commands.Bot):
    def __init__(self, service: QAService, config: BotConfig) -> None:
        intents = discord.Intents.default()
        # Mentions and DMs arrive with their text anyway; reading every message of a Q&A channel, or a
        # follow-up in a thread that does not mention the bot, needs the privileged message content
        # intent, so ask for it only then.
        intents.message_content = bool(config.qa_channels) or config.threads
        super().__init__(command_prefix=(), intents=intents, allowed_mentions=NO_PINGS, help_command=None)
        self.service = service
        self.config = config
        self.tree.on_error = on_app_command_error  # type: ignore[method-assign]  # every command's failures, one place

    async def setup_hook(self) -> None:
        from sitrep.chat.buttons import BriefFollow, BriefMore, MoreButton, VoteButton, WaitButton
        from sitrep.chat.cogs import admin, ask, deleted, reports, waits

        self.add_dynamic_items(MoreButton, VoteButton, WaitButton, BriefMore, BriefFollow)  # buttons, whatever their age

        if self.config.refresh_minutes > 0:
            self._refresher = asyncio.create_task(self.refresh_loop(), name="sitrep-refresh")
        if self.config.digest_channel:
            self._digester = asyncio.create_task(self.digest_loop(), name="sitrep-digest")

        await ask.setup(self)
        await admin.setup(self)
        await reports.setup(self, self.config.follow_who)
        await waits.setup(self)
        await deleted.setup(self)
        settle()
        if self.config.guild_id:
            guild = discord.Object(id=self.config.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def refresh_loop(self) -> None:
        """Every refresh_minutes: feeds, then the incremental update, then the swap (bot/service.py)."""
        while True:
            await asyncio.sleep(self.config.refresh_minutes * 60)
            info = await self.service.refresh()
            if info is not None:
                log.info("scheduled refresh: %s", info)

    async def digest_loop(self) -> None:
        """Daily at digest_time (local): the day's stories of everything to digest_channel."""
        from sitrep.chat.cogs.reports import ReportsCog

        while True:
            await asyncio.sleep(seconds_until(self.config.digest_time, self.config.timezone))
            cog = self.get_cog("ReportsCog")
            if isinstance(cog, ReportsCog) and self.config.digest_channel:
                try:
                    await cog.post_digest(self.config.digest_channel)
                except Exception:
                    log.exception("daily digest failed")
            await asyncio.sleep(61)  # past the minute: one digest a day

    async def close(self) -> None:
        for name in ("_refresher", "_digester"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()
        await super().close()

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions are handled by the ask cog's listener."""

    async def on_ready(self) -> None:
        s = self.service.status()
        log.info("sitrep bot ready as %s (id %s) in %d guilds; index: %s articles, %s passages",
                 self.user, self.user.id if self.user else "?", len(self.guilds), s["articles"], s["passages"])

    def channel_allowed(self, channel_id: int | None, is_dm: bool) -> bool:
        return is_dm or not self.config.allowed_channels or channel_id in self.config.allowed_channels
