"""Abstracts (by language) and keywords of an article."""
from __future__ import annotations

import re

from textlang import detect_language
from uploads.text import AFFIL_WORDS, CAPS_HEADING, author_line, is_caps, join_lines, letters, norm_ws
from uploads.types import Metadata

from .markers import ABSTRACT_MARK, BODY_START, HEADER_RE, KEYWORDS_MARK, REFS_RE

_MAX_ABSTRACT = 4000
_MIN_ABSTRACT = 40
_MIN_UNMARKED_ABSTRACT = 150
_KEYWORD_LINES = 4


def _heading(t: str) -> bool:
    return is_caps(t, CAPS_HEADING) and letters(t) > 10


def _collect_paragraph(lines: list[str], start: int, first: str) -> str:
    """The paragraph that starts after a marker on line ``start`` (its rest of line is ``first``)."""
    buf = [first] if first else []
    for t in lines[start + 1:]:
        if not t:
            if sum(len(x) for x in buf) > 150:
                break
            continue
        if ABSTRACT_MARK.match(t) or KEYWORDS_MARK.match(t) or BODY_START.match(t) or REFS_RE.match(t) or _heading(t):
            break
        buf.append(t)
        if sum(len(x) for x in buf) > _MAX_ABSTRACT:
            break
    return join_lines(buf)


def _split_keywords(s: str) -> list[str]:
    s = s.strip().rstrip(".")
    sep = ";" if ";" in s else ","
    out = []
    for k in s.split(sep):
        k = norm_ws(k).strip(" .;,")
        if k and len(k) < 120:
            out.append(k)
    return out


def _keyword_text(lines: list[str], i: int, first: str) -> str:
    buf = [first]
    j = i + 1
    while j < len(lines) and lines[j] and not buf[-1].rstrip().endswith(".") and len(buf) < _KEYWORD_LINES:
        u = lines[j]
        if ABSTRACT_MARK.match(u) or KEYWORDS_MARK.match(u) or BODY_START.match(u) or _heading(u):
            break
        buf.append(u)
        j += 1
    return join_lines(buf)


# A line that interrupts a paragraph at a page break: a running header with the page number, a © line.
_PAGE_NOISE = re.compile(r"^(?:\d{1,4}|\d{1,4}\s+\D.{0,80}|.{3,80}\D\s\d{1,4}|(?:©|\(c\)|c)\s.{0,80}\b(?:19|20)\d\d\d{0,4}"
                         r"|(?:Bibliography|Библиогр\w*|Лит\.)\s*:?\s*\d+\s*(?:items|назв\w*)\.?)$")


def _paragraph_above(lines: list[str], k: int) -> tuple[list[str], int]:
    """The non-blank lines that end at line ``k`` (page noise skipped); returns (lines, index above them)."""
    buf: list[str] = []
    while k >= 0 and (lines[k] or not buf) and len(buf) < 40:
        t = lines[k]
        if not t:
            k -= 1      # a page break between the paragraph and what interrupted it
            continue
        if author_line(t) and k > 0 and re.fullmatch(r"\d{1,4}", lines[k - 1]):
            k -= 2  # "248" / "Шералиев Ш.Н.": the next page's number and running header, not a by-line
            continue
        if author_line(t) or HEADER_RE.search(t) or (is_caps(t) and letters(t) > 6) or KEYWORDS_MARK.match(t):
            break
        if not _PAGE_NOISE.match(t):
            buf.insert(0, t)
        k -= 1
    while buf and AFFIL_WORDS.search(buf[0]) and len(buf[0]) < 160 and not buf[0].endswith("."):
        buf.pop(0)
    return buf, k


def _unmarked_abstract(lines: list[str], anchor: int) -> str:
    """The paragraph just above the first keyword line (BSU style), without the affiliation lines it starts with."""
    k = anchor - 1
    while k >= 0 and not lines[k]:
        k -= 1  # Word documents separate paragraphs with blank lines
    buf, _ = _paragraph_above(lines, k)
    return join_lines(buf)


def _abstracts_before_body(lines: list[str], body: int) -> list[str]:
    """Unmarked abstracts between the by-line/title block and the first body heading ("Введение", "Проблема и ее
    связь…"): up to three paragraphs (one per language), prose without citations, each ending a sentence."""
    out: list[str] = []
    k = body - 1
    while len(out) < 3:
        while k >= 0 and not lines[k]:
            k -= 1
        buf, k = _paragraph_above(lines, k)
        text = join_lines(buf)
        if not (_MIN_ABSTRACT * 2 <= len(text) <= 1500 and text.endswith(".") and not re.search(r"\[\d", text)):
            break
        out.insert(0, text)
    return out


def _add_abstract(md: Metadata, text: str) -> None:
    md.abstracts.setdefault(detect_language(text) or md.language or "ru", text)


def _marked(lines: list[str], md: Metadata) -> list[int]:
    """Keyword lines and marked abstracts; returns the indices of the keyword lines."""
    seen_kw: set[str] = set()
    kw_lines: list[int] = []
    for i, t in enumerate(lines):
        m = KEYWORDS_MARK.match(t)
        if m:
            kw_lines.append(i)
            for k in _split_keywords(_keyword_text(lines, i, t[m.end():])):
                if k.lower() not in seen_kw:
                    seen_kw.add(k.lower())
                    md.keywords.append(k)
            continue
        m = ABSTRACT_MARK.match(t)
        if m:
            body = _collect_paragraph(lines, i, t[m.end():].strip())
            if len(body) >= _MIN_ABSTRACT:
                _add_abstract(md, body)
    return kw_lines


def find_abstracts_keywords(lines: list[str], md: Metadata) -> None:
    """Fill md.abstracts (first one per language) and md.keywords (all languages, de-duplicated, in order)."""
    kw_lines = _marked(lines, md)
    if md.abstracts:
        return
    if kw_lines:
        text = _unmarked_abstract(lines, kw_lines[0])
        if len(text) >= _MIN_UNMARKED_ABSTRACT:
            _add_abstract(md, text)
        return
    body = next((i for i, t in enumerate(lines) if BODY_START.match(t)), None)
    for text in _abstracts_before_body(lines, body) if body is not None else []:
        _add_abstract(md, text)


__all__ = ["find_abstracts_keywords"]
