"""BM25 search over the saved bm25s index, with an optional passage mask."""

from __future__ import annotations

from typing import Any

import numpy as np

from index import lexicon


class LexicalSearcher:
    def __init__(self, bm25: Any, settings: lexicon.BM25Settings) -> None:
        self.bm25 = bm25
        self.settings = settings
        self.vocab: dict[str, int] = bm25.vocab_dict
        indptr = np.asarray(bm25.scores["indptr"])
        n = max(int(bm25.scores.get("num_docs", 0) or 0), 1)
        df = np.diff(indptr).astype(np.float64)  # passages containing each term
        self.df = df
        self.passages = n
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        self.max_idf = float(np.log(1.0 + (n + 0.5) / 0.5))

    def all_terms(self, text: str) -> list[str]:
        """The question's index terms (same tokenizer as indexing), in the corpus or not."""
        return lexicon.tokenize([text], self.settings)[0]

    def terms(self, text: str) -> list[str]:
        """The question's index terms that occur in the corpus."""
        return [t for t in self.all_terms(text) if t in self.vocab]

    def term_weight(self, term: str) -> float:
        """idf + 1: rare terms weigh most, a term in every passage still counts, and a term the
        corpus never uses weighs most of all (its absence is evidence the corpus cannot answer)."""
        i = self.vocab.get(term)
        return 1.0 + float(self.idf[i] if i is not None else self.max_idf)

    def is_rare(self, term: str) -> bool:
        """In at most 5% of passages (or 3, in a small corpus): a name, an acronym, a specific word."""
        i = self.vocab.get(term)
        return i is not None and self.df[i] <= max(3.0, 0.05 * self.passages)

    def search(self, terms: list[str], k: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        if not terms or k <= 0:
            return []
        scores = np.asarray(self.bm25.get_scores(terms), dtype=np.float32)
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        k = min(k, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]
