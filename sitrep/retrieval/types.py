"""What retrieval hands to front-ends: plain frozen data, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sitrep.corpus.metadata import web_address
from sitrep.records import quick_init

MODES = ("bm25", "dense", "hybrid")


@dataclass(frozen=True)
class Query:
    text: str
    k: int = 10
    mode: str = "hybrid"
    as_of: date | None = None  # None: today
    source: str | None = None  # outlet / source filter (case-insensitive substring)
    since: date | None = None  # nothing published before this day (a question's own dates may narrow it)
    asked: AskedAs | None = None  # set by the engine for a question in a conversation: what to search instead


@dataclass(frozen=True)
class AskedAs:
    """How a question was understood: what was searched. For a question on its own, the question and
    its terms; for a follow-up, the conversation's part in it (retrieval/conversation.py)."""

    text: str  # what was embedded: the question, the earlier question with it, or a rewrite
    terms: tuple[str, ...]  # the index terms BM25 searched with
    carried: tuple[str, ...] = ()  # ... of which these came from earlier turns
    swapped: tuple[tuple[str, str], ...] = ()  # (earlier name, the new one put in its place)
    prior_articles: tuple[str, ...] = ()  # the last answer's cited articles, favoured
    reason: str = ""  # why the conversation was used; "" when the question stood alone
    context: tuple[str, ...] = ()  # every term the remembered earlier turns searched with
    since_at: float | None = None  # "any news?": only articles published since this time (the last answer's) ...
    seen: tuple[str, ...] = ()  # ... and none the last answer cited (ids or their short keys)
    shown: tuple[str, ...] = ()  # a follow-up: the sentences the remembered answers quoted (conversation.quote_key)
    more: bool = False  # "What else?": the earlier question again, answered only by sentences not quoted yet
    rewrite: str = ""  # "What did he say?" with "he" read as the person the last answer named ("What did Rajnath Singh
    # say?"): what the reader reads (retrieval/conversation.py, answer/referent.py)

    @property
    def followup(self) -> bool:
        return bool(self.carried or self.swapped or self.prior_articles or self.reason)


@quick_init
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


@quick_init
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
    seen: str | None = None  # no publication date, but the page showed this one above its headline
    url: str | None = None  # the article's web address, when it has one
    also_in: tuple[str, ...] = ()  # the outlets of the other articles that carry this passage (its hit's "also in")
    copies: tuple[str, ...] = ()  # ... and those articles (ids): the same report, never listed as another source

    @property
    def shown_date(self) -> str | None:
        return shown_date(self.date, self.seen)

    @property
    def address(self) -> str:
        """What a source list shows for where the article is: its web address, else its file."""
        return web_address(self.url) or self.location


def shown_date(published: str | None, seen: str | None) -> str | None:
    """What a source list shows for a date: the publication date, else "seen <day>" (the page's own
    furniture gave only the day it was saved), else nothing."""
    return published or (f"seen {seen}" if seen else None)


@dataclass(frozen=True)
class Answer:
    question: str
    sentences: tuple[tuple[str, int], ...]  # (verbatim sentence, citation number: one number an article)
    citations: tuple[Citation, ...]  # one a quoted sentence, in the sentences' order; an article's share its number
    hits: tuple[Hit, ...]
    abstained: bool
    confidence: float
    notes: tuple[str, ...] = field(default=())  # e.g. "question truncated to 1,000 characters"
    asked_as: AskedAs | None = None  # what was searched (None only for answers made outside the engine)
    not_repeated: bool = False  # a follow-up: the sentence the reader liked best was quoted before, another leads

    @property
    def text(self) -> str | None:
        if self.abstained:
            return None
        return " ".join(f"{s} [{n}]" for s, n in self.sentences)

    def sources(self) -> list[tuple[Citation, ...]]:
        """The citations by source: one group an article (its number), in the order of the numbers."""
        groups: dict[int, list[Citation]] = {}
        for c in self.citations:
            groups.setdefault(c.n, []).append(c)
        return [tuple(g) for _, g in sorted(groups.items())]

    def citation(self, i: int) -> Citation | None:
        """The citation of the i-th sentence (its quote, under its number)."""
        s, n = self.sentences[i]
        return next((c for c in self.citations if c.n == n and c.quote == s), None)
