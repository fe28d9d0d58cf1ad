"""The pipeline's OCR decisions, OCR budget, progress events and per-article metadata (uploads/pipeline.py)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from support import corpus_path
from uploads import pipeline, progress
from uploads.errors import UploadError
from uploads.limits import Limits, run_limited
from uploads.types import ArticleSpan, Author, Metadata, Page

@pytest.fixture
def fake_ocr(monkeypatch):
    """Tesseract "installed"; records the pages sent to OCR and answers with a sentence per page."""
    from uploads.extract import ocr

    calls: list[list[int]] = []

    def ocr_pdf_pages(path, pages, stop_at=None, **_):
        calls.append(list(pages))
        return {n: f"Распознанный текст страницы номер {n}, достаточно длинный для проверки." for n in pages}

    monkeypatch.setattr(ocr, "tesseract_available", lambda *a, **k: True)
    monkeypatch.setattr(ocr, "ocr_pdf_pages", ocr_pdf_pages)
    return calls


# --------------------------------------------------------------------------- text that exists is never OCR'd

def test_short_real_lines_are_read_from_the_text_layer(tmp_path, fake_ocr, pdfs) -> None:
    path = pdfs.short_lines(tmp_path / "short.pdf", 60)
    doc = pipeline.extract_file(path, allow_ocr=True)
    assert fake_ocr == []
    assert [p.text for p in doc.pages] == [pdfs.line(i) for i in range(1, 61)]
    assert {p.method for p in doc.pages} == {"text"}
    assert doc.warnings == []


def test_only_pages_with_a_picture_go_to_ocr(tmp_path, fake_ocr, pdfs) -> None:
    kinds = ["scan", "line", "blank", "logo", "scan"]
    doc = pipeline.extract_file(pdfs.mixed(tmp_path / "mixed.pdf", kinds), allow_ocr=True)
    assert fake_ocr == [[1, 5]]
    assert [p.method for p in doc.pages] == ["ocr", "text", "empty", "text", "ocr"]
    assert doc.pages[1].text == pdfs.line(2) and doc.pages[3].text == pdfs.line(4)


def test_broken_text_layer_still_goes_to_ocr_without_a_picture(tmp_path, fake_ocr) -> None:
    from support import make_pdf

    soup = "$%&'()&*&'+,-%+$./,()&*%0*(0$1*&$,% 2'&(,.,34 *%0 +'(&$/$+*&$,% " * 3
    path = make_pdf(tmp_path / "soup.pdf", [soup, "Обычная страница с нормальным текстом о согласии в городе."])
    pipeline.extract_file(path, allow_ocr=True)
    assert fake_ocr == [[1]]


def test_short_line_pdf_stays_whole_through_the_limited_child(tmp_path, pdfs) -> None:
    path = pdfs.short_lines(tmp_path / "short.pdf", 120)
    doc = pipeline.process_file(path, Limits(seconds=120))
    assert len(doc.pages) == 120
    assert {p.method for p in doc.pages} == {"text"}
    assert doc.pages[119].text == pdfs.line(120)


@pytest.mark.slow
def test_1500_short_line_pages_are_read_without_ocr(tmp_path, pdfs) -> None:
    """Issue 15: 1,500 pages with one short line each went to OCR page by page and hit the 300 s limit."""
    path = pdfs.short_lines(tmp_path / "long.pdf", 1500)
    events: list[dict] = []
    doc = pipeline.process_file(path, Limits(seconds=300), on_progress=events.append)
    assert len(doc.pages) == 1500
    assert sum(p.method == "text" for p in doc.pages) == 1500
    assert not any(e["stage"] == "ocr" for e in events)
    assert len(events) < 100


# --------------------------------------------------------------------------- the OCR budget

def test_pages_over_the_ocr_budget_are_named_in_a_warning(tmp_path, fake_ocr, pdfs) -> None:
    path = pdfs.mixed(tmp_path / "scans.pdf", ["scan", "line", "scan", "scan", "scan", "scan"])
    doc = pipeline.extract_file(path, allow_ocr=True, ocr_max_pages=2)
    assert fake_ocr == [[1, 3]]
    assert [p.method for p in doc.pages] == ["ocr", "text", "ocr", "empty", "empty", "empty"]
    assert doc.warnings == [
        "Pages 4–6 were not read by text recognition (OCR): this file has 5 pages without a usable text layer "
        "and at most 2 are recognised per file. They are kept without text and cannot be found by search; "
        "upload the file in smaller parts to have them recognised."]


def test_pages_left_when_ocr_time_runs_out_are_named(tmp_path, monkeypatch, pdfs) -> None:
    from uploads.extract import ocr

    seen: dict = {}

    def first_page_only(path, pages, stop_at=None, **_):
        seen["stop_at"] = stop_at
        return {pages[0]: "Распознанный текст первой страницы, достаточно длинный для проверки."}

    monkeypatch.setattr(ocr, "tesseract_available", lambda *a, **k: True)
    monkeypatch.setattr(ocr, "ocr_pdf_pages", first_page_only)
    before = time.monotonic()
    doc = pipeline.extract_file(pdfs.mixed(tmp_path / "s.pdf", ["scan"] * 3), seconds=100)
    assert before + 79 < seen["stop_at"] <= time.monotonic() + 80     # OCR_TIME_SHARE of the limit
    assert doc.warnings == [
        "Pages 2–3 were not read by text recognition (OCR) because the time limit for one file was reached. "
        "They are kept without text and cannot be found by search; upload the file in smaller parts to have "
        "them recognised."]


def test_ocr_stops_starting_pages_after_stop_at(tmp_path, pdfs) -> None:
    from uploads.extract import ocr

    if not ocr.tesseract_available():
        pytest.skip("tesseract with rus+kaz+eng not installed")
    path = pdfs.mixed(tmp_path / "s.pdf", ["scan", "scan"])
    assert ocr.ocr_pdf_pages(path, [1, 2], stop_at=time.monotonic() - 1) == {}


def test_limits_have_an_ocr_page_budget() -> None:
    assert Limits().ocr_max_pages == 300
    assert Limits(ocr_max_pages=5).ocr_max_pages == 5


@pytest.mark.parametrize(("numbers", "expected"), [
    ([3], "3"),
    ([3, 7, 8, 9, 12], "3, 7–9, 12"),
    (list(range(1, 200, 2)), "1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23 and 88 more"),
])
def test_page_ranges_are_short(numbers: list[int], expected: str) -> None:
    assert pipeline._ranges(numbers) == expected


# --------------------------------------------------------------------------- progress

def test_throttle_passes_stage_edges_and_at_most_four_a_second() -> None:
    now = [0.0]
    sent: list[dict] = []
    throttle = progress.Throttle(sent.append, clock=lambda: now[0])
    for i in range(1001):                 # 1,000 pages read in one second
        throttle({"stage": "read", "done": i, "total": 1000})
        now[0] += 0.001
    for i in range(3):
        throttle({"stage": "metadata", "done": i, "total": 2})
    reads = [e["done"] for e in sent if e["stage"] == "read"]
    assert reads[0] == 0 and reads[-1] == 1000
    assert len(reads) <= 1 + 4 + 1
    assert [e["done"] for e in sent if e["stage"] == "metadata"] == [0, 2]


def test_reports_reach_only_the_listener_installed_around_them() -> None:
    events: list[dict] = []
    with progress.reporting(events.append, throttle=False):
        progress.report("read", 1, 2)
    progress.report("read", 2, 2)
    assert events == [{"stage": "read", "done": 1, "total": 2}]


def test_progress_events_arrive_from_the_child(tmp_path, pdfs) -> None:
    path = pdfs.short_lines(tmp_path / "short.pdf", 300)
    events: list[dict] = []
    doc = pipeline.process_file(path, Limits(seconds=120), on_progress=events.append)
    assert len(doc.pages) == 300
    reads = [e for e in events if e["stage"] == "read"]
    assert reads[0] == {"stage": "read", "done": 0, "total": 300}
    assert reads[-1] == {"stage": "read", "done": 300, "total": 300}
    assert [e["done"] for e in reads] == sorted(e["done"] for e in reads)
    assert events[-1] == {"stage": "metadata", "done": 1, "total": 1}
    assert [e["stage"] for e in events].index("metadata") > [e["stage"] for e in events].index("read")


def report_forever(seconds: float) -> None:
    """A child that keeps reporting and never finishes (for the time-limit test)."""
    for i in range(10**9):
        progress.report("ocr", i, 10**9)
        time.sleep(0.01)


def test_time_limit_covers_a_child_that_keeps_reporting() -> None:
    events: list[dict] = []
    with pytest.raises(UploadError) as err:
        run_limited(report_forever, (0,), Limits(seconds=2), on_progress=events.append)
    assert err.value.code == "timeout"
    assert err.value.user_message.startswith("Processing this file took longer than the limit of 2 seconds")
    assert events and all(e["stage"] == "ocr" for e in events)


def cpu_priority() -> tuple[int, int]:
    """The niceness and the scheduling class of the process it runs in (called in the child too)."""
    return os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)


def test_a_long_extractions_child_runs_at_a_lower_cpu_priority_and_its_parent_does_not() -> None:
    nice, policy = cpu_priority()
    lowered = min(19, nice + 10)
    assert run_limited(cpu_priority, (), Limits()) == (nice, policy)
    assert run_limited(cpu_priority, (), Limits(priority="low")) == (lowered, os.SCHED_OTHER)
    assert run_limited(cpu_priority, (), Limits(priority="idle")) == (lowered, os.SCHED_IDLE)
    assert cpu_priority() == (nice, policy)                     # the waiting parent keeps its own
    assert run_limited(cpu_priority, (), Limits()) == (nice, policy)    # and so does the next child


# --------------------------------------------------------------------------- per-article metadata

@pytest.mark.parametrize(("span", "found", "volume", "expected"), [
    # the TOC's title and authors win over the page guess
    (ArticleSpan("Тіл саясаты", [Author("Сейтқали А.Б.")], 3, 5),
     Metadata(title="ТІЛ САЯСАТЫ ЖӘНЕ", authors=[Author("Ақын")], language="kk", year=2019),
     ("ru", 2021), ("Тіл саясаты", ["Сейтқали А.Б."], "kk", 2021)),
    # nothing in the TOC: the page guess stays; the volume fills the language gap, its year wins
    (ArticleSpan("", [], 3, 5), Metadata(title="Межэтническое согласие", authors=[Author("Иванова М.П.")]),
     ("ru", 2021), ("Межэтническое согласие", ["Иванова М.П."], "ru", 2021)),
    # a volume without a year leaves the article's own
    (ArticleSpan("Очерк", [], 1, 2), Metadata(year=2018, language="ru"), ("kk", None), ("Очерк", [], "ru", 2018)),
])
def test_article_metadata_rules(span, found, volume, expected) -> None:
    md = pipeline.article_metadata(found, span, *volume)
    assert (md.title, [a.name for a in md.authors], md.language, md.year) == expected


@pytest.mark.corpus
@pytest.mark.slow
def test_volume_articles_carry_their_metadata() -> None:
    path = corpus_path("collections", "ru_sterlitamak_mathphys_2021_vol1.pdf")
    events: list[dict] = []
    doc = pipeline.process_file(path, Limits(seconds=300, ocr=False), on_progress=events.append)
    assert doc.is_volume and len(doc.articles) >= 80
    year = (doc.volume.year if doc.volume else None) or doc.metadata.year
    assert year == 2021
    for span in doc.articles:
        assert span.metadata is not None
        assert span.metadata.title == (span.title or span.metadata.title)
        assert span.metadata.year == year
        assert span.metadata.language in ("ru", "kk", "en")
    total = 1 + len(doc.articles)
    assert {"stage": "split", "done": len(doc.articles), "total": len(doc.articles)} in events
    assert events[-1] == {"stage": "metadata", "done": total, "total": total}


def test_article_metadata_is_made_in_the_pipeline(tmp_path, monkeypatch) -> None:
    """A volume found by the splitter gets metadata per article from that article's pages."""
    from uploads import volumes

    def two_articles(pages):
        return (volumes.VolumeInfo(title="Сборник", year=2020),
                [ArticleSpan("Первая статья", [Author("Иванова М.П.")], 1, 4),
                 ArticleSpan("", [], 5, 8)])

    from support import RU_ARTICLE, make_pdf

    monkeypatch.setattr(volumes, "looks_like_volume", lambda pages: True)
    monkeypatch.setattr(volumes, "split_volume", two_articles)
    texts = ["Вступление к сборнику, страница номер %d, о межэтническом согласии." % i for i in range(1, 5)]
    path = make_pdf(tmp_path / "vol.pdf", texts + RU_ARTICLE + RU_ARTICLE)
    doc = pipeline.extract_file(path, allow_ocr=False)
    first, second = doc.articles
    assert (first.metadata.title, [a.name for a in first.metadata.authors]) == ("Первая статья", ["Иванова М.П."])
    assert second.metadata.title.upper() == "МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ В ГОРОДСКОЙ СРЕДЕ АЛМАТЫ"
    assert first.metadata.year == second.metadata.year == 2020
    assert second.metadata.keywords


# --------------------------------------------------------------------------- XML-forbidden characters

def test_pipeline_output_carries_no_xml_forbidden_characters(tmp_path) -> None:
    doc = pipeline.strip_strings(pipeline.ExtractedDocument(
        mime="application/pdf",
        pages=[Page(1, "a\x00b\ufffec")],
        metadata=Metadata(title="T\x01", titles={"ru\x02": "x\uffff"}, authors=[Author("И\x0bванов")],
                          keywords=["интер\ufffeвал"]),
        articles=[ArticleSpan("S\x1f", [Author("A\x08")], 1, 1, metadata=Metadata(abstracts={"ru": "\ud800q"}))],
        warnings=["w\x07"]))
    assert doc.pages[0].text == "abc"
    assert (doc.metadata.title, doc.metadata.titles, doc.metadata.authors[0].name) == ("T", {"ru": "x"}, "Иванов")
    assert doc.metadata.keywords == ["интервал"]
    assert (doc.articles[0].title, doc.articles[0].authors[0].name) == ("S", "A")
    assert doc.articles[0].metadata.abstracts == {"ru": "q"}
    assert doc.warnings == ["w"]


@pytest.mark.corpus
def test_mojibake_file_with_u_fffe_comes_out_xml_safe() -> None:
    import dataclasses
    import json
    from xml.etree import ElementTree

    path = corpus_path("pdf", "ru_demi_magomedov_mixed_mojibake_2014.pdf")
    doc = pipeline.extract_file(path, allow_ocr=False)
    assert "интервал" in doc.metadata.keywords
    blob = json.dumps(dataclasses.asdict(doc), ensure_ascii=False)
    assert "\ufffe" not in blob
    element = ElementTree.Element("record")
    element.text = blob
    ElementTree.fromstring(ElementTree.tostring(element))     # parses back: nothing XML forbids
