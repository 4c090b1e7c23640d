"""Errors of the answer package. Not user errors: each means a bug, so none derives from SitrepError
and no front-end shows one as the user's to fix (they are logged with their traceback).

    RuntimeError
    └── QuoteNotVerbatim    a quote about to be cited is not in its passage, character for character;
                            raised instead of citing it (the guarantee `sitrep eval` counts as
                            quotes_verbatim, and tests/test_quote_property.py checks on both backends)
"""

from __future__ import annotations


class QuoteNotVerbatim(RuntimeError):
    """A quote that is not a verbatim span of its passage: sitrep never cites what is not there."""
