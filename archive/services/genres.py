"""What kind of document a stand-alone file is — a thesis, a standard, a book — for citing it by its kind.

Guessed at ingest from the title and the first pages (the words printed on a title page), stored in
``Publication.extra["genre"]``; "" when nothing says so (then it is cited as a generic document, never as
a journal article without a journal).
"""
from __future__ import annotations

import re

GENRES = ("dissertation", "thesis", "standard", "book", "manuscript")

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(rx, re.IGNORECASE)) for name, rx in (
    ("dissertation", r"диссертаци\w*\s+на\s+соискание|автореферат\s+диссертации|диссертация\s+(?:кандидата|доктора)"
                     r"|ғылыми\s+дәрежесін\s+алу\s+үшін|диссертациясы"),
    ("thesis", r"выпускн\w+\s+квалификационн\w+\s+работ|бакалаврск\w+\s+работ|магистерск\w+\s+(?:диссертаци|работ)"
               r"|дипломн\w+\s+(?:работ|проект)|курсов\w+\s+работ|дипломдық\s+жұмыс|бітіру\s+жұмыс"
               r"|bachelor'?s\s+thesis|master'?s\s+thesis"),
    ("standard", r"межгосударственн\w+\s+стандарт|государственн\w+\s+стандарт|национальн\w+\s+стандарт"
                 r"|\bГОСТ\s*(?:Р\s*)?\d|\bСТ\s+РК\s*\d|мемлекеттік\s+стандарт"),
    ("book", r"\bхрестомати\w+|учебн\w+\s+пособи|учебник\b|\bмонографи\w+|оқу\s+құралы|\bоқулық|\bхрестоматия"),
))


def guess_genre(title: str, first_pages: list[str]) -> str:
    """The genre a document's title and first two pages declare, or ""."""
    head = "\n".join([title or "", *[(p or "")[:3000] for p in first_pages[:2]]])
    for name, rx in _PATTERNS:
        if rx.search(head):
            return name
    return ""
