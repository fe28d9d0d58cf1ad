"""The one error type the uploader raises: it carries a message that is safe to show a person."""
from __future__ import annotations


class UploadError(Exception):
    """A file could not be taken in. ``user_message`` is plain words for the person; ``code`` is stable."""

    def __init__(self, user_message: str, code: str = "invalid", detail: str = "") -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message
        self.code = code
        self.detail = detail
