"""The Milvus term table (term -> passages holding it) kept whole in memory, read once in the background when
an index is opened. A question then asks Milvus no document frequency: the words the pseudo-relevance feedback
adds (retrieval/feedback.py) are known only after the first search, and asking for theirs cost a round trip.
Until the table is read, or where it is too large to keep, the frequencies are asked per question as before."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

TABLE_MAX = 2_000_000  # terms: a table up to this size is kept whole (about 100 bytes a term)
_BATCH = 8192


class TermTable:
    def __init__(self, client: Any, collection: str, limit: int = TABLE_MAX) -> None:
        self._client, self._collection, self._limit = client, collection, limit
        self._table: dict[str, int] | None = None
        self._closing = threading.Event()
        self._loader = threading.Thread(target=self._load, name="sitrep-milvus-terms", daemon=True)
        self._loader.start()

    def _load(self) -> None:
        """One pass over the collection; kept only if whole."""
        table: dict[str, int] = {}
        try:
            it = self._client.query_iterator(self._collection, batch_size=_BATCH, filter="", output_fields=["term", "df"])
            try:
                while not self._closing.is_set() and (batch := it.next()):
                    table.update((r["term"], int(r["df"])) for r in batch)
                    if len(table) > self._limit:
                        return
            finally:
                it.close()
        except Exception:  # a lost server, a closed client: the questions ask as before
            return
        if not self._closing.is_set():
            self._table = table

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the read (tests, benchmarks); whether the table is kept."""
        self._loader.join(timeout)
        return self._table is not None

    def get(self, terms: Sequence[str]) -> dict[str, int] | None:
        """The terms' frequencies (0: not in the corpus), or None while the table is not read."""
        table = self._table
        return None if table is None else {t: table.get(t, 0) for t in terms}

    def close(self) -> None:
        self._closing.set()
        self._loader.join(timeout=10)
