"""A photo's credit run into the caption after it is not quoted: the quote starts at the caption's words,
still a verbatim slice of its passage."""

from __future__ import annotations

import pytest

from sitrep.answer.present import credit_prefix


@pytest.mark.parametrize(("sentence", "credit"), [
    ("John Raoux/AP The SpaceX Falcon 9 rocket sits on the launch pad.", "John Raoux/AP "),
    ("Dan Kitwood/Getty Images Charles receives the crown.", "Dan Kitwood/Getty Images "),
    ("Civil Air Patrol/USGS Hawaii officials have said the eruptions are not threatening homes.", "Civil Air Patrol/USGS "),
    ("Ricardo Arduengo/AFP/Getty Images President Joe Biden talks to people.", "Ricardo Arduengo/AFP/Getty Images "),
    ("RICARDO ARDUENGO/X0374 A man collects spring water.", "RICARDO ARDUENGO/X0374 "),
    ("Pratham Gokhale/Hindustan Times/Sipa/Reuters Students carry a flag.", "Pratham Gokhale/Hindustan Times/Sipa/Reuters "),
    # Not credits: sentences that merely hold a slash, or a credit with nothing after it.
    ("Joe Biden/Harris campaign said on Tuesday.", ""),
    ("Boeing/Airbus Rivalry Heats Up", ""),
    ("AFP/Getty Images The crowd gathered.", ""),
    ("Joe Biden/Kamala Harris Ticket Wins", ""),
    ("The Prime Minister said.", ""),
    ("John Raoux/AP", ""),
])
def test_credit_prefix(sentence: str, credit: str) -> None:
    assert sentence[: credit_prefix(sentence)] == credit


def test_an_answer_quotes_the_caption_not_its_credit(tmp_path) -> None:
    from sitrep.answer.engine import Engine
    from sitrep.index.build import update
    from sitrep.retrieval.types import Query
    from tests.conftest import FakeEncoder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "launch.md").write_text(
        "---\ntitle: Rocket launch delayed\nsource: Space Desk\ndate: 2022-10-05\n---\n"
        "The launch was delayed by a day because of high winds over the Atlantic coast.\n\n"
        "John Raoux/AP The SpaceX Falcon 9 rocket with the Crew Dragon spacecraft sits on the launch pad at the "
        "Kennedy Space Center on Tuesday.\n", encoding="utf-8")
    update(corpus, tmp_path / "idx", FakeEncoder())
    engine = Engine.open(tmp_path / "idx", FakeEncoder())
    answer = engine.ask(Query("Where does the SpaceX Falcon 9 rocket with the Crew Dragon spacecraft sit?",
                              as_of=None))
    quotes = [c for c in answer.citations if "Falcon 9" in c.quote]
    assert quotes, answer
    c = quotes[0]
    assert c.quote.startswith("The SpaceX Falcon 9 rocket") and c.passage[c.quote_start:].startswith(c.quote)
