"""One file in, an ``ExtractedDocument`` out: detect → extract → judge/repair → OCR → clean → metadata → split."""
from __future__ import annotations

import logging
from pathlib import Path

from . import detect
from .errors import UploadError
from .limits import Limits, run_limited
from .types import ExtractedDocument, Page

logger = logging.getLogger(__name__)

# Which text path extract_pdf uses ("pdfium" or "pdfminer"); bench/ingest.py compares both.
extract_pdf_engine = "pdfium"


def _judge_and_repair(raw_pages: list[str]) -> list[Page]:
    from .quality import repair_page

    pages: list[Page] = []
    for i, raw in enumerate(raw_pages, start=1):
        # repair_page also fixes what judge_page does not flag (Latin schwa and look-alikes in Cyrillic words).
        text, problems, repaired = repair_page(raw)
        method = "repaired" if repaired else "text"
        pages.append(Page(number=i, text=text, method=method, problems=list(problems)))
    return pages


def _ocr_bad_pages(path: Path, pages: list[Page], warnings: list[str], allow_ocr: bool) -> bool:
    """OCR the pages without usable text; False when some needed it but Tesseract is not installed."""
    from .quality import judge_page, needs_ocr

    bad = [p.number for p in pages if needs_ocr(p.problems)]
    if not bad:
        return True
    if not allow_ocr:
        warnings.append(f"{len(bad)} page(s) have no usable text and OCR is switched off.")
        return True
    from .extract.ocr import ocr_pdf_pages, tesseract_available

    if not tesseract_available():
        warnings.append(f"{len(bad)} page(s) have no usable text and text recognition (OCR) is not installed; "
                        "they will not be searchable until the file is processed again.")
        return False
    texts = ocr_pdf_pages(path, bad)
    for p in pages:
        if p.number in texts:
            new = texts[p.number]
            p.text, p.method, p.problems = new, "ocr", judge_page(new)
    return True


def extract_file(path: Path, max_pages: int = 3000, allow_ocr: bool = True) -> ExtractedDocument:
    """Everything we can learn from one stored file (runs inside the limited child process)."""
    from .metadata import extract_metadata
    from .quality import clean_pages

    path = Path(path)
    mime = detect.detect_type(path)
    warnings: list[str] = []
    info: dict[str, str] = {}
    font_lines: list[tuple[str, float]] = []
    head: list[str] = []
    ocr_installed = True
    if mime == detect.PDF:
        from .extract.pdf import extract_pdf

        pdf = extract_pdf(path, max_pages=max_pages, engine=extract_pdf_engine)
        info, font_lines, head = pdf.info, pdf.font_lines, pdf.head_pages
        pages = _judge_and_repair(pdf.pages)
        ocr_installed = _ocr_bad_pages(path, pages, warnings, allow_ocr)
    elif mime == detect.DOCX:
        from .extract.docx import extract_docx

        pages = [Page(number=i, text=t, method="docx") for i, t in enumerate(extract_docx(path), start=1)]
    else:
        if not allow_ocr:
            raise UploadError("Images need text recognition (OCR), which is switched off.", "ocr-off")
        from .extract.ocr import ocr_image, tesseract_available

        if not tesseract_available():
            raise UploadError("Text recognition (OCR) is not installed on this server, so images cannot be read.",
                              "ocr-missing")
        pages = [Page(number=1, text=ocr_image(path), method="ocr")]
    raw_texts = [p.text for p in pages]
    cleaned = clean_pages(raw_texts)
    for p, text in zip(pages, cleaned):
        p.text = text
        if not text.strip() and p.method != "ocr":
            p.method = "empty"
    if not any(p.text.strip() for p in pages):
        if mime == detect.PDF and not ocr_installed:
            from .extract.ocr import OCR_MISSING_MESSAGE

            raise UploadError(OCR_MISSING_MESSAGE, "ocr_unavailable")
        raise UploadError("No text could be found in this file (it may be a scan and OCR could not read it).",
                          "no-text")
    unusable = [p.number for p in pages if p.method != "ocr" and "empty" not in p.problems and p.problems]
    if unusable:
        warnings.append(f"Text on page(s) {_ranges(unusable)} may still be wrong ({', '.join(sorted({x for p in pages for x in p.problems}))}).")
    metadata = extract_metadata(_metadata_pages(raw_texts, head), pdf_info=info, font_lines=font_lines)
    doc = ExtractedDocument(mime=mime, pages=pages, metadata=metadata, warnings=warnings)
    if mime == detect.PDF and len(pages) >= 8:
        from .volumes import looks_like_volume, split_volume

        if looks_like_volume(raw_texts):
            volume, articles = split_volume(raw_texts)
            if len(articles) >= 2:
                doc.is_volume, doc.volume, doc.articles = True, volume, articles
    return doc


def _metadata_pages(texts: list[str], head: list[str]) -> list[str]:
    """pdfminer's layout text for the first pages when it is clean (titles and by-lines keep their lines),
    otherwise the repaired or OCR'd text."""
    from .quality import repair_page

    out = list(texts)
    for i, h in enumerate(head[: len(out)]):
        fixed, problems, _ = repair_page(h)
        if not problems and fixed.strip():
            out[i] = fixed
    return out


def _ranges(numbers: list[int]) -> str:
    out: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def process_file(path: Path, limits: Limits = Limits()) -> ExtractedDocument:
    """``extract_file`` in a child process under ``limits``; raises ``UploadError`` with a person-safe message."""
    return run_limited(extract_file, (Path(path), limits.max_pages, limits.ocr), limits)
