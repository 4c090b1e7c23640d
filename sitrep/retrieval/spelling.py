"""A question's typos read as the words the corpus uses: "Chnia" as "China", "publicised" as "publicized".

A word of the question that no passage holds weighs most of all in the answer's coverage (its absence is
evidence the corpus cannot answer: retrieval/lexical.py), so one slip of the keyboard made sitrep refuse
questions it could answer — on the dev set, one swapped pair of letters in one word took refusals of
answerable questions from 5.9% to 15.0% (benchmarks/bench_typos.py). Here such a word is replaced by the
spelling one edit away (Norvig's: a letter dropped, added, changed, or two swapped) whose term the most
passages hold, before anything is searched or embedded; the answer says what was read ("read "Chnia" as
"China""). No dictionary but the index's own terms, so it works on any backend.

Kept narrow, since an unknown word is as often a name the corpus lacks (the question then rightly
refused) as a typo: words of five to twenty letters (at most six a question), a capitalised word (a name, or a question's first
word) only by two swapped letters, and only towards a term at least `min_df` passages hold — in a small
corpus few terms are held that often, and then little is read otherwise (on the five bundled articles a
question's "plant", which they never use, would have been read as their "plan"). A word of English is
never a slip, whatever the corpus holds: "What did China offer India?" was read as "… offed India" on the
bundled articles, which never write "offer". The dictionary is the question encoder's own: the whole
lower-case words of its word-piece vocabulary (~22k; "offer", "plant", "resignation", not "chnia",
"localising" or "publicised", so a British spelling is still read as the corpus's American one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from sitrep.index import lexicon
from sitrep.retrieval.lexical import drop_fillers

_WORD = re.compile(r"\b[A-Za-z]{5,20}\b")
MAX_TRIED = 6  # unknown words read per question: a typo is a slip or two, and each word costs ~55 spellings a letter
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def swaps(word: str) -> set[str]:
    """The word with two neighbouring letters swapped, each way it can be."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)} - {word}


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# The keys around each on a QWERTY keyboard, whose rows are staggered: the row above is half a key to the
# left (keys i and i+1 touch key i), the row below half a key to the right (keys i-1 and i).
_NEAR = {c: {row[j] for kk, near in ((k - 1, (i, i + 1)), (k, (i - 1, i + 1)), (k + 1, (i - 1, i)))
             if 0 <= kk < len(_ROWS) for row in [_ROWS[kk]] for j in near if 0 <= j < len(row)}
         for k, r in enumerate(_ROWS) for i, c in enumerate(r)}


def edits(word: str) -> dict[str, int]:
    """Every spelling one edit away, each with how likely a slip it is (lower: likelier): two letters
    swapped 0, a letter changed to a key next to it 1, a letter dropped 2 or added 3, changed to any
    other key 4."""
    cut = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out: dict[str, int] = {}

    def put(spelling: str, rank: int) -> None:
        out[spelling] = min(out.get(spelling, rank), rank)

    for a, b in cut:
        for c in _LETTERS:
            if b:
                put(a + c + b[1:], 1 if c in _NEAR.get(b[0], ()) else 4)
            put(a + c + b, 3)
        if b:
            put(a + b[1:], 2)
    for s in swaps(word):
        out[s] = 0
    out.pop(word, None)
    return out


@cache
def language_words() -> frozenset[str]:
    """Words of English: the whole lower-case words of the question encoder's word-piece vocabulary (read
    once, when a question first has a word the corpus lacks; empty without the model package)."""
    try:
        from sitrep.index.embedding import packaged_model_path

        text = (packaged_model_path() / "vocab.txt").read_text("utf-8")
    except (ImportError, OSError):
        return frozenset()
    return frozenset(w for w in text.split("\n") if w.isalpha() and w.islower())


class Speller:
    """Reads a question's unknown words as the corpus's: `df` gives passages per term (TermWeights.df)."""

    def __init__(self, df: Callable[[Sequence[str]], dict[str, int]], settings: lexicon.BM25Settings,
                 min_df: int = 5, words: Callable[[], dict[str, int]] | None = None,
                 language: Callable[[], frozenset[str]] = language_words) -> None:
        """`words`, where the index keeps them (the local one), counts the words its passages use: of two
        spellings with the same term ("localizing", "localicing"), the one the corpus writes most is read."""
        self.df, self.settings, self.min_df, self.language = df, settings, min_df, language
        self._words = words
        self._written: dict[str, int] | None = None

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """(the text with its typos read as the corpus's words, the (typed, read) pairs); the text as it
        was when nothing is read otherwise, or min_df is 0."""
        words = list(dict.fromkeys(_WORD.findall(drop_fillers(text)))) if self.min_df > 0 else []
        terms = lexicon.word_terms(words, self.settings)
        known = self.df([t for t in terms if t])
        fixes: list[tuple[str, str]] = []
        unknown = [w for w, t in zip(words, terms) if t is not None and known[t] == 0]
        if unknown:
            english = self.language()
            unknown = [w for w in unknown if w.lower() not in english][:MAX_TRIED]
        for word in unknown:
            low = word.lower()
            slips = edits(low) if word == low else dict.fromkeys(swaps(low), 0)  # a name: only two letters swapped
            spellings = sorted(slips)
            stems = lexicon.word_terms(spellings, self.settings)
            df = self.df([t for t in stems if t])
            written = self.written()
            # The term the most passages hold; of its spellings, the one the corpus writes most, else the likeliest slip.
            best = max(((df[t], written.get(w, 0), -slips[w], -i) for i, (w, t) in enumerate(zip(spellings, stems))
                        if t and df[t] >= self.min_df), default=None)
            if best is not None:
                read = spellings[-best[3]]
                fixes.append((word, read if word == low else read[:1].upper() + read[1:]))
        for typed, read in fixes:
            text = re.sub(rf"\b{typed}\b", read, text)
        return text, tuple(fixes)

    def written(self) -> dict[str, int]:
        if self._written is None:
            self._written = self._words() if self._words is not None else {}
        return self._written


def note(fixes: Sequence[tuple[str, str]]) -> str:
    return "read " + ", ".join(f'"{typed}" as "{read}"' for typed, read in fixes)
