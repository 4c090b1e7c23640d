"""Errors reading the corpus.

    SitrepError
    └── CorpusError    the corpus folder is missing or holds no readable article, or a file cannot be
                       read (too large, not text, a broken archive); the message names the file
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class CorpusError(SitrepError):
    """The corpus, or one file of it, cannot be read; the message names it and what to do."""
