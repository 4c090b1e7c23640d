"""What a passage says, read once per opened index: its sentences and each sentence's words and terms.

The re-ranking (retrieval/rerank.py) reads the first ten hits' words and word pairs, and the reader
(answer/) reads the first six hits' sentences and their terms: mostly the same passages, and the same
passages again from one question to the next on a story. Both read them from here, so a passage is cut
into sentences and analysed once, by the index's own analyser (index/readings.py). An index that kept
every passage's reading when it was written (the local one) is looked up; any other passage is read from
its text the first time it comes up.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

from sitrep.index.lexicon import BM25Settings
from sitrep.index.readings import StoredReadings, analyse, sentence_spans
from sitrep.records import quick_init

__all__ = ["Reading", "Readings", "sentence_spans"]


@quick_init
@dataclass(frozen=True)
class Reading:
    """One passage read: its sentences, and each one's words (lower-cased, stopwords dropped) and terms
    (their stems: what the index holds); and its article's title, read the same way."""

    spans: tuple[tuple[int, int], ...]  # of the passage's verbatim text (the backend's; not kept here)
    words: tuple[list[str], ...]  # per sentence
    terms: tuple[list[str], ...]  # per sentence
    title_words: list[str]
    title_terms: list[str]

    @cached_property
    def all_words(self) -> frozenset[str]:
        """The passage's words."""
        return frozenset(chain.from_iterable(self.words))

    @cached_property
    def titled_words(self) -> frozenset[str]:
        """The words of its indexed text with the title prefixed."""
        return frozenset(chain(self.title_words, *self.words))

    def indexed_terms(self, with_title: bool) -> list[str]:
        """The terms of its indexed text, in order: the title's first where the index prefixes it."""
        return list(chain(self.title_terms, *self.terms)) if with_title else list(chain.from_iterable(self.terms))

    @cached_property
    def term_pairs(self) -> frozenset[str]:
        """Adjacent terms of the passage, each pair as "first second"."""
        seq = list(chain.from_iterable(self.terms))
        return frozenset(map(" ".join, zip(seq, seq[1:])))

    @cached_property
    def titled_term_pairs(self) -> frozenset[str]:
        """Adjacent terms of its indexed text with the title prefixed (the title's last and the passage's
        first term adjacent too, as the index reads them)."""
        seq = list(chain(self.title_terms, *self.terms))
        return frozenset(map(" ".join, zip(seq, seq[1:])))


class Readings:
    """Passage id -> Reading, for the passages of an opened index (ids are rows of that index; an update
    opens a new engine and with it a new cache). The least recently read are forgotten past `kept`.
    `stored`: the index's own readings of its passages, looked up instead of read from the text."""

    def __init__(self, settings: BM25Settings, kept: int = 20_000, stored: StoredReadings | None = None) -> None:
        self.settings = settings
        self.kept = kept
        self.stored = stored
        self._read: OrderedDict[int, Reading] = OrderedDict()

    def missing(self, ids: Iterable[int]) -> list[int]:
        """The passages not yet read, each once (the index's stored readings are taken as read here), and
        those that were moved up as just read (so that reading the missing ones cannot push them out)."""
        out = []
        stored = self.stored
        n = len(stored) if stored is not None else 0
        for i in dict.fromkeys(ids):
            if i in self._read:
                self._read.move_to_end(i)
            elif 0 <= i < n:
                self._read[i] = Reading(*stored.get(i))  # type: ignore[union-attr]
            else:
                out.append(i)
        if n:
            self._forget()
        return out

    def read(self, ids: Sequence[int], texts: Sequence[str], titles: Sequence[str | None]) -> None:
        """Read these passages (their verbatim texts and their articles' titles), the ones not yet read,
        in one call of the analyser."""
        todo = []
        for i, t, ti in zip(ids, texts, titles):
            if i in self._read:
                self._read.move_to_end(i)  # read again: the last to be forgotten
            else:
                todo.append((i, t, ti or ""))
        if not todo:
            return
        for (i, _, _), r in zip(todo, analyse([t for _, t, _ in todo], [ti for _, _, ti in todo], self.settings)):
            self._read[i] = Reading(*r)
        self._forget()

    def _forget(self) -> None:
        while len(self._read) > self.kept:
            self._read.popitem(last=False)

    def __getitem__(self, passage: int) -> Reading:
        reading = self._read[passage]
        self._read.move_to_end(passage)
        return reading

    def __contains__(self, passage: int) -> bool:
        return passage in self._read
