"""Situation reports: what has happened on a topic (a brief: its stories, newest first, each with the
sentence that says what happened) and which new articles a followed topic should be told of.

Both use one relevance cut: an article is about the topic when a logistic score over how close its
best passage's vector is to the topic's, how much of the topic's term weight one passage (with the
title) holds, how much the title alone holds and how much of the whole article is on it, clears a
threshold fitted on a labelled topic set
(benchmarks/topics.jsonl, benchmarks/bench_brief.py). A narrow topic gives a short brief; a topic the
corpus does not cover gives none, the way a question abstains.

Articles about the topic are grouped into stories: articles whose ledes' vectors are at least `story_cosine`
alike are joined, the most alike first, as long as a story's reports stay at most `story_days` apart (or are all
undated), so a week of daily coverage stays a timeline rather than chaining into one entry; and whatever their
dates when their ledes are near-duplicates (`twin_cosine`) or retrieval folded one into the other as one. A story's date is its
earliest article's; an article with no publication date is never placed on the timeline (a date the
page showed above its headline is when it was seen, not published: it is listed apart with it).

Over 300 lines on purpose: the relevance cut, the story grouping and the quotes are fitted together
(benchmarks/bench_brief.py --fit); their parameters live in one BriefParams.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from sitrep.answer import demonyms
from sitrep.answer.answerer import Answerer
from sitrep.answer.said_days import quotes_days_text
from sitrep.index.backends.base import ArticleMeta, Backend
from sitrep.index.lexicon import tokenize
from sitrep.retrieval.errors import BadQuestion
from sitrep.retrieval.hybrid import HybridRetriever, SearchResult, clean_question, embedded
from sitrep.retrieval.keys import quote_key
from sitrep.retrieval.types import AskedAs, Hit, Query, shown_date


@dataclass(frozen=True)
class BriefParams:
    candidates: int = 100  # passages the topic search returns (its articles are scored)
    max_entries: int = 10
    quotes: int = 2  # sentences quoted per story, at most
    # Story grouping, chosen on the topic set's labelled pairs (bench_brief.py): ledes at least 0.73 alike, joined
    # most alike first while a story spans at most 1 day, put 29 of 34 same-story pairs together and kept 1,654 of
    # 1,741 other pairs apart (pairs joined whatever the span, at 0.8: 26/34, 1,632/1,741: a week chained into one).
    story_days: int = 1
    story_cosine: float = 0.73
    twin_cosine: float = 0.95  # ledes this alike are the same report (a re-post, a wire copy): one story whatever the dates
    # Relevance: logistic over (best passage cosine, best passage+title coverage, title coverage, spread: the
    # topic's coverage averaged over the article's passages), fitted on the 595 candidate articles of
    # benchmarks/topics.jsonl (`python benchmarks/bench_brief.py --fit`; with topics held out in 4 folds, 0.5 gave
    # precision 0.887, recall 0.887 on the candidates; without spread and demonyms 0.870 / 0.884: docs/reports.md).
    w_cosine: float = 3.2541
    w_coverage: float = 3.3332
    w_title: float = 3.9978
    w_spread: float = 1.9387
    bias: float = -5.9412
    threshold: float = 0.5


_EXCLUDED = re.compile(r"(?<!\S)-([^\W\d_][\w'’]*)")  # "Ukraine -grain": a word to leave out ("Covid-19" is none)


@dataclass(frozen=True)
class Topic:
    text: str  # cleaned, as given (its name: "Ukraine -grain")
    vector: np.ndarray
    weights: dict[str, float]  # index term -> idf + 1
    excluded: tuple[str, ...] = ()  # index terms of its "-word"s: a story whose title or lede holds one is not on it

    @property
    def searched(self) -> str:
        """The text searched and read: without its "-word"s."""
        return " ".join(_EXCLUDED.sub(" ", self.text).split()) if self.excluded else self.text

    @property
    def total(self) -> float:
        return sum(self.weights.values()) or 1.0


@dataclass(frozen=True)
class Scored:
    """One article's relevance to a topic, and what it was computed from."""

    article_id: str
    cosine: float
    coverage: float
    title_coverage: float
    relevance: float
    best_passage: int  # passage id of its passage closest to the topic
    spread: float = 0.0  # the topic's share of the term weight, averaged over the article's passages (its title aside)


@dataclass(frozen=True)
class Source:
    article_id: str
    title: str | None
    source: str | None
    date: str | None
    seen: str | None
    url: str | None
    location: str

    @property
    def shown_date(self) -> str | None:
        return shown_date(self.date, self.seen)


@dataclass(frozen=True)
class Quote:
    text: str  # verbatim from the passage
    article_id: str
    passage_id: str


@dataclass(frozen=True)
class Story:
    key: str  # the lead article's id: a story keeps it as outlets are added
    day: str | None  # ISO: its earliest article's publication date; None: undated
    sources: tuple[Source, ...]  # the lead first, then by date
    quotes: tuple[Quote, ...]
    relevance: float

    @property
    def said_days(self) -> str:
        """The days its quotes name relative to their articles' dates, made absolute (answer/said_days.py)."""
        day = {x.article_id: x.date for x in self.sources}
        return quotes_days_text((q.text, day.get(q.article_id)) for q in self.quotes)

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.source or s.location for s in self.sources))

    @property
    def article_ids(self) -> tuple[str, ...]:
        return tuple(s.article_id for s in self.sources)

    def also_in(self) -> list[tuple[str, tuple[str, ...]]]:
        """The other reports, one entry an outlet in order of its first: (outlet, the days shown of its reports).
        An outlet's updated page or second address is a day more under its name, not its name again."""
        out: dict[str, list[str]] = {}
        for x in self.sources[1:]:
            out.setdefault(x.source or x.location, []).extend([x.shown_date] if x.shown_date else [])
        return [(name, tuple(dict.fromkeys(days))) for name, days in out.items()]


@dataclass(frozen=True)
class Brief:
    topic: str
    since: date | None
    until: date
    stories: tuple[Story, ...]  # dated, newest first (or oldest first when asked)
    undated: tuple[Story, ...]  # no publication date: never placed on the timeline
    more: int  # stories left out by the cap on entries
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.stories and not self.undated


class Briefer:
    def __init__(self, retriever: HybridRetriever, answerer: Answerer, params: BriefParams = BriefParams()) -> None:
        self.retriever = retriever
        self.answerer = answerer
        self.params = params

    @property
    def backend(self) -> Backend:
        return self.retriever.backend

    def topic(self, text: str) -> Topic:
        """A topic as searched: its cleaned text, vector and term weights; BadQuestion if it has no words."""
        try:
            cleaned, _ = clean_question(text, self.retriever.params.max_question_chars)
        except BadQuestion as exc:
            raise BadQuestion(str(exc).replace("the question", "the topic").replace("ask with words", "give a few words")
                              .replace('ask something, e.g. "What did China propose to India?"', 'e.g. "India China border talks"')) from None
        return self.topics([cleaned], exclusions=True)[0]

    def topics(self, texts: Sequence[str], known: dict[str, np.ndarray] | None = None,
               exclusions: bool = True) -> list[Topic]:
        """Many topics in one encoder call (a refresh matches every follow); `known` holds vectors already
        computed by this encoder (by cleaned text), and is filled with the new ones. A topic's "-word"s
        ("Ukraine -grain") exclude the stories whose title or lede holds them (`exclusions`: a person's topic,
        not a headline read as one)."""
        cleaned = [clean_question(t, self.retriever.params.max_question_chars)[0] for t in texts]
        terms = self.retriever.terms
        excluded = [tuple(dict.fromkeys(terms.all_terms(" ".join(_EXCLUDED.findall(c))))) if exclusions else ()
                    for c in cleaned]
        made = [Topic(c, np.zeros(0, np.float32), {}, x) for c, x in zip(cleaned, excluded)]
        searched = [t.searched for t in made]
        if not all(searched):
            raise BadQuestion("the topic is only words to leave out: add what it is about, e.g. \"Ukraine -grain\"")
        known = {} if known is None else known
        missing = [s for s in dict.fromkeys(searched) if s not in known]
        if missing:
            known.update(zip(missing, self.retriever.encoder.encode_queries([embedded(m) for m in missing])))
        return [Topic(t.text, known[s], {w: terms.term_weight(w) for w in dict.fromkeys(terms.all_terms(s))}, t.excluded)
                for t, s in zip(made, searched)]

    # -- relevance ------------------------------------------------------------------------------
    def score(self, topics: Sequence[Topic], article_ids: Sequence[str]) -> list[list[Scored]]:
        """Every topic against every article: one read of the articles' passages, vectors and text."""
        ids = list(dict.fromkeys(article_ids))
        if not ids or not topics:
            return [[] for _ in topics]
        meta = self.backend.articles(ids)
        parts = self.backend.article_passages(ids)
        ids = [a for a in ids if a in parts and len(parts[a])]
        if not ids:
            return [[] for _ in topics]
        flat = np.concatenate([parts[a] for a in ids])
        owner = np.concatenate([np.full(len(parts[a]), i) for i, a in enumerate(ids)])
        vectors = self.backend.vectors(flat)
        rows = self.backend.passages(flat, text=True)
        order = {int(p): j for j, p in enumerate(rows.ids.tolist())}
        texts = [rows.text[order[int(p)]] if rows.text else "" for p in flat]
        settings = self.retriever.terms.settings
        tokens = tokenize(texts + [meta[a].title or "" for a in ids], settings)
        # Coverage as matrix products: which of the topics' terms each passage (with its title) and each
        # title holds, times each topic's term weights over its total (1,000 follows x a week's articles).
        # A demonym counts as its country, in the topic and the articles alike ("Iranian" is "Iran": demonyms.py).
        country = demonyms.as_country(settings)
        vocab = {t: k for k, t in enumerate(dict.fromkeys(country.get(t, t) for topic in topics for t in topic.weights))}
        weights = np.zeros((len(vocab), len(topics)), dtype=np.float32)
        for j, topic in enumerate(topics):
            for t, w in topic.weights.items():
                k = vocab[country.get(t, t)]
                weights[k, j] = max(weights[k, j], w / topic.total)
        def present(docs: list[list[str]]) -> np.ndarray:
            m = np.zeros((len(docs), len(vocab)), dtype=np.float32)
            for r, doc in enumerate(docs):
                cols = [vocab[c] for c in {country.get(t, t) for t in set(doc)} if c in vocab]
                m[r, cols] = 1.0
            return m
        in_passage = present(tokens[: len(texts)])
        in_title = present(tokens[len(texts):])
        cov_passage = np.maximum(in_passage, in_title[owner]) @ weights  # (passages, topics)
        cov_title = in_title @ weights  # (articles, topics)
        sims = vectors @ np.stack([t.vector for t in topics]).T  # (passages, topics)
        starts = np.searchsorted(owner, np.arange(len(ids)))
        best_cos = np.maximum.reduceat(sims, starts, axis=0)  # (articles, topics)
        best_cov = np.maximum.reduceat(cov_passage, starts, axis=0)
        counts = np.diff(np.append(starts, len(flat)))[:, None]
        spread = np.add.reduceat(in_passage @ weights, starts, axis=0) / counts  # how much of the article is on it
        p = self.params
        z = p.bias + p.w_cosine * best_cos + p.w_coverage * best_cov + p.w_title * cov_title + p.w_spread * spread
        relevance = 1.0 / (1.0 + np.exp(-z))
        for j, topic in enumerate(topics):  # "-word": a story whose title or lede holds it is not on the topic
            if topic.excluded:
                leave = set(topic.excluded)
                for i in range(len(ids)):
                    if leave & (set(tokens[len(texts) + i]) | set(tokens[int(starts[i])])):
                        relevance[i, j] = 0.0
        ends = np.append(starts[1:], len(flat))
        best_row = [[lo + int(np.argmax(sims[lo:hi, j])) for lo, hi in zip(starts, ends)] for j in range(len(topics))]
        return [[Scored(aid, float(best_cos[i, j]), float(best_cov[i, j]), float(cov_title[i, j]), float(relevance[i, j]),
                        int(flat[best_row[j][i]]), float(spread[i, j])) for i, aid in enumerate(ids)] for j in range(len(topics))]

    def relevant(self, scored: Sequence[Scored]) -> list[Scored]:
        return [s for s in scored if s.relevance >= self.params.threshold]

    # -- the brief ------------------------------------------------------------------------------
    def candidates(self, topic: Topic, since: date | None, until: date, source: str | None) -> tuple[list[str], set[tuple[str, str]]]:
        """Articles the topic search finds in the window, and the near-duplicate pairs it folded."""
        query = Query(topic.searched, k=self.params.candidates, as_of=until, since=since, source=source)
        result = self.retriever.search(query)
        ids: list[str] = []
        twins: set[tuple[str, str]] = set()
        for h in result.hits:
            ids.append(h.article_id)
            for other in h.also_in:
                ids.append(other)
                twins.add((h.article_id, other))
        return list(dict.fromkeys(ids)), twins

    def brief(self, text: str, since: date | None = None, until: date | None = None, source: str | None = None,
              max_entries: int | None = None, oldest_first: bool = False) -> Brief:
        until = until or self.retriever.today()
        topic = self.topic(text)
        ids, twins = self.candidates(topic, since, until, source)
        scored = self.relevant(self.score([topic], ids)[0])
        stories = self.stories(topic, scored, twins)
        dated = sorted((s for s in stories if s.day), key=lambda s: (s.day, s.relevance), reverse=not oldest_first)
        undated = sorted((s for s in stories if not s.day), key=lambda s: -s.relevance)
        cap = self.params.max_entries if max_entries is None else max_entries
        shown = dated[:cap]
        room = max(0, cap - len(shown))
        notes: tuple[str, ...] = ()
        newest = self.retriever.newest_day() if since is not None and not dated else None
        if since is not None and newest is not None and newest < since:  # an archive: say where its news ends
            notes = (f"the index's newest article is from {newest.isoformat()}, before this window: widen it to reach that far",)
        return Brief(topic.text, since, until, tuple(shown), tuple(undated[:room]),
                     max(0, len(dated) - len(shown)) + max(0, len(undated) - room), notes)

    # -- stories --------------------------------------------------------------------------------
    def stories(self, topic: Topic, scored: Sequence[Scored], twins: Collection[tuple[str, str]] = (),
                quote: bool = True) -> list[Story]:
        """Group relevant articles into stories; each quoted with the sentence(s) that say what happened."""
        if not scored:
            return []
        ids = [s.article_id for s in scored]
        meta = self.backend.articles(ids)
        by_id = {s.article_id: s for s in scored}
        return [self.story(topic, [by_id[a] for a in members], meta, quote) for members in self.group(ids, meta, twins)]

    def story(self, topic: Topic, members: Sequence[Scored], meta: dict[str, ArticleMeta], quote: bool = True,
              key: str | None = None) -> Story:
        """One story of these articles: the most relevant leads (and is quoted), the others follow by date;
        its day is the earliest publication date among them."""
        ordered = sorted(members, key=lambda s: -s.relevance)
        lead = ordered[0]
        rest = sorted(ordered[1:], key=lambda s: (meta[s.article_id].date or "9999", s.article_id))
        days = sorted(d for d in (meta[s.article_id].date for s in members) if d)
        sources = tuple(_source(meta[s.article_id]) for s in [lead, *rest])
        quotes = self.quote(topic, lead, meta[lead.article_id].title) if quote and lead.best_passage >= 0 else ()
        return Story(key or lead.article_id, days[0] if days else None, sources, quotes, lead.relevance)

    def group(self, ids: Sequence[str], meta: dict[str, ArticleMeta], twins: Collection[tuple[str, str]] = ()) -> list[list[str]]:
        """Articles whose ledes are alike, joined most alike first, while a story's reports stay within story_days of
        each other (or are all undated): a week of coverage does not chain into one entry. Near-duplicates (and
        those retrieval folded together) are one story whatever their dates."""
        p = self.params
        ledes = self.backend.vectors(self.backend.lede_ids(list(ids)))
        sims = ledes @ ledes.T
        days = [_ordinal(meta[a].date) for a in ids]
        parent = list(range(len(ids)))
        span: list[tuple[int, int] | None] = [None if d is None else (d, d) for d in days]  # a story's first and last day

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def join(i: int, j: int, whatever: bool) -> None:
            a, b = find(i), find(j)
            sa, sb = span[a], span[b]
            both = None if sa is None or sb is None else (min(sa[0], sb[0]), max(sa[1], sb[1]))
            if a == b or not whatever and (both is None and (sa, sb) != (None, None) or both and both[1] - both[0] > p.story_days):
                return
            parent[a] = b
            span[b] = both or sa or sb

        at = {a: i for i, a in enumerate(ids)}
        for a, b in twins:
            if a in at and b in at:
                join(at[a], at[b], True)
        close = np.argwhere(np.triu(sims >= min(p.story_cosine, p.twin_cosine), 1))
        alike = sims[close[:, 0], close[:, 1]]
        for (i, j), sim in zip(close[np.argsort(-alike, kind="stable")].tolist(), np.sort(alike)[::-1].tolist()):
            join(i, j, sim >= p.twin_cosine)
        groups: dict[int, list[str]] = {}
        for i, a in enumerate(ids):
            groups.setdefault(find(i), []).append(a)
        return list(groups.values())

    def quote(self, topic: Topic, scored: Scored, title: str | None = None) -> tuple[Quote, ...]:
        """The reader's best sentence(s) of the article for the topic (as the question), verbatim; not the
        `title` (the story's headline, shown above its quotes) again while another sentence nearly as good is
        there — a text file's title is its first line, which its first sentence repeats."""
        passages = self.backend.article_passages([scored.article_id]).get(scored.article_id)
        if passages is None or not len(passages):
            return ()
        vectors = self.backend.vectors(passages)
        order = np.argsort(-(vectors @ topic.vector), kind="stable")[:3]
        if 0 not in order and self._names(int(passages[0]), topic):  # the lede too, where it names the topic: it
            order = np.append(order, 0)  # says what happened, and the reader favours it (not a digest's masthead)
        rows = self.backend.passages(passages[order])
        pid = {int(i): rows.passage_id(n) for n, i in enumerate(rows.ids.tolist())}
        hits = [Hit(int(passages[k]), scored.article_id, pid[int(passages[k])], float(vectors[k] @ topic.vector),
                    score_dense=float(vectors[k] @ topic.vector)) for k in order]
        shown = (quote_key(title),) if title else ()
        result = SearchResult(Query(topic.searched), topic.searched, date.max, None, list(topic.weights),  # type: ignore[arg-type]
                              hits, float(hits[0].score), [], list(topic.weights),
                              AskedAs(topic.searched, tuple(topic.weights), shown=shown) if shown else None)
        answerer = Answerer(self.backend, self.answerer.lexical, replace(self.answerer.params, max_sentences=self.params.quotes,
                                                                     demonyms=True))
        chosen = answerer.sentences(result)
        return tuple(Quote(text, scored.article_id, pid) for text, pid in chosen)


    def _names(self, passage: int, topic: Topic) -> bool:
        """The passage's text holds one of the topic's terms (or a demonym of its country)."""
        self.retriever._read([passage])
        reading = self.retriever.terms.readings[passage]
        country = demonyms.as_country(self.retriever.terms.settings)
        terms = {country.get(t, t) for t in topic.weights}
        return any(country.get(t, t) in terms for t in reading.indexed_terms(False))


def _ordinal(iso: str | None) -> int | None:
    return date.fromisoformat(iso).toordinal() if iso else None


def _source(m: ArticleMeta) -> Source:
    return Source(m.id, m.shown_title, m.source, m.date, m.seen, m.url, m.location)
