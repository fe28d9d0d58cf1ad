"""Find the reference lists in an article's page texts and cut them into entries (pure functions).

The pages are the texts the uploader keeps (``Page.text``: paragraphs separated by blank lines, running
headers that recur across the document already removed); raw extractor text works too. A list starts at
a heading ("Список литературы", "Литература", "Әдебиеттер тізімі", "References", ...) that stands as its
own paragraph, ends a paragraph, or is followed by the first entry marker. Numbered lists ("1.", "1)",
"[1]") are cut where the *next* number in sequence appears, so entries run over line, paragraph and page
breaks and may share a paragraph; unnumbered lists take one entry per paragraph. A list ends at a
sign that something else begins: УДК, ©, "Статья поступила", author notes, an upper-case title or a
by-line of the next article in a volume.
"""
from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

from uploads.types import ArticleSpan

from .fields import parse_entry
from .model import PARSED, PARTIAL, UNPARSED, Reference, ReferenceList
from .text import LO, UP, script_of, squash

__all__ = ["find_reference_lists", "split_entries", "volume_reference_lists"]

# --------------------------------------------------------------------------- headings

_HEAD_RU = (
    r"(?:пристатейный\s+|библиографический\s+)?список\s+(?:использованн\w+\s+|цитированн\w+\s+)?"
    r"(?:литературы(?:\s+и\s+источников)?|источников(?:\s+и\s+литературы)?)"
    r"|(?:использованная\s+|цитируемая\s+)?литература(?:\s+и\s+источники)?"
    r"|библиографи(?:я|ческий\s+список|ческие\s+ссылки)|источники\s+и\s+литература"
)
_HEAD_KK = r"(?:(?:пайдаланыл\w*|қолданыл\w*)\s+)?әдебиеттер(?:\s+тізімі)?"
_HEAD_EN = r"references|bibliography|literature(?:\s+cited)?|works\s+cited|reference\s+list|ссылки\s+на\s+источники"
_HEAD_ONE = rf"(?:{_HEAD_RU}|{_HEAD_KK}|{_HEAD_EN})"
_HEADING_RE = re.compile(
    rf"(?P<head>{_HEAD_ONE}(?:\s*/\s*{_HEAD_ONE})?)\s*[:.]?(?=(?P<after>\s*(?:\n|$|\[1\]|1\s?[.)]\s*\S)))",
    re.I,
)
_SENTENCE_END_RE = re.compile(r"[.!?»\")]\s*$")

# --------------------------------------------------------------------------- entry markers

# "12." / "12)" / "[12]" anywhere, or a bare "12" followed by a capital (only taken at a paragraph start).
_MARK_RE = re.compile(
    rf"\[(?P<br>\d{{1,3}})\]|(?<![\w.,/\-–])(?P<num>\d{{1,3}})(?:(?P<punct>[.)])(?!\d)|(?=\s+[{UP}«\"“]))"
)
# Abbreviations after which "3." is a volume, part or page number and not an entry number.
_ABBR = frozenset(
    "т том вып ч кн гл разд изд с стр б бет no nos vol v n iss p pp part ed bd art №".split()
)
_ENTRY_START_RE = re.compile(rf"\s*[{UP}«\"“\[(]")
_MAX_GAP = 3000                   # longest entry we accept between two numbers (characters)
_MAX_REGION = 120_000             # characters of text looked at after one heading

# --------------------------------------------------------------------------- what ends a list

_STOP_RE = re.compile(
    r"^(?:УДК|ӘОЖ|ӘӨЖ|ЭОЖ|UDC|ББК|PACS|MSC|JEL|ISSN|©|\(c\)|c\s+[" + UP + r"][" + LO + r"]+\s+[" + UP + r"]\."
    r"|(?:Рукопись|Статья|Материал)\s+поступил|Поступила\s+в\s+редакц|Дата\s+поступления|Received\b|Accepted\b"
    r"|Сведения\s+об\s+авторах|Информация\s+об\s+авторах|Об\s+авторах|Авторлар\s+туралы|About\s+the\s+authors?"
    r"|Information\s+about\s+the\s+authors?|Author\s+information|Contact\s+information"
    r"|Приложени[ея]\b|ПРИЛОЖЕНИ[ЕЯ]\b|Қосымша\b|Appendix\b|APPENDIX\b|Секция\s+\d|Section\s+\d"
    r"|Ключевые\s+слова|Түйін\s+сөздер|Кілт\s+сөздер|Keywords|Key\s+words|Аннотация|Аңдатпа|Abstract"
    r"|Резюме|Түйіндеме|Summary\b)",
)
# A by-line "И.О. Фамилия, И.О. Фамилия" standing alone: the next article of a volume begins.
_BYLINE_RE = re.compile(
    rf"^(?:(?:[{UP}]\.\s?){{1,2}}\s?[{UP}][{LO}]+(?:-[{UP}][{LO}]+)?,?\s*)+$"
)
_TRAILER_RE = re.compile(
    r"\s(?:(?:Рукопись|Статья)\s+поступила|Поступила\s+в\s+редакц|Received\s+by|Received\b|УДК\s*\d|©"
    rf"|E-mail\b|(?:[{UP}]\.\s?){{1,2}}\s?[{UP}][{LO}]+\s\((?:[A-Z]\.\s?){{1,2}}\s?[A-Z][a-z]+\))"
)
_CAPTION_RE = re.compile(r"^(?:[а-гa-d]\s+)*(?:Рис\.|Рисунок\s+\d|Сурет\s+\d|Fig\.|Figure\s+\d|Таблица\s+\d|Кесте\s+\d|Table\s+\d)")
_PAGE_NO_RE = re.compile(r"^[-–—]?\s*(?:[СсCc]\.\s*|[Pp]age\s+|[Бб]ет\s+)?\d{1,4}\s*[-–—]?$")
_HEADER_PREFIX = rf"^\d{{1,4}}\s+(?:[{UP}][{LO}'’]+(?:-[{UP}][{LO}]+)?\s(?:[{UP}][{LO}]?\.\s?){{1,3}},?\s*)+"
# "42 Касимов Ш.Г., Бабаев М.М." heading a page: taken off when lower-case text follows it or when it
# heads another page of the article too
_HEADER_AUTHORS_RE = re.compile(_HEADER_PREFIX + rf"(?=$|[{LO}])")
_HEADER_PREFIX_RE = re.compile(_HEADER_PREFIX)
_HEADER_TITLE_RE = re.compile(rf"^[^{LO}]{{8,}}?\s\.\s\.\s\.\s\d{{1,4}}\b\s*")
_YEAR_RE = re.compile(r"(?<!\d)(?:1[5-9]\d\d|20[0-4]\d)(?!\d)")
_REFLIKE_RE = re.compile(r"//|https?:|URL|\b[СсPpБб]\.\s?\d|\bpp\.|\d\s?(?:с|c|б|p)\.|\bISBN|\bDOI", re.I)
_BULLET_RE = re.compile(r"^(?:o|•|◦|▪|‣|-)\s")
_CONTINUATION_RE = re.compile(rf"^(?:[{LO}]|//|/\s|[-–—:;,.)]|\d{{1,4}}(?!\s?[.)]\s*[{UP}])|URL|http|DOI|doi)")


_DIGITS_RE = re.compile(r"\d+")
_LINE_END_RE = re.compile(r"\n[ \t]*$")
_TOC_TAIL_RE = re.compile(r"\s*(?:\.\s*){3,}|\s*…|\s*\d+\s*$")
_FIRST_MARK_RE = re.compile(r"\s*(?:\[1\]|1\s?[.)])")
_NOT_ENTRY_START_RE = re.compile(r"\s*[\d.,;:)\]-]")
_WORD_BEFORE_DOT_RE = re.compile(r"(\S?)\s?([^\W\d_]+)$")
_LINK_START_RE = re.compile(r"(?:URL|http|DOI|doi|//|\()")
_BLANK_LINE_RE = re.compile(r"\n\s*\n")
_WORDS_RE = re.compile(r"\w+")
_NEXT_WORD_RE = re.compile(r"\W*(\w+)")
_LINE_HYPHEN_RE = re.compile(rf"(?<=[{LO}])-\n(?=[{LO}])")


@dataclass
class _Para:
    page: int        # 0-based page index
    text: str


# --------------------------------------------------------------------------- page clean-up


def _paragraphs(page: str) -> list[str]:
    """Paragraphs of one page; inside a paragraph line ends are spaces and "слово-\\nслово" is joined."""
    out = []
    for block in _BLANK_LINE_RE.split(page):
        if "\n" in block:
            block = _LINE_HYPHEN_RE.sub("", block)
        block = " ".join(block.split())
        if block:
            out.append(block)
    return out


def _edge_key(text: str) -> str:
    return _DIGITS_RE.sub("#", text.lower())[:80]


def _repeated_edges(pages: list[str]) -> set[str]:
    """Short first/last paragraphs that recur on two or more pages: running headers and footers."""
    counts: Counter[str] = Counter()
    for page in pages:
        page = page.strip()
        if not page:
            continue
        first = _BLANK_LINE_RE.split(page[:400], 1)[0]     # only the first and the last paragraph matter
        last = _BLANK_LINE_RE.split(page[-400:])[-1]
        keys = {_edge_key(" ".join(b.split())) for b in (first, last) if len(b) <= 200}
        header = _HEADER_PREFIX_RE.match(" ".join(first.split()))
        if header:
            keys.add("header:" + _edge_key(header.group(0).strip()))
        counts.update(keys)
    return {k for k, n in counts.items() if n >= 2}


def _strip_page_edges(paras: list[str], repeated: set[str], top: bool) -> list[str]:
    """Drop page numbers, running headers/footers and figure captions from one page's paragraphs."""
    out = [p for p in paras if not _CAPTION_RE.match(p) and not _is_letter_debris(p)]
    while out and (_PAGE_NO_RE.match(out[-1]) or (len(out[-1]) <= 150 and _edge_key(out[-1]) in repeated)):
        out.pop()
    if not top:
        return out
    while out:
        first = out[0]
        if _PAGE_NO_RE.match(first) or (len(first) <= 150 and _edge_key(first) in repeated):
            out.pop(0)
            continue
        m = _HEADER_AUTHORS_RE.match(first) or _HEADER_TITLE_RE.match(first)
        if not m:
            m = _HEADER_PREFIX_RE.match(first)
            if m and "header:" + _edge_key(m.group(0).strip()) not in repeated:
                m = None
        if m:
            rest = first[m.end():].strip()
            if rest:
                out[0] = rest
            else:
                out.pop(0)
            continue
        break
    return out


def _is_letter_debris(p: str) -> bool:
    """Sub-figure letters ("а б", "в") left between entries by a figure on the page."""
    toks = p.split()
    return len(toks) <= 4 and all(len(t) == 1 and t.isalpha() for t in toks)


# --------------------------------------------------------------------------- headings


_HEAD_HINTS = ("литератур", "список", "библиограф", "әдебиет", "referen", "bibliograph", "literature", "cited",
               "источник")
# Words a heading can start with: the heading pattern is only tried where one of them stands.
_HEAD_STARTS = ("пристатейн", "библиограф", "список", "использованн", "цитируем", "литератур", "источник",
                "пайдалан", "қолдан", "әдебиет", "referen", "bibliograph", "literature", "works", "ссылки")


def _head_starts(low: str) -> list[int]:
    """Offsets in the lower-cased page where a heading word begins (at a word start), in order."""
    out = []
    for word in _HEAD_STARTS:
        i = low.find(word)
        while i >= 0:
            if i == 0 or not low[i - 1].isalnum():
                out.append(i)
            i = low.find(word, i + 1)
    return sorted(out)


def _headings(page: str) -> list[tuple[int, int, str]]:
    """(start, end, heading) of reference-list headings on one page."""
    low = page.lower()
    if not any(h in low for h in _HEAD_HINTS):
        return []              # most pages: a substring test is far cheaper than the heading pattern
    found: list[tuple[int, int, str]] = []
    for start in _head_starts(low):
        if found and start < found[-1][1]:
            continue
        m = _HEADING_RE.match(page, start)
        if not m:
            continue
        head = m.group("head")
        if not head[0].isupper():
            continue
        before = page[max(0, start - 200): start]
        line_start = (not before.strip() and start <= 200) or bool(_LINE_END_RE.search(before))
        upper = head.isupper() and len(head) >= 9
        if not line_start and not upper and not _SENTENCE_END_RE.search(before):
            continue         # an upper-case "СПИСОК ЛИТЕРАТУРЫ" may follow formula debris on its line
        after = m.group("after")
        tail = page[m.end(): m.end() + 40]
        if _TOC_TAIL_RE.match(tail):      # a table-of-contents line
            continue
        if not line_start and "\n" not in after[:1] and not _FIRST_MARK_RE.match(after):
            continue
        found.append((m.start(), m.end(), squash(head)))
    return found


def _word_run_at(low: str, words: list[str]) -> list[int]:
    """Offsets in ``low`` where ``words`` follow each other (anything but letters and digits between)."""
    out = []
    i = low.find(words[0])
    while i >= 0:
        if i == 0 or not low[i - 1].isalnum():
            pos, ok = i, True
            for w in words:
                m = _NEXT_WORD_RE.match(low, pos)
                if not m or m.group(1) != w:
                    ok = False
                    break
                pos = m.end()
            if ok:
                out.append(i)
        i = low.find(words[0], i + 1)
    return out


def _title_offset(pages: list[str], title: str, last: bool = False) -> tuple[int, int] | None:
    """(page, offset) where a title starts on the first two pages (or, ``last``, on the last two pages)."""
    words = _WORDS_RE.findall(title.lower())[:6]
    if len(words) < 2 or sum(map(len, words)) < 12:
        return None
    if not last:
        for i in range(min(2, len(pages))):
            found = _word_run_at(pages[i].lower(), words)
            if found:
                return i, found[0]
        return None
    # the next article's title also heads its pages as a running title ("TITLE . . . 105"): take the last
    for i in range(len(pages) - 1, max(-1, len(pages) - 3), -1):
        found = _word_run_at(pages[i].lower(), words)
        if found:
            return i, found[-1]
    return None


# --------------------------------------------------------------------------- splitting


def _marker_ok(s: str, m: re.Match[str], para_start: bool) -> bool:
    if not _ENTRY_START_RE.match(s, m.end()):
        # "14.Ижанов", "1. van Dijk" are fine at a paragraph start; inline only a capital can follow
        if not para_start or _NOT_ENTRY_START_RE.match(s, m.end()):
            return False
    if para_start:
        return True
    if m.group("num") and not m.group("punct"):
        return False                                   # bare "12 Иванов" only at a paragraph start
    before = s[max(0, m.start() - 40): m.start()].rstrip()
    if not before or before[-1] not in ".;)]»\"”":
        return False
    if m.group("br"):
        return True
    # "Т. 3. ", "Вып. 3. " are volume numbers; "736 с. 2. " is a book's extent followed by entry 2
    word = _WORD_BEFORE_DOT_RE.search(before[:-1]) if before[-1] == "." else None
    if word:
        w = word.group(2)
        if (w.lower() in _ABBR and not word.group(1).isdigit()) or (len(w) == 1 and w.isupper()):
            return False
    return True


def _markers(s: str, starts: list[int]) -> dict[int, list[tuple[int, int, str]]]:
    """Candidate entry numbers: number -> [(start, end, style)] in text order."""
    out: dict[int, list[tuple[int, int, str]]] = {}
    start_set = set(starts)
    for m in _MARK_RE.finditer(s):
        para_start = m.start() in start_set
        if not _marker_ok(s, m, para_start):
            continue
        if m.group("br"):
            n, style = int(m.group("br")), "bracket"
        else:
            n, style = int(m.group("num")), "dot"
        if n == 0:
            continue
        out.setdefault(n, []).append((m.start(), m.end(), style))
    return out


def _para_starts(paras: list[_Para]) -> tuple[str, list[int]]:
    starts, pos = [], 0
    for p in paras:
        starts.append(pos)
        pos += len(p.text) + 2
    return "\n\n".join(p.text for p in paras), starts


def _is_stop(p: str) -> bool:
    if _STOP_RE.match(p):
        return True
    if len(p) <= 120 and _BYLINE_RE.match(p):
        return True
    if len(p) > 400 or not p[:1].isupper() or not p[1:2].isupper():
        return False                     # an upper-case title is short and starts in capitals
    letters = sum(map(str.isalpha, p))
    if letters >= 15 and p.count(" ") >= 2 and sum(map(str.isupper, p)) >= 0.85 * letters:
        return not _YEAR_RE.search(p) or letters > 60        # an upper-case title, not "ГОСТ 7.1-2003."
    return False


def _cut_trailer(text: str) -> str:
    m = _TRAILER_RE.search(text)
    return text[: m.start()].rstrip() if m and m.start() > 15 else text


def _numbered(s: str, starts: list[int], paras: list[_Para], first: tuple[int, int, str], first_n: int,
              cands: dict[int, list[tuple[int, int, str]]]) -> tuple[list[tuple[int, int, int]], list[str]]:
    """Spans (number, start, end) of a numbered list, following the numbers in sequence."""
    problems: list[str] = []
    chosen = [(first_n, first[0], first[1])]
    style = first[2]
    n = first_n
    while True:
        cur_end = chosen[-1][2]
        nxt = None
        for step in (1, 2):
            for st, en, sty in cands.get(n + step, []):
                if st < cur_end or sty != style:
                    continue
                if st - cur_end > _MAX_GAP:
                    break
                nxt = (n + step, st, en)
                break
            if nxt:
                if step == 2:
                    problems.append(f"number {n + 1} missing")
                break
        if not nxt:
            break
        # a stop paragraph between two numbers means the list ended before the second one
        i0 = bisect.bisect_right(starts, cur_end)
        i1 = bisect.bisect_left(starts, nxt[1])
        if any(_is_stop(paras[i].text) for i in range(i0, i1)):
            break
        chosen.append(nxt)
        n = nxt[0]
    spans = []
    for k, (num, st, en) in enumerate(chosen):
        end = chosen[k + 1][1] if k + 1 < len(chosen) else _last_entry_end(s, starts, paras, en)
        spans.append((num, en, end))
    return spans, problems


def _last_entry_end(s: str, starts: list[int], paras: list[_Para], pos: int) -> int:
    """End of the last entry: its paragraph plus following paragraphs that continue it (the entry had
    not ended with a full stop, or the next paragraph is its URL or continues in lower case)."""
    i = bisect.bisect_right(starts, pos) - 1
    end = starts[i] + len(paras[i].text)
    j = i + 1
    while j < len(paras) and j <= i + 3:
        t = paras[j].text
        if _is_stop(t) or len(t) > 400 or _BULLET_RE.match(t):
            break
        open_end = s[:end].rstrip()[-1:] not in (".", "!", "?")
        if not (open_end or _LINK_START_RE.match(t)):
            break
        if not open_end and not _CONTINUATION_RE.match(t):
            break
        end = starts[j] + len(t)
        j += 1
    return end


def _unnumbered(paras: list[_Para], starts: list[int]) -> list[tuple[int, int, int]]:
    """One entry per paragraph; paragraphs that continue a sentence (lower case, "//", a URL, ...) join it."""
    spans: list[tuple[int, int, int]] = []
    i = 0
    while i < len(paras):
        if _is_stop(paras[i].text):
            break
        j = i + 1
        while j < len(paras) and not _is_stop(paras[j].text) and _CONTINUATION_RE.match(paras[j].text):
            j += 1
        text = " ".join(p.text for p in paras[i:j])
        if not (_YEAR_RE.search(text) or _REFLIKE_RE.search(text)) or len(text) > 1500:
            break
        spans.append((0, starts[i], starts[j - 1] + len(paras[j - 1].text)))
        i = j
    return spans


def _split(paras: list[_Para]) -> tuple[list[tuple[int, int, int]], str, list[str], str, list[int]]:
    """Entry spans in the joined paragraph text, the numbering style, problems, the text and starts."""
    s, starts = _para_starts(paras)
    if not s:
        return [], "none", [], s, starts
    cands = _markers(s, starts)
    first = None
    for n, lst in cands.items():
        for st, en, sty in lst:
            if st <= 3 and (first is None or st < first[1][0]):
                first = (n, (st, en, sty))
    if first is not None and first[0] <= 3:
        spans, problems = _numbered(s, starts, paras, first[1], first[0], cands)
        return spans, first[1][2], problems, s, starts
    return _unnumbered(paras, starts), "none", [], s, starts


def split_entries(text: str) -> list[str]:
    """The entries of one reference list given as text (without its heading), each as one line."""
    paras = [_Para(0, p) for p in _paragraphs(text)]
    spans, _, _, s, _ = _split(paras)
    out = []
    for _, st, en in spans:
        raw = _cut_trailer(squash(s[st:en]))
        if raw:
            out.append(raw)
    return out


# --------------------------------------------------------------------------- lists


def _page_of(starts: list[int], paras: list[_Para], pos: int) -> int:
    return paras[max(0, bisect.bisect_right(starts, pos) - 1)].page


def _list_status(entries: list[Reference]) -> tuple[str, list[str]]:
    if not entries:
        return UNPARSED, ["no entries found under the heading"]      # such a list is dropped
    bad = sum(1 for e in entries if e.parse_status == UNPARSED)
    weak = sum(1 for e in entries if e.parse_status == PARTIAL)
    problems = []
    if bad:
        problems.append(f"{bad} of {len(entries)} entries unparsed")
    if weak:
        problems.append(f"{weak} of {len(entries)} entries partly parsed")
    if bad * 2 >= len(entries):
        return UNPARSED, problems
    return (PARSED if not bad and not weak else PARTIAL), problems


def _article_start_between(text: str) -> bool:
    """True when ``text`` holds the start of another article (УДК, ©, upper-case title)."""
    return any(_STOP_RE.match(p) or _is_stop(p) for p in _paragraphs(text)[:40])


def find_reference_lists(pages: list[str], title: str = "", next_title: str = "") -> list[ReferenceList]:
    """Every reference list in one article's pages, entries parsed; [] when there is none.

    For an article of a volume pass its pages up to and including the page the next article starts on
    (a list often runs onto it), with ``title`` and ``next_title``: text before the article's own title
    on its first page (the previous article's tail) and from the next article's title on is ignored.
    Without ``title`` a list on the first page that the start of another article follows is taken for
    the previous article's tail.
    """
    if isinstance(pages, str) or not all(isinstance(p, str) for p in pages):
        raise TypeError("find_reference_lists takes a list of page texts (strings), one item a page")
    if next_title:
        cut = _title_offset(pages, next_title, last=True)
        if cut and (cut[0] > 0 or not title):
            pages = pages[: cut[0]] + [pages[cut[0]][: cut[1]]]
    skip_before = _title_offset(pages, title) if title else None
    heads: list[tuple[int, int, int, str]] = []
    for i, page in enumerate(pages):
        for st, en, head in _headings(page):
            if skip_before and (i, st) < skip_before:
                continue
            heads.append((i, st, en, head))
    if not heads:
        return []
    repeated = _repeated_edges(pages)
    found = [_read_list(pages, head, heads[k + 1] if k + 1 < len(heads) else None, repeated)
             for k, head in enumerate(heads)]
    return _drop_previous_tail(found, pages, bool(skip_before))


def _read_list(pages: list[str], head: tuple[int, int, int, str], nxt: tuple[int, int, int, str] | None,
               repeated: set[str]) -> tuple[ReferenceList, str]:
    """The list under one heading, and the text that follows its last entry (up to the next heading)."""
    pi, _, en, heading = head
    paras: list[_Para] = []
    size = 0
    for pj in range(pi, len(pages)):
        if pj == pi:
            text = pages[pi][en: nxt[1] if nxt and nxt[0] == pi else None]
            chunk = _strip_page_edges(_paragraphs(text), repeated, top=False)
        else:
            if nxt and nxt[0] < pj:
                break
            text = pages[pj][: nxt[1]] if nxt and nxt[0] == pj else pages[pj]
            chunk = _strip_page_edges(_paragraphs(text), repeated, top=True)
        paras.extend(_Para(pj, t) for t in chunk)
        size += sum(len(t) for t in chunk)
        # no list runs past the start of the next article or its own end matter: read no further
        if size > _MAX_REGION or (nxt and nxt[0] == pj and pj != pi) or any(map(_is_stop, chunk)):
            break
    spans, numbering, problems, s, starts = _split(paras)
    entries = []
    for num, a, b in spans:
        raw = _cut_trailer(squash(s[a:b]))
        if not raw:
            continue
        ref = parse_entry(raw, number=num or None)
        ref.page = _page_of(starts, paras, a) + 1
        entries.append(ref)
    last_page = _page_of(starts, paras, spans[-1][2] - 1) + 1 if spans else pi + 1
    status, more = _list_status(entries)
    lst = ReferenceList(heading=heading, first_page=pi + 1, last_page=last_page, entries=entries,
                        numbering=numbering, script=script_of(" ".join(e.raw for e in entries)),
                        parse_status=status, problems=problems + more)
    return lst, (s[spans[-1][2]:] if spans else s)


def _drop_previous_tail(found: list[tuple[ReferenceList, str]], pages: list[str],
                        title_found: bool) -> list[ReferenceList]:
    """Without a located title, drop lists on the first page that another article's start follows; drop
    headings with nothing under them (a contents line)."""
    out = []
    for k, (lst, tail) in enumerate(found):
        if not lst.entries:
            continue
        if title_found or lst.first_page != 1 or len(pages) < 2:
            out.append(lst)
            continue
        later = k + 1 < len(found)
        rest = tail + "\n\n" + "\n\n".join(pages[lst.last_page:])
        followed = _article_start_between(tail) if later else (_article_start_between(tail) and len(rest) > 3000)
        if not followed:
            out.append(lst)
    return out


def volume_reference_lists(pages: list[str], spans: list[ArticleSpan]) -> list[list[ReferenceList]]:
    """The reference lists of each article of a volume (one item per span, in order).

    Each article is read from its first page up to and including the page the next article starts on,
    with both titles, as ``find_reference_lists`` recommends; page numbers in the results stay relative
    to the article's first page.
    """
    out = []
    for k, span in enumerate(spans):
        nxt = spans[k + 1] if k + 1 < len(spans) else None
        last = nxt.first_page if nxt else span.last_page
        out.append(find_reference_lists(pages[span.first_page - 1: max(last, span.last_page)], span.title,
                                        nxt.title if nxt else ""))
    return out
