"""The buttons under an answer — More sources, 👍/👎, and 🔔 under a refusal — as discord.py dynamic items:
a press is handled from the button's id and its message, so the buttons keep working after the 15 minutes a
view object used to live, and after the bot restarts (a press there used to end in Discord's "This
interaction failed"). The answers the bot sent last are kept (service.answers, bounded), so a press on one is
exact; on an older message, More sources asks its question again, as it was searched, in the message's
channel (the sources the index gives now), and a vote reads the cited articles from the button's id.

Button ids: `sitrep:more:<cited articles' keys>` (read back by threads: render.turn_from_message),
`sitrep:vote:up|down`, `sitrep:wait:<the asker's source, if any>`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from sitrep.chat.failures import tell
from sitrep.chat.render import MORE_PREFIX, NO_PINGS, answer_embed, more_custom_id, more_sources_text, turn_from_message
from sitrep.chat.service import Sent
from sitrep.retrieval.conversation import Turn, article_key

if TYPE_CHECKING:
    from sitrep.answer.engine import Meta
    from sitrep.chat.client import SitrepBot
    from sitrep.retrieval.types import Answer, Query

WAIT_PREFIX = "sitrep:wait:"
_SOURCE_MAX = 100 - len(WAIT_PREFIX)  # Discord's 100 characters for a custom id


class AnswerButtons(discord.ui.View):
    """The buttons of one answer; `sent` is what to remember once the message exists (remember())."""

    def __init__(self, bot: SitrepBot, answer: Answer, meta: Meta, shown: int, query: Query | str | None = None,
                 private: bool = False) -> None:
        from sitrep.chat.cogs.waits import waitable

        super().__init__(timeout=None)  # every item is dynamic: nothing is kept per message by discord.py
        self.sent = Sent(answer, meta, shown)
        self.add_item(MoreButton(more_custom_id(answer)))
        self.add_item(VoteButton("up"))
        self.add_item(VoteButton("down"))
        if waitable(bot, answer, query, private):
            source = getattr(query, "source", None)
            self.add_item(WaitButton(source if source and len(source) <= _SOURCE_MAX else ""))


def remember(bot: SitrepBot, message: discord.Message | discord.WebhookMessage | None, view: AnswerButtons) -> None:
    if message is not None:
        bot.service.answers.put(message.id, view.sent)


async def _guarded(interaction: discord.Interaction, doing: str, run: Callable[[], Awaitable[None]]) -> None:
    """A failure is told to whoever pressed, as a command's is (chat/failures.py)."""
    try:
        await run()
    except Exception as exc:
        await tell(interaction, exc, doing)


def _turn(interaction: discord.Interaction) -> Turn | None:
    """The turn the pressed message records (its question, what was searched, the cited keys)."""
    m = interaction.message
    if m is None or not m.embeds:
        return None
    ids = [c.custom_id for row in m.components for c in getattr(row, "children", ()) if isinstance(getattr(c, "custom_id", None), str)]
    e = m.embeds[0]
    return turn_from_message(e.title, e.footer.text if e.footer else None, ids, m.created_at.timestamp())


def _bot(interaction: discord.Interaction) -> SitrepBot:
    return interaction.client  # type: ignore[return-value]


class MoreButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sitrep:more:(?P<keys>[0-9a-f,]*)"):
    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="More sources", style=discord.ButtonStyle.secondary, custom_id=custom_id))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: Any) -> MoreButton:
        return cls(MORE_PREFIX + match["keys"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await _guarded(interaction, "button More sources", lambda: self._more(interaction))

    async def _more(self, interaction: discord.Interaction) -> None:
        bot, message = _bot(interaction), interaction.message
        sent = bot.service.answers.get(message.id) if message is not None else None
        if sent is None:  # an older message: its question asked again, as it was searched, in its channel
            turn = _turn(interaction)
            if turn is None:
                await interaction.response.send_message("This answer's question cannot be read back: ask it again.",
                                                        ephemeral=True, allowed_mentions=NO_PINGS)
                return
            wait = bot.service.limiter.check(interaction.user.id)  # it asks again: counted as a question
            if wait:
                await interaction.response.send_message(f"You're asking quickly: try again in {int(wait) + 1} s.",
                                                        ephemeral=True, allowed_mentions=NO_PINGS)
                return
            channel = interaction.channel
            scope_id = channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
            await interaction.response.defer(ephemeral=True, thinking=True)
            answer, engine = await bot.service.ask(bot.service.query(turn.asked, scope_id))
            meta = engine.answer_meta(answer)
            sent = Sent(answer, meta, answer_embed(answer, meta).shown)
            await interaction.followup.send(more_sources_text(sent.answer, sent.meta, sent.shown), ephemeral=True,
                                            allowed_mentions=NO_PINGS, suppress_embeds=True)
            return
        await interaction.response.send_message(more_sources_text(sent.answer, sent.meta, sent.shown),  # links, no previews
                                                ephemeral=True, allowed_mentions=NO_PINGS, suppress_embeds=True)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sitrep:vote:(?P<vote>up|down)"):
    def __init__(self, vote: str) -> None:
        super().__init__(discord.ui.Button(emoji="👍" if vote == "up" else "👎", style=discord.ButtonStyle.secondary,
                                           custom_id=f"sitrep:vote:{vote}"))
        self.vote = vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: Any) -> VoteButton:
        return cls(match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await _guarded(interaction, f"button {'👍' if self.vote == 'up' else '👎'}", lambda: self._vote(interaction))

    async def _vote(self, interaction: discord.Interaction) -> None:
        bot, message = _bot(interaction), interaction.message
        log_ = bot.service.feedback
        if log_ is not None:
            sent = bot.service.answers.get(message.id) if message is not None else None
            if sent is not None:
                a = sent.answer
                question, ids = a.question, [c.article_id for c in a.citations] or [h.article_id for h in a.hits[:3]]
            else:  # an older message: the question from its title, the cited articles from its keys
                turn = _turn(interaction)
                keys = set(turn.cited) if turn is not None else set()
                question = turn.question if turn is not None else ""
                ids = [a for a in bot.service.engine.backend.article_hashes() if article_key(a) in keys]
            log_.record(question, ids, self.vote, interaction.user.id)
        await interaction.response.send_message("Thanks, noted.", ephemeral=True, allowed_mentions=NO_PINGS)


class WaitButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sitrep:wait:(?P<source>.*)"):
    def __init__(self, source: str) -> None:
        super().__init__(discord.ui.Button(label="Tell me when it's known", emoji="🔔", style=discord.ButtonStyle.secondary,
                                           custom_id=WAIT_PREFIX + source))
        self.source = source or None

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: Any) -> WaitButton:
        return cls(match["source"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        await _guarded(interaction, "button 🔔", lambda: self._wait(interaction))

    async def _wait(self, interaction: discord.Interaction) -> None:
        from sitrep.chat.cogs.waits import toggle_wait
        from sitrep.follows.errors import StateError

        bot, message = _bot(interaction), interaction.message
        sent = bot.service.answers.get(message.id) if message is not None else None
        if sent is not None:
            a = sent.answer
            question, searched = a.question, a.asked_as.text if a.asked_as is not None else a.question
        else:
            turn = _turn(interaction)
            if turn is None:
                raise StateError("this refusal's question cannot be read back: ask it again, then press 🔔")
            question, searched = turn.question, turn.asked
        await toggle_wait(bot, interaction, question, searched, self.source)
