"""Snippets made by our own code from stored page text, so every backend shows the same passages."""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

from .analysis import _WORD, normalize_text, split_paragraphs, token_keys, tokenize
from .analysis.language import detect_language
from .analysis.normalize import fold_token, positions_kept
from .forms import SPAN_CAPPED

_LATIN = re.compile(r"[A-Za-z]")

# Characters of a page one passage shows around its matches: what a search reads of the page (``passage_window``)
# and what it renders (``make_snippets``, ``choose_passages``) must agree on it.
PASSAGE_WIDTH = 260


@dataclass(frozen=True)
class Snippet:
    """A passage of one page; ``html`` is escaped text with matches wrapped in ``<mark>``."""

    page: int
    html: str
    score: float
    printed: str = ""      # the page's printed label ("28"); the archive fills it


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


def passage_window(start: int, end: int, width: int = PASSAGE_WIDTH) -> tuple[int, int]:
    """The stretch of a page (from, to) whose words the passage around the match ``start:end`` may show
    (``_bounds`` cuts it at word boundaries)."""
    pad = max(0, (width - (end - start)) // 2)
    return max(0, start - pad), end + pad


class PageWindow(NamedTuple):
    """Part of a page's text: ``text`` is the page from ``offset`` on, to one character past the
    ``passage_window`` it was read for (or to the page's end): one character more says whether the page goes on.
    ``same``: the page is its normalised text already (``forms.page_spans``' ``same``)."""

    offset: int
    text: str
    same: bool = False


def _bounds(text: str, start: int, end: int, width: int, offset: int = 0) -> tuple[int, int]:
    """The window of ``width`` characters centred on the matched span ``start:end``, cut at word boundaries;
    ``text`` is the page from ``offset`` on (all of it, or a ``PageWindow``'s), offsets are into the page."""
    a, b = passage_window(start, end, width)
    a = max(a, offset)
    stop = offset + len(text)
    b = min(stop, b)
    if a > 0:
        sp = text.find(" ", a - offset, start - offset)
        a = sp + offset + 1 if sp != -1 else a
    if b < stop:
        sp = text.rfind(" ", end - offset, b - offset)
        b = sp + offset if sp != -1 else b
    return a, b


def _markup(text: str, a: int, b: int, marks: list[tuple[int, int]], lead: bool, tail: bool) -> str:
    """``text[a:b]`` escaped, with the ``marks`` inside it wrapped in ``<mark>``; "…" where text was cut."""
    out: list[str] = ["…" if lead else ""]
    cur = a
    for s, e in marks:
        if s < a or e > b:
            continue
        out.append(html.escape(text[cur:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        cur = e
    out.append(html.escape(text[cur:b]))
    if tail:
        out.append("…")
    return " ".join("".join(out).split())


def _render(text: str, start: int, end: int, marks: list[tuple[int, int]], width: int) -> str:
    a, b = _bounds(text, start, end, width)
    return _markup(text, a, b, marks, a > 0, b < len(text))


def key_prefixes(keyset: frozenset[str]) -> tuple[set[str], set[str]]:
    """(page prefixes, token prefixes): the starts of the keys a text must contain to possibly match.

    A lemma or stem shares its first letters with every inflected form (озёрам → озеро: "озер"; кітабы →
    кітап: "кіта"), so a page, a paragraph or a token without any of them cannot produce a key and need not
    be analysed. Folded Latin keys ("~qazaq") add their own starts; Latin tokens are always analysed.
    """
    page = {k[:max(3, min(5, len(k) - 2))] for k in keyset if not k.startswith("~") and len(k) >= 3}
    token = set(page)
    token |= {k[1:][:max(3, min(5, len(k) - 3))] for k in keyset if k.startswith("~") and len(k) >= 4}
    token |= {k for k in keyset if not k.startswith("~") and len(k) < 3}          # short stems: "ел"
    return page, token


def make_snippets(keys: Iterable[str], pages: Sequence[tuple[int, str]], lang: str = "ru",
                  max_snippets: int = 3, width: int = PASSAGE_WIDTH,
                  words: Mapping[str, str] | None = None) -> list[Snippet]:
    """The best passages of ``pages`` for the query ``keys``, best first, at most one per page.

    Only pages, paragraphs and tokens that contain the start of some key are analysed (see
    ``key_prefixes``): on long articles this is ~5× less work than analysing whole pages. Suppletive
    forms (люди → человек) can slip through that filter, so when nothing is found every page is
    analysed in full.
    """
    keyset = frozenset(keys)
    if not keyset:
        return []
    page_prefixes, token_prefixes = key_prefixes(keyset)
    candidates = [(n, t) for n, t in pages if any(p in t.lower().replace("ё", "е") for p in page_prefixes)]
    limit = 2 * max_snippets     # enough matching pages to choose the best few from
    found = _scan(candidates or pages, width, limit, lambda text: _matches(keyset, text, lang, token_prefixes),
                  keep=max_snippets, words=words)
    if not found:
        found = _scan(pages, width, limit, lambda text: _matches(keyset, text, lang, None), keep=max_snippets,
                      words=words)
    found.sort(key=lambda sn: (-sn.score, sn.page))
    return found[:max_snippets]


def _matches(keyset: frozenset[str], text: str, lang: str, prefixes: set[str] | None) -> list[tuple[int, int, str]]:
    """(start, end, key) of every token of ``text`` (normalised) whose keys meet the query, as
    ``analyze_text`` would find them (per-paragraph language), skipping what cannot match."""
    found: list[tuple[int, int, str]] = []
    for start, para in split_paragraphs(text):
        if prefixes is not None and not _LATIN.search(para):
            low = para.lower().replace("ё", "е")
            if not any(p in low for p in prefixes):
                continue
        plang = (detect_language(para, lang) if len(para) > 40 else lang) or lang
        for tok in tokenize(normalize_text(para)):
            if prefixes is not None and not _LATIN.search(tok.text):
                w = tok.text.lower().replace("ё", "е")
                if not any(p in w for p in prefixes):
                    continue
            for k in token_keys(tok.text, plang):
                if k in keyset:
                    found.append((tok.start + start, tok.end + start, k))
    return found


def _best_window(matches: list[tuple[int, int, str]], width: int) -> tuple[float, int, int]:
    """(score, start, end) of the best window of ``width`` characters: most distinct keys, then most matches;
    ``matches`` is sorted in place."""
    matches.sort()
    best = None
    for i in range(len(matches)):
        s, e, ks, count = _window(matches, i, width)
        score = len(ks) * 10 + count
        if best is None or score > best[0]:
            best = (score, s, e)
    assert best is not None
    return float(best[0]), best[1], best[2]


Match = tuple[int, int, str]          # (start, end, key) of a word on a page
# (score, page, window start, window end, the page's matches, what the caller keeps with the page)
Chosen = tuple[float, int, int, int, list[Match], object]


def _choose(found: Iterable[tuple[int, list[Match], object]], width: int, limit: int,
            keep: int | None, words: Mapping[str, str] | None = None) -> list[Chosen]:
    """The best window of each of the first ``limit`` pages of ``found`` with a match ((page, matches, extra),
    taken lazily: pages after those are never looked at); the ``keep`` best (by score, then page), best first.

    ``words`` maps each key to its query word: a window is then scored by the query words its matches stand
    for, each word once per place however many of its keys (readings in other languages: диалог, диалок) the
    word there was found or indexed under; without it, by keys."""
    best_of: list[Chosen] = []
    for page_no, matches, extra in found:
        if len(best_of) >= limit:
            break
        if not matches:
            continue
        scored = matches if words is None else list({(s, e, words.get(k, k)) for s, e, k in matches})
        score, s, e = _best_window(scored, width)
        best_of.append((score, page_no, s, e, matches, extra))
    best_of.sort(key=lambda b: (-b[0], b[1]))
    return best_of[:keep]


def _scan(pages: Sequence[tuple[int, str]], width: int, limit: int,
          match: Callable[[str], list[tuple[int, int, str]]],
          keep: int | None = None, words: Mapping[str, str] | None = None) -> list[Snippet]:
    """The best window of each of the first ``limit`` pages with a match; only the ``keep`` best of them
    (by score, then page) are rendered and returned, best first (all of them when ``keep`` is None)."""
    def found_in() -> Iterator[tuple[int, list[Match], object]]:
        for page_no, raw in pages:
            text = normalize_text(raw)
            yield page_no, match(text), text

    found: list[Snippet] = []
    for score, page_no, s, e, matches, text in _choose(found_in(), width, limit, keep, words):
        assert isinstance(text, str)
        marks = sorted({(ms, me) for ms, me, _ in matches})
        found.append(Snippet(page_no, _render(text, s, e, marks, width), score))
    return found


def _trie_regex(words: Iterable[str]) -> str:
    """One alternation for many words, factored by common prefixes (the regex engine then never tries
    hundreds of alternatives at each position); ``е`` also matches ``ё``."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        branches = [("[её]" if ch == "е" else re.escape(ch)) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            body = "(?:" + body + ")?"
        return body

    return emit(trie)


@functools.lru_cache(maxsize=512)
def forms_pattern(forms: frozenset[str]) -> re.Pattern[str] | None:
    """A compiled pattern finding any of ``forms`` as a whole word, case-insensitively (cached per query)."""
    if not forms:
        return None
    return re.compile(r"(?<![^\W_])" + _trie_regex(forms) + r"(?![^\W_])", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def _lower_pattern(forms: frozenset[str]) -> re.Pattern[str] | None:
    """``forms_pattern`` for lower-cased text, without its look-behind: it opens with the forms' first letters,
    so the regex engine skips ahead to them instead of trying every position (3-5x faster on a page)."""
    if not forms:
        return None
    return re.compile(_trie_regex(forms) + r"(?![^\W_])")


_DOTTED_I = "\u0130"        # İ: the one letter whose lower case is two characters (i + combining dot)


def _form_spans(forms: frozenset[str], text: str, low: str | None = None,
                pos: int = 0) -> Iterable[tuple[int, int]]:
    """(start, end) of every match of ``forms_pattern(forms)`` in ``text``, the same matches found faster: the
    lower-cased text (as long as ``text``, letter for letter) searched case-sensitively, and a match kept
    only where a word starts (a match refused there is searched again one character further, so none is
    hidden by it). ``low`` is ``text.lower()`` when the caller has it already; ``pos``, where the caller's own
    search of ``low`` found the first match (none starts before it)."""
    if low is None:
        low = text.lower()
    if len(low) != len(text):                       # an İ: positions would shift
        for m in forms_pattern(forms).finditer(text):  # type: ignore[union-attr]
            yield m.start(), m.end()
        return
    pattern = _lower_pattern(forms)
    while True:
        m = pattern.search(low, pos)                # type: ignore[union-attr]
        if m is None:
            return
        start = m.start()
        if start > 0 and text[start - 1].isalnum():    # inside a word (what [^\W_] is): not a match there
            pos = start + 1
            continue
        yield start, m.end()
        pos = m.end()


def snippets_from_forms(form_keys: Mapping[str, Iterable[str]], pages: Sequence[tuple[int, str]],
                        max_snippets: int = 3, width: int = PASSAGE_WIDTH,
                        words: Mapping[str, str] | None = None) -> list[Snippet]:
    """The best passages of ``pages``, found through the surface forms recorded at index time.

    ``form_keys`` maps each folded form ("озёрам" -> "озерам") to the query keys it was indexed under. No
    analysis runs: one regular expression finds the forms, so ten hits cost about a millisecond.

    Normalising a whole page costs more than finding the forms in it, so a page is searched as stored and
    only the passage shown is normalised (its marks found again when that changed it). A page with a soft
    hyphen, a dotted İ or decomposed letters, where stored positions and forms would not line up, is
    normalised first. A form hidden by a Latin look-alike letter counts only once its passage is shown.
    """
    forms = frozenset(form_keys)
    pattern = _lower_pattern(forms)
    if pattern is None:
        return []

    def spans(text: str, low: str | None, pos: int = 0) -> list[tuple[int, int, str]]:
        out = []
        for start, end in _form_spans(forms, text, low, pos):
            for k in form_keys.get(fold_token(text[start:end]), ()):
                out.append((start, end, k))
        return out

    def found_in() -> Iterator[tuple[int, list[Match], object]]:
        for page_no, raw in pages:
            raw_ok = _DOTTED_I not in raw and positions_kept(raw)     # İ: its lower case is two letters
            first = 0
            if raw_ok:
                text, low = raw, raw.lower()
                m = pattern.search(low)
                if m is None:
                    continue
                first = m.start()
            else:
                text, low = normalize_text(raw), None
            yield page_no, spans(text, low, first), (text, raw_ok)

    found: list[Snippet] = []
    for score, page_no, s, e, matches, (text, raw_ok) in _choose(  # type: ignore[misc]
            found_in(), width, 2 * max_snippets, max_snippets, words):
        a, b = _bounds(text, s, e, width)
        marks = sorted({(ms, me) for ms, me, _ in matches})
        window = text[a:b]
        shown = normalize_text(window) if raw_ok else window
        if shown is window:                        # nothing to normalise in the passage (the usual case)
            html_ = _markup(text, a, b, marks, a > 0, b < len(text))
        else:
            marks = sorted({(ms, me) for ms, me, _ in spans(shown, None)})
            html_ = _markup(shown, 0, len(shown), marks, a > 0, b < len(text))
        found.append(Snippet(page_no, html_, score))
    return found


def choose_passages(page_matches: Iterable[tuple[int, list[Match]]], max_snippets: int = 3,
                    width: int = PASSAGE_WIDTH, words: Mapping[str, str] | None = None) -> list[Chosen]:
    """The passages ``snippets_from_forms`` would choose, from each candidate page's matches as the index
    recorded them (``forms.page_spans``), in the same order: no page text is read or searched to choose."""
    return _choose(((n, m, None) for n, m in page_matches), width, 2 * max_snippets, max_snippets, words)


def snippets_from_spans(chosen: Sequence[Chosen], texts: Mapping[int, str | PageWindow],
                        form_keys: Mapping[str, Iterable[str]], width: int = PASSAGE_WIDTH) -> list[Snippet] | None:
    """The ``chosen`` passages (``choose_passages``) rendered from their pages' ``texts``; None when a recorded
    span does not hold a form of its key there (the page changed after it was indexed, or two keys share a
    checksum): the caller then searches the text (``snippets_from_forms``).

    Spans are offsets into the normalised page. A page normalisation leaves as long as it was (no soft hyphen,
    no decomposed letters) is only normalised where a passage is shown. Of a page the index recorded as such
    (``forms.page_spans``' ``kept``) the caller may give only the ``PageWindow`` of its passage
    (``passage_window``)."""
    found: list[Snippet] = []
    for score, page_no, s, e, matches, _extra in chosen:
        raw = texts.get(page_no)
        if raw is None:
            return None
        same = False
        if isinstance(raw, PageWindow):
            offset, text, same = raw
            if offset > s or offset + len(text) < e:
                return None                   # not the window of this passage
            raw_ok = True
        else:
            offset = 0
            raw_ok = positions_kept(raw)
            text = raw if raw_ok else normalize_text(raw)
        a, b = _bounds(text, s, e, width, offset)
        if same:
            shown = text[a - offset:b - offset]
        else:
            shown = normalize_text(text[a - offset:b - offset]) if raw_ok else text[a:b]
        if len(shown) != b - a:
            return None
        marks: set[tuple[int, int]] = set()
        for ms, me, key in matches:
            if ms < a or ms >= b:
                continue
            if me - ms == SPAN_CAPPED:            # a word longer than its stored length: its end found again
                m = _WORD.match(shown, ms - a)
                me = a + m.end() if m else ms
            if me > b:                            # cut by the window's end (as ``_markup`` leaves it)
                continue
            form = fold_token(shown[ms - a:me - a])
            if key != form and key not in form_keys.get(form, ()):
                return None
            marks.add((ms - a, me - a))
        found.append(Snippet(page_no, _markup(shown, 0, len(shown), sorted(marks), a > 0, b < offset + len(text)),
                             score))
    return found


def plain_snippet(text: str, width: int = PASSAGE_WIDTH) -> str:
    """The opening of a text, escaped, for hits that matched only in metadata."""
    text = " ".join(normalize_text(text).split())
    if len(text) > width:
        cut = text.rfind(" ", 0, width)
        text = text[: cut if cut > 0 else width] + "…"
    return html.escape(text)
