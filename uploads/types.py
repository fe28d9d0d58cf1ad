"""Plain dataclasses exchanged between ``uploads`` and the services that call it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:       # a plain import would be circular (uploads.references reads ArticleSpan)
    from .references.model import ReferenceList


@dataclass
class Page:
    """One page of extracted text.

    ``number`` is the 1-based physical page in the file; ``method`` says how the text was obtained:
    ``text`` (the file's own text layer), ``repaired`` (text layer fixed by a reversible repair),
    ``ocr`` (Tesseract), ``docx`` (Word paragraphs) or ``empty`` (nothing usable).
    ``problems`` lists what the quality check found (e.g. ``cid``, ``mojibake-cp1251``).
    """

    number: int
    text: str
    method: str = "text"
    problems: list[str] = field(default_factory=list)


@dataclass
class Author:
    """An author as printed: the full string plus the parts we could recognise."""

    name: str                      # as printed, cleaned: "Иванов А.Б."
    surname: str = ""
    given: str = ""                # given names or initials: "А.Б." / "Алексей Борисович"
    affiliation: str = ""


@dataclass
class Metadata:
    """A first guess at bibliographic metadata; every field may be empty."""

    title: str = ""
    titles: dict[str, str] = field(default_factory=dict)        # lang -> title
    authors: list[Author] = field(default_factory=list)
    year: int | None = None
    language: str = ""                                        # "ru" | "kk" | "en" | ""
    abstracts: dict[str, str] = field(default_factory=dict)     # lang -> abstract
    keywords: list[str] = field(default_factory=list)
    udc: str = ""
    bbk: str = ""
    isbn: str = ""
    doi: str = ""


@dataclass
class ArticleSpan:
    """A proposed article inside a volume: physical pages ``first_page``..``last_page`` (1-based, inclusive)."""

    title: str
    authors: list[Author]
    first_page: int
    last_page: int
    printed_first: int | None = None
    printed_last: int | None = None
    source: str = "toc"          # "toc" or "layout": how the boundary was found
    # The article's own metadata, made in the limited child from its pages (title and authors from the TOC).
    metadata: Metadata | None = None
    # The article's reference lists («Список литературы», «Әдебиеттер», «References»), found in the child.
    references: list[ReferenceList] = field(default_factory=list)


@dataclass
class VolumeInfo:
    """What a volume's front matter says about the whole book."""

    title: str = ""
    event_title: str = ""
    place: str = ""
    dates: str = ""
    editors: list[str] = field(default_factory=list)
    isbn: str = ""
    udc: str = ""
    bbk: str = ""
    publisher: str = ""
    year: int | None = None


@dataclass
class ExtractedDocument:
    """Everything the uploader learnt from one file."""

    mime: str
    pages: list[Page]
    metadata: Metadata
    is_volume: bool = False
    volume: VolumeInfo | None = None
    articles: list[ArticleSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # A single article's reference lists; a volume's are on each of its ``articles``.
    references: list[ReferenceList] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)
