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
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def terms(self, text: str) -> list[str]:
        """The question's index terms that occur in the corpus (same tokenizer as indexing)."""
        return [t for t in lexicon.tokenize([text], self.settings)[0] if t in self.vocab]

    def term_weight(self, term: str) -> float:
        return float(self.idf[self.vocab[term]])

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
