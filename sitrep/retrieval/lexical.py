"""The question's terms and how much each weighs, from any backend's document frequencies."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from sitrep.index import lexicon
from sitrep.index.backends.base import Backend
from sitrep.retrieval.readings import Readings

# Words of chat that ask nothing of the corpus ("What did China propose, exactly?", "… lol", "pls"), and
# question words typed without their apostrophe ("whats", which stems to a stopword the index never holds).
# A word of the question no passage holds weighs most of all in the answer's coverage, so on a corpus that
# never writes "exactly" such a word made sitrep refuse what it answers without it; a question's are dropped
# before its terms are read (the index keeps its own: "please" in a passage is still searchable). So are the
# adverbs that say when, not what ("recently", "currently"): the recency prior reads them (dates.asks_latest), and
# as terms "What did China recently propose to India?" was refused on the bundled corpus (dev: MRR@10 +0.0001);
# "now" too ("Who is India's defence minister now?" was refused; dev the same to the fourth decimal).
CHAT_WORDS = ("please", "pls", "plz", "kindly", "lol", "lmao", "haha", "btw", "tbh", "imo", "fyi", "hey", "hello", "okay",
              "exactly", "precisely", "actually", "basically", "really", "anyway", "anyways", "thanks", "thx", "um", "umm",
              "uh", "uhh", "hmm", "hmmm", "wow", "whats", "whos", "wheres", "whens", "hows", "whys",
              "recently", "currently", "lately", "nowadays", "now")
CHAT_FILLERS = re.compile(rf"\b(?:{'|'.join(CHAT_WORDS)})\b", re.IGNORECASE)
# How a question is put, not what it asks: "Can you tell me what China proposed?", "I want to know …",
# "Do you know …", "What's the latest on …", "Explain the note verbale" — "tell", "know" and "explain" are
# words news rarely writes as the question means them, and weighed as terms the corpus lacks they refused what
# the rest of the question asks. Only as these phrases: "What did India tell China?" and "How did Esper describe the talks?"
# keep their verbs; an imperative only at the question's start.
REQUEST = re.compile(
    r"\b(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:tell|show|give|explain|describe|summari[sz]e|let)"
    r"(?:\s+(?:to\s+)?(?:me|us))?(?:\s+(?:more|know))?"
    r"|(?:tell|show|give)\s+(?:me|us)(?:\s+more)?|let\s+(?:me|us)\s+know|explain\s+to\s+(?:me|us)"
    r"|(?:i|we)(?:'d|\s+would)?\s+(?:like|love|want|wanna|need|wish)\s+to\s+(?:know|understand|learn|find\s+out|hear)"
    r"(?:\s+more)?"
    r"|(?:i'm|im|i\s+am|we're|we\s+are)\s+(?:curious|wondering)|i\s+wonder"
    r"|(?:do|does)\s+(?:you|u|anyone|anybody)\s+know|any\s+idea"
    r"|(?:what'?s\s+|what\s+(?:is|are)\s+)?(?:the\s+)?(?:latest|news|(?:latest\s+)?updates?)\s+(?:on|about|with|regarding))\b"
    r"|^[\s,.:;!-]*(?:explain|describe|summari[sz]e|define)\b",
    re.IGNORECASE)


# A word each match of the two patterns holds: a question with none of them (most) skips both (~2 µs, not ~30).
_KEYS = frozenset(CHAT_WORDS) | {"tell", "show", "give", "let", "explain", "describe", "summarise", "summarize", "define",
                                 "know", "like", "love", "want", "wanna", "need", "wish", "understand", "learn", "find",
                                 "hear", "curious", "wondering", "wonder", "idea", "latest", "news", "update", "updates"}
_SPACES = str.maketrans({c: " " for c in "?!.,;:()[]{}\"“”‘’/\\-–—…"})


def drop_fillers(text: str) -> str:
    """The question without its words of chat (CHAT_FILLERS) and the phrases that put it (REQUEST)."""
    if _KEYS.isdisjoint(text.lower().translate(_SPACES).split()):
        return text
    return REQUEST.sub(" ", CHAT_FILLERS.sub(" ", text))


class TermWeights:
    """Tokenises questions like the indexer did and weighs terms by idf (BM25's, Lucene form)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.settings = backend.manifest.bm25
        self.passages = max(backend.stats().passages, 1)
        self.max_idf = math.log(1.0 + (self.passages + 0.5) / 0.5)
        self._df: dict[str, int] = {}
        # What each passage says, read once for the re-ranking and the reader alike (retrieval/readings.py)
        self.readings = Readings(self.settings, stored=backend.stored_readings())
        self._strength: dict[str, float] = {}

    def all_terms(self, text: str) -> list[str]:
        """The question's index terms (same tokenizer as indexing), in the corpus or not; words of chat
        ("exactly", "lol") are not terms of a question."""
        return lexicon.tokenize([drop_fillers(text)], self.settings)[0]

    def df(self, terms: Sequence[str]) -> dict[str, int]:
        """Passages holding each term; asked of the backend once per term and remembered
        (the engine is re-opened after every update)."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._df]
        if missing:
            self._df.update(self.backend.term_stats(missing))
            if len(self._df) > 200_000:
                self._df.clear()
        return {t: self._df.get(t, 0) for t in terms}

    def unknown(self, terms: Sequence[str]) -> list[str]:
        """The terms whose document frequency is not yet remembered (a search can fetch them alongside)."""
        return [t for t in dict.fromkeys(terms) if t not in self._df]

    def remember(self, df: dict[str, int]) -> None:
        self._df.update(df)

    def known(self, terms: Sequence[str]) -> list[str]:
        """The terms that occur in the corpus, in order."""
        df = self.df(terms)
        return [t for t in terms if df[t] > 0]

    def term_weight(self, term: str) -> float:
        """idf + 1: rare terms weigh most, a term in every passage still counts, and a term the
        corpus never uses weighs most of all (its absence is evidence the corpus cannot answer)."""
        d = self._df.get(term)
        if d is None:
            d = self.df([term])[term]
        if d <= 0:
            return 1.0 + self.max_idf
        return 1.0 + math.log(1.0 + (self.passages - d + 0.5) / (d + 0.5))

    def idf(self, df: int) -> float:
        """BM25's idf (Lucene form) of a term in `df` passages; 0 for a term the corpus never uses."""
        return math.log(1.0 + (self.passages - df + 0.5) / (df + 0.5)) if df > 0 else 0.0

    def idfs(self, dfs: Sequence[int]) -> list[float]:
        """`idf` of many document frequencies at once."""
        d = np.asarray(dfs, dtype=np.float64)
        with np.errstate(divide="ignore"):
            return np.where(d > 0, np.log1p((self.passages - d + 0.5) / (d + 0.5)), 0.0).tolist()

    def is_rare(self, term: str) -> bool:
        """In at most 5% of passages (or 3, in a small corpus): a name, an acronym, a specific word."""
        d = self.df([term])[term]
        return 0 < d <= max(3.0, 0.05 * self.passages)

    def strength(self, terms: Sequence[str]) -> dict[str, float]:
        """How well each term alone retrieves: its best single-term BM25 score over the corpus, over
        the best a term could score here (in one passage only, saturated: max idf x (k1 + 1)). HQE's
        keyword measure (retrieval/conversation.py). One batched search for the terms not yet seen."""
        missing = [t for t in dict.fromkeys(terms) if t not in self._strength]
        if missing:
            ranked = self.backend.lexical([[t] for t in missing], 1, [None] * len(missing))
            ceiling = self.max_idf * (self.settings.k1 + 1.0)
            for t, r in zip(missing, ranked):
                self._strength[t] = float(r.scores[0]) / ceiling if len(r.scores) else 0.0
            if len(self._strength) > 200_000:
                self._strength.clear()
        return {t: self._strength.get(t, 0.0) for t in terms}
