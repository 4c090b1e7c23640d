"""Passages read once (retrieval/readings.py), or when the index was written (index/readings.py): the same words,
terms and pairs as analysing the text whole."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sitrep.answer.engine import Engine
from sitrep.index import lexicon
from sitrep.index.build import update
from sitrep.index.chunking import ChunkSettings, index_text
from sitrep.index.lexicon import BM25Settings
from sitrep.index.readings import FOLDER, FORMAT, StoredReadings, analyse
from sitrep.retrieval import rerank
from sitrep.retrieval.readings import Reading, Readings, sentence_spans
from sitrep.retrieval.types import Query
from tests.conftest import SEEDS, FakeEncoder, target

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


# Every passage read when the index is written (index/readings.py): looked up, not read again.
ARTICLE_OF = np.array([0, 0, 1, 1, 1], dtype=np.int32)  # TEXTS as two articles' passages


@pytest.mark.parametrize("titles", [["India and China: talks end", None], ["", "The of and: Gen. Wei"]])
@pytest.mark.parametrize("prefix", [True, False])
def test_stored_readings_equal_reading_the_text_and_give_bm25_the_indexed_texts_terms(
        titles: list[str | None], prefix: bool, tmp_path: Path) -> None:
    stored, tokens = StoredReadings.build(TEXTS, ARTICLE_OF, titles, SETTINGS, prefix)
    stored.save(tmp_path / "readings")
    loaded = StoredReadings.load(tmp_path / "readings", ARTICLE_OF)
    assert loaded is not None and len(loaded) == len(TEXTS)
    chunking = ChunkSettings(title_prefix=prefix)
    for i, text in enumerate(TEXTS):
        title = titles[ARTICLE_OF[i]]
        assert loaded.get(i) == stored.get(i) == analyse([text], [title], SETTINGS)[0]
        assert tokens[i] == lexicon.tokenize([index_text(title, text, chunking)], SETTINGS)[0]


def test_readings_of_another_format_are_left_unused(tmp_path: Path) -> None:
    stored, _ = StoredReadings.build(TEXTS, ARTICLE_OF, ["A title", None], SETTINGS, True)
    stored.arrays["format"] = np.array([FORMAT + 1], dtype=np.int32)
    stored.save(tmp_path / "readings")
    assert StoredReadings.load(tmp_path / "readings", ARTICLE_OF) is None
    assert StoredReadings.load(tmp_path / "absent", ARTICLE_OF) is None


def test_a_stored_passage_is_never_missing_and_reads_as_its_text() -> None:
    stored, _ = StoredReadings.build(TEXTS, ARTICLE_OF, ["A title", None], SETTINGS, True)
    readings = Readings(SETTINGS, kept=3, stored=stored)
    assert readings.missing([4, 0, 99]) == [99]  # 99: not a row of this index
    assert readings[0] == Reading(*analyse([TEXTS[0]], ["A title"], SETTINGS)[0])
    assert readings.missing([1, 2, 3]) == [] and 4 not in readings  # the least recent forgotten past `kept`


def _answers(engine: Engine, questions: list[str]) -> list[object]:
    return [engine.ask(Query(q, k=10)) for q in questions]


def test_an_index_answers_the_same_from_its_stored_readings_as_from_the_text(tmp_path: Path) -> None:
    """The local index keeps them; the same questions answered with them looked up, with them read from
    each passage's text, and from an index written before they were kept (no readings folder)."""
    config = target("local", tmp_path)
    update(SEEDS, config, FakeEncoder())
    questions = ["What did China propose to India?", "Where will Aero India 2021 be staged?",
                 "How many troops has China placed along the Indian border?", "What is BECA?"]
    engine = Engine.open(config, FakeEncoder())
    stored = engine.retriever.backend.stored_readings()
    assert stored is not None and len(stored) == engine.retriever.backend.stats().passages
    looked_up = _answers(engine, questions)
    assert sum(bool(a.sentences) for a in looked_up) >= 2 and len(engine.retriever.terms.readings._read) > 0
    read = Engine.open(config, FakeEncoder())
    read.retriever.terms.readings.stored = None
    assert _answers(read, questions) == looked_up
    # an index written before readings were kept: no folder, nothing of it listed in its manifest
    real = config.path.resolve()
    shutil.rmtree(real / FOLDER)
    manifest = json.loads((real / "manifest.json").read_text())
    manifest["files"] = {f: n for f, n in manifest["files"].items() if not f.startswith(f"{FOLDER}/")}
    (real / "manifest.json").write_text(json.dumps(manifest))
    old = Engine.open(config, FakeEncoder())
    assert old.retriever.backend.stored_readings() is None
    assert _answers(old, questions) == looked_up
