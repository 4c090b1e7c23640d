"""retrieval/rerank.py: the first hits re-ordered by the question's exact words and word pairs."""

from __future__ import annotations

from sitrep.index.lexicon import BM25Settings
from sitrep.retrieval.rerank import matchable, word_match, words

SETTINGS = BM25Settings()
QUESTION = "Which team won the Stanley Cup final?"


def idf(stem: str) -> float:
    return {"stanley": 3.0, "cup": 2.0, "final": 1.5, "team": 1.0, "won": 1.0}.get(stem, 1.0)


def read(texts: dict[int, str]):  # type: ignore[no-untyped-def]
    return dict(zip(texts, matchable(list(texts.values()), SETTINGS)))


def test_words_are_the_index_words_exact_and_stemmed() -> None:
    assert words("The finals were won by a team", SETTINGS) == (["finals", "won", "team"], ["final", "won", "team"])


def test_the_passage_holding_the_exact_phrase_moves_up_within_the_first_hits_only() -> None:
    texts = {
        1: "Cup finals: the team that won Stanley's praise",  # every stem, but neither the pair nor "final"
        2: "The team won the Stanley Cup final on Sunday",  # the exact words and the pair "stanley cup"
        3: "Weather and traffic",
    }
    ranked = [(1, 0.9), (2, 0.85), (3, 0.5), (4, 0.4)]
    out = word_match(ranked, read(texts), QUESTION, idf, SETTINGS, depth=3, exact_weight=0.2, pair_weight=0.2)
    assert [i for i, _ in out] == [2, 1, 3, 4]
    assert {i for i, _ in out[:3]} == {1, 2, 3} and out[3] == (4, 0.4)  # the same first three; the rest as it was
    scores = [s for _, s in out]
    assert scores == sorted(scores, reverse=True)  # still best first: the bonus only adds


def test_nothing_moves_without_weights_or_with_one_hit() -> None:
    ranked = [(1, 0.9), (2, 0.85)]
    texts = {1: "weather", 2: "The team won the Stanley Cup final"}
    assert word_match(ranked, read(texts), QUESTION, idf, SETTINGS, 10, 0.0, 0.0) == ranked
    assert word_match(ranked[:1], read(texts), QUESTION, idf, SETTINGS, 10, 0.2, 0.2) == ranked[:1]
    assert word_match([], {}, QUESTION, idf, SETTINGS, 10, 0.2, 0.2) == []


def test_a_tie_keeps_the_fused_order() -> None:
    texts = {1: "The Stanley Cup final", 2: "The Stanley Cup final"}
    ranked = [(1, 0.9), (2, 0.9)]
    assert [i for i, _ in word_match(ranked, read(texts), QUESTION, idf, SETTINGS, 10, 0.2, 0.2)] == [1, 2]
