"""Line patterns that delimit the zones of an article's first pages (headers, abstract, keywords, body, references)."""
from __future__ import annotations

import re

from uploads.text import author_line, is_caps, is_udc_line, letters, norm_ws

HEADER_RE = re.compile(
    r"журнал|вестник|вісник|известия|хабаршы|хабарлары|journal|bulletin|proceedings|серия|series|"
    r"том\s*\d|vol\.|(?<!Дәріс )(?<!Лекция )№\s*\d|issn|isbn|удк|ӘОЖ|ббк|doi|pacs|msc|грнти|ғтамр|http|www\.|@|"
    r"материалы|конференци|сборник|научн(?:ый|ые) труды|технічні науки|стр\.|pp\.|с\.\s*\d|"
    r"проблемы теоретической|copyright|©",
    re.IGNORECASE,
)
ABSTRACT_MARK = re.compile(
    r"^\s*(Аннотация|Аңдатпа|Андатпа|Түйіндеме|Түйін(?!\s*(?:ді\s+)?сөз)|Abstract|Резюме|Summary|Annotation|Реферат)"
    r"\s*(?:[.:—–-]\s*|\s+(?=\S)|$)",
    re.IGNORECASE,
)
KEYWORDS_MARK = re.compile(
    r"^\s*(Ключевые\s+слова|Кілт(?:ті)?\s+сөздер|Түйін(?:ді)?\s+сөздер|Тірек\s+сөздер|Key\s*-?\s*words|"
    r"Index\s+terms)\s*(?:[.:—–-]\s*|\s+)",
    re.IGNORECASE,
)
BODY_START = re.compile(
    r"^\s*(?:\d\.?\s*)?(Введение|Кіріспе|Introduction|Постановка|Проблема и ее|Актуальность|Основная часть|"
    r"Материалы и методы|Мазмұны|Содержание|Оглавление)\b",
    re.IGNORECASE,
)
REFS_RE = re.compile(
    r"^\s*(?:\d\.?\s*)?(Литература|Список\s+(?:использованной\s+|цитируемой\s+)?литературы|Библиографический\s+список|"
    r"Список\s+источников|Әдебиеттер(?:\s+тізімі)?|Пайдаланылған\s+әдебиеттер|References|Bibliography|Источники)"
    r"\s*[:.]?\s*$",  # a heading on its own line: "Bibliography: 6 items." in an abstract is not one
    re.IGNORECASE,
)


def ends_front(line: str) -> bool:
    """True for the first line after the front zone (abstract, keywords, body or references start)."""
    return bool(ABSTRACT_MARK.match(line) or KEYWORDS_MARK.match(line) or BODY_START.match(line) or REFS_RE.match(line))


# A line of a bibliographic reference: "– М.: Наука, 2009. – 201 с.", "// Вестник. – № 3. – С. 5–9", "Изд-во",
# a numbered entry that starts with a name.
REFERENCE_LINE = re.compile(
    r"[–—-]\s*\d+\s*[сc]\.?\s*$|[–—-]\s*(?:С|C|P|Pp|с)\.\s*\d|//|(?:^|[\s–—.-])(?:М|СПб|К|Л|Киев|Москва|Харьков|Алматы|Астана|Нур-Султан)\.?\s*:\s*[A-ZА-ЯЁӘҒҚҢӨҰҮІ«\"„]"
    r"|[–—-]\s*[А-ЯЁ][а-яё]+(?:-на-[А-ЯЁ][а-яё]+)?\s*:\s*[А-ЯЁ«\"]|Изд-?\s?во|Издательство|Издательский|Видавництво|\b\d{4}\.\s*[–—-]\s*(?:\d+\s*с|Т\.|Вып\.|№|С\.)|\bURL\s*:|Режим доступа"
    r"|\(дата обращения|^\s*\d{1,3}\.\s*[A-ZА-ЯЁӘҒҚҢӨҰҮІ][a-zа-яёәғқңөұүі]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?,?\s+[A-ZА-ЯЁ]\.",
)
_NUMBERED_ENTRY = re.compile(r"^\s*\[?\d{1,3}[.)\]]\s*\S")


# The last line of a reference entry: "… 2012. – 37 с." / "… – С. 6–8."
_ENTRY_END = re.compile(r"(?:\d+\s*[сcp]\.|[СCPР]\.\s*[\d,–-]+\.?)\s*$")


def _starts_front(t: str) -> bool:
    """A line that cannot continue a reference entry: the next article's УДК, by-line or title in capitals."""
    return is_udc_line(t) or (is_caps(t) and letters(t) >= 8) or bool(author_line(t))


def _entries(lines: list[str]) -> list[list[int]]:
    """Line groups that could each be one reference entry: split at blank lines, numbered starts, entry ends."""
    groups: list[list[int]] = []
    cur: list[int] = []
    for i, t in enumerate(lines):
        if not t or (cur and (_NUMBERED_ENTRY.match(t) or REFS_RE.match(t) or _starts_front(t))):
            if cur:
                groups.append(cur)
            cur = []
            if not t:
                continue
        cur.append(i)
        if _ENTRY_END.search(t):
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def _entry_kind(lines: list[str], group: list[int]) -> str:
    """"heading", "entry" (looks like a reference), "numbered" (numbered, no reference marks) or "other"."""
    first = lines[group[0]]
    if REFS_RE.match(first):
        return "heading"
    hits = sum(1 for k in group if REFERENCE_LINE.search(lines[k]))
    numbered = bool(_NUMBERED_ENTRY.match(first))
    if hits and (numbered or hits * 2 >= len(group)):
        return "entry"
    return "numbered" if numbered else ("partial" if hits else "other")


def reference_lines(lines: list[str]) -> set[int]:
    """Indices of the lines that belong to a reference list (after its heading, or numbered reference entries).

    A reference line is never a title and its names are never the article's authors.
    """
    groups = _entries(lines)
    kinds = [_entry_kind(lines, g) for g in groups]
    refs: set[int] = set()
    in_list = False
    for n, (group, kind) in enumerate(zip(groups, kinds)):
        nxt = kinds[n + 1] if n + 1 < len(kinds) else ""
        # the page may begin with the end of an entry that started on the previous page
        tail_of_entry = n == 0 and kind == "partial" and nxt == "entry"
        if kind in ("heading", "entry") or tail_of_entry or (in_list and kind in ("numbered", "partial")):
            in_list = True
            refs.update(group)
        else:
            in_list = False
    return refs


# A text is a list of works (a bibliography) when at least this share of its lines, and at least _LIST_MIN of them,
# are reference entries.
_LIST_SHARE = 0.6
_LIST_MIN = 10


def list_of_works(pages: list[str]) -> bool:
    """Most of the text is bibliographic entries ("Тіл – құрал. 1-жылдық. Орынбор, 1914.", "… // «Қазақ», 1913")."""
    total = entries = 0
    for page in pages:
        lines = [norm_ws(x) for x in page.split("\n")]      # blank lines kept: they separate the entries
        total += sum(1 for x in lines if x)
        entries += len(reference_lines(lines))
    return entries >= _LIST_MIN and entries >= _LIST_SHARE * total
