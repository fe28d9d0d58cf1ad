"""The uploader's words for people: one error type and one message type, both translatable.

A message is an English template with named values (``"%(n)d page(s) …"``), so the archive can show it in the
reader's language: the template is what the catalogs translate (extracted by the ``UploadError`` and
``Message`` keywords), the values are filled in after translation.
"""
from __future__ import annotations

from typing import Any, Optional


def N_(template: str) -> str:
    """Mark a message template for the catalogs where it is defined apart from its use."""
    return template


class Message(str):
    """A person-safe message: reads as the English text, carries its ``template`` and ``params``."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> "Message":
        obj = super().__new__(cls, template % params if params else template)
        obj.template = template
        obj.params = dict(params)
        return obj

    def __reduce__(self):
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict[str, Any]) -> Message:
    return Message(template, **params)


def template_of(message: str) -> tuple[str, dict[str, Any]]:
    """(template, values) of a message; a plain string is its own template."""
    if isinstance(message, Message):
        return message.template, dict(message.params)
    return str(message), {}


class UploadError(Exception):
    """A file could not be taken in. ``user_message`` is plain words for the person; ``code`` is stable.

    ``user_message`` may be a template with ``params`` (``"larger than %(mb)d MB"``); it then reads filled in,
    and ``message`` keeps template and values for translation."""

    def __init__(self, user_message: str, code: str = "invalid", detail: str = "",
                 params: Optional[dict[str, Any]] = None) -> None:
        self.message = Message(user_message, **(params or {})) if params else \
            (user_message if isinstance(user_message, Message) else Message(user_message))
        super().__init__(detail or str(self.message))
        self.user_message = str(self.message)
        self.code = code
        self.detail = detail

    def __reduce__(self):
        return (_rebuild_error, (self.message.template, self.code, self.detail, self.message.params))


def _rebuild_error(template: str, code: str, detail: str, params: dict[str, Any]) -> "UploadError":
    return UploadError(template, code, detail, params)
