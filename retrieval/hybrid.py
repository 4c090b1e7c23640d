"""HybridRetriever: question -> BM25 and vector search -> fusion -> dated, de-duplicated hits."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from index.embedding import Encoder
from index.lexicon import BM25Settings
from index.store import IndexData
from retrieval import fusion
from retrieval.dates import Window, window
from retrieval.dense import DenseSearcher
from retrieval.errors import BadOption, BadQuestion
from retrieval.lexical import LexicalSearcher
from retrieval.types import MODES, Hit, Query


@dataclass(frozen=True)
class RetrievalParams:
    # Defaults chosen on the dev set (benchmarks/tune_retrieval.py; README "Retrieval quality").
    fusion: str = "rrf"  # "rrf" or "convex"
    rrf_k: float = 60.0
    dense_weight: float = 0.6  # share of the dense list in the fusion (bm25 gets the rest)
    candidates: int = 200  # taken from each list before fusing (100 -> 200: hybrid recall@10 .944 -> .956)
    half_life_days: float = 30.0  # recency prior: an article this old counts half as much ...
    recency_weight: float = 0.5  # ... times this weight (0 = no prior)
    hint_half_life_days: float = 10.0  # the prior when the question says "this week", "yesterday" ...
    hint_weight: float = 0.7
    article_boost: float = 0.3  # an article's best passage gains this share of its second best
    lede_weight: float = 0.7  # hybrid: a third RRF list, candidate articles ranked by their lede's (title +
    # first passage) similarity to the question; a news story says what it is about up front
    lede_depth: int = 50  # ... cut, like the other lists, at a depth: only the 50 best ledes count. Uncut, a
    # recent article with a middling lede (a daily digest) outscored a months-old gold with the recency prior
    dedupe_cosine: float = 0.97  # passages this similar are one hit with "also in"
    max_question_chars: int = 1000


@dataclass
class SearchResult:
    query: Query
    question: str  # cleaned, possibly truncated
    as_of: date
    window: Window
    terms: list[str]  # the question's index terms found in the corpus
    hits: list[Hit]
    top_cosine: float  # best raw vector similarity among allowed passages
    notes: list[str] = field(default_factory=list)
    all_terms: list[str] = field(default_factory=list)  # including terms the corpus never uses


_INVISIBLE = {"Cc", "Cf", "Co", "Cs"}


def clean_question(text: str, max_chars: int) -> tuple[str, list[str]]:
    """Drop control and zero-width characters, fold white space, cap the length."""
    notes: list[str] = []
    chars = (" " if ch.isspace() else ch for ch in text if ch.isspace() or unicodedata.category(ch) not in _INVISIBLE)
    cleaned = " ".join("".join(chars).split())
    if not cleaned:
        raise BadQuestion("the question is empty: ask something, e.g. \"What did China propose to India?\"")
    if not re.search(r"\w", cleaned):
        raise BadQuestion("the question has no words to search for (only symbols or emoji): ask with words")
    if len(cleaned) > max_chars:
        cut = cleaned[:max_chars].rsplit(" ", 1)[0] or cleaned[:max_chars]
        notes.append(f"question truncated from {len(cleaned):,} to {len(cut):,} characters")
        cleaned = cut
    return cleaned, notes


class HybridRetriever:
    def __init__(
        self,
        data: IndexData,
        encoder: Encoder,
        params: RetrievalParams = RetrievalParams(),
        today: Callable[[], date] = date.today,
    ) -> None:
        self.data = data
        self.encoder = encoder
        self.params = params
        self.today = today
        self.lexical = LexicalSearcher(data.bm25, BM25Settings(**data.manifest["bm25"]))
        self.dense = DenseSearcher(data.dense)
        self._vectors = self.dense.vectors()  # in RAM already; the .npy copy stays on disk
        # passages are stored article by article: an article's first passage (its lede, under its title)
        self._lede = np.searchsorted(data.passage_article, np.arange(len(data.articles)), side="left")
        self._article_day = np.array(
            [date.fromisoformat(d).toordinal() if d else -1 for d in data.articles.date], dtype=np.int64
        )
        self._sources = [f"{s or ''} {loc}".lower() for s, loc in zip(data.articles.source, data.articles.location)]

    # -- filters ---------------------------------------------------------------------------
    def _article_mask(self, win: Window, source: str | None) -> np.ndarray:
        day = self._article_day
        undated = day < 0
        ok = undated | (day <= win.end.toordinal())
        if win.start is not None:
            ok &= undated | (day >= win.start.toordinal())
        if source:
            needle = source.lower().strip()
            ok &= np.array([needle in s for s in self._sources], dtype=bool)
        return ok

    def _passage_mask(self, win: Window, source: str | None, notes: list[str]) -> tuple[np.ndarray | None, Window]:
        if source and not any(source.lower().strip() in s for s in self._sources):
            known = sorted({s for s in self.data.articles.source if s})[:8]
            raise BadOption(f"no article from source {source!r}: try one of {', '.join(known) or 'none known'}")
        if not win.hard:
            win = Window(None, win.end, win.reason, hard=False)
        articles = self._article_mask(win, source)
        if not articles.any() and win.start is not None:
            notes.append(f"no article matches {win.reason!r}; searched everything up to {win.end.isoformat()}")
            win = Window(None, win.end)
            articles = self._article_mask(win, source)
        if articles.all():
            return None, win
        return articles[self.data.passage_article], win

    # -- search ----------------------------------------------------------------------------
    def search(self, query: Query) -> SearchResult:
        return self.search_batch([query])[0]

    def search_batch(self, queries: Sequence[Query]) -> list[SearchResult]:
        """Questions embedded in one call, then searched one by one."""
        cleaned = []
        for q in queries:
            if q.mode not in MODES:
                raise BadOption(f"unknown mode {q.mode!r}: use one of {', '.join(MODES)}")
            if not 1 <= q.k <= 100:
                raise BadOption(f"k must be between 1 and 100, not {q.k}")
            cleaned.append(clean_question(q.text, self.params.max_question_chars))
        # Every mode embeds the question: bm25 mode does not rank by it, but the answer's
        # confidence needs the similarity of the best evidence all the same.
        vectors = self.encoder.encode([text for text, _ in cleaned])
        return [self._search_one(q, text, notes, vectors[i]) for i, (q, (text, notes)) in enumerate(zip(queries, cleaned))]

    def _search_one(self, query: Query, text: str, notes: list[str], vector: np.ndarray) -> SearchResult:
        p = self.params
        as_of = query.as_of or self.today()
        asked = window(text, as_of)
        mask, win = self._passage_mask(asked, query.source, notes)
        all_terms = self.lexical.all_terms(text)
        terms = [t for t in all_terms if t in self.lexical.vocab]
        lists: list[list[tuple[int, float]]] = []
        weights: list[float] = []
        bm: list[tuple[int, float]] = []
        dn: list[tuple[int, float]] = []
        if query.mode in ("bm25", "hybrid"):
            bm = self.lexical.search(terms, p.candidates, mask)
            lists.append(bm)
            weights.append(1.0 - p.dense_weight if query.mode == "hybrid" else 1.0)
        if query.mode in ("dense", "hybrid"):
            dn = self.dense.search(vector, p.candidates, mask)
            lists.append(dn)
            weights.append(p.dense_weight if query.mode == "hybrid" else 1.0)
        fused = fusion.convex(lists, weights) if p.fusion == "convex" else fusion.rrf(lists, p.rrf_k, weights)
        lede_rank: dict[int, int] = {}
        if query.mode == "hybrid" and p.lede_weight > 0 and fused:
            fused, lede_rank = self._lede_list(fused, vector)
        hinted = not asked.hard
        half_life, weight = (p.hint_half_life_days, p.hint_weight) if hinted and p.hint_weight > 0 else (p.half_life_days, p.recency_weight)
        if weight > 0:
            fused = self._recency(fused, as_of, half_life, weight)
        if p.article_boost > 0:
            fused = self._boost_articles(fused)
        hits = self._hits(fusion.ordered(fused), bm, dn, query.k, lede_rank)
        top_cosine = dn[0][1] if dn else max((float(self._vectors[h.passage] @ vector) for h in hits), default=0.0)
        return SearchResult(query, text, as_of, win, terms, hits, top_cosine, notes, all_terms)

    def _lede_list(self, fused: dict[int, float], vector: np.ndarray) -> tuple[dict[int, float], dict[int, int]]:
        """Rank the candidates' articles by their lede's similarity and fuse that list, cut at
        `lede_depth`, in (RRF, at article level: every passage of an article gains the same). Only
        candidate articles are scored, so the cost does not grow with the corpus. Returns the fused
        scores and the lede ranks that counted."""
        items = np.fromiter(fused, dtype=np.int64, count=len(fused))
        articles = np.unique(self.data.passage_article[items])
        sims = self._vectors[self._lede[articles]] @ vector
        order = articles[np.argsort(-sims, kind="stable")][: self.params.lede_depth]
        rank = dict(zip(order.tolist(), range(1, len(order) + 1)))
        w, k = self.params.lede_weight, self.params.rrf_k
        pa = self.data.passage_article
        return {i: s + (w / (k + rank[a]) if (a := int(pa[i])) in rank else 0.0) for i, s in fused.items()}, rank

    def _recency(self, fused: dict[int, float], as_of: date, half_life: float, weight: float) -> dict[int, float]:
        items = np.fromiter(fused, dtype=np.int64, count=len(fused))
        if not items.size:
            return fused
        day = self._article_day[self.data.passage_article[items]]
        age = (as_of.toordinal() - day).clip(min=0)
        prior = 1.0 - weight + weight * np.where(day < 0, 0.0, np.power(0.5, age / half_life))  # undated: no credit
        return {int(i): s * float(w) for i, s, w in zip(items, fused.values(), prior)}

    def _boost_articles(self, fused: dict[int, float]) -> dict[int, float]:
        """An article that matches in several passages is likelier the one: lift its best passage."""
        best: dict[int, list[tuple[float, int]]] = {}
        for i, s in fused.items():
            tops = best.setdefault(int(self.data.passage_article[i]), [])
            tops.append((s, i))
        out = dict(fused)
        for tops in best.values():
            if len(tops) > 1:
                tops.sort(reverse=True)
                out[tops[0][1]] = tops[0][0] + self.params.article_boost * tops[1][0]
        return out

    def _hits(self, ranked: list[tuple[int, float]], bm: list[tuple[int, float]], dn: list[tuple[int, float]], k: int,
              lede_rank: dict[int, int]) -> list[Hit]:
        rank_bm = {i: (r, s) for r, (i, s) in enumerate(bm, start=1)}
        rank_dn = {i: (r, s) for r, (i, s) in enumerate(dn, start=1)}
        data = self.data
        order = [i for i, _ in ranked]
        kept: list[int] = []  # positions in order
        also: dict[int, list[str]] = {}
        vecs = self._vectors[np.array(order, dtype=np.int64)] if order else np.zeros((0, 1), np.float32)
        threshold = self.params.dedupe_cosine

        def twin(pos: int, dup_pos: int) -> None:
            dup, aid = order[dup_pos], data.articles.id[int(data.passage_article[order[pos]])]
            if aid != data.articles.id[int(data.passage_article[dup])] and aid not in also[dup]:
                also[dup].append(aid)

        pos = 0
        while pos < len(order) and len(kept) < k:  # fill the k hits, folding twins into them
            sims = vecs[kept] @ vecs[pos] if kept else None
            if sims is not None and sims.max() >= threshold:
                twin(pos, kept[int(np.argmax(sims))])
            else:
                kept.append(pos)
                also[order[pos]] = []
            pos += 1
        if kept and pos < len(order):  # past k: a twin ranked lower still belongs in "also in"
            block = vecs[pos:] @ vecs[kept].T
            best = block.argmax(axis=1)
            for r in np.flatnonzero(block[np.arange(len(best)), best] >= threshold):
                twin(pos + int(r), kept[int(best[r])])
        kept = [order[pos] for pos in kept]
        scores = dict(ranked)
        return [
            Hit(
                passage=i,
                article_id=data.articles.id[int(data.passage_article[i])],
                passage_id=data.passage_id(i),
                score=scores[i],
                rank_bm25=rank_bm.get(i, (None, None))[0],
                score_bm25=rank_bm.get(i, (None, None))[1],
                rank_dense=rank_dn.get(i, (None, None))[0],
                score_dense=rank_dn.get(i, (None, None))[1],
                rank_lede=lede_rank.get(int(data.passage_article[i])),
                also_in=tuple(also[i]),
            )
            for i in kept
        ]
