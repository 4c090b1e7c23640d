"""The buttons under an answer — More sources, 👍/👎, and 🔔 under a refusal — and under a brief, as discord.py
dynamic items:
a press is handled from the button's id and its message, so the buttons keep working after the 15 minutes a
view object used to live, and after the bot restarts (a press there used to end in Discord's "This
interaction failed"). The answers the bot sent last are kept (service.answers, bounded), so a press on one is
exact; on an older message, More sources asks its question again, as it was searched, in the message's
channel (the sources the index gives now), and a vote reads the cited articles from the button's id.

Under a brief: More (the next page; the window asked for in its id, the topic the message's title) and
Follow here (/follow for the brief's topic and source in this channel).

Button ids: `sitrep:more:<cited articles' keys>` (read back by threads: render.turn_from_message),
`sitrep:vote:up|down`, `sitrep:wait:<the asker's source, if any>`, `sitrep:brief:<start>:<since>:<until>:<source>`,
`sitrep:follow:<source>`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from sitrep.chat.failures import tell
from sitrep.chat.render import (
    MORE_PREFIX,
    NO_PINGS,
    answer_embed,
    brief_embed,
    more_custom_id,
    more_sources_text,
    turn_from_message,
    unescape,
)
from sitrep.chat.service import Sent
from sitrep.follows.errors import StateError
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
    return turn_from_message(e.title, e.footer.text if e.footer else None, ids, m.created_at.timestamp(), e.description)


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


# -- under a brief ---------------------------------------------------------------------------------

BRIEF_PREFIX = "sitrep:brief:"


def brief_more_id(start: int, since: Any, until: Any, source: str | None) -> str | None:
    """The id of a brief's More button: where the next page starts and the window asked for (the topic is the
    message's title); None when the source does not fit Discord's 100 characters."""
    custom_id = f"{BRIEF_PREFIX}{start}:{since or ''}:{until or ''}:{source or ''}"
    return custom_id if len(custom_id) <= 100 else None


class BriefMore(discord.ui.DynamicItem[discord.ui.Button[Any]],
                template=r"sitrep:brief:(?P<start>\d+):(?P<since>[0-9-]*):(?P<until>[0-9-]*):(?P<source>.*)"):
    """Under a brief (and each further page): the next page of stories, to whoever asks — a dynamic item, so it
    works for as long as the message exists (the brief is kept for the last 50 asked, else made again)."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="More", style=discord.ButtonStyle.secondary, custom_id=custom_id))
        self.asked = self.__discord_ui_compiled_template__.fullmatch(custom_id)

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any) -> BriefMore:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            await self._more(interaction)
        except Exception as exc:
            await tell(interaction, exc, "button More (brief)")

    async def _more(self, interaction: discord.Interaction) -> None:
        from datetime import date


        match, message = self.asked, interaction.message
        title = message.embeds[0].title if message is not None and message.embeds else None
        if match is None or not title or not title.startswith("Brief: "):
            await interaction.response.send_message("This brief cannot be read back: ask /brief again.", ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        topic = " ".join(unescape(title.removeprefix("Brief: ")).split())
        since = date.fromisoformat(match["since"]) if match["since"] else None
        until = date.fromisoformat(match["until"]) if match["until"] else None
        source, start = match["source"] or None, int(match["start"])
        service = interaction.client.service  # type: ignore[attr-defined]
        b = service.briefs.get((topic, since, until, source))
        if b is None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            b = await service.brief(topic, since, until, source, max_entries=50)
            service.briefs.put((topic, since, until, source), b)
        page = brief_embed(b, start)
        send = interaction.followup.send if interaction.response.is_done() else interaction.response.send_message
        if not page.shown:
            await send("That was the whole brief.", ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await send(embed=page.embed, view=brief_view(b, start + page.shown, since, until, source), ephemeral=True,
                   allowed_mentions=NO_PINGS)


FOLLOW_PREFIX = "sitrep:follow:"


class BriefFollow(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"sitrep:follow:(?P<source>.*)"):
    """Under a brief: follow its topic (and source) in this channel, as /follow does — the topic is the message's
    title; a brief with no stories yet is where following helps most."""

    def __init__(self, source: str) -> None:
        super().__init__(discord.ui.Button(label="Follow here", emoji="📌", style=discord.ButtonStyle.secondary,
                                           custom_id=FOLLOW_PREFIX + source))
        self.source = source or None

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any) -> BriefFollow:
        return cls(match["source"])

    async def callback(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        try:
            message = interaction.message
            title = message.embeds[0].title if message is not None and message.embeds else None
            cog = interaction.client.get_cog("ReportsCog")  # type: ignore[attr-defined]
            if not title or not title.startswith("Brief: ") or cog is None:
                raise StateError("this brief's topic cannot be read back: use /follow")
            await cog.add_follow(interaction, " ".join(unescape(title.removeprefix("Brief: ")).split()), self.source)
        except Exception as exc:
            await tell(interaction, exc, "button Follow here")


def brief_view(b: Any, start: int, since: Any, until: Any, source: str | None,
               follow: bool = False) -> discord.ui.View | Any:
    """A More button for the stories from `start` on (none when there are none, or the source is too long for a
    button's id), and Follow here under the brief itself; discord.utils.MISSING when neither."""
    view = discord.ui.View(timeout=None)
    custom_id = brief_more_id(start, since, until, source)
    if custom_id is not None and len(b.stories) + len(b.undated) > start:
        view.add_item(BriefMore(custom_id))
    if follow and len(FOLLOW_PREFIX + (source or "")) <= 100:
        view.add_item(BriefFollow(source or ""))
    return view if view.children else discord.utils.MISSING
