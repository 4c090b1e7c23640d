"""The Milvus term table (term -> passages holding it) kept whole in memory, read in the background by an
engine that answers more than one question. A question then asks Milvus no document frequency: the words the
pseudo-relevance feedback adds (retrieval/feedback.py) are known only after the first search, and asking for
theirs cost a round trip. Until the table is read, or where it is too large to keep, the frequencies are
asked per question as before.

When and how it is read: milvus-lite serves one call at a time, and read at once, as the index opened, the
table held up the first question of a one-shot `sitrep ask` (1.4 -> 2.4 s on the dev index). So the read
starts with an engine's second question (a bot, the REPL, an evaluation: never a one-shot `ask`), goes a
small batch at a time, and reads a batch only when the client has been quiet for a moment; a question
waits at most one batch."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

TABLE_MAX = 2_000_000  # terms: a table up to this size is kept whole (about 100 bytes a term)
_BATCH = 4096  # terms a call (about 60-120 ms on milvus-lite for the dev set's table)
_QUIET_S = 0.05  # a batch is read only when no other call has run for this long


class TermTable:
    def __init__(self, client: Any, collection: str, limit: int = TABLE_MAX) -> None:
        self._client, self._collection, self._limit = client, collection, limit
        self._table: dict[str, int] | None = None
        self._closing = threading.Event()
        self._loader = threading.Thread(target=self._load, name="sitrep-milvus-terms", daemon=True)
        self._started = False

    def start(self) -> None:
        """Begin the read (once)."""
        if not self._started:
            self._started = True
            self._loader.start()

    def _quiet(self) -> bool:
        """Wait until the client has been quiet for _QUIET_S; False when closing."""
        while not self._closing.is_set():
            quiet = self._client.quiet_for()
            if quiet >= _QUIET_S:
                return True
            self._closing.wait(_QUIET_S - quiet)
        return False

    def _load(self) -> None:
        """One pass over the collection; kept only if whole."""
        table: dict[str, int] = {}
        try:
            if not self._quiet():
                return
            it = self._client.query_iterator(self._collection, batch_size=_BATCH, filter="", output_fields=["term", "df"])
            try:
                while self._quiet():
                    batch = it.next()
                    if not batch:
                        break
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
        """Read it now and wait (tests, benchmarks); whether the table is kept."""
        self.start()
        self._loader.join(timeout)
        return self._table is not None

    def get(self, terms: Sequence[str]) -> dict[str, int] | None:
        """The terms' frequencies (0: not in the corpus), or None while the table is not read."""
        table = self._table
        return None if table is None else {t: table.get(t, 0) for t in terms}

    def close(self) -> None:
        self._closing.set()
        if self._started:
            self._loader.join(timeout=10)
