"""Sentence splitting and windows: whole sentences, overlap, nothing dropped."""

from __future__ import annotations

from sitrep.corpus.articles import Article
from sitrep.index.chunking import ChunkSettings, chunk, index_text, split_sentences, windows
from tests.conftest import FakeEncoder


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text, 0, len(text))]


def test_split_respects_abbreviations_initials_and_quotes() -> None:
    text = 'Gen. Wei met Mr. Khan in the U.S. capital. J. Smith said "it works." Then they left! Why? 3 deals.'
    assert sentences(text) == [
        "Gen. Wei met Mr. Khan in the U.S. capital.",
        'J. Smith said "it works."',
        "Then they left!",
        "Why?",
        "3 deals.",
    ]


def test_windows_overlap_by_one_sentence_and_respect_max() -> None:
    settings = ChunkSettings(target_tokens=10, max_tokens=15, overlap_sentences=1)
    assert windows([4, 4, 4, 4, 4, 4], settings) == [(0, 2), (2, 4), (4, 5)]
    assert windows([20, 3, 3], settings) == [(0, 0), (1, 2)]  # an oversized unit stands alone


def article_of(text: str) -> Article:
    return Article("a", text, None, None, None, None, "a", "h", (((0, len(text)),),))


def test_long_sentence_is_split_never_dropped() -> None:
    text = " ".join(f"w{i}" for i in range(1000))  # one 1,000-word "sentence"
    enc = FakeEncoder()
    passages = chunk(article_of(text), ChunkSettings(), enc.count_tokens)
    assert len(passages) > 4
    assert all(n <= 200 for n in enc.count_tokens([p.text for p in passages]))
    covered = " ".join(p.text for p in passages).split()
    assert set(covered) == set(text.split())  # every word is in some passage


def test_passages_are_verbatim_slices_and_overlap() -> None:
    text = " ".join(f"Sentence number {i} says something about topic {i}." for i in range(60))
    passages = chunk(article_of(text), ChunkSettings(target_tokens=40, max_tokens=60), FakeEncoder().count_tokens)
    assert len(passages) > 3
    for prev, cur in zip(passages, passages[1:]):
        assert cur.start < prev.end  # one sentence shared
        assert text[cur.start : cur.end] == cur.text
    assert passages[-1].end == len(text)


def test_index_text_prefixes_title_only_when_asked() -> None:
    assert index_text("T", "body", ChunkSettings()) == "T\nbody"
    assert index_text("T", "body", ChunkSettings(title_prefix=False)) == "body"
    assert index_text(None, "body", ChunkSettings()) == "body"
