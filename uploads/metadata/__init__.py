"""First-guess bibliographic metadata from the first pages of a Russian/Kazakh/English article.

Everything here is heuristic and conservative: an empty field is better than a wrong one. The steps live in
``authors``, ``title``, ``year``, ``identifiers`` and ``abstracts``; the shared text primitives in ``uploads.text``
and the language detector in ``textlang``.
"""
from __future__ import annotations

import logging

from textlang import detect_language
from uploads.text import clean_lines, clean_page, is_udc_line, letters, parse_author_name, strip_markers
from uploads.types import Author, Metadata

from .abstracts import find_abstracts_keywords
from .authors import attach_affiliations, authors_next_to_title, find_authors
from .identifiers import find_ids
from .markers import REFS_RE, list_of_works, reference_lines
from .pdfinfo import info_authors, info_title
from .standards import standard_title
from .title import find_title, list_heading, previous_article_tail
from .year import document_year, end_year, find_year

logger = logging.getLogger(__name__)

__all__ = ["extract_metadata", "detect_language", "parse_author_name", "RULES_VERSION"]

# Changes whenever the rules change what they propose: records made by older rules are read again by
# ``manage.py check --repair`` (drafts no person has edited).
RULES_VERSION = "2026.12.2"


def _first_text_page(pages: list[str]) -> str:
    """Some files start with an (almost) empty cover page: the first page with real text."""
    return next((p for p in pages[:3] if letters(p) > 15), pages[0])


def _own_front(lines: list[str]) -> list[str]:
    """The head lines up to where this article's own text ends: its reference list, or the next article's УДК line
    (a volume article's pages may run on into the next one)."""
    udc = [i for i, t in enumerate(lines) if is_udc_line(t)]
    start = udc[0] if udc else 20        # the page may begin with the previous article's references
    # a second УДК well below the first starts the next article (a bilingual head prints УДК and UDC close together)
    ends = [i for i in udc[1:] if i - start > 25] + [i for i, t in enumerate(lines) if i > start and REFS_RE.match(t)]
    return lines[:min(ends)] if ends else lines


def _final_authors(lines: list[str], authors: list[Author], a_idx: list[int], t_idx: int | None,
                   pdf_info: dict | None, first: str) -> list[Author]:
    """The by-line's authors, else a bare name next to the title, else /Author confirmed by page 1."""
    if not authors and t_idx is not None:
        authors, a_idx = authors_next_to_title(lines, t_idx)
    for au in authors:
        au.name = strip_markers(au.name)
    if not authors:
        return info_authors(pdf_info, first)
    attach_affiliations(lines, a_idx, authors)
    return authors


def _title(lines: list[str], a_idx: list[int], fonts: list[tuple[str, float]] | None, head: str,
           pages: list[str]) -> tuple[str, int | None]:
    """The title and its line: a bibliography is titled by its heading, not by its first section or entry."""
    found = list_heading(lines, head) if list_of_works(pages) else None
    return found or find_title(lines, a_idx, fonts, head)


def _year(pages: list[str], tail: int, pdf_info: dict | None) -> int | None:
    """Printed on the first pages, else at the end of the text, else the file's own date — but not for pages cut
    from a printed volume (they start with the previous article's end): they carry the date they were cut out."""
    year = find_year(pages, skip_first_lines=tail)
    if year is None:
        year = end_year(pages)
    if year is None and not tail:
        year = document_year(pdf_info, pages)
    return year


def _fill(md: Metadata, pages: list[str], pdf_info: dict | None, font_lines: list[tuple[str, float]] | None) -> None:
    head = "\n".join(pages[:3])
    first = _first_text_page(pages)
    page_lines = clean_lines(first)
    refs = reference_lines(page_lines)
    # Reference-list lines are never a title and never the authors: they are blanked for both searches.
    lines = ["" if i in refs else t for i, t in enumerate(page_lines)]
    find_ids(head, md)
    clean_fonts = [(clean_page(t), sz) for t, sz in font_lines] if font_lines else None
    authors, a_idx = find_authors(lines)
    standard = standard_title(lines, head)
    title, t_idx = (standard[0], None) if standard else _title(lines, a_idx, clean_fonts, head, pages)
    tail = previous_article_tail(page_lines, t_idx, refs, min(a_idx) if a_idx else None)
    if tail:
        # The page starts with the end of the previous article: ignore that part.
        authors, a_idx = find_authors(lines[tail:])
        a_idx = [k + tail for k in a_idx]
    md.authors = _final_authors(lines, authors, a_idx, t_idx, pdf_info, first)
    md.title = (title or info_title(pdf_info, first)).strip(" .,;:")
    if md.title:
        md.titles[detect_language(md.title) or md.language or "ru"] = md.title
    md.year = standard[1] if standard and standard[1] else _year(pages, tail, pdf_info)
    find_abstracts_keywords(_own_front(clean_lines(head)), md)


def extract_metadata(
    pages: list[str],
    language_hint: str = "",
    pdf_info: dict | None = None,
    font_lines: list[tuple[str, float]] | None = None,
) -> Metadata:
    """Guess title, authors, year, language, abstracts, keywords and identifiers from the first pages' text."""
    md = Metadata()
    pages = [clean_page(p) for p in (pages or [])]
    if not pages:
        return md
    md.language = detect_language("\n".join(pages[:3])) or language_hint or ""
    try:
        _fill(md, pages, pdf_info, font_lines)
    except Exception:  # pragma: no cover - metadata must never break an upload
        logger.exception("metadata extraction failed")
    return md
