"""The one place the Discord bot turns an exception into what the user reads. A `SitrepError` (the
root of every package's user errors: a bad date, the index's server gone, the follow database
locked ...) is its one line, sent only to the asker; anything else is a bug: logged with its
traceback, and the user gets an apology. Slash commands reach it through the command tree's error
handler (installed by the client, so it does not depend on any cog being loaded), an answer's buttons
through chat/buttons.py's guard, other buttons through `View.on_error` (their views derive from
`SitrepView`), questions asked by message through `reply_failure`."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from sitrep.chat.render import NO_PINGS
from sitrep.errors import SitrepError

log = logging.getLogger("sitrep.bot")
SORRY = "Sorry, something went wrong; it has been logged."


def failure_text(error: BaseException, doing: str) -> str:
    """What the user is told about `error`, raised while `doing` (for the log)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, SitrepError):
        log.info("%s: %s", doing, error)
        return str(error)
    log.error("%s failed", doing, exc_info=error)
    return SORRY


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """The command tree's error handler: the reply goes to the asker alone (ephemeral)."""
    await tell(interaction, error, f"/{interaction.command.name if interaction.command else '?'}")


class SitrepView(discord.ui.View):
    """A message's buttons: a failure in one is told like a command's."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        await tell(interaction, error, f"button {getattr(item, 'label', None) or getattr(item, 'emoji', None) or '?'}")


async def tell(interaction: discord.Interaction, error: BaseException, doing: str) -> None:
    """The failure's text to whoever used the interaction, and to no one else."""
    text = failure_text(error, doing)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException:
        log.exception("could not report the failure to the user")


async def reply_failure(message: discord.Message, error: BaseException) -> None:
    """A question asked by message (mention, DM, thread, reply) failed: say so under it."""
    text = failure_text(error, f"answering message {message.id}")
    try:
        await message.reply(text, allowed_mentions=NO_PINGS, mention_author=False)
    except discord.HTTPException:
        log.exception("could not report the failure to the user")
