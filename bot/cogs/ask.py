"""/ask, @mentions, DMs and Q&A channels -> a cited answer; buttons for more sources and feedback."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_render import Meta, answer_embed, more_sources_text, question_text
from retrieval.errors import RetrievalError
from retrieval.types import Answer

if TYPE_CHECKING:
    from bot.client import SitrepBot

log = logging.getLogger("sitrep.bot")
NO_PINGS = discord.AllowedMentions.none()
EXAMPLE = "e.g. `/ask question: What did China propose to India?`"


class AnswerView(discord.ui.View):
    """Under an answer: the next sources (only to whoever asks), and 👍/👎 feedback."""

    def __init__(self, bot: SitrepBot, answer: Answer, meta: Meta, shown: int) -> None:
        super().__init__(timeout=900)
        self.bot, self.answer, self.meta, self.shown = bot, answer, meta, shown

    @discord.ui.button(label="More sources", style=discord.ButtonStyle.secondary)
    async def more(self, interaction: discord.Interaction, _: discord.ui.Button[AnswerView]) -> None:
        await interaction.response.send_message(more_sources_text(self.answer, self.meta, self.shown),
                                                ephemeral=True, allowed_mentions=NO_PINGS)

    async def _vote(self, interaction: discord.Interaction, vote: str) -> None:
        log_ = self.bot.service.feedback
        if log_ is not None:
            ids = [c.article_id for c in self.answer.citations] or [h.article_id for h in self.answer.hits[:3]]
            log_.record(self.answer.question, ids, vote, interaction.user.id)
        await interaction.response.send_message("Thanks, noted.", ephemeral=True, allowed_mentions=NO_PINGS)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def up(self, interaction: discord.Interaction, _: discord.ui.Button[AnswerView]) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def down(self, interaction: discord.Interaction, _: discord.ui.Button[AnswerView]) -> None:
        await self._vote(interaction, "down")


def refusal(bot: SitrepBot, user_id: int, question: str, channel_id: int | None, is_dm: bool) -> str | None:
    """Why this question is not answered now, or None. Pure policy, tested without Discord."""
    if not bot.channel_allowed(channel_id, is_dm):
        return "I only answer in the configured channels here."
    if not question.strip():
        return f"Ask me a question, {EXAMPLE}"
    if len(question) > bot.config.max_question_chars:
        return f"Questions are limited to {bot.config.max_question_chars} characters (yours has {len(question)}): shorten it."
    wait = bot.service.limiter.check(user_id)
    if wait:
        return f"You're asking quickly: try again in {int(wait) + 1} s."
    return None


class AskCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    async def _answer(self, question: str) -> tuple[discord.Embed, AnswerView]:
        answer, engine = await self.bot.service.ask(question)
        meta = engine.answer_meta(answer)
        rendered = answer_embed(answer, meta)
        return rendered.embed, AnswerView(self.bot, answer, meta, rendered.shown)

    @app_commands.command(name="ask", description="Ask the news corpus; the answer quotes its sources verbatim")
    @app_commands.describe(question="What you want to know, e.g. What did China propose to India?")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        question = question_text(question)
        why = refusal(self.bot, interaction.user.id, question, interaction.channel_id, interaction.guild_id is None)
        if why:
            await interaction.response.send_message(why, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.response.defer(thinking=True)  # within Discord's 3 s, before any work
        try:
            embed, view = await self._answer(question)
        except RetrievalError as exc:
            await interaction.followup.send(str(exc), ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.followup.send(embed=embed, view=view, allowed_mentions=NO_PINGS)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None:
            return
        is_dm = message.guild is None
        mentioned = me in message.mentions
        in_qa = message.channel.id in self.bot.config.qa_channels
        if not (is_dm or mentioned or in_qa):
            return
        question = question_text(message.content)
        why = refusal(self.bot, message.author.id, question, message.channel.id, is_dm)
        try:
            if why:
                await message.reply(why, allowed_mentions=NO_PINGS, mention_author=False)
                return
            async with message.channel.typing():
                embed, view = await self._answer(question)
            await message.reply(embed=embed, view=view, allowed_mentions=NO_PINGS, mention_author=False)
        except RetrievalError as exc:
            await message.reply(str(exc), allowed_mentions=NO_PINGS, mention_author=False)
        except Exception:
            log.exception("answering message %s failed", message.id)
            await message.reply("Sorry, something went wrong answering that; it has been logged.",
                                allowed_mentions=NO_PINGS, mention_author=False)


async def setup(bot: SitrepBot) -> None:
    await bot.add_cog(AskCog(bot))
