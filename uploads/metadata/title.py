"""The title of an article: found on its first page in named steps, put into a readable case."""
from __future__ import annotations

import re

from uploads.text import (AFFIL_WORDS, CAPS_TITLE, LOL, UPL, author_line, clean_lines, is_caps, is_udc_line, join_lines,
                          letters, upper_ratio)

from .authors import affiliation_end
from .markers import ABSTRACT_MARK, BODY_START, HEADER_RE, KEYWORDS_MARK, REFERENCE_LINE, ends_front

# Titles are looked for in the first lines of the page only.
_TITLE_ZONE = 60
_MAX_TITLE_CHARS = 400

_ROMAN = re.compile(r"^[IVXLCDM]+$")
_SECTION_NO = re.compile(r"^(?:\d{1,2}|[IVX]{1,4})\.\s")
_GENRE_RE = re.compile(
    r"^(?:бакалаврская|магистерская|дипломная|курсовая|выпускная|квалификационная|диссертация|автореферат|"
    r"реферат|тезисы|отч[её]т|статья|доклад|дипломдық|курстық|магистрлік|ғылыми[- ]зерттеу|зерттеу\s+жұмысы|"
    r"научная\s+статья|на\s+тему|тақырыбы|тема)\b[\w\s\-]{0,40}$",
    re.IGNORECASE,
)
# A title line that ends in one of these words goes on: the next line belongs to it.
_FUNCTION_WORDS = frozenset(
    "и в во на с со по для о об от к ко из при без между как или а но через над под за до у не это "
    "және мен бен пен немесе мен де да үшін туралы арқылы "
    "of and the in for on to with a an by from at or as".split()
)
_MAX_TITLE_LINES = 8
_TITLE_LABEL = re.compile(r"^(?:Тақырыбы|Тема(?:\s+работы)?|Title|Название|Атауы)\s*[:.]\s*(\S.{5,})$", re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Line tests
# --------------------------------------------------------------------------------------------


def _is_skip_line(t: str) -> bool:
    """Empty, a header (journal, УДК, ISSN…), too few letters, or numbers only."""
    return (not t or bool(HEADER_RE.search(t)) or letters(t) < 3
            or re.fullmatch(r"[\d\s.,:;()\-–—/]+", t) is not None)


def garbage(t: str) -> bool:
    """Text that is clearly a broken text layer (cid codes, mojibake)."""
    if "(cid:" in t or "\ufffd" in t:
        return True
    al = [c for c in t if c.isalpha()]
    if not al:
        return True
    odd = sum(1 for c in al if "\u00c0" <= c <= "\u024f" or "\u0250" <= c <= "\u02af")
    return odd / len(al) > 0.2


_SECTION = re.compile(r"^\s*(?:Секция|СЕКЦИЯ|Section|SECTION|Раздел|РАЗДЕЛ|Бөлім|БӨЛІМ|Часть|ЧАСТЬ)\b")
# a running header: "TITLE OF THE ARTICLE . . . 283" / "… 137"
_RUNNING_HEADER = re.compile(r"(?:\.\s?){3,}\s*\d{1,4}\s*$|…\s*\d{1,4}\s*$")


def _bad(t: str) -> bool:
    # a reference-list line ("… – К.: ИППЅ НАНУ, 2009. – 201 с.") is never a title
    return (_is_skip_line(t) or _GENRE_RE.match(t) is not None or garbage(t) or bool(REFERENCE_LINE.search(t))
            or bool(_SECTION.match(t)) or bool(_RUNNING_HEADER.search(t)))


def _affil_only(t: str) -> bool:
    return bool(AFFIL_WORDS.search(t)) and not is_caps(t)


def _title_block_ok(block: list[str]) -> bool:
    text = " ".join(block)
    if letters(text) < 6 or len(text) > _MAX_TITLE_CHARS:
        return False
    return not (ABSTRACT_MARK.match(text) or KEYWORDS_MARK.match(text) or BODY_START.match(text))


# --------------------------------------------------------------------------------------------
# Readable case
# --------------------------------------------------------------------------------------------


def _word_evidence(context: str) -> tuple[set[str], set[str], set[str]]:
    """Words seen in lower case, capitalised mid-sentence, and in capitals inside mixed-case lines."""
    lower: set[str] = set()
    mid_cap: set[str] = set()
    acr: set[str] = set()
    running = " ".join(x for x in context.split("\n") if upper_ratio(x) <= 0.5)
    prev = ""
    for m in re.finditer(rf"[{UPL}{LOL}]+|[.!?:;«»\"()]", running):
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


def _case_word(tok: str, evidence: tuple[set[str], set[str], set[str]]) -> str:
    lower, mid_cap, acr = evidence
    low = tok.lower()
    if _ROMAN.match(tok) and len(tok) <= 5 and low not in lower:
        return tok
    if len(tok) == 1:
        return low
    if tok in acr and low not in lower:
        return tok  # acronym seen in capitals in running text
    if low in mid_cap and low not in lower:
        return tok[:1] + tok[1:].lower()  # proper noun
    if re.search(r"\d", tok):
        return tok
    return low


def readable_case(title: str, context: str) -> str:
    """Convert an UPPER-CASE title to sentence case, keeping acronyms and proper nouns seen in the running text."""
    if upper_ratio(title) < CAPS_TITLE:
        return title
    evidence = _word_evidence(context)
    out = []
    first_word = True
    for tok in re.split(r"(\s+|[-–—«»\"“”„()/:.,;!?])", title):
        if not tok or not re.search(r"[^\W\d_]", tok):
            out.append(tok)
            if tok and re.fullmatch(r"[.!?]", tok.strip()):
                first_word = True
            continue
        new = _case_word(tok, evidence)
        if first_word:
            new = new[:1].upper() + new[1:]
            first_word = False
        out.append(new)
    return "".join(out)


def title_from_block(block: list[str], context: str) -> str:
    """One title from its lines: joined, outer quotes dropped, readable case."""
    t = join_lines(block)
    t = re.sub(r"^[«\"“„]\s*(.*?)\s*[»\"”“]$", r"\1", t)
    return readable_case(t, context)


# --------------------------------------------------------------------------------------------
# Continuation across line breaks
# --------------------------------------------------------------------------------------------


def _unbalanced(text: str) -> bool:
    """An opening quote or bracket that the text does not close."""
    return (text.count("«") > text.count("»") or text.count("(") > text.count(")") or text.count("[") > text.count("]")
            or text.count("„") > text.count("“") or text.count('"') % 2 == 1)


def _dangling(line: str) -> bool:
    """The line cannot end a title: a comma, colon or dash, or a conjunction/preposition as its last word."""
    s = line.rstrip()
    if re.search(r"[,:;–—-]$", s) and not re.search(r"\d[–—-]$", s):
        return True
    words = re.findall(rf"[{UPL}{LOL}]+", s)
    return bool(words) and words[-1].lower() in _FUNCTION_WORDS


def _stops_title(u: str) -> bool:
    return (not u or ends_front(u) or _bad(u) or is_udc_line(u) or bool(author_line(u))
            or len(u) > 160 or u.rstrip().endswith(".") and len(u) > 80)


def _extend_title(lines: list[str], block: list[str], end: int, limit: int) -> list[str]:
    """Lines after the block that still belong to the title: after an open quote/bracket or a dangling line end
    (one blank line may sit between), and lines that go on in lower case right below it."""
    block = list(block)
    j = end
    while j < limit and len(block) < _MAX_TITLE_LINES:
        need = _unbalanced(" ".join(block)) or _dangling(block[-1])
        if need and not lines[j] and j + 1 < limit:
            j += 1
        u = lines[j]
        if _stops_title(u):
            break
        # a line in lower case or a parenthesis ("(г. САМАРА) В 2010 году") right below goes on with the title
        if not (need or re.match(rf"[{LOL}]|\(", u)):
            break
        block.append(u)
        j += 1
    return block


# --------------------------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------------------------


def _labelled_title(lines: list[str], limit: int) -> tuple[list[str], int, int] | None:
    """Step 0: an explicit label, "Тақырыбы: …", "Тема: …"."""
    for i, t in enumerate(lines[:limit]):
        m = _TITLE_LABEL.match(t)
        if m and not garbage(m.group(1)):
            return [m.group(1)], i, i + 1
    return None


def _mode(values: list[float]) -> float:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts.items(), key=lambda kv: (kv[1], -kv[0]))[0] if counts else 0.0


def _largest_run(cand: list[tuple[str, float]], top: float) -> list[str]:
    """The first run of consecutive lines set in the font size ``top``."""
    block: list[str] = []
    for t, sz in cand:
        if abs(round(sz, 1) - top) < 0.3:
            block.append(t)
        elif block:
            break
    return block


def _font_title(lines: list[str], font_lines: list[tuple[str, float]] | None
                ) -> tuple[list[str], int | None, int | None] | None:
    """Step 1: the run of largest-font lines near the top, when clearly above the body size."""
    cand = _font_candidates(font_lines)
    for block in (_largest_run(cand, top) for top in _title_sizes(cand)):
        if block and _title_block_ok(block) and len(block) <= 5:
            return block, *_block_position(lines, block)
    return None


def _font_candidates(font_lines: list[tuple[str, float]] | None) -> list[tuple[str, float]]:
    """The first 80 page-1 lines with their sizes, headers and by-lines left out."""
    cand = [(clean_lines(t)[0], sz) for t, sz in (font_lines or [])[:80] if t and t.strip()]
    return [(t, sz) for t, sz in cand if not _bad(t) and not author_line(t)]


def _title_sizes(cand: list[tuple[str, float]]) -> list[float]:
    """The (at most two) largest font sizes that stand clearly above the body size."""
    if not cand:
        return []
    body = _mode([round(sz, 1) for _, sz in cand])
    return [top for top in sorted({round(sz, 1) for _, sz in cand}, reverse=True)[:2] if top > body + 0.5]


def _block_position(lines: list[str], block: list[str]) -> tuple[int | None, int | None]:
    """(first line, line after the block) of a font-size block in the page lines, when it is there as is."""
    idx = next((k for k, x in enumerate(lines) if x and x == block[0]), None)
    end = idx + len(block) if idx is not None and lines[idx:idx + len(block)] == block else None
    return idx, end


def _caps_start(t: str, i: int, author_idx: list[int]) -> bool:
    return bool(t) and not _bad(t) and is_caps(t) and letters(t) >= 8 and i not in author_idx and not _affil_only(t)


def _after_section(lines: list[str], i: int) -> bool:
    """The block at ``i`` names a section of the volume: the line above it is "Секция 1" / "Секция 1. …"."""
    k = i - 1
    while k >= 0 and not lines[k]:
        k -= 1
    return k >= 0 and bool(_SECTION.match(lines[k]))


def _grow_caps_block(lines: list[str], i: int, limit: int, author_idx: list[int]) -> tuple[list[str], int]:
    """The upper-case block starting at line ``i`` (a blank line inside a short title is bridged)."""
    block = [lines[i]]
    j = i + 1
    while j < limit and len(block) < 6:
        u = lines[j]
        if not u:
            nx = lines[j + 1] if j + 1 < limit else ""
            if (nx and is_caps(nx) and (j + 1) not in author_idx and not _bad(nx) and len(block) < 3
                    and not block[-1].endswith(".") and len(nx.split()) <= 2 and not _SECTION_NO.match(block[0])):
                j += 1
                continue
            break
        if j in author_idx or _bad(u) or not is_caps(u) or author_line(u):
            break
        block.append(u)
        j += 1
    return block, j


def _short_top_heading(lines: list[str], limit: int, author_idx: list[int]) -> tuple[list[str], int, int] | None:
    """A one- or two-word UPPER-CASE heading as the page's first line, with running text (not more caps) below it:
    a poem's or a short piece's name ("МАСА") is a title although shorter than a caps block has to be. Not in an
    article with an УДК line (its title is a caps block below that line)."""
    if any(is_udc_line(lines[k]) for k in range(min(limit, 15))):
        return None
    i = next((k for k in range(limit) if not _is_skip_line(lines[k])), None)
    if i is None or i in author_idx:
        return None
    nxt = next((u for u in lines[i + 1: limit] if u), "")
    return ([lines[i]], i, i + 1) if _short_caps(lines[i]) and nxt and not is_caps(nxt) and not _bad(nxt) else None


def _short_caps(t: str) -> bool:
    """One or two UPPER-CASE words of four to seven letters, not a header or a name."""
    return is_caps(t) and 4 <= letters(t) < 8 and len(t.split()) <= 2 and not _bad(t) and not author_line(t)


def _caps_title(lines: list[str], limit: int, author_idx: list[int]) -> tuple[list[str], int, int] | None:
    """Step 2: the first UPPER-CASE block near the top that is not a header or an author line."""
    blocks: list[tuple[int, list[str], int]] = []
    # in a volume the article's title follows its УДК line; caps lines above it are the book's headings
    udc = next((k for k in range(limit) if is_udc_line(lines[k])), None)
    i = udc + 1 if udc is not None and udc < 15 else 0
    while i < limit and len(blocks) < 2:
        if not _caps_start(lines[i], i, author_idx):
            i += 1
            continue
        block, j = _grow_caps_block(lines, i, limit, author_idx)
        if _title_block_ok(block) and not _after_section(lines, i):
            blocks.append((i, block, j))
        i = j
    if not blocks:
        return None
    start, block, end = blocks[0]
    # "1. А.БАЙТҰРСЫНҰЛЫНЫҢ ЖИНАҚТАРҒА ..." is a section heading when another caps block follows closely.
    if len(blocks) > 1 and _SECTION_NO.match(block[0]) and blocks[1][0] - (start + len(block)) <= 3:
        start, block, end = blocks[1]
    return block, start, end


def _block_before(lines: list[str], first_author: int) -> tuple[list[str], int]:
    k = first_author - 1
    while k >= 0 and not lines[k]:
        k -= 1
    before: list[str] = []
    while k >= 0 and lines[k] and not _bad(lines[k]) and len(before) < 4:
        before.insert(0, lines[k])
        k -= 1
    return before, k + 1


def _block_after(lines: list[str], last_author: int, limit: int) -> tuple[list[str], int]:
    j = affiliation_end(lines, last_author + 1)
    while j < limit and (not lines[j] or _affil_only(lines[j]) or _bad(lines[j])):
        j += 1
    start = j
    after: list[str] = []
    while j < limit and lines[j] and len(after) < 4 and not _bad(lines[j]):
        after.append(lines[j])
        j += 1
    return after, start


def _title_near_authors(lines: list[str], limit: int, author_idx: list[int]) -> tuple[list[str], int, int] | None:
    """Step 3: the block next to the author line(s): before them if the authors follow the title, else after."""
    if not author_idx:
        return None
    for block, st in (_block_before(lines, min(author_idx)), _block_after(lines, max(author_idx), limit)):
        if block and _title_block_ok(block) and not block[-1].endswith(".") and len(join_lines(block)) < 300:
            return block, st, st + len(block)
    return None


def _standalone_first_line(lines: list[str], limit: int) -> tuple[list[str], int, int] | None:
    """Step 4: a short first line with a blank line below it (a Word heading: "Дәріс №1. Негізгі түсініктер"); one
    capitalised word ("Өмірбаян") when running text follows it."""
    i = next((k for k in range(limit) if lines[k]), None)
    if i is None or i + 1 >= len(lines) or lines[i + 1]:
        return None
    t = lines[i]
    words = t.split()
    if _bad(t) or author_line(t) or re.search(r"[.!?]$", t):
        return None
    if 2 <= len(words) <= 15 or _one_word_heading(t, next((u for u in lines[i + 1:] if u), "")):
        return [t], i, i + 1
    return None


def _one_word_heading(t: str, nxt: str) -> bool:
    """One capitalised word of five letters or more over running text ("Өмірбаян")."""
    return len(t.split()) == 1 and letters(t) >= 5 and t[0].isupper() and len(nxt) >= 60 and not is_caps(nxt)


# A library record printed at the head of the page: "Куркулов, Е. Title: other title information / …"
_RECORD_HEAD = re.compile(rf"^[{UPL}][{LOL}]+(?:-[{UPL}][{LOL}]+)?,\s*[{UPL}]\.(?:\s?[{UPL}]\.)?\s+(\S.*)$")
_RECORD_END = re.compile(r"\s(?:/|//)\s|\.\s[–—-]\s")


def _words(t: str) -> list[str]:
    return re.sub(r"[^\w]+", " ", t.lower().replace("ё", "е")).split()


def _record_subtitle(lines: list[str], title: str) -> str:
    """The other title information (": Ғылыми-зерттеу жұмысы") that a bibliographic record at the top of the page
    prints after the same title; "" when there is no such record or it names another title."""
    top = [i for i, t in enumerate(lines[:12]) if t][:3]
    for i in top:
        m = _RECORD_HEAD.match(lines[i])
        if not m:
            continue
        rec = m.group(1)
        k = i + 1
        while k < len(lines) and lines[k] and lines[k][0].islower():     # the record goes on in lower case
            rec += " " + lines[k]
            k += 1
        rec = _RECORD_END.split(rec)[0].strip(" .")
        want = _words(title)
        if not want or _words(rec)[: len(want)] != want:
            continue
        # the printed rest after the title's last word, when it starts with the colon of other title information
        pos = 0
        for w in want:
            pos = rec.lower().replace("ё", "е").index(w, pos) + len(w)
        rest = rec[pos:].lstrip(" »”\")]")
        if rest.startswith(":") and _words(rest):
            return ": " + rest[1:].strip()
    return ""


def find_title(
    lines: list[str], author_idx: list[int], font_lines: list[tuple[str, float]] | None, context: str
) -> tuple[str, int | None]:
    """Pick the title block from the first page lines; returns (title, index of its first line or None)."""
    limit = next((i for i, t in enumerate(lines)
                  if ABSTRACT_MARK.match(t) or KEYWORDS_MARK.match(t) or BODY_START.match(t)), len(lines))
    limit = min(limit, _TITLE_ZONE)
    found = (_labelled_title(lines, limit) or _font_title(lines, font_lines)
             or _short_top_heading(lines, limit, author_idx) or _caps_title(lines, limit, author_idx)
             or _title_near_authors(lines, limit, author_idx) or _standalone_first_line(lines, limit))
    if not found:
        return "", None
    block, start, end = found
    if end is not None:
        block = _extend_title(lines, block, end, limit)
    title = title_from_block(block, context)
    return title + _record_subtitle(lines, title), start


def list_heading(lines: list[str], context: str) -> tuple[str, int] | None:
    """A list of works is titled by its first line ("МҰРАСЫ:"), not by its first section heading or entry."""
    i = next((k for k, t in enumerate(lines) if t), None)
    if i is None:
        return None
    t = lines[i]
    if len(t.split()) > 8 or _bad(t) or author_line(t):
        return None
    return title_from_block([t], context), i


def _prose(t: str) -> bool:
    # a running header "Title of the volume · Алматы, 2023" is not prose
    return (len(t) > 45 and upper_ratio(t) < 0.3 and not HEADER_RE.search(t) and not author_line(t)
            and not AFFIL_WORDS.search(t) and not re.search(r"\d{4}\s*$", t))


def previous_article_tail(lines: list[str], title_idx: int | None, refs: set[int] | frozenset[int] = frozenset(),
                          first_author: int | None = None) -> int:
    """Number of leading lines that belong to the previous article (its prose or reference list before the title).

    The previous article ends above this one's by-line (``first_author``) when that comes before the title."""
    if title_idx is None or title_idx <= 2:
        return 0
    stop = min(title_idx, first_author) if first_author is not None else title_idx
    prev = [i for i in range(stop) if i in refs or _prose(lines[i])]
    if len(prev) < 2:
        return 0
    end = max(prev) + 1
    # the previous article's closing lines (a signature, its source line and date) follow, blank lines between;
    # this article's own УДК line or by-line ends them
    while end < title_idx and (not lines[end] or (len(lines[end]) < 60 and not is_udc_line(lines[end])
                                                  and not author_line(lines[end]))):
        end += 1
    while end > 0 and not lines[end - 1]:
        end -= 1
    return end


__all__ = ["find_title", "list_heading", "previous_article_tail", "readable_case", "title_from_block", "garbage"]


# --------------------------------------------------------------------------------------------
# A stored title judged on its own (``manage.py check`` reports titles that break these rules)
# --------------------------------------------------------------------------------------------

_GENERIC_TITLES = frozenset(t.casefold() for t in (
    "Межгосударственный стандарт", "Государственный стандарт", "Национальный стандарт",
    "Материалы Международной научной конференции", "Материалы международной научно-практической конференции",
    "Материалы конференции", "Сборник научных трудов", "Сборник статей", "Содержание", "Оглавление",
    "Введение", "Аннотация", "Мазмұны", "Кіріспе", "Аңдатпа", "Contents", "Introduction", "Abstract"))
_PAIRS = (("«", "»"), ("(", ")"), ("[", "]"), ("„", "“"))
# Words a complete title never ends on: Russian and English prepositions and conjunctions, Kazakh conjunctions
# (Kazakh postpositions — туралы, үшін, арқылы — do end phrases: «ақындары туралы»).
_NEVER_LAST = frozenset(_FUNCTION_WORDS - {"туралы", "үшін", "арқылы"})


def title_problems(title: str) -> list[str]:
    """What is wrong with a title as stored: "cut" (it stops at a function word, a comma or an open quote or
    bracket), "reference" (it is a line of a reference list), "generic" (a header, not this work's title)."""
    t = " ".join((title or "").split())
    if not t:
        return ["empty"]
    out: list[str] = []
    last = re.findall(r"[\w-]+", t.casefold())
    if t[-1] in ",;:–—-(«„" or (last and last[-1] in _NEVER_LAST and not t.endswith((".", "?", "!", "»", ")"))):
        out.append("cut")
    elif any(t.count(a) > t.count(b) for a, b in _PAIRS) or t.count('"') % 2:
        out.append("cut")
    if REFERENCE_LINE.search(t):
        out.append("reference")
    if t.casefold().rstrip(".") in _GENERIC_TITLES:
        out.append("generic")
    return out
