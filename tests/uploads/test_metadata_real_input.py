"""Regressions from real uploads (issue 14): each test text is written here and reproduces the pattern that failed."""
from __future__ import annotations

from pathlib import Path

import pytest

from uploads.metadata import extract_metadata, parse_author_name
from uploads.text import author_line

# ---------------------------------------------------------------------------------------------
# Titles continue across line breaks while the continuation belongs
# ---------------------------------------------------------------------------------------------

# A volume cover: the quoted event name in capitals, the rest of the title in lower case on the next lines.
KK_COVER = """Алматы облысы Қазақстан халқы Ассамблеясы
Ассамблея народа Казахстана Алматинской области
«ДАЛА ӨҢІРІНДЕГІ ТІЛ, МӘДЕНИЕТ ЖӘНЕ
РУХАНИ КЕЛІСІМ» ғылыми семинарының
материалдары
Материалы научного семинара «ЯЗЫК, КУЛЬТУРА
И ДУХОВНОЕ СОГЛАСИЕ В СТЕПНОМ РЕГИОНЕ»
Қонаев, 2022
"""

# An article of a volume as pdfminer gives it: the title lines in separate boxes, the first ends in "и".
RU_TITLE_IN_BOXES = """Язык и общество в регионе · Қонаев, 2022

УДК 316.7

Серикова Дана Маратовна
Институт истории и этнологии, Алматы, Казахстан

Межэтнический диалог и

городская идентичность в малых городах:

практики, институты и риски

Аннотация. В докладе рассматриваются практики межэтнического диалога в малых городах региона и
роль общественных объединений в поддержании согласия.
Ключевые слова: диалог, идентичность, малый город.
"""

# The title wraps after a preposition and the layout puts a blank line inside it.
RU_PREPOSITION_WRAP = """УДК 94(574)
А.К. Жумабаева
Карагандинский университет, Караганда, Казахстан
РОЛЬ КОЧЕВЫХ ТРАДИЦИЙ В

ФОРМИРОВАНИИ ГОРОДСКОЙ КУЛЬТУРЫ РЕГИОНА
Аннотация. Статья рассматривает кочевые традиции в культуре городов Центрального Казахстана.
"""


@pytest.mark.parametrize(
    "text, title",
    [
        (KK_COVER, "«ДАЛА ӨҢІРІНДЕГІ ТІЛ, МӘДЕНИЕТ ЖӘНЕ РУХАНИ КЕЛІСІМ» ғылыми семинарының материалдары"),
        (RU_TITLE_IN_BOXES,
         "Межэтнический диалог и городская идентичность в малых городах: практики, институты и риски"),
        (RU_PREPOSITION_WRAP, "Роль кочевых традиций в формировании городской культуры региона"),
    ],
)
def test_title_continues_across_line_breaks(text: str, title: str) -> None:
    assert extract_metadata([text]).title == title


def test_title_stops_at_the_next_block() -> None:
    md = extract_metadata([KK_COVER])
    assert "Материалы научного семинара" not in md.title


# ---------------------------------------------------------------------------------------------
# By-lines
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "line, surnames",
    [
        # one by-line, each name followed by its institution and city: every author, not the first two
        ("Л.П.Лавров, СПБГАСУ, Санкт-Петербург А.Ф.Еремеева, СПБГАСУ, Санкт-Петербург Ф.В.Перов, СПБГАСУ, "
         "Санкт-Петербург", ["Лавров", "Еремеева", "Перов"]),
        ("К.Б.Омаров, ЕНУ, Астана Д.С.Ахметова, ЕНУ, Астана Р.Т.Ким, КазНУ, Алматы", ["Омаров", "Ахметова", "Ким"]),
        # Kyrgyz and Kazakh patronymic particles as a separate word
        ("Алмаз Атай уулу, Бишкек", ["Атай уулу"]),
        ("Атай уулу Алмаз, Нурлан Асанов", ["Атай уулу", "Асанов"]),
        ("Айгүл Жумабек кызы, КГУ им. И. Арабаева", ["Жумабек кызы"]),
        ("Сәрсенбаев Ержан Құрманғали ұлы, Нұрланова Әйгерім Серік қызы", ["Сәрсенбаев", "Нұрланова"]),
        ("А. Атай уулу, Ж. Бекова", ["Атай уулу", "Бекова"]),
        # inflected forms are not names as printed
        ("Открыто Чарльзом Б. и его коллегами в 1848 году", []),
        ("Работы Петровой А.А. и Ивановым Б.Б. были продолжены", []),
    ],
)
def test_author_line(line: str, surnames: list[str]) -> None:
    assert [a.surname for a in author_line(line)] == surnames


@pytest.mark.parametrize(
    "raw, surname, given",
    [
        ("Алмаз Атай уулу", "Атай уулу", "Алмаз"),
        ("Атай уулу Алмаз", "Атай уулу", "Алмаз"),
        ("Сәрсенбаев Ержан Құрманғали ұлы", "Сәрсенбаев", "Ержан Құрманғали ұлы"),
        ("Атай уулу А.", "Атай уулу", "А."),
    ],
)
def test_parse_particle_names(raw: str, surname: str, given: str) -> None:
    a = parse_author_name(raw)
    assert (a.surname, a.given) == (surname, given)


# pypdfium2 puts superscript affiliation markers and the rest of a broken name on lines of their own.
RU_BROKEN_BYLINE = """9
Язык и общество в регионе · Қонаев, 2022
УДК 323.1
Петрова Анна Сергеевна1
, Ким Елена
Викторовна2
1Институт философии и политологии, Алматы,
Казахстан
2Молодёжное крыло общественного объединения, Қонаев,
Казахстан
Общественные объединения как
посредники в городских спорах
Аннотация. В докладе анализируется опыт общественных объединений в урегулировании споров.
"""


def test_byline_broken_inside_a_name_keeps_every_author() -> None:
    md = extract_metadata([RU_BROKEN_BYLINE])
    assert [a.surname for a in md.authors] == ["Петрова", "Ким"]
    assert md.authors[1].given == "Елена Викторовна"
    assert md.title == "Общественные объединения как посредники в городских спорах"
    assert md.year == 2022            # the running header of the volume


def test_body_names_in_oblique_case_are_not_authors() -> None:
    page = ("СПИРИТИЗМ В РОССИИ XIX ВЕКА\n\n"
            "Известно, что первые сеансы были описаны\nЧарльзом Б. и Петровой А.А. в письмах к друзьям,\n"
            "а затем в журналах того времени.\n")
    assert extract_metadata([page]).authors == []


# ---------------------------------------------------------------------------------------------
# A page that starts with the previous article's reference list
# ---------------------------------------------------------------------------------------------

RU_AFTER_REFERENCES = """устойчивости бортов карьера в условиях длительной эксплуатации: Отчет о НИР /
Институт горного дела; рук. работы Ю.М. Николаев. – Караганда, 2012. – 37 с.

12. Нормы технологического проектования горных предприятий. – К.:
ИГД НАНК, 2009. – 201 с.

13. Патент на полезную модель KZ № 8492. Способ отвалообразования / Николаев Ю.М.,
Васильев О.О., Кебалов Я.В., Домнин А.В. // Бюл. – № 21. – Астана, 2013. – 10 с.

УДК 504(075.8)
Н.В. КОЗЛОВА, канд. хим. наук, доц., Р.Р. ЕСЕНОВ, канд. биол. наук, ст.
преподаватель кафедры химии
Карагандинский технический университет

НЕКОТОРЫЕ ПРОБЛЕМЫ ОЧИСТКИ
СТОЧНЫХ ВОД ОТ СИНТЕТИЧЕСКИХ ВЕЩЕСТВ И
ОСНОВНЫЕ ПУТИ ИХ РЕШЕНИЯ

Рассмотрены виды и источники синтетических веществ в сточных водах и методы их устранения.
"""


def test_reference_list_is_never_the_title_or_the_authors() -> None:
    md = extract_metadata([RU_AFTER_REFERENCES])
    assert md.title == "Некоторые проблемы очистки сточных вод от синтетических веществ и основные пути их решения"
    assert [a.surname for a in md.authors] == ["Козлова", "Есенов"]
    assert md.year is None            # 2009 and 2013 belong to the references


def test_narrow_column_event_year_is_not_the_publication_year() -> None:
    page = ("11\nЯзык и общество в регионе · Қонаев, 2022\nӘОЖ 2:316\nҚ.Ж. Байжанұлы, Ж.Қ. Мұқанова\n"
            "Жастардың діни сауаттылығы\nАңдатпа. Баяндамада жастардың діни сауаттылығы\n"
            "қарастырылады. 2021 жылы студенттер арасында\nжүргізілген сауалнама нәтижелері берілген.\n"
            "2021 жылы Қонаев қаласындағы үш колледждің\n160 студенті арасында сауалнама жүргізілді.\n")
    assert extract_metadata([page]).year == 2022


# ---------------------------------------------------------------------------------------------
# Standards: the subject after the generic header, not the header
# ---------------------------------------------------------------------------------------------

GOST_OCR = """201 7.41—98 р нинаа
МЕЖГОСУДАРСТВЕННЫЙ СТАНДАРТ
СИСТЕМА СТАНДАРТОВ ПО ИНФОРМАЦИИ, БИБЛИОТЕЧНОМУ И ИЗДАТЕЛЬСКОМУ ДЕЛУ
БИБЛИОГРАФИЧЕСКОЕ ОПИСАНИЕ. ЭЛЕКТРОННЫЕ РЕСУРСЫ
Общие требования
Издание официальное
БЗ 5—98/12
МЕЖГОСУДАРСТВЕННЫЙ СОВЕТ ПО СТАНДАРТИЗАЦИИ, МЕТРОЛОГИИ И СЕРТИФИКАЦИИ
Минск
"""
GOST_PAGE2 = "Предисловие\n1 РАЗРАБОТАН Техническим комитетом ТК 191\nВзамен ГОСТ 7.1—84\n"


def test_standard_title_is_its_subject_and_number() -> None:
    md = extract_metadata([GOST_OCR, GOST_PAGE2])
    assert md.title == "ГОСТ 7.41-98. Библиографическое описание. Электронные ресурсы. Общие требования"
    assert md.year == 1998


def test_standard_number_found_elsewhere_when_the_title_page_lost_it() -> None:
    page = GOST_OCR.replace("201 7.41—98 р нинаа", "нин errr nena")
    md = extract_metadata([page, "ГОСТ 7.41—98 Предисловие\nВзамен ГОСТ 7.1—84"])
    assert md.title.startswith("ГОСТ 7.41-98. Библиографическое описание")


# ---------------------------------------------------------------------------------------------
# Abstracts without a marker
# ---------------------------------------------------------------------------------------------

# Word paragraphs come separated by blank lines; the abstract sits right above "Ключевые слова".
DOCX_ARTICLE = """Физика и техника

УДК 535.2

Расчёт облучённости от протяжённых источников света

А.Б. Серикбаев, В.Г. Ким

Исследовано распределение облучённости вокруг протяжённых источников и показано, как расположение ламп и элементов конструкции влияет на равномерность облучения поверхности.

Ключевые слова: облучённость, протяжённый источник, моделирование.

Введение

Протяжённые источники света широко применяются [1].
"""

# A journal that prints the abstract in three languages between the title and "Проблема и ее связь…".
RU_ABSTRACT_BEFORE_BODY = """УДК 504(075.8)
Н.В. КОЗЛОВА, канд. хим. наук, доц., Р.Р. ЕСЕНОВ, ст. преподаватель
Карагандинский технический университет

ОЧИСТКА СТОЧНЫХ ВОД ОТ ПОВЕРХНОСТНО-АКТИВНЫХ ВЕЩЕСТВ

Рассмотрены виды и источники поверхностно-активных веществ и методы их удаления из сточных вод.

Розглянуто види та джерела поверхнево-активних речовин і методи їх видалення зі стічних вод.

The types and sources of surfactants and the methods of their removal from waste water are considered.

Проблема и ее связь с научными и практическими заданиями. Загрязнение воды остаётся острой проблемой [1].
"""


def test_docx_abstract_above_keywords_across_blank_lines() -> None:
    md = extract_metadata([DOCX_ARTICLE])
    assert md.abstracts["ru"].startswith("Исследовано распределение облучённости")


def test_unmarked_abstracts_between_title_and_body() -> None:
    md = extract_metadata([RU_ABSTRACT_BEFORE_BODY])
    assert md.abstracts["ru"].startswith("Рассмотрены виды и источники")
    assert md.abstracts["en"].startswith("The types and sources")
    assert "kk" not in md.abstracts            # the Ukrainian paragraph is not Kazakh


def test_body_paragraph_with_citations_is_not_an_abstract() -> None:
    page = ("УДК 517.9\nОБ ОДНОЙ ЗАДАЧЕ ДЛЯ УРАВНЕНИЯ ТЕПЛОПРОВОДНОСТИ\nЗикиров О.С.\n"
            "Национальный университет Узбекистана\nРазличные классы нагруженных уравнений рассмотрены в работах "
            "[1]–[3], где изучены их свойства и разрешимость.\nВведение\nТекст.")
    assert extract_metadata([page]).abstracts == {}


def test_abstract_across_a_page_break_keeps_going_past_the_running_header() -> None:
    page1 = ("УДК 517.95\nО РАЗРЕШИМОСТИ ПЕРИОДИЧЕСКОЙ ЗАДАЧИ\nШералиев Ш.Н.\nФилиал МГУ, Ташкент\nmail@example.uz\n"
             "Рассматривается квазилинейное интегро-дифференциальное уравнение с нелинейностью\n"
             "в виде интегрального оператора. Доказано существование и единственность решения.\n"
             "c Шералиев Ш.Н., 2021")
    page2 = "248 Шералиев Ш.Н.\nКлючевые слова: периодическое решение, перидинамика.\nТекст статьи."
    md = extract_metadata([page1, page2])
    assert md.abstracts["ru"].endswith("единственность решения.")


# ---------------------------------------------------------------------------------------------
# A Word manuscript prints no year: the file's own date stands for it when the text is that recent
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "info, year",
    [
        ({"created": "2024-03-27T07:43:00", "modified": "2024-03-28T10:00:00"}, 2024),
        ({"/CreationDate": "D:20240327074300+03'00'"}, 2024),
        ({"modified": "2031-01-01T00:00:00"}, None),          # a date in the future is a wrong clock
        ({"modified": "2040-01-01"}, None),
        ({}, None),
    ],
)
def test_docx_year_from_the_document_date(info: dict, year: int | None) -> None:
    page = DOCX_ARTICLE + "\nСписок литературы\n1. Иванов И.И. Облучатели // Светотехника. 2023. № 2. С. 5–9.\n"
    assert extract_metadata([page], pdf_info=info).year == year


def test_document_date_is_not_the_year_of_an_old_text() -> None:
    page = "ШАҺЗАМАН МЫРЗАҒА\nМәтін 1912 жылы жазылған хат туралы.\n"
    assert extract_metadata([page.replace("1912 жылы", "сол жылы")], pdf_info={"created": "2020-05-01"}).year is None
    assert extract_metadata(["Мәтін.\n1913 ж. айтылған сөз.\n"], pdf_info={"created": "2020-05-01"}).year != 2020


def test_abstract_above_keywords_skips_the_bibliography_count_and_page_number() -> None:
    page = ("УДК 519.6\nТОЧНЫЕ РЕШЕНИЯ ДЛЯ ТРУБ НЕКРУГЛЫХ СЕЧЕНИЙ\nМ. Г. Алиев\n\n"
            "Exact solutions of the laminar flow of a viscous fluid in straight pipes of noncircular cross sections "
            "are obtained by conformal mapping and compared with known results.\n\nBibliography: 6 items.\n\n"
            "Ключевые слова: ламинарное движение, конформное отображение.\n")
    assert extract_metadata([page]).abstracts["en"].startswith("Exact solutions")


def test_abstract_before_body_on_the_next_page_after_the_page_number() -> None:
    page1 = RU_ABSTRACT_BEFORE_BODY.split("Проблема и ее связь")[0] + "198\n"
    page2 = "Проблема и ее связь с научными и практическими заданиями. Загрязнение воды остаётся проблемой."
    assert extract_metadata([page1, page2]).abstracts["ru"].startswith("Рассмотрены виды и источники")


def test_a_wrapped_reference_is_not_a_newspaper_source_line() -> None:
    page = ("ОПТИМИЗАЦИЯ КОНСТРУКЦИИ ОБЛУЧАТЕЛЕЙ\nД.Е. Науменко\nТекст статьи.\nЛитература\n"
            "1. Кудрявцев Н.Н. Физика облучателей. - Долгопрудный: Издательский дом\n«Интеллект», 2012.\n")
    assert extract_metadata([page, page]).year is None


def test_standard_series_line_broken_after_its_comma_is_not_the_subject() -> None:
    page = GOST_OCR.replace("СИСТЕМА СТАНДАРТОВ ПО ИНФОРМАЦИИ, БИБЛИОТЕЧНОМУ И ИЗДАТЕЛЬСКОМУ ДЕЛУ",
                            "(СИСТЕМА СТАНДАРТОВ ПО ИНФОРМАЦИИ,\nБИБЛИОТЕЧНОМУ И ИЗДАТЕЛЬСКОМУ ДЕЛУ")
    assert extract_metadata([page, GOST_PAGE2]).title.startswith("ГОСТ 7.41-98. Библиографическое описание")


# ---------------------------------------------------------------------------------------------
# A year printed only at the end of the text: a dateline under an old article, a colophon
# ---------------------------------------------------------------------------------------------

# An extract from a collected edition: it starts with the end of the previous piece (its own source line, 1929)
OLD_ARTICLE_HEAD = """«И» туралы жалпы ереже: естілсе «ы» жазылады, естілмесе жазылмайды.
Даулы болса, өлең арқылы ашылады. Осымен емле ережелері туралы әңгіме бітеді.

АҚЫМЕТ
«Еңбекші қазақ». 27-март 1929.

ҰЙЫМ ҺӘМ ЕҢБЕКШІЛЕР

Ұйымның не екенін газет оқушылар білетін шығар. Бұл ұйым 1922-нші жылы Мәскеуде құрылған ұйым.
Мұның мүшелері көп елде бар, 1924-нші жылы олардың саны тағы көбейді.
"""
OLD_ARTICLE_END = """Еңбекшілер ұйымға кіріп, қолынан келгенше жәрдем беруді өзінің борышы деп білуі керек.
Мұны жатсаң, тұрсаң есіңнен шығарма!

Ұйым комитетінің құралдарынан тізуші А.Б.
{dateline}"""


@pytest.mark.parametrize("dateline, year", [("1924 ж.", 1924), ("12 мая 1924 г.", 1924), ("12.05.1924", 1924),
                                            ("", None), ("1924", None)])     # a bare number may be a page number
def test_dateline_under_the_text_gives_the_year(dateline: str, year: int | None) -> None:
    pages = [OLD_ARTICLE_HEAD, "Екінші бет.\n", OLD_ARTICLE_END.format(dateline=dateline)]
    assert extract_metadata(pages).year == year


def test_colophon_imprint_gives_the_year_when_the_front_prints_none() -> None:
    front = "ЭКОЛОГИЯ ГОРОДОВ\nСборник научных трудов\n\nСодержание\nВведение 3\n"
    colophon = ("Научное издание\nЭКОЛОГИЯ ГОРОДОВ\nПодписано в печать 04.04.2011. Формат 60×84 1/16.\n"
                "Бумага офсетная. Усл. печ. л. 12,5. Тираж 100 экз.\n")
    assert extract_metadata([front, "Текст.\n", colophon]).year == 2011
    assert extract_metadata([front, "Текст.\n", colophon.replace("04.04.2011", "")]).year is None


def test_the_front_year_wins_over_a_copyright_at_the_end() -> None:
    # a school paper printed from a library site: its © line at the end is the site's, not the paper's
    front = "Тақырыбы: Алтынсарин және хрестоматия\n\nҚостанай қаласы, 2016 ж\n\nМазмұны\nКіріспе\n"
    end = "Әдебиеттер тізімі\n1. Оспанов С. Алтынсарин. Қостанай, «Шапақ», 2006.\n©2026 Облыстық кітапхана\n"
    assert extract_metadata([front, "Мәтін.\n", end]).year == 2016


# ---------------------------------------------------------------------------------------------
# The file's own date: not for pages cut from a volume, but for a list of works compiled in it
# ---------------------------------------------------------------------------------------------

CUT_FROM_VOLUME = """4. Петров П.П. Отвалы и подтопление. – Кривой Рог, 2012. – 37 с.
5. Сидоров С.С. Экология горных работ. – К.: Наукова думка, 2013. – 134 с.

УДК 504(075.8)

Э.В. ПЕТРОВА, В.В. ИВАНОВ, кандидаты хим. наук

НЕКОТОРЫЕ ПРОБЛЕМЫ ИСПОЛЬЗОВАНИЯ ПОВЕРХНОСТНО-АКТИВНЫХ ВЕЩЕСТВ

Рассмотрены проблемы использования поверхностно-активных веществ в быту и промышленности.
"""


def test_pages_cut_from_a_volume_do_not_take_the_file_date() -> None:
    info = {"/CreationDate": "D:20150123121209"}
    assert extract_metadata([CUT_FROM_VOLUME], pdf_info=info).year is None
    # the same article as a file of its own: its date stands for the year (the text cites 2013)
    own = CUT_FROM_VOLUME.split("\n\n", 1)[1]
    assert extract_metadata([own + "Литература\n1. Сидоров С.С. Экология. – К., 2013. – 134 с.\n"],
                            pdf_info=info).year == 2015


WORKS_LIST = "\n\n".join(
    ["МҰРАСЫ:", "ТІЛ ҒЫЛЫМЫ:", "Оқулықтар:"]
    + [f"Тіл – құрал ({n}-бөлім). {n}-жылдық. Орынбор, {1910 + n}." for n in range(1, 4)]
    + [f"Жазу туралы {n}-хат // «Қазақ» газеті, №{n * 7}, {1912 + n}." for n in range(1, 14)]
)


def test_a_list_of_works_takes_the_file_date() -> None:
    """A bibliography lists old works; it was compiled when the file was saved."""
    info = {"created": "2022-12-09T04:46:00", "modified": "2023-01-05T07:08:00"}
    assert extract_metadata([WORKS_LIST], pdf_info=info).year == 2023
    prose = ("Өмірбаян\n\n" + " ".join(f"{1900 + n} ж. мен мектепте оқыдым, кейін қызмет істедім." for n in range(1, 15)))
    assert extract_metadata([prose], pdf_info=info).year is None


# ---------------------------------------------------------------------------------------------
# Short titles: a poem's caps heading, a one-word Word heading
# ---------------------------------------------------------------------------------------------

POEM_PAGE = """98

МАСА

Түсіне қарап,
Ішінен түңілме!

СӨЗ ИЕСІНЕН

Ызыңдап ұшқан мынау біздің маса,
Сап-сары, аяқтары ұзын маса:
"""


def test_short_caps_heading_above_verse_is_the_title() -> None:
    assert extract_metadata([POEM_PAGE]).title == "Маса"


def test_short_caps_rubric_above_a_caps_title_is_not_the_title() -> None:
    page = "ХИМИЯ\n\nРОЛЬ ПЕРЕХОДНЫХ МЕТАЛЛОВ В КАТАЛИЗЕ\n\nИванов И.И.\n\nТекст статьи о металлах и катализе.\n"
    assert extract_metadata([page]).title.startswith("Роль переходных металлов")


def test_one_word_heading_of_a_word_file_is_the_title() -> None:
    page = ("Өмірбаян\n\nМенің туған жылым «мешін» және туған жерім Қостанай округы, Торғай ауданының Тосын "
            "болысының №5 ауылы.\n\nКейін мектепте оқыдым.\n")
    assert extract_metadata([page]).title == "Өмірбаян"
    assert extract_metadata([page.replace("Өмірбаян", "Және")]).title != "Және"     # too short a word


def test_a_list_of_works_is_titled_by_its_heading() -> None:
    assert extract_metadata([WORKS_LIST]).title == "Мұрасы"
    # the same heading over running text is not a list: its first section heading block is found as before
    prose = WORKS_LIST.split("Тіл – құрал")[0] + "Мәтін. " * 40
    assert extract_metadata([prose]).title != "Мұрасы"


# A school paper from a library site: the catalogue record on top prints the title with its other title information
SCHOOL_PAPER = """Куркулов, Е. Алтынсарин және «Қырғыз хрестоматиясы»: Ғылыми — зерттеу
жұмысы

Дарынды балаларға арналған лицей-интернаты

Орындағандар: Куркулов Ербол , 9 сынып

Тақырыбы: Алтынсарин және «Қырғыз хрестоматиясы»

Қостанай қаласы , 2016 ж
"""


def test_a_catalogue_record_on_top_completes_the_title() -> None:
    assert extract_metadata([SCHOOL_PAPER]).title == "Алтынсарин және «Қырғыз хрестоматиясы»: Ғылыми — зерттеу жұмысы"
    # a record of another work adds nothing
    other = SCHOOL_PAPER.replace("Куркулов, Е. Алтынсарин және", "Куркулов, Е. Абай және")
    assert extract_metadata([other]).title == "Алтынсарин және «Қырғыз хрестоматиясы»"


# ---------------------------------------------------------------------------------------------
# The same patterns on the real corpus files, through the pipeline (skipped when the corpus is absent)
# ---------------------------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@pytest.mark.parametrize("name, field, value", [
    ("pdf/kk_baitursyn_mopr_1924.pdf", "year", 1924),                      # "1924 ж." under the signature
    ("docx/kk_baitursyn_works_bibliography_2023.docx", "year", 2023),      # a list of works, saved in 2023
    ("docx/kk_baitursyn_autobiography.docx", "title", "Өмірбаян"),          # a one-word heading
    ("docx/kk_baitursyn_autobiography.docx", "year", None),                # typed up in 2022, written long before
    ("docx/kk_baitursyn_works_bibliography_2023.docx", "title", "Мұрасы"),  # a list of works: its heading
])
def test_real_corpus_file(name: str, field: str, value) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("shared corpus not present")
    from uploads.pipeline import extract_file

    assert getattr(extract_file(path, allow_ocr=False).metadata, field) == value
