"""What the bot says to small talk (answer/smalltalk.py tells it from questions): how to ask it, what it
holds. A thanks is let be, "what's new?" gets the front page and "what's the latest on Ukraine?" its brief
(chat/cogs/ask.py)."""

from __future__ import annotations

from typing import Any

import discord

from sitrep.answer.smalltalk import GREETING, HELP, NEWS, THANKS, kind, news_topic
from sitrep.chat.render import clean, shorten

__all__ = ["GREETING", "HELP", "NEWS", "THANKS", "help_embed", "kind", "news_topic"]


def help_embed(status: dict[str, Any], outlets: int, scope: str | None, greeting: bool = False,
               name: str = "sitrep") -> discord.Embed:
    """What the bot does and how to ask it, with what it holds (the index's status) and what this channel
    searches."""
    lines = [
        "I answer questions about the news I hold by quoting the sentences that answer, each marked [n], with "
        "their sources (title, outlet, date) — or I say the corpus does not answer.",
        "",
        f"**Ask**: `/ask`, `@{name.replace('`', '')} <question>`, or a DM. In the answer's thread, follow up without a mention "
        "(*And how did India respond?*, *What else?*, *Any news?*). Edit your question and the answer follows it.",
        "**What has happened**: `/brief topic`, or *What's the latest on …?* — its dated stories, each quoted.",
        "**Be told**: `/follow topic` posts each new story on it here; 🔔 under a refusal brings the answer once "
        "a story has it.",
        "**Admins**: `/add` a page, `/feeds`, `/remove`, `/reindex`, `/waiting`. `/status` for everyone.",
    ]
    e = discord.Embed(title=f"Hello — I'm {clean(name)}" if greeting else f"{clean(name)}: cited answers from the news",
                      description="\n".join(lines), colour=discord.Colour.blurple())
    held = f"{status.get('articles') or 0} articles from {outlets} outlets"
    if status.get("newest_article_date"):
        held += f", the newest from {status['newest_article_date']}"
    e.add_field(name="What I hold", value=held, inline=False)
    if scope:
        e.add_field(name="This channel searches", value=shorten(clean(scope), 1024), inline=False)
    return e
