"""Typos read as the corpus's words (retrieval/spelling.py): which slips, which words, which spelling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sitrep.answer.engine import Engine
from sitrep.index.backends import BackendConfig
from sitrep.index.lexicon import BM25Settings
from sitrep.retrieval.spelling import Speller, edits, note, swaps
from sitrep.retrieval.types import Query
from tests.conftest import FakeEncoder

SETTINGS = BM25Settings()


def speller(df: dict[str, int], written: dict[str, int] | None = None) -> Speller:
    def lookup(terms: Sequence[str]) -> dict[str, int]:
        return {t: df.get(t, 0) for t in terms}
    return Speller(lookup, SETTINGS, 5, (lambda: written) if written is not None else None)


def test_edits_rank_slips_by_how_likely_they_are() -> None:
    e = edits("chnia")
    assert (e["china"], e["chnua"], e["chna"], e["chnira"], e["chnxa"]) == (0, 1, 2, 3, 4)  # swap, near key, drop, add, other
    assert "chnia" not in e and swaps("ab") == {"ba"} and swaps("aa") == set()


def test_a_typo_is_read_as_the_term_most_passages_hold_and_said() -> None:
    s = speller({"china": 900, "propos": 40, "india": 800, "elect": 300})
    assert s.correct("What did Chnia propose to Inida?") == ("What did China propose to India?", (("Chnia", "China"), ("Inida", "India")))
    assert s.correct("the electoin in Brazil") == ("the election in Brazil", (("electoin", "election"),))
    assert note((("Chnia", "China"), ("Inida", "India"))) == 'read "Chnia" as "China", "Inida" as "India"'


def test_what_is_left_as_typed() -> None:
    s = speller({"china": 900, "india": 800, "mask": 500, "marin": 2})
    assert s.correct("What did China say?")[1] == ()  # every word held
    assert s.correct("What did Musk say?")[1] == ()  # under five letters: "musk" is not "mask"
    assert s.correct("What did Cjina say?")[1] == ()  # a capitalised word (a name) only by two letters swapped
    assert s.correct("Who is Marine?")[1] == ()  # towards a term fewer than 5 passages hold: not read
    assert speller({"plan": 4}).correct("the plant's supply")[1] == ()  # a word the corpus lacks, not a typo
    assert Speller(lambda t: {x: 900 for x in t}, SETTINGS, 0).correct("Chnia") == ("Chnia", ())  # min_df 0: off
    assert s.correct("q" * 500)[1] == ()  # over twenty letters: not read (hostile input costs nothing)
    unknowns = " ".join(["Cihna"] * 1 + [f"zzzz{c}" for c in "abcdefgh"]) + " Chnia"
    assert speller({"china": 900}).correct(unknowns)[1] == (("Cihna", "China"),)  # six unknown words tried at most


def test_a_word_of_english_is_never_a_slip() -> None:
    """Without a dictionary "offer" (a corpus without it) was read as "offed", "orders" as "borders"; the
    encoder's whole words are English, its word pieces' misspellings are not."""
    s = speller({"off": 900, "border": 900, "china": 900, "local": 1600})
    assert s.correct("What did China offer India?")[1] == ()
    assert s.correct("new orders")[1] == ()
    assert speller({"china": 900, "order": 900}).correct("Chnia's new ordres")[1] == (("Chnia", "China"), ("ordres", "orders"))
    assert s.correct("localising")[1] == (("localising", "localizing"),)  # a British spelling: not a whole word
    bare = Speller(s.df, SETTINGS, 5, language=frozenset)
    assert bare.correct("What did China offer India?")[1] == (("offer", "offed"),)  # what a dictionary prevents


def test_words_of_chat_are_not_read() -> None:
    s = speller({"anyway": 900, "exact": 900, "china": 900})
    assert s.correct("anyways, exactlly what did China say?")[1] == (("exactlly", "exactly"),)
    assert s.correct("China, anyways?")[1] == ()


def test_of_two_spellings_of_one_term_the_written_one_then_the_likelier_slip() -> None:
    s = speller({"local": 1600})
    assert s.correct("localising")[1] == (("localising", "localizing"),)  # s -> z, a key next to it
    written = speller({"local": 1600}, {"localicing": 3, "localizing": 0})
    assert written.correct("localising")[1] == (("localising", "localicing"),)  # the corpus writes it


def test_a_typo_is_answered_as_its_word_on_both_backends(seed_target: BackendConfig) -> None:
    """The same hits and quotes as the question typed right, with a note saying what was read."""
    engine = Engine.open(seed_target, FakeEncoder())
    try:
        right = engine.ask(Query("Shaheen air exercise Pakistan China", as_of=date(2021, 1, 1)))
        typed = engine.ask(Query("Shaheen air exercsie Pakistan Cihna", as_of=date(2021, 1, 1)))
        assert typed.notes[0] == 'read "exercsie" as "exercise", "Cihna" as "China"'
        assert [c.quote for c in typed.citations] == [c.quote for c in right.citations] and right.citations
        assert typed.question == right.question
        brief = engine.brief("Pakistan China air exercsie")
        assert brief.notes[0] == 'read "exercsie" as "exercise"' and brief.topic == "Pakistan China air exercise"
    finally:
        engine.backend.close()
