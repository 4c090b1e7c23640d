"""The command line's own input errors (everything else it prints comes from the packages below).

    SitrepError
    └── UserError    a command's arguments cannot be used together, or name something missing (a
                     dataset folder, a feed that is not listed); printed as one line, exit code 2
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class UserError(SitrepError):
    """Bad input from the command line; printed as one line, exit code 2."""
