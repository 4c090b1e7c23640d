"""`sitrep index watch`: update the index when files in the corpus folder change.

Polls the folder (names, sizes, modification times of the files `update` reads) rather than
relying on OS file events, so it works the same on every file system, network shares included.
A change starts a quiet period: the update runs once nothing has changed for `debounce` seconds,
so a batch of files copied in triggers one update, not one per file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sitrep.corpus.articles import corpus_files

Snapshot = dict[str, tuple[int, int]]


def snapshot(corpus: Path) -> Snapshot:
    out: Snapshot = {}
    for path in corpus_files(corpus):
        try:
            st = path.stat()
        except OSError:
            continue  # removed while we looked
        out[path.relative_to(corpus).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def watch(corpus: Path, run_update: Callable[[], Any], on_update: Callable[[Any], None], *, interval: float = 2.0,
          debounce: float = 3.0, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
          should_stop: Callable[[], bool] = lambda: False) -> None:
    """Poll every `interval` s; after a change and `debounce` s of quiet, run_update() and hand its
    result (or the exception it raised) to on_update. Runs until should_stop()."""
    seen = snapshot(corpus)
    changed_at: float | None = None
    while not should_stop():
        sleep(interval)
        now = snapshot(corpus)
        if now != seen:
            seen, changed_at = now, clock()
            continue
        if changed_at is not None and clock() - changed_at >= debounce:
            changed_at = None
            try:
                on_update(run_update())
            except Exception as exc:  # a bad file or a busy index: say so, keep watching
                on_update(exc)
