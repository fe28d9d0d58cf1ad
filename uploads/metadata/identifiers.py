"""Identifiers printed on the first pages: УДК/ӘОЖ, ББК, ISBN (checksum-validated), DOI."""
from __future__ import annotations

import re

from uploads.text import UDC_RE, norm_ws
from uploads.types import Metadata

_BBK_RE = re.compile(r"ББК\s*[:.]?\s*([0-9А-Яа-яA-Za-z][0-9А-Яа-яЁёA-Za-z.:;()\-+ ]{0,40})")
_ISBN_RE = re.compile(r"ISBN(?:-1[03])?\s*[:.]?\s*((?:97[89][\s\-–]?)?\d[\d\s\-–]{7,15}[\dXxХх])")
_DOI_RE = re.compile(r"(?:doi\.org/|DOI\s*:?\s*)?(10\.\d{4,9}/[^\s\"<>«»]+)", re.IGNORECASE)


def isbn_ok(digits: str) -> bool:
    """True when an ISBN-10 or ISBN-13 (digits only, X allowed last) has a valid check digit."""
    if len(digits) == 10:
        total = sum((10 - i) * (10 if c in "Xx" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def find_ids(text: str, md: Metadata) -> None:
    """Fill md.udc, md.bbk, md.isbn and md.doi from ``text``."""
    m = UDC_RE.search(text)
    if m:
        udc = re.split(r"\s{2,}", m.group(1))[0].strip(" ,;")
        md.udc = re.sub(r"\s+", " ", udc).replace("–", "-")
    m = _BBK_RE.search(text)
    if m:
        md.bbk = norm_ws(m.group(1).split("\n")[0]).strip(" ,;")
    for m in _ISBN_RE.finditer(text):
        raw = m.group(1).replace("Х", "X").replace("х", "x").replace("–", "-")
        digits = re.sub(r"[^\dXx]", "", raw)
        if isbn_ok(digits):
            md.isbn = re.sub(r"\s+", "", raw).upper()
            break
    m = _DOI_RE.search(text)
    if m:
        md.doi = m.group(1).rstrip(".,;:)]}")
