"""uploads.precheck: the refusals a web request can make before queueing, and the OCR estimate."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import uploads
from support import CORPUS, DATA, RU_ARTICLE, corpus_path, make_pdf
from uploads import detect
from uploads.errors import UploadError
from uploads.limits import Limits

MB = 1024 * 1024


def _encrypted(path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(path.with_suffix(".plain.pdf"), RU_ARTICLE)
    writer = PdfWriter(clone_from=PdfReader(str(plain)))
    writer.encrypt("kelisim", "kelisim-owner", algorithm="AES-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def _docx(path: Path, paragraphs: list[str], page_break_after: int | None = None) -> Path:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for i, text in enumerate(paragraphs):
        run = document.add_paragraph(text).add_run()
        if i == page_break_after:
            run.add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path


def _truncated(path: Path) -> Path:
    path.write_bytes(make_pdf(path.with_suffix(".whole.pdf"), RU_ARTICLE).read_bytes()[:900])
    return path


def _docx_with_broken_body(path: Path) -> Path:
    good = _docx(path.with_suffix(".good.docx"), ["Текст документа."])
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, data[: len(data) // 2] if info.filename == "word/document.xml" else data)
    return path


def _png(path: Path, size=(800, 600)) -> Path:
    from PIL import Image

    Image.new("L", size, 255).save(path, format="PNG")
    return path


def _bytes(content: bytes):
    """A writer of a file with exactly ``content``."""
    def write(path: Path) -> Path:
        path.write_bytes(content)
        return path
    return write


HTML_WITH_PDF_MARKER = (b"<!DOCTYPE html>\n<html><head><title>404</title></head><body>"
                        b"<p>The document %PDF-1.7 you asked for was not found.</p></body></html>\n")
TEXT_WITH_PDF_MARKER = b"Error log\nrequest for report.pdf: header %PDF-1.4 expected, got nothing\n" * 3

# (what the file is, how to write it, limits, code, message a person sees)
REFUSALS = [
    ("empty", _bytes(b""), Limits(), "empty", "The file is empty (0 bytes)."),
    ("plain text", _bytes("Просто текст, не документ.\n".encode()), Limits(), "unsupported-type",
     "This file is not a PDF, Word (.docx) document or image."),
    ("HTML quoting %PDF-", _bytes(HTML_WITH_PDF_MARKER), Limits(), "unsupported-type",
     "This file is a web page (HTML), not a PDF or Word document."),
    ("text quoting %PDF-", _bytes(TEXT_WITH_PDF_MARKER), Limits(), "unsupported-type",
     "This file is not a PDF, Word (.docx) document or image."),
    ("encrypted PDF", _encrypted, Limits(), "encrypted",
     "This PDF is protected by a password. Remove the protection and upload it again."),
    ("truncated PDF", _truncated,
     Limits(), "damaged", "The PDF is damaged or incomplete and cannot be read."),
    ("too many pages", lambda p: make_pdf(p, ["Страница номер %d о согласии." % i for i in range(1, 6)]),
     Limits(max_pages=3), "too-many-pages",
     "This PDF has more than 3 pages, the limit for one file. Split it into parts and upload them separately."),
    ("broken zip", _bytes(b"PK\x03\x04" + b"\x00" * 200), Limits(), "damaged-docx",
     "The file looks like a Word document but is damaged (its zip structure is broken)."),
    ("broken DOCX body", _docx_with_broken_body, Limits(), "damaged-docx",
     "The Word document is damaged and cannot be read."),
    ("old .doc", _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600), Limits(),
     "unsupported-type", "Old Word (.doc) files are not supported; save it as .docx or PDF and upload again."),
    ("damaged PNG", _bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), Limits(), "damaged-image",
     "The image is damaged and cannot be read."),
    ("image with OCR off", _png, Limits(ocr=False), "ocr-off",
     "Images need text recognition (OCR), which is switched off."),
]


@pytest.mark.parametrize(("kind", "write", "limits", "code", "message"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_precheck_refuses_with_a_plain_message(tmp_path, kind, write, limits, code, message) -> None:
    path = write(tmp_path / "upload.bin")
    with pytest.raises(UploadError) as err:
        uploads.precheck(path, 50 * MB, limits)
    assert (err.value.code, err.value.user_message) == (code, message)


def test_precheck_refuses_a_file_over_the_size_limit(tmp_path) -> None:
    path = make_pdf(tmp_path / "a.pdf", RU_ARTICLE)
    with open(path, "ab") as fh:                     # whitespace after %%EOF: still a valid PDF
        fh.write(b" " * (MB + 1 - path.stat().st_size))
    with pytest.raises(UploadError) as err:
        uploads.precheck(path, MB)
    assert err.value.code == "too-big"
    assert err.value.user_message == "The file is larger than 1 MB, the most the archive accepts for one file."
    assert uploads.precheck(path, MB + 1).page_count == 2


@pytest.mark.parametrize("content", [HTML_WITH_PDF_MARKER, TEXT_WITH_PDF_MARKER])
def test_extraction_refuses_what_precheck_refuses(tmp_path, content: bytes) -> None:
    from uploads.pipeline import extract_file

    path = tmp_path / "page.pdf"
    path.write_bytes(content)
    with pytest.raises(UploadError) as pre:
        uploads.precheck(path, 50 * MB)
    with pytest.raises(UploadError) as full:
        extract_file(path)
    assert full.value.user_message == pre.value.user_message


def test_a_pdf_after_a_short_prefix_is_still_a_pdf(tmp_path) -> None:
    """Readers accept junk before "%PDF-" (mail gateways add some); PDFium opens it, so it is taken."""
    pdf = make_pdf(tmp_path / "a.pdf", RU_ARTICLE).read_bytes()
    path = tmp_path / "prefixed.pdf"
    path.write_bytes(b"X-Junk: 1\r\n" + pdf)
    assert uploads.precheck(path, 50 * MB).page_count == 2


def test_precheck_of_a_text_pdf(tmp_path) -> None:
    check = uploads.precheck(make_pdf(tmp_path / "a.pdf", RU_ARTICLE), 50 * MB)
    assert (check.mime, check.page_count, check.likely_ocr_pages, check.text_layer) == (detect.PDF, 2, 0, True)
    assert check.sampled_pages >= 1 and not check.needs_ocr


def test_precheck_counts_scans_but_not_short_lines(tmp_path, pdfs) -> None:
    scans = uploads.precheck(pdfs.mixed(tmp_path / "s.pdf", ["scan"] * 4), 50 * MB)
    assert (scans.page_count, scans.likely_ocr_pages, scans.needs_ocr) == (4, 4, True)
    lines = uploads.precheck(pdfs.short_lines(tmp_path / "l.pdf", 40), 50 * MB)
    assert (lines.page_count, lines.likely_ocr_pages, lines.text_layer) == (40, 0, True)


def test_prechecks_in_many_threads_at_once_agree_with_one_at_a_time(tmp_path, pdfs) -> None:
    """A web worker's threads look at uploads at the same time. PDFium allows one call at a time in a process:
    without ``PDFIUM_LOCK`` eight threads saw most of these valid files refused as damaged, or the process died
    of "double free or corruption"."""
    from concurrent.futures import ThreadPoolExecutor

    files = [make_pdf(tmp_path / f"a{n}.pdf", RU_ARTICLE * n) for n in (1, 2, 3)]
    files += [pdfs.mixed(tmp_path / "s.pdf", ["scan", "text"] * 2), pdfs.short_lines(tmp_path / "l.pdf", 12)]

    def look(i: int):
        # What the upload's record takes from it (how many pages are sampled depends on time: not compared).
        try:
            check = uploads.precheck(files[i % len(files)], 50 * MB)
        except UploadError as exc:
            return exc.code
        return check.mime, check.page_count, check.needs_ocr, check.text_layer

    expected = [look(i) for i in range(len(files))]
    assert [e[1] for e in expected] == [2, 4, 6, 4, 12]

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(look, range(800)))
    assert got == [expected[i % len(files)] for i in range(800)]


def test_precheck_of_a_docx_counts_its_page_breaks(tmp_path) -> None:
    path = _docx(tmp_path / "a.docx", ["Бірінші бет.", "Екінші бет."], page_break_after=0)
    check = uploads.precheck(path, 50 * MB)
    assert (check.mime, check.page_count, check.likely_ocr_pages) == (detect.DOCX, 2, 0)


def test_precheck_of_an_image(tmp_path) -> None:
    check = uploads.precheck(_png(tmp_path / "a.png"), 50 * MB)
    assert (check.mime, check.page_count, check.likely_ocr_pages, check.needs_ocr) == (detect.PNG, 1, 1, True)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.pdf")) + ["kk_article.docx"])
def test_precheck_agrees_with_extraction_on_the_fixtures(name: str) -> None:
    from uploads.pipeline import extract_file

    path = DATA / name
    try:
        extract_file(path, allow_ocr=False)
    except UploadError as exc:
        with pytest.raises(UploadError) as err:
            uploads.precheck(path, 50 * MB)
        assert err.value.user_message == exc.user_message
    else:
        assert uploads.precheck(path, 50 * MB).page_count >= 1


@pytest.mark.corpus
@pytest.mark.parametrize("rel", sorted(f"{p.parent.name}/{p.name}" for d in ("pdf", "collections", "scanned", "docx")
                                       for p in (CORPUS / d).glob("*.*")) or ["pdf/missing.pdf"])
def test_precheck_takes_every_corpus_file_and_flags_the_scans(rel: str) -> None:
    check = uploads.precheck(corpus_path(*rel.split("/")), 200 * MB)
    assert check.page_count >= 1
    if rel.startswith("scanned/"):
        assert check.likely_ocr_pages >= 0.5 * check.page_count
    elif rel.startswith("collections/") or rel.startswith("docx/"):
        assert check.likely_ocr_pages == 0


def test_precheck_is_exported_from_the_package() -> None:
    assert uploads.precheck is uploads.admission.precheck
    assert set(uploads.__all__) == {"Precheck", "precheck"}
