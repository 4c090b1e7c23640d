"""The highlights' word spans, found with str.find, are the spans a pass of \\w+ over the passage gives."""

from __future__ import annotations

import random
import re

import pytest

from sitrep.answer.present import is_word, word_spans
from tests.conftest import SEEDS

_WORD = re.compile(r"\w+")
TEXTS = [p.read_text("utf-8") for p in sorted(SEEDS.iterdir())] + [
    "naïve cafe\u0301 İstanbul x²y __init__ a_b ½ ٣٤ 3rd Straße ﬁne", "aaa aa a aa", "a", "", "India, India! (India)India",
    "China's proposal: China-India talks; Chinas, _China_ China",
]


def reference(text: str, marked: set[str]) -> tuple[tuple[int, int], ...]:
    return tuple((m.start(), m.end()) for m in _WORD.finditer(text) if m.group() in marked)


@pytest.mark.parametrize("seed", range(20))
def test_spans_equal_a_word_pass_over_the_text(seed: int) -> None:
    rng = random.Random(seed)
    for text in TEXTS:
        distinct = sorted(set(_WORD.findall(text)))
        marked = set(rng.sample(distinct, rng.randint(0, len(distinct)))) if distinct else set()
        assert tuple(sorted(s for w in marked for s in word_spans(text, w))) == reference(text, marked)


def test_a_word_character_is_what_re_calls_one_in_every_code_point() -> None:
    word = re.compile(r"\w")
    assert [c for c in map(chr, range(0x110000)) if (word.match(c) is not None) != is_word(c)] == []
