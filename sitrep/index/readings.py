"""Every passage read once, when the index is written: its sentences, and each sentence's words and terms.

The re-ranking and the reader (retrieval/readings.py) need each passage they look at cut into sentences
and analysed by the index's own analyser. Done at question time, a freshly opened index paid that for
every passage the first time it came up (about 0.3 ms of a question on a snippet collection). The index
writer analyses every passage anyway, for BM25: it now cuts the passage into sentences first, analyses
those, keeps the result (readings/, word ids into one vocabulary) and gives BM25 the same terms, so a
reader of the index looks a reading up instead of making it, and the two can never disagree.

Sentences are cut line by line (a line break ends one) by chunking.split_sentences; a cut falls only on
white space, so a passage's words are its sentences' words in order, and its indexed text's words are
the title's and then those (tests hold both to that).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from itertools import accumulate, chain
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sitrep.index import lexicon
from sitrep.index.chunking import split_sentences
from sitrep.index.lexicon import BM25Settings

# What a stored reading holds; bump it when sentence cutting or the analyser changes, and an index
# written before is read from its text again (its stored readings are left unused).
FORMAT = 1
FOLDER = "readings"  # one .npy file per array, memory-mapped when read (as vectors.npy is)

_LINE = re.compile(r"\S(?:[^\n]*\S)?")  # a non-blank line, trimmed
Span = tuple[int, int]


def sentence_spans(text: str) -> tuple[Span, ...]:
    """A text's sentences as (start, end) spans, line by line (a line break ends a sentence)."""
    return tuple(s for m in _LINE.finditer(text) for s in split_sentences(text, m.start(), m.end()))


class Analysed(NamedTuple):
    """One passage read: its sentences' spans in its verbatim text, and each sentence's words (lower-cased,
    stopwords dropped) and terms (their stems: what the index holds); and its article's title's."""

    spans: tuple[Span, ...]
    words: tuple[list[str], ...]
    terms: tuple[list[str], ...]
    title_words: list[str]
    title_terms: list[str]


def analyse(texts: Sequence[str], titles: Sequence[str | None], settings: BM25Settings) -> list[Analysed]:
    """Read passages (verbatim texts, and each one's article title) in one call of the analyser."""
    spans = [sentence_spans(t) for t in texts]
    pieces = [t[a:b] for t, ss in zip(texts, spans) for a, b in ss]
    n_sentences = len(pieces)
    words, terms = lexicon.analyse(pieces + [ti or "" for ti in titles], settings)
    out = []
    at = 0
    for j, ss in enumerate(spans):
        end = at + len(ss)
        out.append(Analysed(ss, tuple(words[at:end]), tuple(terms[at:end]),
                            words[n_sentences + j], terms[n_sentences + j]))
        at = end
    return out


def _offsets(lengths: Sequence[int]) -> np.ndarray:
    return np.fromiter(accumulate(lengths, initial=0), dtype=np.int64, count=len(lengths) + 1)


class StoredReadings:
    """Every passage's reading of one index version, as arrays: sentence spans, and word ids into one
    vocabulary (each word with its term). Passage i belongs to article `passage_article[i]`."""

    def __init__(self, arrays: dict[str, np.ndarray], passage_article: np.ndarray) -> None:
        self.arrays = arrays
        self._passage_sentences = arrays["passage_sentences"]
        self._sentence_start = arrays["sentence_start"]
        self._sentence_end = arrays["sentence_end"]
        self._sentence_words = arrays["sentence_words"]
        self._words = arrays["words"]
        self._title_words_at = arrays["title_words_at"]
        self._title_words = arrays["title_words"]
        self._article = passage_article
        self._vocab: tuple[list[str], list[str]] | None = None  # decoded at the first look-up

    def __len__(self) -> int:
        return int(self._passage_sentences.shape[0]) - 1

    def _decoded(self) -> tuple[list[str], list[str]]:
        if self._vocab is None:
            self._vocab = (bytes(self.arrays["vocab"]).decode("utf-8").split("\n"),
                           bytes(self.arrays["vocab_terms"]).decode("utf-8").split("\n"))
        return self._vocab

    def word_counts(self) -> dict[str, int]:
        """How often the passages use each word (lower-cased, stopwords dropped)."""
        vocab = self._decoded()[0]
        counts = np.bincount(self._words, minlength=len(vocab)).tolist()
        return dict(zip(vocab, counts))

    def get(self, passage: int) -> Analysed:
        """Passage `passage`'s reading, as analyse() gives it."""
        vocab, vocab_terms = self._decoded()
        s0, s1 = int(self._passage_sentences[passage]), int(self._passage_sentences[passage + 1])
        spans = tuple(zip(self._sentence_start[s0:s1].tolist(), self._sentence_end[s0:s1].tolist()))
        bounds = self._sentence_words[s0 : s1 + 1].tolist()
        base = bounds[0] if bounds else 0
        ids = self._words[base : bounds[-1]].tolist() if bounds else []
        cuts = [(a - base, b - base) for a, b in zip(bounds, bounds[1:])]
        word, term = vocab.__getitem__, vocab_terms.__getitem__
        a = int(self._article[passage])
        t_ids = self._title_words[int(self._title_words_at[a]) : int(self._title_words_at[a + 1])].tolist()
        return Analysed(spans, tuple([list(map(word, ids[x:y])) for x, y in cuts]),
                        tuple([list(map(term, ids[x:y])) for x, y in cuts]),
                        list(map(word, t_ids)), list(map(term, t_ids)))

    @classmethod
    def build(cls, texts: Sequence[str], passage_article: np.ndarray, titles: Sequence[str | None],
              settings: BM25Settings, title_prefix: bool, old: StoredReadings | None = None,
              old_rows: Sequence[int] | None = None) -> tuple[StoredReadings, list[list[str]]]:
        """Read every passage (texts[i] of article passage_article[i], titles one per article); returns the
        readings and each passage's BM25 terms: its indexed text's (chunking.index_text), the title's
        first where the index prefixes it, then its sentences'. `old`, `old_rows`: the readings of the
        version this one replaces, read with the same settings, and each passage's row there (-1 for a new
        one): an unchanged article's passages are taken from it rather than read again."""
        reused = {i: old.get(j) for i, j in enumerate(old_rows) if j >= 0} if old is not None and old_rows is not None else {}
        fresh = [i for i in range(len(texts)) if i not in reused]
        fresh_spans = [sentence_spans(texts[i]) for i in fresh]
        pieces = [texts[i][a:b] for i, ss in zip(fresh, fresh_spans) for a, b in ss]
        fresh_words, fresh_terms = lexicon.analyse(pieces + [ti or "" for ti in titles], settings)  # one call
        spans: list[tuple[Span, ...]] = [()] * len(texts)
        passage_words: list[Sequence[list[str]]] = [()] * len(texts)
        passage_terms: list[Sequence[list[str]]] = [()] * len(texts)
        at = 0
        for i, ss in zip(fresh, fresh_spans):
            spans[i], passage_words[i], passage_terms[i] = ss, fresh_words[at : at + len(ss)], fresh_terms[at : at + len(ss)]
            at += len(ss)
        for i, r in reused.items():
            spans[i], passage_words[i], passage_terms[i] = r.spans, r.words, r.terms
        n = sum(map(len, spans))  # sentences; then one title per article
        words = [*chain.from_iterable(passage_words), *fresh_words[at:]]
        terms = [*chain.from_iterable(passage_terms), *fresh_terms[at:]]
        term_of = dict(zip(chain.from_iterable(words), chain.from_iterable(terms)))  # each word's term, once
        vocab = {w: i for i, w in enumerate(term_of)}
        ids = list(map(vocab.__getitem__, chain.from_iterable(words)))
        n_words = sum(map(len, words[:n]))
        bounds = _offsets([len(ss) for ss in spans]).tolist()
        tokens = [list(chain(terms[n + a] if title_prefix and titles[a] else (), *terms[s0:s1]))
                  for a, s0, s1 in zip(passage_article.tolist(), bounds, bounds[1:])]
        for w in vocab:
            if "\n" in w:  # the token pattern (\w\w+) never yields one; the file format relies on it
                raise ValueError(f"a word with a line break cannot be stored: {w!r}")
        arrays: dict[str, np.ndarray] = {
            "format": np.array([FORMAT], dtype=np.int32),
            "vocab": np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
            "vocab_terms": np.frombuffer("\n".join(term_of[w] for w in vocab).encode("utf-8"), dtype=np.uint8),
            "passage_sentences": np.asarray(bounds, dtype=np.int64),
            "sentence_start": np.fromiter((a for ss in spans for a, _ in ss), dtype=np.int32, count=n),
            "sentence_end": np.fromiter((b for ss in spans for _, b in ss), dtype=np.int32, count=n),
            "sentence_words": _offsets([len(w) for w in words[:n]]),
            "words": np.asarray(ids[:n_words], dtype=np.int32),
            "title_words_at": _offsets([len(w) for w in words[n:]]),
            "title_words": np.asarray(ids[n_words:], dtype=np.int32),
        }
        return cls(arrays, passage_article), tokens

    def save(self, folder: Path) -> None:
        """Each array to folder/<name>.npy, flushed to disk (the index's save renames the version folder after)."""
        folder.mkdir()
        for name, array in self.arrays.items():
            with (folder / f"{name}.npy").open("wb") as fh:
                np.save(fh, array)
                fh.flush()
                os.fsync(fh.fileno())

    @classmethod
    def load(cls, folder: Path, passage_article: np.ndarray, mmap: bool = True) -> StoredReadings | None:
        """The readings stored in an index version, memory-mapped (a question reads a few passages' worth),
        or None when it has none (written before they were kept) or of another FORMAT: then passages are
        read from their text as they come up."""
        if not (folder / "format.npy").is_file():
            return None
        if int(np.load(folder / "format.npy")[0]) != FORMAT:
            return None
        # plain arrays over the mapped files: a slice of a memmap is a memmap, a Python object's worth of work
        arrays = {f.stem: np.asarray(np.load(f, mmap_mode="r" if mmap else None)) for f in sorted(folder.glob("*.npy"))}
        stored = cls(arrays, passage_article)
        if len(stored) != int(passage_article.shape[0]):
            raise ValueError(f"{len(stored)} passages read, {passage_article.shape[0]} in the index")
        return stored
