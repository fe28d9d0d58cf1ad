"""Cheap checks before a file is queued: the refusals that need no text extraction, and an OCR estimate.

``precheck`` runs in the web request. It opens the document (PDFium, the zip directory and one XML part,
an image header) and reads the text layer of a few sample pages; it never extracts the whole file.
"""
from __future__ import annotations

import logging
import os
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import detect
from .errors import UploadError
from .limits import Limits

logger = logging.getLogger(__name__)

__all__ = ["Precheck", "precheck", "SAMPLE_PAGES"]

SAMPLE_PAGES = 6       # PDF pages whose text layer may be looked at for the OCR estimate
SAMPLE_SECONDS = 0.03  # ...but no new one is started after this (a text page loads in ~5-25 ms)
SAMPLE_CHARS = 1500    # judged per sampled page: ~200 words, enough to tell a broken text layer


@dataclass(frozen=True)
class Precheck:
    """What a quick look at a file found: its type, its pages and how many of them probably need OCR."""

    mime: str
    page_count: int
    likely_ocr_pages: int          # estimate for the whole file (0: the text layer serves every sampled page)
    sampled_pages: int = 0         # pages whose text layer was looked at
    text_layer: bool = False       # some sampled page carries text of its own

    @property
    def needs_ocr(self) -> bool:
        """True when extraction will probably run OCR (a slow queue is the right place for the file)."""
        return self.likely_ocr_pages > 0


def precheck(path: Path, max_bytes: int, limits: Limits = Limits()) -> Precheck:
    """Refuse what can be refused without extracting (``UploadError`` with the usual messages); else a ``Precheck``."""
    path = Path(path)
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise UploadError("The file could not be read.", "unreadable", str(exc)) from exc
    if size == 0:
        raise UploadError("The file is empty (0 bytes).", "empty")
    if max_bytes and size > max_bytes:
        raise UploadError("The file is larger than %(mb)d MB, the most the archive accepts for one file.",
                          "too-big", f"{size} bytes", params={"mb": round(max_bytes / (1024 * 1024))})
    mime = detect.detect_type(path)
    if mime == detect.PDF:
        return _pdf(path, limits)
    if mime == detect.DOCX:
        return _docx(path)
    return _image(path, mime, limits)


def _pdf(path: Path, limits: Limits) -> Precheck:
    import pypdfium2 as pdfium

    from .extract.pdf import PDFIUM_LOCK, open_pdf, page_count, read_page
    from .quality import repair_page, wants_ocr

    with PDFIUM_LOCK:                    # other threads of this process may be looking at other uploads
        doc = open_pdf(path)
        try:
            n = page_count(doc, limits.max_pages)
            started = time.perf_counter()
            ocr = with_text = sampled = 0
            for index in _sample_order(n):
                if sampled and time.perf_counter() - started > SAMPLE_SECONDS:
                    break
                raw, picture = read_page(doc, index, max_chars=SAMPLE_CHARS)
                text, problems, _ = repair_page(raw)
                ocr += wants_ocr(text, problems, picture)
                with_text += bool(text.strip())
                sampled += 1
        except pdfium.PdfiumError as exc:
            raise UploadError("The PDF is damaged and cannot be read.", "damaged", repr(exc)) from exc
        finally:
            doc.close()
    likely = 0 if not ocr else max(1, round(ocr * n / sampled))
    return Precheck(detect.PDF, n, likely, sampled, with_text > 0)


def _sample_order(n: int) -> list[int]:
    """0-based pages to look at, most telling first: the middle (a body page, never the cover), the first,
    the last, then between them."""
    spread = [n // 2, 0, n - 1, n // 4, (3 * n) // 4, n // 8]
    return list(dict.fromkeys(i for i in spread if 0 <= i < n))[:SAMPLE_PAGES]


def _docx(path: Path) -> Precheck:
    from lxml import etree

    from .extract.docx import WORD_NS, check_zip, defuse_xml, xml_parser

    check_zip(path)
    try:
        with zipfile.ZipFile(path) as zf:
            root = etree.fromstring(defuse_xml(zf.read("word/document.xml")), xml_parser())
    except Exception as exc:  # noqa: BLE001 - a broken zip entry or XML: the same words as extraction uses
        raise UploadError("The Word document is damaged and cannot be read.", "damaged-docx", repr(exc)) from exc
    breaks = root.xpath("count(//w:p[.//w:lastRenderedPageBreak or .//w:br[@w:type='page']])",
                        namespaces={"w": WORD_NS})
    return Precheck(detect.DOCX, 1 + int(breaks), 0, 0, True)


def _image(path: Path, mime: str, limits: Limits) -> Precheck:
    from PIL import Image

    if not limits.ocr or limits.ocr_max_pages < 1:
        raise UploadError("Images need text recognition (OCR), which is switched off.", "ocr-off")
    try:
        with Image.open(path) as im:
            frames = int(getattr(im, "n_frames", 1) or 1)
            im.verify()
    except Image.DecompressionBombError as exc:
        raise UploadError("The image is too large to be read (too many pixels).", "too-big", str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for a broken image
        raise UploadError("The image is damaged and cannot be read.", "damaged-image", repr(exc)) from exc
    return Precheck(mime, frames, frames, 0, False)
