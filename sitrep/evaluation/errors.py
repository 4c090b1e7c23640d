"""Errors reading an evaluation dataset.

    SitrepError
    └── DatasetError    a dataset folder or file is missing, or a record lacks a field; the message
                        names the file and the field
"""

from __future__ import annotations

from sitrep.errors import SitrepError


class DatasetError(SitrepError):
    """The dataset cannot be used as given; the message names what is missing."""
