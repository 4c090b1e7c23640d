"""Errors of the application's configuration.

    SitrepError
    └── AppError
        └── SettingsError    a setting (SITREP_* in the environment or .env) has a value that cannot be
                             used; the message names the variable and an example of a good value
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class AppError(SitrepError):
    """Base class of the app package's errors."""


class SettingsError(AppError):
    """A setting has a value that cannot be used; the message names it."""
