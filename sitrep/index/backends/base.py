"""The backend interface: what retrieval and the indexer ask of any index, local or distributed.

One file per backend (local.py: FAISS + bm25s in this process; milvus.py: a Milvus server,
cluster or milvus-lite file). Fusion, the recency prior, the lede list, de-duplication,
abstention and the extractive answer live above this interface, in retrieval/, and are the same
code for every backend.

Passages are named by int64 ids that are stable for one opened index: the local backend uses row
numbers, Milvus a hash of "<article id>#<ordinal>" (stable across updates too). Reads are batched;
a single question is a batch of one.

    Backend (read)                      Writer (write)
      lexical(queries, k, filters)        article_hashes()
      dense(vectors, k, filters)          old_passages(article_ids)  -> reuse unchanged vectors
      passages(ids) / vectors(ids)        delete(article_ids)
      lede_ids(article_ids)               begin(manifest)
                                          upsert(articles, passages, vectors)
      articles(article_ids)               commit(manifest)
      term_stats(terms) / exists(filter)
      stats() / stored_readings()
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sitrep.corpus.articles import Article
from sitrep.corpus.metadata import shown_title, web_address
from sitrep.index.chunking import Passage
from sitrep.index.manifest import Manifest
from sitrep.index.readings import StoredReadings

UNDATED = -1  # the published-day sentinel for an article with no known date


def text_key(index_text: str) -> bytes:
    """What identifies a passage's embedding: the SHA-1 of the exact text the encoder read."""
    return hashlib.sha1(index_text.encode("utf-8")).digest()


@dataclass(frozen=True)
class Filter:
    """Which passages a search may return. Days are proleptic ordinals (date.toordinal());
    an undated article passes any day range (it is never excluded for lack of a date)."""

    day_from: int | None = None
    day_to: int | None = None
    source: str | None = None  # case-insensitive substring of the outlet or the article's location
    outlet: str | None = None  # exactly this outlet
    article_ids: tuple[str, ...] | None = None

    @property
    def empty(self) -> bool:
        return self == Filter()


@dataclass(frozen=True)
class Ranked:
    """One query's hits, best first: passage ids and the backend's scores (higher is better)."""

    ids: np.ndarray  # int64
    scores: np.ndarray  # float32

    def pairs(self) -> list[tuple[int, float]]:
        return list(zip(self.ids.tolist(), self.scores.tolist()))


@dataclass(frozen=True)
class SearchRequest:
    """One question's searches, which a remote backend issues at once (one round trip)."""

    terms: Sequence[str]  # the question's analysed terms for BM25 (lexicon.tokenize); empty: no BM25 search
    vector: np.ndarray | None  # the question's unit vector; None: no vector search
    k: int
    flt: Filter | None = None
    df_terms: Sequence[str] = ()  # terms whose document frequencies are wanted as well (not yet known)


@dataclass(frozen=True)
class Searched:
    lexical: Ranked
    dense: Ranked
    df: dict[str, int]  # document frequency of each of the request's df_terms


@dataclass(frozen=True)
class PassageRows:
    """Columns for a list of passage ids, in the order asked."""

    ids: np.ndarray  # int64
    article_id: list[str]
    article_key: np.ndarray  # int64, one per article: groups passages by article in numpy
    ordinal: np.ndarray  # int32: position of the passage within its article
    day: np.ndarray  # int64 published day of the article, UNDATED if unknown
    start: np.ndarray  # int32 span in the article text
    end: np.ndarray
    text: list[str] | None = None  # verbatim passage text, when asked for

    def passage_id(self, i: int) -> str:
        return f"{self.article_id[i]}#{int(self.ordinal[i])}"


@dataclass(frozen=True)
class ArticleMeta:
    id: str
    title: str | None
    source: str | None
    date: str | None
    url: str | None
    location: str
    hash: str
    seen: str | None = None  # a date the page showed above its headline: when it was seen, not published
    passages: int = 0

    def from_source(self, source: str) -> bool:
        """Whether `source` names this article's outlet or site, as a search's source filter reads it: a
        substring of its outlet and location, case aside (its web address too)."""
        return source.lower().strip() in f"{self.source or ''} {self.location} {self.url or ''}".lower()

    @property
    def shown_title(self) -> str | None:
        """The title without the outlet's name after it ("… | CNN Business"): what a source list shows."""
        return shown_title(self.title, self.source, self.url)

    @property
    def address(self) -> str:
        """What a source list shows for where the article is: its web address, else its file."""
        return web_address(self.url) or self.location


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int
    outlets: tuple[str, ...]
    manifest: Manifest


class Backend(Protocol):
    """The read side of an index."""

    name: str
    manifest: Manifest

    def lexical(self, queries: Sequence[Sequence[str]], k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        """BM25 over the passages' index text; each query is its analysed terms (lexicon.tokenize).
        Hits scoring <= 0 are dropped; k is capped at the corpus size."""
        ...

    def dense(self, vectors: np.ndarray, k: int, filters: Sequence[Filter | None]) -> list[Ranked]:
        """Inner-product search of unit vectors (rows of `vectors`)."""
        ...

    def search(self, request: SearchRequest) -> Searched:
        """The BM25 and vector searches of one question (and the term statistics and ledes it asks for);
        a remote backend issues them concurrently and returns what fusion, the lede list, de-duplication
        and citations need, so that no later call fetches again what a search returned."""
        ...

    def lede_similarity(self, article_ids: Sequence[str], vector: np.ndarray) -> np.ndarray:
        """Each article's lede (first passage) similarity to vector. These are a question's candidate
        articles, among which its citations will be: a remote backend reads their records in the same
        round trip, so that neither the answer nor the front end asks for them again."""
        ...

    def passages(self, ids: np.ndarray, text: bool = False) -> PassageRows: ...

    def read(self, ids: np.ndarray, article_ids: Sequence[str]) -> tuple[PassageRows, dict[str, ArticleMeta]]:
        """passages(ids, text=True) and articles(article_ids) in one go (a remote backend asks both at once)."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """float32 (len(ids), dim) unit rows."""
        ...

    def lede_ids(self, article_ids: Sequence[str]) -> np.ndarray:
        """Each article's first passage (its lede, under its title)."""
        ...

    def article_passages(self, article_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Each article's passage ids, in reading order (articles not in the index are left out)."""
        ...

    def article_hashes(self) -> dict[str, str]:
        """Every article's id and content hash (follows tell what arrived since they last looked)."""
        ...

    def articles(self, article_ids: Sequence[str]) -> dict[str, ArticleMeta]: ...

    def dated_articles(self, since: str, until: str) -> dict[str, str]:
        """The articles published from `since` to `until` (ISO days, both included): id -> the day. What a
        front page reads (answer/frontpage.py), without every article's record."""
        ...

    def term_stats(self, terms: Sequence[str]) -> dict[str, int]:
        """Passages containing each term (0 for a term the corpus never uses)."""
        ...

    def exists(self, flt: Filter) -> bool:
        """Whether the filter lets any passage through (a name or a window that matches nothing
        is told to the user rather than searched)."""
        ...

    def stats(self) -> Stats: ...

    def stored_readings(self) -> StoredReadings | None:
        """Every passage's sentences and words as the index read them when it was written (passage ids
        are its rows), or None: then they are read from the passages' text as they come up."""
        ...

    def close(self) -> None: ...


def search_in_turn(backend: Backend, request: SearchRequest) -> Searched:
    """Backend.search as a sequence of the finer calls: what an in-process backend does (no round trips
    to save, and threads would only add their start-up)."""
    lexical = backend.lexical([request.terms], request.k, [request.flt])[0] if request.terms else _NONE
    dense = backend.dense(request.vector[None, :], request.k, [request.flt])[0] if request.vector is not None else _NONE
    return Searched(lexical, dense, backend.term_stats(request.df_terms) if request.df_terms else {})


_NONE = Ranked(np.zeros(0, np.int64), np.zeros(0, np.float32))


class Writer(Protocol):
    """The write side. Changes become visible to readers at commit(), not before (local), or
    article by article with the article's hash record written last (Milvus), so a crash never
    leaves what a second `update` cannot repair."""

    name: str
    manifest: Manifest | None  # what the index held when the writer opened it; None if empty

    def article_hashes(self) -> dict[str, str]: ...

    def old_passages(self, article_ids: Sequence[str]) -> tuple[list[bytes], np.ndarray]:
        """The stored passages of these articles: (text keys, vectors), for reusing the vector of
        a passage whose indexed text did not change. A key is text_key(index text)."""
        ...

    def begin(self, manifest: Manifest) -> None:
        """The settings of this update (model, chunking, BM25), before any delete or upsert."""
        ...

    def delete(self, article_ids: Sequence[str]) -> None: ...

    def upsert(self, articles: Sequence[Article], passages: Sequence[Sequence[Passage]], vectors: Sequence[np.ndarray]) -> None:
        """Replace (or add) each article with its passages (in order) and their vectors."""
        ...

    def commit(self, manifest: Manifest) -> Manifest:
        """Finish the update; returns the manifest as stored (counts, build time filled in)."""
        ...

    def close(self) -> None: ...
