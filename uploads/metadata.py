"""First-guess bibliographic metadata from the first pages of a Russian/Kazakh/English article.

Everything here is heuristic and conservative: an empty field is better than a wrong one.
"""
from __future__ import annotations

import datetime as _dt
import logging
import re
import threading
import unicodedata

from uploads.types import Author, Metadata

logger = logging.getLogger(__name__)

__all__ = ["extract_metadata", "detect_language", "parse_author_name"]

# --------------------------------------------------------------------------------------------
# Character classes
# --------------------------------------------------------------------------------------------

UP = "А-ЯЁӘҒҚҢӨҰҮҺІЇЄҐ"
LO = "а-яёәғқңөұүһіїєґ"
UPL = UP + "A-Z"
LOL = LO + "a-z"
# Letters that occur in Kazakh but not in Russian (і is shared with Ukrainian, so it counts less).
KK_STRONG = set("әғқңөұүӘҒҚҢӨҰҮ\u0259\u018f")
KK_WEAK = set("іІһҺ")

_CURRENT_YEAR = _dt.date.today().year

# --------------------------------------------------------------------------------------------
# Language detection
# --------------------------------------------------------------------------------------------

_lang_lock = threading.Lock()
_identifier = None


def _get_identifier():
    """Return a private py3langid identifier restricted to ru/kk/en (built once)."""
    global _identifier
    if _identifier is None:
        with _lang_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                ident.set_languages(["ru", "kk", "en"])
                _identifier = ident
    return _identifier


def detect_language(text: str) -> str:
    """Return "ru", "kk" or "en" for the text, or "" when there is too little of it."""
    if not text:
        return ""
    sample = text[:20000]
    cyr = lat = strong = weak = 0
    for ch in sample:
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
            if ch in KK_STRONG:
                strong += 1
            elif ch in KK_WEAK:
                weak += 1
        elif ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            lat += 1
        elif ch in KK_STRONG:  # Latin schwa standing in for Cyrillic ә
            cyr += 1
            strong += 1
    letters = cyr + lat
    if letters < 15:
        return ""
    if lat > cyr * 1.5:
        return "en"
    if cyr:
        share = (strong + 0.5 * weak) / cyr
        if share >= 0.02 or (strong >= 3 and share >= 0.008):
            return "kk"
    try:
        lang, _p = _get_identifier().classify(sample[:5000])
    except Exception:  # pragma: no cover - library failure must not break uploads
        logger.exception("py3langid failed")
        lang = ""
    if lang == "kk" and cyr and strong == 0:
        # py3langid says Kazakh but no Kazakh letters at all: Russian (or Kyrgyz/Ukrainian) text.
        return "ru"
    if lang in ("ru", "kk", "en"):
        return lang
    return "ru" if cyr >= lat else "en"


# --------------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u3000]+")


def _norm_ws(s: str) -> str:
    return _WS.sub(" ", s.replace("\u00ad", "")).strip()


def _clean_page(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\u00ad\n", "").replace("\u00ad", "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\f", "\n").replace("\uf0d3", "©").replace("\uf0e3", "©").replace("\uf063", "©")
    # Latin schwa used for Cyrillic schwa by legacy fonts.
    text = text.replace("\u0259", "\u04d9").replace("\u018f", "\u04d8")
    # Latin Ë (U+00CB) inside Cyrillic words → Ё.
    text = re.sub(rf"(?<=[{UP}])\u00cb|\u00cb(?=[{UP}])", "Ё", text)
    return text


def _fix_weird_case(line: str) -> str:
    """Small-caps fonts extract as "ҚАзАҚтың БАс АҚыны": upper-case such lines entirely."""
    words = [w for w in re.findall(rf"[{UPL}{LOL}]{{3,}}", line)]
    if len(words) < 1 or _upper_ratio(line) < 0.4:
        return line
    weird = sum(1 for w in words if not (w.islower() or w.isupper() or (w[0].isupper() and w[1:].islower())))
    caps = sum(1 for w in words if w.isupper())
    if weird and (weird + caps) >= 0.8 * len(words):
        return line.upper()
    return line


def _lines(text: str) -> list[str]:
    return [_fix_weird_case(_norm_ws(x)) for x in text.split("\n")]


def _letters(s: str) -> int:
    return sum(1 for c in s if c.isalpha())


def _upper_ratio(s: str) -> float:
    al = [c for c in s if c.isalpha()]
    if not al:
        return 0.0
    return sum(1 for c in al if c.isupper()) / len(al)


def _join_lines(lines: list[str]) -> str:
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
    return _norm_ws(out)


# --------------------------------------------------------------------------------------------
# Authors
# --------------------------------------------------------------------------------------------

_INIT = rf"[{UPL}]\.(?:\s?[{UPL}]\.)?"
_INIT_ONE = rf"[{UPL}]\."
_CAP = rf"[{UPL}][{LOL}]+(?:[-'’][{UPL}]?[{LOL}]+)*"
_CAPS = rf"[{UPL}]{{2,}}(?:-[{UPL}]{{2,}})*"
_SURN = rf"(?:{_CAP}|{_CAPS})"
_PATRONYMIC = re.compile(
    r"(?:ович|евич|ьич|ична|овна|евна|инична|[ұу]лы|қызы|кызы|оглы|кызы|uly|qyzy|ovich|evich|ovna|evna)$",
    re.IGNORECASE,
)
_SURNAME_END = re.compile(
    r"(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|цкий|ская|цкая|енко|ко|ук|юк|ян|ия|ий|ая|дзе|швили|"
    r"баев|баева|[ұу]лы|қызы|кызы|ov|ev|ova|eva|in|ina|sky|skaya|enko|uly|qyzy)$",
    re.IGNORECASE,
)

_RE_INIT_SURN = re.compile(rf"^({_INIT})\s?({_SURN})$")
_RE_SURN_INIT = re.compile(rf"^({_SURN})\s?({_INIT})$")
_RE_FULL3 = re.compile(rf"^({_SURN})\s+({_SURN})\s+({_SURN})$")
_RE_FULL2 = re.compile(rf"^({_SURN})\s+({_SURN})$")
_RE_INIT_FULL = re.compile(rf"^({_INIT_ONE})\s?({_SURN})$")


def _fix_caps(word: str) -> str:
    """Turn an all-caps surname ("ИВАНОВ-ПЕТРОВ") into title case."""
    if len(word) > 1 and word.isupper():
        return "-".join(p[:1] + p[1:].lower() for p in word.split("-"))
    return word


def _norm_initials(s: str) -> str:
    s = re.sub(r"\s+", "", s)
    return s


def parse_author_name(s: str) -> Author:
    """Split a printed name ("Иванов А.Б.", "А.Б. Иванов", "Иванов Алексей Борисович", "Байтұрсынұлы Ахмет") into parts."""
    raw = _norm_ws(s)
    raw = re.sub(r"[\d*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+\)?$", "", raw).strip(" ,;")
    raw = re.sub(r"\s*\d\)\s*$", "", raw)
    t = raw
    m = _RE_INIT_SURN.match(t)
    if m:
        given, surname = _norm_initials(m.group(1)), _fix_caps(m.group(2))
        return Author(name=f"{given} {surname}", surname=surname, given=given)
    m = _RE_SURN_INIT.match(t)
    if m:
        surname, given = _fix_caps(m.group(1)), _norm_initials(m.group(2))
        return Author(name=f"{surname} {given}", surname=surname, given=given)
    m = _RE_FULL3.match(t)
    if m:
        a, b, c = (_fix_caps(x) for x in m.groups())
        if _PATRONYMIC.search(c):
            return Author(name=f"{a} {b} {c}", surname=a, given=f"{b} {c}")
        if _PATRONYMIC.search(b) or _SURNAME_END.search(c) and not _SURNAME_END.search(a):
            # "Алексей Борисович Иванов"
            return Author(name=f"{a} {b} {c}", surname=c, given=f"{a} {b}")
        return Author(name=f"{a} {b} {c}", surname=a, given=f"{b} {c}")
    m = _RE_FULL2.match(t)
    if m:
        a, b = (_fix_caps(x) for x in m.groups())
        a_s, b_s = bool(_SURNAME_END.search(a)), bool(_SURNAME_END.search(b))
        if b_s and not a_s:
            return Author(name=f"{a} {b}", surname=b, given=a)
        return Author(name=f"{a} {b}", surname=a, given=b)
    return Author(name=raw)


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
_DEGREE_RE = re.compile(r"(?:%s)" % "|".join(_DEGREE_PATTERNS), re.IGNORECASE)

_AFFIL_WORDS = re.compile(
    r"университет|институт|академи|колледж|лицей|школ|гимназ|центр|лаборатор|кафедр|факультет|"
    r"университеті|институты|мектеп|орталығы|College|Universit|Institut|Academy|School|"
    r"РАН\b|НАН\b|ЗАО|ООО|ОАО|АО\b|НПО|ГВУЗ|ФГБОУ|ФГАОУ|ВПО|ГОУ|РГП|КазНУ|ЕНУ|МГУ|СПбГУ|БГУ|г\.\s?[А-Я]|"
    r"Россия|Казахстан|Қазақстан|Беларусь|Республика|Russia|Kazakhstan|ул\.|пр\.|\d{6}",
    re.IGNORECASE,
)

_LABEL_RE = re.compile(
    r"^(?:Авторы?|Автор\(ы\)|Authors?|Орындаған(?:дар)?|Орындаушы(?:лар)?|Дайындаған(?:дар)?|Автор(?:лар)?ы?|"
    r"Выполнил[аи]?|Подготовил[аи]?)\s*[:.\-–—]\s*",
    re.IGNORECASE,
)


def _strip_markers(part: str) -> str:
    """Remove footnote markers (superscript digits, "1)", "*", "a") around a name."""
    p = part.strip(" ,;")
    p = re.sub(rf"(?<=[{UPL}{LOL}]{{2}})\.$", "", p)
    p = re.sub(r"(?<=[^\W\d_])\s?\d{1,2}\)?(?:,\s?\d{1,2}\)?)*$", "", p)
    p = re.sub(r"^\d{1,2}\)\s*", "", p)
    p = re.sub(r"[*†‡§¹²³⁴⁵⁶⁷⁸⁹⁰]+", "", p)
    p = re.sub(r"\s*\(\s*\d[^)]*\)$", "", p)  # "(9 сынып)"
    p = p.strip(" ,;")
    return re.sub(rf"(?<=[{LOL}])\.$", "", p)


def _name_form(p: str, allow_two_words: bool) -> str:
    """Classify a candidate name string: 'init', 'full3', 'full2' or ''."""
    if _RE_INIT_SURN.match(p):
        return "init"
    m = _RE_SURN_INIT.match(p)
    if m:
        if m.group(1).isupper() and not re.search(r"\s", p):
            return ""  # "ДББЖ." is an abbreviation, not "ДББ Ж."
        return "init"
    if re.search(r"(?:ның|нің|дың|дің|тың|тің|ға|ге|қа|ке|ына|іне)$", p):
        return ""  # Kazakh genitive/dative: "А. Байтұрсынұлының" is not a by-line
    m = _RE_FULL3.match(p)
    if m and (_PATRONYMIC.search(m.group(3)) or (allow_two_words and _PATRONYMIC.search(m.group(2)))):
        return "full3"
    if allow_two_words and _RE_FULL2.match(p):
        return "full2"
    return ""


_STOP_NAME_WORDS = {
    "Введение", "Аннотация", "Ключевые", "Журнал", "Вестник", "Известия", "Абстракт", "Кіріспе",
    "Том", "Серия", "Выпуск", "Материалы", "Резюме", "Литература", "Рисунок", "Таблица", "Научный",
}


_PATR_WORD = rf"(?:[{UP}][{LO}]+(?:вич|вна|чна|ұлы|қызы|улы|кызы|оглы)|[{UP}]+(?:ВИЧ|ВНА|ЧНА|ҰЛЫ|ҚЫЗЫ|УЛЫ|КЫЗЫ|ОГЛЫ))"
_RE_LEAD_NAME = re.compile(
    rf"^(?P<n>{_INIT}\s?{_SURN}|{_SURN}\s?{_INIT}|{_SURN}\s+{_SURN}\s+{_PATR_WORD})"
    rf"(?=[\s,–—(-]|\d|$)"
)
_RE_EMBEDDED_INIT = re.compile(rf"(?<![{UPL}{LOL}.])({_INIT}\s?{_CAP})(?![{LOL}])")


def _split_author_line(line: str, allow_two_words: bool = False) -> tuple[list[Author], int]:
    """Parse a possible author line. Returns (authors, number_of_unexplained_parts)."""
    s = _LABEL_RE.sub("", line).strip()
    s = re.sub(r"\s+(?:и|және|and|мен|бен|пен)\s+", ", ", s)
    s = s.replace(";", ",")
    # Split "Э.В. ЧАСОВА, Л.Д. ЕРМАК, кандидаты хим. наук" into parts.
    parts = [x for x in re.split(r",\s*|\s{2,}", s) if x.strip()]
    authors: list[Author] = []
    other = 0
    for part in parts:
        p = _strip_markers(part)
        if not p:
            continue
        words = p.split()
        if words and words[0] in _STOP_NAME_WORDS:
            other += 1
            continue
        form = _name_form(p, allow_two_words)
        if form:
            authors.append(parse_author_name(p))
            continue
        # "Иванов А.Б. – к.и.н., доцент" / "Примакова Алла Ивановна Концертмейстер ..." → name first, then more text.
        m = _RE_LEAD_NAME.match(p)
        if m and _name_form(m.group("n"), False):
            au = parse_author_name(m.group("n"))
            rest = _DEGREE_RE.sub("", p[m.end():]).strip(" ,;.–—-()")
            if rest and _AFFIL_WORDS.search(rest):
                au.affiliation = rest[:300]
            authors.append(au)
            continue
        emb = [
            m2.group(1) for m2 in _RE_EMBEDDED_INIT.finditer(p)
            if _name_form(m2.group(1), False) and not re.search(r"(?:им\.|имени|ат\.|атындағы)\s*$", p[: m2.start()])
        ]
        if emb:
            authors.extend(parse_author_name(x) for x in emb)
            continue
        if _DEGREE_RE.search(p) or _AFFIL_WORDS.search(p) or re.fullmatch(r"[\d\s()]+", p):
            continue
        other += 1
    authors = [a for a in authors if not re.search(r"(?:ның|нің|дың|дің|тың|тің)$", a.surname or a.name)]
    return authors, other


# --------------------------------------------------------------------------------------------
# Line classification
# --------------------------------------------------------------------------------------------

_HEADER_RE = re.compile(
    r"журнал|вестник|вісник|известия|хабаршы|хабарлары|journal|bulletin|proceedings|серия|series|"
    r"том\s*\d|vol\.|№\s*\d|issn|isbn|удк|ӘОЖ|ббк|doi|pacs|msc|грнти|ғтамр|http|www\.|@|"
    r"материалы|конференци|сборник|научн(?:ый|ые) труды|технічні науки|стр\.|pp\.|с\.\s*\d|"
    r"проблемы теоретической|copyright|©",
    re.IGNORECASE,
)
_ABSTRACT_MARK = re.compile(
    r"^\s*(Аннотация|Аңдатпа|Андатпа|Түйіндеме|Түйін(?!\s*(?:ді\s+)?сөз)|Abstract|Резюме|Summary|Annotation|Реферат)"
    r"\s*(?:[.:—–-]\s*|\s+(?=\S)|$)",
    re.IGNORECASE,
)
_KEYWORDS_MARK = re.compile(
    r"^\s*(Ключевые\s+слова|Кілт(?:ті)?\s+сөздер|Түйін(?:ді)?\s+сөздер|Тірек\s+сөздер|Key\s*-?\s*words|"
    r"Index\s+terms)\s*(?:[.:—–-]\s*|\s+)",
    re.IGNORECASE,
)
_BODY_START = re.compile(
    r"^\s*(?:\d\.?\s*)?(Введение|Кіріспе|Introduction|Постановка|Проблема и ее|Актуальность|Основная часть|"
    r"Материалы и методы|Мазмұны|Содержание|Оглавление)\b",
    re.IGNORECASE,
)
_REFS_RE = re.compile(
    r"^\s*(?:\d\.?\s*)?(Литература|Список\s+(?:использованной\s+|цитируемой\s+)?литературы|Библиографический\s+список|"
    r"Список\s+источников|Әдебиеттер(?:\s+тізімі)?|Пайдаланылған\s+әдебиеттер|References|Bibliography|Источники)\b",
    re.IGNORECASE,
)


def _is_author_line(text: str) -> list[Author]:
    """Return the authors on a line that looks like an author line, else []."""
    if not text or len(text) > 300:
        return []
    labelled = bool(_LABEL_RE.match(text))
    body = _LABEL_RE.sub("", text)
    first = _strip_markers(re.split(r",|\s+(?:и|және|and)\s+|\s{2,}", body)[0])
    lead = _RE_LEAD_NAME.match(first)
    if not labelled and not _name_form(first, False) and not (lead and _name_form(lead.group("n"), False)):
        return []
    authors, other = _split_author_line(text, allow_two_words=labelled)
    if not authors:
        return []
    strong = bool(re.match(rf"^{_INIT}\s?{_SURN}|^{_SURN}\s?{_INIT}", first)) or bool(lead)
    if other > max(1, len(authors)) and not (strong and len(text) < 220 and not re.search(r"[.!?]\s+[а-яё]", text)):
        return []
    return authors


# --------------------------------------------------------------------------------------------
# Title
# --------------------------------------------------------------------------------------------


def _is_skip_line(t: str) -> bool:
    if not t:
        return True
    if _HEADER_RE.search(t):
        return True
    if _letters(t) < 3:
        return True
    if re.fullmatch(r"[\d\s.,:;()\-–—/]+", t):
        return True
    return False


def _title_block_ok(block: list[str]) -> bool:
    text = " ".join(block)
    n = _letters(text)
    if n < 6 or len(text) > 400:
        return False
    if _ABSTRACT_MARK.match(text) or _KEYWORDS_MARK.match(text) or _BODY_START.match(text):
        return False
    return True


_ROMAN = re.compile(r"^[IVXLCDM]+$")


def _word_evidence(context: str) -> tuple[set[str], set[str], set[str]]:
    """Words seen in lower case, capitalised mid-sentence, and in capitals inside mixed-case lines."""
    lower: set[str] = set()
    mid_cap: set[str] = set()
    acr: set[str] = set()
    running = " ".join(x for x in context.split("\n") if _upper_ratio(x) <= 0.5)
    for line in (running,):
        prev = ""
        for m in re.finditer(rf"[{UPL}{LOL}]+|[.!?:;«»\"()]", line):
            w = m.group(0)
            if not w[0].isalpha():
                prev = w
                continue
            if w.islower():
                lower.add(w)
            elif len(w) >= 2 and w.isupper():
                acr.add(w)
            elif w[0].isupper() and w[1:].islower() and prev and prev[0].isalpha() and prev.islower():
                mid_cap.add(w.lower())
            prev = w
    return lower, mid_cap, acr


def _readable_case(title: str, context: str) -> str:
    """Convert an UPPER-CASE title to sentence case, keeping acronyms and proper nouns seen in the running text."""
    if _upper_ratio(title) < 0.9:
        return title
    lower, mid_cap, acr = _word_evidence(context)
    out = []
    first_word = True
    for tok in re.split(r"(\s+|[-–—«»\"“”„()/:.,;!?])", title):
        if not tok or not re.search(r"[^\W\d_]", tok):
            out.append(tok)
            if tok and re.fullmatch(r"[.!?]", tok.strip()):
                first_word = True
            continue
        low = tok.lower()
        if _ROMAN.match(tok) and len(tok) <= 5 and low not in lower:
            new = tok
        elif len(tok) == 1:
            new = low
        elif tok in acr and low not in lower:
            new = tok  # acronym seen in capitals in running text
        elif low in mid_cap and low not in lower:
            new = tok[:1] + tok[1:].lower()  # proper noun
        elif re.search(r"\d", tok):
            new = tok
        else:
            new = low
        if first_word:
            new = new[:1].upper() + new[1:]
            first_word = False
        out.append(new)
    return "".join(out)


def _seen_upper_in_mixed(word: str, context: str) -> bool:
    """True when ``word`` occurs in capitals inside a line that is mostly lower case."""
    for line in context.split("\n"):
        if word in line and _upper_ratio(line) < 0.5:
            if re.search(rf"(?<![{UPL}{LOL}]){re.escape(word)}(?![{UPL}{LOL}])", line):
                return True
    return False


_GENRE_RE = re.compile(
    r"^(?:бакалаврская|магистерская|дипломная|курсовая|выпускная|квалификационная|диссертация|автореферат|"
    r"реферат|тезисы|отч[её]т|статья|доклад|дипломдық|курстық|магистрлік|ғылыми[- ]зерттеу|зерттеу\s+жұмысы|"
    r"научная\s+статья|на\s+тему|тақырыбы|тема)\b[\w\s\-]{0,40}$",
    re.IGNORECASE,
)
_TITLE_LABEL = re.compile(r"^(?:Тақырыбы|Тема(?:\s+работы)?|Title|Название|Атауы)\s*[:.]\s*(\S.{5,})$", re.IGNORECASE)


def _garbage(t: str) -> bool:
    """Text that is clearly a broken text layer (cid codes, mojibake)."""
    if "(cid:" in t or "\ufffd" in t:
        return True
    al = [c for c in t if c.isalpha()]
    if not al:
        return True
    odd = sum(1 for c in al if "\u00c0" <= c <= "\u024f" or "\u0250" <= c <= "\u02af")
    return odd / len(al) > 0.2


def _title_from_block(block: list[str], context: str) -> str:
    t = _join_lines(block)
    t = re.sub(r"^[«\"“„]\s*(.*?)\s*[»\"”“]$", r"\1", t)
    return _readable_case(t, context)


def _find_title(
    lines: list[str], author_idx: list[int], font_lines: list[tuple[str, float]] | None, context: str
) -> tuple[str, int | None]:
    """Pick the title block from the first page lines; returns (title, index of its first line or None)."""
    limit = len(lines)
    for i, t in enumerate(lines):
        if _ABSTRACT_MARK.match(t) or _KEYWORDS_MARK.match(t) or _BODY_START.match(t):
            limit = i
            break
    limit = min(limit, 60)

    def bad(t: str) -> bool:
        return _is_skip_line(t) or _GENRE_RE.match(t) is not None or _garbage(t)

    # 0) An explicit label: "Тақырыбы: ...", "Тема: ..."
    for i, t in enumerate(lines[:limit]):
        m = _TITLE_LABEL.match(t)
        if m and not _garbage(m.group(1)):
            return _title_from_block([m.group(1)], context), i

    # 1) Font sizes: the largest-font lines near the top.
    if font_lines:
        cand = [(_fix_weird_case(_norm_ws(t)), sz) for t, sz in font_lines[:80] if t and t.strip()]
        cand = [(t, sz) for t, sz in cand if not bad(t) and not _is_author_line(t)]
        if cand:
            sizes = sorted({round(sz, 1) for _, sz in cand}, reverse=True)
            body = _mode([round(sz, 1) for _, sz in cand])
            for top in sizes[:2]:
                if top <= body + 0.5:
                    break
                block: list[str] = []
                started = False
                for t, sz in cand:
                    if abs(round(sz, 1) - top) < 0.3:
                        block.append(t)
                        started = True
                    elif started:
                        break
                if block and _title_block_ok(block) and len(block) <= 5:
                    idx = next((k for k, x in enumerate(lines) if x and x == block[0]), None)
                    return _title_from_block(block, context), idx

    # 2) An UPPER-CASE block near the top that is not a header or an author line.
    blocks: list[tuple[int, list[str]]] = []
    i = 0
    while i < limit:
        t = lines[i]
        if t and not bad(t) and _upper_ratio(t) > 0.85 and _letters(t) >= 8 and i not in author_idx and not _AFFIL_ONLY(t):
            block = [t]
            j = i + 1
            while j < limit and len(block) < 6:
                u = lines[j]
                if not u:
                    nx = lines[j + 1] if j + 1 < limit else ""
                    if nx and _upper_ratio(nx) > 0.85 and (j + 1) not in author_idx and not bad(nx) \
                            and len(block) < 3 and not block[-1].endswith(".") and len(nx.split()) <= 2 \
                            and not re.match(r"^(?:\d{1,2}|[IVX]{1,4})\.\s", block[0]):
                        j += 1
                        continue
                    break
                if j in author_idx or bad(u) or _upper_ratio(u) <= 0.85 or _is_author_line(u):
                    break
                block.append(u)
                j += 1
            if _title_block_ok(block):
                blocks.append((i, block))
                if len(blocks) >= 2:
                    break
            i = j
            continue
        i += 1
    if blocks:
        start, block = blocks[0]
        # "1. А.БАЙТҰРСЫНҰЛЫНЫҢ ЖИНАҚТАРҒА ..." is a section heading when another caps block follows closely.
        if len(blocks) > 1 and re.match(r"^(?:\d{1,2}|[IVX]{1,4})\.\s", block[0]) and blocks[1][0] - (start + len(block)) <= 3:
            start, block = blocks[1]
        return _title_from_block(block, context), start

    # 3) The block next to the author line(s): before them if the authors follow the title, else after.
    if author_idx:
        first_a, last_a = min(author_idx), max(author_idx)
        k = first_a - 1
        while k >= 0 and not lines[k]:
            k -= 1
        before: list[str] = []
        while k >= 0 and lines[k] and not bad(lines[k]) and len(before) < 4:
            before.insert(0, lines[k])
            k -= 1
        j = last_a + 1
        while j < limit and (not lines[j] or _AFFIL_ONLY(lines[j]) or bad(lines[j])):
            j += 1
        after_start = j
        after: list[str] = []
        while j < limit and lines[j] and len(after) < 4 and not bad(lines[j]):
            after.append(lines[j])
            j += 1
        for block, st in ((before, k + 1), (after, after_start)):
            if block and _title_block_ok(block) and not block[-1].endswith(".") and len(_join_lines(block)) < 300:
                return _title_from_block(block, context), st
    return "", None


def _AFFIL_ONLY(t: str) -> bool:
    return bool(_AFFIL_WORDS.search(t)) and not _upper_ratio(t) > 0.85


def _mode(values: list[float]) -> float:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts.items(), key=lambda kv: (kv[1], -kv[0]))[0] if counts else 0.0


# --------------------------------------------------------------------------------------------
# Identifiers
# --------------------------------------------------------------------------------------------

_UDC_RE = re.compile(r"(?:УДК|ӘОЖ|ƏОЖ|UDC|UDK)\s*[:.]?\s*([0-9][0-9.:;+()\[\]/\-–=\"'’«»*, ]*[0-9)\]])")
_BBK_RE = re.compile(r"ББК\s*[:.]?\s*([0-9А-Яа-яA-Za-z][0-9А-Яа-яЁёA-Za-z.:;()\-+ ]{0,40})")
_ISBN_RE = re.compile(r"ISBN(?:-1[03])?\s*[:.]?\s*((?:97[89][\s\-–]?)?\d[\d\s\-–]{7,15}[\dXxХх])")
_DOI_RE = re.compile(r"(?:doi\.org/|DOI\s*:?\s*)?(10\.\d{4,9}/[^\s\"<>«»]+)", re.IGNORECASE)


def _isbn_ok(digits: str) -> bool:
    if len(digits) == 10:
        total = sum((10 - i) * (10 if c in "Xx" else int(c)) for i, c in enumerate(digits))
        return total % 11 == 0
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        return total % 10 == 0
    return False


def _find_ids(text: str, md: Metadata) -> None:
    m = _UDC_RE.search(text)
    if m:
        udc = re.split(r"\s{2,}", m.group(1))[0].strip(" ,;")
        md.udc = re.sub(r"\s+", " ", udc).replace("–", "-")
    m = _BBK_RE.search(text)
    if m:
        md.bbk = _norm_ws(m.group(1).split("\n")[0]).strip(" ,;")
    for m in _ISBN_RE.finditer(text):
        raw = m.group(1).replace("Х", "X").replace("х", "x").replace("–", "-")
        digits = re.sub(r"[^\dXx]", "", raw)
        if _isbn_ok(digits):
            md.isbn = re.sub(r"\s+", "", raw).upper()
            break
    m = _DOI_RE.search(text)
    if m:
        md.doi = m.group(1).rstrip(".,;:)]}")


# --------------------------------------------------------------------------------------------
# Year
# --------------------------------------------------------------------------------------------

_YEAR = r"(1[89]\d\d|20\d\d)"
_MONTHS = (
    r"(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    r"қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)[a-zа-яәіұүөғқң]*"
)
# "Иванов И.И., Петров П.П. 2019" at the end of a line. It backtracks through every name of a long list that
# does not end in a year (seconds for a line of 1000 names), so it is only tried on lines ending in a year.
_BYLINE_YEAR = re.compile(rf"{_SURN}\s?{_INIT}(?:,\s*{_SURN}\s?{_INIT})*,?\s+{_YEAR}\s*$")
_ENDS_IN_YEAR = re.compile(rf"{_YEAR}\s*$")
# (regex, weight, counts in running prose?)
_YEAR_RULES: list[tuple[re.Pattern[str], float, bool]] = [
    (re.compile(rf"(?:©|\(c\)|Copyright)\s*(?:[^\n©]{{0,120}}?)\b{_YEAR}\b", re.IGNORECASE), 10, True),
    (_BYLINE_YEAR, 8, False),
    (re.compile(rf"\b{_YEAR}\s*[.,]?\s*(?:[-–—]\s*)?(?:№\s*\d|No\.?\s*\d|N\s?\d|Т\.\s?\d|Том\s|Vol\.|Вып\.|вип\.|Issue|Iss\.|Сер\.)",
                re.IGNORECASE), 8, True),
    (re.compile(rf"(?:№|No\.?|Т\.|Vol\.|Вып\.|вип\.)\s*\d+[^\n\d]{{0,20}}?[,.]\s*{_YEAR}\b", re.IGNORECASE), 7, True),
    (re.compile(rf"\b\d{{1,2}}\.(?:0[1-9]|1[0-2])\.{_YEAR}\b"), 5, False),
    (re.compile(rf"\b\d{{1,2}}(?:\s*[-–]\s*\d{{1,2}})?[\s-]*{_MONTHS}\s+{_YEAR}", re.IGNORECASE), 5, False),
    (re.compile(rf"\b{_YEAR}\s*(?:г\.|года?\b|ж\.|ж\b|жыл\b|жылы\b)"), 3, False),
]
_YEAR_BAD_AFTER = re.compile(r"^\s*(?:мг|кг|км|мм|см|руб|тонн|%|°|шт|чел|ед\.|экз|млн|тыс|[-–]\d|\))")
_SOURCE_LINE = re.compile(
    rf"\(?(?:«[^»]{{2,40}}»[.,]?\s*)?(?:\d{{1,2}}(?:[-–]\d{{1,2}})?[-\s]*{_MONTHS}\.?\s+)?{_YEAR}\s*"
    rf"(?:ж\.|жыл|жылы|г\.|год)?[.,]?(?:\s*№\s*\d+[.,]?)*\s*\)?\.?",
    re.IGNORECASE,
)


def _prev_article_tail(lines: list[str], title_idx: int | None) -> int:
    """Number of leading lines that belong to the previous article (prose before the title block)."""
    if title_idx is None or title_idx <= 2:
        return 0
    prose = sum(
        1 for t in lines[:title_idx]
        if len(t) > 45 and _upper_ratio(t) < 0.3 and not _HEADER_RE.search(t) and not _is_author_line(t)
        and not _AFFIL_WORDS.search(t)
    )
    return title_idx if prose >= 2 else 0


def _find_year(pages: list[str], skip_first_lines: int = 0) -> int | None:
    scores: dict[int, float] = {}

    def add(y: int, w: float) -> None:
        if 1800 <= y <= _CURRENT_YEAR + 1:
            scores[y] = scores.get(y, 0.0) + w

    for pno, page in enumerate(pages[:2]):
        lines = [_norm_ws(x) for x in page.split("\n")]
        if pno == 0 and skip_first_lines:
            lines = lines[skip_first_lines:]
        cut = len(lines)
        for i, ln in enumerate(lines):
            if _REFS_RE.match(ln):
                cut = i
                break
        lines = lines[:cut]
        n = len(lines)
        for i, ln in enumerate(lines):
            if not ln:
                continue
            nxt = lines[i + 1] if i + 1 < n else ""
            joined = ln + " " + nxt
            pos_w = 1.0 if (i < 20 or i >= n - 8) else 0.4
            if pno > 0:
                pos_w *= 0.5
            prose = len(ln) > 70 and _upper_ratio(ln) < 0.3
            for rx, w, in_prose in _YEAR_RULES:
                if rx is _BYLINE_YEAR and not _ENDS_IN_YEAR.search(joined):
                    continue
                for m in rx.finditer(joined):
                    if m.start(1) >= len(ln):
                        continue  # the year itself is on the next line; it will be seen there
                    y = int(m.group(1))
                    if _YEAR_BAD_AFTER.match(joined[m.end(1):]) and w < 8:
                        continue
                    ww = w * (pos_w if w < 7 else (1.0 if pno == 0 else 0.7))
                    if prose and not in_prose:
                        ww *= 0.4
                    add(y, ww)
            if pno == 0 and re.fullmatch(_YEAR, ln) and i < 12:
                add(int(ln), 5)
            if pno == 0 and len(ln) < 60:
                # "Москва, 2021 г." / "Қостанай қаласы, 2016 ж" on a title page.
                m = re.fullmatch(rf"[{UP}][{LO}\-]+(?:\s+[{LO}]+)?\s*[,–—-]?\s*{_YEAR}\s*(?:г\.?|ж\.?|жыл)?", ln)
                if m:
                    add(int(m.group(1)), 5)
    # Source line of an old newspaper article: «Қазақ», 1913, № 43 / 1916 жыл. / 12-13 қазан 1926 жыл
    for k, page in enumerate(pages):
        for ln in page.split("\n"):
            ln_n = _norm_ws(ln)
            if not ln_n or len(ln_n) > 60:
                continue
            m = _SOURCE_LINE.fullmatch(ln_n)
            if m and (("«" in ln_n) or re.search(r"жыл", ln_n) or re.search(_MONTHS, ln_n, re.IGNORECASE)):
                add(int(m.group(1)), 4 if k > 0 or skip_first_lines == 0 else 0)
                break
    if not scores:
        return None
    best_y, best_s = max(scores.items(), key=lambda kv: kv[1])
    if best_s < 4.0:
        return None
    close = [y for y, sc in scores.items() if sc >= best_s * 0.9 and sc >= 4.0]
    if len(close) > 1:
        return max(close)  # publication is after whatever it mentions
    return best_y


# --------------------------------------------------------------------------------------------
# Abstracts and keywords
# --------------------------------------------------------------------------------------------


def _collect_paragraph(lines: list[str], start: int, first: str, max_chars: int = 4000) -> str:
    buf = [first] if first else []
    j = start + 1
    blank_run = 0
    while j < len(lines):
        t = lines[j]
        if not t:
            blank_run += 1
            if sum(len(x) for x in buf) > 150 and blank_run >= 1:
                break
            j += 1
            continue
        blank_run = 0
        if _ABSTRACT_MARK.match(t) or _KEYWORDS_MARK.match(t) or _BODY_START.match(t) or _REFS_RE.match(t):
            break
        if _upper_ratio(t) > 0.9 and _letters(t) > 10:
            break
        buf.append(t)
        if sum(len(x) for x in buf) > max_chars:
            break
        j += 1
    return _join_lines(buf)


def _split_keywords(s: str) -> list[str]:
    s = s.strip().rstrip(".")
    sep = ";" if ";" in s else ","
    out = []
    for k in s.split(sep):
        k = _norm_ws(k).strip(" .;,")
        if k and len(k) < 120:
            out.append(k)
    return out


def _find_abstracts_keywords(lines: list[str], md: Metadata) -> None:
    seen_kw: set[str] = set()
    kw_lines: list[int] = []
    for i, t in enumerate(lines):
        m = _KEYWORDS_MARK.match(t)
        if m:
            kw_lines.append(i)
            buf = [t[m.end():]]
            j = i + 1
            while j < len(lines) and lines[j] and not buf[-1].rstrip().endswith(".") and len(buf) < 4:
                u = lines[j]
                if _ABSTRACT_MARK.match(u) or _KEYWORDS_MARK.match(u) or _BODY_START.match(u):
                    break
                if _upper_ratio(u) > 0.9 and _letters(u) > 10:
                    break
                buf.append(u)
                j += 1
            for k in _split_keywords(_join_lines(buf)):
                if k.lower() not in seen_kw:
                    seen_kw.add(k.lower())
                    md.keywords.append(k)
            continue
        m = _ABSTRACT_MARK.match(t)
        if m and i < len(lines):
            rest = t[m.end():].strip()
            if m.group(1).lower().startswith("түйін") and not rest and i + 1 < len(lines) and not lines[i + 1]:
                pass
            body = _collect_paragraph(lines, i, rest)
            if len(body) >= 40:
                lang = detect_language(body) or md.language or "ru"
                md.abstracts.setdefault(lang, body)
    # Unmarked abstract: the paragraph just above the first keyword line (BSU style).
    if kw_lines and not md.abstracts:
        k = kw_lines[0] - 1
        buf: list[str] = []
        while k >= 0 and lines[k] and len(buf) < 40:
            t = lines[k]
            if _is_author_line(t) or _HEADER_RE.search(t) or (_upper_ratio(t) > 0.85 and _letters(t) > 6):
                break
            buf.insert(0, t)
            k -= 1
        # skip leading affiliation lines
        while buf and _AFFIL_WORDS.search(buf[0]) and len(buf[0]) < 160 and not buf[0].endswith("."):
            buf.pop(0)
        text = _join_lines(buf)
        if len(text) >= 150:
            lang = detect_language(text) or md.language or "ru"
            md.abstracts.setdefault(lang, text)


# --------------------------------------------------------------------------------------------
# PDF info dict
# --------------------------------------------------------------------------------------------

_JUNK_TITLE = re.compile(
    r"^(?:microsoft\s+(?:word|powerpoint)\s*-|untitled|без\s+названия|документ\d*|document\d*|doc\d*|"
    r"title|новый документ|презентация|slide|pdf)|\.(?:docx?|rtf|odt|pdf|tex|indd|qxd|p65|cdr)\s*$|^[\w\-. ]{0,4}$",
    re.IGNORECASE,
)


def _info_str(pdf_info: dict | None, key: str) -> str:
    if not pdf_info:
        return ""
    v = pdf_info.get(key) or pdf_info.get(key.lstrip("/")) or pdf_info.get("/" + key.lstrip("/"))
    if v is None:
        return ""
    if isinstance(v, bytes):
        for enc in ("utf-16", "utf-8", "cp1251", "latin-1"):
            try:
                v = v.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    s = _norm_ws(str(v))
    return s


def _info_title(pdf_info: dict | None, first_page: str) -> str:
    s = _info_str(pdf_info, "/Title")
    if not s or _JUNK_TITLE.search(s) or _letters(s) < 8 or " " not in s:
        return ""
    # Only trust it if its words appear on the first page (otherwise it is often another document's title).
    words = [w.lower() for w in re.findall(rf"[{UPL}{LOL}]{{4,}}", s)]
    if not words:
        return ""
    page_low = first_page.lower()
    hit = sum(1 for w in words if w in page_low)
    if hit / len(words) >= 0.7:
        return s
    return ""


def _info_authors(pdf_info: dict | None, first_page: str) -> list[Author]:
    s = _info_str(pdf_info, "/Author")
    if not s or _letters(s) < 4:
        return []
    authors, other = _split_author_line(s, allow_two_words=True)
    if other:
        return []
    page_low = first_page.lower()
    return [a for a in authors if a.surname and a.surname.lower() in page_low]


# --------------------------------------------------------------------------------------------
# Main entry
# --------------------------------------------------------------------------------------------


def _attach_affiliations(lines: list[str], author_idx: list[int], authors: list[Author]) -> None:
    """Copy the affiliation printed right below the author lines into Author.affiliation when clear."""
    if not author_idx or not authors:
        return
    j = max(author_idx) + 1
    affs: list[str] = []
    while j < len(lines) and len(affs) < 4:
        t = lines[j]
        if not t:
            if affs:
                break
            j += 1
            continue
        if _AFFIL_WORDS.search(t) and len(t) < 250 and not _ABSTRACT_MARK.match(t) and _upper_ratio(t) < 0.85:
            affs.append(t)
            j += 1
            continue
        break
    if not affs:
        return
    # Numbered affiliations "1)Белорусский ..." → map by marker when the count matches.
    numbered: dict[str, list[str]] = {}
    cur = None
    for a in affs:
        m = re.match(r"^(\d)\)?\s*(?=[^\d\s.,])", a)
        if m:
            cur = m.group(1)
            numbered[cur] = [a[m.end():]]
        elif cur:
            numbered[cur].append(a)
    if len(numbered) >= 2:
        for au in authors:
            m = re.search(r"(\d)\)?\s*$", au.name)
            key = m.group(1) if m else None
            if key and key in numbered:
                au.affiliation = _join_lines(numbered[key])
        return
    aff = _join_lines(list(numbered.get(cur, [])) if len(numbered) == 1 else affs)
    aff = re.sub(r"^\d\)?\s*", "", aff)
    aff = _DEGREE_RE.sub("", aff).strip(" ,;")
    if aff:
        for au in authors:
            if not au.affiliation:
                au.affiliation = aff[:300]


def _find_authors(lines: list[str]) -> tuple[list[Author], list[int]]:
    limit = len(lines)
    for i, t in enumerate(lines):
        if _ABSTRACT_MARK.match(t) or _KEYWORDS_MARK.match(t) or _BODY_START.match(t) or _REFS_RE.match(t):
            limit = i
            break
    limit = min(limit, 45)
    found: list[tuple[int, list[Author], bool]] = []
    text_chars = 0
    labelled_prev = False
    for i in range(limit):
        t = lines[i]
        text_chars += len(t)
        if not t:
            continue
        a = _is_author_line(t)
        if not a and labelled_prev:
            cont, other = _split_author_line(t, allow_two_words=True)
            if cont and not other:
                a = cont
        labelled_prev = bool(a) and (labelled_prev or bool(_LABEL_RE.match(t)))
        if not a:
            continue
        # An all-caps "ИВАНОВ ИВАН ИВАНОВИЧ" line may be a title (biographical note) - remember that.
        all_caps_full = _upper_ratio(t) > 0.9 and all(_RE_FULL3.match(x.name) for x in a) and not re.search(r"\.", t)
        found.append((i, a, all_caps_full))
        # authors of one article sit together: stop at the first gap of real text after a hit
    if not found:
        return [], []
    if any(not f[2] for f in found):
        found = [f for f in found if not f[2]]
    # Keep the first cluster of author lines (allow affiliation lines between them).
    cluster = [found[0]]
    for f in found[1:]:
        gap = [lines[k] for k in range(cluster[-1][0] + 1, f[0]) if lines[k]]
        if all(_AFFIL_WORDS.search(g) or _DEGREE_RE.search(g) or len(g) < 4 for g in gap) and len(gap) <= 4:
            cluster.append(f)
        else:
            break
    authors: list[Author] = []
    seen: set[str] = set()
    for _i, a, _c in cluster:
        for au in a:
            key = (au.surname or au.name).lower()
            if key not in seen:
                seen.add(key)
                authors.append(au)
    return authors, [f[0] for f in cluster]


def _authors_next_to_title(lines: list[str], t_idx: int) -> tuple[list[Author], list[int]]:
    """A bare "Абай Құнанбаев" line right below or above the title (no initials, no patronymic)."""
    j = t_idx + 1
    while j < len(lines) and lines[j] and _upper_ratio(lines[j]) > 0.85:
        j += 1
    for k in (j, j + 1, t_idx - 1):
        if 0 <= k < len(lines) and lines[k] and len(lines[k]) < 60:
            m = _RE_FULL2.match(_strip_markers(lines[k]))
            if m and any(_SURNAME_END.search(w) for w in m.groups()) and not _upper_ratio(lines[k]) > 0.85:
                return [parse_author_name(lines[k])], [k]
    return [], []


def extract_metadata(
    pages: list[str],
    language_hint: str = "",
    pdf_info: dict | None = None,
    font_lines: list[tuple[str, float]] | None = None,
) -> Metadata:
    """Guess title, authors, year, language, abstracts, keywords and identifiers from the first pages' text."""
    md = Metadata()
    pages = [_clean_page(p) for p in (pages or [])]
    if not pages:
        return md
    head = "\n".join(pages[:3])
    first = pages[0]
    # Some files start with an (almost) empty cover page: use the first page with real text.
    for p in pages[:3]:
        if _letters(p) > 15:
            first = p
            break
    lines = _lines(first)

    md.language = detect_language(head) or language_hint or ""
    try:
        _find_ids(head, md)
        clean_fonts = [(_clean_page(t), sz) for t, sz in font_lines] if font_lines else None
        authors, a_idx = _find_authors(lines)
        title, t_idx = _find_title(lines, a_idx, clean_fonts, head)
        tail = _prev_article_tail(lines, t_idx)
        if tail:
            # The page starts with the end of the previous article: ignore that part.
            sub = lines[tail:]
            authors, a_idx = _find_authors(sub)
            a_idx = [k + tail for k in a_idx]
        if not authors and t_idx is not None:
            authors, a_idx = _authors_next_to_title(lines, t_idx)
        for au in authors:
            au.name = _strip_markers(au.name)
        if not authors:
            authors = _info_authors(pdf_info, first)
        md.authors = authors
        _attach_affiliations(lines, a_idx, authors)
        info_t = _info_title(pdf_info, first)
        if not title and info_t:
            title = info_t
        md.title = title.strip(" .,;:")
        if md.title:
            md.titles[detect_language(md.title) or md.language or "ru"] = md.title
        md.year = _find_year(pages, skip_first_lines=tail)
        _find_abstracts_keywords(_lines(head), md)
    except Exception:  # pragma: no cover - metadata must never break an upload
        logger.exception("metadata extraction failed")
    return md
