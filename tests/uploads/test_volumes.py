"""Tests for uploads.volumes: TOC detection/parsing, page mapping, splitting real volumes."""
from __future__ import annotations

from pathlib import Path

import pytest

from uploads.volumes import (
    TocEntry,
    find_toc,
    looks_like_volume,
    map_printed_to_physical,
    parse_authors,
    parse_toc,
    split_volume,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"

# ----------------------------------------------------------------------------- parse_toc

TOC_STERLITAMAK_STYLE = """Содержание
ПРЕДИСЛОВИЕ . . . . . . . . . . . . . . . . . . . . . . 12
Секция 1. СПЕКТРАЛЬНАЯ ТЕОРИЯ ДИФФЕРЕНЦИ\ufffe
АЛЬНЫХ ОПЕРАТОРОВ
Кадченко С.И., Ставцева А.В.
АЛГОРИТМ РЕШЕНИЯ ОБРАТНЫХ СПЕКТРАЛЬНЫХ ЗАДАЧ
НА КВАНТОВЫХ ГРАФАХ, МОДЕЛИРУЮЩИХ АРОМАТИЧЕ\ufffe
СКИЕ СОЕДИНЕНИЯ . . . . . . . . . . . . . . . . . . . 28
Ляхов Л.Н, Санина Е.Л.
СИНГУЛЯРНЫЙ ОПЕРАТОР КИПРИЯНОВА–ЛАПЛАСА НА
СФЕРЕ С ОТРИЦАТЕЛЬНЫМИ ПАРАМЕТРАМИ БЕССЕЛЯ . . 81
Булатов Ю.Н.
ФУНКЦИЯ ГРИНА ДЛЯ СИНГУЛЯРНОГО ОПЕРАТОРА БЕССЕЛЯ133
"""

TOC_SARATOV_STYLE = """СОДЕРЖАНИЕ
Секция 1
Методология экологического мониторинга и прогнозирования состояния
окружающей среды....................................................................... 3
Аветисян М.Г., Ревазян Р.Г.
Экотоксикологическая характеристика содержания тяжелых металлов
в атмосферных осадках г. Еревана.............................................. 3
Ваганова Е.С., Ваганов А.С., Давыдова О.А.
Мониторинг влияния жесткости воды на распределение тяжелых металлов
в водных экосистемах.........................................................................
34
Секция 2
Экологические, экономические и социальные проблемы загрязнения
окружающей среды....................................................................... 177
Авдеева Е.В., Черникова К.В.
Специфика микроклиматических условий урбанизированных ландшафтов......... 177
"""

# pdfminer puts the page numbers of a column into a separate block after the titles
TOC_PDFMINER_STYLE = """4

Иноземцев А.И.

О ЕДИНСТВЕННОСТИ РЕШЕНИЯ ЧАСТНО-ИНТЕГРАЛЬНОГО
АНИЗОТРОПНЫХ ПРОСТРАНСТВАХ ЛЕБЕГА . . . . . . . . .

Калябин Г.А.

НЕРАВЕНСТВА КОЛМОГОРОВА ДЛЯ ПРОСТРАНСТВ СОБО-
ЛЕВА НА ОТРЕЗКЕ . . . . . . . . . . . . . . . . . . . . . .

Раджабов Н.

73

78

ПЕРЕОПРЕДЕЛЕННАЯ ЛИНЕЙНАЯ СИСТЕМА . . . . . . . .

85
"""

TOC_KAZAKH_AUTHORS_AFTER = """Мазмұны
Қазақ тілінің әліпбиі туралы ........................ 5
Байтұрсынұлы А.
Абай шығармаларының тілі ............................ 17
Құнанбаев А.
"""

TOC_ONE_LINE = """Оглавление
Иванов И.И. Исторический очерк кафедры ............ 7
Петров П.П., Сидоров С.С. О методике преподавания истории ..... 15
Нұрланқызы А. Қазақ әдебиетіндегі дәстүр ........ 23
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            TOC_STERLITAMAK_STYLE,
            [
                ("ПРЕДИСЛОВИЕ", [], 12),
                ("АЛГОРИТМ РЕШЕНИЯ ОБРАТНЫХ СПЕКТРАЛЬНЫХ ЗАДАЧ НА КВАНТОВЫХ ГРАФАХ, МОДЕЛИРУЮЩИХ "
                 "АРОМАТИЧЕСКИЕ СОЕДИНЕНИЯ", ["Кадченко С.И., Ставцева А.В."], 28),
                ("СИНГУЛЯРНЫЙ ОПЕРАТОР КИПРИЯНОВА–ЛАПЛАСА НА СФЕРЕ С ОТРИЦАТЕЛЬНЫМИ ПАРАМЕТРАМИ БЕССЕЛЯ",
                 ["Ляхов Л.Н, Санина Е.Л."], 81),
                ("ФУНКЦИЯ ГРИНА ДЛЯ СИНГУЛЯРНОГО ОПЕРАТОРА БЕССЕЛЯ", ["Булатов Ю.Н."], 133),
            ],
        ),
        (
            TOC_SARATOV_STYLE,
            [
                ("Экотоксикологическая характеристика содержания тяжелых металлов в атмосферных осадках "
                 "г. Еревана", ["Аветисян М.Г., Ревазян Р.Г."], 3),
                ("Мониторинг влияния жесткости воды на распределение тяжелых металлов в водных экосистемах",
                 ["Ваганова Е.С., Ваганов А.С., Давыдова О.А."], 34),
                ("Специфика микроклиматических условий урбанизированных ландшафтов",
                 ["Авдеева Е.В., Черникова К.В."], 177),
            ],
        ),
        (
            TOC_PDFMINER_STYLE,
            [
                ("О ЕДИНСТВЕННОСТИ РЕШЕНИЯ ЧАСТНО-ИНТЕГРАЛЬНОГО АНИЗОТРОПНЫХ ПРОСТРАНСТВАХ ЛЕБЕГА",
                 ["Иноземцев А.И."], 73),
                ("НЕРАВЕНСТВА КОЛМОГОРОВА ДЛЯ ПРОСТРАНСТВ СОБОЛЕВА НА ОТРЕЗКЕ", ["Калябин Г.А."], 78),
                ("ПЕРЕОПРЕДЕЛЕННАЯ ЛИНЕЙНАЯ СИСТЕМА", ["Раджабов Н."], 85),
            ],
        ),
        (
            TOC_KAZAKH_AUTHORS_AFTER,
            [
                ("Қазақ тілінің әліпбиі туралы", ["Байтұрсынұлы А."], 5),
                ("Абай шығармаларының тілі", ["Құнанбаев А."], 17),
            ],
        ),
        (
            TOC_ONE_LINE,
            [
                ("Исторический очерк кафедры", ["Иванов И.И."], 7),
                ("О методике преподавания истории", ["Петров П.П., Сидоров С.С."], 15),
                ("Қазақ әдебиетіндегі дәстүр", ["Нұрланқызы А."], 23),
            ],
        ),
    ],
)
def test_parse_toc(text: str, expected: list[tuple[str, list[str], int]]) -> None:
    entries = parse_toc(text)
    assert [(e.title, e.authors, e.page) for e in entries] == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Кадченко С.И., Ставцева А.В.", ["Кадченко С.И.", "Ставцева А.В."]),
        ("М.Г. Аветисян, Р.Г. Ревазян", ["Аветисян М.Г.", "Ревазян Р.Г."]),
        ("Popivanov N.I., Hristov Ts.D., Scherer R.", ["Popivanov N.I.", "Hristov Ts.D.", "Scherer R."]),
        ("Айда-заде К.Р., Абдуллаев В.М.", ["Айда-заде К.Р.", "Абдуллаев В.М."]),
        ("Байтұрсынұлы А.", ["Байтұрсынұлы А."]),
    ],
)
def test_parse_authors(text: str, names: list[str]) -> None:
    assert [a.name for a in parse_authors(text)] == names


def _synthetic_volume() -> list[str]:
    """A 12-page volume: title page, imprint, TOC at the start, three articles, offset +2."""
    pages = [
        "МИНИСТЕРСТВО ОБРАЗОВАНИЯ\nИСТОРИЯ И КУЛЬТУРА СТЕПИ\nМатериалы Международной научной конференции\n"
        "(г. Алматы, 12–14 мая 2020 г.)\nАлматы\n2020",
        "УДК 94(574)\nББК 63.3(5Каз)\nИстория и культура степи: материалы Международной научной конференции "
        "(г. Алматы, 12–14 мая 2020 г.) / под ред. А.Б. Сериков. – Алматы: Қазақ университеті, 2020. – 10 с.\n"
        "ISBN 978-601-04-1234-5",
        "Содержание\nИванов И.И.\nКОЧЕВЫЕ ПУТИ СРЕДНЕВЕКОВЬЯ ........ 1\nПетров П.П., Ахметова А.А.\n"
        "ГОРОДА ВЕЛИКОГО ШЕЛКОВОГО ПУТИ ........ 4\nСериков А.Б.\nАРХИВЫ КАЗАХСКИХ ХАНСТВ ........ 7\n",
    ]
    bodies = {
        1: "УДК 94\nКОЧЕВЫЕ ПУТИ СРЕДНЕВЕКОВЬЯ\nИванов И.И.\nТекст статьи о кочевьях.",
        4: "УДК 94\nГОРОДА ВЕЛИКОГО ШЕЛКОВОГО ПУТИ\nПетров П.П., Ахметова А.А.\nТекст о городах.",
        7: "УДК 930\nАРХИВЫ КАЗАХСКИХ ХАНСТВ\nСериков А.Б.\nТекст об архивах.",
    }
    for printed in range(1, 10):
        pages.append(f"{printed}\n" + bodies.get(printed, f"Продолжение текста на странице {printed}.\n" * 5))
    return pages


def test_split_synthetic_volume() -> None:
    pages = _synthetic_volume()
    assert find_toc(pages) == (3, 3)
    entries = parse_toc(pages[2])
    mapping = map_printed_to_physical(pages, entries)
    assert mapping == {1: 4, 4: 7, 7: 10}
    info, spans = split_volume(pages)
    assert [(s.first_page, s.last_page, s.printed_first) for s in spans] == [(4, 6, 1), (7, 9, 4), (10, 12, 7)]
    assert spans[1].authors[1].surname == "Ахметова"
    assert all(s.source == "toc" for s in spans)
    assert info.isbn == "978-601-04-1234-5"
    assert info.udc == "94(574)"
    assert info.bbk.startswith("63.3")
    assert info.place == "Алматы"
    assert info.dates.startswith("12–14 мая 2020")
    assert info.editors == ["Сериков А.Б."]
    assert info.year == 2020
    assert looks_like_volume(pages)


def test_split_falls_back_to_layout_without_toc() -> None:
    pages = _synthetic_volume()
    pages[2] = "Предисловие редакции. Сборник подготовлен к конференции."
    info, spans = split_volume(pages)
    assert [s.first_page for s in spans] == [4, 7, 10]
    assert all(s.source == "layout" for s in spans)
    assert spans[0].title == "КОЧЕВЫЕ ПУТИ СРЕДНЕВЕКОВЬЯ"


def test_article_starting_mid_page_shares_the_page() -> None:
    pages = _synthetic_volume()
    long_tail = "Окончание предыдущей статьи с длинной строкой текста для проверки.\n" * 6
    pages[6] = "4\n" + long_tail + "УДК 94\nГОРОДА ВЕЛИКОГО ШЕЛКОВОГО ПУТИ\nПетров П.П., Ахметова А.А.\nТекст."
    _, spans = split_volume(pages)
    assert (spans[0].first_page, spans[0].last_page) == (4, 7)


def test_single_article_is_not_a_volume() -> None:
    pages = [
        "Содержание\nВведение ........ 3\nГлава 1. Теория ........ 5\nГлава 2. Практика ........ 9\n"
        "Заключение ........ 12",
        *[f"{n}\nТекст главы на странице {n}." for n in range(2, 14)],
    ]
    assert not looks_like_volume(pages)


# ----------------------------------------------------------------------------- real volumes

# Physical first page of every article, written from each volume's table of contents and checked
# against the pages (both volumes print page n on physical page n). Two TOC misprints were
# corrected by looking at the pages: Saratov "Безруков, Галунова" is listed at 21 but starts at
# the bottom of page 20; Sterlitamak "Барышева, Фролова" is listed at 62 but starts on page 63.
EXPECTED = {
    "collections/ru_sgtu_ecology_cities_2011_part1.pdf": [
        3, 6, 8, 11, 13, 15, 18, 20, 22, 24, 27, 30, 32, 34, 36, 38, 41, 44, 47, 50, 52, 55, 57, 59,
        61, 64, 69, 72, 75, 77, 79, 85, 88, 91, 94, 96, 98, 100, 102, 105, 107, 109, 111, 113, 115,
        117, 120, 123, 125, 126, 128, 130, 132, 134, 136, 139, 141, 145, 148, 151, 154, 156, 158, 161,
        163, 165, 168, 171, 174, 177, 180, 183, 186, 189, 191, 194, 197, 200, 203, 206, 209, 211, 212,
        213, 215, 217, 220, 223, 226, 227, 229, 232, 235, 238, 240, 242, 244, 246, 248, 249, 253, 255,
        258, 261, 264, 266, 268, 271, 273, 275, 278, 279, 281, 283, 285, 287, 289, 290, 293, 295, 298,
        300, 303, 305, 308, 311, 312, 315, 317, 320, 323, 325, 326, 328, 331, 333, 336,
    ],
    "collections/ru_sterlitamak_mathphys_2021_vol1.pdf": [
        # page 12 is the ПРЕДИСЛОВИЕ: front matter, not an article
        16, 28, 33, 43, 55, 57, 59, 61, 63, 68, 73, 78, 81, 85, 91, 96, 100, 105, 110, 114, 119,
        124, 126, 130, 133, 136, 141, 145, 149, 150, 155, 157, 162, 164, 168, 174, 177, 182, 188, 193,
        196, 199, 202, 206, 211, 212, 215, 220, 224, 225, 230, 233, 239, 242, 245, 247, 250, 254, 257,
        261, 267, 271, 272, 276, 281, 283, 287, 289, 292, 298, 303, 308, 312, 316, 319, 323, 328, 334,
        339, 344, 348, 353, 356, 357, 358, 363, 366, 372, 377, 379,
    ],
}
EXPECTED_INFO = {
    "collections/ru_sgtu_ecology_cities_2011_part1.pdf": {
        "isbn": "978-5-7433-2369-2", "udc": "504", "year": 2011, "place": "Саратов",
        "editor": "Тихомирова Е.И.", "title_starts": "ЭКОЛОГИЧЕСКИЕ ПРОБЛЕМЫ",
    },
    "collections/ru_sterlitamak_mathphys_2021_vol1.pdf": {
        "isbn": "978-5-7477-5327-3", "udc": "517.95, 517.91, 532.546, 539.422.2", "bbk": "22.161",
        "year": 2021, "place": "Уфа", "dates": "12 – 15 сентября 2021 г.", "publisher": "РИЦ БашГУ",
        "editor": "Филиппов А.И.", "title_starts": "Современные проблемы математики и физики",
    },
}

_PAGES: dict[str, list[str]] = {}


def _pages(rel: str) -> list[str]:
    """Page texts of a corpus PDF via pypdfium2 (~1 s per volume), cached for the session."""
    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"shared corpus not available ({path})")
    if rel not in _PAGES:
        pdfium = pytest.importorskip("pypdfium2")
        doc = pdfium.PdfDocument(str(path))
        try:
            _PAGES[rel] = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        finally:
            doc.close()
    return _PAGES[rel]


def boundary_scores(found: list[int], expected: list[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of article first pages."""
    f, e = set(found), set(expected)
    tp = len(f & e)
    p = tp / len(f) if f else 0.0
    r = tp / len(e) if e else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_real_volume_boundaries(rel: str) -> None:
    pages = _pages(rel)
    info, spans = split_volume(pages)
    p, r, f1 = boundary_scores([s.first_page for s in spans], EXPECTED[rel])
    assert f1 >= 0.95, (p, r, f1)
    assert p >= 0.95 and r >= 0.95
    assert all(s.source == "toc" for s in spans)
    for a, b in zip(spans, spans[1:]):
        assert a.first_page <= a.last_page <= b.first_page
    assert all(s.title and s.authors for s in spans if s.first_page > 27)


@pytest.mark.parametrize("rel", sorted(EXPECTED_INFO))
def test_real_volume_front_matter(rel: str) -> None:
    info, _ = split_volume(_pages(rel))
    exp = EXPECTED_INFO[rel]
    assert info.isbn == exp["isbn"]
    assert info.udc == exp["udc"]
    assert info.year == exp["year"]
    assert info.place == exp["place"]
    assert exp["editor"] in info.editors
    assert info.title.startswith(exp["title_starts"])
    for key in ("bbk", "dates", "publisher"):
        if key in exp:
            assert getattr(info, key) == exp[key]


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_real_volume_layout_fallback_still_finds_most(rel: str) -> None:
    """Without the TOC pages, layout cues alone should still find most article starts."""
    pages = list(_pages(rel))
    toc = find_toc(pages)
    assert toc is not None
    for i in range(toc[0] - 1, toc[1]):
        pages[i] = ""
    _, spans = split_volume(pages)
    p, r, _ = boundary_scores([s.first_page for s in spans], EXPECTED[rel])
    assert all(s.source == "layout" for s in spans)
    assert r >= 0.8 and p >= 0.6, (p, r)


@pytest.mark.parametrize(
    "rel",
    [
        "pdf/ru_ranepa_bachelor_thesis_2021.pdf",
        "pdf/kk_altynsarin_hrestomatia_2016.pdf",
        "pdf/ru_bsu_demographic_ageing_2017.pdf",
        "pdf/kk_abai_qara_sozder.pdf",
    ],
)
def test_single_documents_are_not_volumes(rel: str) -> None:
    assert not looks_like_volume(_pages(rel))


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_real_volumes_are_volumes(rel: str) -> None:
    assert looks_like_volume(_pages(rel))


def test_toc_pages_from_pdfminer() -> None:
    """pdfminer's layout puts TOC page numbers in a separate block: parse a few real TOC pages."""
    rel = "collections/ru_sterlitamak_mathphys_2021_vol1.pdf"
    path = CORPUS / rel
    if not path.exists():
        pytest.skip("shared corpus not available")
    high_level = pytest.importorskip("pdfminer.high_level")
    text = high_level.extract_text(str(path), page_numbers=[2, 3, 4])
    pages = text.split("\f")[:3]
    entries = parse_toc(pages)
    expected = [12] + [p for p in EXPECTED[rel] if p <= 150]   # the TOC also lists the preface
    expected[expected.index(63)] = 62  # the TOC prints 62
    got = [e.page for e in entries]
    assert got[: len(expected)] == expected[: len(got)]
    assert len(got) >= 25
    assert isinstance(entries[0], TocEntry)


# ----------------------------------------------------------------------------- issue 14 regressions


def _hyphen_volume() -> list[str]:
    """A volume whose TOC breaks compound words at line ends (and PDFium marks one break with U+FFFE)."""
    pages = [
        "МИНИСТЕРСТВО НАУКИ\nКРАЕВЫЕ ЗАДАЧИ И ИХ ПРИЛОЖЕНИЯ\nМатериалы\nМеждународной научной конференции\n"
        "(г. Туркестан, 3 – 5 июня 2022 г.)\nШЫМКЕНТ\nИздательство ЮКУ\n2022",
        "УДК 517.95\nКраевые задачи и их приложения: материалы Международной\nК78 научной конференции "
        "(г. Туркестан, 3 – 5 июня 2022 г.) / отв. ред.\nА.Б. Сериков. – Шымкент: Издательство ЮКУ, 2022. – 12 с.\n"
        "Материалы составлены из докладов, представленных на международную научную конференцию\n"
        "\"Краевые задачи и их приложения\" в Туркестане.\nISBN 978-601-04-1234-5",
        "Содержание\nИванов И.И.\nЗАДАЧА БЕЗ НАЧАЛЬНЫХ УСЛОВИЙ ДЛЯ ДИФФУЗИОННО-\nВОЛНОВОГО УРАВНЕНИЯ ........ 1\n"
        "Petrov P.P.\nASYMPTOTICS OF THE STURM\ufffeLIOUVILLE OPERATOR ........ 4\n"
        "Сериков А.Б.\nКЛАСС БЫСТРО-\nУБЫВАЮЩИХ ФУНКЦИЙ И ИХ ПРИМЕНЕНИЕ ........ 7\n",
    ]
    bodies = {
        1: "УДК 517\nЗАДАЧА БЕЗ НАЧАЛЬНЫХ УСЛОВИЙ ДЛЯ ДИФФУЗИОННО-ВОЛНОВОГО УРАВНЕНИЯ\nИванов И.И.\nТекст статьи.",
        4: "UDC 517\nASYMPTOTICS OF THE STURM-LIOUVILLE OPERATOR\nPetrov P.P.\nText of the paper.",
        7: "УДК 517\nКЛАСС БЫСТРОУБЫВАЮЩИХ ФУНКЦИЙ И ИХ ПРИМЕНЕНИЕ\nСериков А.Б.\nТекст статьи.",
    }
    for printed in range(1, 10):
        pages.append(f"{printed}\n" + bodies.get(printed, f"Продолжение текста на странице {printed}.\n" * 5))
    return pages


def test_toc_line_end_hyphens_follow_the_article_page() -> None:
    _, spans = split_volume(_hyphen_volume())
    assert [s.title for s in spans] == [
        "ЗАДАЧА БЕЗ НАЧАЛЬНЫХ УСЛОВИЙ ДЛЯ ДИФФУЗИОННО-ВОЛНОВОГО УРАВНЕНИЯ",
        "ASYMPTOTICS OF THE STURM-LIOUVILLE OPERATOR",
        "КЛАСС БЫСТРОУБЫВАЮЩИХ ФУНКЦИЙ И ИХ ПРИМЕНЕНИЕ",
    ]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Иванов И.И.\nО ЗАДАЧЕ ДЛЯ ДИФФУЗИОННО-\nВОЛНОВОГО УРАВНЕНИЯ ........ 3\n", "О ЗАДАЧЕ ДЛЯ ДИФФУЗИОННО-ВОЛНОВОГО УРАВНЕНИЯ"),
        ("Иванов И.И.\nО задаче Штурма для оператора Sturm-\nLiouville ........ 3\n", "О задаче Штурма для оператора Sturm-Liouville"),
        ("Иванов И.И.\nНЕРАВЕНСТВА ДЛЯ ПРОСТРАНСТВ СОБО-\nЛЕВА ........ 3\n", "НЕРАВЕНСТВА ДЛЯ ПРОСТРАНСТВ СОБОЛЕВА"),
    ],
)
def test_toc_hyphen_rule_without_the_article_page(text: str, title: str) -> None:
    assert [e.title for e in parse_toc(text)] == [title]


def test_volume_place_is_the_imprint_not_the_conference_city() -> None:
    info, _ = split_volume(_hyphen_volume())
    assert info.place == "Шымкент"
    assert info.publisher == "Издательство ЮКУ"
    assert info.dates.startswith("3 – 5 июня 2022")


def test_volume_event_is_the_named_conference() -> None:
    info, _ = split_volume(_hyphen_volume())
    assert "Краевые задачи и их приложения" in info.event_title


def test_volume_place_from_title_page_bottom_without_record() -> None:
    pages = _hyphen_volume()
    pages[1] = "УДК 517.95\nISBN 978-601-04-1234-5"
    info, _ = split_volume(pages)
    assert info.place == "Шымкент"


def test_volume_title_from_the_record_not_a_cover_fragment() -> None:
    pages = _hyphen_volume()
    pages[0] = ("Ассамблея народа Казахстана\n«ДАЛА ӨҢІРІНДЕГІ ТІЛ ЖӘНЕ\nМӘДЕНИ КЕЛІСІМ» семинарының\nматериалдары\n"
                "Материалы семинара «ЯЗЫК,\nКУЛЬТУРА И СОГЛАСИЕ\nВ СТЕПНОМ РЕГИОНЕ»\nҚонаев, 2022")
    pages[1] = ("УДК 323.1\nЯ 41\nРедакционная коллегия: Т.К. Беков (отв. ред.), М.П. Иванова.\n"
                "Я 41 Язык, культура и согласие в степном регионе: материалы\nсеминара (Қонаев, 14 апреля 2022 г.) = "
                "Дала өңіріндегі тіл және мәдени келісім:\nсеминар материалдары / под ред. Т.К. Бекова. – Қонаев: "
                "НЭГ АНК, 2022. – 12 с.\nISBN 978-601-04-1234-5")
    info, _ = split_volume(pages)
    assert info.title == "Язык, культура и согласие в степном регионе: материалы семинара (Қонаев, 14 апреля 2022 г.)"
    assert info.place == "Қонаев"


def test_last_article_ends_where_the_back_matter_begins() -> None:
    pages = _synthetic_volume()
    pages[2] += "Сведения об авторах ........ 9\n"
    pages[11] = "9\nСВЕДЕНИЯ ОБ АВТОРАХ\nИванов Иван Иванович — кандидат исторических наук.\n"
    _, spans = split_volume(pages)
    assert (spans[-1].first_page, spans[-1].last_page, spans[-1].printed_last) == (10, 11, 8)


def test_article_after_a_short_reference_tail_shares_the_page() -> None:
    pages = _synthetic_volume()
    pages[6] = ("4\n2. Сериков А.Б. Кочевья и города. – Алматы: Наука, 2009. – 201 с.\n"
                "УДК 94\nГОРОДА ВЕЛИКОГО ШЕЛКОВОГО ПУТИ\nПетров П.П., Ахметова А.А.\nТекст о городах.")
    _, spans = split_volume(pages)
    assert (spans[0].last_page, spans[0].printed_last) == (7, 4)
    assert spans[1].first_page == 7
