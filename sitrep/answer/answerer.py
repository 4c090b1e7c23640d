"""Hits -> the sentences that answer, quoted verbatim with [n], or an honest abstention.

Extractive on purpose: every quote is a slice of the cited passage's text (checked
before returning), so a citation can never put words in a source's mouth.

The sentence reader scores every sentence of the best passages with a linear model over a few
features (retrieval/reader.py), fitted on the dev set as a softmax over each question's
sentences (benchmarks/tune_reader.py). A question's words alone pick the sentence that restates
the question; the answer is in the sentence that also says something new of the kind asked for
(a name for "who", a number for "how many"), which other passages repeat.

Over 300 lines on purpose: the evidence, the abstention, the lead sentence (against what a conversation quoted
before, the question's span and the day of each figure) and the quotes' assembly are one decision, each step reading the last's.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import numpy as np

from sitrep.answer import candidates, demonyms, figures, present, reader, speakers
from sitrep.answer.candidates import (
    _Candidate,
    _carrier,
    _distinct,
    _families,
    _family_index,
    _overlap,
    _Read,
    best_untold,
    carried_weights,
    context_terms,
    fills_role,
    holds,
    said_before,
    scored,
    speaks,
    subject_shares,
)
from sitrep.answer.errors import QuoteNotVerbatim
from sitrep.answer.holders import holders_named
from sitrep.answer.present import NOTHING_MORE, credit_prefix, dated_note, stale_note, window_note, word_spans
from sitrep.index.backends.base import ArticleMeta, Backend
from sitrep.index.lexicon import word_terms
from sitrep.retrieval.hybrid import SearchResult
from sitrep.retrieval.lexical import TermWeights
from sitrep.retrieval.readings import Reading
from sitrep.retrieval.types import Answer, AskedAs, Citation, Hit


@dataclass(frozen=True)
class AnswerParams:
    max_sentences: int = 3
    # A follow-up's terms from earlier turns count this much of their weight in the reader's coverage:
    # they find the story, the follow-up's own words find the sentence (docs/asking.md "Conversations").
    carried_weight: float = 0.1
    carried_name_weight: float = 0.25  # ... and the names among them more: the sentence is about the subject
    word_families: bool = True  # in a follow-up, coverage counts "response" for "respond" (see _families)
    # Coverage counts a demonym as its country ("Chinese" for China): briefs, whose relevance cut reads them so
    # (answer/brief.py); questions do not (an "Indian" sentence would join the bundled corpus's first answer).
    demonyms: bool = False
    # A quoted sentence that lacks the answer the question asks for, followed in its paragraph by one
    # that has it and is tied to it ("... Aero India-2021." + "The show will be staged at ..."), is
    # quoted together with it as one verbatim span (docs/evaluation.md "Answer quality").
    join_neighbour: bool = True
    # A follow-up's answer does not quote again what an earlier answer of the conversation quoted when another
    # sentence is at least this likely (reader softmax, relative); a repeat is then no further sentence either.
    repeat_ratio: float = 0.1
    passages_considered: int = 6  # sentences come from the 6 best passages: with 4, the answer text was in
    # them for 80.1% of dev questions, with 6 81.8%; quote_contains_answer .663 (4) -> .684 (6) -> .690 (8)
    # "What did Esper say about India?", "Who is the Chinese defence minister?": where none of those passages gives
    # the speaker's words or names the post's holder, the reader reads this many (the question's other words may rank
    # the passages that do lower; docs/asking.md "Who is speaking", "Who holds a post")
    role_passages: int = 12
    confidence_passages: int = 4  # the abstention score reads the best 4 passages, as it was calibrated
    # Sentences that repeat one another (this share of the shorter one's runs of three words: a wire copy, another
    # dateline or credit in front) are one sentence, the fullest, quoted once with the other outlets (answer/copies.py)
    copy_share: float = 0.8
    # A further sentence must be this likely (reader softmax) relative to the best one: dev sweep in
    # benchmarks/tune_reader.py (docs/evaluation.md "Answer quality").
    extra_ratio: float = 0.1
    other_article_ratio: float = 0.1  # the same, for a sentence from another article than the best one's
    extra_min_coverage: float = 0.3  # ... and hold this share of the question's weight (the old reader's rule) ...
    typed_min_coverage: float = 0.1  # ... or this share when the question asks for a kind of answer a sentence
    # shows (a number, date, place, name ...): the further sentence must then also say one that is new
    # Sentences come only from articles whose title and retrieved passages hold this share of the
    # question's weight that the best-covered article holds (others are another story).
    subject_share: float = 0.6
    # Abstention: a logistic score over the best vector similarity and the question-term
    # coverage of the best sentence, fitted on the dev set's 286 answerable questions vs its
    # 200 unanswerable probes (benchmarks/tune_retrieval.py --calibrate-only). The threshold
    # abstains on <= 5% of the answerable. The top hit's age would separate that dev set
    # almost perfectly, but only because its probes were asked years after its articles;
    # it would refuse every question about an old corpus, so it is left out on purpose.
    w_cosine: float = 12.9369
    w_coverage: float = 5.6766
    bias: float = -10.0226
    threshold: float = 0.3685


@dataclass
class _Evidence:
    weights: dict[str, float]  # the question's terms, idf + 1
    candidates: list[_Candidate]
    coverage: float  # the best share of the question's weight in one sentence of the first passages
    texts: dict[int, str]  # passage id -> verbatim text
    subject: dict[str, float]  # article id -> share of the question's weight in its title + retrieved passages
    meta: dict[str, ArticleMeta]  # article id -> what a citation shows
    shown: dict[str, ArticleMeta]  # ... for every article the answer may show (the hits' "also in" too)


class Answerer:
    def __init__(self, backend: Backend, lexical: TermWeights, params: AnswerParams = AnswerParams()) -> None:
        self.backend = backend
        self.lexical = lexical
        self.params = params
        self._word_term: dict[str, str | None] = {}  # a word as written -> its search term (None: a stopword), for highlights

    def _texts(self, result: SearchResult, passages: int) -> tuple[dict[int, str], dict[int, int], dict[str, ArticleMeta]]:
        """The verbatim text of the first `passages` hits, which the answer may quote, each one's position in its
        article, and the records of every article the answer may cite or show (its hits and their "also in"), in one
        backend call."""
        hits = result.hits[:passages]
        shown = [h.article_id for h in result.hits] + [a for h in result.hits for a in h.also_in]
        rows, meta = self.backend.read(np.array([h.passage for h in hits], dtype=np.int64), list(dict.fromkeys(shown)))
        ids = rows.ids.tolist()
        return dict(zip(ids, rows.text or [])), dict(zip(ids, rows.ordinal.tolist())), meta

    def confidence(self, result: SearchResult, coverage: float) -> float:
        p = self.params
        z = p.bias + p.w_cosine * result.top_cosine + p.w_coverage * coverage
        return 1.0 / (1.0 + math.exp(-z))

    def evidence(self, result: SearchResult) -> tuple[dict[str, float], list[_Candidate], float]:
        """Term weights, candidate sentences, and the best sentence's share of the question's terms."""
        ev = self._evidence(result)
        return ev.weights, ev.candidates, ev.coverage

    def _evidence(self, result: SearchResult) -> _Evidence:
        p = self.params
        ev = self._evidence_of(result, p.passages_considered)
        if len(result.hits) > p.passages_considered:
            kind = reader.QuestionKind.of(result.reader_question, result.reader_context)
            if (kind.speaker or kind.post) and not any(map(fills_role, ev.candidates)):
                ev = self._evidence_of(result, p.role_passages)  # none gives the speaker's words or the holder: read on
        return ev

    def _evidence_of(self, result: SearchResult, passages: int) -> _Evidence:
        texts, ordinals, meta = self._texts(result, passages)
        weights = {t: self.lexical.term_weight(t) for t in set(result.all_terms)}
        carried_weights(weights, result, self.lexical.settings, self.params.carried_weight, self.params.carried_name_weight)
        ev = self._candidates(result, weights, texts, ordinals, meta, passages)
        # As calibrated: the best coverage among the sentences of the first passages.
        ev.coverage = max((c.coverage for c in ev.candidates if c.hit_rank < self.params.confidence_passages), default=0.0)
        return ev

    def answer(self, result: SearchResult) -> Answer:
        ev = self._evidence(result)
        coverage = ev.coverage
        # Only articles about the question's subject answer: their title and retrieved passages hold at
        # least subject_share of what the best-covered article holds.
        top = max(ev.subject.values(), default=0.0)
        usable = _distinct([c for c in ev.candidates if c.usable and ev.subject[c.hit.article_id] >= self.params.subject_share * top],
                           self.params.copy_share)
        old = said_before(usable, ev.texts, result.asked.shown) if result.asked is not None else set()
        kind = reader.QuestionKind.of(result.reader_question, result.reader_context)
        more = result.asked is not None and result.asked.more
        liked = max(usable, key=lambda c: c.score, default=None)
        best, usable = best_untold(usable, old, more, self._min_coverage(kind), self.params.repeat_ratio,
                                   candidates.own_words(result, ev.texts, self.lexical) if old else None)  # "Which university …?"
        if best is not None and (kind.speaker or kind.post) and not fills_role(best):
            # "Who is the Chinese defence minister?": a sentence that names him leads one that names none, or another
            # country's ("… sought a meeting with defence minister Rajnath Singh"), when at least extra_ratio as likely
            filled = max((c for c in usable if fills_role(c) and c.key not in old), key=lambda c: c.score, default=None)
            if filled is not None and math.exp(filled.score - best.score) >= self.params.extra_ratio:
                best = filled
        confidence, content = self.confidence(result, coverage), set(result.all_terms)
        quoted = best is not None and speaks(best)  # "What did Pompeo say?" asks about Pompeo: any word of reported
        if quoted:  # speech covers its "say"
            content -= set(speakers.speech_terms(result.reader_question, self.lexical.settings, result.reader_context)[0])
        if best is not None and 0 < len(content) <= 2 and coverage >= 1.0 and (
                quoted or all(self.lexical.is_rare(t) for t in content)):
            # "What is BECA?", "What did Pompeo say?": too short for the vector similarity to mean much (a bare
            # acronym or name embeds poorly), but one sentence holds every rare word asked about, or gives the
            # speaker's words. No dev question is this short, so this cannot move the calibrated rates.
            confidence = max(confidence, self.params.threshold)
        hits = tuple(result.hits)
        if more and best is None and confidence >= self.params.threshold:
            return Answer(result.question, (), (), hits, True, confidence, (*result.notes, NOTHING_MORE), _asked(result))
        if best is None or confidence < self.params.threshold:  # said with the date window that excluded articles
            return Answer(result.question, (), (), hits, True, confidence, window_note(result.window, result.notes), _asked(result))
        best, held = self._newest_holder(best, usable, kind, old, ev)  # "Who is the prime minister?": the newest
        chosen = self._choose(best, usable, kind, old, ev.texts)  # report's holder leads, where they differ
        stale = stale_note(result.window, result.as_of, [ev.meta[c.hit.article_id] for c in chosen])  # "this week"
        if stale and liked is not None and best is not liked and not more:  # a new sentence led, but too old for the
            within = [c for c in usable if not stale_note(result.window, result.as_of, [ev.meta[c.hit.article_id]])]
            if liked in within:  # span: the one quoted before, within it, is quoted again (with others within it)
                best, chosen, stale = liked, self._choose(liked, within, kind, old, ev.texts), None
        if stale:
            return Answer(result.question, (), (), hits, True, confidence, (*result.notes, stale), _asked(result))
        chosen, newest = figures.arrange(chosen, kind, ev.texts, ev.meta)  # "How many …?": the newest figure first
        newest = newest or (held if chosen[0] is best else None)
        answer = self._assemble(result, chosen, ev, confidence)
        answer = replace(answer, notes=(*answer.notes, newest)) if newest else answer
        if not speaks(best) and speakers.asking_verb(result.reader_question, result.reader_context):  # "What did Modi
            # say?" answered with sentences about him: say so ("How did India respond?" may be answered by what it did)
            answer = replace(answer, notes=(*answer.notes, speakers.no_words_note(result.reader_question, result.reader_context)))
        displaced = liked is not None and liked.key in old and best.key != liked.key and not more  # said in the footer
        return replace(answer, not_repeated=True) if displaced else answer

    def sentences(self, result: SearchResult) -> list[tuple[str, str]]:
        """(verbatim sentence, passage id): the reader's choice among the result's passages with no
        abstention (a brief has already decided the article is about its topic)."""
        ev = self._evidence(result)
        usable = _distinct([c for c in ev.candidates if c.usable], self.params.copy_share)
        old = said_before(usable, ev.texts, result.asked.shown) if result.asked is not None else set()
        kind = reader.QuestionKind.of(result.reader_question, result.reader_context)  # shown: the story's headline, which says it already:
        fresh = best_untold(usable, old, bool(old), self._min_coverage(kind), 1.0)  # another sentence that says enough
        best, usable = fresh if fresh[0] is not None else best_untold(usable, set(), False, 0.0, 1.0)  # else the best
        if best is None:
            return []
        chosen = self._choose(best, usable, kind, old)
        out = []
        for c in chosen[:1] + sorted(chosen[1:], key=lambda c: (c.hit_rank, c.start)):
            out.append((self._verbatim(ev.texts[c.hit.passage], c)[0], c.hit.passage_id))
        return out

    @staticmethod
    def _verbatim(text: str, c: _Candidate, place: bool = False) -> tuple[str, int]:
        """The candidate's quote, verbatim, without a photo credit or a dateline in front ("John Raoux/AP ", "(CNN) ");
        `place`: the question asks where, and a dateline names where the story was told ("Kennedy Space Center,
        Florida CNN — "): it stays."""
        quote = text[c.start : c.join_end or c.end]
        if not quote.strip() or text[c.start : c.start + len(quote)] != quote:  # verbatim by construction
            raise QuoteNotVerbatim(f"quote not verbatim in {c.hit.passage_id}: never cite what is not there")
        skip = credit_prefix(quote) or (0 if place else present.dateline_prefix(quote))
        return quote[skip:], c.start + skip

    def _choose(self, best: _Candidate, usable: list[_Candidate], kind: reader.QuestionKind,
                old: Collection[str] = frozenset(), texts: dict[int, str] | None = None) -> list[_Candidate]:
        """The best sentence, then at most two more that each add an answer: likely enough (reader
        softmax >= extra_ratio of the best's), covering enough of the question, saying something
        of the kind asked for that the chosen ones do not, and not quoted before (`old`: keys). For "Who is
        the prime minister?" (`texts` given), not one that names another holder than the best's."""
        chosen = [best]
        post = kind.post if kind.post is not None and not kind.post.former and texts is not None and holds(best) else None
        holder = holders_named(texts[best.hit.passage][best.start : best.join_end or best.end], post) if post and texts else None
        said = {ph.key for ph in (*best.phrases, *best.join_phrases)}
        min_coverage = self._min_coverage(kind)
        for c in sorted(usable, key=lambda c: -c.score):
            if len(chosen) >= self.params.max_sentences:
                break
            other_story = c.hit.article_id != best.hit.article_id
            ratio = self.params.other_article_ratio if other_story else self.params.extra_ratio
            if c is best or c.key in old or math.exp(c.score - best.score) < ratio or c.coverage < min_coverage:
                continue
            if any(_overlap(c, o) for o in chosen) or candidates.short_of(best, c):
                continue  # a sentence already quoted; or one without the speaker's words (or post's holder) the best has
            if holder and texts and not holder & holders_named(texts[c.hit.passage][c.start : c.join_end or c.end], post):
                continue  # "… her first prime minister, Winston Churchill." after "Rishi Sunak is … prime minister"
            new = {ph.key for ph in (*c.phrases, *c.join_phrases) if ph.typed} - said
            if not new:
                continue  # nothing the answer does not already say: padding
            chosen.append(c)
            said |= new
        return chosen

    def _newest_holder(self, best: _Candidate, usable: list[_Candidate], kind: reader.QuestionKind, old: Collection[str],
                       ev: _Evidence) -> tuple[_Candidate, str | None]:
        """For "Who is the prime minister?": where the sentences likely enough to be quoted beside the best (as _choose
        reads them) name different holders on different days (Truss in September, Sunak in late October), the newest
        report's leads, and a note says so; else the best, and no note."""
        post, p = kind.post, self.params
        if post is None or post.former or not holds(best):
            return best, None
        least = self._min_coverage(kind)
        pool = [best, *(c for c in usable if c is not best and holds(c) and c.key not in old and c.coverage >= least
                        and math.exp(c.score - best.score) >= (p.extra_ratio if c.hit.article_id == best.hit.article_id
                                                               else p.other_article_ratio))]
        named = {id(c): holders_named(ev.texts[c.hit.passage][c.start : c.join_end or c.end], post) for c in pool}
        naming = [c for c in pool if named[id(c)]]
        if len(set().union(*(named[id(c)] for c in naming))) < 2:
            return best, None  # one holder, however many reports name them
        ordered, note = figures.newest_first(pool, naming, ev.meta, "holders named")
        return ordered[0], note

    def _min_coverage(self, kind: reader.QuestionKind) -> float:
        """The share of the question a sentence beside the best must hold: less when the question asks for a
        kind of answer a sentence shows (a number, a name ...), since the sentence must then say a new one."""
        typed = reader.answers_type("", kind) is not None
        return self.params.typed_min_coverage if typed else self.params.extra_min_coverage

    def _candidates(self, result: SearchResult, weights: dict[str, float], texts: dict[int, str],
                    ordinals: dict[int, int], shown: dict[str, ArticleMeta], passages: int) -> _Evidence:
        """The reader's candidates among the first passages, in four steps: split into sentences, read
        each (coverage, features, phrases), judge each article's subject, then score against what the
        other sentences repeat."""
        ranked = result.hits[:passages]
        question = reader.QuestionKind.of(result.reader_question, result.reader_context)
        meta = {a: shown[a] for a in dict.fromkeys(h.article_id for h in ranked) if a in shown}
        readings = self.lexical.readings  # each passage cut into sentences and analysed once (the re-ranking
        missing = readings.missing(h.passage for h in ranked)  # has read most of these already)
        if missing:
            article = {h.passage: h.article_id for h in ranked}
            readings.read(missing, [texts[i] for i in missing],
                          [shown[article[i]].title if article[i] in shown else None for i in missing])
        read = {h.passage: readings[h.passage] for h in ranked}
        spans = {i: list(r.spans) for i, r in read.items()}
        # A follow-up asks after a detail of a story the conversation already has: the lede's prior (it
        # states the story's main news) does not apply, and its few words of its own must find their
        # sentence in any inflection ("respond" / "response"). First questions read as before: on them,
        # word families moved the bundled corpus's first answer (an "Indian" sentence joined "India"'s).
        followup = bool(context_terms(result))
        speech = speakers.speech_terms(result.reader_question, self.lexical.settings, result.reader_context)  # "What did India say?"
        family = _family_index(weights, self.params.word_families and followup, *speech,
                               countries=demonyms.as_country(self.lexical.settings) if self.params.demonyms else None)
        reads, words = self._read(ranked, texts, ordinals, spans, read, meta, weights, family, question, followup)
        return _Evidence(weights, scored(reads, texts, question), 0.0, texts, subject_shares(weights, words), meta, shown)

    def _read(self, ranked: Sequence[Hit], texts: dict[int, str], ordinals: dict[int, int],
              spans: dict[int, list[tuple[int, int]]], read: dict[int, Reading], meta: dict[str, ArticleMeta],
              weights: dict[str, float], family: dict[str, list[str]], question: reader.QuestionKind, followup: bool
              ) -> tuple[list[_Read], dict[str, set[str]]]:
        """Every sentence of the passages read once: its share of the question's weight, the reader's
        features and phrases, the neighbour it may be joined to; and the words each article holds (its
        title and retrieved sentences), for subject_shares. `read`: each passage's sentences and terms."""
        total = sum(weights.values()) or 1.0
        title_terms = {h.article_id: read[h.passage].title_terms for h in reversed(ranked)}
        words: dict[str, set[str]] = {aid: set(title_terms[aid]) for aid in meta}
        sentence_tokens = iter([t for p in spans for t in read[p].terms])
        dense_top = max(((h.score_dense or 0.0) for h in ranked), default=0.0)
        reads: list[_Read] = []
        for rank, hit in enumerate(ranked):
            text = texts[hit.passage]
            kept: list[tuple[int, int, float]] = []
            for a, b in spans[hit.passage]:
                present = _families(set(next(sentence_tokens)), family) if family else set(next(sentence_tokens))
                words.setdefault(hit.article_id, set()).update(present)
                if len(text[a:b].split()) >= 4:  # headings and fragments do not answer (the old reader's
                    # rule, kept: the sweep and the fit were run with it)
                    kept.append((a, b, sum([w for t, w in weights.items() if t in present]) / total))
            for i, (a, b, cov) in enumerate(kept):
                sentence = text[a:b]
                neighbour = max(kept[i - 1][2] if i > 0 else 0.0, kept[i + 1][2] if i + 1 < len(kept) else 0.0)
                feats = reader.features(sentence, question, cov, rank, neighbour,
                                        lede=ordinals[hit.passage] == 0 and i == 0 and not followup,
                                        dense_gap=(hit.score_dense or 0.0) - dense_top)
                join = _carrier(text, spans[hit.passage], a, b, question) if self.params.join_neighbour else None
                reads.append(_Read(rank, hit, a, b, cov, feats, reader.phrases(sentence, a, question), join))
        return reads, words

    def _assemble(self, result: SearchResult, chosen: list[_Candidate], ev: _Evidence, confidence: float) -> Answer:
        citations: list[Citation] = []
        sentences: list[tuple[str, int]] = []
        meta, weights = ev.meta, ev.weights  # the cited articles' metadata came with the candidates
        # The best sentence first (what a reader takes as the answer), then the others in reading order; one number
        # an article, so that two sentences of one article cite one source.
        number: dict[str, int] = {}
        place = bool(reader.QuestionKind.of(result.reader_question, result.reader_context).place)
        for c in chosen[:1] + sorted(chosen[1:], key=lambda c: (c.hit_rank, c.start)):
            text = ev.texts[c.hit.passage]
            quote, start = self._verbatim(text, c, place)
            m, n = meta[c.hit.article_id], number.setdefault(c.hit.article_id, len(number) + 1)
            citations.append(
                Citation(
                    n=n, article_id=m.id, passage_id=c.hit.passage_id, title=m.shown_title, source=m.source,
                    date=m.date, seen=m.seen, location=m.location, url=m.url, passage=text, quote=quote, quote_start=start,
                    highlights=self.highlights(text, weights),
                    answer_spans=reader.answer_spans((*c.phrases, *c.join_phrases), c.counts, best=c is chosen[0]),
                    also_in=_outlets((*c.copies, *c.hit.also_in), ev.shown, m.source or m.location),
                    copies=tuple(dict.fromkeys(a for a in (*c.copies, *c.hit.also_in) if a != m.id)),
                )
            )
            sentences.append((quote, n))
        dated = dated_note(result.question, result.window, result.as_of, [meta[c.hit.article_id] for c in chosen])  # "new", from old news
        return Answer(result.question, tuple(sentences), tuple(citations), tuple(result.hits), False, confidence,
                      (*result.notes, dated) if dated else tuple(result.notes), _asked(result))

    def highlights(self, text: str, weights: dict[str, float]) -> tuple[tuple[int, int], ...]:
        """Spans of the words in text that match a question term (same stemming as search)."""
        distinct = set(_WORD.findall(text))
        if not distinct or not weights:
            return ()
        term = self._word_term
        new = [w for w in distinct if w not in term]
        if new:
            if len(term) + len(new) > 200_000:  # a bound: news vocabulary is far smaller
                term.clear()
                new = list(distinct)
            term.update(zip(new, word_terms(new, self.lexical.settings)))
        marked = [w for w in distinct if term[w] in weights]
        return tuple(sorted(span for w in marked for span in word_spans(text, w)))


_WORD = re.compile(r"\w+")


def _outlets(articles: Sequence[str], meta: dict[str, ArticleMeta], own: str) -> tuple[str, ...]:
    """The outlets of the other articles that carry a cited sentence, each once, without the citation's own."""
    names = dict.fromkeys(meta[a].source or meta[a].location for a in articles if a in meta)
    names.pop(own, None)
    return tuple(names)


def _asked(result: SearchResult) -> AskedAs:
    """What was searched: the follow-up's plan, or the question and its terms."""
    return result.asked if result.asked is not None else AskedAs(result.question, tuple(result.all_terms))
