"""PDF text page by page with pdfminer.six, plus first-page font sizes for the title."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UploadError

logger = logging.getLogger(__name__)

HEAD_PAGES = 3      # pages whose pdfminer layout text feeds the metadata guess
# PDFium allows one call at a time in a process, even on different documents (pypdfium2's documentation: calls
# from several threads at once crash or corrupt the process). A web worker's threads look at uploads at the same
# time (``uploads.admission``): each holds this lock from opening its document to closing it. Eight threads
# without it: most valid PDFs refused as damaged, or "double free or corruption" and the worker gone.
PDFIUM_LOCK = threading.RLock()


@dataclass
class PdfText:
    """Raw per-page text, the document info dictionary and (line, font size) pairs of page 1."""

    pages: list[str]
    info: dict[str, str] = field(default_factory=dict)
    font_lines: list[tuple[str, float]] = field(default_factory=list)
    head_pages: list[str] = field(default_factory=list)   # pdfminer's layout text of the first pages
    # Per page: does it draw something OCR could read (a scan-sized image, many vector paths)? Only asked of
    # pages with little text; None where nobody asked (long pages, the pdfminer engine).
    pictures: list[bool | None] = field(default_factory=list)


def _decode_info(value) -> str:
    from pdfminer.utils import decode_text

    try:
        if isinstance(value, bytes):
            return decode_text(value).strip("\x00 ").strip()
        return str(value).strip()
    except Exception:  # noqa: BLE001 - info values are often junk; junk is dropped
        return ""


def _line_size(line) -> float:
    from pdfminer.layout import LTChar

    sizes = [ch.size for ch in line if isinstance(ch, LTChar)]
    return round(sum(sizes) / len(sizes), 1) if sizes else 0.0


def too_many_pages(max_pages: int) -> str:
    """The message for a PDF over the page limit."""
    return f"This PDF has more than {max_pages} pages, the limit for one file. Split it into parts and upload them separately."


def extract_pdf(path: Path, max_pages: int = 3000, engine: str = "pdfium") -> PdfText:
    """Text of every page, paragraphs separated by blank lines.

    ``engine="pdfium"`` (default) takes the page text from PDFium's text layer (8-30x faster than
    pdfminer.six and it keeps mis-encoded fonts repairable) and uses pdfminer.six only for the layout
    work on page 1 (font sizes for the title) and the document info; ``engine="pdfminer"`` does
    everything with pdfminer.six's layout analysis. bench/ingest.py measures both.
    """
    if engine == "pdfium":
        pages, pictures = _pdfium_pages(path, max_pages)
        try:
            head = _pdfminer_pages(path, max_pages=HEAD_PAGES, first_only=True)
        except UploadError:
            return PdfText(pages=pages, pictures=pictures)
        return PdfText(pages=pages, info=head.info, font_lines=head.font_lines, head_pages=head.pages,
                       pictures=pictures)
    return _pdfminer_pages(path, max_pages)


def _pdfium_lines(textpage) -> list[tuple[float, float, float, float, str]]:
    """Lines of PDFium's own text (left, bottom, right, top, text); positions from each line's first char."""
    n = textpage.count_chars()
    if n <= 0:
        return []
    text = textpage.get_text_range(0, n)
    if len(text) != n:        # characters outside the BMP: offsets no longer match char indices
        return [(0.0, 0.0, 0.0, 0.0, _soft_hyphens(ln)) for ln in text.replace("\r\n", "\n").split("\n")]
    lines: list[tuple[float, float, float, float, str]] = []
    start = 0
    for raw in text.split("\r\n"):
        body = _soft_hyphens(raw)
        stripped = body.strip()
        if stripped:
            first = start + (len(body) - len(body.lstrip()))
            last = start + len(body.rstrip()) - 1
            l1, b1, r1, t1 = textpage.get_charbox(first)
            l2, b2, r2, t2 = textpage.get_charbox(max(first, last))
            lines.append((min(l1, l2), min(b1, b2), max(r1, r2), max(t1, t2), stripped))
        start += len(raw) + 2
    return lines


def _soft_hyphens(line: str) -> str:
    """PDFium marks soft hyphens with U+0002 or U+FFFE (not allowed in XML); make them U+00AD."""
    return line.replace("\x02", "\u00ad").replace("\ufffe", "\u00ad")


PICTURE_MIN_PIXELS = 250_000   # a scan of a page has millions; a logo or a small figure far fewer
PICTURE_MIN_PATHS = 50         # text drawn as outlines, or a drawing with labels worth recognising


def _has_picture(page) -> bool:
    """Whether a page draws a scan-sized image or many vector paths (objects inside forms included)."""
    import pypdfium2.raw as pdfium_c

    paths = 0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH,
                                        pdfium_c.FPDF_PAGEOBJ_SHADING)):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            try:
                w, h = obj.get_px_size()
            except Exception:  # noqa: BLE001 - an image PDFium cannot size may still render: count it
                return True
            if w * h >= PICTURE_MIN_PIXELS:
                return True
        else:
            paths += 1
            if paths >= PICTURE_MIN_PATHS:
                return True
    return False


def _pdfium_page_text(textpage) -> str:
    """Lines joined with newlines; a blank line where spacing, indentation or a short line ends a paragraph."""
    lines = _pdfium_lines(textpage)
    if not lines:
        return ""
    heights = sorted(t - b for _l, b, _r, t, _x in lines)
    h = max(heights[len(heights) // 2], 4.0)
    lefts = sorted(l for l, *_ in lines)
    margin = lefts[len(lefts) // 5]
    right_edge = max(r for _l, _b, r, _t, _x in lines)
    out: list[str] = [lines[0][4]]
    for prev, cur in zip(lines, lines[1:]):
        vgap = prev[1] - cur[3]
        new_para = (
            vgap > 1.2 * h or vgap < -3 * h                      # extra spacing, or a jump (new column/box)
            or (cur[0] > margin + 1.2 * h and prev[4].endswith((".", "!", "?", ":", "»", '"'))
                and prev[2] < right_edge - 2 * h)
            or (cur[0] > margin + 1.2 * h and prev[0] <= margin + 2)
        )
        out.append(("\n\n" if new_para else "\n") + cur[4])
    return "".join(out)


def _loadable_pages(doc, limit: int) -> int:
    """Number of leading pages of a PDFium document that load, counting at most ``limit``."""
    import pypdfium2 as pdfium

    for i in range(limit):
        try:
            doc[i].close()
        except pdfium.PdfiumError:
            return i
    return limit


def open_pdf(path: Path):
    """The file as a pypdfium2 document; ``UploadError`` when PDFium cannot open it (password, damage)."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UploadError("This PDF is protected by a password. Remove the protection and upload it again.",
                              "encrypted", repr(exc)) from exc
        with open(path, "rb") as fh:
            starts_as_pdf = fh.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n\x00").startswith(b"%PDF-")
        if not starts_as_pdf:
            # "%PDF-" somewhere in the first kilobyte made it look like one; nothing PDFium can open is a PDF.
            from ..detect import not_supported

            raise not_supported() from exc
        raise UploadError("The PDF is damaged or incomplete and cannot be read.", "damaged", repr(exc)) from exc


def page_count(doc, max_pages: int) -> int:
    """Pages of an open pypdfium2 document; ``UploadError`` for none or more than ``max_pages``."""
    n = len(doc)
    if n > max_pages:
        # The page count comes from the page tree's /Count, which a damaged file may inflate (a 4-page
        # article claiming a million pages): count the pages that really load before refusing.
        n = _loadable_pages(doc, max_pages + 1)
        if n == 0:
            raise UploadError("The PDF is damaged and cannot be read.", "damaged", "no page loads")
    if n > max_pages:
        raise UploadError(too_many_pages(max_pages), "too-many-pages")
    if n == 0:
        raise UploadError("The PDF has no pages.", "no-pages")
    return n


def read_page(doc, index: int, max_chars: int | None = None) -> tuple[str, bool | None]:
    """Text of one 0-based page and, when it holds little text, whether it shows a picture (else None).

    With ``max_chars`` only the first characters are taken, as PDFium gives them (no line layout): enough
    to judge the text layer quickly.
    """
    from ..quality import little_text

    page = doc[index]
    try:
        tp = page.get_textpage()
        try:
            if max_chars is None:
                text = _pdfium_page_text(tp)
            else:
                count = min(tp.count_chars(), max_chars)
                text = _soft_hyphens(tp.get_text_range(0, count)) if count > 0 else ""
        finally:
            tp.close()
        return text, (_has_picture(page) if little_text(text) else None)
    finally:
        page.close()


def _pdfium_pages(path: Path, max_pages: int) -> tuple[list[str], list[bool | None]]:
    """Page texts and, for pages with little text, whether they show a picture."""
    import pypdfium2 as pdfium

    from .. import progress

    doc = open_pdf(path)
    try:
        n = page_count(doc, max_pages)
        pages: list[str] = []
        pictures: list[bool | None] = []
        for i in range(n):
            progress.report("read", i, n)
            text, picture = read_page(doc, i)
            pages.append(text)
            pictures.append(picture)
        progress.report("read", n, n)
        return pages, pictures
    except pdfium.PdfiumError as exc:
        raise UploadError("The PDF is damaged and cannot be read.", "damaged", repr(exc)) from exc
    finally:
        doc.close()


def _pdfminer_pages(path: Path, max_pages: int = 3000, first_only: bool = False) -> PdfText:
    # first_only: read just the first ``max_pages`` pages (the metadata head), never an error for more.
    """pdfminer.six layout analysis: page texts (text boxes separated by blank lines) and page-1 font sizes."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
    from pdfminer.pdfdocument import PDFDocument, PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser, PDFSyntaxError
    from pdfminer.psexceptions import PSException

    try:
        with open(path, "rb") as fh:
            parser = PDFParser(fh)
            try:
                doc = PDFDocument(parser)
            except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
                raise UploadError("This PDF is protected by a password. Remove the protection and upload it again.",
                                  "encrypted", repr(exc)) from exc
            if not doc.is_extractable:
                logger.info("%s forbids text extraction; extracting anyway for the archive's own index", path)
            info: dict[str, str] = {}
            for d in doc.info or []:
                for k, v in d.items():
                    info[str(k)] = _decode_info(v)
            rsrc = PDFResourceManager(caching=True)
            laparams = LAParams(line_margin=0.5, char_margin=2.0, word_margin=0.1, boxes_flow=0.5)
            device = PDFPageAggregator(rsrc, laparams=laparams)
            interp = PDFPageInterpreter(rsrc, device)
            pages: list[str] = []
            font_lines: list[tuple[str, float]] = []
            for i, page in enumerate(PDFPage.create_pages(doc)):
                if first_only and i >= max_pages:
                    break
                if i >= max_pages:
                    raise UploadError(too_many_pages(max_pages), "too-many-pages")
                interp.process_page(page)
                layout = device.get_result()
                boxes: list[str] = []
                for el in layout:
                    if isinstance(el, LTTextContainer):
                        txt = el.get_text().strip("\n")
                        if txt.strip():
                            boxes.append(txt)
                        if i == 0:
                            for line in el:
                                if isinstance(line, LTTextLine) and line.get_text().strip():
                                    font_lines.append((line.get_text().strip(), _line_size(line)))
                pages.append("\n\n".join(boxes))
    except UploadError:
        raise
    except (PDFSyntaxError, PSException) as exc:
        raise UploadError("The PDF is damaged or incomplete and cannot be read.", "damaged", repr(exc)) from exc
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError, OSError) as exc:
        raise UploadError("The PDF is damaged and cannot be read.", "damaged", repr(exc)) from exc
    if not pages:
        raise UploadError("The PDF has no pages.", "no-pages")
    return PdfText(pages=pages, info=info, font_lines=font_lines)
