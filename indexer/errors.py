"""The index's one error type, apart so that the analysis (``documents``) and the backends can both raise it."""
from __future__ import annotations


class SearchIndexError(Exception):
    """The index could not be read or written (the detail is in the log)."""
