"""Copies: one sentence carried by several reports is quoted once, naming the other outlets."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from sitrep.answer import copies
from sitrep.answer.answerer import AnswerParams
from sitrep.answer.candidates import _Candidate, _distinct
from sitrep.answer.engine import Engine
from sitrep.answer.reader import Phrase
from sitrep.chat.render import more_sources_text
from sitrep.cli.render import as_text
from sitrep.index.build import update
from sitrep.retrieval.types import Hit, Query
from tests.conftest import FakeEncoder, target

WIRE = ("Extreme rainfall rates and rapid snowmelt prompted the flash flooding in Yellowstone National Park early this "
        "week, washing out roads and bridges in the park and causing significant damage to the town of Gardiner.")


def key(text: str) -> str:
    return " ".join(text.lower().split())


def test_a_copy_cut_or_credited_at_one_end_repeats_its_sentence() -> None:
    cut = WIRE.split(" ", 3)[3]  # "and rapid snowmelt …": its passage was cut inside the sentence
    credited = "Jim Urquhart/Reuters " + WIRE
    edited = WIRE.replace("early this week", "this week")
    other = "Park officials said the northern entrance may stay closed for a substantial length of time after the floods."
    found = copies.groups([key(t) for t in (WIRE, other, cut, credited, edited)], 0.8)
    assert found == [[0, 2, 3, 4], [1]]
    assert copies.extends(copies.words(key(WIRE)), copies.words(key(cut)))
    assert not copies.extends(copies.words(key(cut)), copies.words(key(WIRE)))


def test_a_sentence_quoting_another_within_more_words_is_not_its_copy() -> None:
    inner = "An independent investigation found systemic abuse and misconduct in the league."
    outer = ("Players are angry and want immediate changes after an independent investigation found systemic abuse and "
             "misconduct in the league, the captain said on Tuesday at a news conference in Chicago.")
    assert copies.groups([key(inner), key(outer)], 0.8) == [[0], [1]]


def candidate(article: str, text: str, score: float) -> _Candidate:
    return _Candidate(0, Hit(0, article, f"{article}#0", 1.0), 0, len(text), score, 0.5, key=key(text))


def test_the_best_read_copy_stands_for_its_sentence_in_full_with_the_other_articles() -> None:
    cut = WIRE.split(" ", 3)[3]
    other = "Park officials said the northern entrance may stay closed for a substantial length of time after the floods."
    kept = _distinct([candidate("copy", cut, 2.0), candidate("other", other, 1.5), candidate("original", WIRE, 1.0),
                      candidate("third", WIRE, 0.5)])
    assert [(c.hit.article_id, c.score, c.copies) for c in kept] == [("original", 2.0, ("copy", "third")), ("other", 1.5, ())]
    edited = WIRE.replace("early this week", "this week")  # neither is the other cut: the best read stands
    kept = _distinct([candidate("a", edited, 1.0), candidate("b", WIRE, 3.0)])
    assert [(c.hit.article_id, c.score, c.copies) for c in kept] == [("b", 3.0, ("a",))]
    assert len(_distinct([candidate("a", edited, 1.0), candidate("b", WIRE, 3.0)], share=2.0)) == 2  # off


def test_a_near_copy_that_names_something_more_is_a_sentence_of_its_own() -> None:
    told = ("Actress and singer Nichelle Nichols, best known for her groundbreaking portrayal of Lt. Nyota Uhura in the "
            "original series, has died at the age of 89, according to a statement from her son Kyle Johnson.")
    dated = told.replace("has died", "died Saturday")
    day = Phrase(0, 8, "saturday", "date", True)
    kept = _distinct([candidate("a", told, 2.0), replace(candidate("b", dated, 1.0), phrases=(day,))])
    assert sorted((c.hit.article_id, c.copies) for c in kept) == [("a", ()), ("b", ())]  # the day stays quotable
    kept = _distinct([replace(candidate("a", told, 2.0), phrases=(day,)), replace(candidate("b", dated, 1.0), phrases=(day,))])
    assert [(c.hit.article_id, c.copies) for c in kept] == [("a", ("b",))]  # saying nothing more: one sentence


def test_short_sentences_and_unlike_ones_stay_apart() -> None:
    assert copies.groups(["the rain fell.", "the rain fell."], 0.8) == [[0], [1]]  # too short to tell
    a = key("Officials in southwestern Virginia say dozens of people are unaccounted for after heavy rain.")
    b = key("Officials in southwestern Virginia say the state will ask for federal help after the heavy rain.")
    assert copies.groups([a, b], 0.8) == [[0], [1]]


@pytest.fixture
def wire_corpus(tmp_path: Path) -> Path:
    """One wire story in two outlets — the second copy's passage cut inside its first sentence, then a paragraph of
    its own, so that retrieval does not fold the two (their vectors are not near-identical) — and another story."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    rest = (" Abnormally warm temperatures and torrential rain triggered a wave of snowmelt over the weekend."
            " The park said all five entrances would stay closed to visitors until the water receded.")
    stories = [
        {"id": "original", "title": "Yellowstone flooding closes the park", "source": "cnn.com",
         "published_at": "2022-06-15", "url": "https://cnn.example/yellowstone", "body": WIRE + rest},
        {"id": "copy", "title": "Yellowstone flooding closes the park", "source": "wire-copy.example",
         "published_at": "2022-06-15", "url": "https://wire.example/yellowstone",
         "body": WIRE.split(" ", 3)[3] + " Local outlets reported that dozens of visitors were evacuated by helicopter"
                 " and that residents of Gardiner were told to boil their drinking water until further notice."},
        {"id": "other", "title": "Montana asks for federal help", "source": "usatoday.com", "published_at": "2022-06-15",
         "url": "https://usatoday.example/montana",
         "body": "Montana's governor asked for federal help after floods in Yellowstone National Park washed out roads "
                 "and bridges near Gardiner. Crews began repairs on Wednesday."},
    ]
    (folder / "news.jsonl").write_text("".join(json.dumps(s) + "\n" for s in stories), "utf-8")
    return folder


def test_an_answer_quotes_a_wire_sentence_once_and_names_the_other_outlet(wire_corpus: Path, tmp_path: Path,
                                                                           backend_kind: str) -> None:
    encoder = FakeEncoder()
    config = target(backend_kind, tmp_path)
    update(wire_corpus, config, encoder)
    question = Query("Which national park had flooding that washed out roads and bridges?", as_of=date(2022, 6, 16))
    before = Engine.open(config, encoder, answer_params=AnswerParams(copy_share=2.0)).ask(question)
    assert not any(c.also_in for c in before.citations)  # word for word only: the cut copy was another sentence

    engine = Engine.open(config, encoder)
    answer = engine.ask(question)
    quotes = [c.quote for c in answer.citations]
    assert sum("rapid snowmelt prompted" in q for q in quotes) == 1, quotes  # the wire sentence once ...
    cited = next(c for c in answer.citations if "rapid snowmelt prompted" in c.quote)
    assert cited.quote.startswith("Extreme rainfall rates")  # ... in full (the cut copy lacks its first words) ...
    assert cited.article_id == "original" and cited.also_in == ("wire-copy.example",)  # ... naming the copy's outlet
    assert cited.copies == ("copy",)
    meta = engine.answer_meta(answer)
    assert "wire-copy.example" not in more_sources_text(answer, meta, 0)  # the copy is not another source
    assert cited.passage[cited.quote_start : cited.quote_start + len(cited.quote)] == cited.quote  # verbatim
    assert "    also in: wire-copy.example" in as_text(answer, engine.answer_meta(answer)).splitlines()
