"""/ask, @mentions, DMs, Q&A channels, and the follow-ups in the threads and replies that carry on
from an answer -> a cited answer; buttons for more sources and feedback.

A conversation is where people continue it: a thread the bot started from a question (each user
message in it is a follow-up, no mention needed, unless it replies to another user), a reply to any
of the bot's answers, or a DM channel. Its earlier turns are read back from the bot's own answers
in the channel's history (bot/discord_render.py: turn_from_message), so a restart loses nothing;
service.conversations keeps them in memory meanwhile, bounded. A question edited soon after it was
asked is asked again, and its answer edited in place.

Over 300 lines on purpose: every way a question arrives (the slash command, a message, a reply, a
thread's follow-up, and the edit of any of them) shares one reading of where it was asked and one
conversation store; split, each part would reach into the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from sitrep.chat import smalltalk
from sitrep.chat.buttons import AnswerButtons, remember
from sitrep.chat.failures import reply_failure
from sitrep.chat.render import NO_PINGS, answer_embed, question_text, shorten, turn_from_message, unescape
from sitrep.chat.replies import note_reply
from sitrep.retrieval.conversation import Conversation, Turn
from sitrep.retrieval.types import Query

if TYPE_CHECKING:
    from sitrep.chat.client import SitrepBot

log = logging.getLogger("sitrep.bot")
EXAMPLE = "e.g. `/ask question: What did China propose to India?`"
HISTORY = 20  # messages read back to rebuild a conversation (Onyx reads a thread's last 20 too)
THREAD_NAME_MAX = 100
QUOTED_MAX = 300  # characters of a message replied to that a question carries on from


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


@dataclass(frozen=True)
class Asked:
    """How a user's message asks: where (dm, thread, reply, new), the channel whose scope applies, the
    answer it replies to."""

    where: str
    scope_id: int
    replied: discord.Message | None
    is_dm: bool


def _same_question(title: str | None, question: str) -> bool:
    """Whether an answer's title (the question, cleaned and maybe cut) is this question's."""
    was, now = " ".join(unescape(title or "").split()), " ".join(question.split())
    return was == now or (bool(title) and (title or "").endswith("…") and now.startswith(was))


def thread_name(question: str) -> str:
    """A thread's name: the question, within Discord's 100 characters."""
    return shorten(" ".join(question.split()), THREAD_NAME_MAX) or "sitrep"


def turn_of(message: discord.Message, me: int) -> Turn | None:
    """The turn one of the bot's answers records, or None for any other message."""
    if message.author.id != me or not message.embeds:
        return None
    embed = message.embeds[0]
    ids = [c.custom_id for row in message.components for c in getattr(row, "children", ())
           if isinstance(getattr(c, "custom_id", None), str)]
    return turn_from_message(embed.title, embed.footer.text if embed.footer else None, ids, message.created_at.timestamp(),
                             embed.description)


def said_for_the_same(turns: list[Turn]) -> list[Turn]:
    """Each turn with the sentences quoted by every turn read that searched the same text: "What else?" re-asks
    its question, so a chain of them is one question, and what its early answers quoted (past the turns a
    conversation remembers) is not quoted again after a restart either."""
    said: dict[str, list[str]] = {}
    for t in reversed(turns):  # oldest first
        said.setdefault(t.asked, []).extend(t.quoted)
    return [replace(t, quoted=tuple(dict.fromkeys(said[t.asked]))) for t in turns]


def earlier_turns(replied: discord.Message | None, me: int) -> list[Turn]:
    """What a question asked in reply to a message carries on from: the turn of the bot's answer it replies
    to, or the words of someone's message it replies to — "@sitrep is this true?" under a claim asks about
    the claim (the conversation's follow-up rules decide, as for any earlier turn: a question that names its
    own subject stands alone)."""
    if replied is None:
        return []
    if replied.author.id == me:
        turn = turn_of(replied, me)
        return [turn] if turn else []
    said = shorten(" ".join(question_text(replied.content).split()), QUOTED_MAX)
    return [Turn(said, said, ())] if said else []  # quoted now, however old the message


class AskCog(commands.Cog):
    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot
        self.about = app_commands.ContextMenu(name="Ask sitrep about this", callback=self.about_message)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.about)  # a message menu cannot be declared in a cog's body

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.about.name, type=self.about.type)

    async def _answer(self, query: Query | str, conversation: Conversation | None = None,
                      private: bool = False) -> tuple[discord.Embed, AnswerButtons]:
        answer, engine = await self.bot.service.ask(query, conversation)
        meta = engine.answer_meta(answer)
        rendered = answer_embed(answer, meta)
        return rendered.embed, AnswerButtons(self.bot, answer, meta, rendered.shown, query, private)

    def _help(self, scope_id: int | None, greeting: bool = False) -> discord.Embed:
        service = self.bot.service
        scope = service.scopes.get(scope_id or 0)
        return smalltalk.help_embed(service.status(), len(service.engine.backend.stats().outlets),
                                    scope.describe() if scope else None, greeting,
                                    self.bot.user.name if self.bot.user else "sitrep")

    @app_commands.command(name="help", description="What sitrep does, how to ask it, and what it holds")
    async def help_command(self, interaction: discord.Interaction) -> None:
        channel = interaction.channel
        scope_id = channel.parent_id if isinstance(channel, discord.Thread) else interaction.channel_id
        await interaction.response.send_message(embed=self._help(scope_id), ephemeral=True, allowed_mentions=NO_PINGS)

    async def source_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """/ask source: the index's outlets that contain what was typed (Discord shows 25 at most)."""
        return [app_commands.Choice(name=o[:100], value=o[:100]) for o in self.bot.service.outlets(current)]

    @app_commands.command(name="ask", description="Ask the news corpus; the answer quotes its sources verbatim")
    @app_commands.describe(question="What you want to know, e.g. What did China propose to India?",
                           source="Only articles from this outlet or site", since="Only articles since: 30d, 2w, 6m or YYYY-MM-DD",
                           as_of="Answer as if asked on this day (YYYY-MM-DD): nothing published later is used",
                           k="Passages to retrieve (1-25)", private="Only you see the answer (no thread)")
    @app_commands.autocomplete(source=source_choices)
    async def ask(self, interaction: discord.Interaction, question: str, source: str | None = None, since: str | None = None,
                  as_of: str | None = None, k: app_commands.Range[int, 1, 25] | None = None, private: bool = False) -> None:
        await self._interaction_answer(interaction, question_text(question), private,
                                       source=source, since=since, as_of=as_of, k=k)

    async def about_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The message menu's *Ask sitrep about this*: what the corpus says about a message's words — a claim
        someone posted, a headline — answered as /ask answers (in the channel, with a thread for follow-ups)."""
        said = shorten(" ".join(question_text(message.content).split()), QUOTED_MAX)
        if not said:
            await interaction.response.send_message("That message has no words to ask about.", ephemeral=True,
                                                    allowed_mentions=NO_PINGS)
            return
        await self._interaction_answer(interaction, said, private=False)

    async def _interaction_answer(self, interaction: discord.Interaction, question: str, private: bool,
                                  **options: Any) -> None:
        channel = interaction.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        scope_id = thread.parent_id if thread else interaction.channel_id
        query = self.bot.service.query(question, scope_id, **options)  # a bad date: told
        # (by the tree's handler, chat/failures.py) before anything runs or counts
        why = refusal(self.bot, interaction.user.id, question, scope_id, interaction.guild_id is None)
        if why:
            await interaction.response.send_message(why, ephemeral=True, allowed_mentions=NO_PINGS)
            return
        await interaction.response.defer(thinking=True, ephemeral=private)  # within Discord's 3 s, before any work
        me = self.bot.user.id if self.bot.user else 0
        ours = thread is not None and thread.owner_id == me
        conversation = await self._conversation(thread) if ours and thread else Conversation()
        embed, view = await self._answer(query, conversation, private)  # a bad option, the index's server away: the handler says so
        sent = await interaction.followup.send(embed=embed, view=view, ephemeral=private, allowed_mentions=NO_PINGS,
                                               wait=True)
        remember(self.bot, sent, view)
        if ours and thread:
            self.bot.service.conversations.put(thread.id, conversation)
        elif self.bot.config.threads and not private and isinstance(channel, discord.TextChannel):
            # The follow-up message a webhook returns carries no guild; the channel's own handle on it does.
            await self._open_thread(channel.get_partial_message(sent.id), question, conversation)

    async def _open_thread(self, message: discord.Message | discord.PartialMessage, question: str, conversation: Conversation) -> discord.Thread | None:
        """A thread started from `message`, named after the question, where follow-ups need no mention."""
        try:
            thread = await message.create_thread(name=thread_name(question))
        except discord.HTTPException as exc:  # no Create Public Threads permission, a thread already there ...
            log.warning("could not start a thread (%s); answering in the channel", exc.status)
            return None
        self.bot.service.conversations.put(thread.id, conversation)
        return thread

    async def _conversation(self, channel: Any) -> Conversation:
        """The conversation of a thread or DM: from memory, else read back from its history."""
        store = self.bot.service.conversations
        found = store.get(channel.id)
        if found is not None:
            return found
        me = self.bot.user.id if self.bot.user else 0
        limit = self.bot.config.conversation_turns
        turns: list[Turn] = []
        try:
            async for m in channel.history(limit=HISTORY):  # newest first
                turn = turn_of(m, me)
                if turn is not None:
                    turns.append(turn)
            if isinstance(channel, discord.Thread) and len(turns) < limit and isinstance(channel.parent, discord.TextChannel):
                starter = channel.starter_message or await channel.parent.fetch_message(channel.id)  # /ask: the answer
                turn = turn_of(starter, me)
                if turn is not None:
                    turns.append(turn)
        except discord.HTTPException as exc:  # history unreadable: carry on with what was read
            log.warning("could not read the history of channel %s (%s)", channel.id, exc.status)
        conversation = Conversation(self.bot.config.conversation_params, turns=reversed(said_for_the_same(turns)[:limit]))
        store.put(channel.id, conversation)
        return conversation

    async def _thread_of(self, channel: Any) -> discord.Thread | None:
        if isinstance(channel, discord.Thread):
            return channel
        if isinstance(channel, discord.PartialMessageable) and channel.guild_id is not None:
            # A thread the cache has not seen (started before a restart and not yet listed): ask once.
            try:
                found = await self.bot.fetch_channel(channel.id)
            except discord.HTTPException:
                return None
            return found if isinstance(found, discord.Thread) else None
        return None

    @staticmethod
    async def _referenced(message: discord.Message) -> discord.Message | None:
        ref = message.reference
        if ref is None or ref.message_id is None:
            return None
        if isinstance(ref.resolved, discord.Message):
            return ref.resolved
        if isinstance(ref.cached_message, discord.Message):
            return ref.cached_message
        try:
            return await message.channel.fetch_message(ref.message_id)
        except discord.HTTPException:
            return None

    async def _asked(self, message: discord.Message) -> Asked | None:
        """How a user's message is a question for the bot, or None when it is not one."""
        me = self.bot.user
        if message.author.bot or me is None:
            return None
        is_dm = message.guild is None
        mentioned = me in message.mentions
        thread = None if is_dm else await self._thread_of(message.channel)
        ours = thread is not None and thread.owner_id == me.id
        replied = await self._referenced(message) if message.reference else None
        to_answer = replied is not None and turn_of(replied, me.id) is not None
        to_someone = replied is not None and replied.author.id != me.id
        scope_id = thread.parent_id if thread is not None else message.channel.id
        in_qa = thread is None and message.channel.id in self.bot.config.qa_channels
        if is_dm:
            where = "dm"
        elif ours and (mentioned or not to_someone):  # people talking to each other in the thread: not for us
            where = "thread"
        elif to_answer:
            where = "reply"
        elif mentioned or in_qa:
            where = "new"
        else:
            return None
        return Asked(where, scope_id, replied, is_dm)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        asked = await self._asked(message)
        if asked is None:
            return
        question = question_text(message.content)
        talk = smalltalk.kind(question)
        if talk == smalltalk.THANKS:
            return  # "thanks!", 👍: nothing to search for, nothing to say
        if talk == smalltalk.NEWS and (asked.where in ("thread", "reply") or (
                asked.where == "dm" and (await self._conversation(message.channel)).turns)):
            talk = None  # in a conversation "any news?" re-asks its question on what is new (retrieval/conversation.py)
        topic = smalltalk.news_topic(question) if talk is None else None
        why = refusal(self.bot, message.author.id, question, asked.scope_id, asked.is_dm)
        try:
            if why:
                await message.reply(why, allowed_mentions=NO_PINGS, mention_author=False)
            elif talk == smalltalk.NEWS:  # "what's new?" with nothing asked before: the front page
                await self._brief_reply(message, asked.scope_id)
            elif topic:  # "what's the latest on Ukraine?": the topic's brief, as /brief gives it
                await self._brief_reply(message, asked.scope_id, topic)
            elif talk is not None:  # "help", "hi": how to ask, not a search
                await message.reply(embed=self._help(asked.scope_id, talk == smalltalk.GREETING),
                                    allowed_mentions=NO_PINGS, mention_author=False)
            elif await self._follow(message, question, asked.where, asked.scope_id, asked.replied):
                return  # answered in a thread started from the question
        except Exception as exc:  # a user error in one line, a bug logged (chat/failures.py)
            await reply_failure(message, exc)
        note_reply(self.bot, message)  # answered in place: a deletion after a restart still finds it

    async def _brief_reply(self, message: discord.Message, scope_id: int | None, topic: str = "") -> None:
        """The latest days' stories, most outlets first, as `/brief` with no topic gives them (the channel's scope
        applies), in reply; with a topic, its brief as `/brief topic` gives it (📌 for whoever may follow)."""
        from datetime import UTC, datetime

        from sitrep.chat.buttons import brief_view
        from sitrep.chat.render import brief_embed, clean
        from sitrep.retrieval.dates import brief_window

        service = self.bot.service
        scope = service.scopes.get(scope_id or 0)
        start, end = brief_window(scope.since if scope else None, None, datetime.now(UTC).date())
        source = scope.source if scope else None
        async with message.channel.typing():
            b = await service.brief(topic, start, end, source, max_entries=50)
        key = " ".join(unescape(clean(b.topic)).split()) if topic else b.topic  # as its title reads back for "More"
        service.briefs.put((key, start, end, source), b)
        page = brief_embed(b)
        reports: Any = self.bot.get_cog("ReportsCog")
        author = message.author
        follow = bool(topic) and service.follower is not None and message.guild is not None and reports is not None and (
            reports.may_follow(author.id, [r.id for r in getattr(author, "roles", [])],
                               bool(getattr(getattr(author, "guild_permissions", None), "manage_guild", False))))
        await message.reply(embed=page.embed, view=brief_view(b, page.shown, start, end, source, follow),
                            allowed_mentions=NO_PINGS, mention_author=False)

    async def _follow(self, message: discord.Message, question: str, where: str, scope_id: int,
                      replied: discord.Message | None) -> bool:
        """Answer, in a thread started from the message (True) or in reply to it."""
        me = self.bot.user.id if self.bot.user else 0
        query = self.bot.service.query(question, scope_id)
        if where in ("dm", "thread"):
            conversation = await self._conversation(message.channel)
        else:
            conversation = Conversation(self.bot.config.conversation_params, turns=earlier_turns(replied, me))
        target: Any = message.channel
        if where == "new" and self.bot.config.threads and isinstance(message.channel, discord.TextChannel):
            target = await self._open_thread(message, question, conversation) or message.channel
        async with target.typing():
            embed, view = await self._answer(query, conversation)
        if target is not message.channel:
            sent = await target.send(embed=embed, view=view, allowed_mentions=NO_PINGS)
        else:
            sent = await message.reply(embed=embed, view=view, allowed_mentions=NO_PINGS, mention_author=False)
        remember(self.bot, sent, view)
        if where in ("dm", "thread"):
            self.bot.service.conversations.put(message.channel.id, conversation)
        return target is not message.channel

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A question edited soon after it was asked (a typo, a better word) is asked again, and its answer
        (or the one-line refusal it got) is edited in place: no second answer, nothing pinged. An edit
        that leaves the question as it was (Discord's link previews) asks nothing; neither does a
        question whose conversation has moved on (an answer after its own)."""
        message = payload.message
        window = timedelta(minutes=self.bot.config.edit_minutes)  # a later edit corrects the record: not asked again
        if message.edited_at is None or message.edited_at - message.created_at > window:
            return
        asked = await self._asked(message)
        found = await self._reply_to(message, asked) if asked is not None else None
        if asked is None or found is None:
            return
        answer, thread = found
        question = question_text(message.content)
        if (answer.embeds and _same_question(answer.embeds[0].title, question)) or smalltalk.kind(question):
            return
        try:
            why = refusal(self.bot, message.author.id, question, asked.scope_id, asked.is_dm)
            if why:
                await answer.edit(content=why, embed=None, view=None, allowed_mentions=NO_PINGS)
                return
            me = self.bot.user.id if self.bot.user else 0
            keeps = thread or (message.channel if asked.where in ("dm", "thread") else None)
            if keeps is not None:  # a conversation: asked again as its last turn, if it still is
                async for later in keeps.history(after=answer, limit=HISTORY):
                    if turn_of(later, me) is not None:
                        return
                conversation = await self._conversation(keeps)
                if conversation.turns and answer.embeds:
                    conversation.turns.pop()  # the edited question's turn, asked again below
            else:
                conversation = Conversation(self.bot.config.conversation_params, turns=earlier_turns(asked.replied, me))
            embed, view = await self._answer(self.bot.service.query(question, asked.scope_id), conversation)
            edited = await answer.edit(content=None, embed=embed, view=view, allowed_mentions=NO_PINGS)
            remember(self.bot, edited, view)
            if keeps is not None:
                self.bot.service.conversations.put(keeps.id, conversation)
            if thread is not None:  # the thread started from the question is named after it
                try:
                    await thread.edit(name=thread_name(question))
                except discord.HTTPException as exc:  # the answer is edited: a thread's name is not worth a failure
                    log.warning("could not rename thread %s (%s)", thread.id, exc.status)
        except Exception as exc:  # a user error in one line, a bug logged (chat/failures.py)
            await reply_failure(message, exc)

    async def _reply_to(self, message: discord.Message, asked: Asked) -> tuple[discord.Message, discord.Thread | None] | None:
        """The bot's answer to a question, or its one-line refusal: first in the thread started from the
        question, else the bot's reply to it in its channel. Read from Discord, so a restart loses none."""
        me = self.bot.user.id if self.bot.user else 0
        if asked.where == "new" and isinstance(message.channel, discord.TextChannel):
            thread = message.thread  # a thread started from a message has the message's id
            if thread is None:  # not in the cache (a restart): ask once
                try:
                    found = await self.bot.fetch_channel(message.id)
                except discord.HTTPException:  # none: answered in the channel (no permission, or refused)
                    found = None
                thread = found if isinstance(found, discord.Thread) else None
            if thread is not None and thread.owner_id == me:
                async for m in thread.history(limit=5, oldest_first=True):
                    if turn_of(m, me) is not None:
                        return m, thread
                return None
        async for m in message.channel.history(after=message, limit=HISTORY):
            if m.author.id == me and m.reference is not None and m.reference.message_id == message.id:
                return m, None
        return None

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """Nothing about a conversation outlives its thread."""
        self.bot.service.conversations.drop(payload.thread_id)


async def setup(bot: SitrepBot) -> None:
    await bot.add_cog(AskCog(bot))
