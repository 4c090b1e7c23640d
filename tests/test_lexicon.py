"""Our tokenizer must equal bm25s.tokenize exactly: the index and every query depend on it."""

from __future__ import annotations

import bm25s
import pytest

from sitrep.index.lexicon import BM25Settings, _stopwords, stemmer_for, tokenize, word_terms
from tests.conftest import SEEDS

TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.iterdir())] + [
    "What did China propose to India?", "", "  ", "Ünïcode naïve café — 2020's U.S. e-mail x y", "A I 9 99 __init__",
]


@pytest.mark.parametrize("settings", [BM25Settings(), BM25Settings(stopwords="en"), BM25Settings(stopwords="", stemmer="")])
def test_equals_bm25s(settings: BM25Settings) -> None:
    theirs = bm25s.tokenize(TEXTS, stopwords=list(_stopwords(settings.stopwords)) or None,
                            stemmer=stemmer_for(settings.stemmer), return_ids=False, show_progress=False)
    assert tokenize(TEXTS, settings) == theirs


def test_question_words_are_stopwords() -> None:
    assert tokenize(["What did China propose to India?"], BM25Settings()) == [["china", "propos", "india"]]


def test_the_remembered_stems_are_bounded_and_a_full_cache_still_stems_every_word(monkeypatch: pytest.MonkeyPatch) -> None:
    from sitrep.index import lexicon

    known = lexicon._stems(BM25Settings().stemmer)
    known.clear()
    monkeypatch.setattr(lexicon, "STEMS_KEPT", 4)
    assert tokenize(["proposals rising"], BM25Settings()) == [["propos", "rise"]]
    # more new words than the bound holds: the cache starts again, and the words it knew are stemmed afresh
    assert tokenize(["rising proposals, falling markets and talks"], BM25Settings()) == [
        ["rise", "propos", "fall", "market", "talk"]]
    assert len(known) == 5
    known.clear()


@pytest.mark.parametrize("settings", [BM25Settings(), BM25Settings(stopwords="en"), BM25Settings(stopwords="", stemmer="")])
def test_a_word_s_term_is_what_tokenize_gives_the_word_alone(settings: BM25Settings) -> None:
    """word_terms (the highlights' look-up) takes a short cut for ASCII words; every word of the seeds and of
    the awkward texts, and words lower-casing changes, get tokenize's first term (None: no term)."""
    import re

    words = sorted({w for t in TEXTS for w in re.findall(r"\w+", t)}) + [
        "İstanbul", "STRASSE", "Straße", "ǅemal", "ﬁnance", "Ⅻ", "x", "X", "_", "__", "9", "99", "THE", "The", "Proposals"]
    expected = [t[0] if t else None for t in tokenize(words, settings)]  # the words apart: one text each
    assert word_terms(words, settings) == expected
    assert word_terms([], settings) == []


def test_a_first_build_prints_no_library_log_lines(capsys) -> None:
    """onnxruntime's quantisation warns through the root logger, which then gets a handler and passes bm25s's debug
    lines on ("DEBUG:bm25s:Building index from tokens" in a first `make run`): held off while it runs, and bm25s's
    logger stays at WARNING however late it is imported."""
    import logging

    from sitrep.index import lexicon, quantize

    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []  # as in a CLI run: pytest's own capture handlers put aside
    try:
        with quantize._root_quiet():
            logging.warning("Please consider to run pre-processing before quantization.")
        assert root.handlers == []  # no handler left behind for later messages
        logging.getLogger("bm25s").setLevel(logging.DEBUG)  # what importing bm25s does
        lexicon.build([["china", "india"], ["talk"]], lexicon.BM25Settings())
        assert logging.getLogger("bm25s").level == logging.WARNING
    finally:
        root.handlers = saved
    assert "Please consider" not in capsys.readouterr().err
