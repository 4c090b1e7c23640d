"""Making a collection: created, indexed and loaded at once, and made again over what a killed build left.

milvus-lite writes a collection's folder before its catalog records it: a build killed between the two leaves a
folder that no collection owns, and the next create says "[Errno 17] File exists" (tests/test_faults.py's random
kills landed there once). Such a folder is removed and the collection made afresh.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any


def create_collection(client: Any, name: str, schema: Any, index_params: Any) -> None:
    """Create, index and load an empty collection. `create_collection(index_params=...)` polls each
    index's state after a fixed 0.5 s sleep (pymilvus' wait_for_creating_index): 3 s for a new
    index's six indexes, most of a small build. An empty collection has no segment to build an
    index on, so the index is declared without the wait; load_collection then serves it."""
    try:
        client.create_collection(name, schema=schema)
    except Exception as exc:
        orphan = _orphan(exc, name)
        if orphan is None or client.has_collection(name):
            raise
        # A build killed while milvus-lite made this collection left its folder, which its catalog never
        # recorded: "[Errno 17] File exists". Nothing names it; the repair makes it afresh.
        shutil.rmtree(orphan)
        client.create_collection(name, schema=schema)
    client.create_index(name, index_params, sync=False)
    client.load_collection(name)


_EXISTS = re.compile(r"\[Errno 17\] File exists: '([^']+)'")


def _orphan(exc: Exception, name: str) -> Path | None:
    """The folder of collection `name` in a milvus-lite file that an "[Errno 17] File exists" names, or None."""
    m = _EXISTS.search(str(exc))
    folder = Path(m.group(1)) if m else None
    if folder is None or folder.name != name or folder.parent.name != "collections" or not folder.is_dir():
        return None
    return folder
