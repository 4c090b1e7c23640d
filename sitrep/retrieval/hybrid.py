"""HybridRetriever: question -> BM25 and vector search -> fusion -> dated, de-duplicated hits (where
nothing is dated: the first hits re-ordered by word matches, rerank.py, and BM25 searched again with the
words they share, feedback.py).

Over 300 lines on purpose: RetrievalParams, the fusion steps and the hit list are the ranking the
dev numbers were measured on; fold_twins and the fusion functions are already pure and tested alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from sitrep.index.backends.base import UNDATED, Backend, Filter, PassageRows, Ranked, Searched, SearchRequest
from sitrep.index.embedding import Encoder
from sitrep.retrieval import feedback, fusion, neighbours, rerank
from sitrep.retrieval.conversation import article_key
from sitrep.retrieval.dates import Window, asks_current, asks_latest, window
from sitrep.retrieval.errors import BadOption, BadQuestion
from sitrep.retrieval.lexical import TermWeights, drop_fillers
from sitrep.retrieval.spelling import Speller
from sitrep.retrieval.types import MODES, AskedAs, Hit, Query


@dataclass(frozen=True)
class RetrievalParams:
    # Defaults chosen on the dev set (benchmarks/tune_retrieval.py; docs/evaluation.md "Retrieval quality").
    fusion: str = "rrf"  # "rrf", "convex" (min-max normalised scores) or "convex-max" (scores over each list's best)
    # When no candidate passage has a date (an undated corpus, or undated candidates), there is no prior to
    # weigh and this fusion is used instead (benchmarks/bench_peers.py, docs/evaluation.md "Corpus shapes"): on the
    # undated dev corpus convex-max 0.5 beat RRF on both halves of the time split (MRR@10 .6579 -> .6792).
    undated_fusion: str = "convex-max"
    undated_dense_weight: float = 0.5
    # ... and there the first hits are re-ordered by the question's exact words and adjacent word pairs they
    # hold (retrieval/rerank.py): MRR@10 up on both halves of every shape without dates, recall@10 the same
    # by construction (docs/evaluation.md "Corpus shapes"). Weights over the fused score's 1.
    exact_weight: float = 0.2
    pair_weight: float = 0.2
    rerank_depth: int = 10
    dated_share: float = 0.25  # ... "no date": fewer than this share of the candidates are dated (the shapes have
    # all or none; the bundled corpus has 2 dated articles of 5 — 40% of its passages — and keeps RRF and its prior)
    rrf_k: float = 60.0
    dense_weight: float = 0.6  # share of the dense list in the fusion (bm25 gets the rest)
    candidates: int = 200  # taken from each list before fusing (100 -> 200: hybrid recall@10 .944 -> .956)
    snippet_candidates: int = 100  # ... where articles are one passage each (a snippet collection), as many articles'
    # worth: 200 passages of the dev set are about 100 articles; on the snippet shapes 100 a list ranked as well
    # (hybrid within 0.0011 on every cell) and costs less to fuse and fold (docs/evaluation.md "Corpus shapes")
    half_life_days: float = 30.0  # recency prior: an article this old counts half as much ...
    recency_weight: float = 0.5  # ... times this weight (0 = no prior)
    hint_half_life_days: float = 10.0  # the prior when the question says "this week", "yesterday" ...
    hint_weight: float = 0.7
    current_depth: int = 20  # a question for the present state ("the new prime minister", "now"; dates.asks_current)
    # counts ages from the newest of its best this many candidates when that is earlier: the topic's own "now"
    # (dev MRR@10 0.8349 -> 0.8348, probes refused 82.5% -> 83.0%; docs/evaluation.md "Archives")
    undated_credit: bool = True  # an article without a date gets the dated candidates' mean recency credit (False:
    # none; a mixed corpus, one article in five undated: hybrid 0.939 / 0.718 -> 0.963 / 0.749; docs/evaluation.md)
    article_boost: float = 0.3  # an article's best passage gains this share of its second best
    lede_weight: float = 0.7  # hybrid: a third RRF list, candidate articles ranked by their lede's (title +
    # first passage) similarity to the question; a news story says what it is about up front
    lede_depth: int = 50  # ... cut, like the other lists, at a depth: only the 50 best ledes count. Uncut, a
    # recent article with a middling lede (a daily digest) outscored a months-old gold with the recency prior
    followup_prior: float = 0.5  # a follow-up: the passages of the articles the last answer cited x (1 + this)
    # (benchmarks/conversations.jsonl, docs/asking.md "Conversations")
    # Pseudo-relevance feedback (retrieval/feedback.py) where there are no dates: the BM25 list searched again with
    # the expand_terms words the first expand_feedback hits share, worth expand_weight x the question's terms
    # (docs/evaluation.md "Corpus shapes"); expand_dated: on the dated path too.
    expand_feedback: int = 5
    expand_terms: int = 10
    expand_weight: float = 0.4
    expand_dated: bool = False
    # Where there are no dates, each candidate's BM25 score may gain neighbour_weight x the cosine-weighted mean of
    # its neighbour_count most similar candidates' at neighbour_cosine or above (retrieval/neighbours.py; in a
    # snippet collection only the best neighbour_rows of the fusion without it gain). At 0.1: one issue-20 target
    # cell fewer missed and every cell of the four undated shapes up or equal, for ~0.45-0.53 ms a question (off
    # until the questions' int8 graph left room for it: docs/evaluation.md "Corpus shapes"); 0: off.
    neighbour_weight: float = 0.1
    neighbour_count: int = 10
    neighbour_cosine: float = 0.4
    neighbour_rows: int = 30
    dedupe_cosine: float = 0.97  # passages this similar are one hit with "also in"
    max_question_chars: int = 1000
    # A question's word no passage holds is read as the spelling one edit away whose term at least this many
    # passages hold (retrieval/spelling.py; benchmarks/bench_typos.py); 0: read as typed.
    spell_min_df: int = 5


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
    asked: AskedAs | None = None  # what was searched, when it was not the question alone (a follow-up)
    recency_from: date | None = None  # the day the recency prior counted ages from, when not the as-of date

    @property
    def reader_question(self) -> str:
        """The question the reader reads for its kind: a rewrite when a name was swapped in
        ("What about Pakistan?" reads as the earlier question about Pakistan) or more was asked for ("What
        else?" reads as the earlier question), else what was typed."""
        asked = self.asked
        if asked is not None and asked.rewrite:  # "What did he say?" read as "What did Rajnath Singh say?"
            return asked.rewrite
        return asked.text if asked is not None and (asked.swapped or asked.more) else self.question

    @property
    def reader_context(self) -> str:
        """What a follow-up was searched with (its conversation's earlier question with it), else ""."""
        return self.asked.text if self.asked is not None and self.asked.followup else ""


_INVISIBLE = {"Cc", "Cf", "Co", "Cs"}


def clean_question(text: str, max_chars: int) -> tuple[str, list[str]]:
    """Drop control and zero-width characters, fold white space, cap the length."""
    notes: list[str] = []
    if text.isascii():  # (most questions) in ASCII only control characters are invisible; the white space
        # among them folds like a space, the rest are dropped
        kept = text if text.isprintable() else "".join(ch for ch in text if ch.isprintable() or ch.isspace())
        cleaned = " ".join(kept.split())
    else:
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


# A question typed without its question mark, as chat messages often are ("what china proposed", "I want to know
# what China proposed"): embedded with one, as the same question typed in full is.
_ASKS = re.compile(r"(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had)\b"  # "Did India …"
                   r"|.*\b(?:who|whom|whose|what|when|where|why|how|which)\b", re.IGNORECASE | re.DOTALL)  # "…, which …"


def embedded(text: str) -> str:
    """What of a cleaned question is embedded: without its words of chat ("pls", "lol", "exactly") and the
    phrases that put it ("can you tell me"), which move its vector away from the passages that answer it; with a
    question mark where a question has none."""
    dropped = drop_fillers(text)
    text = text if dropped == text else " ".join(dropped.split()) or text
    bare = text.rstrip(" .!")
    return bare + "?" if not bare.endswith("?") and _ASKS.match(bare) else text


class HybridRetriever:
    """Question -> BM25 and vector lists from the backend -> fusion, lede list, recency prior,
    article boost, de-duplication. Everything after the two searches is backend-independent."""

    def __init__(
        self,
        backend: Backend,
        encoder: Encoder,
        params: RetrievalParams = RetrievalParams(),
        today: Callable[[], date] = date.today,
    ) -> None:
        self.backend = backend
        self.encoder = encoder
        self.params = params
        self.today = today
        self.terms = TermWeights(backend)
        stats = backend.stats()
        stored = self.terms.readings.stored
        self.speller = Speller(self.terms.df, self.terms.settings, params.spell_min_df,
                               stored.word_counts if stored is not None else None)
        # The lede list ranks articles by their first passage: where articles are one passage each (a
        # snippet collection), it is the vector list a second time, so it is used only where they are longer.
        self.multi_passage = stats.passages >= 1.5 * max(stats.articles, 1)
        self._asked_words: tuple[str | None, tuple[list[str], list[str]]] = (None, ([], []))

    @property
    def depth(self) -> int:
        """Passages taken from each list: fewer where articles are one passage each."""
        p = self.params
        return p.candidates if self.multi_passage else min(p.candidates, p.snippet_candidates)

    # -- searches --------------------------------------------------------------------------
    def _searched(self, query: Query, all_terms: list[str], vector: np.ndarray, win: Window,
                  notes: list[str]) -> tuple[Searched, Window, Filter]:
        """The question's searches in one backend call (with the term statistics not yet known). Only when a filtered search finds nothing is it asked why: an
        unknown source is refused; a window with no article is widened, with a note."""

        def run(flt: Filter) -> Searched:
            found = self.backend.search(SearchRequest(
                all_terms if query.mode in ("bm25", "hybrid") else (), vector if query.mode in ("dense", "hybrid") else None,
                self.depth, flt, self.terms.unknown(all_terms)))
            self.terms.remember(found.df)
            return found

        flt = _as_filter(win, query.source)
        found = run(flt)
        if len(found.lexical.ids) or len(found.dense.ids) or flt == _as_filter(Window(None, win.end), None):
            return found, win, flt
        if query.source:
            self.check_source(query.source)
        if win.start is not None and not self.backend.exists(flt):
            notes.append(f"no article matches {win.reason!r}; searched everything up to {win.end.isoformat()}")
            win = Window(None, win.end)
            flt = _as_filter(win, query.source)
            found = run(flt)
        return found, win, flt

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
        vectors = self.encoder.encode_queries([embedded(q.asked.text if q.asked else text) for q, (text, _) in zip(queries, cleaned)])
        return [self._search_one(q, text, notes, vectors[i]) for i, (q, (text, notes)) in enumerate(zip(queries, cleaned))]

    def _search_one(self, query: Query, text: str, notes: list[str], vector: np.ndarray) -> SearchResult:
        p = self.params
        as_of = query.as_of or self.today()
        asked = window(text, as_of)
        if query.asked is not None and asked.start is None and not asked.reason:
            asked = window(query.asked.text, as_of)  # a follow-up keeps the earlier question's dates
        hinted = not asked.hard
        if query.since is not None and (asked.start is None or asked.start < query.since):
            asked = Window(min(query.since, as_of), as_of, f"since {query.since.isoformat()}")
        all_terms = list(query.asked.terms) if query.asked is not None else self.terms.all_terms(text)
        found, win, flt = self._searched(query, all_terms, vector, asked, notes)
        terms = self.terms.known(all_terms)  # remembered by the search: no further call
        searched: list[Ranked] = []  # the lists fused: BM25's, then the vector search's
        weights: list[float] = []
        bm, dn = _NONE, _NONE
        if query.mode in ("bm25", "hybrid"):
            bm = found.lexical if terms else _NONE
            searched.append(bm)
            weights.append(1.0 - p.dense_weight if query.mode == "hybrid" else 1.0)
        if query.mode in ("dense", "hybrid"):
            dn = found.dense
            searched.append(dn)
            weights.append(p.dense_weight if query.mode == "hybrid" else 1.0)
        now = self.prior_day(as_of, hinted or asks_latest(text if query.asked is None else query.asked.text))
        hood: list[neighbours.Neighbourhood] = []  # the candidates' neighbours, made by the first fusion that lends
        fused, rows, lede_rank, undated, now = self._fuse(query, searched, weights, vector, as_of, hinted, now=now, hood=hood)
        question = text if query.asked is None else query.asked.text
        reorder = undated and (p.exact_weight > 0 or p.pair_weight > 0)
        ranked = self._word_match(fused, question) if reorder else fused
        if query.mode == "hybrid" and p.expand_weight > 0 and len(bm.ids) and fused and (undated or p.expand_dated):
            # The words the best hits share, searched again beside the question's (retrieval/feedback.py); the
            # first hit stays first (it chose them), the rest are ranked with the wider BM25 list.
            wider = self._expanded(terms, all_terms, fused, flt)
            again, rows2, lede2, _, _ = self._fuse(query, [wider, dn], weights, vector, as_of, hinted, undated, now, hood)
            first = ranked[0][0]
            if again and first in set(rows2.ids.tolist()):
                if reorder:
                    again = self._word_match(again, question)
                ranked = [(first, again[0][1])] + [r for r in again if r[0] != first]
                rows, lede_rank, bm = rows2, lede2, wider
        at = dict(zip(rows.ids.tolist(), range(len(rows.ids))))  # passage id -> its row
        hits = self._hits(ranked, rows, at, bm, dn, query.k, lede_rank)
        if len(dn.ids):
            top_cosine = float(dn.scores[0])
        else:
            hit_ids = np.array([h.passage for h in hits], dtype=np.int64)
            top_cosine = float((self.backend.vectors(hit_ids) @ vector).max()) if hit_ids.size else 0.0
        return SearchResult(query, text, as_of, win, terms, hits, top_cosine, notes, all_terms, query.asked,
                            now if now != as_of and not undated else None)

    def prior_day(self, as_of: date, latest: bool) -> date:
        """The day the recency prior counts ages from: the as-of date, but for a question that asks what is new
        ("Who is the new prime minister?", "… this week") the index's newest article's day when that is earlier.
        An archive asked long after its last article then ranks such a question as it did on its last day:
        counted from today every article is old and the prior ranks them all alike (docs/evaluation.md
        "Archives"). A question without such words keeps the as-of date: in an archive, "What did China
        propose?" is not about the archive's last weeks."""
        newest = self.newest_day() if latest else None
        return min(as_of, newest) if newest is not None else as_of

    def newest_day(self) -> date | None:
        """The day of the index's newest article (its manifest's; both backends keep it), None if none is dated."""
        newest = self.backend.manifest.newest_article_date
        try:
            return date.fromisoformat(newest[:10]) if newest else None
        except ValueError:
            return None

    def check_source(self, source: str) -> None:
        """BadOption (one line, naming some outlets) when no article is from `source`."""
        if not self.backend.exists(Filter(source=source)):
            known = list(self.backend.stats().outlets)[:8]
            raise BadOption(f"no article from source {source!r}: try one of {', '.join(known) or 'none known'}")

    def _fuse(self, query: Query, searched: list[Ranked], weights: list[float], vector: np.ndarray, as_of: date,
              hinted: bool, undated: bool | None = None, now: date | None = None,
              hood: list[neighbours.Neighbourhood] | None = None,
              ) -> tuple[list[tuple[int, float]], PassageRows, dict[int, int], bool, date]:
        """The lists fused into one ranking, with the priors: (ranking, the candidates' rows, the lede ranks that
        counted, whether the undated fusion was used: decided from the candidates' dates unless given). The
        recency prior counts ages from `now` (prior_day) where the candidates are dated, else from `as_of`: where
        few are, the newest dated article is not the corpus's "now"."""
        p = self.params
        ids, positions = fusion.union([r.ids for r in searched])
        rows = self.backend.passages(ids)  # row j is candidate j
        how = p.fusion
        few_dated = len(ids) > 0 and bool((rows.day != UNDATED).mean() < p.dated_share)
        if undated is None:
            undated = query.mode == "hybrid" and few_dated
        scores = [r.scores for r in searched]
        if undated:
            how = p.undated_fusion  # (almost) nothing to weigh by date: the fusion measured best without dates
            weights = [1.0 - p.undated_dense_weight, p.undated_dense_weight]  # hybrid: the BM25 list, then the vector list
            if p.neighbour_weight > 0 and len(searched) == 2 and len(searched[0].ids) and hood is not None:
                positions[0], scores[0] = self._lent(ids, positions, scores, weights, hood, how not in ("convex", "convex-max"))
        if how in ("convex", "convex-max"):
            fused = fusion.convex(positions, scores, weights, len(ids),
                                  "max" if how == "convex-max" else "minmax")
        else:
            fused = fusion.rrf(positions, len(ids), p.rrf_k, weights)
        lede_rank: dict[int, int] = {}
        if query.mode == "hybrid" and p.lede_weight > 0 and len(ids) and self.multi_passage:
            fused, lede_rank = self._lede_list(fused, rows, vector)
        if query.asked is not None and query.asked.prior_articles and self.params.followup_prior > 0:
            fused = self._prior(fused, rows, set(query.asked.prior_articles))
        half_life, weight = (p.hint_half_life_days, p.hint_weight) if hinted and p.hint_weight > 0 else (p.half_life_days, p.recency_weight)
        now = as_of if undated or few_dated or now is None else now  # every mode: few dated, no corpus "now"
        if not (undated or few_dated) and p.current_depth > 0 and asks_current(query.text if query.asked is None else query.asked.text):
            now = newest_of_best(fused, rows.day, now, p.current_depth)  # "Who is the new prime minister?"
        if weight > 0:
            fused = recency(fused, rows.day, now, half_life, weight, p.undated_credit)
        if p.article_boost > 0:
            fused = self._boost_articles(fused, rows)
        return fusion.ordered(ids, fused), rows, lede_rank, undated, now

    def _lent(self, ids: np.ndarray, positions: list[np.ndarray], lists: list[np.ndarray], weights: list[float],
              hood: list[neighbours.Neighbourhood], ordered: bool) -> tuple[np.ndarray, np.ndarray]:
        """The BM25 list over the candidates, each score with its neighbours' share (neighbours.py): the candidates'
        positions in score order, and their scores (above 0). The neighbourhood is the question's first candidates'
        (`hood`, made by the first fusion; the feedback's second one lends along it too)."""
        p = self.params
        if not hood:  # those that may gain: every candidate, or in a snippet collection the best neighbour_rows as fused without
            if self.multi_passage:
                rows = np.arange(len(ids))
            else:
                plain = fusion.convex(positions, lists, weights, len(ids), "max")
                rows = np.sort(np.argsort(-plain, kind="stable")[: p.neighbour_rows])
            hood.append(neighbours.neighbourhood(ids, self.backend.vectors(ids), rows, p.neighbour_count,
                                                 p.neighbour_cosine))
            ids = hood[0].ids  # the same array: the first lending needs no look-up
        s = np.zeros(len(ids), dtype=np.float32)
        s[positions[0]] = lists[0]
        s = neighbours.lend(hood[0], ids, s, p.neighbour_weight)
        if ordered:  # RRF reads ranks; a convex fusion only the scores
            order = np.argsort(-s, kind="stable")
            order = order[s[order] > 0]
        else:
            order = np.flatnonzero(s > 0)
        return order, s[order].astype(np.float32)

    def _expanded(self, terms: list[str], all_terms: list[str], ranked: list[tuple[int, float]], flt: Filter) -> Ranked:
        """The BM25 list searched again with the words the first `expand_feedback` hits share (feedback.py)."""
        p = self.params
        top = ranked[: p.expand_feedback]
        self._read([i for i, _ in top])
        with_title = self.backend.manifest.chunking.title_prefix
        fed = [(self.terms.readings[i].indexed_terms(with_title), s) for i, s in top]
        df = self.terms.df(list({t for ts, _ in fed for t in ts}))  # one call for the terms not yet known
        added = feedback.expansion(fed, set(all_terms), dict(zip(df, self.terms.idfs(list(df.values())))).__getitem__,
                                   p.expand_terms)
        if not added:
            return self.backend.lexical([terms], self.depth, [flt])[0]
        return self.backend.lexical([feedback.weighted_query(terms, added, p.expand_weight)], self.depth, [flt])[0]

    def _read(self, ids: list[int]) -> None:
        """The passages' readings (their sentences, words and terms), for those not yet read."""
        readings = self.terms.readings
        missing = readings.missing(ids)
        if missing:
            rows = self.backend.passages(np.array(missing, dtype=np.int64), text=True)
            titles = self.backend.articles(rows.article_id)
            readings.read(rows.ids.tolist(), rows.text or [], [titles[a].title if a in titles else None for a in rows.article_id])

    def _word_match(self, ranked: list[tuple[int, float]], question: str) -> list[tuple[int, float]]:
        """The first hits re-ordered by the question's exact words and word pairs in their indexed text (the
        title prefixed as the index has it). Each passage is read once per opened index (readings.py)."""
        p = self.params
        ids = [i for i, _ in ranked[: p.rerank_depth]]
        if len(ids) < 2:
            return ranked
        self._read(ids)
        readings = self.terms.readings
        with_title = self.backend.manifest.chunking.title_prefix
        if self._asked_words[0] != question:  # a question's words, analysed once for both re-orderings
            self._asked_words = (question, rerank.words(question, self.terms.settings))
        return rerank.word_match(ranked, {i: rerank.of_reading(readings[i], with_title) for i in ids}, question,
                                 lambda s: self.terms.term_weight(s) - 1.0, self.terms.settings, p.rerank_depth,
                                 p.exact_weight, p.pair_weight, self._asked_words[1])

    def _prior(self, fused: np.ndarray, rows: PassageRows, articles: set[str]) -> np.ndarray:
        """The last answer's cited articles (ids, or their short keys) favoured: x (1 + followup_prior)."""
        lift = 1.0 + self.params.followup_prior
        favoured = {a for a in set(rows.article_id) if a in articles or article_key(a) in articles}
        mask = np.fromiter((a in favoured for a in rows.article_id), dtype=bool, count=len(rows.article_id))
        return np.where(mask, fused * lift, fused)

    def _lede_list(self, fused: np.ndarray, rows: PassageRows, vector: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
        """Rank the candidates' articles by their lede's similarity and fuse that list, cut at
        `lede_depth`, in (RRF, at article level: every passage of an article gains the same). Only
        candidate articles are scored, so the cost does not grow with the corpus. Returns the fused
        scores and the lede ranks (by article key) that counted."""
        keys, first, inverse = np.unique(rows.article_key, return_index=True, return_inverse=True)
        sims = self.backend.lede_similarity([rows.article_id[j] for j in first.tolist()], vector)
        top = np.argsort(-sims, kind="stable")[: self.params.lede_depth]  # positions in keys, best first
        rank_of = np.zeros(len(keys), dtype=np.int64)
        rank_of[top] = np.arange(1, len(top) + 1)
        rank = rank_of[inverse]  # each candidate's article's lede rank; 0: past the cut
        w, k = self.params.lede_weight, self.params.rrf_k
        bonus = np.where(rank > 0, w / (k + np.maximum(rank, 1)), 0.0)
        return fused + bonus, dict(zip(keys[top].tolist(), range(1, len(top) + 1)))

    def _boost_articles(self, fused: np.ndarray, rows: PassageRows) -> np.ndarray:
        """An article that matches in several passages is likelier the one: lift its best passage by
        article_boost x its second best (best: the higher score, on a tie the higher passage id)."""
        key = rows.article_key
        if len(key) < 2 or not rows.ordinal.any():  # two passages of one article: one of them is not its first
            return fused
        order = np.lexsort((-rows.ids, -fused, key))  # by article, then best first
        grouped = key[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        multi = starts[(np.r_[starts[1:], len(order)] - starts) > 1]
        if not len(multi):  # one passage an article (a snippet collection): nothing to lift
            return fused
        best, second = order[multi], order[multi + 1]
        out = fused.copy()
        out[best] = fused[best] + self.params.article_boost * fused[second]
        return out

    def _hits(self, ranked: list[tuple[int, float]], rows: PassageRows, at: dict[int, int],
              bm: Ranked, dn: Ranked, k: int, lede_rank: dict[int, int]) -> list[Hit]:
        """The k best passages as hits, near-duplicate passages folded into the one ranked above them
        ("also in"), each with its ranks and scores in the lists that found it."""
        order = [i for i, _ in ranked]
        vecs = self.backend.vectors(np.array(order, dtype=np.int64)) if order else np.zeros((0, 1), np.float32)
        folded = fold_twins(vecs, [rows.article_id[at[i]] for i in order], k, self.params.dedupe_cosine)
        rank_bm = dict(zip(bm.ids.tolist(), range(len(bm.ids))))  # position in each list (0-based)
        rank_dn = dict(zip(dn.ids.tolist(), range(len(dn.ids))))
        bm_scores, dn_scores = bm.scores.tolist(), dn.scores.tolist()
        out = []
        for pos, also in folded:
            i, score = ranked[pos]
            j = at[i]
            b, d = rank_bm.get(i), rank_dn.get(i)
            out.append(Hit(
                passage=i,
                article_id=rows.article_id[j],
                passage_id=rows.passage_id(j),
                score=score,
                rank_bm25=None if b is None else b + 1,
                score_bm25=None if b is None else bm_scores[b],
                rank_dense=None if d is None else d + 1,
                score_dense=None if d is None else dn_scores[d],
                rank_lede=lede_rank.get(int(rows.article_key[j])) if lede_rank else None,
                also_in=tuple(also),
            ))
        return out


def newest_of_best(fused: np.ndarray, day: np.ndarray, now: date, depth: int) -> date:
    """The newest day among the `depth` best candidates (by `fused`), if earlier than `now`."""
    best = np.argsort(-fused, kind="stable")[:depth]
    dated = day[best][day[best] != UNDATED]
    return min(now, date.fromordinal(int(dated.max()))) if len(dated) else now


def recency(fused: np.ndarray, day: np.ndarray, as_of: date, half_life: float, weight: float,
            undated_credit: bool = True) -> np.ndarray:
    """Each score times (1 - weight) + weight x 0.5 ** (age in days / half_life): a passage of `as_of`
    keeps its score, an old one keeps 1 - weight of it, an undated one (day UNDATED) the mean credit of the
    dated candidates (`undated_credit`; else none, as a very old one)."""
    if not len(fused):
        return fused
    if not (day != UNDATED).any():  # no candidate dated (a snippet collection): one factor for all, as below
        return fused * (1.0 - weight)
    age = (as_of.toordinal() - day).clip(min=0)
    credit = np.power(0.5, age / half_life)
    # an undated candidate: the dated candidates' mean credit, as if its age were a typical candidate's (with none,
    # a file without a date ranked like a year-old report: docs/evaluation.md "Articles without a date")
    unknown = float(credit[day != UNDATED].mean()) if undated_credit else 0.0
    prior = 1.0 - weight + weight * np.where(day == UNDATED, unknown, credit)
    return fused * prior


def fold_twins(vecs: np.ndarray, articles: Sequence[str], k: int, threshold: float) -> list[tuple[int, list[str]]]:
    """Walk a ranking (row i: the vector and article of the i-th best passage) keeping passages until k
    are kept; a passage at least `threshold` similar to one already kept is its twin, not a hit: its
    article joins that hit's "also in" (once, and never the hit's own article). Twins ranked below the
    k-th hit still join. Returns (position in the ranking, "also in" articles) of the kept passages.

    The walk is over arrays: a row with no twin above it is kept without a look, and only the few rows
    that have one are decided in turn (kept unless a twin above them was kept). The k hits are almost
    always among the first k + 8 rows: their similarities are taken at once, and only when there are
    more twins than that are the next rows' added (k + 8 rather than 2k + 8: bare shape, 0.12 ms less a
    question)."""
    n = len(articles)
    if n == 0 or k < 1:
        return []
    m = min(n, k + 8)
    sims = vecs[:m] @ vecs[:m].T
    while True:
        close = (sims >= threshold) & np.tri(m, m, -1, dtype=bool)  # close[r, j]: row r is a twin of row j above it
        flagged = np.flatnonzero(close.any(axis=1)).tolist()
        is_kept = np.ones(m, dtype=bool)
        for r in flagged:
            is_kept[r] = not (close[r, :r] & is_kept[:r]).any()
        kept_rows = np.flatnonzero(is_kept)
        if len(kept_rows) >= k or m == n:
            break
        grown = min(n, 2 * m)  # the next rows against all rows so far (the similarities already taken kept)
        added = vecs[m:grown] @ vecs[:grown].T
        sims = np.vstack([np.hstack([sims, added[:, :m].T]), added])
        m = grown
    kept = kept_rows[:k]
    walked = int(kept[-1]) + 1 if len(kept) == k else m  # the rows the walk decided; the rest are below the k-th hit
    also: dict[int, list[str]] = {int(p): [] for p in kept}

    def join(pos: int, into: int) -> None:
        if articles[pos] != articles[into] and articles[pos] not in also[into]:
            also[into].append(articles[pos])

    for r in flagged:
        if r < walked and not is_kept[r]:  # a twin: into the most similar kept hit above it (the first on a tie)
            twins = np.flatnonzero(close[r, :r] & is_kept[:r])
            join(r, int(twins[np.argmax(sims[r, twins])]))
    if walked < n:  # past k: a twin ranked lower still belongs in "also in"
        block = vecs[walked:] @ vecs[kept].T
        best = block.argmax(axis=1)
        for r in np.flatnonzero(block[np.arange(len(best)), best] >= threshold).tolist():
            join(walked + r, int(kept[best[r]]))
    return [(p, also[p]) for p in kept.tolist()]

_NONE = Ranked(np.zeros(0, np.int64), np.zeros(0, np.float32))


def _as_filter(win: Window, source: str | None) -> Filter:
    return Filter(day_from=win.start.toordinal() if win.start else None, day_to=win.end.toordinal(),
                  source=source or None)
