"""The Discord bot's own refusals (everything else it shows comes from the packages below).

    SitrepError
    └── ChatError
        └── ReindexBusy    a /reindex or /refresh is already running; the reply says to wait for it
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class ChatError(SitrepError):
    """Base class of the chat package's errors."""


class ReindexBusy(ChatError):
    """An index update is already running in this bot."""
