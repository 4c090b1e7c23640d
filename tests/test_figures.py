"""A count asked for that reports of different days give differently: the newest report's figure leads, with a note
(answer/figures.py). Durations and ages, sentences of one day, and sentences with no figure are left as the reader
chose them. An answer to a number question whose quotes give no number of the kind asked says so."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sitrep.answer import figures, reader
from sitrep.answer.candidates import _Candidate
from sitrep.index.backends.base import ArticleMeta
from sitrep.retrieval.types import Hit

OLD = "Hurricane Ian's U.S. death toll rose to at least 32 people Saturday as rescue crews searched for survivors."
NEW = "As of Tuesday, at least 109 people have been reported killed by the hurricane in the United States."
RESCUED = "More than 1,600 people have been rescued from the storm's path, the governor's office said Sunday."


def _cands(*sentences: tuple[str, str, str]) -> tuple[list[_Candidate], dict[int, str], dict[str, ArticleMeta]]:
    """(text, article id, its date) each: candidates in that order, the best first (scores falling)."""
    texts, meta, out = {}, {}, []
    for i, (text, article, day) in enumerate(sentences):
        texts[i] = text
        meta[article] = ArticleMeta(article, article, "Desk", day, None, f"{article}.md", "h")
        out.append(_Candidate(i, Hit(i, article, f"{article}#0", 1.0), 0, len(text), score=5.0 - i, coverage=0.5,
                              key=str(i)))
    return out, texts, meta


def _order(question: str, *sentences: tuple[str, str, str]) -> tuple[list[str], str | None]:
    chosen, texts, meta = _cands(*sentences)
    got, note = figures.arrange(chosen, reader.QuestionKind.of(question), texts, meta)
    return [texts[c.hit.passage] for c in got], note


def test_the_newest_reports_figure_leads_with_a_note() -> None:
    got, note = _order("How many people died in Hurricane Ian?",
                       (OLD, "a", "2022-10-01"), (RESCUED, "b", "2022-10-03"), (NEW, "c", "2022-10-04"))
    assert got == [NEW, OLD, RESCUED]
    assert note == "the figures quoted are of different days: the newest report's (2022-10-04) is quoted first"


def test_a_figure_in_words_counts() -> None:
    """"At least two people have died" (a report of 09-19) gives way to "at least 25 people have died" (10-01)."""
    two = "At least two people have died in Puerto Rico because of Hurricane Fiona, the governor said."
    many = "The health department announced that at least 25 people have died from the storm."
    assert _order("How many people died in Hurricane Fiona?", (two, "a", "2022-09-19"), (many, "b", "2022-10-01"))[0] == [many, two]


@pytest.mark.parametrize(("question", "sentences"), [
    # one day's reports: nothing to put in order
    ("How many people died in Hurricane Ian?", ((OLD, "a", "2022-10-04"), (NEW, "c", "2022-10-04"))),
    # the newest already leads
    ("How many people died in Hurricane Ian?", ((NEW, "c", "2022-10-04"), (OLD, "a", "2022-10-01"))),
    # a duration, an age, a year do not change with the report's day
    ("How long did the strike last?", (("The strike lasted 24 hours.", "a", "2022-12-08"),
                                       ("Some 1,100 staffers walked out for 24 hours on Thursday.", "b", "2022-12-09"))),
    ("How old is the king?", (("The king, 73, was crowned.", "a", "2022-05-01"), ("The 74-year-old king spoke.", "b", "2023-05-01"))),
    # the newer sentence counts something else ("how many lives": doses), or gives only a year ("the 2024/25 season")
    ("Covid-19 vaccinations have saved approximately how many lives across the United States?",
     (("The vaccines saved more than 3 million lives, the study found.", "a", "2022-12-13"),
      ("In the United States, approximately 658 million vaccine doses have been administered.", "b", "2022-12-14"))),
    ("How much will he have earned?", (("By then he will have earned $532 million in salary.", "a", "2022-08-17"),
                                       ("The deal includes a player option for the 2024/25 season.", "b", "2022-08-18"))),
    # an undated report is never moved, nor ahead of one
    ("How many people died in Hurricane Ian?", ((OLD, "a", None), (NEW, "c", "2022-10-04"))),
])
def test_left_as_the_reader_chose(question: str, sentences: tuple[tuple[str, str, str | None], ...]) -> None:
    got, note = _order(question, *sentences)  # type: ignore[arg-type]
    assert got == [s for s, _, _ in sentences] and note is None


@pytest.mark.slow
def test_an_answer_quotes_the_newest_toll_first(tmp_path: Path, real_encoder: Any, backend_kind: str) -> None:
    """End to end over two reports (the real model, both backends): the reader likes the older report's sentence best (it names
    Hurricane Ian and its death toll); the answer leads with the newer report's figure and says why."""
    from sitrep.answer.engine import Engine
    from sitrep.index.build import update
    from sitrep.retrieval.types import Query
    from tests.conftest import target

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "saturday.md").write_text("---\ntitle: Hurricane Ian death toll rises\nsource: Storm Desk\n"
                                        f"date: 2022-10-01\n---\n{OLD}\n\nPower is slowly being restored.\n", encoding="utf-8")
    (corpus / "tuesday.md").write_text("---\ntitle: Hurricane Ian recovery\nsource: Storm Desk\n"
                                       f"date: 2022-10-04\n---\n{NEW}\n\nCrews went door to door.\n", encoding="utf-8")
    config = target(backend_kind, tmp_path)
    update(corpus, config, real_encoder)
    engine = Engine.open(config, real_encoder)
    try:
        answer = engine.ask(Query("How many people died in Hurricane Ian?", as_of=date(2022, 10, 5)))
    finally:
        engine.backend.close()
    assert not answer.abstained, answer
    quotes = [s for s, _ in answer.sentences]
    assert quotes[:2] == [NEW, OLD], quotes
    assert any("the newest report's (2022-10-04) is quoted first" in n for n in answer.notes)


def test_an_answer_that_gives_no_number_asked_for_says_so() -> None:
    """"How old is Messi?" answered with his goals: no sentence quoted gives an age ("2-0" is a score); the note says
    the articles may not say. One that gives it has no such note."""
    goals = ("It was all Argentina in the first half, heading into the break up 2-0 behind goals from Lionel Messi.",
             "a", "2022-12-18")
    final = ("Messi is the first player to score in all four rounds of the knockout stage.", "b", "2022-12-18")
    got, note = _order("How old is Messi?", goals, final)
    assert got == [goals[0], final[0]]
    assert note == "none of the sentences quoted gives the number asked for: the articles found may not say it"
    assert _order("How old is Messi?", ("Messi, 35, lifted the trophy.", "a", "2022-12-18"), final)[1] is None
    assert _order("How many goals did Messi score?", goals, final)[1] is None  # "2-0" is a number of the kind


def test_a_sentence_that_gives_the_figure_leads_one_that_gives_none() -> None:
    """"How many Republicans supported the bill?": the question's own premise led, the count second (the dev set's
    answer, before). A share for "what percentage" ("a third" too), not any number ("7.7 million people")."""
    question = ("The Senate on Tuesday passed legislation to protect same-sex and interracial marriage. "
                "How many Republicans supported the bill?")
    premise = ("The Senate on Tuesday passed legislation to protect same-sex and interracial marriage, called the "
               "Respect for Marriage Act, in a landmark bipartisan vote.")
    twelve = "The bill was supported by all members of the Democratic caucus and 12 Republicans."
    assert _order(question, (premise, "a", "2022-11-29"), (twelve, "a", "2022-11-29")) == ([twelve, premise], None)
    share = "What percentage of Ukraine’s energy infrastructure has been destroyed during its war with Russia?"
    third = "Russian missiles and drones have “destroyed more than a third” of Ukraine’s energy sector, Zelensky said."
    fled = "About 7.7 million people have fled Ukraine since the beginning of the war, according to the UNHCR."
    assert _order(share, (third, "a", "2022-10-25"), (fled, "b", "2022-10-25"))[0] == [third, fled]
    assert _order(share, (fled, "b", "2022-10-25"), (third, "a", "2022-10-25"))[0] == [third, fled]
