"""Year of publication: weighted evidence from the first pages, before the reference list."""
from __future__ import annotations

import datetime as _dt
import re

from uploads.text import LO, UP, norm_ws, upper_ratio

from .markers import REFS_RE, list_of_works, reference_lines

_CURRENT_YEAR = _dt.date.today().year
_MIN_SCORE = 4.0

_YEAR = r"(1[89]\d\d|20\d\d)"
_MONTHS = (
    r"(?:январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|"
    r"қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|желтоқсан|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)[a-zа-яәіұүөғқң]*"
)
_SURN = rf"[{UP}A-Z](?:[{LO}a-z]+(?:[-'’][{UP}A-Z]?[{LO}a-z]+)*|[{UP}A-Z]+(?:-[{UP}A-Z]{{2,}})*)"
_INIT = rf"[{UP}A-Z]\.(?:\s?[{UP}A-Z]\.)?"
# "Иванов И.И., Петров П.П. 2019" at the end of a line. It backtracks through every name of a long list that
# does not end in a year (seconds for a line of 1000 names), so it is only tried on lines ending in a year.
_BYLINE_YEAR = re.compile(rf"{_SURN}\s?{_INIT}(?:,\s*{_SURN}\s?{_INIT})*,?\s+{_YEAR}\s*$")
_ENDS_IN_YEAR = re.compile(rf"{_YEAR}\s*$")
# (regex, weight, counts in running prose?)
_YEAR_RULES: list[tuple[re.Pattern[str], float, bool]] = [
    (re.compile(rf"(?:©|\(c\)|Copyright|^\s*[○◯]?c(?=\s+[{UP}A-Z]))\s*(?:[^\n©]{{0,120}}?)\b{_YEAR}\b",
                re.IGNORECASE), 10, True),
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
# "Москва, 2021 г." / "Қостанай қаласы, 2016 ж" / a running header "… · Алматы, 2023" on a title page.
_PLACE_YEAR = re.compile(rf"(?:.*[·|/]\s*)?[{UP}][{LO}\-]+(?:\s+[{LO}]+)?\s*[,–—-]?\s*{_YEAR}\s*(?:г\.?|ж\.?|жыл)?")


class _Scores(dict):
    def add(self, y: int, w: float) -> None:
        if 1800 <= y <= _CURRENT_YEAR + 1:
            self[y] = self.get(y, 0.0) + w


def _front_lines(page: str, skip: int) -> list[str]:
    """The lines of a page before its reference list (the first ``skip`` lines dropped, reference entries blanked)."""
    lines = [norm_ws(x) for x in page.split("\n")][skip:]
    cut = next((i for i, ln in enumerate(lines) if REFS_RE.match(ln)), len(lines))
    refs = reference_lines(lines)
    return ["" if i in refs else ln for i, ln in enumerate(lines[:cut])]


def _rule_hits(ln: str, nxt: str, weight_of) -> list[tuple[int, float]]:
    joined = ln + " " + nxt
    # running text, also in a narrow column: a year there is usually an event, not the publication
    prose = (len(ln) > 70 or (len(ln) > 40 and len(ln.split()) >= 5)) and upper_ratio(ln) < 0.3
    hits: list[tuple[int, float]] = []
    for rx, w, in_prose in _YEAR_RULES:
        if rx is _BYLINE_YEAR and not _ENDS_IN_YEAR.search(joined):
            continue
        for m in rx.finditer(joined):
            if m.start(1) >= len(ln):
                continue  # the year itself is on the next line; it will be seen there
            if _YEAR_BAD_AFTER.match(joined[m.end(1):]) and w < 8:
                continue
            ww = weight_of(w)
            if prose and not in_prose:
                ww *= 0.4
            hits.append((int(m.group(1)), ww))
    return hits


def _score_page(lines: list[str], first: bool, scores: _Scores) -> None:
    n = len(lines)
    for i, ln in enumerate(lines):
        if not ln:
            continue
        pos_w = 1.0 if (i < 20 or i >= n - 8) else 0.4
        if not first:
            pos_w *= 0.5

        def weight_of(w: float, _pos: float = pos_w) -> float:
            return w * (_pos if w < 7 else (1.0 if first else 0.7))

        for y, w in _rule_hits(ln, lines[i + 1] if i + 1 < n else "", weight_of):
            scores.add(y, w)
        if first and re.fullmatch(_YEAR, ln) and i < 12:
            scores.add(int(ln), 5)
        if first and len(ln) < 90:
            m = _PLACE_YEAR.fullmatch(ln)
            if m:
                scores.add(int(m.group(1)), 5)


def _source_line_year(pages: list[str], skip: int, scores: _Scores) -> None:
    """Source line of an old newspaper article: «Қазақ», 1913, № 43 / 1916 жыл. / 12-13 қазан 1926 жыл."""
    for k, page in enumerate(pages):
        lines = [norm_ws(x) for x in page.split("\n")]
        refs = reference_lines(lines)   # "…Издательский дом" / "«Интеллект», 2012." ends a reference, not an article
        for i, ln_n in enumerate(lines):
            if not ln_n or len(ln_n) > 60 or i in refs:
                continue
            m = _SOURCE_LINE.fullmatch(ln_n)
            if m and (("«" in ln_n) or re.search(r"жыл", ln_n) or re.search(_MONTHS, ln_n, re.IGNORECASE)):
                scores.add(int(m.group(1)), 4 if k > 0 or skip == 0 else 0)
                break


def find_year(pages: list[str], skip_first_lines: int = 0) -> int | None:
    """The best-supported year on pages 1-2 (and a newspaper source line anywhere), or None."""
    scores = _Scores()
    for pno, page in enumerate(pages[:2]):
        _score_page(_front_lines(page, skip_first_lines if pno == 0 else 0), pno == 0, scores)
    _source_line_year(pages, skip_first_lines, scores)
    if not scores:
        return None
    best_y, best_s = max(scores.items(), key=lambda kv: kv[1])
    if best_s < _MIN_SCORE:
        return None
    close = [y for y, sc in scores.items() if sc >= best_s * 0.9 and sc >= _MIN_SCORE]
    if len(close) > 1:
        return max(close)  # publication is after whatever it mentions
    return best_y


# The end of the text: a dateline under it ("1924 ж.", "12 мая 1926 г.", "27-март 1929") or an imprint / © line of
# the colophon ("Подписано в печать 12.04.2011", "Басуға 12.04.2011 қол қойылды", "© КазНУ, 2011"). A bare number
# is not a dateline (it may be a page number), so a year alone needs its г./ж./жыл or a day and month.
_DATELINE = re.compile(
    rf"(?:\d{{1,2}}[-\s]*{_MONTHS}\.?\s+{_YEAR}\s*(?:г\.?|года?|ж\.?|жылы?)?|{_YEAR}\s*(?:г\.?|года?|ж\.?|жылы?)"
    rf"|\d{{1,2}}\.(?:0[1-9]|1[0-2])\.{_YEAR}\s*(?:г\.?|ж\.?)?)\.?",
    re.IGNORECASE,
)
_IMPRINT = re.compile(
    rf"(?:подписано\s+(?:в|к)\s+печат\w*|басуға\s+қол\s+қойылды|сдано\s+в\s+набор)[^\n]{{0,30}}?"
    rf"\b\d{{1,2}}\.\d{{1,2}}\.{_YEAR}\b|басуға\s+\d{{1,2}}\.\d{{1,2}}\.{_YEAR}",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(rf"(?:©|\(c\)|Copyright)[^\n©]{{0,120}}?\b{_YEAR}\b", re.IGNORECASE)
_END_LINES = 8


def _end_page_lines(pages: list[str]) -> list[str]:
    """The last non-empty lines of the text (of the last page with text on it), reference entries blanked."""
    for page in reversed(pages):
        lines = [norm_ws(x) for x in page.split("\n") if x.strip()]
        if lines:
            tail = lines[-_END_LINES:]
            refs = reference_lines(tail)
            return ["" if i in refs else ln for i, ln in enumerate(tail)]
    return []


def end_year(pages: list[str]) -> int | None:
    """The year printed at the end of the text, when its first pages give none: a dateline under the text
    (an old article's "1924 ж." below its signature) or the colophon's imprint or © line."""
    scores = _Scores()
    for ln in _end_page_lines(pages):
        if not ln:
            continue
        m = _DATELINE.fullmatch(ln)
        if m:
            scores.add(int(next(g for g in m.groups() if g)), 5)
            continue
        for rx, w in ((_IMPRINT, 6), (_COPYRIGHT, 5)):
            for m in rx.finditer(ln):
                scores.add(int(next(g for g in m.groups() if g)), w)
    if not scores:
        return None
    best = max(scores.values())
    return max(y for y, sc in scores.items() if sc == best) if best >= _MIN_SCORE else None


_DOC_DATE = re.compile(r"(?:D:)?((?:19|20)\d\d)")
_ANY_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")
# A document date stands for the publication year only when the text is that recent: its latest cited year is
# at most this many years older (an old article scanned or typed up in 2020 is not from 2020).
_DOC_DATE_SLACK = 3
# ... unless the text is a list of works (a bibliography): its years are the works', the list was compiled when the
# file was saved (``markers.list_of_works``).


def document_year(info: dict | None, pages: list[str]) -> int | None:
    """The year of the file's own date (PDF /ModDate or /CreationDate, Word core properties ``modified`` or
    ``created``) when nothing printed gives a year and the text is recent enough for the date to mean it
    (or the text is a list of works)."""
    if not info:
        return None
    raw = next((str(info[k]) for k in ("modified", "/ModDate", "ModDate", "created", "/CreationDate", "CreationDate")
                if info.get(k)), "")
    m = _DOC_DATE.match(raw.strip())
    if not m:
        return None
    year = int(m.group(1))
    if year > _CURRENT_YEAR:
        return None
    cited = [int(y) for y in _ANY_YEAR.findall("\n".join(pages)) if int(y) <= _CURRENT_YEAR]
    if cited and max(cited) > year:
        return None      # the text mentions a later year than the file's date: the date is not the text's
    if cited and list_of_works(pages):
        return year
    if not cited or not 0 <= year - max(cited) <= _DOC_DATE_SLACK:
        return None
    return year
