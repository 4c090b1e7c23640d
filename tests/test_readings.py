"""Passages read once (retrieval/readings.py): the same words, terms and pairs as analysing the text whole."""

from __future__ import annotations

import pytest

from sitrep.index import lexicon
from sitrep.index.chunking import ChunkSettings, index_text
from sitrep.index.lexicon import BM25Settings
from sitrep.retrieval import rerank
from sitrep.retrieval.readings import Readings, sentence_spans

SETTINGS = BM25Settings()
TEXTS = [
    "Gen. Wei met J. Smith in Washington. They talked for two hours!\nA new line: \"Talks will go on.\" Both sides agreed.",
    "India's army said on Tuesday (March 3) it would pull back. U.S. officials welcomed the move... Nothing else.",
    "  One line only, no full stop  ",
    "Stanley Cup: the Lightning won. The student loan plan was struck down? Yes.\n\n\nLast paragraph here.",
    "",
]


def test_sentence_spans_cut_by_line_and_sentence_on_white_space_only() -> None:
    text = TEXTS[0]
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Gen. Wei met J. Smith in Washington.", "They talked for two hours!", "A new line: \"Talks will go on.\"",
        "Both sides agreed."]
    for text in TEXTS:  # between two sentences there is only white space
        spans = sentence_spans(text)
        cuts = [0, *(x for s in spans for x in s), len(text)]
        assert all(not text[a:b].strip() for a, b in zip(cuts[::2], cuts[1::2]))


@pytest.mark.parametrize("title", [None, "", "India and China: talks end", "the of and"])
@pytest.mark.parametrize("prefix", [True, False])
def test_a_reading_holds_what_analysing_the_indexed_text_whole_gives(title: str | None, prefix: bool) -> None:
    readings = Readings(SETTINGS)
    readings.read(list(range(len(TEXTS))), TEXTS, [title] * len(TEXTS))
    chunking = ChunkSettings(title_prefix=prefix)
    for i, text in enumerate(TEXTS):
        reading = readings[i]
        words, terms = lexicon.analyse([text], SETTINGS)
        assert [w for ws in reading.words for w in ws] == words[0]
        assert [t for ts in reading.terms for t in ts] == terms[0]
        assert list(reading.terms) == lexicon.tokenize([text[a:b] for a, b in reading.spans], SETTINGS)
        whole = rerank.matchable([index_text(title, text, chunking)], SETTINGS)[0]
        assert rerank.of_reading(reading, prefix and bool(title)) == whole


def test_readings_forget_the_least_recently_read_and_never_one_just_asked_for() -> None:
    readings = Readings(SETTINGS, kept=3)
    readings.read([1, 2, 3], ["One.", "Two.", "Three."], [None] * 3)
    assert readings.missing([1, 4]) == [4]  # 1 moves up as just read ...
    readings.read([4], ["Four."], [None])  # ... so 2, the least recent, is forgotten
    assert 1 in readings and 4 in readings and 2 not in readings
    assert readings[1].spans == ((0, 4),) and readings[1].terms == (["one"],)
