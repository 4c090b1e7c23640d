"""BM25 statistics (bm25s) and the one tokenizer both indexing and querying must share."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from itertools import chain, filterfalse
from typing import Any


def quiet_bm25s() -> Any:
    """The bm25s package, its logger at WARNING: bm25s sets it to DEBUG when first imported, and once anything has
    given the root logger a handler (onnxruntime's quantisation warns through it) "DEBUG:bm25s:Building index from
    tokens" reached a first `make run`'s output."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


# bm25s's English list (33 words) keeps question words, which then weigh like content.
QUESTION_WORDS = ["what", "which", "who", "whom", "whose", "when", "where", "why", "how", "did", "does", "do", "done", "was", "were", "is", "are", "am", "be", "been", "being", "has", "have", "had", "about", "after", "before", "from", "into", "onto", "over", "under", "than", "then", "there", "their", "they", "them", "this", "that", "these", "those", "its", "it", "he", "she", "his", "her", "him", "we", "our", "you", "your", "i", "me", "my", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "also", "just", "so", "very", "much", "many", "more", "most", "some", "any", "all", "each", "other", "such", "only", "own", "same", "too", "not", "no", "nor"]


@dataclass(frozen=True)
class BM25Settings:
    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"
    stopwords: str = "en+questions"  # "en" (bm25s's list), "en+questions" (plus QUESTION_WORDS) or ""
    stemmer: str = "english"  # Snowball language, or "" for none

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@cache
def stemmer_for(language: str) -> Any:
    if not language:
        return None
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer(language)


@cache
def _stopwords(name: str) -> tuple[str, ...]:
    from bm25s.stopwords import STOPWORDS_EN

    quiet_bm25s()

    if name == "en+questions":
        return tuple(sorted(set(STOPWORDS_EN) | set(QUESTION_WORDS)))
    return tuple(STOPWORDS_EN) if name == "en" else ()


STEMS_KEPT = 500_000  # words whose stems a process remembers: news vocabulary is far smaller, a bound all the same
TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern


@cache
def stopset(name: str) -> frozenset[str]:
    return frozenset(_stopwords(name))


def tokenize(texts: Sequence[str], settings: BM25Settings) -> list[list[str]]:
    """Lower-case, split, drop stopwords, stem: exactly what bm25s.tokenize does (tests hold
    it to that), without its per-call progress-bar and per-text set-building overhead, which
    dominated the cost of tokenizing one question."""
    return analyse(texts, settings)[1]


def analyse(texts: Sequence[str], settings: BM25Settings) -> tuple[list[list[str]], list[list[str]]]:
    """(words, terms) of each text: its words lower-cased, stopwords dropped, and their stems (the words
    themselves without a stemmer). Stems are remembered per process, so a question's passages, read
    again and again, are not stemmed again."""
    stopped = stopset(settings.stopwords).__contains__
    docs = [list(filterfalse(stopped, TOKEN.findall(text.lower()))) for text in texts]
    if not settings.stemmer:
        return docs, docs
    stem = _stemmed(set(chain.from_iterable(docs)), settings.stemmer)
    return docs, [list(map(stem, doc)) for doc in docs]


def word_terms(words: Sequence[str], settings: BM25Settings) -> list[str | None]:
    """Each word as written (a run of word characters, as a text's `\\w+` matches give it) and the term the
    index holds for it, or None where it holds none (a stopword, a one-letter word): what tokenize([word])
    gives, its first term, without a pattern match per word. Words not in ASCII go through tokenize
    itself, since lower-casing them can change their length or split them ("İ" lowers to two characters)."""
    stop = stopset(settings.stopwords)
    out: list[str | None] = [None] * len(words)
    plain: dict[int, str] = {}
    odd: list[int] = []
    for i, w in enumerate(words):
        if not w.isascii():
            odd.append(i)
        elif len(w) > 1:
            low = w.lower()
            if low not in stop:
                plain[i] = low
    if plain:
        stem = _stemmed(set(plain.values()), settings.stemmer) if settings.stemmer else str
        for i, low in plain.items():
            out[i] = stem(low)
    if odd:
        for i, terms in zip(odd, tokenize([words[i] for i in odd], settings)):
            out[i] = terms[0] if terms else None
    return out


def _stemmed(words: set[str], language: str) -> Any:
    """A look-up of each of `words`' stems, those not yet known stemmed in one call."""
    known = _stems(language)
    missing = [t for t in words if t not in known]  # (words - known.keys() would copy every known word)
    if missing:
        if len(known) + len(missing) > STEMS_KEPT:
            known.clear()  # and then every word of these texts is stemmed afresh, not only the new ones
            missing = list(words)
        known.update(zip(missing, stemmer_for(language).stemWords(missing)))
    return known.__getitem__


@cache
def _stems(language: str) -> dict[str, str]:
    return {}


def build(token_lists: list[list[str]], settings: BM25Settings) -> Any:
    model = quiet_bm25s().BM25(k1=settings.k1, b=settings.b, method=settings.method)
    model.index(token_lists, show_progress=False)
    return model
