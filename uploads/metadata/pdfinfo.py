"""What the PDF /Info dictionary says, trusted only where page 1 confirms it."""
from __future__ import annotations

import re

from uploads.text import LOL, UPL, letters, norm_ws, split_author_line
from uploads.types import Author

_JUNK_TITLE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint)\s*-|untitled|без\s+названия|документ\d*|document\d*|doc\d*|"
    r"title|новый документ|презентация|slide|pdf)|\.(?:docx?|rtf|odt|pdf|tex|indd|qxd|p65|cdr)\s*$|^[\w\-. ]{0,4}$",
    re.IGNORECASE,
)


def info_str(pdf_info: dict | None, key: str) -> str:
    """One /Info value as clean text ("" when absent); byte strings are decoded."""
    if not pdf_info:
        return ""
    v = pdf_info.get(key) or pdf_info.get(key.lstrip("/")) or pdf_info.get("/" + key.lstrip("/"))
    if v is None:
        return ""
    if isinstance(v, bytes):
        for enc in ("utf-16", "utf-8", "cp1251", "latin-1"):
            try:
                v = v.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    return norm_ws(str(v))


def info_title(pdf_info: dict | None, first_page: str) -> str:
    """/Title when it is not a file name or an editor's default and its words appear on page 1."""
    s = info_str(pdf_info, "/Title")
    if not s or _JUNK_TITLE.search(s) or letters(s) < 8 or " " not in s:
        return ""
    # Only trust it if its words appear on the first page (otherwise it is often another document's title).
    words = [w.lower() for w in re.findall(rf"[{UPL}{LOL}]{{4,}}", s)]
    if not words:
        return ""
    page_low = first_page.lower()
    hit = sum(1 for w in words if w in page_low)
    return s if hit / len(words) >= 0.7 else ""


def info_authors(pdf_info: dict | None, first_page: str) -> list[Author]:
    """/Author names whose surnames appear on page 1."""
    s = info_str(pdf_info, "/Author")
    if not s or letters(s) < 4:
        return []
    authors, other = split_author_line(s, allow_two_words=True)
    if other:
        return []
    page_low = first_page.lower()
    return [a for a in authors if a.surname and a.surname.lower() in page_low]
