"""Word (.docx) text through python-docx: paragraphs, tables and footnotes, in document order."""
from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

from ..errors import UploadError

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED = 200 * 1024 * 1024     # a real article is a few MB unpacked; more is a zip bomb
MAX_RATIO = 200
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = "{" + WORD_NS + "}"


def check_zip(path: Path) -> None:
    """Refuse a .docx that is not a zip or unpacks to an unreasonable size (a zip bomb)."""
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


def xml_parser(**options):
    """An lxml parser for untrusted Office XML: no entity expansion, no DTD, no network, no huge trees.

    Word never writes a DTD; one in a part is an attack (billion laughs, an external entity reading a
    local file into the footnotes) and is ignored, entity references included.
    """
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, attribute_defaults=False, **options)


# A document type declaration with its internal subset (entity values may hold "]" or ">" inside quotes).
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\b(?:[^\[>]|\[(?:[^\]\"']|\"[^\"]*\"|'[^']*')*\])*>", re.I)
# References to entities other than XML's five and character references: only a DTD could define them.
_DECLARED_ENTITY_RE = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);|#[0-9]+;|#x[0-9a-fA-F]+;)[A-Za-z_][\w.\-]*;")


def defuse_xml(data: bytes) -> bytes:
    """XML without its DTD and without references to the entities only a DTD could declare.

    libxml2 refuses an entity bomb even when told not to expand it, which would lose the whole part;
    without the declaration the part reads as Word wrote it and the attack is simply gone.
    """
    if not re.search(rb"<!DOCTYPE", data, re.I):
        return data
    return _DECLARED_ENTITY_RE.sub(b"", _DOCTYPE_RE.sub(b"", data, count=1))


def _is_xml_part(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def _defused_package(path: Path) -> io.BytesIO | None:
    """The package rebuilt in memory with every XML part defused, or None when no part carries a DTD."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if not any(_is_xml_part(i.filename) and re.search(rb"<!DOCTYPE", zf.read(i), re.I) for i in infos):
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as clean:
            for info in infos:
                data = zf.read(info)
                clean.writestr(info.filename, defuse_xml(data) if _is_xml_part(info.filename) else data)
    out.seek(0)
    return out


def _harden_python_docx() -> None:
    """Give python-docx's two module parsers the hardened settings (its own omit no_network/load_dtd/huge_tree)."""
    import docx.opc.oxml
    import docx.oxml.parser

    for module in (docx.oxml.parser, docx.opc.oxml):
        if getattr(module, "_kelisim_hardened", False):
            continue
        parser = xml_parser(remove_blank_text=True)
        parser.set_element_class_lookup(module.element_class_lookup)
        module.oxml_parser = parser
        module._kelisim_hardened = True


def _footnotes(document) -> list[str]:
    out: list[str] = []
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/footnotes") and not rel.is_external:
            from lxml import etree

            root = etree.fromstring(rel.target_part.blob, xml_parser())
            for fn in root.iter(f"{_W}footnote"):
                if fn.get(f"{_W}type") in ("separator", "continuationSeparator"):
                    continue
                text = "".join(t.text or "" for t in fn.iter(f"{_W}t")).strip()
                if text:
                    out.append(text)
    return out


def extract_docx(path: Path) -> list[str]:
    """Pages of text: split at rendered or explicit page breaks when the file records them."""
    check_zip(path)
    source: Path | io.BytesIO = path
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        _harden_python_docx()
        source = _defused_package(path) or path
        document = docx.Document(source if isinstance(source, io.BytesIO) else str(source))
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
        plain = _document_xml_pages(source)
        if not plain:
            raise UploadError("The Word document is damaged and cannot be read.", "damaged-docx", repr(exc)) from exc
        logger.warning("python-docx could not open %s (%r); text read from word/document.xml", path, exc)
        return plain
    texts = ["\n\n".join(p) for p in pages]
    return [t for t in texts if t.strip()] or [""]


def _document_xml_pages(path: Path | io.BytesIO) -> list[str]:
    """Paragraph text straight from word/document.xml (no other part needed); [] when that is unreadable too."""
    from lxml import etree

    try:
        with zipfile.ZipFile(path) as zf:
            xml = zf.read("word/document.xml")
        root = etree.fromstring(defuse_xml(xml), xml_parser())
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


def docx_properties(path: Path) -> dict[str, str]:
    """The Word file's own dates ("created", "modified", ISO) from its core properties, where recorded."""
    try:
        import docx

        _harden_python_docx()
        source = _defused_package(path) or path
        props = docx.Document(source if isinstance(source, io.BytesIO) else str(source)).core_properties
    except Exception:  # noqa: BLE001 - the dates are a hint; a file that cannot give them gives none
        return {}
    out: dict[str, str] = {}
    for name in ("created", "modified"):
        value = getattr(props, name, None)
        if value is not None:
            out[name] = value.isoformat()
    return out
