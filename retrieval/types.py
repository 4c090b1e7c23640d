"""What retrieval hands to front-ends: plain frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

MODES = ("bm25", "dense", "hybrid")


@dataclass(frozen=True)
class Query:
    text: str
    k: int = 10
    mode: str = "hybrid"
    as_of: date | None = None  # None: today
    source: str | None = None  # outlet / source filter (case-insensitive substring)


@dataclass(frozen=True)
class Hit:
    passage: int  # row in the index
    article_id: str
    passage_id: str
    score: float  # fused score (the ranking key)
    rank_bm25: int | None = None  # 1-based; None when BM25 did not return it
    score_bm25: float | None = None
    rank_dense: int | None = None
    score_dense: float | None = None
    rank_lede: int | None = None  # hybrid: its article's rank by lede similarity among the candidates
    also_in: tuple[str, ...] = ()  # near-duplicate passages in these other articles


@dataclass(frozen=True)
class Citation:
    n: int
    article_id: str
    passage_id: str
    title: str | None
    source: str | None
    date: str | None
    location: str
    passage: str  # the cited passage, verbatim
    quote: str  # the quoted sentence(s) from it, verbatim
    quote_start: int  # offset of the quote within passage
    highlights: tuple[tuple[int, int], ...] = ()  # spans of question words within passage
    answer_spans: tuple[tuple[int, int], ...] = ()  # the answer phrase within passage (inside the quote), if told


@dataclass(frozen=True)
class Answer:
    question: str
    sentences: tuple[tuple[str, int], ...]  # (verbatim sentence, citation number)
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float
    notes: tuple[str, ...] = field(default=())  # e.g. "question truncated to 1,000 characters"

    @property
    def text(self) -> str | None:
        if self.abstained:
            return None
        return " ".join(f"{s} [{n}]" for s, n in self.sentences)
