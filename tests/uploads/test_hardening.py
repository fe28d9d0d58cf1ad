"""Security issue 18: derived PDFs carry no active content; DOCX XML is parsed without entities or DTDs."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from support import RU_ARTICLE, make_pdf
from uploads.extract.docx import extract_docx
from uploads.pdfsplit import split_pdf

# ----------------------------------------------------------------------------- PDF: active content

ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/OpenAction", "/EmbeddedFiles", "/EF"}
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm"}


def _active_content(root) -> set[str]:
    """Every active thing reachable from ``root``: keys, action types, file attachments, javascript: links."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            found |= ACTIVE_KEYS & set(obj.keys())
            if obj.get("/S") in ACTIVE_ACTIONS:
                found.add(str(obj["/S"]))
            if obj.get("/Subtype") == "/FileAttachment":
                found.add("/FileAttachment")
            if str(obj.get("/URI", "")).startswith("javascript:"):
                found.add("javascript:")
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return found


def _links(page) -> list[str]:
    return [str(a.get_object()["/A"]["/URI"]) for a in page.get("/Annots", [])
            if a.get_object().get("/Subtype") == "/Link" and "/A" in a.get_object()
            and a.get_object()["/A"].get("/S") == "/URI"]


def make_active_pdf(path: Path) -> Path:
    """A 3-page PDF with JavaScript (open action, document level, page and field actions, a link's /Next), a
    Launch link, a javascript: link, an embedded file, a file-attachment annotation, and one ordinary web link."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject,
                               NumberObject, TextStringObject)

    plain = make_pdf(path.with_suffix(".plain.pdf"), RU_ARTICLE + ["Третья страница сборника."])
    writer = PdfWriter(clone_from=PdfReader(str(plain)))

    def name(n: str) -> NameObject:
        return NameObject(n)

    def js(code: str) -> DictionaryObject:
        return DictionaryObject({name("/S"): name("/JavaScript"), name("/JS"): TextStringObject(code)})

    def annot(subtype: str, **entries) -> DictionaryObject:
        d = DictionaryObject({name("/Type"): name("/Annot"), name("/Subtype"): name(subtype),
                              name("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 150, 70)])})
        d.update({name("/" + k): v for k, v in entries.items()})
        return d

    def uri(target: str, **more) -> DictionaryObject:
        d = DictionaryObject({name("/S"): name("/URI"), name("/URI"): TextStringObject(target)})
        d.update({name("/" + k): v for k, v in more.items()})
        return d

    writer.add_attachment("payload.txt", b"attached payload")
    writer._root_object["/Names"].get_object()[name("/JavaScript")] = DictionaryObject(
        {name("/Names"): ArrayObject([TextStringObject("doc"), writer._add_object(js("app.alert('document');"))])})
    writer._root_object[name("/OpenAction")] = js("app.alert('open');")
    payload = DecodedStreamObject()
    payload.set_data(b"annotation payload")
    payload[name("/Type")] = name("/EmbeddedFile")
    filespec = DictionaryObject({name("/Type"): name("/Filespec"), name("/F"): TextStringObject("a.txt"),
                                 name("/EF"): DictionaryObject({name("/F"): writer._add_object(payload)})})
    launch = DictionaryObject({name("/S"): name("/Launch"), name("/F"): TextStringObject("calc.exe")})
    first, second = writer.pages[0], writer.pages[1]
    first[name("/AA")] = DictionaryObject({name("/O"): js("app.alert('page open');")})
    first[name("/Annots")] = ArrayObject([writer._add_object(a) for a in (
        annot("/Link", A=launch),
        annot("/Link", A=uri("javascript:app.alert(1)")),
        annot("/Link", A=uri("https://example.org/article")),
        annot("/FileAttachment", FS=filespec),
        annot("/Widget", AA=DictionaryObject({name("/K"): js("app.alert('keystroke');")}), FT=name("/Tx"),
              F=NumberObject(4)),
    )])
    second[name("/Annots")] = ArrayObject([writer._add_object(
        annot("/Link", A=uri("https://example.org/next", Next=js("app.alert('next');"))))])
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def test_generated_volume_really_has_active_content(tmp_path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(make_active_pdf(tmp_path / "active.pdf")))
    assert _active_content(reader.trailer) >= {"/JS", "/JavaScript", "/AA", "/OpenAction", "/EmbeddedFiles",
                                                "/EF", "/Launch", "/FileAttachment", "javascript:"}


def test_split_articles_carry_no_active_content(tmp_path) -> None:
    from pypdf import PdfReader

    src = make_active_pdf(tmp_path / "active.pdf")
    out = tmp_path / "parts"
    out.mkdir()
    parts = split_pdf(src, [(1, 2), (3, 3)], out)
    assert len(parts) == 2
    for part in parts:
        reader = PdfReader(str(part))
        assert _active_content(reader.trailer) == set(), part.name
        for bad in (b"app.alert", b"calc.exe", b"payload"):
            assert bad not in part.read_bytes()
    first = PdfReader(str(parts[0]))
    assert len(first.pages) == 2 and len(PdfReader(str(parts[1])).pages) == 1
    assert _links(first.pages[0]) == ["https://example.org/article"]        # ordinary links stay
    assert _links(first.pages[1]) == ["https://example.org/next"]
    assert "Третья страница" in PdfReader(str(parts[1])).pages[0].extract_text()


# ----------------------------------------------------------------------------- DOCX: hardened XML

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))


def _footnotes_xml(doctype: str, reference: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE w:footnotes [{doctype}]>'
            f'<w:footnotes xmlns:w="{W}">'
            f'<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            f'<w:footnote w:id="1"><w:p><w:r><w:t>Сноска о согласии.</w:t></w:r></w:p></w:footnote>'
            f'<w:footnote w:id="2"><w:p><w:r><w:t>[{reference}]</w:t></w:r></w:p></w:footnote>'
            f'</w:footnotes>').encode()


def make_docx_with_footnotes(path: Path, footnotes: bytes, body_doctype: str = "", body_ref: str = "") -> Path:
    """A python-docx document with a footnotes part (and optionally a DTD in the body) added by hand."""
    import docx

    plain = path.with_suffix(".plain.docx")
    document = docx.Document()
    document.add_paragraph("Негізгі мәтін: тіл саясаты туралы.")
    document.save(str(plain))
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", f'<Relationship Id="rIdFn" Type="{FOOTNOTES_REL}" '
                                    f'Target="footnotes.xml"/></Relationships>'.encode())
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/word/footnotes.xml" '
                                    f'ContentType="{FOOTNOTES_TYPE}"/></Types>'.encode())
            elif info.filename == "word/document.xml" and body_doctype:
                head, rest = data.split(b"?>", 1)
                data = (head + b"?>" + f"<!DOCTYPE w:document [{body_doctype}]>".encode()
                        + rest.replace(b"</w:t>", body_ref.encode() + b"</w:t>", 1))
            zout.writestr(info.filename, data)
        zout.writestr("word/footnotes.xml", footnotes)
    return path


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("SECRET-MARKER-42")
    return path


@pytest.mark.parametrize("attack", ["external", "laughs", "external-dtd"])
def test_docx_footnotes_with_entities_are_read_without_them(tmp_path, secret, attack: str) -> None:
    doctype, ref = {
        "external": (f'<!ENTITY xxe SYSTEM "file://{secret}">', "&xxe;"),
        "laughs": ('<!ENTITY lol0 "lol">' + LAUGHS, "&lol9;"),
        "external-dtd": (f'<!ENTITY % ext SYSTEM "file://{secret}"> %ext;', "x"),
    }[attack]
    path = make_docx_with_footnotes(tmp_path / "fn.docx", _footnotes_xml(doctype, ref))
    text = "\n".join(extract_docx(path))
    assert "Негізгі мәтін" in text
    assert "Сноска о согласии." in text                 # the footnotes were read, not dropped on the error
    assert "SECRET-MARKER-42" not in text and "lollol" not in text
    assert len(text) < 500


def test_docx_body_with_an_external_entity_is_read_without_it(tmp_path, secret) -> None:
    path = make_docx_with_footnotes(tmp_path / "body.docx", _footnotes_xml("", "ordinary"),
                                    body_doctype=f'<!ENTITY xxe SYSTEM "file://{secret}">', body_ref="&xxe;")
    text = "\n".join(extract_docx(path))
    assert "Негізгі мәтін" in text and "Сноска о согласии." in text
    assert "SECRET-MARKER-42" not in text


def test_python_docx_parses_with_the_hardened_parser(tmp_path) -> None:
    import docx.opc.oxml
    import docx.oxml.parser

    extract_docx(make_docx_with_footnotes(tmp_path / "a.docx", _footnotes_xml("", "ordinary")))
    for module in (docx.oxml.parser, docx.opc.oxml):
        assert getattr(module, "_kelisim_hardened", False), module.__name__
