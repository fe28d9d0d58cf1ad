"""Checks for the demo archive (demo/files, demo/manifest.json) and the uploader fixtures
(tests/data) produced by scripts/make_demo_content.py."""
from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.no_database   # files only

ROOT = Path(__file__).resolve().parent.parent
FILES = ROOT / "demo" / "files"
MANIFEST_PATH = ROOT / "demo" / "manifest.json"
DATA = ROOT / "tests" / "data"
SCRIPT = ROOT / "scripts" / "make_demo_content.py"

KAZAKH_LETTERS = "әғқңөұүһі"
MM = 72 / 25.4


@functools.lru_cache(maxsize=None)
def manifest() -> dict:
    return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))


def entries(kind: str | None = None, fmt: str | None = None) -> list[dict]:
    return [e for e in manifest()["files"]
            if (kind is None or e["kind"] == kind) and (fmt is None or e["format"] == fmt)]


def volume() -> dict:
    (v,) = entries("volume")
    return v


@functools.lru_cache(maxsize=None)
def page_texts(path: Path) -> tuple[str, ...]:
    from pdfminer.high_level import extract_text
    from pypdf import PdfReader

    n = len(PdfReader(str(path)).pages)
    return tuple(extract_text(str(path), page_numbers=[i]) for i in range(n))


@functools.lru_cache(maxsize=None)
def text_of(name: str) -> str:
    path = FILES / name
    if name.endswith(".pdf"):
        from pdfminer.high_level import extract_text
        return extract_text(str(path))
    import docx
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def norm(s: str) -> str:
    """Lower-case, ё folded to е, whitespace collapsed (justified PDF lines contain runs)."""
    return re.sub(r"\s+", " ", s.lower().replace("ё", "е")).strip()


def words(s: str) -> set[str]:
    return set(re.findall(r"[\w-]+", norm(s)))


def has_word(text: str, form: str) -> bool:
    f = norm(form)
    if " " in f:
        return f in norm(text)
    return f in words(text)


def footer_text(path: Path, page_index: int) -> str:
    """Text drawn in the bottom 15 mm of a page."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    (layout,) = list(extract_pages(str(path), page_numbers=[page_index]))
    return " ".join(el.get_text().strip() for el in layout
                    if isinstance(el, LTTextContainer) and el.y1 < 15 * MM).strip()


def header_text(path: Path, page_index: int) -> str:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    (layout,) = list(extract_pages(str(path), page_numbers=[page_index]))
    return " ".join(el.get_text().strip() for el in layout
                    if isinstance(el, LTTextContainer) and el.y0 > layout.height - 15 * MM)


# ------------------------------------------------------------------------------------------
# Demo archive
# ------------------------------------------------------------------------------------------

def test_files_match_manifest():
    on_disk = sorted(p.name for p in FILES.iterdir())
    listed = sorted(e["file"] for e in manifest()["files"])
    assert on_disk == listed
    total = sum(p.stat().st_size for p in FILES.iterdir())
    assert total < 1_000_000, f"demo archive too big: {total} bytes"


def test_composition():
    arts = entries("article")
    by_lang = {}
    for e in arts:
        by_lang.setdefault(e["language"], set()).add(e["source"])
    assert len(by_lang["ru"]) == 3 and len(by_lang["kk"]) == 2
    docx = entries("article", "docx")
    assert len(docx) == 1
    pair = docx[0]["pair"]
    assert pair == docx[0]["file"].replace(".docx", ".pdf")
    assert any(e["file"] == pair for e in arts)
    for e in manifest()["files"]:
        assert 2019 <= e["year"] <= 2024
        assert e["authors"] and e["title"]


@pytest.mark.parametrize("entry", entries(fmt="pdf"), ids=lambda e: e["file"])
def test_pdf_page_counts(entry):
    from pypdf import PdfReader

    n = len(PdfReader(str(FILES / entry["file"])).pages)
    assert n == entry["pages"]
    if entry["kind"] == "article":
        assert 2 <= n <= 3
    else:
        assert 12 <= n <= 16


@pytest.mark.parametrize("entry", entries(), ids=lambda e: e["file"])
def test_title_authors_year_in_text(entry):
    text = norm(text_of(entry["file"]))
    assert norm(entry["title"]) in text
    for a in entry["authors"]:
        assert norm(a) in text
    assert str(entry["year"]) in text


@pytest.mark.parametrize("entry", entries("article"), ids=lambda e: e["file"])
def test_article_front_matter(entry):
    text = text_of(entry["file"])
    head = norm(text[:1500])
    if entry["language"] == "ru":
        labels = ["удк", "аннотация.", "ключевые слова:", "литература"]
    else:
        labels = ["әож", "аңдатпа.", "түйін сөздер:", "әдебиеттер"]
    for label in labels[:3]:
        assert label in head, label
    assert labels[3] in norm(text)
    assert head.startswith(labels[0])


def test_one_article_has_english_abstract():
    with_en = [e["file"] for e in entries("article")
               if "abstract." in norm(text_of(e["file"])) and "keywords:" in norm(text_of(e["file"]))]
    assert with_en == ["ru-2020-yazykovaya-politika-trekhyazychie.pdf"]


@pytest.mark.parametrize("entry", [e for e in entries() if "kk" in e["language"]],
                         ids=lambda e: e["file"])
def test_kazakh_letters_survive_extraction(entry):
    text = text_of(entry["file"]).lower()
    missing = [ch for ch in KAZAKH_LETTERS if ch not in text]
    assert not missing, missing


def test_required_word_forms():
    ru_lakes = text_of("ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf")
    for form in ["межэтнических", "межэтнические", "межэтническим", "согласия", "согласию",
                 "Алматинские озёра", "Большое Алматинское озеро", "озёр", "озера"]:
        assert has_word(ru_lakes, form), form
    assert not has_word(ru_lakes, "озёрам")
    lang = text_of("ru-2020-yazykovaya-politika-trekhyazychie.pdf")
    for form in ["язык", "языка", "языков", "языками"]:
        assert has_word(lang, form), form
    kk_poet = text_of("kk-2024-etnomadeni-birlestikter-til.pdf")
    assert has_word(kk_poet, "ақын")
    assert has_word(kk_poet, "ақындар") or has_word(kk_poet, "ақынның")
    for name in ("kk-2019-assambleya-tarihy-kelisim.pdf", "kk-2024-etnomadeni-birlestikter-til.pdf"):
        t = text_of(name)
        for form in ["Қазақстан", "Қазақстанның", "Қазақстанда", "тіл", "тілі", "тілдің",
                     "тілдерін", "келісім", "келісімі"]:
            assert has_word(t, form), (name, form)
    everything = "\n".join(text_of(e["file"]) for e in entries())
    for absent in ["межэтническими", "озёрам", "ақындары"]:
        assert not has_word(everything, absent), absent


def test_kazakh_author_patronymic_forms():
    authors = [a for e in manifest()["files"] for a in e["authors"]]
    assert any(re.search(r"(ұлы|қызы)\b", a) for a in authors)


def test_docx_pair_has_table_footnote_and_same_text():
    import docx

    (d_entry,) = entries("article", "docx")
    d = docx.Document(str(FILES / d_entry["file"]))
    assert len(d.tables) == 1 and len(d.tables[0].rows) >= 3
    # Footnote-like paragraph: a superscript mark in the body and a small note paragraph.
    assert any(r.font.superscript for p in d.paragraphs for r in p.runs)
    assert any(p.text.startswith("1 ") for p in d.paragraphs)
    assert d.core_properties.title == d_entry["title"]
    pdf_words = words(text_of(d_entry["pair"]))
    docx_words = words(text_of(d_entry["file"]))
    assert len(docx_words & pdf_words) / len(docx_words) > 0.95


# ------------------------------------------------------------------------------------------
# Conference volume
# ------------------------------------------------------------------------------------------

def test_volume_front_matter():
    v = volume()
    pages = page_texts(FILES / v["file"])
    cover, title_page, imprint = norm(pages[0]), norm(pages[1]), norm(pages[2])
    assert "материалы круглого стола" in cover and "дөңгелек үстелінің материалдары" in cover
    assert "алматы, 2023" in cover
    assert "под редакцией" in title_page and "14 апреля 2023" in title_page
    for token in ["удк", "ббк", "isbn " + v["isbn"]]:
        assert token in imprint
    assert re.fullmatch(r"978-601-\d+-\d+-\d", v["isbn"])
    digits = [int(c) for c in v["isbn"] if c.isdigit()]
    assert sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    # Cover, title page and imprint are unnumbered.
    for i in range(3):
        assert footer_text(FILES / v["file"], i) == ""


def test_volume_contents_page():
    v = volume()
    contents = page_texts(FILES / v["file"])[v["contents_physical_page"] - 1]
    assert "СОДЕРЖАНИЕ" in contents
    c = norm(contents)
    for art in v["articles"]:
        assert norm(art["title"]) in c, art["title"]
        assert norm(", ".join(art["authors"])) in c
    # Dot leaders followed by the printed first page of each article.
    leaders = [int(n) for n in re.findall(r"(?:\. ?){3,}\s*(\d+)", contents)]
    for art in v["articles"]:
        assert art["printed_first_page"] in leaders
    # At least one title is long enough to wrap onto a second line.
    longest = max(v["articles"], key=lambda a: len(a["title"]))
    assert norm(longest["title"]) not in [norm(ln) for ln in contents.splitlines()]


def test_volume_printed_page_numbers():
    v = volume()
    path = FILES / v["file"]
    offset = v["printed_page_offset"]
    assert offset > 0
    prev_last = v["contents_physical_page"]
    for art in v["articles"]:
        assert art["physical_first_page"] > prev_last
        assert art["physical_last_page"] >= art["physical_first_page"]
        prev_last = art["physical_last_page"]
        assert art["printed_first_page"] == art["physical_first_page"] - offset
        assert art["printed_last_page"] == art["physical_last_page"] - offset
        for phys, printed in [(art["physical_first_page"], art["printed_first_page"]),
                              (art["physical_last_page"], art["printed_last_page"])]:
            assert footer_text(path, phys - 1) == str(printed)
        first_page = norm(page_texts(path)[art["physical_first_page"] - 1])
        assert norm(art["title"]) in first_page
        assert ("удк" in first_page) or ("әож" in first_page)
    assert [a["language"] for a in v["articles"]].count("kk") == 1


def test_volume_running_header_on_article_pages():
    v = volume()
    path = FILES / v["file"]
    short = header_text(path, v["articles"][0]["physical_first_page"] - 1)
    assert "мегаполис" in short.lower()
    for art in v["articles"]:
        for phys in range(art["physical_first_page"], art["physical_last_page"] + 1):
            assert header_text(path, phys - 1) == short
    assert header_text(path, v["contents_physical_page"] - 1) == ""


# ------------------------------------------------------------------------------------------
# Probe queries
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("probe", manifest()["probe_queries"], ids=lambda p: p["query"])
def test_probe_queries_are_consistent(probe):
    names = {e["file"] for e in manifest()["files"]}
    assert probe["expected"] and set(probe["expected"]) <= names
    for name in probe["expected"]:
        text = text_of(name)
        assert any(has_word(text, f) for f in probe["forms_in_text"]), (name, probe["forms_in_text"])
    if probe["absent_verbatim"]:
        for name in names:
            assert not has_word(text_of(name), probe["query"]), (name, probe["query"])
    if probe["exhaustive"]:
        prefixes = [norm(p) for p in probe["stem_prefixes"]]
        for name in names - set(probe["expected"]):
            hits = [w for w in words(text_of(name)) if any(w.startswith(p) for p in prefixes)]
            assert not hits, (name, hits)


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------

def test_fixtures():
    from pypdf import PdfReader

    names = ["ru_article.pdf", "kk_article.docx", "empty.pdf", "truncated.pdf", "html_named.pdf",
             "random_bytes.pdf", "encrypted.pdf", "not_a_zip.docx", "xss_title.pdf",
             "looping_pages.pdf", "README.md"]
    for n in names:
        assert (DATA / n).exists(), n
        assert (DATA / n).stat().st_size < 100_000, n
    assert (DATA / "empty.pdf").stat().st_size == 0
    valid = (DATA / "ru_article.pdf").read_bytes()
    truncated = (DATA / "truncated.pdf").read_bytes()
    assert truncated == valid[: len(valid) // 2]
    assert len(PdfReader(str(DATA / "ru_article.pdf")).pages) == 1
    assert (DATA / "html_named.pdf").read_bytes().lstrip().lower().startswith(b"<!doctype html")
    assert not (DATA / "random_bytes.pdf").read_bytes().startswith(b"%PDF")
    assert not (DATA / "not_a_zip.docx").read_bytes().startswith(b"PK")
    enc = PdfReader(str(DATA / "encrypted.pdf"))
    assert enc.is_encrypted and enc.decrypt("kelisim")
    xss = PdfReader(str(DATA / "xss_title.pdf"))
    assert xss.metadata.title == "<script>alert(1)</script> Межэтнические отношения"
    from pdfminer.high_level import extract_text
    assert "<img src=x onerror=alert(2)>" in extract_text(str(DATA / "xss_title.pdf"))
    loop = (DATA / "looping_pages.pdf").read_bytes()
    assert b"/Kids [3 0 R 2 0 R]" in loop and loop.startswith(b"%PDF-1.4")


# ------------------------------------------------------------------------------------------
# Regeneration
# ------------------------------------------------------------------------------------------

def test_generator_check_mode_passes():
    r = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
