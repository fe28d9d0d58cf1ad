"""Text primitives that metadata guessing and volume splitting share.

Letter classes, line splitting and clean-up, the UDC line pattern, the thresholds that say a line is set in
capitals, and author-line recognition (one name grammar for by-lines on a first page and author lines in a
table of contents).
"""
from __future__ import annotations

import re
import unicodedata

from uploads.types import Author

__all__ = [
    "UP", "LO", "UPL", "LOL", "CAPS_LINE", "CAPS_TITLE", "CAPS_HEADING",
    "norm_ws", "clean_page", "split_lines", "clean_lines", "letters", "upper_ratio", "is_caps", "join_lines",
    "UDC_RE", "is_udc_line", "parse_author_name", "author_line", "names_line", "strip_markers", "name_form",
    "split_author_line",
]

# --------------------------------------------------------------------------------------------
# Letter classes and thresholds
# --------------------------------------------------------------------------------------------

UP = "А-ЯЁӘҒҚҢӨҰҮҺІЇЄҐЎ"
LO = "а-яёәғқңөұүһіїєґў"
UPL = UP + "A-Z"
LOL = LO + "a-z"

# Share of upper-case letters above which a line counts as set in capitals (titles, headers, caps blocks).
CAPS_LINE = 0.85
# A title at or above this share is "all caps" and is put into sentence case.
CAPS_TITLE = 0.9
# Above this share a line ends an abstract/keyword paragraph: a heading in capitals starts.
CAPS_HEADING = 0.9

# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")


def norm_ws(s: str) -> str:
    """Drop soft hyphens and collapse every kind of space into one."""
    return _WS.sub(" ", s.replace("\u00ad", "")).strip()


def clean_page(text: str) -> str:
    """NFC, soft hyphens and legacy-font look-alikes (Latin schwa, Ë, Symbol ©) undone; newlines unified."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\u00ad\n", "").replace("\u00ad", "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\f", "\n").replace("\uf0d3", "©").replace("\uf0e3", "©").replace("\uf063", "©")
    text = text.replace("\u0259", "\u04d9").replace("\u018f", "\u04d8")
    # Latin Ë (U+00CB) inside Cyrillic words → Ё.
    return re.sub(rf"(?<=[{UP}])\u00cb|\u00cb(?=[{UP}])", "Ё", text)


def split_lines(text: str) -> list[str]:
    """The lines of a page as extracted (any newline convention), nothing else changed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def letters(s: str) -> int:
    """How many letters ``s`` has."""
    return sum(1 for c in s if c.isalpha())


def upper_ratio(s: str) -> float:
    """Share of upper-case letters among the letters of ``s`` (0 when there are none)."""
    al = [c for c in s if c.isalpha()]
    if not al:
        return 0.0
    return sum(1 for c in al if c.isupper()) / len(al)


def is_caps(s: str, share: float = CAPS_LINE) -> bool:
    """True when ``s`` is set in capitals (more than ``share`` of its letters)."""
    return upper_ratio(s) > share


def _fix_weird_case(line: str) -> str:
    """Small-caps fonts extract as "ҚАзАҚтың БАс АҚыны": upper-case such lines entirely."""
    words = re.findall(rf"[{UPL}{LOL}]{{3,}}", line)
    if not words or upper_ratio(line) < 0.4:
        return line
    weird = sum(1 for w in words if not (w.islower() or w.isupper() or (w[0].isupper() and w[1:].islower())))
    caps = sum(1 for w in words if w.isupper())
    if weird and (weird + caps) >= 0.8 * len(words):
        return line.upper()
    return line


def clean_lines(text: str) -> list[str]:
    """The lines of a page with spaces normalised and small-caps lines upper-cased."""
    return [_fix_weird_case(norm_ws(x)) for x in text.split("\n")]


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines, undoing end-of-line hyphenation where the next line continues in lower case."""
    out = ""
    for ln in lines:
        ln = ln.strip()
        if not ln:
            continue
        if not out:
            out = ln
        elif re.search(rf"[{LOL}]-$", out) and re.match(rf"[{LOL}]", ln):
            out = out[:-1] + ln
        else:
            out = out + " " + ln
    return norm_ws(out)


# --------------------------------------------------------------------------------------------
# UDC
# --------------------------------------------------------------------------------------------

UDC_RE = re.compile(r"(?:УДК|ӘОЖ|ƏОЖ|UDC|UDK)\s*[:.№]?\s*([0-9(](?:[0-9.:;+()\[\]/\-–=\"'’«»*, ]*[0-9)\]])?)")


def is_udc_line(line: str) -> bool:
    """True for a line that starts with a UDC/ӘОЖ code ("УДК 94(574)")."""
    return bool(UDC_RE.match(line.strip()))


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

# one-letter initials, and the two-letter ones of Latin transliterations ("Kh.R. Mamedov", "A.Sh. Azamatov")
_LETTER = rf"(?:Kh|Sh|Zh|Ch|Ts|Yu|Ya|Ye|[{UPL}])"
_INIT = rf"{_LETTER}\.(?:\s?{_LETTER}\.)?"
_INIT_ONE = rf"[{UPL}]\."
# Kyrgyz and Kazakh patronymic particles printed as a separate word ("Атай уулу", "Болат қызы").
_PARTICLE = r"(?:уулу|кызы|ұлы|қызы|улы|оглы|гызы)"
_HAS_PARTICLE = re.compile(rf"\s{_PARTICLE}(?:\s|$)")
_CAP = rf"[{UPL}][{LOL}]+(?:[-'’][{UPL}]?[{LOL}]+)*(?:\s{_PARTICLE}(?![{LOL}]))?"
_CAPS = rf"[{UPL}]{{2,}}(?:-[{UPL}]{{2,}})*"
_SURN = rf"(?:{_CAP}|{_CAPS})"
_PATRONYMIC = re.compile(
    r"(?:ович|евич|ьич|ична|овна|евна|инична|[ұу]лы|уулу|қызы|кызы|оглы|гызы|uly|qyzy|ovich|evich|ovna|evna)$",
    re.IGNORECASE,
)
SURNAME_END = re.compile(
    r"(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|цкий|ская|цкая|енко|ко|ук|юк|ян|ия|ий|ая|дзе|швили|"
    r"баев|баева|[ұу]лы|уулу|қызы|кызы|ov|ev|ova|eva|in|ina|sky|skaya|enko|uly|qyzy)$",
    re.IGNORECASE,
)
# Oblique case forms of Russian names ("Чарльзом", "Ивановой", "Петрову"): a by-line prints the nominative.
_OBLIQUE = re.compile(
    r"(?:[^аеиоуыэюя\s]ом|ем|ым|ём|ому|ему|ого|его|овой|евой|иной|ыной|ову|еву|ину|ыну|ского|цкого|"
    r"скому|цкому|ским|цким|овым|евым|иным)$"
)
_KK_OBLIQUE = re.compile(r"(?:ның|нің|дың|дің|тың|тің|ға|ге|қа|ке|ына|іне)$")

RE_INIT_SURN = re.compile(rf"^({_INIT})\s?({_SURN})$")
RE_SURN_INIT = re.compile(rf"^({_SURN})\s?({_INIT})$")
RE_FULL3 = re.compile(rf"^({_SURN})\s+({_SURN})\s+({_SURN})$")
RE_FULL2 = re.compile(rf"^({_SURN})\s+({_SURN})$")


def _fix_caps(word: str) -> str:
    """Turn an all-caps surname ("ИВАНОВ-ПЕТРОВ") into title case."""
    if len(word) > 1 and word.isupper():
        return "-".join(p[:1] + p[1:].lower() for p in word.split("-"))
    return word


def _full_name(a: str, b: str, c: str) -> Author:
    """Three words: surname + given + patronymic, or given + patronymic + surname."""
    if _PATRONYMIC.search(c):
        return Author(name=f"{a} {b} {c}", surname=a, given=f"{b} {c}")
    if _PATRONYMIC.search(b) or SURNAME_END.search(c) and not SURNAME_END.search(a):
        return Author(name=f"{a} {b} {c}", surname=c, given=f"{a} {b}")
    return Author(name=f"{a} {b} {c}", surname=a, given=f"{b} {c}")


def parse_author_name(s: str) -> Author:
    """Split a printed name ("Иванов А.Б.", "А.Б. Иванов", "Иванов Алексей Борисович", "Байтұрсынұлы Ахмет") into parts."""
    raw = norm_ws(s)
    raw = re.sub(r"[\d*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+\)?$", "", raw).strip(" ,;")
    raw = re.sub(r"\s*\d\)\s*$", "", raw)
    m = RE_INIT_SURN.match(raw)
    if m:
        given, surname = re.sub(r"\s+", "", m.group(1)), _fix_caps(m.group(2))
        return Author(name=f"{given} {surname}", surname=surname, given=given)
    m = RE_SURN_INIT.match(raw)
    if m:
        surname, given = _fix_caps(m.group(1)), re.sub(r"\s+", "", m.group(2))
        return Author(name=f"{surname} {given}", surname=surname, given=given)
    m = RE_FULL3.match(raw)
    if m:
        return _full_name(*(_fix_caps(x) for x in m.groups()))
    m = RE_FULL2.match(raw)
    if m:
        a, b = (_fix_caps(x) for x in m.groups())
        if SURNAME_END.search(b) and not SURNAME_END.search(a):
            return Author(name=f"{a} {b}", surname=b, given=a)
        return Author(name=f"{a} {b}", surname=a, given=b)
    return Author(name=raw)


# --------------------------------------------------------------------------------------------
# Author lines
# --------------------------------------------------------------------------------------------

_DEGREE_PATTERNS = [
    r"(?:к|д)\.\s?[а-яё]{1,5}\.(?:\s?-\s?[а-яё]{1,3}\.)?\s?н\.",  # к.и.н., д.ф.-м.н., к.т.н.
    r"(?:канд|докт)[а-яё]*\.?\s+[а-яё-]+\.?\s+наук",
    r"(?:кандидат[ыа]?|доктор[аы]?)\s+(?:[а-яё-]+\.?\s+){0,3}наук",
    r"phd|ph\.\s?d\.?|dr\.?|prof\.?|professor|associate professor|lecturer",
    r"(?:ст\.|старший|ведущий|главный|младший)\s*(?:научный\s+сотрудник|преподаватель|н\.\s?с\.)",
    r"профессор[а-яё]*|проф\.|доцент[а-яё]*|доц\.|преподаватель|ассистент|аспирант[а-яё]*|магистрант[а-яё]*|"
    r"докторант[а-яё]*|студент[а-яё]*|соискатель|академик|член-корр\.?[а-яё ]*|зав\.\s?кафедрой|заведующ[а-яё]+",
    r"[а-яәғқңөұүһі-]+\s+ғылымдарының\s+(?:кандидаты|докторы)|ғылым(?:дарының)?\s+(?:кандидаты|докторы)",
    r"профессоры|доценті|аға\s+оқытушы(?:сы)?|оқытушы(?:сы)?|phd\s+докторы|phd\s+доктор|магистр[а-яәғқңөұүі]*|"
    r"докторант[а-яәғқңөұүі]*|ізденуші",
    r"\d+\s*(?:курс|сынып|класс)[а-яәіұүө]*",
    r"e-?mail\s*:?.*|[\w.+-]+@[\w-]+\.[\w.]+",
    r"орcid.*|orcid.*",
]
DEGREE_RE = re.compile(r"(?:%s)" % "|".join(_DEGREE_PATTERNS), re.IGNORECASE)

AFFIL_WORDS = re.compile(
    r"университет|институт|академи|колледж|лицей|школ|гимназ|центр|лаборатор|кафедр|факультет|"
    r"университеті|институты|мектеп|орталығы|College|Universit|Institut|Academy|School|"
    r"РАН\b|НАН\b|ЗАО|ООО|ОАО|АО\b|НПО|ГВУЗ|ФГБОУ|ФГАОУ|ВПО|ГОУ|РГП|КазНУ|ЕНУ|МГУ|СПбГУ|БГУ|г\.\s?[А-Я]|"
    r"Россия|Казахстан|Қазақстан|Беларусь|Республика|Russia|Kazakhstan|ул\.|пр\.|\d{6}",
    re.IGNORECASE,
)
# Short organisation acronyms and cities printed after each name of a one-line by-line
# ("Л.П.Лавров, СПБГАСУ, Санкт-Петербург А.Ф.Еремеева, …").
_ORG_ACRONYM = re.compile(rf"^(?=.{{2,20}}$)(?:[{UPL}]{{2,}}[{LOL}]*){{1,3}}(?:\s+[{UPL}]{{2,}}[{LOL}]*){{0,2}}$")
_CITY = re.compile(
    r"^(?:г\.\s*)?(?:Москва|Санкт-Петербург|Петербург|Казань|Хабаровск|Ярославль|Новосибирск|Екатеринбург|Уфа|"
    r"Самара|Саратов|Минск|Алматы|Астана|Нур-Султан|Караганда|Шымкент|Бишкек|Ташкент|Стерлитамак|Томск|Омск|"
    r"Пермь|Иркутск|Владивосток|Воронеж|Ростов-на-Дону|Краснодар|Нижний Новгород|Челябинск|Тюмень|Барнаул|"
    r"Moscow|Almaty|Astana|Bishkek|Saint Petersburg|St\. Petersburg)$"
)

LABEL_RE = re.compile(
    r"^(?:Авторы?|Автор\(ы\)|Authors?|Орындаған(?:дар)?|Орындаушы(?:лар)?|Дайындаған(?:дар)?|Автор(?:лар)?ы?|"
    r"Выполнил[аи]?|Подготовил[аи]?)\s*[:.\-–—]\s*",
    re.IGNORECASE,
)


def strip_markers(part: str) -> str:
    """Remove footnote markers (superscript digits, "1)", "*", "a") around a name."""
    p = part.strip(" ,;")
    p = re.sub(rf"(?<=[{UPL}{LOL}]{{2}})\.$", "", p)
    p = re.sub(r"(?<=[^\W\d_])\s?\d{1,2}\)?(?:,\s?\d{1,2}\)?)*$", "", p)
    p = re.sub(r"^\d{1,2}\)\s*", "", p)
    p = re.sub(r"[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+", "", p)
    p = re.sub(r"\s*\(\s*\d[^)]*\)$", "", p)  # "(9 сынып)"
    p = p.strip(" ,;")
    return re.sub(rf"(?<=[{LOL}])\.$", "", p)


def _oblique(surname: str) -> bool:
    """True for a Kazakh genitive/dative or a Russian oblique case form of a surname."""
    return bool(_KK_OBLIQUE.search(surname) or _OBLIQUE.search(surname))


def name_form(p: str, allow_two_words: bool) -> str:
    """Classify a candidate name string: 'init', 'full3', 'full2' or ''."""
    m = RE_INIT_SURN.match(p)
    if m:
        return "" if _oblique(m.group(2)) else "init"
    m = RE_SURN_INIT.match(p)
    if m:
        if m.group(1).isupper() and not re.search(r"\s", p):
            return ""  # "ДББЖ." is an abbreviation, not "ДББ Ж."
        return "" if _oblique(m.group(1)) else "init"
    if _KK_OBLIQUE.search(p):
        return ""  # Kazakh genitive/dative: "А. Байтұрсынұлының" is not a by-line
    m = RE_FULL3.match(p)
    if m and (_PATRONYMIC.search(m.group(3)) or (allow_two_words and _PATRONYMIC.search(m.group(2)))):
        return "full3"
    if RE_FULL2.match(p) and (allow_two_words or _HAS_PARTICLE.search(p)):
        return "full2"  # "Алмаз Атай уулу": the particle marks a name even without initials or a label
    return ""


_STOP_NAME_WORDS = {
    "Введение", "Аннотация", "Ключевые", "Журнал", "Вестник", "Известия", "Абстракт", "Кіріспе",
    "Том", "Серия", "Выпуск", "Материалы", "Резюме", "Литература", "Рисунок", "Таблица", "Научный",
}

_PATR_WORD = (rf"(?:[{UP}][{LO}]+(?:вич|вна|чна|ұлы|қызы|улы|кызы|оглы)|[{UP}]+(?:ВИЧ|ВНА|ЧНА|ҰЛЫ|ҚЫЗЫ|УЛЫ|КЫЗЫ|ОГЛЫ)"
              rf"|[{UP}][{LO}]+\s{_PARTICLE})")
RE_LEAD_NAME = re.compile(
    rf"^(?P<n>{_INIT}\s?{_SURN}|{_SURN}\s?{_INIT}|{_SURN}\s+{_SURN}\s+{_PATR_WORD}"
    rf"|[{UP}][{LO}]+\s{_PARTICLE}\s+[{UP}][{LO}]+(?![{LO}]))"
    rf"(?=[\s,–—(-]|\d|$)"
)
# A name glued to the previous part of a one-line by-line: "Санкт-Петербург А.Ф.Еремеева", "…@mail.ru Мусиралиева
# Мадина Батырбековна Преподаватель …".
_RE_EMBEDDED_INIT = re.compile(rf"(?<![{UPL}{LOL}.])({_INIT}\s?{_CAP}|[{UP}][{LO}]+\s[{UP}][{LO}]+\s{_PATR_WORD})"
                               rf"(?![{LOL}])")


def _lead_name(p: str) -> Author | None:
    """"Иванов А.Б. – к.и.н., доцент" / "Примакова Алла Ивановна Концертмейстер …": the name first, then more."""
    m = RE_LEAD_NAME.match(p)
    if not (m and name_form(m.group("n"), False)):
        return None
    au = parse_author_name(m.group("n"))
    rest = DEGREE_RE.sub("", p[m.end():]).strip(" ,;.–—-()")
    if rest and AFFIL_WORDS.search(rest):
        au.affiliation = rest[:300]
    return au


def _embedded_names(p: str) -> list[Author]:
    return [
        parse_author_name(m.group(1)) for m in _RE_EMBEDDED_INIT.finditer(p)
        if (name_form(m.group(1), False) or RE_FULL3.match(m.group(1)))
        and not re.search(r"(?:\bим\.?|имени|ат\.|атындағы|named after|of the)\s*$", p[: m.start()], re.IGNORECASE)
    ]


def _explained(p: str) -> bool:
    """A by-line part that is not a name but belongs there: degree, position, affiliation, city, code."""
    return bool(DEGREE_RE.search(p) or AFFIL_WORDS.search(p) or re.fullmatch(r"[\d\s()]+", p)
                or _CITY.match(p) or _ORG_ACRONYM.match(p))


def _two_word_name(p: str) -> bool:
    """"Нурлан Асанов" after a name on the same by-line: two words, one with a surname ending."""
    m = RE_FULL2.match(p)
    return bool(m) and any(SURNAME_END.search(w) for w in m.groups()) and not _KK_OBLIQUE.search(p)


def split_author_line(line: str, allow_two_words: bool = False) -> tuple[list[Author], int]:
    """Parse a possible author line. Returns (authors, number_of_unexplained_parts)."""
    s = LABEL_RE.sub("", line).strip()
    s = re.sub(r"\s+(?:и|және|and|мен|бен|пен)\s+", ", ", s)
    s = s.replace(";", ",")
    parts = [x for x in re.split(r",\s*|\s{2,}", s) if x.strip()]
    authors: list[Author] = []
    other = 0
    for part in parts:
        p = strip_markers(part)
        if not p:
            continue
        words = p.split()
        if words and words[0] in _STOP_NAME_WORDS:
            other += 1
            continue
        if name_form(p, allow_two_words) or (authors and _two_word_name(p)):
            authors.append(parse_author_name(p))
            continue
        lead = _lead_name(p)
        if lead:
            authors.append(lead)
            authors.extend(_embedded_names(p[len(lead.name):]))
            continue
        emb = _embedded_names(p)
        if emb:
            authors.extend(emb)
            continue
        if not _explained(p):
            other += 1
    return [a for a in authors if not _KK_OBLIQUE.search(a.surname or a.name)], other


def author_line(text: str) -> list[Author]:
    """The authors on a first-page by-line (names with degrees, positions, affiliations), else []."""
    if not text or len(text) > 1200:
        return []
    text = text[:300]  # a by-line that runs on with positions and affiliations: its names come first
    labelled = bool(LABEL_RE.match(text))
    body = LABEL_RE.sub("", text)
    first = strip_markers(re.split(r",|\s+(?:и|және|and)\s+|\s{2,}", body)[0])
    lead = RE_LEAD_NAME.match(first)
    if not labelled and not name_form(first, False) and not (lead and name_form(lead.group("n"), False)):
        return []
    authors, other = split_author_line(text, allow_two_words=labelled)
    if not authors:
        return []
    strong = bool(re.match(rf"^{_INIT}\s?{_SURN}|^{_SURN}\s?{_INIT}", first)) or bool(lead)
    # a full name with patronymic at the start is a by-line even when positions and titles run on after it
    full_lead = bool(lead) and len(lead.group("n").split()) == 3
    prose = re.search(r"[.!?]\s+(?!наук)[а-яё]{4,}", text)
    if other > max(1, len(authors)) and not (strong and (len(text) < 220 or full_lead) and not prose):
        return []
    return authors


# Table-of-contents name grammar: a line of names only ("Кадченко С.И., Ставцева А.В.", "Ляхов Л.Н, …",
# "Popivanov N.I., Hristov Ts.D.", "Айда-заде К.Р.", "Сейтқали Айгерім Болатқызы", "Атай уулу А.").
TOC_INITIALS = rf"(?:[{UPL}][{LOL}]{{0,2}}\.\s?-?){{1,3}}(?:[{UPL}](?=\s*[,;]))?|[{UPL}](?=\s*(?:[,;]|$))"
TOC_SURNAME = rf"[{UPL}][{LOL}'’]+(?:[-–][{UPL}{LOL}][{LOL}'’]+)?(?:\s{_PARTICLE}(?![{LOL}]))?"
TOC_GIVEN = rf"[{UPL}][{LOL}]+"
TOC_PATRONYMIC = rf"(?:[{UPL}][{LOL}]+(?:вич|вна|чна|ична|[ұу]лы|[қк]ызы)|[{UPL}][{LOL}]+\s{_PARTICLE})"
TOC_NAME_SI = rf"{TOC_SURNAME}\s+(?:{TOC_INITIALS})"
TOC_NAME_IS = rf"(?:[{UPL}][{LOL}]{{0,2}}\.\s?-?){{1,3}}\s*{TOC_SURNAME}"
TOC_NAME_FULL = rf"{TOC_SURNAME}\s+{TOC_GIVEN}\s+{TOC_PATRONYMIC}"
TOC_NAME = rf"(?:{TOC_NAME_FULL}|{TOC_NAME_SI}|{TOC_NAME_IS})"
NAMES_LINE_RE = re.compile(rf"^\s*{TOC_NAME}(?:\s*\d)?(?:\s*[,;]\s*{TOC_NAME}(?:\s*\d)?)*\s*[,;]?\s*$")


def names_line(line: str) -> bool:
    """True for a line that is nothing but a list of names (a table of contents' author line)."""
    s = line.strip()
    return bool(s) and len(s) < 200 and bool(NAMES_LINE_RE.match(s))
