"""Engine: the one object front-ends hold. Question in, Answer out, over any backend."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path

from index.backends import BackendConfig
from index.backends.base import Backend
from index.embedding import Encoder
from retrieval.answer import Answerer, AnswerParams
from retrieval.hybrid import HybridRetriever, RetrievalParams, SearchResult
from retrieval.types import Answer, Query

Meta = dict[str, tuple[str | None, str | None, str | None, str]]  # article id -> (title, outlet, date, location)


class Engine:
    def __init__(
        self,
        backend: Backend,
        encoder: Encoder,
        params: RetrievalParams = RetrievalParams(),
        answer_params: AnswerParams = AnswerParams(),
        today: Callable[[], date] = date.today,
    ) -> None:
        self.backend = backend
        self.retriever = HybridRetriever(backend, encoder, params, today)
        self.answerer = Answerer(backend, self.retriever.terms, answer_params)

    @classmethod
    def open(cls, target: Path | BackendConfig, encoder: Encoder, **kwargs: object) -> Engine:
        """Open an index (a local path or any backend) and check it was embedded by this encoder's weights."""
        config = target if isinstance(target, BackendConfig) else BackendConfig(path=Path(target))
        backend = config.open()
        try:
            backend.manifest.check(encoder, backend.manifest.chunking, config.where())
        except Exception:
            backend.close()
            raise
        return cls(backend, encoder, **kwargs)  # type: ignore[arg-type]

    def search(self, query: Query) -> SearchResult:
        return self.retriever.search(query)

    def ask(self, query: Query) -> Answer:
        return self.ask_batch([query])[0]

    def ask_batch(self, queries: Sequence[Query]) -> list[Answer]:
        return [self.answerer.answer(r) for r in self.retriever.search_batch(queries)]

    def meta(self, article_ids: Iterable[str]) -> Meta:
        """Title, outlet, date and location of these articles, for rendering an answer."""
        found = self.backend.articles(list(dict.fromkeys(article_ids)))
        return {a: (m.title, m.source, m.date, m.location) for a, m in found.items()}

    def answer_meta(self, answer: Answer) -> Meta:
        ids = [c.article_id for c in answer.citations] + [h.article_id for h in answer.hits]
        ids += [a for h in answer.hits for a in h.also_in]
        return self.meta(ids)

    def status(self) -> dict[str, object]:
        return self.backend.stats().manifest.status()
