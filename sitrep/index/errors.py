"""Errors raised by the indexer.

Every message says what to do next; front-ends print it as one line.

    SitrepError
    └── IndexStoreError
        ├── IndexNotBuilt      no index at the path yet
        ├── IndexCorrupt       a file of the index is missing, truncated or unreadable
        ├── IndexMismatch      built with another model or chunk setting than asked for
        ├── IndexBusy          another process holds the index lock
        ├── IndexUnavailable   the index's server (Milvus) cannot be reached, or stopped answering
        │                      mid-question (the backend translates pymilvus / gRPC errors into it)
        └── IndexNotWritable   the index folder (or the Milvus server's disk) cannot be written

The corpus's own errors are `sitrep.corpus.errors.CorpusError`.
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class IndexStoreError(SitrepError):
    """Base class: a problem the user can fix; never a bug."""


class IndexNotBuilt(IndexStoreError):
    """No index at the path (or collection) yet: build it."""


class IndexCorrupt(IndexStoreError):
    """A file or record of the index is missing, truncated or unreadable: rebuild it."""


class IndexMismatch(IndexStoreError):
    """Built with another model, chunking or parser than asked for: rebuild or update it."""


class IndexBusy(IndexStoreError):
    """Another process holds the index's write lock."""


class IndexUnavailable(IndexStoreError):
    """The index's server cannot be reached, or stopped answering mid-question."""


class IndexNotWritable(IndexStoreError):
    """The index folder, or the server's disk, cannot be written."""

