"""Record ids (and other whole numbers) as readers, forms and harvesters send them.

``str.isdigit`` is not the test: "²" is a digit that ``int()`` refuses (a 500), and forty digits pass it and then
overflow SQLite and PostgreSQL (another 500). Here a number is ASCII digits within what a database INTEGER holds.
"""
from __future__ import annotations

from typing import Optional

MAX_ID = 2**31 - 1          # ids and years beyond this are answered 404 without touching the database


def parse_id(value: object, hi: int = MAX_ID) -> Optional[int]:
    """``value`` as a whole number in [0, ``hi``] when it is ASCII digits (spaces around allowed), else None."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > len(str(MAX_ID)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= hi else None
