"""A source's snippet: the passage around its quote, on whole words, one snippet where two quotes' overlap."""

from __future__ import annotations

import random

import pytest

from sitrep.answer.present import shown_windows, snippet_parts, window
from sitrep.retrieval.types import Citation
from tests.conftest import SEEDS

PASSAGES = [p.read_text("utf-8")[:3000] for p in sorted(SEEDS.iterdir())]


def cite(passage: str, start: int, end: int, pid: str = "a#0", highlights: tuple[tuple[int, int], ...] = ()) -> Citation:
    return Citation(1, "a", pid, "T", "S", None, "a.txt", passage, passage[start:end], start, highlights)


@pytest.mark.parametrize("seed", range(10))
def test_a_window_holds_its_quote_and_starts_and_ends_on_whole_words(seed: int) -> None:
    rng = random.Random(seed)
    for text in PASSAGES:
        a = rng.randrange(len(text) - 50)
        c = cite(text, a, a + rng.randint(1, 400))
        width = rng.choice([60, 150, 300])
        start, end = window(c, width)
        assert start <= c.quote_start and c.quote_start + len(c.quote) <= end <= len(text)
        assert start == c.quote_start or start == 0 or text[start - 1].isspace()
        assert end == c.quote_start + len(c.quote) or end == len(text) or text[end].isspace()
        assert end - start <= max(width, len(c.quote))


def test_question_words_are_marked_even_where_the_window_cuts_one() -> None:
    text = "Beijing and Delhi met. China proposed hotlines to India on Monday."
    q = text.index("China")
    c = cite(text, q, len(text), highlights=((0, 7), (q, q + 5), (text.index("India"), text.index("India") + 5)))
    parts = snippet_parts(c, 3, len(text))  # the window starts inside "Beijing": only its shown part is marked
    assert "".join(t for t, _ in parts) == text[3:]
    assert [t for t, m in parts if m] == ["jing", "China", "India"]


def test_overlapping_windows_of_one_passage_are_one_snippet_and_other_passages_keep_theirs() -> None:
    text = " ".join(f"Sentence number {i} says something." for i in range(40))
    one = cite(text, text.index("Sentence number 10"), text.index("Sentence number 11"))
    two = cite(text, text.index("Sentence number 12"), text.index("Sentence number 13"))
    far = cite(text, text.index("Sentence number 35"), text.index("Sentence number 36"))
    elsewhere = cite(text, text.index("Sentence number 12"), text.index("Sentence number 13"), pid="a#1")
    shown = shown_windows([one, two, far, elsewhere], 150)
    assert [(c.quote, c.passage_id) for c, _, _ in shown] == [(one.quote, "a#0"), (far.quote, "a#0"), (two.quote, "a#1")]
    (_, a, b) = shown[0]
    assert a <= one.quote_start and two.quote_start + len(two.quote) <= b  # both quotes in the one snippet
