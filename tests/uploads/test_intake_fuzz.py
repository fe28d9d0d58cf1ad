"""A small fuzzing run of the intake: mutated corpus PDFs and DOCX files through ``process_file`` under real
limits. Each input is taken in or refused with a clean message; the long run is ``bench/fuzz_intake.py``."""
from __future__ import annotations

import importlib.util
import random
import sys

import pytest

from support import REPO, corpus_path
from uploads.limits import Limits

N_INPUTS = 20


@pytest.fixture(scope="module")
def fuzz_intake():
    spec = importlib.util.spec_from_file_location("fuzz_intake", REPO / "bench" / "fuzz_intake.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_intake"] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("fuzz_intake", None)


@pytest.mark.parametrize("message, bad", [
    ("The PDF is damaged and cannot be read.", False),
    ("Processing this file took longer than the limit of 60 seconds and was stopped.", False),
    ("PdfiumError: Failed to load document (PDFium: Data format error).", True),
    ("Traceback (most recent call last):", True),
    ("could not open /tmp/fuzz-intake-x/input-0001.pdf", True),
    ("", True),
    ("It may be a compressed 'bomb' or damaged.", False),
    ("unexpected b'\\x00' in stream", True),
])
def test_message_check_tells_raw_exception_text(fuzz_intake, message: str, bad: bool) -> None:
    assert bool(fuzz_intake.message_problem(message)) == bad


def test_mutations_are_seeded_and_change_the_file(fuzz_intake) -> None:
    src = corpus_path("docx", "kk_baitursyn_autobiography.docx")
    data = src.read_bytes()
    a = [fuzz_intake.mutate(random.Random(5), src, data) for _ in range(3)]
    b = [fuzz_intake.mutate(random.Random(5), src, data) for _ in range(3)]
    assert a == b
    assert all(blob != data for _, blob in a)


def test_mutated_corpus_files_are_taken_in_or_refused_cleanly(fuzz_intake, tmp_path) -> None:
    corpus = corpus_path()
    limits = Limits(seconds=60, memory_mb=1536, ocr=False)
    outcomes, rss = fuzz_intake.fuzz(N_INPUTS, seed=20261126, limits=limits, corpus=corpus, log=lambda *_: None)
    assert len(outcomes) == N_INPUTS
    for o in outcomes:
        assert o.status in ("ok", "error", "timeout", "memory"), (o.source, o.mutation, o.status, o.problem)
        if o.status != "ok":
            assert not fuzz_intake.message_problem(o.message), (o.source, o.mutation, o.message)
    assert {o.status for o in outcomes} >= {"ok", "error"}     # the mutations reach both paths
    assert rss["end"] - rss["after_warmup"] < fuzz_intake.RSS_GROWTH_LIMIT_MB


@pytest.mark.parametrize("dropped", ["word/styles.xml", "docProps/app.xml", "word/theme/theme1.xml",
                                     "[Content_Types].xml"])
def test_docx_missing_a_side_part_keeps_its_text(tmp_path, dropped: str) -> None:
    """python-docx refuses a package with any listed part missing; the text is read from word/document.xml."""
    import zipfile

    from uploads.extract.docx import extract_docx

    src = corpus_path("docx", "kk_baitursyn_autobiography.docx")
    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as zout:
        assert dropped in zin.namelist()
        for info in zin.infolist():
            if info.filename != dropped:
                zout.writestr(info.filename, zin.read(info.filename))
    words = lambda pages: "\n".join(pages).split()  # noqa: E731
    assert words(extract_docx(damaged)) == words(extract_docx(src))


def test_docx_without_its_document_part_is_refused_cleanly(tmp_path) -> None:
    import zipfile

    from uploads.errors import UploadError
    from uploads.extract.docx import extract_docx

    src = corpus_path("docx", "kk_baitursyn_autobiography.docx")
    damaged = tmp_path / "damaged.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for info in zin.infolist():
            if info.filename != "word/document.xml":
                zout.writestr(info.filename, zin.read(info.filename))
    with pytest.raises(UploadError) as err:
        extract_docx(damaged)
    assert err.value.code == "damaged-docx"
    assert err.value.user_message == "The Word document is damaged and cannot be read."


@pytest.mark.parametrize("count", [b"3001", b"1000000", b"2147483647"])
def test_pdf_with_an_inflated_page_count_keeps_its_pages(tmp_path, count: bytes) -> None:
    """A damaged /Count (a 4-page article claiming millions of pages) is not refused as 'too many pages'."""
    import re

    from uploads.extract.pdf import extract_pdf

    src = corpus_path("pdf", "ru_chasova_phenol_2013.pdf")
    damaged = tmp_path / "count.pdf"
    damaged.write_bytes(re.sub(rb"/Count \d+", b"/Count " + count, src.read_bytes()))
    assert extract_pdf(damaged, max_pages=3000).pages == extract_pdf(src, max_pages=3000).pages


def test_pdf_with_really_too_many_pages_is_still_refused(tmp_path) -> None:
    from support import make_pdf
    from uploads.errors import UploadError
    from uploads.extract.pdf import extract_pdf

    path = make_pdf(tmp_path / "five.pdf", [f"Страница {i}" for i in range(1, 6)])
    with pytest.raises(UploadError) as err:
        extract_pdf(path, max_pages=3)
    assert err.value.code == "too-many-pages"
    assert len(extract_pdf(path, max_pages=5).pages) == 5
