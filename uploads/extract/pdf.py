"""PDF text page by page with pdfminer.six, plus first-page font sizes for the title."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UploadError

logger = logging.getLogger(__name__)


@dataclass
class PdfText:
    """Raw per-page text, the document info dictionary and (line, font size) pairs of page 1."""

    pages: list[str]
    info: dict[str, str] = field(default_factory=dict)
    font_lines: list[tuple[str, float]] = field(default_factory=list)


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


def extract_pdf(path: Path, max_pages: int = 3000) -> PdfText:
    """Text of every page (blank lines between text boxes) using pdfminer.six's layout analysis."""
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
                if i >= max_pages:
                    raise UploadError(f"This PDF has more than {max_pages} pages, the limit for one file. "
                                      "Split it into parts and upload them separately.", "too-many-pages")
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
