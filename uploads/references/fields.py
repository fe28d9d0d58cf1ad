"""Read one reference entry into fields: authors, title, container, year, volume/issue, pages, place,
publisher, DOI/URL (a pure function on the entry's text).

Handles GOST 7.1 / 7.0.5 / 7.0.100 descriptions ("Автор И.О. Заглавие // Журнал. 2010. Т. 5, № 2.
С. 10–20.", with or without ". – " between areas, "Заглавие / И.О. Автор [и др.]"), their transliterated
"References" twins ("Avtor I. O. Zaglavie. Zhurnal. 2010. Vol. 5, No. 2. P. 10–20 (in Russ.)"), Kazakh
entries ("Б." for pages, "бет"), and the common English forms ("Blei, D. M., and Jordan, M. I. (2003).
Title. J. 3, 993–1022", "…, Journal, 100 (11), 1229-1235 (2021)").
"""
from __future__ import annotations

import re

from .model import PARSED, PARTIAL, UNPARSED, Reference
from .text import LO, UP, plain_dashes, squash

__all__ = ["parse_entry"]

# --------------------------------------------------------------------------- identifiers and notes

_DOI_RE = re.compile(r"(?:\bdoi:?\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/\S+(?:\s(?=[\w.-]*\d)[\w.()/-]+(?=[.,;]?(?:\s|$)))?)", re.I)
_URL_RE = re.compile(r"(?:https?://|www\.)\S*")
_URL_MORE_RE = re.compile(r"\s+([\w.\-/%?=&#~:+–]+)")
_NOTE_RE = re.compile(
    r"\[(?:Электронный\s+ресурс|Electronic\s+resource|Электрондық\s+ресурс|Текст|Text|Мәтін|Онлайн|Online)\]"
    r"|\{(?:Мәтін|Текст)\}"
    r"|\((?:дата\s+обращения|date\s+of\s+access|accessed|дата\s+доступа|қаралған\s+күні)[^)]*\)"
    r"|\((?:in|In)\s+(?:Russ|Russian|Kazakh|Kaz|Ukr|Belarus)\.?\)"
    r"|(?:URL|Режим\s+доступа|Available\s+at|Қолжетімді)\s*:?"
    r"|\bISBN[\s:]*[\dXx-]{10,17}",
)

# --------------------------------------------------------------------------- authors

_SURNAME = (rf"(?:[{UP}](?:[{LO}'’`]|[{UP}](?=[{LO}]))*[{LO}](?:[-–][{UP}][{LO}'’]+)?"
            rf"|(?![IVXLCDMХІҮ]+[-\s])[{UP}]{{3,}}(?:-[{UP}]{{2,}})?(?=,?\s?[A-ZА-ЯЁ]\.))")  # upper case, not a Roman numeral
_SURNAME_PARTICLE = r"(?:(?:[Vv]an|[Vv]on|der|den|[Dd]e|[Dd]i|[Dd]a|[Ll]a|[Ll]e|[Dd]u|ван|фон|де)\s){0,2}"
# One initial: "А.", "Sh.", "Yu.", "Дж.", "A.-M."; a last initial may lack its dot before a comma ("С,").
_INITIAL = rf"(?:[{UP}][{LO}]?[{LO}]?\.(?:\s?-\s?[{UP}]\.)?)"
_INITIALS = rf"(?:{_INITIAL}(?:\s?{_INITIAL}){{0,2}}(?:[{UP}][{LO}]{{0,2}}(?=,|\s\(\d))?|[{UP}][{LO}]?(?=,|\s\(\d))"
_NAME_SF = rf"{_SURNAME_PARTICLE}{_SURNAME},?\s?{_INITIALS}"          # Иванов И.И. / Blei, D. M.
_NAME_SF_NODOT = rf"{_SURNAME}\s[{UP}](?=,)"                            # Мақпырұлы С,
_NAME_IF = rf"(?:{_INITIALS}|{_INITIAL}[{UP}](?=\s))\s?{_SURNAME_PARTICLE}{_SURNAME}"   # И.И. Иванов, A.A Kilbas
_SEP_RE = re.compile(r",\s*(?:and\s+|и\s+|&\s*)?|\s+(?:и|and|&|мен|бен|және)\s+|;\s*|\s")
_ETAL_RE = re.compile(
    r",?\s*(?:\[\s*(?:и\s+др|et\s+al|және\s+т\.?\s?б)\.?\s*\]|и\s+др\.|et\.?\s+al\.?|және\s+т\.\s?б\.|т\.б\.)"
)
_NAME_SF_RE = re.compile(rf"(?P<s>{_SURNAME_PARTICLE}{_SURNAME}),?\s?(?P<i>{_INITIALS})|(?P<s2>{_SURNAME})\s(?P<i2>[{UP}])(?=,)")
_NAME_IF_RE = re.compile(rf"(?P<i>{_INITIALS}|{_INITIAL}[{UP}](?=\s))\s?(?P<s>{_SURNAME_PARTICLE}{_SURNAME})")
_NAME_SF_AT, _NAME_IF_AT = _NAME_SF_RE, _NAME_IF_RE        # one name at a time (see _name_list)
_FULLNAME = rf"[{UP}][{LO}]+\s(?:[{UP}]\.\s)?[{UP}][{LO}'’]*(?:['’][{UP}][{LO}]+)?(?:-[{UP}][{LO}]+)?"
_FULLNAME_RE = re.compile(_FULLNAME + r"(?![\w'’])")
_EDITOR_RE = re.compile(
    r"^(?:под\.?\s+(?:общ\.\s+|науч\.\s+|общей\s+|научной\s+)?ред|отв\.\s*ред|ред\.|пер\.|перевод|сост\.|составит|"
    r"eds?\.|edited|ed\.\s*by|trans|per\.\s|comp\.|жауапты|құраст|ауд\.|аударған|науч\.\s*рук|редкол)",
    re.I,
)
_RESP_EDITOR_INSIDE_RE = re.compile(r"(?:;|\.)\s*(?:под\s+ред|пер\.|отв\.\s*ред|ed\.|eds\.|Под\s+ред)", re.I)

# --------------------------------------------------------------------------- numbers

_YEAR = r"(?:1[5-9]\d\d|20[0-4]\d)"
_YEAR_RE = re.compile(rf"(?<![\d/.])(?<![\d.]-)(?:{_YEAR})(?![\d])(?!\s?[-–]\s?(?:{_YEAR}))")
_PAGES_MARKED_RE = re.compile(
    r"(?<![\w])(?:[СсCc]|[Pp]|[Бб]|[Ss]|[Сс]тр|[Pp]p|[Pp]ages|[Бб]ет)\.?\s?"
    r"(?P<p>\d+(?:\s?[-–—]\s?\d+)?(?:\s?[,;]\s?\d+(?:\s?[-–—]\s?\d+)?)*)"
)
_PAGES_KK_RE = re.compile(r"(?P<p>\d{1,5}[-–—]\d{1,5})\s?-?(?:[бБ]\.|бет)")
_PAGES_BARE_RE = re.compile(
    r"(?:,\s|\)\s?,\s?|\.\s)(?P<p>\d{1,5}\s?[-–—]\s?\d{1,5})(?=\s?(?:\(\d{4}\)|[.,;]|$))"
)
_VOLUME_BEFORE_RE = re.compile(r"(?:Т|Vol|V|Том|№|No|N|Вып|Iss)\.?\s?$")
_EXTENT_RE = re.compile(r"(?<![\w\-–])(\d{1,5})\s?(?:с|c|б|бет|p|pp|стр|S)\.?(?=[\s.,;)]|$)(?!\s?\d)")
_VOLUME_RE = re.compile(r"(?<![\w])(?:Т|т|Том|том|Vol|vol|V|Volume|Bd|Т\.?\s?ом)\.?\s?(?P<v>[\dIVXLІХ]+(?:[-–]\d+)?)(?!\w)")
_ISSUE_RE = re.compile(
    r"(?:№|No|no|N|Nr|[Ии]ss|[Ii]ssue|[Вв]ып|Вып|[Чч]|[Нн]омер|Iss)\.?\s?(?P<i>\d+(?:\s?[-–/]\s?\d+)?(?:\s?\(\d+\))?)"
)
_VOL_ISSUE_EN_RE = re.compile(r",\s(?P<v>\d{1,4})\s?\((?P<i>[\d\-–]+)\)")

# --------------------------------------------------------------------------- places and publishers

_PLACES = (
    "М|Москва|Moscow|Mosc|Мosc|Л|Ленинград|Leningr|СПб|С\\.-Петербург|Санкт-Петербург|St\\. Petersburg|Petersburg|Минск|Minsk"
    "|Киев|Kiev|Kyiv|Алматы|Алма-Ата|Almaty|Астана|Нур-Султан|Astana|Новосибирск|Novosibirsk|Казань|Kazan|Kazanʼ|Kazan’"
    "|Екатеринбург|Свердловск|Томск|Tomsk|Уфа|Ufa|Самара|Samara|Саратов|Saratov|Ростов н/Д|Ростов-на-Дону|Rostov-on-Don"
    "|Нижний Новгород|Н\\. Новгород|Вологда|Vologda|Воронеж|Пермь|Perm|Красноярск|Иркутск|Омск|Челябинск|Волгоград"
    "|Ташкент|Tashkent|Баку|Baku|Бишкек|Ереван|Тбилиси|Душанбе|Караганда|Қарағанды|Шымкент|Семей|Семипалатинск|Павлодар"
    "|Оренбург|Орынбор|Қызылорда|Кызылорда|Қостанай|Костанай|Тараз|Актобе|Ақтөбе|Атырау|Орал|Уральск|Өскемен|Мәскеу"
    "|Стерлитамак|Долгопрудный|Dolgoprudny|Брест|Гомель|Гродно|Витебск|Могилев|Lyon|Oxford|Cambridge|London"
    "|N\\. ?Y|New York|Berlin|Heidelberg|Berlin ; Heidelberg|Paris|Singapore|Amsterdam|Dordrecht|Bellingham|Vilnus|Vilnius"
    "|Szczecin|Saarbrucken|Saarbrücken|Springer|Хабаровск|Владивосток|Ижевск|Ульяновск|Пенза|Тула|Ярославль|Калининград"
)
_PLACE_RE = re.compile(
    rf"(?:^|(?<=[.,;–—\-:\s]))\s*(?P<place>(?:{_PLACES})\.?|[{UP}][{LO}]+(?:[-\s][{UP}][{LO}]+)?)\s?"
    rf"(?:(?P<colon>:)\s?(?P<pub>[^,.;]*?(?:«[^»]*»[^,.;]*?)?)\s?[,.]?\s?(?={_YEAR})|,\s?(?P<pub2>«[^»]+»)?\s?,?\s?(?={_YEAR}))"
)
_PLACE_ONLY_RE = re.compile(rf"(?:^|(?<=[\s.,;–—(]))(?P<place>(?:{_PLACES}))\.?\s?[:,]")

# --------------------------------------------------------------------------- title boundaries

_EDITION = r"(?:\d+-?(?:е|nd|rd|th|st)\s+(?:изд|ed)|[Ии]зд\.\s+\d|[Ии]зд\.\s*,)"
_TITLE_END_RE = re.compile(
    # areas that a book-style description puts after a title that may itself hold full stops
    r"(?P<book>\s?//|(?<=\S)//"                                   # container follows
    r"|\s/(?=\s?\S)"                                              # statement of responsibility
    r"|\s:\s"                                                      # other title information
    r"|\.\s?[–—_-]\s?(?=[^\W\d])"                                  # area separator ". – ", ".-М.:", ". _ Л.:"
    rf"|\s[–—-]\s?(?=(?:{_PLACES})\.?\s?[:,]|[{UP}][{LO}]+\s?:)"          # "– М.: Наука", "– Алматы: ..."
    rf"|[.,]\s(?=(?:{_PLACES})\.?\s?[:,]\s?(?:[^\d]{{0,60}}?{_YEAR}|$))"     # ". М.: Мир, 1978", ". Минск, 2008"
    rf"|[.,;]\s(?=[{UP}][{LO}]+(?:[-\s][{UP}][{LO}]+)?\s?:\s?[^,]{{1,60}}?[,.]\s?{_YEAR})"
    rf"|[.,]\s(?=[{UP}][\w-]+,\s[{UP}][^,.]{{1,40}},\s?{_YEAR})|,\s(?=[{UP}][\w-]+[.,]\s?{_YEAR})"
    rf"|[.,]\s(?=[{UP}]\.-[{UP}]\.\s?:)"
    rf"|[.,]\s(?=(?:{_PLACES})[.,]?\s[«\"]?[{UP}][^,.]{{0,40}},?\s{_YEAR})"
    rf"|[.,]\s(?=[{UP}][{LO}]+,\s?(?:«[^»]+»\s?,?\s?)?{_YEAR})"
    r"|[.,;]\s(?=(?:Per\.|Ed\.|Eds\.|ed\.\s?by|[Пп]од\s+ред|[Пп]ер\.\s)))"
    # data that follows a title in the ". "-separated styles (the title ends at its first full stop)
    rf"|(?P<data>(?<!\d)[.,]\s?(?={_YEAR}(?![\d-]))|\.\s?[–—-]\s?(?={_YEAR}\b)"  # ". 2012.", ". – 2012"
    rf"|\s(?={_YEAR}\s?ж\.?)|[.,]\s(?=\d{{1,2}}\s[{LO}]+,?\s{_YEAR})"     # "журналы 1961ж.", ". 11 апрель, 1950"
    rf"|\.\s(?={_EDITION})"
    r"|\s\(\d{4}\)"
    r"|\.\s(?=(?:Т|Vol|Том|Ч|Part|Вып|Iss|No|№)\.?\s?\d))"
)
_SENTENCE_RE = re.compile(rf"(?<=[{LO}\w)\]»\"”?!])[.?!]\s(?=[«\"“]?[{UP}\d])")
_ABBREV_END_RE = re.compile(
    rf"(?:^|[\s(.])(?:[{UP}]|Sh|Ch|Zh|Kh|Yu|Ya|Yo|Ts|Th|Дж|[{LO}]|т|тт|гг|вып|изд|им|ред|пер|сост|см|др|etc|vol|no|pp|ed|eds|al|cf|vs"
    rf"|ун-та|ин-та|гос|акад|обл|ст|кн|сб|св|тр|зап|журн|науч|учен|Изв|Вестн|Тр|Докл|Зап|Науч|Учен"
    rf"|Phys|Rev|Lett|Math|Appl|Sci|Res|Proc|Int|Conf|Trans|Soc|Univ|Inst|Acad|Nat|Amer|Eur|Chem|Geogr|Dept|Ser|Sov)$"
)
_CONTAINER_END_RE = re.compile(
    rf"\s?//|\s:\s|\s/\s|[.,;]\s(?=(?:[Ee]ds?\.|[Ee]d\.\s?by|[Пп]од\s+ред|[Pp]er\.\s))|\.\s?[–—-]\s|[.,]\s?(?={_YEAR}\b)|\s[–—-]\s?(?={_YEAR})|,\s\d{{1,4}}\s?\(|,\s\d{{1,4}},\s\d|\s\(\d{{4}}\)"
    rf"|[.,]\s(?=(?:Т|Vol|Том|Ч|Part|Вып|Iss|Issue|No|№|N|С|P|pp|Б|V|vol|v|no|iss|issue|т|вып)\.?\s?\d)|\s(?=№\s?\d)"
    rf"|\.\s(?=\d{{1,4}}\.\s)|[.,]\s(?=\d{{1,4}},\s?\d)"
    rf"|[.,]\s(?=(?:{_PLACES})\.?\s?[:,.])|[.,]\s(?=\d{{1,2}}\s[{LO}]+,?\s?{_YEAR})"
)
_RESP_RE = re.compile(
    rf"\s?/(?!/)\s?(?P<r>[^/]*?)(?=\s?//|\.\s?[–—-]\s|[.,]\s(?=(?:{_PLACES})\.?\s?[,:])|\.\s(?=[{UP}][{LO}]+\s?:)|$)"
)
_IN_RE = re.compile(r"^(?:In:?\s|В\s+кн\.:?|В\s+сб\.:?|Кітапта:?)\s*")
_LEAD_COLLECTIVE_RE = re.compile(r"^(?:Ұжым\.?\s?жинақ\.|Коллектив\s+авторов\.)\s*")


# small patterns used per entry, compiled once (a forkserver child then finds them ready)
_WS_RE = re.compile(r"\s+")
_AFTER_IF_NAMES_RE = re.compile(r"[\s.,:]|$")
_FULLNAME_SEP_RE = re.compile(r",\s(?:and\s)?")
_ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
_MIDDLE_INITIAL_RE = re.compile(r"\s[A-Z]\.\s")
_REST_OK_RE = re.compile(r"\s|[.,:;(/]")
_CAPITAL_START_RE = re.compile(rf"[{UP}«\"]")
_LAST_INITIAL_RE = re.compile(rf"\b[{UP}]$")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.;:])")
_PATH_PIECE_RE = re.compile(r"[/_]|\.\w")
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
_DOI_IN_URL_RE = re.compile(r"doi\.org/(10\.\S+)")
_AFTER_DSLASH_RE = re.compile(r"//\s*(?P<c>.*)")
_LEAD_SENTENCE_RE = re.compile(r"^[.,]?\s*(?:[–—-]\s*)?(?P<c>[^\d/\s].*)")
_EDITION_RE = re.compile(_EDITION)
_ABBREV_ONLY_RE = re.compile(rf"[{UP}]{{1,3}}\.?")
_EMPTY_PARENS_RE = re.compile(r"\s*\(\s*\)")
_APA_YEAR_RE = re.compile(r"^\((?P<y>\d{4})[a-z]?\)\.?\s*")
_JOURNAL_VOL_ISSUE_RE = re.compile(rf"[{UP}][^.]*?,\s\d{{1,4}}\s?\(")
_BRACKET_TAIL_RE = re.compile(r"\s*\[[^\]]{8,}\]\s*$")
_YEAR_IN_PARENS_RE = re.compile(rf"\((?P<y>{_YEAR})\)")
_YEAR_ONLY_RE = re.compile(_YEAR)


def _norm_name(surname: str, initials: str) -> str:
    """"Surname I.O." from the printed parts (spaces inside the initials dropped)."""
    initials = _WS_RE.sub("", initials)
    if initials and not initials.endswith("."):
        initials += "."
    return f"{surname.strip()} {initials}".strip()


def _names(text: str, initials_first: bool) -> list[str]:
    out = []
    if initials_first:
        for m in _NAME_IF_RE.finditer(text):
            out.append(_norm_name(m.group("s"), m.group("i")))
        return out
    for m in _NAME_SF_RE.finditer(text):
        if m.group("s"):
            out.append(_norm_name(m.group("s"), m.group("i")))
        else:
            out.append(_norm_name(m.group("s2"), m.group("i2")))
    return out


def _surname_key(name: str) -> str:
    return name.split(" ")[0].lower().replace("ё", "е")


def _name_list(t: str, name_re: re.Pattern[str]) -> tuple[int, bool] | None:
    """End of the list of names that opens ``t`` and whether "et al." closed it (None: no name there).

    Names are matched one at a time (a single pattern for the whole list took long to compile); a bare
    space separates two names only in the surname-first form ("Sabitov K. B. Yunusova G. R.").
    """
    m = name_re.match(t)
    if not m:
        return None
    end = m.end()
    while True:
        sep = _SEP_RE.match(t, end)
        if not sep or (sep.group(0) == " " and name_re is not _NAME_SF_AT):
            break
        nxt = name_re.match(t, sep.end())
        if not nxt:
            break
        end = nxt.end()
    etal = _ETAL_RE.match(t, end)
    return (etal.end(), True) if etal else (end, False)


def _lead_authors(t: str) -> tuple[list[str], str, bool]:
    """Authors at the start of the entry, the rest of the text, and whether "et al." closed the list."""
    found = _name_list(t, _NAME_SF_AT)
    if found and _rest_starts_ok(t[found[0]:], t[: found[0]]):
        return _names(t[: found[0]], False), t[found[0]:], found[1]
    found = _name_list(t, _NAME_IF_AT)
    if found and _AFTER_IF_NAMES_RE.match(t[found[0]: found[0] + 1]) and _rest_starts_ok(t[found[0]:], t[: found[0]]):
        return _names(t[: found[0]], True), t[found[0]:], found[1]
    full = _full_names(t)
    if full:
        names, end = full
        return names, t[end:], False
    return [], t, False


def _full_names(t: str) -> tuple[list[str], int] | None:
    """"Derek Greene, Joe Carthy. Title" (two or more full names) or "Liza M. Rhody. Title" in Latin script."""
    found, pos = [], 0
    while True:
        m = _FULLNAME_RE.match(t, pos)
        if not m:
            break
        found.append(m)
        sep = _FULLNAME_SEP_RE.match(t, m.end())
        if not sep:
            break
        pos = sep.end()
    if not found or not t.startswith(". ", found[-1].end()) or not _ASCII_LETTER_RE.search(found[0].group(0)):
        return None
    if len(found) == 1 and not _MIDDLE_INITIAL_RE.search(found[0].group(0)):
        return None                    # one "Word Word." may as well be a title
    names = []
    for m in found:
        parts = m.group(0).split()
        names.append(_norm_name(parts[-1], "".join(p[0] + "." for p in parts[:-1] if p[0].isupper())))
    return names, found[-1].end()


def _rest_starts_ok(rest: str, names: str = "") -> bool:
    """After the author names comes a title, "(2003)", "//" or the end - not more of a word (a capital may
    follow the last initial's full stop directly: "Trujillo J.J.Theory")."""
    if not rest or _REST_OK_RE.match(rest):
        return True
    return names.endswith(".") and bool(_CAPITAL_START_RE.match(rest))


def _responsibility(part: str) -> tuple[list[str], bool]:
    """Names in a statement of responsibility ("/ И.О. Фамилия, И.О. Фамилия [и др.]"); editors do not count."""
    part = part.strip()
    if _LAST_INITIAL_RE.search(part):
        part += "."                  # "… Голубченко, И.В – URL": the last initial lost its dot to the separator
    if _EDITOR_RE.match(part):
        return [], True
    cut = _RESP_EDITOR_INSIDE_RE.search(part)
    if cut:
        part = part[: cut.start()]
    surname_first = bool(_name_list(part, _NAME_SF_AT)) and not _name_list(part, _NAME_IF_AT)
    names = _names(part, not surname_first)
    return names, False


def _find_year(text: str) -> int | None:
    for m in _YEAR_RE.finditer(text):
        return int(m.group(0))
    return None


_BARE_PAGES_RE = re.compile(r"\d{1,4},\s?\d+\s?[-–]\s?\d+")      # "J. Mach. Learn. Res. 3, 993–1022"
_PART_OF_RE = re.compile(r"(?<!\w)(?:[СсPpБб]|pp|Vol|Т|Том|No|№|Вып)\.?\s?\d+\s?[-–—,]|(?<!\w)(?:Vol|Т|Том)\.\s?\d")


def _title_end(t: str) -> int:
    """Where the title ends in ``t`` (the text after the authors)."""
    m = _TITLE_END_RE.search(t)
    if not m and not (_PART_OF_RE.search(t) or _BARE_PAGES_RE.search(t)):
        return len(t)       # nothing but the title (and notes) is printed: its full stops are its own
    end = m.start() if m else len(t)
    # "Заглавие. Подзаголовок / ...", "... . – М.: Мир": a book's title may hold full stops - unless the item
    # has a page range or volume and no "//", i.e. a part named in the ". "-separated style.
    if m and m.lastgroup == "book" and (not _PART_OF_RE.search(t) or "//" in t):
        return end
    # GOST 7.0.100 / transliterated style: "Title. Journal. 2012. Vol..." - the first full stop that ends
    # a sentence (not an abbreviation or initial) ends the title when no other separator came first.
    for s in _SENTENCE_RE.finditer(t, 0, end):
        head = t[: s.start()]
        if _ABBREV_END_RE.search(head):
            continue
        if len(head.strip()) < 3:
            continue
        return s.start()
    return end


def _clean_piece(s: str) -> str:
    s = s.strip(" .,;:–—-/")
    s = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", s)
    return s.strip()


def _extract_links(t: str) -> tuple[str, str, str]:
    """(text without DOI/URL, doi, url)."""
    doi = ""
    m = _DOI_RE.search(t)
    if m:
        doi = _WS_RE.sub("", m.group(1)).rstrip(".,;")
        t = t[: m.start()] + " " + t[m.end():]
    url = ""
    m = _URL_RE.search(t)
    if m:
        url = m.group(0)
        end = m.end()
        while True:
            more = _URL_MORE_RE.match(t, end)
            if not more or (url.endswith((".", ",")) and not url.lower().endswith("www.")):
                break
            piece = more.group(1)
            if not (url.endswith(("/", "-", "_", "//", "=")) or _PATH_PIECE_RE.search(piece)) or _CYRILLIC_RE.search(piece):
                break
            if piece.startswith(("(", "URL")):
                break
            url += piece
            end = more.end()
        t = t[: m.start()] + " " + t[end:]
        url = url.rstrip(".,;)")
        if not doi:
            d = _DOI_IN_URL_RE.search(url)
            if d:
                doi = d.group(1)
    return t, doi, url


_LETTER_RE = re.compile(r"[^\W\d_]")


def _status(ref: Reference) -> tuple[str, list[str]]:
    problems = []
    letters = len(_LETTER_RE.findall(ref.raw))
    if letters < 8 or len(ref.raw) > 1500:
        return UNPARSED, ["does not read as a reference (too short or too long)"]
    if not ref.title and not ref.container:
        return UNPARSED, ["no title or source found"]
    if not ref.title:
        problems.append("no title")
    if ref.year is None:
        problems.append("no year")
    return (PARTIAL if problems else PARSED), problems


_PERIODICAL_RE = re.compile(r"(?<!\w)(?:Т|Vol|V|Том|№|No|N|Вып|Iss|issue|С|P|pp|Б|Ч|part|vol|no)\.?\s?\d|^,?\s?\d{1,4}\s?[(,]")


def _container(part: str) -> str:
    """The journal, collection or book after "//" - or, in the ". "-separated styles, the sentence after
    the title when a year, volume, issue or pages follow it."""
    cm = _AFTER_DSLASH_RE.search(part)
    if cm:
        c = _IN_RE.sub("", cm.group("c"))
        end = _CONTAINER_END_RE.search(c)
        return _clean_piece(c[: end.start()] if end else c)
    lead = _LEAD_SENTENCE_RE.match(part)
    if not lead:
        return ""
    c = _IN_RE.sub("", lead.group("c"))
    if _PLACE_ONLY_RE.match(c) or _EDITOR_RE.match(c) or _EDITION_RE.match(c):
        return ""
    end = _CONTAINER_END_RE.search(c)
    if not end or end.start() <= 2 or not _PERIODICAL_RE.search(c[end.start():].lstrip(" .–—-")):
        return ""
    piece = _clean_piece(c[: end.start()])
    return "" if _ABBREV_ONLY_RE.fullmatch(piece) else piece


def parse_entry(raw: str, number: int | None = None) -> Reference:
    """Fields of one reference entry (``raw`` without its list number); the raw text is kept as given."""
    raw = squash(raw)
    ref = Reference(raw=raw, number=number)
    t, ref.doi, ref.url = _extract_links(raw)
    t = _NOTE_RE.sub(" ", t)
    t = squash(_EMPTY_PARENS_RE.sub(" ", t))
    t = _LEAD_COLLECTIVE_RE.sub("", t)

    authors, rest, _ = _lead_authors(t)
    rest = rest.lstrip(" .,")
    lead_year = _APA_YEAR_RE.match(rest)      # APA: "Blei, D. M. (2003). Title"
    if lead_year:
        ref.year = int(lead_year.group("y"))
        rest = rest[lead_year.end():]

    after_title = ""
    if rest.startswith("//"):                                          # "Авторы // Журнал. 2021..."
        title, after_title = "", rest
    elif authors and _JOURNAL_VOL_ISSUE_RE.match(rest):    # "..., Journal, 100 (11), 1229 (2021)"
        title, after_title = "", rest
    else:
        end = _title_end(rest)
        title, after_title = rest[:end], rest[end:]
    ref.title = _clean_piece(_BRACKET_TAIL_RE.sub("", title.strip(" ."))) if title.strip(" .").endswith("]") else _clean_piece(title)

    # statement(s) of responsibility: "/ И.О. Фамилия [и др.]"
    container_part = after_title
    resp = _RESP_RE.match(after_title) or _RESP_RE.search(after_title.split("//")[0])
    if resp:
        names, _editor = _responsibility(resp.group("r"))
        have = {_surname_key(a) for a in authors}
        authors += [n for n in names if _surname_key(n) not in have]
        container_part = after_title[resp.end():]
    ref.authors = authors

    ref.container = _container(container_part)
    info = plain_dashes(after_title)
    ref.year = ref.year or _find_year(info)
    if ref.year is None:
        m = _YEAR_IN_PARENS_RE.search(raw)
        if m:
            ref.year = int(m.group("y"))
    vi = _VOL_ISSUE_EN_RE.search(container_part)
    if vi:
        ref.volume, ref.issue = vi.group("v"), vi.group("i")
    m = _VOLUME_RE.search(info)
    if m and not ref.volume:
        ref.volume = m.group("v")
    m = _ISSUE_RE.search(info)
    if m and not ref.issue:
        ref.issue = _WS_RE.sub("", m.group("i"))
    m = next((p for p in _PAGES_MARKED_RE.finditer(info)
              if not _YEAR_ONLY_RE.fullmatch(p.group("p"))), None)   # "J. C. 2015." is a year
    m = m or _PAGES_KK_RE.search(info) or next(
        (b for b in _PAGES_BARE_RE.finditer(container_part)
         if not _VOLUME_BEFORE_RE.search(container_part[max(0, b.start() - 6): b.start() + 1])), None)
    if m:
        ref.pages = _WS_RE.sub("", plain_dashes(m.group("p")))
    m = _EXTENT_RE.search(info)
    if m and not ref.pages:
        ref.extent = m.group(1)
    elif m and m.group(1) not in ref.pages:
        ref.extent = m.group(1)
    m = _PLACE_RE.search(info)
    if m:
        ref.place = m.group("place").strip()
        pub = (m.group("pub") or m.group("pub2") or "").strip(" ,.")
        ref.publisher = pub
    ref.parse_status, ref.problems = _status(ref)
    return ref
