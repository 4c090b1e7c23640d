"""Errors raised by the indexer.

Every message says what to do next; front-ends print it as one line.

    IndexStoreError
    ├── IndexNotBuilt      no index at the path yet
    ├── IndexCorrupt       a file of the index is missing, truncated or unreadable
    ├── IndexMismatch      built with another model or chunk setting than asked for
    ├── IndexBusy          another process holds the index lock
    ├── IndexUnavailable   the index's server (Milvus) cannot be reached
    ├── IndexNotWritable   the index folder cannot be written
    └── CorpusError        the corpus folder is missing or holds no readable article
"""

from __future__ import annotations


class IndexStoreError(Exception):
    """Base class: a problem the user can fix; never a bug."""


class IndexNotBuilt(IndexStoreError):
    pass


class IndexCorrupt(IndexStoreError):
    pass


class IndexMismatch(IndexStoreError):
    pass


class IndexBusy(IndexStoreError):
    pass


class IndexUnavailable(IndexStoreError):
    pass


class IndexNotWritable(IndexStoreError):
    pass


class CorpusError(IndexStoreError):
    pass
