"""Engine: the one object front-ends hold. Question in, Answer out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from index import store
from index.build import check_compatible
from index.chunking import ChunkSettings
from index.embedding import Encoder
from index.store import IndexData
from retrieval.answer import Answerer, AnswerParams
from retrieval.hybrid import HybridRetriever, RetrievalParams, SearchResult
from retrieval.types import Answer, Query


class Engine:
    def __init__(
        self,
        data: IndexData,
        encoder: Encoder,
        params: RetrievalParams = RetrievalParams(),
        answer_params: AnswerParams = AnswerParams(),
        today: Callable[[], date] = date.today,
    ) -> None:
        self.data = data
        self.retriever = HybridRetriever(data, encoder, params, today)
        self.answerer = Answerer(data, self.retriever.lexical, answer_params)

    @classmethod
    def open(cls, index_path: Path, encoder: Encoder, **kwargs: object) -> Engine:
        """Load an index and check it was embedded by this encoder's weights."""
        data = store.load(index_path)
        chunking = ChunkSettings(**{k: v for k, v in data.manifest["chunking"].items() if k != "parser_version"})
        check_compatible(data.manifest, encoder, chunking, index_path)
        return cls(data, encoder, **kwargs)  # type: ignore[arg-type]

    def search(self, query: Query) -> SearchResult:
        return self.retriever.search(query)

    def ask(self, query: Query) -> Answer:
        return self.ask_batch([query])[0]

    def ask_batch(self, queries: Sequence[Query]) -> list[Answer]:
        return [self.answerer.answer(r) for r in self.retriever.search_batch(queries)]
