"""Errors of the follow database and of follow requests.

    SitrepError
    └── FollowsError
        ├── StateError        the follow database cannot be used
        │   ├── StateBusy     another process holds its write lock past the timeout
        │   ├── StateCorrupt  the file is not a sitrep follow database (damaged, or something else)
        │   └── StateTooNew   written by a newer sitrep (a schema this one does not know)
        └── FollowError       a follow request that cannot be done (an empty topic, too many follows)
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class FollowsError(SitrepError):
    """Base class of the follows package's errors."""


class StateError(FollowsError):
    """The follow database cannot be used; the message is one line saying what to do."""


class StateBusy(StateError):
    """Another process holds the database's write lock past the timeout."""


class StateCorrupt(StateError):
    """The file is not a sitrep follow database (damaged, or something else)."""


class StateTooNew(StateError):
    """Written by a newer sitrep (a schema this one does not know)."""


class FollowError(FollowsError):
    """A user's follow request that cannot be done (one line)."""
