"""Why the bot declines a question: the refusal policy, each path with its exact message."""

from __future__ import annotations

from sitrep.chat.client import BotConfig, SitrepBot
from sitrep.chat.cogs.ask import refusal
from sitrep.chat.policy import RateLimiter
from sitrep.chat.service import QAService


def make_bot(**config: object) -> SitrepBot:
    now = [0.0]
    service = QAService(None, lambda: None, lambda: None,  # type: ignore[arg-type, return-value]
                        limiter=RateLimiter(limit=2, window=60, clock=lambda: now[0]))
    bot = SitrepBot(service, BotConfig(**config))  # type: ignore[arg-type]
    bot.now = now  # type: ignore[attr-defined]
    return bot


def test_a_fine_question_goes_ahead() -> None:
    assert refusal(make_bot(), 1, "What did China propose to India?", 10, False) is None


def test_only_configured_channels_but_dms_always() -> None:
    bot = make_bot(allowed_channels=frozenset({10}))
    assert refusal(bot, 1, "What is BECA?", 11, False) == "I only answer in the configured channels here."
    assert refusal(bot, 1, "What is BECA?", 10, False) is None
    assert refusal(bot, 1, "What is BECA?", 99, True) is None  # a DM


def test_empty_question_gets_an_example() -> None:
    assert refusal(make_bot(), 1, "   ", 10, False) == (
        "Ask me a question, e.g. `/ask question: What did China propose to India?`")


def test_too_long_says_by_how_much() -> None:
    why = refusal(make_bot(max_question_chars=20), 1, "x" * 25, 10, False)
    assert why == "Questions are limited to 20 characters (yours has 25): shorten it."


def test_rate_limit_per_user_with_the_wait() -> None:
    bot = make_bot()
    assert refusal(bot, 1, "q one", 10, False) is None and refusal(bot, 1, "q two", 10, False) is None
    assert refusal(bot, 1, "q three", 10, False) == "You're asking quickly: try again in 61 s."
    assert refusal(bot, 2, "q one", 10, False) is None  # someone else is not held up
    bot.now[0] = 60.0  # type: ignore[attr-defined]
    assert refusal(bot, 1, "q three", 10, False) is None


def test_refused_questions_do_not_use_up_the_rate_limit() -> None:
    bot = make_bot(max_question_chars=10)
    for _ in range(5):
        assert refusal(bot, 1, "x" * 11, 10, False) is not None
    assert refusal(bot, 1, "fine", 10, False) is None
