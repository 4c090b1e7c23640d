"""Hits -> the sentences that answer, quoted verbatim with [n], or an honest abstention.

Extractive on purpose: every quote is a slice of the cited passage's text (checked
before returning), so a citation can never put words in a source's mouth.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from index.backends.base import Backend
from index.chunking import split_sentences
from index.lexicon import tokenize
from retrieval.hybrid import SearchResult
from retrieval.lexical import TermWeights
from retrieval.types import Answer, Citation, Hit


@dataclass(frozen=True)
class AnswerParams:
    max_sentences: int = 3
    passages_considered: int = 4
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


@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    hit: Hit
    start: int  # span within the passage text
    end: int
    score: float
    coverage: float


class Answerer:
    def __init__(self, backend: Backend, lexical: TermWeights, params: AnswerParams = AnswerParams()) -> None:
        self.backend = backend
        self.lexical = lexical
        self.params = params

    def _texts(self, result: SearchResult) -> dict[int, str]:
        """The verbatim text of the passages the answer may quote, in one backend call."""
        hits = result.hits[: self.params.passages_considered]
        rows = self.backend.passages(np.array([h.passage for h in hits], dtype=np.int64), text=True)
        return dict(zip(rows.ids.tolist(), rows.text or []))

    def confidence(self, result: SearchResult, coverage: float) -> float:
        p = self.params
        z = p.bias + p.w_cosine * result.top_cosine + p.w_coverage * coverage
        return 1.0 / (1.0 + math.exp(-z))

    def evidence(self, result: SearchResult) -> tuple[dict[str, float], list[_Candidate], float]:
        """Term weights, candidate sentences, and the best sentence's share of the question's terms."""
        return self._evidence(result)[:3]

    def _evidence(self, result: SearchResult) -> tuple[dict[str, float], list[_Candidate], float, dict[int, str]]:
        texts = self._texts(result)
        weights = {t: self.lexical.term_weight(t) for t in set(result.all_terms)}
        candidates = self._candidates(result, weights, texts)
        return weights, candidates, max((c.coverage for c in candidates), default=0.0), texts

    def answer(self, result: SearchResult) -> Answer:
        weights, candidates, coverage, texts = self._evidence(result)
        best = max(candidates, key=lambda c: c.score, default=None)
        confidence = self.confidence(result, coverage)
        content = set(result.all_terms)
        if best is not None and 0 < len(content) <= 2 and best.coverage >= 1.0 and all(self.lexical.is_rare(t) for t in content):
            # "What is BECA?": too short for the vector similarity to mean much (a bare acronym
            # embeds poorly), but one sentence holds every rare word asked about. No dev question
            # is this short, so this cannot move the calibrated rates.
            confidence = max(confidence, self.params.threshold)
        hits = tuple(result.hits)
        if best is None or confidence < self.params.threshold:
            return Answer(result.question, (), (), hits, True, confidence, tuple(result.notes))
        chosen = [best]  # then other sentences that answer nearly as well, from this passage or others
        for c in sorted(candidates, key=lambda c: -c.score):
            if len(chosen) >= self.params.max_sentences:
                break
            if c is best or c.score < 0.6 * best.score or c.coverage < 0.3:
                continue
            chosen.append(c)
        return self._assemble(result, chosen, weights, confidence, texts)

    def _candidates(self, result: SearchResult, weights: dict[str, float], texts: dict[int, str]) -> list[_Candidate]:
        total = sum(weights.values()) or 1.0
        out: list[_Candidate] = []
        for rank, hit in enumerate(result.hits[: self.params.passages_considered]):
            text = texts[hit.passage]
            spans = [s for line in _lines(text) for s in split_sentences(text, *line)]
            if not spans:
                continue
            token_lists = tokenize([text[a:b] for a, b in spans], self.lexical.settings)
            for (a, b), tokens in zip(spans, token_lists):
                if len(text[a:b].split()) < 4:
                    continue  # headings and fragments do not answer
                present = set(tokens)
                coverage = sum(w for t, w in weights.items() if t in present) / total
                prior = 1.0 / (1.0 + 0.35 * rank)  # higher-ranked passages are more trustworthy
                out.append(_Candidate(rank, hit, a, b, coverage * prior + 0.01 * prior, coverage))
        return out

    def _assemble(self, result: SearchResult, chosen: list[_Candidate], weights: dict[str, float], confidence: float,
                  texts: dict[int, str]) -> Answer:
        citations: list[Citation] = []
        sentences: list[tuple[str, int]] = []
        meta = self.backend.articles(list(dict.fromkeys(c.hit.article_id for c in chosen)))
        for c in sorted(chosen, key=lambda c: (c.hit_rank, c.start)):
            text = texts[c.hit.passage]
            quote = text[c.start : c.end]
            assert quote and quote in text  # verbatim by construction; never cite what is not there
            m = meta[c.hit.article_id]
            n = len(citations) + 1
            citations.append(
                Citation(
                    n=n, article_id=m.id, passage_id=c.hit.passage_id, title=m.title, source=m.source,
                    date=m.date, location=m.location, passage=text, quote=quote, quote_start=c.start,
                    highlights=self.highlights(text, weights),
                )
            )
            sentences.append((quote, n))
        return Answer(result.question, tuple(sentences), tuple(citations), tuple(result.hits), False, confidence, tuple(result.notes))

    def highlights(self, text: str, weights: dict[str, float]) -> tuple[tuple[int, int], ...]:
        """Spans of the words in text that match a question term (same stemming as search)."""
        words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
        if not words or not weights:
            return ()
        stems = tokenize([text[a:b] for a, b in words], self.lexical.settings)
        return tuple(span for span, stem in zip(words, stems) if stem and stem[0] in weights)


def _lines(text: str) -> list[tuple[int, int]]:
    """Trimmed spans of the non-blank lines of text."""
    return [(m.start(), m.end()) for m in re.finditer(r"\S(?:[^\n]*\S)?", text)]

