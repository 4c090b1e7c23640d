"""Whom an answer named (answer/referent.py), and a later "he" or "she" read as them: in the plan of a follow-up,
through the engine on the bundled corpus, and read back from a Discord answer."""

from __future__ import annotations

import pytest

from sitrep.answer.referent import named_person
from sitrep.chat.render import answer_embed, more_custom_id, turn_from_message
from sitrep.retrieval.conversation import Conversation, Turn, plan
from sitrep.retrieval.types import Answer, AskedAs, Citation
from tests.test_conversation import similar, strength, tokenize

MINISTERS = ("Pompeo and Esper will meet with Prime Minister Narendra Modi, as well as Indian External Affairs Minister "
             "S Jaishankar and Defence Minister Rajnath Singh for talks before leaving India on Tuesday.")
BOARD = ("The Uvalde school board voted unanimously Wednesday to immediately terminate the contract of district police "
         "chief Pete Arredondo, three months after a gunman killed 19 children and two teachers at Robb Elementary "
         "School in Uvalde, Texas.")


@pytest.mark.parametrize(("question", "quote", "named"), [
    # a who-question: the name whose title holds the question's words, else the first full name
    ("Who is India's defence minister?", MINISTERS, "Rajnath Singh"),
    ("Who became the new prime minister of the United Kingdom this week?",
     "Rishi Sunak will become the UK's next prime minister after winning the Conservative Party's leadership race.",
     "Rishi Sunak"),
    ("Who won the World Cup?", "Argentina beat France on penalties in Lusail, Qatar.", ""),  # places, no person
    # any other question: the one full name of its first quote; bodies, places and days are no people
    ("What did the Uvalde school board decide?", BOARD, "Pete Arredondo"),
    ("What did the talks decide?", "Joe Biden and Xi Jinping met in Bali on Monday.", ""),  # two: which one?
    ("Which company said it was reviewing its partnership?", "Adidas said on Tuesday it was reviewing the deal.", ""),
    # the question names a person: a later pronoun means them, not someone else the answer names
    ("We also lost actress Nichelle Nichols this week. What role was she known for?",
     "Nichols played Lt. Nyota Uhura in Star Trek.", ""),
    ("What did Biden say about student loans?",
     "President Joe Biden spoke as press secretary Karine Jean-Pierre told reporters the plan was ready.", ""),
    ("What did the committee find?", "", ""),  # nothing quoted
])
def test_the_person_an_answer_named(question: str, quote: str, named: str) -> None:
    assert named_person(question, quote) == named


def _planned(question: str, named: str) -> AskedAs:
    talk = Conversation(turns=[Turn("Who is it?", "Who is India's defence minister?", ("a.txt",), named=named)])
    return plan(question, talk, tokenize, strength, similar)


@pytest.mark.parametrize(("question", "rewrite"), [
    ("What did he say?", "What did Rajnath Singh say?"),
    ("Which of his statements made news?", "Which of Rajnath Singh's statements made news?"),
    ("Which of her speeches made news?", "Which of Rajnath Singh's speeches made news?"),
    ("Who did she meet in Moscow?", "Who did Rajnath Singh meet in Moscow?"),
    ("Who will meet her in Moscow?", "Who will meet Rajnath Singh in Moscow?"),
])
def test_a_pronoun_is_read_as_the_person_the_last_answer_named(question: str, rewrite: str) -> None:
    asked = _planned(question, "Rajnath Singh")
    assert asked.rewrite == rewrite
    assert asked.text.endswith(rewrite) and "read as Rajnath Singh" in asked.reason
    assert {"rajnath", "singh"} <= set(asked.carried) and {"rajnath", "singh"} <= set(asked.terms)


def test_no_person_named_or_no_personal_pronoun_no_rewrite() -> None:
    assert _planned("What did he say?", "").rewrite == ""  # nobody named: as before
    assert _planned("What did it say?", "Rajnath Singh").rewrite == ""  # "it" is not a person
    assert _planned("What did Rajnath Singh say?", "Rajnath Singh").rewrite == ""  # named already


def test_a_discord_answer_gives_back_whom_it_named() -> None:
    """The turn read back from an answer in a thread names the person as the engine's own turn did."""
    cite = Citation(1, "a.txt", "a.txt#0", "T", "S", "2020-09-01", "a.txt", MINISTERS, MINISTERS, 0)
    a = Answer("Who is India's defence minister?", ((MINISTERS, 1),), (cite,), (), False, 0.9, (),
               AskedAs("Who is India's defence minister?", ("india", "defenc", "minist")))
    embed = answer_embed(a, {}).embed
    turn = turn_from_message(embed.title, embed.footer.text if embed.footer else None, [more_custom_id(a)], 1.0,
                             embed.description)
    assert turn is not None and turn.named == "Rajnath Singh"


def test_the_person_a_pronoun_was_read_as_goes_on() -> None:
    """ "Whose record did he pass?" after "How much will he have earned?" (read as LeBron James, its answer naming
    Kevin Durant): he is still LeBron James, in the engine's turn and in a Discord thread read back."""
    from sitrep.answer.engine import turn_of

    quote = "James passed Brooklyn Nets star Kevin Durant as the league's highest paid player."
    cite = Citation(1, "a.txt", "a.txt#0", "T", "S", "2022-08-18", "a.txt", quote, quote, 0)
    asked = AskedAs("Who became … How much will LeBron James have earned?", ("earn",), ("lebron", "jame"), (), ("a.txt",),
                    "'he' read as LeBron James, whom the last answer named", rewrite="How much will LeBron James have earned?")
    a = Answer("How much will he have earned?", ((quote, 1),), (cite,), (), False, 0.9, (), asked)
    assert named_person(a.question, quote) == "Kevin Durant"  # what the answer alone would say
    assert turn_of(a).named == "LeBron James"
    embed = answer_embed(a, {}).embed
    back = turn_from_message(embed.title, embed.footer.text if embed.footer else None, [more_custom_id(a)], 1.0,
                             embed.description)
    assert back is not None and back.named == "LeBron James"


def test_the_rewrite_is_in_the_json() -> None:
    from sitrep.cli.render import as_json

    a = Answer("What did he say?", (), (), (), True, 0.1, (),
               AskedAs("Who is it? What did Rajnath Singh say?", ("say",), ("rajnath", "singh"), (), (),
                       "'he' read as Rajnath Singh, whom the last answer named", rewrite="What did Rajnath Singh say?"))
    assert as_json(a)["asked_as"]["rewrite"] == "What did Rajnath Singh say?"
