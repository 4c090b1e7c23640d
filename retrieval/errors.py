"""Errors raised by retrieval; front-ends print them as one line.

    RetrievalError
    ├── BadQuestion     empty, or nothing searchable in it
    └── BadOption       unknown mode, bad date, k out of range
"""

from __future__ import annotations


class RetrievalError(Exception):
    """Base class: a problem with what the user asked, never a bug."""


class BadQuestion(RetrievalError):
    pass


class BadOption(RetrievalError):
    pass
