"""Plain dataclasses for parsed reference lists (what ``uploads.references`` hands to the archive)."""
from __future__ import annotations

from dataclasses import dataclass, field

# parse_status values, shared by entries and lists.
PARSED = "parsed"        # every field we look for that the entry has was found
PARTIAL = "partial"      # usable (title or container found) but something expected is missing
UNPARSED = "unparsed"    # the text could not be read as a reference (raw text only)


@dataclass
class Reference:
    """One entry of a reference list: the raw text as printed plus the fields recognised in it.

    ``authors`` are "Surname I.O." strings in the order printed (persons named after "/" count unless they
    are editors or translators); ``pages`` is the page range or locator ("56-67"), ``extent`` a book's
    total ("736"). Every field may be empty; ``parse_status`` says how far parsing got and ``problems``
    why not further.
    """

    raw: str
    number: int | None = None
    page: int = 0                   # 1-based index (in the pages given) of the page the entry starts on
    authors: list[str] = field(default_factory=list)
    title: str = ""
    container: str = ""             # journal, collection or book the item appeared in
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    extent: str = ""
    place: str = ""
    publisher: str = ""
    doi: str = ""
    url: str = ""
    parse_status: str = UNPARSED
    problems: list[str] = field(default_factory=list)

    @property
    def first_surname(self) -> str:
        """Surname of the first author, or "" for entries without authors."""
        return self.authors[0].split(" ")[0] if self.authors else ""


@dataclass
class ReferenceList:
    """A reference list found under a heading ("Список литературы", "Әдебиеттер", "References", ...)."""

    heading: str
    first_page: int                 # 1-based, in the pages given
    last_page: int
    entries: list[Reference] = field(default_factory=list)
    numbering: str = ""             # "dot" (1.), "bracket" ([1]), "none" (one entry a paragraph)
    script: str = ""                # "cyrillic" or "latin": a transliterated "References" twin is "latin"
    parse_status: str = UNPARSED
    problems: list[str] = field(default_factory=list)
