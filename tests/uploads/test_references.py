"""Tests for uploads.references: finding reference lists, splitting entries, reading fields, link scores."""
from __future__ import annotations

import importlib.util

import pytest

from support import REPO, corpus_path
from uploads.references import (
    LINK_THRESHOLD,
    PARSED,
    PARTIAL,
    UNPARSED,
    find_reference_lists,
    match_score,
    parse_entry,
    split_entries,
    title_similarity,
    volume_reference_lists,
    work_key,
)
from uploads.types import ArticleSpan

BODY = ("Межэтнические отношения в крупном городе складываются из повседневных практик. "
        "Жители говорят на казахском и русском языках, что отмечено в работах [1, 2].")


def _entries(pages: list[str], **kw) -> list[str]:
    return [e.raw for lst in find_reference_lists(pages, **kw) for e in lst.entries]


# --------------------------------------------------------------------------- fields of one entry

FIELD_CASES = [
    # GOST 7.1 book, areas separated by ". – "
    ("Барбье М. Введение в химическую экологию. – М.: Мир, 1978. – 237 с.",
     dict(authors=["Барбье М."], title="Введение в химическую экологию", year=1978, place="М.", publisher="Мир",
          extent="237", pages="", container="")),
    # GOST 7.0.5 article with "//"
    ("Петросян В.С. Диоксины: пугало или реальная угроза? // Природа. 2000. № 2. С. 25–30.",
     dict(authors=["Петросян В.С."], title="Диоксины: пугало или реальная угроза?", container="Природа",
          year=2000, issue="2", pages="25-30")),
    # GOST 7.0.100: statement of responsibility repeats the authors, edition area
    ("Иванов И. И. Теория упругости / И. И. Иванов, П. П. Петров. – 2-е изд. – Москва : Наука, 2019. – 350 с.",
     dict(authors=["Иванов И.И.", "Петров П.П."], title="Теория упругости", year=2019, extent="350")),
    # no heading author: the persons come after "/"; "[и др.]" closes the list
    ("Социально-экономические последствия демографического старения / С. Г. Максимова [и др.] // Вестн. АГАУ. "
     "2010. № 11 (73). С. 87–91.",
     dict(authors=["Максимова С.Г."], title="Социально-экономические последствия демографического старения",
          container="Вестн. АГАУ", year=2010, pages="87-91")),
    # editors are not authors
    ("Экогеохимия городских ландшафтов / под ред. Н. С. Касимова. М.: Изд-во МГУ, 1995. 336 с.",
     dict(authors=[], title="Экогеохимия городских ландшафтов", year=1995, container="")),
    # transliterated "References" twin: title and journal separated by full stops
    ("Sapozhnikova T. I. Demograficheskoe starenie: prognozy, prichiny, posledstviya. Sci. j. KubSAU. 2007. "
     "No. 25 (1). P. 10–20 (in Russ.).",
     dict(authors=["Sapozhnikova T.I."], title="Demograficheskoe starenie: prognozy, prichiny, posledstviya",
          container="Sci. j. KubSAU", year=2007, pages="10-20")),
    # Kazakh, "Б." for pages
    ("Әуезов М.О. ХVIII–ХІХ ғ. ақындары // Шығармалар жинағы. Т. 16. – Алматы, 1985. – Б. 176–198.",
     dict(authors=["Әуезов М.О."], title="ХVIII–ХІХ ғ. ақындары", container="Шығармалар жинағы", year=1985,
          volume="16", pages="176-198")),
    ("Ламашев Ә. Ыбырай мұраларын зерттеу тарихынан // Қазақстан мұғалімі. 30 тамыз, 1991.",
     dict(authors=["Ламашев Ә."], title="Ыбырай мұраларын зерттеу тарихынан", container="Қазақстан мұғалімі",
          year=1991)),
    # English with "pp."
    ("Byun S.S., Palagachev D.K., Softova L.G. Survey on gradient estimates // St. Petersburg Math. J. 2020. "
     "Vol. 31, No. 3. pp. 401–419.",
     dict(authors=["Byun S.S.", "Palagachev D.K.", "Softova L.G."], title="Survey on gradient estimates",
          container="St. Petersburg Math. J", year=2020, volume="31", issue="3", pages="401-419")),
    # APA-like: year after the authors, volume and pages without markers
    ("Blei, D. M., Ng, A. Y., and Jordan, M. I. (2003). Latent dirichlet allocation. J. Mach. Learn. Res. 3, 993–1022.",
     dict(authors=["Blei D.M.", "Ng A.Y.", "Jordan M.I."], title="Latent dirichlet allocation",
          container="J. Mach. Learn. Res", year=2003, pages="993-1022")),
    # DOI; a journal name that looks like a page marker ("J. C.") is not pages
    ("Aad G., Abbott B. Measurement of three-jet production. Eur. Phys. J. C. 2015. Vol. 75. P. 228. "
     "DOI: 10.1140/epjc/s10052-015-3363-3.",
     dict(year=2015, pages="228", doi="10.1140/epjc/s10052-015-3363-3", container="Eur. Phys. J. C")),
    # URL broken by a line break, access date is not the year
    ("Население по полу и возрастным группам [Электронный ресурс]. URL: http:// www.perepis2002.ru/index.html?id=31 "
     "(дата обращения: 09.04.2016).",
     dict(title="Население по полу и возрастным группам", year=None, url="http://www.perepis2002.ru/index.html?id=31")),
    # authors only, the journal after "//": no title is printed
    ("Jin S., Linden K.G., Ducoste J., Liu D. // Water Research. 2005. Vol. 39. № 12. 2711-2721.",
     dict(authors=["Jin S.", "Linden K.G.", "Ducoste J.", "Liu D."], title="", container="Water Research",
          year=2005, pages="2711-2721")),
]


@pytest.mark.parametrize("raw, expected", FIELD_CASES, ids=[c[0][:30] for c in FIELD_CASES])
def test_parse_entry_reads_fields_gost_and_english_styles(raw, expected):
    ref = parse_entry(raw)
    assert ref.raw == raw
    for field, value in expected.items():
        assert getattr(ref, field) == value, (field, getattr(ref, field))


def test_parse_entry_flags_missing_title_and_year_as_partial():
    ref = parse_entry("Jin S., Linden K.G. // Water Research. Vol. 39. № 12.")
    assert ref.parse_status == PARTIAL
    assert ref.problems == ["no title", "no year"]


@pytest.mark.parametrize("raw", ["", "— — —", "12345 678", "x" * 1600])
def test_parse_entry_marks_text_that_is_no_reference_unparsed(raw):
    ref = parse_entry(raw)
    assert ref.parse_status == UNPARSED
    assert ref.problems and ref.problems[0] in (
        "does not read as a reference (too short or too long)", "no title or source found")


def test_parse_entry_complete_entry_is_parsed():
    ref = parse_entry("Смирнов М.М. Уравнения смешанного типа. М.: Высшая школа, 1985. 304 с.")
    assert (ref.parse_status, ref.problems) == (PARSED, [])


# --------------------------------------------------------------------------- finding and splitting lists


def test_numbered_entries_in_one_paragraph_are_split_at_the_next_number():
    page = (BODY + " СПИСОК ЛИТЕРАТУРЫ 1. Тихонов А.Н., Самарский А.А. Уравнения математической физики. "
            "М.: Наука, 1977. 736 с. 2. Рэлей Л. Теория звука. Т. 3. С. 5. М.: ГИТТЛ, 1955. 504 с. "
            "3. Наймарк М.А. Линейные дифференциальные операторы. М.: Наука, 1969. 528 с.")
    (lst,) = find_reference_lists([page])
    assert [e.number for e in lst.entries] == [1, 2, 3]
    assert lst.entries[1].raw == "Рэлей Л. Теория звука. Т. 3. С. 5. М.: ГИТТЛ, 1955. 504 с."
    assert (lst.numbering, lst.parse_status) == ("dot", PARSED)


def test_bracket_numbering_is_split():
    page = (BODY + "\n\nСписок литературы [1] Шлихтинг Г. Теория пограничного слоя. М.: ИИЛ, 1956, 528 с. "
            "[2] Хаппель Дж., Бреннер Г. Гидродинамика при малых числах Рейнольдса. М.: Мир, 1976, 630 с.")
    (lst,) = find_reference_lists([page])
    assert lst.numbering == "bracket"
    assert [e.raw for e in lst.entries] == [
        "Шлихтинг Г. Теория пограничного слоя. М.: ИИЛ, 1956, 528 с.",
        "Хаппель Дж., Бреннер Г. Гидродинамика при малых числах Рейнольдса. М.: Мир, 1976, 630 с.",
    ]


def test_unnumbered_hanging_entries_are_one_a_paragraph():
    page = (BODY + "\n\nЛитература\n\nКостюченко С.В., Васильев А.И. Ультрафиолетовые технологии // Гигиена и "
            "санитария. 2021. Т. 100. С. 1229-1235.\n\nVigstrand O. Development of an absorption model for gas "
            "discharge lamp\n\nsimulation: master’s thesis. – Malmo: Malmo University, 2021.\n\nPACS 42.72.Bj\n\n"
            "Optimization of the design of open-type irradiators")
    (lst,) = find_reference_lists([page])
    assert lst.numbering == "none"
    assert len(lst.entries) == 2
    assert lst.entries[1].raw.endswith("lamp simulation: master’s thesis. – Malmo: Malmo University, 2021.")


HEADER = "Вестник КазНУ. Серия филологическая. №2 (2019)"


def test_list_continues_over_a_page_break_with_running_header_and_page_number():
    pages = [
        f"{HEADER}\n\n{BODY}\n\nПайдаланылған әдебиеттер тізімі:\n\n"
        "1. Әуезов М. Ыбырай Алтынсарин – қазақ мәдениетінің зор қайраткері // Социалистік Қазақстан. 1950.\n\n"
        "2. Дербісәлин Ә. Ыбырай Алтынсариннің өмірі мен жазушылық\n\n17",
        f"{HEADER}\n\nқызметі. Алматы, 1956. – 59 б.\n\n"
        "3. Сүйіншәлиев Х. ХІХ ғасыр қазақ әдебиеті. Алматы: Ана тілі, 1992. – 400 б.\n\n18",
    ]
    (lst,) = find_reference_lists(pages)
    assert [e.raw for e in lst.entries][1:] == [
        "Дербісәлин Ә. Ыбырай Алтынсариннің өмірі мен жазушылық қызметі. Алматы, 1956. – 59 б.",
        "Сүйіншәлиев Х. ХІХ ғасыр қазақ әдебиеті. Алматы: Ана тілі, 1992. – 400 б.",
    ]
    assert [e.page for e in lst.entries] == [1, 1, 2]
    assert (lst.first_page, lst.last_page, lst.heading) == (1, 2, "Пайдаланылған әдебиеттер тізімі")


def test_volume_running_header_glued_to_the_continuation_is_removed():
    pages = [
        BODY + "\n\nСПИСОК ЛИТЕРАТУРЫ\n\n1. Калитвин А.С. Линейные уравнения с частными интегралами. Липецк, 2004. "
        "195 с.\n\n2. Барышева И.В. Об обратимости уравнений с частными интегралами //",
        "68 Барышева И.В., Фролова Е.В. Научные ведомости БелГУ. Физика. Математика. 2011. № 17. С. 46–59.",
        "70 Барышева И.В., Фролова Е.В. Дальнейший текст следующей статьи.",
    ]
    entries = _entries(pages)
    assert entries[1] == ("Барышева И.В. Об обратимости уравнений с частными интегралами // Научные ведомости "
                          "БелГУ. Физика. Математика. 2011. № 17. С. 46–59.")


def test_list_ends_where_the_next_article_of_a_volume_begins():
    page = (BODY + "\n\nЛитература\n\n1. Обзор состояния окружающей среды в 2009 г. Сибай, 2010. 67 с.\n\n"
            "2. Перечень рыбохозяйственных нормативов. М.: Изд-во ВНИРО, 1999. 304 с.\n\n"
            "Е.А. Балдина, М.Ю. Грищенко\n\nМосковский государственный университет\n\n"
            "ИЗУЧЕНИЕ ТЕПЛОВОГО ЗАГРЯЗНЕНИЯ ГОРОДОВ\n\n3. Следующий текст со списком не связан, 2011.")
    assert len(_entries([page])) == 2


@pytest.mark.parametrize("trailer", [
    " Рукопись поступила в редакцию 25.03.10",
    " М. Г. Алишаев (M. G. Alishaev) Дагестанский научный центр РАН E-mail: alishaev@rambler.ru",
    "\n\nСтатья поступила в редколлегию 31.10.2016. Received by editorial board 31.10.2016.",
])
def test_trailing_notes_are_not_part_of_the_last_entry(trailer):
    page = BODY + " Список литературы\n\n1. Уотерс У. Механизмы окисления. – М.: Мир, 1986. – 537с." + trailer
    assert _entries([page]) == ["Уотерс У. Механизмы окисления. – М.: Мир, 1986. – 537с."]


def test_figure_caption_inside_a_list_is_dropped():
    pages = [BODY + "\n\nЛитература 1. Шандала М.Г. Р 3.5.1904-04, Использование\n\nа б\n\n"
             "в Рис. 2. Зависимость коэффициента от радиуса.",
             "ультрафиолетового излучения – Москва: Минздрав, 2004. 2. Haag C. W. // Infection Control. 2023. "
             "Vol. 44. P. 1505-1507."]
    assert _entries(pages)[0] == ("Шандала М.Г. Р 3.5.1904-04, Использование ультрафиолетового излучения – Москва: "
                                  "Минздрав, 2004.")


def test_transliterated_references_twin_is_a_second_latin_list():
    page = (BODY + "\n\nБиблиографические ссылки\n\n1. Альперович В. Д. Социальная геронтология. Ростов н/Д., 2008."
            "\n\nReferences\n\n1. Al’perovich V. D. Sotsial’naya gerontologiya. Rostov-on-Don, 2008 (in Russ.).")
    lists = find_reference_lists([page])
    assert [(lst.heading, lst.script, len(lst.entries)) for lst in lists] == [
        ("Библиографические ссылки", "cyrillic", 1), ("References", "latin", 1)]


@pytest.mark.parametrize("page", [
    "СОДЕРЖАНИЕ\n\nВВЕДЕНИЕ....................3\n\nБИБЛИОГРАФИЧЕСКИЙ СПИСОК........44\n\nПРИЛОЖЕНИЕ.......50",
    "Мазмұны\n\nКіріспе\n\nҚорытынды\n\nӘдебиеттер тізімі.\n\nАННОТАЦИЯ\n\nТақырыптың өзектілігі.",
])
def test_table_of_contents_line_is_no_list(page):
    assert find_reference_lists([page]) == []


def test_literature_in_running_text_is_no_heading():
    page = "Литература по этому вопросу обширна. 1. Первое замечание касается метода. 2. Второе замечание."
    assert find_reference_lists([page]) == []


def test_previous_articles_tail_on_the_first_page_is_skipped():
    tail = ("Литература\n\n1. Аветисян М.Г. Миграция тяжелых металлов // Антропогенная трансформация. Пермь, 2009. "
            "С.155-161.\n\n")
    own = "Ю.Н. Агилова, Ю.С. Григорьев\n\nМЕТОД БИОТЕСТИРОВАНИЯ ТОКСИЧНОСТИ ВОД НА РАЧКАХ\n\n" + BODY * 20
    end = "\n\nЛитература\n\n1. Жмур Н.С. Методика определения токсичности вод. М.: Акварос, 2007. 48 с."
    pages = [tail + own, BODY * 5 + end]
    for kw in ({"title": "Метод биотестирования токсичности вод на рачках"}, {}):
        lists = find_reference_lists(pages, **kw)
        assert [e.raw[:9] for lst in lists for e in lst.entries] == ["Жмур Н.С."], kw


def test_next_articles_start_on_the_last_page_is_cut_off():
    pages = [BODY + "\n\nСПИСОК ЛИТЕРАТУРЫ\n\n1. Новокшенов В.Ю. Дискретная задача Римана // Уфимский матем. журн. "
             "2021. Т. 11. С. 56–67.\n\nУДК 517.95\n\nСПЕКТРАЛЬНЫЕ СВОЙСТВА ОБЫКНОВЕННЫХ ОПЕРАТОРОВ\n\n" + BODY
             + "\n\nСПИСОК ЛИТЕРАТУРЫ\n\n1. Шкаликов А.А. Чужая работа. М., 2020."]
    lists = find_reference_lists(pages, title="", next_title="Спектральные свойства обыкновенных операторов")
    assert [e.raw[:14] for lst in lists for e in lst.entries] == ["Новокшенов В.Ю"]


def test_volume_reference_lists_reads_each_article_onto_the_next_ones_first_page():
    pages = [
        "УДК 51\n\nПЕРВАЯ СТАТЬЯ О ЗАДАЧАХ МАТЕМАТИКИ\n\n" + BODY + "\n\nСПИСОК ЛИТЕРАТУРЫ\n\n1. Иванов И.И. Первая "
        "книга о задачах. М.: Наука, 2001. 100 с.\n\n2. Петров П.П. Вторая книга о",
        "задачах. М.: Наука, 2002. 200 с.\n\nУДК 52\n\nВТОРАЯ СТАТЬЯ ОБ УРАВНЕНИЯХ ФИЗИКИ\n\n" + BODY
        + "\n\nСПИСОК ЛИТЕРАТУРЫ\n\n1. Сидоров С.С. Уравнения физики. М.: Мир, 2003. 300 с.",
    ]
    spans = [ArticleSpan("Первая статья о задачах математики", [], 1, 1),
             ArticleSpan("Вторая статья об уравнениях физики", [], 2, 2)]
    per_article = volume_reference_lists(pages, spans)
    assert [[e.raw for lst in lists for e in lst.entries] for lists in per_article] == [
        ["Иванов И.И. Первая книга о задачах. М.: Наука, 2001. 100 с.",
         "Петров П.П. Вторая книга о задачах. М.: Наука, 2002. 200 с."],
        ["Сидоров С.С. Уравнения физики. М.: Мир, 2003. 300 с."],
    ]


def test_list_status_counts_unparsed_entries():
    page = (BODY + "\n\nЛитература\n\n1. Смирнов М.М. Уравнения смешанного типа. М.: Высшая школа, 1985. 304 с.\n\n"
            "2. ~~~ ### ~~~ 1985\n\n3. Бицадзе А.В. Некоторые классы уравнений. М.: Наука, 1981. 448 с.")
    (lst,) = find_reference_lists([page])
    assert [e.parse_status for e in lst.entries] == [PARSED, UNPARSED, PARSED]
    assert lst.parse_status == PARTIAL
    assert lst.problems == ["1 of 3 entries unparsed"]


def test_split_entries_reads_a_list_given_as_text():
    assert split_entries("1. Первая книга. М., 2001.\n2. Вторая книга. М., 2002.") == [
        "Первая книга. М., 2001.", "Вторая книга. М., 2002."]


@pytest.mark.parametrize("pages", ["Список литературы 1. Книга. М., 2001.", [None], [b"bytes"]])
def test_find_reference_lists_rejects_anything_but_a_list_of_page_texts(pages):
    with pytest.raises(TypeError, match="takes a list of page texts"):
        find_reference_lists(pages)


def test_no_pages_no_lists():
    assert find_reference_lists([]) == []
    assert find_reference_lists(["", "  "]) == []


# --------------------------------------------------------------------------- matching keys and scores

SAME_KEY = [
    (("Ёлка и её роль в жизни города", 2001, "Семёнов"), ("ЕЛКА И ЕЕ РОЛЬ В ЖИЗНИ ГОРОДА.", 2001, "Семенов")),
    (("Эколого-химическая характеристика", 2013, "Часова"), ("Эколого- химическая характеристика", 2013, "ЧАСОВА")),
    (("Эколого-химическая характеристика", 2013, "Часова"), ("Экологохимическая характеристика", 2013, "Часова")),
    (("Демографическое старение населения: методы оценки", 2014, "Барсуков"),
     ("Demograficheskoe starenie naseleniya: metody otsenki", 2014, "Barsukov")),
    (("История развития водосбора озера Юуса", 2013, "Новик"), ("Istorija razvitija vodosbora ozera Jusa", 2013, "Novik")),
    (("Қазақтың бас ақыны", 1913, "Байтұрсынұлы"), ("Qazaqtyñ bas aqyny", 1913, "Baitursynuly")),
    (("Қазақтың бас ақыны", 1913, "Байтұрсынұлы"), ("Kazaktyn bas akyny", 1913, "Baitursynuly")),
    (("Жаңа мектеп", 1925, "Жұмабаев"), ("Jaña mektep", 1925, "Jūmabaev")),
]


@pytest.mark.parametrize("a, b", SAME_KEY)
def test_work_key_ignores_case_yo_punctuation_hyphenation_and_script(a, b):
    assert work_key(*a) == work_key(*b)


@pytest.mark.parametrize("a, b", [
    (("Оптимизация облучателей открытого типа", 2024, "Науменко"), ("Оптимизация облучателей закрытого типа", 2024, "Науменко")),
    (("Қазақтың бас ақыны", 1913, "Байтұрсынұлы"), ("Қазақтың бас ақыны", 1914, "Байтұрсынұлы")),
])
def test_work_key_differs_for_other_works(a, b):
    assert work_key(*a) != work_key(*b)


TITLE = "Региональные различия масштабов демографического старения Беларуси и России"
LINKED = [
    "Антипова Е. А., Трифонова З. А. Региональные различия масштабов демографического старения Беларуси и России "
    "// Журн. БГУ. География. 2017. № 1. С. 38–51.",
    "Antipova E. A., Trifonova Z. A. Regional'nye razlichiya masshtabov demograficheskogo stareniya Belarusi i "
    "Rossii. Zhurnal BGU. Geografiya. 2017. No. 1. P. 38–51 (in Russ.).",
    "АНТИПОВА Е. А. РЕГИОНАЛЬНЫЕ РАЗЛИЧИЯ МАСШТАБОВ ДЕМОГРАФИЧЕСКОГО СТАРЕНИЯ БЕЛАРУСИ И РОССИИ // Журн. БГУ. 2017.",
    "Региональные различия масштабов демографического старения Беларуси и России / Е. А. Антипова, З. А. Трифонова. "
    "Минск, 2017.",
]
NOT_LINKED = [
    # same authors and year, another paper sharing most of the words
    "Антипова Е. А. Региональные различия демографического развития Беларуси // Журн. БГУ. 2017. № 2. С. 3–15.",
    # the same title by someone else
    "Петров И. И. Региональные различия масштабов демографического старения Беларуси и России // Вестник. 2017.",
    # the same title and authors, years apart
    "Антипова Е. А. Региональные различия масштабов демографического старения Беларуси и России. Минск, 2009.",
    # a title alone says too little
    "Региональные различия масштабов демографического старения Беларуси и России.",
]


@pytest.mark.parametrize("raw", LINKED)
def test_match_score_links_the_same_work_in_any_style(raw):
    assert match_score(raw, TITLE, 2017, ["Антипова", "Трифонова"]) >= LINK_THRESHOLD


@pytest.mark.parametrize("raw", NOT_LINKED)
def test_match_score_keeps_near_misses_below_the_threshold(raw):
    assert match_score(raw, TITLE, 2017, ["Антипова", "Трифонова"]) < LINK_THRESHOLD


def test_match_score_accepts_a_parsed_reference_and_unknown_candidate_fields():
    ref = parse_entry("Байтұрсынұлы А. Шекіспей, бекіспейді // Қазақ. 1916. № 167.")
    assert match_score(ref, "Шекіспей, бекіспейді", 1916, None) >= LINK_THRESHOLD
    assert match_score(ref, "Шекіспей, бекіспейді", None, None) < LINK_THRESHOLD


@pytest.mark.parametrize("a, b, low", [
    ("К теории двумерных интегральных уравнений типа Вольтерра с граничной особой линией",
     "О явных решениях двумерных интегральных уравнений типа Вольтерра с граничной особой линией", True),
    ("Ы.Алтынсарин және «Қырғыз хрестоматиясы»", "Ы.Алтынсарин және «Қырғыз хрестоматиясы»: Ғылыми-зерттеу жұмысы", False),
    ("Экологическое состояние прудов", "Экологическое состояние прудов г. Волгограда", True),
    ("О единственности решений частноинтегральных уравнений", "О единственности решений частно-интегральных уравнений", False),
])
def test_title_similarity_is_high_only_for_the_same_title(a, b, low):
    assert (title_similarity(a, b) < LINK_THRESHOLD) is low


# --------------------------------------------------------------------------- the corpus (bench figures)


def _bench():
    spec = importlib.util.spec_from_file_location("bench_references", REPO / "bench" / "references.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.corpus
def test_real_reference_lists_keep_boundary_f1():
    """Boundary F1 of the hand-labelled lists of four corpus articles: Russian and Kazakh, "1." and "[1]",
    a transliterated twin, an entry broken by a page break and a figure caption."""
    files = {"pdf/kk_altynsarin_hrestomatia_2016.pdf", "pdf/ru_bsu_demographic_ageing_2017.pdf",
             "pdf/ru_demi_magomedov_mixed_mojibake_2014.pdf", "pdf/ru_naumenko_uv_irradiators_2024.pdf"}
    for rel in files:
        corpus_path(rel)
    bench = _bench()
    docs = [d for d in bench.load_truth() if d["file"] in files]
    res = bench.score_documents(docs)
    assert res["entries"] >= 120
    assert res["f1"] >= 0.95, res


# --------------------------------------------------------------------------- in the uploader's result

def test_extract_file_puts_the_lists_in_the_result_and_the_switch_turns_it_off(tmp_path, monkeypatch):
    from support import KK_ARTICLE, make_pdf
    from uploads.pipeline import extract_file

    pdf = make_pdf(tmp_path / "b.pdf", KK_ARTICLE + [
        "Әдебиеттер\n1. Иванова М.П. Межэтническое согласие в городской среде Алматы // Вестник КазНУ. 2019. "
        "№ 2. С. 12–18.\n2. Петров И.И. Языковая политика в Казахстане // Полис. 2015. № 3. С. 45–60."])
    doc = extract_file(pdf, allow_ocr=False)
    assert [(lst.heading, len(lst.entries), lst.parse_status) for lst in doc.references] == [("Әдебиеттер", 2, "parsed")]
    assert doc.references[0].entries[1].title == "Языковая политика в Казахстане"
    monkeypatch.setenv("UPLOADS_REFERENCES", "off")
    assert extract_file(pdf, allow_ocr=False).references == []
