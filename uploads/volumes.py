"""Split a conference volume into article publications (pure functions on page texts).

Pages are plain strings, index 0 = physical page 1. The table of contents is found and parsed
first (``find_toc``, ``parse_toc``), printed page numbers are mapped to physical pages
(``map_printed_to_physical``), and ``split_volume`` proposes article spans plus the volume's
front-matter metadata. Without a usable TOC it falls back to layout cues (УДК lines, upper-case
titles next to author lines). The result is a proposal for a person to correct.
"""
from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from uploads.text import (CAPS_LINE, author_line, LOL, NAMES_LINE_RE, TOC_GIVEN, TOC_NAME, TOC_NAME_IS, TOC_NAME_SI, TOC_PATRONYMIC,
                          TOC_SURNAME, UPL, is_udc_line, names_line, split_lines)
from uploads.types import ArticleSpan, Author, VolumeInfo

logger = logging.getLogger(__name__)

__all__ = [
    "TocEntry",
    "find_toc",
    "parse_toc",
    "map_printed_to_physical",
    "split_volume",
    "looks_like_volume",
    "parse_authors",
    "volume_info",
    "find_layout_starts",
]


@dataclass
class TocEntry:
    """One line group of a table of contents: authors as printed, title, printed start page."""

    title: str
    authors: list[str] = field(default_factory=list)
    page: int | None = None


# --------------------------------------------------------------------------- patterns

_UP, _LO = UPL, LOL
_TOC_HEAD_RE = re.compile(
    r"^\s*(?:СОДЕРЖАНИЕ|Содержание|ОГЛАВЛЕНИЕ|Оглавление|МАЗМҰНЫ|Мазмұны|CONTENTS|Contents|"
    r"TABLE OF CONTENTS|Table of contents)\s*:?\s*$",
    re.M,
)
# trailing page number after dot leaders / spaces; "…БЕССЕЛЯ133" (glued) handled separately.
# A leader is tried only where the plain pattern's leftmost match can start (the lookbehinds) and is taken
# whole (possessive quantifiers): the same matches as the plain pattern, in linear instead of cubic time on a
# line of thousands of dots, which the plain pattern took seconds to reject.
_LEADER_NUM_RE = re.compile(r"^(?P<text>.*?)(?:(?<![\s.])\s*+(?:\.\s*+){2,}+|(?<!\s)(?:(?<!…)|(?=\s))\s*+…++\s*+|"
                            r"(?<!\s)(?:(?<!_)|(?=\s))\s*+_{3,}+\s*+)\s*(?P<num>\d{1,4})\s*$")
_SPACE_NUM_RE = re.compile(r"^(?P<text>.*?\S)\s+(?P<num>\d{1,4})\s*$")
_GLUED_NUM_RE = re.compile(rf"^(?P<text>.*[{_UP}{_LO}\)»\"])(?P<num>\d{{1,4}})\s*$")
_LEADER_ONLY_RE = re.compile(r"^(?P<text>.*?)(?:(?<![\s.])\s*+(?:\.\s*+){3,}+|(?<!\s)(?:(?<!…)|(?=\s))\s*+…++|"
                             r"(?<!\s)(?:(?<!_)|(?=\s))\s*+_{3,}+)\s*+$")
_NUM_ONLY_RE = re.compile(r"^\s*(\d{1,4})\s*$")
_SECTION_RE = re.compile(
    r"^\s*(?:Секция|СЕКЦИЯ|Section|SECTION|Раздел|РАЗДЕЛ|Бөлім|БӨЛІМ|Секциясы|Часть|ЧАСТЬ|Подсекция)\b",
)
_SURNAME = TOC_SURNAME
_NAME_SI, _NAME_IS, _GIVEN, _PATRONYMIC, _NAME = TOC_NAME_SI, TOC_NAME_IS, TOC_GIVEN, TOC_PATRONYMIC, TOC_NAME
_AUTHOR_LINE_RE = NAMES_LINE_RE
_NAME_RE = re.compile(_NAME)
_LEADING_NAMES_RE = re.compile(rf"^\s*(?P<names>{_NAME}(?:\s*,\s*{_NAME})*)[\s,.:–—-]+(?P<rest>[{_UP}«\"].{{8,}})$")
# TOC entries that are the book's own apparatus, not articles.
_FRONT_BACK_MATTER_RE = re.compile(
    r"^\s*(?:предисловие|вступительное слово|от редак|от составител|сведения об авторах|об авторах|"
    r"информация об авторах|авторлар туралы|алғы\s?сөз|указатель|список сокращений|содержание|оглавление|"
    r"мазмұны|contents|foreword|preface|about the authors|index)\b", re.IGNORECASE)
_SOFT = "\u00ad\ufffe"
_MONTHS = (
    "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|"
    "қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|"
    "January|February|March|April|May|June|July|August|September|October|November|December"
)


def _norm(s: str) -> str:
    """Upper-case, letters and digits only, single spaces: for fuzzy title look-ups."""
    s = re.sub(r"[\u00ad\ufffe]\s*", "", s)
    s = re.sub(r"(?<=\w)-\s*\n\s*", "", s)
    s = re.sub(r"[^\w]+", " ", s.upper().replace("Ё", "Е"))
    return re.sub(r"\s+", " ", s).strip()


def parse_authors(text: str) -> list[Author]:
    """Split a printed author list ("Иванов И.И., Петров П.П." or "И.И. Иванов") into Authors."""
    authors: list[Author] = []
    for m in _NAME_RE.finditer(text):
        name = re.sub(r"\s+", " ", m.group(0)).strip(" ,;")
        parts = re.match(rf"^(?P<s>{_SURNAME})\s+(?P<g>.+)$", name)
        if parts and not re.match(rf"^[{_UP}][{_LO}]{{0,2}}\.", name):
            surname, given = parts.group("s"), parts.group("g")
            given = given if re.fullmatch(_GIVEN + r"\s+" + _PATRONYMIC, given) else given.replace(" ", "")
        else:
            m2 = re.match(rf"^(?P<g>(?:[{_UP}][{_LO}]{{0,2}}\.\s?-?){{1,3}})\s*(?P<s>{_SURNAME})$", name)
            surname = m2.group("s") if m2 else name
            given = m2.group("g").replace(" ", "") if m2 else ""
        authors.append(Author(name=f"{surname} {given}".strip(), surname=surname, given=given))
    return authors


_BREAK = "\u00ad"   # a word broken at a line end inside a title, resolved by _resolve_breaks
_BREAK_RE = re.compile(rf"(\w+){_BREAK}(\w+)")


def _compound(head: str, tail: str) -> bool:
    """A line-end hyphen that is part of the word: "ДИФФУЗИОННО-" + "ВОЛНОВОГО", "Sturm-" + "Liouville"."""
    if len(head) < 4 or len(tail) < 4:
        return False
    if head[0].isupper() and head[1:].islower() and tail[0].isupper() and tail[1:2].islower():
        return True  # two capitalised parts in running case: a double name
    return (head[-1].lower() in "ое" and tail[0].isupper() == head[-1].isupper()
            and head[-2:].lower() in ("ко", "но", "ро", "го", "то", "ое"))


def _resolve_breaks(title: str, evidence: str = "") -> str:
    """Decide each broken word: as the article's own page prints it (``evidence``), else by the compound rule."""
    flat = re.sub(r"\s+", " ", evidence.upper().replace("\ufffe", "-").replace(_BREAK, "-"))

    def fix(m: re.Match[str]) -> str:
        head, tail = m.group(1), m.group(2)
        hu, tu = head.upper(), tail.upper()
        if re.search(rf"{re.escape(hu)} ?[-‐–] ?{re.escape(tu)}", flat) and not re.search(
                rf"{re.escape(hu + tu)}", flat):
            return f"{head}-{tail}"
        if hu + tu in flat:
            return head + tail
        return f"{head}-{tail}" if _compound(head, tail) else head + tail

    prev = None
    while prev != title:
        prev, title = title, _BREAK_RE.sub(fix, title, count=1)
    return title.replace(_BREAK, "")


def _join_title(lines: list[str], keep_breaks: bool = False) -> str:
    """One title from its TOC lines; words broken at a line end are marked (``keep_breaks``) or resolved."""
    out = ""
    for ln in lines:
        s = ln.strip()
        if not s:
            continue
        if not out:
            out = s
        elif out[-1] in _SOFT or (out.endswith("-") and len(out) > 1 and out[-2].isalpha() and s[:1].isalpha()):
            out = out[:-1] + _BREAK + s
        else:
            out = out + " " + s
    # PDFium marks a hyphen at a wrapped line end with U+FFFE and may join the two lines itself.
    out = re.sub(r"(?<=\w)[\u00ad\ufffe](?=\w)", _BREAK, out).replace("\ufffe", "")
    out = re.sub(r"\s+", " ", out).strip(" .…")
    return out if keep_breaks else _resolve_breaks(out)


# --------------------------------------------------------------------------- TOC detection


def _toc_line_score(page: str) -> tuple[int, int]:
    """(lines that end in a page number after leaders or are bare numbers, non-empty lines)."""
    hits = total = 0
    for ln in split_lines(page):
        s = ln.strip()
        if not s:
            continue
        total += 1
        if _LEADER_NUM_RE.match(s) or _LEADER_ONLY_RE.match(s) or _NUM_ONLY_RE.match(s):
            hits += 1
    return hits, total


def _is_toc_page(page: str, min_hits: int = 4) -> bool:
    hits, total = _toc_line_score(page)
    return hits >= min_hits and hits >= 0.15 * total


def find_toc(pages: list[str]) -> tuple[int, int] | None:
    """Physical page range (1-based, inclusive) of the table of contents, or None."""
    n = len(pages)
    candidates: list[tuple[int, int, int]] = []  # (score, start, end)
    for i, page in enumerate(pages):
        head = "\n".join(ln for ln in split_lines(page)[:6])
        if not _TOC_HEAD_RE.search(head):
            continue
        if not _is_toc_page(page, 3):
            # the heading may sit alone at the bottom of a page; accept if the next page is TOC-like
            if not (i + 1 < n and _is_toc_page(pages[i + 1])):
                continue
        end = i
        while end + 1 < n and _is_toc_page(pages[end + 1]):
            end += 1
        score = sum(_toc_line_score(pages[j])[0] for j in range(i, end + 1))
        candidates.append((score, i + 1, end + 1))
    if not candidates:
        # No heading: the longest run of TOC-like pages in the first or last 10% of the book.
        zone = set(range(0, max(3, n // 10))) | set(range(max(0, n - max(3, n // 10)), n))
        best: tuple[int, int, int] | None = None
        i = 0
        while i < n:
            if i in zone and _is_toc_page(pages[i]):
                j = i
                while j + 1 < n and _is_toc_page(pages[j + 1]):
                    j += 1
                score = sum(_toc_line_score(pages[k])[0] for k in range(i, j + 1))
                if score >= 10 and (best is None or score > best[0]):
                    best = (score, i + 1, j + 1)
                i = j + 1
            else:
                i += 1
        return (best[1], best[2]) if best else None
    best = max(candidates)
    return best[1], best[2]


# --------------------------------------------------------------------------- TOC parsing


def _split_number(line: str, last_page: int) -> tuple[str, int | None, bool]:
    """(text, page number or None, ends-with-leader) for one TOC line."""
    s = line.rstrip()
    m = _LEADER_NUM_RE.match(s)
    if m:
        return m.group("text"), int(m.group("num")), True
    m = _LEADER_ONLY_RE.match(s)
    if m and m.group("text").strip():
        return m.group("text"), None, True
    m = _SPACE_NUM_RE.match(s)
    if m and not names_line(m.group("text")):
        num = int(m.group("num"))
        text = m.group("text")
        # "… 2010 году" or "Часть 1" are not page numbers: demand a plausible, monotone page
        if last_page <= num <= last_page + 80 and not re.search(r"(?:№|N|Т\.|Vol\.?|Часть|Том|ч\.)\s*$", text, re.I):
            if text[-1] not in "-–—/:" and not re.search(r"\b(?:19|20)\d\d\s*$", s):
                return text, num, False
    m = _GLUED_NUM_RE.match(s)
    if m and re.search(rf"[{_UP}]{{4,}}$", m.group("text")):
        num = int(m.group("num"))
        if last_page <= num <= last_page + 80:
            return m.group("text"), num, False
    return s, None, False


def parse_toc(lines_or_text: str | list[str], keep_unnumbered: bool = False, keep_breaks: bool = False
              ) -> list[TocEntry]:
    """Parse TOC text into entries (authors, title, printed page); section headings are skipped.

    Entries whose page number could not be read are dropped unless ``keep_unnumbered``. With ``keep_breaks``
    a word broken at a line end stays marked with U+00AD for the caller to resolve against the article's page.
    """
    if isinstance(lines_or_text, str):
        raw = split_lines(lines_or_text)
    else:
        raw = [ln for item in lines_or_text for ln in split_lines(item)]
    lines = [ln.strip() for ln in raw]
    lines = [ln for ln in lines if ln and not _TOC_HEAD_RE.match(ln)]

    entries: list[TocEntry] = []
    pending: list[TocEntry] = []     # entries that ended in a leader without a number (pdfminer)
    chunk: list[str] = []
    last_page = 0
    in_section = False
    sections: list[TocEntry] = []

    def close(page: int | None) -> None:
        nonlocal chunk, in_section
        body = [c for c in chunk if c.strip()]
        chunk = []
        if not body:
            return
        if in_section or _SECTION_RE.match(body[0]):
            in_section = False
            if page is None:
                # its page number may still come (pdfminer puts numbers in a separate column)
                placeholder = TocEntry(title="", page=None)
                sections.append(placeholder)
                pending.append(placeholder)
            return
        authors: list[str] = []
        while body and names_line(body[0]):
            authors.append(body.pop(0).strip())
        if not authors and len(body) > 1:
            # a list of full names wrapped over two lines ("…, Шмидт Елена" / "Викторовна")
            for k in (3, 2):
                joined = " ".join(b.strip() for b in body[:k])
                if len(body) > k and names_line(joined):
                    authors.append(joined)
                    body = body[k:]
                    break
        if not authors and body:
            m = _LEADING_NAMES_RE.match(body[0])
            if m and _AUTHOR_LINE_RE.match(m.group("names")):
                authors.append(m.group("names"))
                body[0] = m.group("rest")
        title = _join_title(body, keep_breaks)
        if not title and not authors:
            return
        entry = TocEntry(title=title, authors=authors, page=page)
        entries.append(entry)
        if page is None:
            pending.append(entry)

    for ln in lines:
        num_only = _NUM_ONLY_RE.match(ln)
        if num_only:
            num = int(num_only.group(1))
            if last_page and num > last_page + 80:
                continue  # the TOC page's own page number
            if chunk and not names_line(chunk[-1]) and last_page <= num and not pending:
                # a title whose page number wrapped onto its own line
                close(num)
                last_page = num
                continue
            if pending:
                if num < last_page:
                    continue  # the TOC page's own page number
                entry = pending.pop(0)
                entry.page = num
                last_page = num
            continue
        if _SECTION_RE.match(ln) and not chunk:
            chunk = [ln]
            in_section = True
            if _LEADER_NUM_RE.match(ln):
                chunk = []
                in_section = False
            continue
        if in_section and names_line(ln):
            chunk = []
            in_section = False
        if chunk and names_line(ln) and not names_line(chunk[-1]):
            # a new entry starts before the previous one got its number
            if not in_section:
                close(None)
            else:
                chunk = []
                in_section = False
        text, num, leader = _split_number(ln, last_page)
        chunk.append(text)
        if num is not None:
            if in_section:
                chunk = []
                in_section = False
                continue
            close(num)
            last_page = max(last_page, num)
        elif leader:
            close(None)
    # Authors printed after the titles: lines after the last numbered line are author lines.
    tail = [c for c in chunk if c.strip()]
    if entries and tail and all(names_line(c) for c in tail):
        shifted = [e.authors for e in entries[1:]] + [tail]
        if all(not e.authors for e in entries[:1]):
            for e, a in zip(entries, shifted):
                e.authors = a
    result = [
        e for e in entries
        if (e.page is not None or (keep_unnumbered and e.title)) and not any(e is s for s in sections)
    ]
    return result


# --------------------------------------------------------------------------- page mapping


def _page_label(page: str) -> int | None:
    """The printed page number found in the first or last lines of a page, if any."""
    content = [ln.strip() for ln in split_lines(page) if ln.strip()]
    if not content:
        return None
    cands = content[:2] + content[-2:]
    for s in cands:
        m = _NUM_ONLY_RE.match(s)
        if m:
            return int(m.group(1))
    for s in (content[0], content[-1]):
        m = re.match(r"^(\d{1,4})\s+\S", s) or re.search(r"\S\s+(\d{1,4})$", s)
        if m and len(s) < 150:
            return int(m.group(1))
    return None


def _page_offset(pages: list[str]) -> tuple[int | None, dict[int, int]]:
    """(most common physical-minus-printed offset, label -> physical page) from page labels.

    A label counts only when a neighbouring page carries the neighbouring number, so a TOC line
    ending in "… 7" or a stray number in a table is not taken for a page number.
    """
    raw = [_page_label(p) for p in pages]
    offsets: Counter[int] = Counter()
    labels: dict[int, int] = {}
    for i, lab in enumerate(raw):
        if lab is None:
            continue
        prev_ok = i > 0 and raw[i - 1] == lab - 1
        next_ok = i + 1 < len(raw) and raw[i + 1] == lab + 1
        if not (prev_ok or next_ok):
            continue
        offsets[(i + 1) - lab] += 1
        labels.setdefault(lab, i + 1)
    if not offsets:
        return None, {}
    off, count = offsets.most_common(1)[0]
    if count < max(3, 0.2 * len(pages)):
        return None, {}
    return off, labels


def _title_key(title: str, words: int = 5) -> str:
    return " ".join(_norm(title).split()[:words])


def _find_title_page(norm_pages: list[str], title: str, around: int | None, radius: int) -> int | None:
    key = _title_key(title)
    if len(key) < 8:
        return None
    lo, hi = (0, len(norm_pages)) if around is None else (max(0, around - 1 - radius), min(len(norm_pages), around + radius))
    best: int | None = None
    for i in range(lo, hi):
        if key in norm_pages[i]:
            if around is None:
                return i + 1
            if best is None or abs(i + 1 - around) < abs(best - around):
                best = i + 1
    return best


def map_printed_to_physical(pages: list[str], entries: list[TocEntry]) -> dict[int, int]:
    """Map each entry's printed page to a physical page (1-based) using page labels and titles."""
    n = len(pages)
    off, labels = _page_offset(pages)
    norm_pages = [_norm(p) for p in pages]
    if off is None:
        votes: Counter[int] = Counter()
        for e in entries[:: max(1, len(entries) // 25)]:
            if e.page is None:
                continue
            phys = _find_title_page(norm_pages, e.title, None, 0)
            if phys is not None:
                votes[phys - e.page] += 1
        off = votes.most_common(1)[0][0] if votes else 0
    mapping: dict[int, int] = {}
    for e in entries:
        if e.page is None:
            continue
        guess = labels.get(e.page, e.page + off)
        found = _find_title_page(norm_pages, e.title, guess, 2)
        phys = found if found is not None else guess
        if 1 <= phys <= n:
            mapping.setdefault(e.page, phys)
    return mapping


# --------------------------------------------------------------------------- front matter


_DATES = (r"\d{1,2}(?:\s*[–—-]\s*\d{1,2})?\s+(?:" + _MONTHS + r")(?:\s*[–—-]\s*\d{1,2}\s+(?:" + _MONTHS
          + r"))?\s+\d{4}")
# "– Уфа: РИЦ БашГУ, 2021. – 384 с." in the bibliographic record of the imprint page
_IMPRINT_RE = re.compile(rf"[–—-]\s*([{UPL}][\w.-]+(?:-на-[\w]+)?)\s*:\s*([^,;]{{2,60}}?),\s*((?:19|20)\d\d)\.?\s*[–—-]\s*\d+\s*с")
_EVENT_RE = re.compile(
    # (?<!\d): tried once per run of digits, not at every digit (quadratic on a page of digits)
    r"((?:(?<!\d)\d+-?[йяе]?\s+)?(?:[А-ЯЁ][а-яё]+\s+)?(?:Международн|Всероссийск|Республиканск|Межрегиональн|научн|"
    r"международн|всероссийск|кругл)[\w-]*\s+(?:[\w-]+\s+){0,4}?(?:конференци[ийюя]|симпозиум\w*|семинар\w*|"
    r"форум\w*|съезд\w*|чтени[йя]\w*|стола|стол)"
    r"(?:\s+с\s+международным\s+участием)?(?:\s*[«\"“]([^»\"”]{8,200})[»\"”])?)"
)
_RECORD_END = re.compile(r"\s/\s*(?:отв\.|под\s+(?:общ(?:ей|\.)\s+)?ред|сост\.|ред\.)")
_RECORD_STOP = re.compile(r"^(?:УДК|ББК|ӘОЖ|ISBN|©|[A-ZА-ЯЁ]\s?\d{1,3}$)")
_AUTHOR_SIGN = re.compile(r"(?m)^\s*[A-ZА-ЯЁ]\s?\d{1,3}\s+")
_PLACE_WORD = re.compile(rf"^\s*([{UPL}][{LOL}]+(?:-на-[{UPL}][{LOL}]+)?|[{UPL}]{{3,}})\s*,?\s*(?:(?:19|20)\d\d)?\s*(?:г\.)?\s*$")
_NOT_PLACE = re.compile(r"^(?:Том|Часть|Материалы|Сборник|Научное|Издание|Выпуск|Предисловие|Содержание)$", re.I)


def _codes(flat: str, info: VolumeInfo) -> None:
    m = re.search(r"ISBN[\s:]*((?:97[89][\s\-–]?)?[\d][\d\s\-–]{8,16}[\dXХ])", flat)
    if m:
        info.isbn = re.sub(r"\s+", "", m.group(1)).replace("–", "-")
    m = re.search(r"(?:УДК|ӘОЖ)\s*([\d.:()\[\]+\-/=\"«», ]*\d[\d.)\]]*)", flat)
    if m:
        info.udc = m.group(1).strip(" ,")
    m = re.search(r"ББК\s*([\w.:()+\-/]*[\d)])", flat)
    if m:
        info.bbk = m.group(1).strip()


def _title_page_place(page: str) -> str:
    """The place printed low on the title page ("УФА" / "РИЦ БашГУ" / "2021", "Саратов 2011", "Алматы, 2023")."""
    lines = [ln.strip() for ln in split_lines(page) if ln.strip()]
    for ln in reversed(lines[-5:]):
        m = _PLACE_WORD.match(ln)
        if m and not _NOT_PLACE.match(m.group(1)):
            return m.group(1).capitalize() if m.group(1).isupper() else m.group(1)
    return ""


def _imprint(flat: str, pages: list[str], info: VolumeInfo) -> None:
    """Place, publisher and year: the imprint record "Город: Издательство, год", else the title page's bottom."""
    m = _IMPRINT_RE.search(flat)
    if m:
        info.place, info.publisher, info.year = m.group(1), m.group(2).strip(), int(m.group(3))
    conference_city = ""
    m = re.search(r"\(\s*г\.\s*([А-ЯЁ][\w-]+),\s*(" + _DATES + r"\s*г?\.?)\s*\)", flat)
    if m:
        conference_city, info.dates = m.group(1), re.sub(r"\s+", " ", m.group(2)).strip()
    else:
        m = re.search(r"\b(" + _DATES + r")\s*(?:г\.|года)", flat)
        if m:
            info.dates = m.group(1)
    # where the conference met is not where the book was published: only a fallback
    if not info.place and pages:
        info.place = _title_page_place(pages[0]) or conference_city
    if info.year is None:
        m = re.search(r"\b((?:19|20)\d\d)\b", pages[0] if pages else "")
        if m:
            info.year = int(m.group(1))
    if not info.publisher:
        m = re.search(r"(?:Отпечатано\s+в\s+)?(Издательств[оеа]\s+[А-ЯЁA-Z][\w-]+)", flat)
        if m:
            info.publisher = re.sub(r"^Издательств[еа]", "Издательство", m.group(1))


def _event(flat: str, info: VolumeInfo) -> None:
    """The event's own name: a match that carries the name in quotes wins over a generic "Материалы … конференции"."""
    found = [m for m in _EVENT_RE.finditer(flat)]
    named = [m for m in found if m.group(2) and len(m.group(2).split()) >= 2]
    best = named[0] if named else (found[0] if found else None)
    if best:
        info.event_title = re.sub(r"\s+", " ", best.group(1)).strip()


def _editors(flat: str, info: VolumeInfo) -> None:
    editors: list[str] = []
    m = re.search(r"Редакционная\s+коллегия\s*:(.{0,1500}?)(?:ISBN|Одобрено|Рецензент|©|Издание|УДК|$)", flat)
    if m:
        editors.extend(a.name for a in parse_authors(m.group(1)))
    for m in re.finditer(
        r"(?:[Пп]од\s+(?:общей\s+)?редакцией|[Пп]од\s+ред\.|[Оо]тв\.\s*ред\.|[Оо]тветственный\s+редактор)"
        rf"\s*[–—:-]?\s*(?:[\w.,-]+\s+){{0,6}}?({_NAME_IS}|{_NAME_SI})",
        flat,
    ):
        editors.append(re.sub(r"\s+", " ", m.group(1)).strip())
    seen: set[tuple[str, str]] = set()
    for ed in editors:
        a = parse_authors(ed)
        key = (a[0].surname[:5].upper(), a[0].given.replace(" ", "")) if a else (ed, "")
        if key not in seen:
            seen.add(key)
            info.editors.append(a[0].name if a else ed)


def _record_title(pages: list[str]) -> str:
    """The title part of the imprint page's bibliographic record ("Title: subtitle / отв. ред. …"), without the
    author sign ("Р 36", "C56") and the parallel title after " = "; "" when no record names this book."""
    title_page = _norm(" ".join(pages[:2]))
    for page in pages[:4]:
        lines = [ln.strip() for ln in split_lines(page.replace("\ufffe", "").replace("\u00ad", ""))]
        for i, ln in enumerate(lines):
            m = _RECORD_END.search(ln)
            if not m:
                continue
            record = [ln[: m.start()]]
            k = i - 1
            # the record starts after a line that ends a sentence (the previous paragraph)
            while k >= 0 and len(record) < 7 and lines[k] and not re.search(r"[.;]$", lines[k]) \
                    and not _RECORD_STOP.match(lines[k]):
                record.insert(0, lines[k])
                k -= 1
            text = _AUTHOR_SIGN.sub("", "\n".join(record))
            text = re.sub(r"\s+", " ", text).split(" = ")[0].strip(" .")
            head = " ".join(_norm(text).split()[:3])
            if len(text) > 10 and head and head in title_page:
                return text
    return ""


def volume_info(pages: list[str]) -> VolumeInfo:
    """What the front matter (first pages and the imprint page) says about the whole volume."""
    info = VolumeInfo()
    front = pages[:4] + pages[-2:]
    text = "\n".join(p.replace("\r\n", "\n") for p in front)
    flat = re.sub(r"\s+", " ", text.replace("\ufffe", "").replace("\u00ad", ""))
    _codes(flat, info)
    _imprint(flat, pages, info)
    _event(flat, info)
    _editors(flat, info)
    info.title = _record_title(pages) or (_title_page_title(pages[0]) if pages else "")
    return info


def _title_page_title(page: str) -> str:
    """The longest block of upper-case lines on the title page that is not an organisation name."""
    org = re.compile(r"МИНИСТЕРСТВО|УНИВЕРСИТЕТ|ИНСТИТУТ|АКАДЕМИЯ|АДМИНИСТРАЦИЯ|УПРАВЛЕНИЕ|ФИЛИАЛ|ОБЛАСТИ|РЕСПУБЛИК|МИНИСТРЛІГІ")
    block: list[str] = []
    best: list[str] = []
    for ln in split_lines(page) + [""]:
        s = ln.strip()
        letters = [c for c in s if c.isalpha()]
        if letters and sum(c.isupper() for c in letters) > 0.8 * len(letters) and len(letters) > 3 and not org.search(s):
            block.append(s)
            continue
        if len(" ".join(block)) > len(" ".join(best)):
            best = block
        block = []
    return " ".join(best)


# --------------------------------------------------------------------------- layout fallback


def _is_upper_title(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= CAPS_LINE * len(letters) and len(line.split()) >= 2


def find_layout_starts(pages: list[str]) -> list[tuple[int, str, list[Author], int]]:
    """Article starts found from layout cues: (physical page, title, authors, line index)."""
    starts: list[tuple[int, str, list[Author], int]] = []
    for i, page in enumerate(pages):
        if _is_toc_page(page):
            continue
        lines = [ln.strip() for ln in split_lines(page)]
        k = 0
        while k < len(lines):
            ln = lines[k]
            window = lines[k : k + 8]
            if is_udc_line(ln):
                title_lines: list[str] = []
                authors: list[Author] = []
                for w in window[1:]:
                    if _is_upper_title(w):
                        title_lines.append(w)
                    elif title_lines and (names_line(w) or _NAME_RE.match(w)):
                        authors = parse_authors(w)
                        break
                    elif title_lines:
                        break
                if title_lines:
                    starts.append((i + 1, _join_title(title_lines), authors, k))
                    k += 1 + len(title_lines)
                    continue
            if names_line(ln) and not _SECTION_RE.match(ln):
                # "И.О. Фамилия" / affiliation line(s) / UPPER-CASE TITLE
                for j in range(1, 4):
                    if k + j < len(lines) and _is_upper_title(lines[k + j]):
                        title_lines = []
                        t = k + j
                        while t < len(lines) and _is_upper_title(lines[t]):
                            title_lines.append(lines[t])
                            t += 1
                        starts.append((i + 1, _join_title(title_lines), parse_authors(ln), k))
                        k = t
                        break
                else:
                    k += 1
                    continue
                continue
            k += 1
    return starts


# --------------------------------------------------------------------------- splitting


def _starts_mid_page(page: str, title: str) -> bool:
    """True when the title appears below a good amount of other text on its page."""
    key = _title_key(title, 3)
    if not key:
        return False
    lines = [ln for ln in split_lines(page) if ln.strip()]
    first_word = key.split()[0]
    for idx in range(len(lines)):
        # the title's own first line, not a line above it that only brings it into the 3-line window
        if key in _norm(" ".join(lines[idx : idx + 3])) and _norm(lines[idx]).startswith(first_word):
            before = lines[:idx]
            body = [b for b in before if len(b.strip()) > 30 and not _SECTION_RE.match(b) and not is_udc_line(b)]
            return len(body) >= 4 or _previous_text_chars(before) >= 40
    return False


def _previous_text_chars(before: list[str]) -> int:
    """Characters of the previous article above a title: a few lines of its references are enough, but not this
    page's number, running header ("308 Абдуллаев О.Х.", "TITLE . . . 137"), a section caption in capitals, or this
    article's own УДК line and by-line (printed before its title)."""
    own = next((k for k, b in enumerate(before) if is_udc_line(b) or author_line(b)), len(before))
    return sum(len(b.strip()) for b in before[:own]
               if not _running_line(b) and sum(c.islower() for c in b) > len(b) // 3)


def _running_line(line: str) -> bool:
    """A page number, or a running header with the page number at one end."""
    s = line.strip()
    return bool(_NUM_ONLY_RE.match(s) or (len(s) < 90 and re.match(r"^\d{1,4}\s+\S|.*\S\s+\d{1,4}$", s))
                or _SECTION_RE.match(s) or is_udc_line(s))


def _place_entries(pages: list[str], entries: list[TocEntry], toc: tuple[int, int]) -> list[int | None]:
    """Physical first page for each entry: page label/offset checked by the title within ±2 pages;
    when the title is not there (misread or shifted number, or no number) it is looked up in the
    body after the previous article."""
    n = len(pages)
    off, labels = _page_offset(pages)
    norm_pages = [_norm(p) for p in pages]
    for i in range(toc[0] - 1, toc[1]):
        norm_pages[i] = ""
    if off is None:
        off = 0
        numbered = [e for e in entries if e.page is not None]
        votes: Counter[int] = Counter()
        for e in numbered[:: max(1, len(numbered) // 25)]:
            phys = _find_title_page(norm_pages, e.title, None, 0)
            if phys is not None:
                votes[phys - (e.page or 0)] += 1
        if votes:
            off = votes.most_common(1)[0][0]
    placed: list[int | None] = []
    prev = 0
    for e in entries:
        phys: int | None = None
        guess = labels.get(e.page, e.page + off) if e.page is not None else None
        if guess is not None:
            phys = _find_title_page(norm_pages, e.title, guess, 2)
        if phys is None and len(_title_key(e.title).split()) >= 3:
            key = _title_key(e.title)
            phys = next((i + 1 for i in range(max(prev - 1, 0), n) if key in norm_pages[i]), None)
            if phys is not None and guess is not None and abs(phys - guess) > 2 and e.page is not None:
                logger.debug("TOC entry %r: printed %s, found on physical %s", e.title[:40], e.page, phys)
        if phys is None:
            phys = guess
        if phys is not None and not 1 <= phys <= n:
            phys = None
        placed.append(phys)
        if phys is not None:
            prev = max(prev, phys)
    return placed


def _article_entries(entries: list[TocEntry]) -> tuple[list[TocEntry], list[TocEntry]]:
    """(article entries, the book's own apparatus with a page: preface, about the authors, index)."""
    # Unnumbered entries are kept only when they look like articles: authored (if the TOC names
    # authors at all) and not a running header/footer repeated on every TOC page.
    titles = Counter(e.title for e in entries)
    numbered = [e for e in entries if e.page is not None]
    authored_toc = sum(bool(e.authors) for e in numbered) >= 0.5 * max(len(numbered), 1)
    is_matter = [not e.authors and bool(_FRONT_BACK_MATTER_RE.match(e.title)) for e in entries]
    matter = [e for e, m in zip(entries, is_matter) if m and e.page is not None]
    articles = [
        e for e, m in zip(entries, is_matter)
        if not m and (e.page is not None or (titles[e.title] == 1 and (e.authors or not authored_toc)))
    ]
    return articles, matter


def _points_into_body(phys: int | None, toc: tuple[int, int], n: int) -> bool:
    """A TOC at the front points forward, one at the back points backward; never into the TOC itself."""
    if phys is None or toc[0] <= phys <= toc[1]:
        return False
    return not ((toc[0] <= n // 2 and phys < toc[0]) or (toc[0] > n // 2 and phys > toc[1]))


def _toc_spans(pages: list[str], toc: tuple[int, int] | None) -> list[ArticleSpan]:
    if toc is None:
        return []
    entries = parse_toc(pages[toc[0] - 1 : toc[1]], keep_unnumbered=True, keep_breaks=True)
    raw_titles = {id(e): e.title for e in entries}
    for e in entries:
        e.title = _resolve_breaks(e.title)
    entries, matter = _article_entries(entries)
    if len(entries) < 3:
        return []
    placed = _place_entries(pages, entries, toc)
    n = len(pages)
    body_end = n
    if toc[0] > n // 2:
        body_end = toc[0] - 1 if not _starts_mid_page(pages[toc[0] - 1], "СОДЕРЖАНИЕ") else toc[0]
    spans: list[ArticleSpan] = []
    for e, phys in zip(entries, placed):
        if not _points_into_body(phys, toc, n):
            continue
        authors = [a for line in e.authors for a in parse_authors(line)]
        # a word broken at a TOC line end is written as the article's own first page prints it
        title = _resolve_breaks(raw_titles[id(e)], "\n".join(pages[phys - 1:phys + 1]))
        spans.append(ArticleSpan(title=title, authors=authors, first_page=phys, last_page=phys,
                                 printed_first=e.page, source="toc"))
    spans.sort(key=lambda s: (s.first_page, s.printed_first or 0))
    _set_last_pages(pages, spans, body_end)
    _stop_at_back_matter(pages, spans, matter, toc)
    return spans


def _stop_at_back_matter(pages: list[str], spans: list[ArticleSpan], matter: list[TocEntry], toc: tuple[int, int]) -> None:
    """An article ends where the book's own apparatus after it begins ("Сведения об авторах", an index)."""
    if not matter or not spans:
        return
    for entry, stop in zip(matter, _place_entries(pages, matter, toc)):
        if stop is None or stop <= spans[0].first_page:
            continue
        for span in spans:
            if span.first_page < stop <= span.last_page:
                span.last_page = stop if _starts_mid_page(pages[stop - 1], entry.title) else stop - 1
                if span.printed_first is not None:
                    span.printed_last = span.printed_first + (span.last_page - span.first_page)


def _set_last_pages(pages: list[str], spans: list[ArticleSpan], body_end: int) -> None:
    for idx, span in enumerate(spans):
        if idx + 1 < len(spans):
            nxt = spans[idx + 1]
            if nxt.first_page <= span.first_page:
                span.last_page = span.first_page
            elif _starts_mid_page(pages[nxt.first_page - 1], nxt.title):
                span.last_page = nxt.first_page
            else:
                span.last_page = nxt.first_page - 1
        else:
            span.last_page = max(span.first_page, body_end)
        if span.printed_first is not None:
            span.printed_last = span.printed_first + (span.last_page - span.first_page)


def _layout_spans(pages: list[str]) -> list[ArticleSpan]:
    starts = find_layout_starts(pages)
    spans = [ArticleSpan(title=t, authors=a, first_page=p, last_page=p, source="layout") for p, t, a, _ in starts]
    spans.sort(key=lambda s: s.first_page)
    _set_last_pages(pages, spans, len(pages))
    return spans


def split_volume(pages: list[str]) -> tuple[VolumeInfo, list[ArticleSpan]]:
    """Propose article spans for a volume: from its TOC, or from layout cues when no TOC is usable."""
    info = volume_info(pages)
    toc = find_toc(pages)
    spans = _toc_spans(pages, toc)
    if len({s.first_page for s in spans}) >= 3:
        logger.debug("volume split from TOC at pages %s: %d articles", toc, len(spans))
        return info, spans
    spans = _layout_spans(pages)
    logger.debug("volume split from layout cues: %d articles", len(spans))
    return info, spans


def looks_like_volume(pages: list[str]) -> bool:
    """True for a multi-article volume: a TOC with >= 3 entries into the document, or many УДК starts."""
    if len(pages) < 4:
        return False
    toc = find_toc(pages)
    if toc is not None:
        entries = parse_toc(pages[toc[0] - 1 : toc[1]])
        inside = [e for e in entries if e.page is not None and 1 <= e.page <= len(pages) + 20]
        # a thesis or a monograph has a TOC too: a volume's entries name (different) authors
        authored = {tuple(e.authors) for e in inside if e.authors}
        if len({e.page for e in inside}) >= 3 and len(authored) >= 3:
            return True
    udc_pages = sum(1 for p in pages if any(is_udc_line(ln) for ln in split_lines(p)))
    return udc_pages >= 3
