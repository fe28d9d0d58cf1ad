"""Authors of an article: the by-line zone of its first page, the affiliations printed below it."""
from __future__ import annotations

import re

from uploads.text import (UPL, AFFIL_WORDS, letters, DEGREE_RE, LABEL_RE, RE_FULL2, RE_FULL3, SURNAME_END, author_line, is_caps,
                          join_lines, parse_author_name, split_author_line, strip_markers, upper_ratio)
from uploads.types import Author

from .markers import ABSTRACT_MARK, ends_front

# The by-line sits in the first lines of an article, before its abstract or body.
_BYLINE_ZONE = 45


def _named_institution(lines: list[str], i: int) -> bool:
    """The line goes on with an institution's namesake: "…университет им." / "Л.Н. Гумилева, Астана"."""
    k = i - 1
    while k >= 0 and not lines[k]:
        k -= 1
    return k >= 0 and bool(re.search(r"(?:\bим\.?|имени|атындағы|named after)\s*$", lines[k], re.IGNORECASE))


def _fragment(t: str) -> bool:
    """A short line that is no by-line or affiliation of its own: possibly the rest of a broken name."""
    return bool(t) and len(t) <= 120 and ":" not in t and not (is_caps(t) and letters(t) >= 8) and (
        not author_line(t) or t.lstrip().startswith(","))


def _joined_with_next(lines: list[str], i: int, limit: int, a: list[Author]) -> tuple[list[Author], int]:
    """A by-line broken inside a name ("…, Шмидт Елена" / "Викторовна2", or each superscript marker and the comma
    after it on lines of their own): join the following short lines while that reads more names.
    Returns (authors, last line used)."""
    text, last = lines[i], i
    while True:
        for k in (1, 2, 3):
            nxt = lines[last + 1:last + 1 + k]
            if last + k >= limit or len(nxt) < k or not all(_fragment(x) for x in nxt):
                continue
            joined = author_line(" ".join([text, *nxt]))
            if len(joined) > len(a):
                a, text, last = joined, " ".join([text, *nxt]), last + k
                break
        else:
            return a, last


def _line_authors(lines: list[str], limit: int) -> list[tuple[int, list[Author], bool]]:
    """(line index, authors, all-caps full name?) for every author line above ``limit``."""
    found: list[tuple[int, list[Author], bool]] = []
    labelled_prev = False
    i = 0
    while i < limit:
        t = lines[i]
        if not t or _named_institution(lines, i):
            i += 1
            continue
        a = author_line(t)
        if not a and labelled_prev:
            cont, other = split_author_line(t, allow_two_words=True)
            if cont and not other:
                a = cont
        labelled_prev = bool(a) and (labelled_prev or bool(LABEL_RE.match(t)))
        if not a:
            i += 1
            continue
        a, last = _joined_with_next(lines, i, limit, a)
        # An all-caps "ИВАНОВ ИВАН ИВАНОВИЧ" line may be a title (biographical note) - remember that.
        all_caps_full = upper_ratio(t) > 0.9 and all(RE_FULL3.match(x.name) for x in a) and "." not in t
        found.extend((k, a if k == i else [], all_caps_full) for k in range(i, last + 1))
        i = last + 1
    return found


def _first_cluster(lines: list[str], found: list[tuple[int, list[Author], bool]]) -> list[tuple[int, list[Author], bool]]:
    """Authors of one article sit together: the first run of author lines, affiliation lines allowed between."""
    if any(not f[2] for f in found):
        found = [f for f in found if not f[2]]
    cluster = [found[0]]
    for f in found[1:]:
        gap = [lines[k] for k in range(cluster[-1][0] + 1, f[0]) if lines[k]]
        if len(gap) <= 4 and all(AFFIL_WORDS.search(g) or DEGREE_RE.search(g) or len(g) < 4 for g in gap):
            cluster.append(f)
        else:
            break
    return cluster


def find_authors(lines: list[str]) -> tuple[list[Author], list[int]]:
    """Authors of the by-line zone and the indices of their lines."""
    limit = next((i for i, t in enumerate(lines) if ends_front(t)), len(lines))
    found = _line_authors(lines, min(limit, _BYLINE_ZONE))
    if not found:
        return [], []
    cluster = _first_cluster(lines, found)
    authors: list[Author] = []
    seen: set[str] = set()
    for _i, a, _c in cluster:
        for au in a:
            key = f"{au.surname or au.name}|{au.given}".lower()   # two people may share a surname
            if key not in seen:
                seen.add(key)
                authors.append(au)
    return authors, [f[0] for f in cluster]


_AFFIL_MARKER = re.compile(r"^\d{1,2}\)?\s?[^\W\d_]")
_PLACE_TAIL = re.compile(rf"^[{UPL}][\w.-]*(?:,?\s+[{UPL}][\w.-]*){{0,3}}[,.]?$")


def _affiliation_line(t: str, prev: str) -> bool:
    """An affiliation line below a by-line: names an institution, carries an affiliation marker ("1Научно-…"),
    or finishes the previous one with a place ("Казахстан", "Алматы, Казахстан")."""
    if not t or len(t) >= 250 or ABSTRACT_MARK.match(t) or is_caps(t):
        return False
    if AFFIL_WORDS.search(t) or _AFFIL_MARKER.match(t):
        return True
    return (bool(_PLACE_TAIL.match(t)) and len(t) < 60
            and (prev.rstrip().endswith((",", "г.")) or ("," in t and bool(prev))))


def affiliation_end(lines: list[str], start: int) -> int:
    """Index of the first line after the affiliation block that starts at ``start`` (blank lines before it skipped)."""
    j = start
    while j < len(lines) and not lines[j]:
        j += 1
    prev = lines[start - 1] if 0 < start <= len(lines) else ""   # the by-line: "…, КазНУ, Алматы П.С.Кузнецов,"
    count = 0
    while j < len(lines) and count < 6 and _affiliation_line(lines[j], prev):
        prev = lines[j]
        count += 1
        j += 1
    return j if count else start


def _affiliation_lines(lines: list[str], start: int) -> list[str]:
    end = affiliation_end(lines, start)
    return [t for t in lines[start:end] if t]


def _numbered(affs: list[str]) -> tuple[dict[str, list[str]], str | None]:
    numbered: dict[str, list[str]] = {}
    cur = None
    for a in affs:
        m = re.match(r"^(\d)\)?\s*(?=[^\d\s.,])", a)
        if m:
            cur = m.group(1)
            numbered[cur] = [a[m.end():]]
        elif cur:
            numbered[cur].append(a)
    return numbered, cur


def attach_affiliations(lines: list[str], author_idx: list[int], authors: list[Author]) -> None:
    """Copy the affiliation printed right below the author lines into Author.affiliation when clear."""
    if not author_idx or not authors:
        return
    affs = _affiliation_lines(lines, max(author_idx) + 1)
    if not affs:
        return
    # Numbered affiliations "1)Белорусский ..." → map by marker when the count matches.
    numbered, cur = _numbered(affs)
    if len(numbered) >= 2:
        for au in authors:
            m = re.search(r"(\d)\)?\s*$", au.name)
            key = m.group(1) if m else None
            if key and key in numbered:
                au.affiliation = join_lines(numbered[key])
        return
    aff = join_lines(list(numbered.get(cur, [])) if len(numbered) == 1 else affs)
    aff = re.sub(r"^\d\)?\s*", "", aff)
    aff = DEGREE_RE.sub("", aff).strip(" ,;")
    if aff:
        for au in authors:
            if not au.affiliation:
                au.affiliation = aff[:300]


def authors_next_to_title(lines: list[str], t_idx: int) -> tuple[list[Author], list[int]]:
    """A bare "Абай Құнанбаев" line right below or above the title (no initials, no patronymic)."""
    j = t_idx + 1
    while j < len(lines) and lines[j] and is_caps(lines[j]):
        j += 1
    for k in (j, j + 1, t_idx - 1):
        if 0 <= k < len(lines) and lines[k] and len(lines[k]) < 60:
            m = RE_FULL2.match(strip_markers(lines[k]))
            if m and any(SURNAME_END.search(w) for w in m.groups()) and not is_caps(lines[k]):
                return [parse_author_name(lines[k])], [k]
    return [], []
