"""The title of an article: found on its first page in named steps, put into a readable case."""
from __future__ import annotations

import re

from uploads.text import (AFFIL_WORDS, CAPS_TITLE, LOL, UPL, author_line, clean_lines, is_caps, join_lines, letters,
                          upper_ratio)

from .markers import ABSTRACT_MARK, BODY_START, HEADER_RE, KEYWORDS_MARK

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


def _bad(t: str) -> bool:
    return _is_skip_line(t) or _GENRE_RE.match(t) is not None or garbage(t)


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
# The steps
# --------------------------------------------------------------------------------------------


def _labelled_title(lines: list[str], limit: int) -> tuple[list[str], int] | None:
    """Step 0: an explicit label, "Тақырыбы: …", "Тема: …"."""
    for i, t in enumerate(lines[:limit]):
        m = _TITLE_LABEL.match(t)
        if m and not garbage(m.group(1)):
            return [m.group(1)], i
    return None


def _mode(values: list[float]) -> float:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return max(counts.items(), key=lambda kv: (kv[1], -kv[0]))[0] if counts else 0.0


def _font_title(lines: list[str], font_lines: list[tuple[str, float]] | None) -> tuple[list[str], int | None] | None:
    """Step 1: the run of largest-font lines near the top, when clearly above the body size."""
    if not font_lines:
        return None
    cand = [(clean_lines(t)[0], sz) for t, sz in font_lines[:80] if t and t.strip()]
    cand = [(t, sz) for t, sz in cand if not _bad(t) and not author_line(t)]
    if not cand:
        return None
    sizes = sorted({round(sz, 1) for _, sz in cand}, reverse=True)
    body = _mode([round(sz, 1) for _, sz in cand])
    for top in sizes[:2]:
        if top <= body + 0.5:
            break
        block: list[str] = []
        for t, sz in cand:
            if abs(round(sz, 1) - top) < 0.3:
                block.append(t)
            elif block:
                break
        if block and _title_block_ok(block) and len(block) <= 5:
            idx = next((k for k, x in enumerate(lines) if x and x == block[0]), None)
            return block, idx
    return None


def _caps_start(t: str, i: int, author_idx: list[int]) -> bool:
    return bool(t) and not _bad(t) and is_caps(t) and letters(t) >= 8 and i not in author_idx and not _affil_only(t)


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


def _caps_title(lines: list[str], limit: int, author_idx: list[int]) -> tuple[list[str], int] | None:
    """Step 2: the first UPPER-CASE block near the top that is not a header or an author line."""
    blocks: list[tuple[int, list[str]]] = []
    i = 0
    while i < limit and len(blocks) < 2:
        if not _caps_start(lines[i], i, author_idx):
            i += 1
            continue
        block, j = _grow_caps_block(lines, i, limit, author_idx)
        if _title_block_ok(block):
            blocks.append((i, block))
        i = j
    if not blocks:
        return None
    start, block = blocks[0]
    # "1. А.БАЙТҰРСЫНҰЛЫНЫҢ ЖИНАҚТАРҒА ..." is a section heading when another caps block follows closely.
    if len(blocks) > 1 and _SECTION_NO.match(block[0]) and blocks[1][0] - (start + len(block)) <= 3:
        start, block = blocks[1]
    return block, start


def _title_near_authors(lines: list[str], limit: int, author_idx: list[int]) -> tuple[list[str], int] | None:
    """Step 3: the block next to the author line(s): before them if the authors follow the title, else after."""
    if not author_idx:
        return None
    k = min(author_idx) - 1
    while k >= 0 and not lines[k]:
        k -= 1
    before: list[str] = []
    while k >= 0 and lines[k] and not _bad(lines[k]) and len(before) < 4:
        before.insert(0, lines[k])
        k -= 1
    j = max(author_idx) + 1
    while j < limit and (not lines[j] or _affil_only(lines[j]) or _bad(lines[j])):
        j += 1
    after_start = j
    after: list[str] = []
    while j < limit and lines[j] and len(after) < 4 and not _bad(lines[j]):
        after.append(lines[j])
        j += 1
    for block, st in ((before, k + 1), (after, after_start)):
        if block and _title_block_ok(block) and not block[-1].endswith(".") and len(join_lines(block)) < 300:
            return block, st
    return None


def find_title(
    lines: list[str], author_idx: list[int], font_lines: list[tuple[str, float]] | None, context: str
) -> tuple[str, int | None]:
    """Pick the title block from the first page lines; returns (title, index of its first line or None)."""
    limit = next((i for i, t in enumerate(lines)
                  if ABSTRACT_MARK.match(t) or KEYWORDS_MARK.match(t) or BODY_START.match(t)), len(lines))
    limit = min(limit, _TITLE_ZONE)
    found = (_labelled_title(lines, limit) or _font_title(lines, font_lines) or _caps_title(lines, limit, author_idx)
             or _title_near_authors(lines, limit, author_idx))
    if not found:
        return "", None
    block, start = found
    return title_from_block(block, context), start


def previous_article_tail(lines: list[str], title_idx: int | None) -> int:
    """Number of leading lines that belong to the previous article (prose before the title block)."""
    if title_idx is None or title_idx <= 2:
        return 0
    prose = sum(
        1 for t in lines[:title_idx]
        if len(t) > 45 and upper_ratio(t) < 0.3 and not HEADER_RE.search(t) and not author_line(t)
        and not AFFIL_WORDS.search(t)
    )
    return title_idx if prose >= 2 else 0


__all__ = ["find_title", "previous_article_tail", "readable_case", "title_from_block", "garbage"]
