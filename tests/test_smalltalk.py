"""Small talk is told from questions: only a whole message of help, greeting or thanks is one."""

from __future__ import annotations

import pytest

from sitrep.answer.smalltalk import GREETING, HELP, NEWS, THANKS, kind, news_topic
from sitrep.chat.render import EMBED_TOTAL_MAX
from sitrep.chat.smalltalk import help_embed


@pytest.mark.parametrize(("message", "expected"), [
    ("help", HELP), ("Help!", HELP), ("sitrep help please", HELP), ("What can you do?", HELP),
    ("how do I use this?", HELP), ("commands", HELP),
    ("hi", GREETING), ("Hello there!", GREETING), ("good morning", GREETING),
    ("What's new?", NEWS), ("any news?", NEWS), ("Latest news", NEWS), ("headlines", NEWS),
    ("news about China", None), ("What is new with Apple?", None),
    ("thanks!", THANKS), ("Thank you so much", THANKS), ("ok thanks", THANKS), ("great, thanks 🙏", THANKS),
    ("got it", THANKS), ("That makes sense", THANKS), ("I see", THANKS), ("Thanks’", THANKS), ("👍", THANKS),
    ("🙏🙏", THANKS),
    # Questions, however they start or end:
    ("hi, what did China propose?", None), ("What help did China offer?", None), ("help desk closures in Ohio", None),
    ("thanks giving traffic", None), ("ok why", None), ("Why?", None), ("And India?", None),
    ("Thanks. What about Pakistan?", None), ("Interesting. What about the US?", None), ("What is BECA?", None),
    # A follow-up may mean the story: "How does it work?", "What is this?".
    ("How does it work?", None), ("What is this?", None),
    ("?", None), ("", None), ("   ", None), ("so", None),
])
def test_kind(message: str, expected: str | None) -> None:
    assert kind(message) == expected


@pytest.mark.parametrize(("message", "topic"), [
    ("What's the latest on India and China?", "India and China"), ("whats new with the Twitter deal", "the Twitter deal"),
    ("Any news about Ukraine?", "Ukraine"), ("is there any news on BECA", "BECA"), ("news about China", "China"),
    ("Catch me up on Hurricane Ian", "Hurricane Ian"), ("sitrep on India China talks", "India China talks"),
    ("What is new with Apple?", "Apple"), ("Anything new on Elon Musk and Twitter?", "Elon Musk and Twitter"),
    ("What are the latest updates on Mauna Loa?", "Mauna Loa"), ("what is happening in Iran", "Iran"),
    ("brief me on the border talks please", "the border talks"), ("timeline of the Ukraine war", "the Ukraine war"),
    # when, after the subject, is not the subject (the brief is newest first)
    ("any news on China since yesterday?", "China"), ("What is the latest on Ukraine this week?", "Ukraine"),
    ("updates on the border talks in the last 30 days", "the border talks"), ("news on Iran lately", "Iran"),
    ("news about the now famous bridge", "the now famous bridge"),
    ("What happened with the Uvalde shooting investigation?", "the Uvalde shooting investigation"),
    ("what has happened with the Twitter deal", "the Twitter deal"), ("What's up with Mauna Loa?", "Mauna Loa"),
    ("What's happened with the border talks since Monday?", "the border talks"),
    # no subject (the conversation's own "any news?", or the front page), an outlet, or a question
    ("What's the latest on it?", None), ("Any updates on this?", None), ("What's new?", None), ("updates on?", None),
    ("any news from Dawn?", None), ("What happened to Liz Truss?", None), ("What did China propose to India?", None),
    ("Which news outlet broke the story?", None), ("What happened in 2021?", None), ("What happened with it?", None),
    ("What happened with the proposal?", None),
    ("What happened with the vote after the recount and why did it matter so much to the state?", None),
])
def test_news_on_a_topic_is_its_brief(message: str, topic: str | None) -> None:
    assert news_topic(message) == topic


def test_help_says_how_to_ask_what_is_held_and_the_channels_scope() -> None:
    e = help_embed({"articles": 5, "newest_article_date": "2020-12-11"}, 3, "source ThePrint", name="newsbot")
    assert e.title == "newsbot: cited answers from the news" and "`@newsbot <question>`" in (e.description or "")
    assert {f.name: f.value for f in e.fields} == {"What I hold": "5 articles from 3 outlets, the newest from 2020-12-11",
                                                   "This channel searches": "source ThePrint"}
    assert len(e) < EMBED_TOTAL_MAX
    hello = help_embed({"articles": 0, "newest_article_date": None}, 0, None, greeting=True)
    assert hello.title == "Hello — I'm sitrep" and [f.value for f in hello.fields] == ["0 articles from 0 outlets"]


def test_a_long_message_is_no_request_for_the_news() -> None:
    """A line asks for the news; a long message is a question (and no pattern reads 4,000 characters)."""
    assert news_topic("news on " + "a " * 2000 + "?!x") is None
    assert news_topic("news on " + "Ukraine " * 30) == " ".join(["Ukraine"] * 30)
