"""`sitrep bot`: run the Discord bot, built from the App like every other front-end."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from sitrep.app.compose import App
from sitrep.cli.ask import target_of
from sitrep.cli.errors import UserError
from sitrep.follows.errors import StateError
from sitrep.retrieval.errors import RetrievalError


def cmd_bot(args: argparse.Namespace, app: App) -> int:
    settings = app.settings
    if settings.discord_token is None or not settings.discord_token.get_secret_value().strip():
        raise UserError("DISCORD_TOKEN is not set: create a bot at https://discord.com/developers/applications "
                        "(Bot > Reset Token), then put DISCORD_TOKEN=... in .env or the environment (see docs/discord.md)")
    import discord

    from sitrep.chat.client import BotConfig, SitrepBot
    from sitrep.chat.policy import AdminPolicy, FeedbackLog, RateLimiter, parse_scopes
    from sitrep.chat.service import QAService

    config = BotConfig(
        guild_id=settings.discord_guild_id,
        allowed_channels=settings.ids("discord_allowed_channels"),
        qa_channels=settings.ids("discord_qa_channels"),
        max_question_chars=settings.max_question_chars,
        refresh_minutes=settings.refresh_minutes,
        threads=settings.discord_threads,
        follow_who=settings.follow_who,
        wait_days=settings.wait_days,
        edit_minutes=settings.edit_minutes,
        digest_channel=settings.digest_channel,
        digest_time=settings.digest_time,
        timezone=settings.timezone,
    )
    settings.zone()  # a bad SITREP_TIMEZONE fails now, in one line
    try:
        scopes = parse_scopes(settings.discord_channel_scopes)
    except ValueError as exc:
        raise UserError(f"setting SITREP_DISCORD_CHANNEL_SCOPES is invalid: {exc}; use CHANNEL_ID=SOURCE[@SINCE], "
                        "e.g. 920000000000000001=cnn.com@30d") from None
    except RetrievalError as exc:
        raise UserError(f"setting SITREP_DISCORD_CHANNEL_SCOPES is invalid: {exc}") from None
    admins = AdminPolicy(settings.ids("discord_admin_user_ids"), settings.ids("discord_admin_role_ids"))
    target = target_of(app, args)
    engine = app.engine(target)  # no index: one line now, not a half-working bot
    service = QAService(engine, lambda: app.engine(target), app.updater(target),
                        RateLimiter(settings.rate_limit_questions, settings.rate_limit_seconds), admins,
                        FeedbackLog(Path(settings.feedback_path)), k=settings.default_k, pull_feeds=app.pull_feeds,
                        scopes=scopes, add_pages=app.add_pages, feed_list=app.feed_list(), probe_feed=app.probe_feed,
                        remove_article=lambda backend, ref: app.remove_article(backend, ref, target=target))
    try:  # a damaged or locked follow database turns follows off, with the reason; questions still work
        service.follower = app.follower()
    except StateError as exc:
        service.follow_error = str(exc)
        print(f"sitrep: follows are off: {exc}", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(logging.WARNING)
    bot = SitrepBot(service, config)
    try:
        asyncio.run(bot.start(settings.discord_token.get_secret_value()))
    except discord.LoginFailure:
        raise UserError("Discord rejected the token: reset it in the developer portal (Bot > Reset Token) and update DISCORD_TOKEN") from None
    except discord.PrivilegedIntentsRequired:
        raise UserError("Q&A channels and follow-ups in threads need the Message Content intent: enable it under "
                        "Bot > Privileged Gateway Intents, or set SITREP_DISCORD_THREADS=false and clear "
                        "SITREP_DISCORD_QA_CHANNELS") from None
    return 0
