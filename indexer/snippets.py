"""Snippets made by our own code from stored page text, so every backend shows the same passages."""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Iterable, Sequence

from .documents import analyze_text
from .analysis import normalize_text


@dataclass(frozen=True)
class Snippet:
    """A passage of one page; ``html`` is escaped text with matches wrapped in ``<mark>``."""

    page: int
    html: str
    score: float


def _window(matches: list[tuple[int, int, str]], i: int, width: int) -> tuple[int, int, set[str], int]:
    start = matches[i][0]
    keys: set[str] = set()
    count = 0
    end = matches[i][1]
    for s, e, k in matches[i:]:
        if e - start > width:
            break
        keys.add(k)
        count += 1
        end = e
    return start, end, keys, count


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]], width: int) -> str:
    # Centre the matched span in a window of ``width`` characters, cut at word boundaries.
    pad = max(0, (width - (end - start)) // 2)
    a = max(0, start - pad)
    b = min(len(text), end + pad)
    if a > 0:
        sp = text.find(" ", a, start)
        a = sp + 1 if sp != -1 else a
    if b < len(text):
        sp = text.rfind(" ", end, b)
        b = sp if sp != -1 else b
    out: list[str] = ["…" if a > 0 else ""]
    cur = a
    for s, e in marks:
        if s < a or e > b:
            continue
        out.append(html.escape(text[cur:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        cur = e
    out.append(html.escape(text[cur:b]))
    if b < len(text):
        out.append("…")
    return " ".join("".join(out).split())


def make_snippets(keys: Iterable[str], pages: Sequence[tuple[int, str]], lang: str = "ru",
                  max_snippets: int = 3, width: int = 260) -> list[Snippet]:
    """The best passages of ``pages`` for the query ``keys``, best first, at most one per page."""
    keyset = frozenset(keys)
    if not keyset:
        return []
    # Cheap pre-filter: a page can only match if it contains the start of some key (lemma or stem);
    # analysing just those pages keeps snippets fast on long documents. Suppletive forms (люди ->
    # человек) could slip through the filter, so when no page passes it, every page is analysed.
    prefixes = {k[:max(3, min(5, len(k) - 2))] for k in keyset if not k.startswith("~") and len(k) >= 3}
    candidates = [(n, t) for n, t in pages if any(p in t.lower().replace("ё", "е") for p in prefixes)]
    limit = 2 * max_snippets     # enough matching pages to choose the best few from
    found = _scan(keyset, candidates if candidates and not any(k.startswith("~") for k in keyset) else pages,
                  lang, width, limit)
    if not found and candidates and len(candidates) < len(pages):
        found = _scan(keyset, pages, lang, width, limit)
    found.sort(key=lambda sn: (-sn.score, sn.page))
    return found[:max_snippets]


def _scan(keyset: frozenset[str], pages: Sequence[tuple[int, str]], lang: str, width: int,
          limit: int) -> list[Snippet]:
    found: list[Snippet] = []
    for page_no, raw in pages:
        if len(found) >= limit:
            break
        text = normalize_text(raw)
        matches = [(t.start, t.end, t.key) for t in analyze_text(text, lang) if t.key in keyset]
        if not matches:
            continue
        matches.sort()
        best = None
        for i in range(len(matches)):
            s, e, ks, count = _window(matches, i, width)
            score = len(ks) * 10 + count
            if best is None or score > best[0]:
                best = (score, s, e)
        assert best is not None
        score, s, e = best
        marks = sorted({(ms, me) for ms, me, _ in matches})
        found.append(Snippet(page_no, _render(text, s, e, marks, width), float(score)))
    return found


def plain_snippet(text: str, width: int = 260) -> str:
    """The opening of a text, escaped, for hits that matched only in metadata."""
    text = " ".join(normalize_text(text).split())
    if len(text) > width:
        cut = text.rfind(" ", 0, width)
        text = text[: cut if cut > 0 else width] + "…"
    return html.escape(text)
