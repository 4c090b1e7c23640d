"""Errors raised by retrieval; front-ends print them as one line.

    SitrepError
    └── RetrievalError
        ├── BadQuestion     empty, or nothing searchable in it
        └── BadOption       unknown mode, bad date or span, k out of range
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class RetrievalError(SitrepError):
    """Base class: a problem with what the user asked, never a bug."""


class BadQuestion(RetrievalError):
    """The question is empty, or holds nothing to search for."""


class BadOption(RetrievalError):
    """An option cannot be used: an unknown mode, a bad date or span, k out of range."""
