"""Word (.docx) text through python-docx: paragraphs, tables and footnotes, in document order."""
from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from ..errors import UploadError

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED = 200 * 1024 * 1024     # a real article is a few MB unpacked; more is a zip bomb
MAX_RATIO = 200
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError("The Word document is damaged (it is not a valid .docx zip file).",
                          "damaged-docx", repr(exc)) from exc
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNCOMPRESSED or (total > 10 * 1024 * 1024 and total / packed > MAX_RATIO):
        raise UploadError("The Word document unpacks to an unreasonable size (a 'zip bomb'); it was not opened.",
                          "zip-bomb", f"uncompressed={total} packed={packed}")


def _footnotes(document) -> list[str]:
    out: list[str] = []
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/footnotes") and not rel.is_external:
            from lxml import etree

            root = etree.fromstring(rel.target_part.blob)
            for fn in root.iter(f"{_W}footnote"):
                if fn.get(f"{_W}type") in ("separator", "continuationSeparator"):
                    continue
                text = "".join(t.text or "" for t in fn.iter(f"{_W}t")).strip()
                if text:
                    out.append(text)
    return out


def extract_docx(path: Path) -> list[str]:
    """Pages of text: split at rendered or explicit page breaks when the file records them."""
    _check_zip(path)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(str(path))
        pages: list[list[str]] = [[]]
        body = document.element.body
        for child in body.iterchildren():
            if child.tag == f"{_W}p":
                para = Paragraph(child, document)
                xml_breaks = child.xpath(".//w:lastRenderedPageBreak | .//w:br[@w:type='page']")
                if xml_breaks and pages[-1]:
                    pages.append([])
                if para.text.strip():
                    pages[-1].append(para.text.strip())
            elif child.tag == f"{_W}tbl":
                table = Table(child, document)
                for row in table.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        t = cell.text.strip()
                        if t and (not cells or cells[-1] != t):   # merged cells repeat their text
                            cells.append(t)
                    if cells:
                        pages[-1].append(" | ".join(cells))
        notes = _footnotes(document)
        if notes:
            pages[-1].append("\n".join(notes))
    except UploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on damaged files
        # python-docx loads every part the package lists: one missing image, theme or docProps part and it
        # refuses the whole file. The text lives in word/document.xml alone; read it from there if it is intact.
        plain = _document_xml_pages(path)
        if not plain:
            raise UploadError("The Word document is damaged and cannot be read.", "damaged-docx", repr(exc)) from exc
        logger.warning("python-docx could not open %s (%r); text read from word/document.xml", path, exc)
        return plain
    texts = ["\n\n".join(p) for p in pages]
    return [t for t in texts if t.strip()] or [""]


def _document_xml_pages(path: Path) -> list[str]:
    """Paragraph text straight from word/document.xml (no other part needed); [] when that is unreadable too."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("word/document.xml")
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except Exception:  # noqa: BLE001 - a missing or broken document part: the caller reports the damage
        return []
    body = root.find(f"{_W}body")
    if body is None:
        return []
    pages: list[list[str]] = [[]]
    for para in body.iter(f"{_W}p"):
        if pages[-1] and para.xpath(".//w:lastRenderedPageBreak | .//w:br[@w:type='page']",
                                    namespaces={"w": _W[1:-1]}):
            pages.append([])
        text = "".join(t.text or "" for t in para.iter(f"{_W}t")).strip()
        if text:
            pages[-1].append(text)
    return [t for t in ("\n\n".join(p) for p in pages) if t.strip()]
