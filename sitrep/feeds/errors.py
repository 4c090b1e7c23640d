"""Errors fetching what others publish (feeds and pages). A pull reports each failed feed or page and
goes on; these reach the user only when nothing could be fetched.

    SitrepError
    └── FeedsError
        ├── FetchError      a URL refused (not http(s), a private address, too large, too many
        │                   redirects), unreachable, or not a feed/page; the message names the URL
        └── FeedStateError  what pulls remember (state.py) cannot be used: locked, damaged, too new
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class FeedsError(SitrepError):
    """Base class of the feeds package's errors."""


class FetchError(FeedsError):
    """One URL could not be fetched, or was refused; the message names it and why."""


class FeedStateError(FeedsError):
    """The pulls' state database cannot be used; the message is one line saying what to do."""
