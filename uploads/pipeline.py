"""One file in, an ``ExtractedDocument`` out: detect → extract → judge/repair → OCR → clean → split → metadata.

Everything here runs inside the limited child (``process_file``), so its time and memory limits cover the
whole extraction, per-article metadata included.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

from . import detect, progress
from .errors import Message, N_, UploadError
from .limits import Limits, run_limited
from .types import ArticleSpan, ExtractedDocument, Metadata, Page

logger = logging.getLogger(__name__)

# Which text path extract_pdf uses ("pdfium" or "pdfminer"); bench/ingest.py compares both.
extract_pdf_engine = "pdfium"

# Share of the time limit OCR may use; the rest is kept for cleaning, splitting and metadata, so a long
# scan ends with its first pages recognised and a warning instead of a timeout that loses everything.
OCR_TIME_SHARE = 0.8

# Warning templates: translated where they are shown, the values filled in after translation.
OCR_BUDGET_WARNING = N_("Pages %(pages)s were not read by text recognition (OCR): this file has %(needed)d pages "
                      "without a usable text layer and at most %(limit)d are recognised per file. They are kept "
                      "without text and cannot be found by search; upload the file in smaller parts to have "
                      "them recognised.")
OCR_TIME_WARNING = N_("Pages %(pages)s were not read by text recognition (OCR) because the time limit for one file "
                    "was reached. They are kept without text and cannot be found by search; upload the file in "
                    "smaller parts to have them recognised.")


def _judge_and_repair(raw_pages: list[str]) -> list[Page]:
    from .quality import repair_page

    pages: list[Page] = []
    for i, raw in enumerate(raw_pages, start=1):
        # repair_page also fixes what judge_page does not flag (Latin schwa and look-alikes in Cyrillic words).
        text, problems, repaired = repair_page(raw)
        method = "repaired" if repaired else "text"
        pages.append(Page(number=i, text=text, method=method, problems=list(problems)))
    return pages


def ocr_candidates(pages: list[Page], pictures: list[bool | None]) -> list[int]:
    """Numbers of the PDF pages that should be OCR'd (see ``quality.wants_ocr``)."""
    from .quality import wants_ocr

    seen = list(pictures) + [None] * (len(pages) - len(pictures))
    return [p.number for p, pic in zip(pages, seen) if wants_ocr(p.text, p.problems, pic)]


def _ocr_bad_pages(path: Path, pages: list[Page], pictures: list[bool | None], warnings: list[str],
                   allow_ocr: bool, max_pages: int, stop_at: float | None) -> bool:
    """OCR the pages without usable text; False when some needed it but Tesseract is not installed."""
    from .quality import judge_page

    bad = ocr_candidates(pages, pictures)
    if not bad:
        return True
    if not allow_ocr:
        warnings.append(Message("%(n)d page(s) have no usable text and OCR is switched off.", n=len(bad)))
        return True
    from .extract.ocr import ocr_pdf_pages, tesseract_available

    if not tesseract_available():
        warnings.append(Message("%(n)d page(s) have no usable text and text recognition (OCR) is not installed; "
                                "they will not be searchable until the file is processed again.", n=len(bad)))
        return False
    wanted = bad[: max(0, max_pages)]
    texts = ocr_pdf_pages(path, wanted, stop_at=stop_at) if wanted else {}
    for p in pages:
        if p.number in texts:
            new = texts[p.number]
            p.text, p.method, p.problems = new, "ocr", judge_page(new)
    over_budget = bad[len(wanted):]
    out_of_time = [n for n in wanted if n not in texts]
    if over_budget:
        warnings.append(Message(OCR_BUDGET_WARNING, pages=_ranges(over_budget), needed=len(bad),
                                limit=max(0, max_pages)))
    if out_of_time:
        warnings.append(Message(OCR_TIME_WARNING, pages=_ranges(out_of_time)))
    return True


def extract_file(path: Path, max_pages: int = 3000, allow_ocr: bool = True, ocr_max_pages: int = 300,
                 seconds: float | None = None) -> ExtractedDocument:
    """Everything we can learn from one stored file (runs inside the limited child process).

    ``ocr_max_pages`` caps the pages sent to OCR; ``seconds`` is the time limit the caller enforces, of
    which OCR may use ``OCR_TIME_SHARE``. Pages left out either way are named in a warning.
    """
    from .quality import clean_pages

    started = time.monotonic()
    ocr_stop = started + OCR_TIME_SHARE * seconds if seconds else None
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
        ocr_installed = _ocr_bad_pages(path, pages, pdf.pictures, warnings, allow_ocr, ocr_max_pages, ocr_stop)
    elif mime == detect.DOCX:
        from .extract.docx import docx_properties, extract_docx

        pages = [Page(number=i, text=t, method="docx") for i, t in enumerate(extract_docx(path), start=1)]
        info = docx_properties(path)          # the file's own dates: a year when nothing printed gives one
        progress.report("read", len(pages), len(pages))
    else:
        if not allow_ocr or ocr_max_pages < 1:
            raise UploadError("Images need text recognition (OCR), which is switched off.", "ocr-off")
        from .extract.ocr import ocr_image, tesseract_available

        if not tesseract_available():
            raise UploadError("Text recognition (OCR) is not installed on this server, so images cannot be read.",
                              "ocr-missing")
        progress.report("ocr", 0, 1)
        pages = [Page(number=1, text=ocr_image(path), method="ocr")]
        progress.report("ocr", 1, 1)
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
        warnings.append(Message("Text on page(s) %(pages)s may still be wrong (%(problems)s).", pages=_ranges(unusable),
                                problems=", ".join(sorted({x for p in pages for x in p.problems}))))
    doc = ExtractedDocument(mime=mime, pages=pages, metadata=Metadata(), warnings=warnings)
    if mime == detect.PDF and len(pages) >= 8:
        from .volumes import looks_like_volume, split_volume

        if looks_like_volume(raw_texts):
            volume, articles = split_volume(raw_texts)
            if len(articles) >= 2:
                doc.is_volume, doc.volume, doc.articles = True, volume, articles
                progress.report("split", len(articles), len(articles))
    _fill_metadata(doc, _metadata_pages(raw_texts, head), info, font_lines)
    _find_references(doc)
    return strip_strings(doc)


def _find_references(doc: ExtractedDocument) -> None:
    """The reference lists of the document, or of each article of a volume (cheap: pure string work).

    ``UPLOADS_REFERENCES=off`` in the environment skips it (the benchmark compares both); a failure here
    never fails the upload: the lists are left empty and the log says why.
    """
    if os.environ.get("UPLOADS_REFERENCES", "").lower() in ("off", "0", "no"):
        return
    from .references import find_reference_lists, volume_reference_lists

    texts = [p.text for p in doc.pages]
    try:
        if doc.is_volume and doc.articles:
            for span, lists in zip(doc.articles, volume_reference_lists(texts, doc.articles)):
                span.references = lists
        else:
            doc.references = find_reference_lists(texts)
    except Exception:  # noqa: BLE001 - references are an extra; the text and metadata stand without them
        logger.exception("reference lists could not be read")


def _fill_metadata(doc: ExtractedDocument, head_texts: list[str], info: dict[str, str],
                   font_lines: list[tuple[str, float]]) -> None:
    """The document's metadata, then each proposed article's (reported as stage "metadata")."""
    from .metadata import extract_metadata

    total = 1 + len(doc.articles)
    progress.report("metadata", 0, total)
    doc.metadata = extract_metadata(head_texts, pdf_info=info, font_lines=font_lines)
    progress.report("metadata", 1, total)
    if not doc.articles:
        return
    volume_year = (doc.volume.year if doc.volume else None) or doc.metadata.year
    for i, span in enumerate(doc.articles, start=2):
        texts = [p.text for p in doc.pages[span.first_page - 1: span.last_page]]
        span.metadata = article_metadata(extract_metadata(texts), span, doc.metadata.language, volume_year)
        progress.report("metadata", i, total)


def article_metadata(found: Metadata, span: ArticleSpan, volume_language: str, volume_year: int | None) -> Metadata:
    """An article's metadata inside a volume: the TOC's title and authors win over what its pages suggest,
    the volume's year wins, and its language fills a gap."""
    if span.title:
        found.title = span.title
    if span.authors:
        found.authors = list(span.authors)
    found.language = found.language or volume_language
    found.year = volume_year or found.year
    return found


def strip_strings(obj: Any) -> Any:
    """``obj`` with ``quality.strip_xml_forbidden`` applied to every string inside it (dataclasses, lists,
    dicts, tuples), in place where the container allows; new dataclass fields are covered without listing them."""
    from .quality import strip_xml_forbidden

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return strip_xml_forbidden(value)
        if isinstance(value, list):
            value[:] = [walk(v) for v in value]
            return value
        if isinstance(value, tuple):
            return tuple(walk(v) for v in value)
        if isinstance(value, dict):
            items = [(walk(k), walk(v)) for k, v in value.items()]
            value.clear()
            value.update(items)
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                setattr(value, f.name, walk(getattr(value, f.name)))
            return value
        return value

    return walk(obj)


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


def _ranges(numbers: list[int], most: int = 12) -> str:
    """"3, 7–9, 12" for [3, 7, 8, 9, 12]; past ``most`` ranges the rest is counted, not listed."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:  # type: ignore[list-item]
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    if len(out) > most:
        listed = out[:most]
        rest = len(numbers) - sum(1 for n in numbers if n <= int(listed[-1].split("–")[-1]))
        return ", ".join(listed) + f" and {rest} more"
    return ", ".join(out)


def process_file(path: Path, limits: Limits = Limits(),
                 on_progress: Callable[[dict], None] | None = None) -> ExtractedDocument:
    """``extract_file`` in a child process under ``limits``; raises ``UploadError`` with a person-safe message.

    ``on_progress(event)`` (optional) is called in this process with ``{"stage": "read"|"ocr"|"split"|
    "metadata", "done": n, "total": m}`` as the child works: pages read, pages OCR'd, articles found, metadata
    records made (the document's, then each article's). At most about four events a second.
    """
    args = (Path(path), limits.max_pages, limits.ocr, limits.ocr_max_pages, limits.seconds)
    return run_limited(extract_file, args, limits, on_progress=on_progress)
