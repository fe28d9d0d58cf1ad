"""File type from content, never from the name."""
from __future__ import annotations

import zipfile
from pathlib import Path

from .errors import UploadError

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG, JPEG, TIFF = "image/png", "image/jpeg", "image/tiff"
ACCEPTED = (PDF, DOCX, PNG, JPEG, TIFF)
EXTENSIONS = {PDF: "pdf", DOCX: "docx", PNG: "png", JPEG: "jpg", TIFF: "tif"}


def detect_type(path: Path) -> str:
    """The MIME type of an uploaded file judged by its bytes; ``UploadError`` for anything we can't take."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError as exc:
        raise UploadError("The file could not be read.", "unreadable", str(exc)) from exc
    if not head:
        raise UploadError("The file is empty (0 bytes).", "empty")
    if looks_like_html(head):
        # Checked before the PDF marker: a web page that quotes "%PDF-" (an error page about a PDF) is a web page.
        raise UploadError("This file is a web page (HTML), not a PDF or Word document.", "unsupported-type")
    if b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise UploadError("The file looks like a Word document but is damaged (its zip structure is broken).",
                              "damaged-docx", str(exc)) from exc
        if "word/document.xml" in names:
            return DOCX
        raise UploadError("This zip file is not a Word (.docx) document.", "unsupported-type")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return TIFF
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError("Old Word (.doc) files are not supported; save it as .docx or PDF and upload again.",
                          "unsupported-type")
    raise not_supported()


def not_supported() -> UploadError:
    """The error for content that is none of the accepted types."""
    return UploadError("This file is not a PDF, Word (.docx) document or image.", "unsupported-type")


_HTML_STARTS = (b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<meta", b"<title", b"<!--")


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes start like markup (HTML, XML), whatever they contain further on."""
    lowered = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return lowered.startswith(_HTML_STARTS)
