"""Tests for uploads.quality: judging, repairing and cleaning page text."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from uploads.quality import (clean_pages, judge_page, little_text, needs_ocr, repair_page, strip_xml_forbidden,
                             wants_ocr)

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"

RU_CLEAN = (
    "Атмосферные осадки, являясь компонентом экосистемы и обладая биогеохимической активностью, "
    "способны переносить различные вещества в почву, растения и грунтовые воды. Исследования "
    "химического состава атмосферных осадков в городских условиях представляют собой сложный процесс."
)
KK_CLEAN = (
    "Қазақ тілінің дыбыс жүйесі туралы мақалада ғалым әліпби мәселесін қозғайды. Ол әр дыбысқа "
    "бір таңба берілуі керек деп есептейді және өз ұсынысын дәлелдейді. Бұл мәселе сол кезде "
    "көп талқыланған еді, оқушылар мен мұғалімдер де пікір білдірген."
)
MOJIBAKE = RU_CLEAN.encode("cp1251").decode("latin-1")
SHIFTED = "".join(chr(ord(c) - 0x1D6) if "А" <= c <= "я" else c for c in RU_CLEAN)
KK_BAD_OCR = (
    "Ызыцдап уш*ан мынау б1здщ маса, Сап-сары, аягтары узын маса: Дегенмен кара, яки кызыл маса. "
    "Устшде уйыктаганньщ айнала ушып, Кдкы жеп, канаттары бузылганша, Уйкысын аз да болса белмес пе екен, "
    "Бул сезд1 6ipey алмас, мен деп айтты. Болармын нагып риза туысыма? Туыппын таршыльщтын уысында. "
    "Шамам жоз жан-жагыма 30л созарлы, Тар кердщ тыгылгандай зуысына. Айта алмай шын сезщд1 зоргалайсыц."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (RU_CLEAN, []),
        (KK_CLEAN, []),
        ("", ["empty"]),
        ("  12 \n", ["empty"]),
        ("– 3 –", ["empty"]),
        # short but real text is no problem: too little to judge, and nothing wrong with it
        ("Раздел 17", []),
        ("12. Кіріспе", []),
        ("Итоги", []),
        ("(cid:612)(cid:616)(cid:614)(cid:617) (cid:613)(cid:607) (cid:612)(cid:619)(cid:616) " * 5, ["cid"]),
        ("\ue001\ue002\ue003 \ue004\ue005\ue006\ue007 " * 10, ["private-use"]),
        ("\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd " * 10, ["replacement-chars"]),
        (MOJIBAKE, ["mojibake-cp1251"]),
        (SHIFTED, ["shifted-cyrillic"]),
        (KK_BAD_OCR, ["kazakh-ocr-without-kazakh"]),
        ("$%&'()&*&'+,-%+$./,()&*%0*(0$1*&$,% 2'&(,.,34 *%0 +'(&$/$+*&$,% " * 3, ["soup"]),
        ("\x01\x04\x05\x06\x07\x08\t\n\x06\x0b\x0c \x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17 " * 4, ["soup"]),
        ("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 . , ; : ( ) 23 24 25", ["soup"]),
        # a formula-heavy but fine page: Latin letters, Greek, digits, some Russian
        ("Пусть Ω ⊂ R^n, u ∈ L2(Ω), тогда ‖u‖ ≤ C‖f‖, где C = C(Ω, n) > 0. "
         "Рассмотрим задачу Дирихле для уравнения Δu + λu = f в области Ω.", []),
        # Latin schwa inside Kazakh words is repairable, not a problem that needs OCR
        ("Бұл нəрсенің мəнісін бəрі біледі, əдісін де түсінеді.", []),
    ],
)
def test_judge_page(text: str, expected: list[str]) -> None:
    assert judge_page(text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "repaired"),
    [
        (MOJIBAKE, RU_CLEAN, True),
        ("Äàãåñòàíñêèå ýëåêòðîííûå ìàòåìàòè÷åñêèå èçâåñòèÿ è íàóêà", "Дагестанские электронные математические известия и наука", True),
        (SHIFTED, RU_CLEAN, True),
        ("ɤɨɧɬɭɪɨɜ ɜɧɭɬɪɟɧɧɟɝɨ ɩɨɞɬɨɩɥɟɧɧɨɝɨ ɨɬɜɚɥɚ ɜ ɭɫɥɨɜɢɹɯ ɜɪɟɦɟɧɧɨɣ ɫɬɚɛɢɥɢɡɚɰɢɢ ɨɬɫɵɩɚɧɧɨɣ ɝɨɪɧɨɣ ɦɚɫɫɵ",
         "контуров внутреннего подтопленного отвала в условиях временной стабилизации отсыпанной горной массы", True),
        ("Бұл нəрсенің мəнісін бəрі біледі. Əңгімені тыңда.", "Бұл нәрсенің мәнісін бәрі біледі. Әңгімені тыңда.", True),
        ("Собиржонов и Aзербайджан", "Собиржонов и Азербайджан", True),
        # already fine: nothing to do
        (RU_CLEAN, RU_CLEAN, False),
        (KK_CLEAN, KK_CLEAN, False),
        # Latin words with Cyrillic look-alikes stay Latin-looking; "E. сoli" is not made Cyrillic
        ("Штамм E. coli и Elodea canadensis", "Штамм E. coli и Elodea canadensis", False),
        ("Müller und Café", "Müller und Café", False),
    ],
)
def test_repair_page(text: str, expected: str, repaired: bool) -> None:
    fixed, remaining, did = repair_page(text)
    assert fixed == expected
    assert did is repaired
    assert remaining == []


def test_repair_mixed_page_is_piecewise() -> None:
    clean = "Ключевые слова: расписание, раскраска, граф.\n"
    body = "Все использованные в данной статье обозначения соответствуют принятым в монографии."
    text = clean + body.encode("cp1251").decode("latin-1") + " Keywords: schedule, graph."
    fixed, remaining, did = repair_page(text)
    assert did and remaining == []
    assert fixed == clean + body + " Keywords: schedule, graph."


def test_repair_leaves_unrepairable_problems() -> None:
    fixed, remaining, did = repair_page(KK_BAD_OCR)
    assert "kazakh-ocr-without-kazakh" in remaining
    assert needs_ocr(remaining)


@pytest.mark.parametrize(
    ("problems", "expected"),
    [([], False), (["empty"], True), (["cid"], True), (["soup"], True), (["kazakh-ocr-without-kazakh"], True)],
)
def test_needs_ocr(problems: list[str], expected: bool) -> None:
    assert needs_ocr(problems) is expected


@pytest.mark.parametrize(
    ("text", "problems", "picture", "expected"),
    [
        ("Раздел 17", [], False, False),          # a short real line on a page with nothing else to see
        ("Раздел 17", [], True, True),            # ...on a scan: the line is a stray text layer
        ("", ["empty"], False, False),            # a blank page
        ("", ["empty"], True, True),              # a scan without a text layer
        ("", ["empty"], None, True),              # nobody looked for a picture: as before
        ("Раздел 17", [], None, False),
        (RU_CLEAN, [], True, False),              # a full text page with a figure
        (RU_CLEAN, ["soup"], False, True),        # a broken text layer needs OCR whatever the page shows
        (RU_CLEAN, ["cid"], None, True),
    ],
)
def test_wants_ocr(text: str, problems: list[str], picture, expected: bool) -> None:
    assert wants_ocr(text, problems, picture) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", True), ("Раздел 17", True), ("  7  ", True), (RU_CLEAN, False), ("Қазақ тілі – мемлекеттік тіл. " * 2, False),
])
def test_little_text(text: str, expected: bool) -> None:
    assert little_text(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("интер\ufffeвал", "интервал"),
        ("a\x00b\x01c\x08d\x0be\x0cf\x0eg\x1fh", "abcdefgh"),       # C0 controls
        ("tab\tLF\nCR\r", "tab\tLF\nCR\r"),                           # the three XML allows
        ("x\uffffy\ufffez", "xyz"),
        ("lone \ud800high \udfffl\udc00ow", "lone high low"),          # surrogates without a pair
        ("Қазақ ә ғ қ ң ө ұ ү һ і, ё, «ёлка», €, 𝔘, \u00ad, \ufffd, \x7f, \x85", None),  # all allowed: unchanged
    ],
)
def test_strip_xml_forbidden(text: str, expected: str | None) -> None:
    from xml.etree import ElementTree

    out = strip_xml_forbidden(text)
    assert out == (text if expected is None else expected)
    element = ElementTree.Element("t")
    element.text = out
    assert ElementTree.fromstring(ElementTree.tostring(element)).text == out.replace("\r", "\n")


def test_strip_xml_forbidden_removes_every_forbidden_code_point() -> None:
    forbidden = [c for c in range(0x20) if c not in (0x9, 0xA, 0xD)] + list(range(0xD800, 0xE000)) + [0xFFFE, 0xFFFF]
    text = "".join(chr(c) for c in forbidden)
    assert strip_xml_forbidden(text + "ok") == "ok"


def test_clean_pages_keeps_a_line_that_is_alone_on_every_page() -> None:
    """One short line per page is the pages' text, not a running header (it used to be dropped everywhere)."""
    pages = [f"Раздел {n}" for n in range(1, 41)]
    assert clean_pages(pages) == pages
    with_numbers = [f"Раздел {n}\n{n}" for n in range(1, 41)]
    assert clean_pages(with_numbers) == pages


def _page(header: str, body: str, number: int) -> str:
    return f"{header}\n{body}\n{number}\n"


FILLER = ["Вторая страница о другом.", "Третья страница о третьем.", "Четвёртая страница, итог."]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Изучение меж-\nэтнических отношений в регионе.", "Изучение межэтнических отношений в регионе."),
        ("Это социально-\nэкономический вопрос.", "Это социально-экономический вопрос."),
        ("Город Кирово-\nЧепецк стоит на реке.", "Город Кирово-Чепецк стоит на реке."),
        ("В 2010-\n2011 годах шли работы.", "В 2010-2011 годах шли работы."),
        ("Мягкий пере\u00ad\nнос строки.", "Мягкий перенос строки."),
        ("Мягкий пере\ufffe\r\nнос от pdfium.", "Мягкий перенос от pdfium."),
        ("Кто-\nто пришёл.", "Кто-то пришёл."),
        ("Первая строка\nвторая строка.\n\nНовый абзац.", "Первая строка вторая строка.\n\nНовый абзац."),
    ],
)
def test_clean_pages_joins_and_keeps_paragraphs(body: str, expected: str) -> None:
    bodies = [body, *FILLER]
    pages = [_page(f"Журнал БГУ. География. 2017. № {n}", b, n) for n, b in enumerate(bodies, start=1)]
    cleaned = clean_pages(pages)
    assert cleaned[0] == expected
    assert all(c == unicodedata.normalize("NFC", c) for c in cleaned)


def test_clean_pages_drops_running_lines_with_varying_digits() -> None:
    pages = [
        f"{n}\nМатериалы конференции. Сентябрь, 2021 г.\nТекст страницы номер {n} про {'задачу' * n}.\n"
        f"Вестник университета, вып. {20 + n}\n"
        for n in range(1, 7)
    ]
    cleaned = clean_pages(pages)
    for n, page in enumerate(cleaned, start=1):
        assert page == f"Текст страницы номер {n} про {'задачу' * n}."


def test_clean_pages_uses_document_vocabulary_for_hyphens() -> None:
    pages = [
        "Научно-практическая конференция прошла успешно.",
        "Отчёт о работе научно-\nпрактической секции.",
        "Слово методо-\nлогия разбито переносом, а методология встречается и целиком.",
    ]
    cleaned = clean_pages(pages)
    assert "научно-практической" in cleaned[1]
    assert "методология разбито" in cleaned[2]


# ----------------------------------------------------------------------------- corpus

BROKEN = {
    "pdf/ru_demi_alishaev_cp1251_mojibake_2014.pdf": "mojibake-cp1251",
    "pdf/ru_demi_magomedov_mixed_mojibake_2014.pdf": "mojibake-cp1251",
    "pdf/ru_chasova_surfactants_broken_encoding.pdf": "shifted-cyrillic",
    "pdf/ru_chasova_ligands_no_unicode.pdf": None,   # pdfium: shifted, pdfminer: cid; needs OCR either way
    "pdf/ru_gost_7_88_2003_broken_font.pdf": "soup",
    "scanned/kk_baitursyn_masa_bad_ocr.pdf": "kazakh-ocr-without-kazakh",
    "scanned/ru_gost_7_80_2000_scan.pdf": "empty",
}
REPAIRABLE = {
    "pdf/ru_demi_alishaev_cp1251_mojibake_2014.pdf",
    "pdf/ru_demi_magomedov_mixed_mojibake_2014.pdf",
    "pdf/ru_chasova_surfactants_broken_encoding.pdf",
}
CLEAN = [
    "pdf/kk_abai_qara_sozder.pdf",
    "pdf/kk_altynsarin_hrestomatia_2016.pdf",
    "pdf/kk_baitursyn_bas_akyn_1913.pdf",
    "pdf/kk_baitursyn_baulu_1925.pdf",
    "pdf/kk_baitursyn_dauir_1926.pdf",
    "pdf/kk_baitursyn_kalam_1922.pdf",
    "pdf/kk_baitursyn_mopr_1924.pdf",
    "pdf/kk_baitursyn_shahzaman_1912.pdf",
    "pdf/kk_baitursyn_shekispei_1916.pdf",
    "pdf/ru_bsu_demographic_ageing_2017.pdf",
    "pdf/ru_bsu_inp_30_years_2017.pdf",
    "pdf/ru_bsu_math_dept_55_years_2017.pdf",
    "pdf/ru_bsu_novik_lake_levels_2017.pdf",
    "pdf/ru_chasova_dioxins_2010.pdf",
    "pdf/ru_chasova_phenol_2013.pdf",
    "pdf/ru_naumenko_uv_irradiators_2024.pdf",
    "pdf/ru_nikiforova_poetry_topics.pdf",
    "pdf/ru_ranepa_bachelor_thesis_2021.pdf",
    "pdf/ru_usu_karpachev_abstract_2026.pdf",
    "collections/ru_sgtu_ecology_cities_2011_part1.pdf",
    "collections/ru_sterlitamak_mathphys_2021_vol1.pdf",
]

_CACHE: dict[str, list[str]] = {}


def _pdfium_pages(rel: str) -> list[str]:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    if rel not in _CACHE:
        pdfium = pytest.importorskip("pypdfium2")
        doc = pdfium.PdfDocument(str(path))
        try:
            _CACHE[rel] = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        finally:
            doc.close()
    return _CACHE[rel]


def _pdfminer_pages(rel: str, maxpages: int = 3) -> list[str]:
    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    high_level = pytest.importorskip("pdfminer.high_level")
    return high_level.extract_text(str(path), maxpages=maxpages).split("\f")[:maxpages]


@pytest.mark.parametrize("rel", sorted(BROKEN))
def test_corpus_broken_files_are_caught(rel: str) -> None:
    pages = [p for p in _pdfium_pages(rel)]
    verdicts = [judge_page(p) for p in pages]
    code = BROKEN[rel]
    if code is not None:
        share = sum(code in v for v in verdicts) / len(verdicts)
        assert share >= 0.8, (rel, verdicts)
    assert sum(bool(v) for v in verdicts) >= 0.8 * len(verdicts)
    after = [repair_page(p)[1] for p in pages]
    still_bad = sum(needs_ocr(r) for r in after)
    if rel in REPAIRABLE:
        assert still_bad == 0, (rel, after)
    else:
        assert still_bad >= 0.8 * len(pages), (rel, after)


@pytest.mark.parametrize("rel", CLEAN)
def test_corpus_clean_files_have_no_false_positives(rel: str) -> None:
    pages = _pdfium_pages(rel)
    flagged = [(i + 1, judge_page(p)) for i, p in enumerate(pages) if judge_page(p) and p.strip()]
    assert flagged == []


@pytest.mark.parametrize(
    ("rel", "code"),
    [
        ("pdf/ru_chasova_ligands_no_unicode.pdf", "cid"),
        ("pdf/ru_gost_7_88_2003_broken_font.pdf", "cid"),
        ("pdf/ru_chasova_phenol_2013.pdf", None),
        ("pdf/kk_baitursyn_kalam_1922.pdf", None),
    ],
)
def test_corpus_pdfminer_pages(rel: str, code: str | None) -> None:
    for page in _pdfminer_pages(rel):
        if not page.strip():
            continue
        verdict = judge_page(page)
        assert (code in verdict) if code else verdict == [], verdict


def test_corpus_schwa_files_are_normalised() -> None:
    for page in _pdfium_pages("pdf/kk_baitursyn_shahzaman_1912.pdf"):
        fixed, remaining, _ = repair_page(page)
        assert "\u0259" not in fixed and "\u018f" not in fixed
        assert remaining == []


def test_corpus_clean_pages_on_bsu_article() -> None:
    pages = _pdfium_pages("pdf/ru_bsu_demographic_ageing_2017.pdf")
    cleaned = clean_pages(pages)
    joined = "\n\n".join(cleaned)
    assert "\ufffe" not in joined and "\u00ad" not in joined
    assert "\n\n" in joined
