"""The frozen record that ``archive`` hands to the index, and the analysis of its fields."""
from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import itertools
import multiprocessing
import operator
import os
import pickle
import re
import tempfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable, Iterator, Sequence

from . import analysis as _analysis
from .analysis import (_WORD, LATIN_PREFIX, PackedTerms, Term, analyze, normalize_text, split_paragraphs, term_keys,
                       token_keys)
from .analysis.language import detect_language
from .analysis.normalize import fold_token, positions_kept
from .errors import SearchIndexError
from .forms import page_records

_WORD_SPLIT = re.compile(f"({_WORD.pattern})")     # ``_WORD``'s words with the text between them

_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)


@dataclass(frozen=True)
class IndexDocument:
    """One searchable publication. Texts are plain text; ``pages`` are (page number, text) pairs."""

    id: int
    language: str = "ru"
    titles: dict[str, str] = field(default_factory=dict)        # lang -> title
    abstracts: dict[str, str] = field(default_factory=dict)     # lang -> abstract
    keywords: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()                              # every name form of every author
    person_ids: tuple[int, ...] = ()
    pages: tuple[tuple[int, str], ...] = ()
    year: int | None = None
    kind: str = "article"
    collection_id: int | None = None
    topics: tuple[str, ...] = ()
    added: datetime | None = None
    group_id: int | None = None        # the work this copy belongs to (its first copy's id); None: itself
    # Pages indexed from other text than the archive stores (a volume's contents lines left out): their token
    # spans are offsets into the indexed text only, so a search reads such a page whole.
    rewritten_pages: frozenset[int] = frozenset()
    # Pre-computed analysis (``ParallelAnalyzer``); None: ``field_terms`` analyses on demand. With
    # ``ParallelAnalyzer(once=True)`` ``forms`` holds only the pairs its child had not handed over before.
    terms: dict[str, Sequence[Term]] | None = field(default=None, compare=False, repr=False)
    forms: frozenset[tuple[str, str]] | None = field(default=None, compare=False, repr=False)
    page_filters: tuple[tuple[int, bytes, bytes], ...] | None = field(default=None, compare=False, repr=False)
    # ``ParallelAnalyzer(once=True)``: the keys its child had not handed over before (what a build shows the
    # speller); None: every key of its terms.
    new_keys: frozenset[str] | None = field(default=None, compare=False, repr=False)


def analyze_text(text: str, default_lang: str, latin_keys: bool = True) -> list[Term]:
    """Terms of a longer text, choosing the analyzer per paragraph (a volume mixes languages)."""
    text = normalize_text(text)
    terms: list[Term] = []
    pos_base = 0
    for start, para in split_paragraphs(text):
        lang = detect_language(para, default_lang) if len(para) > 40 else default_lang
        para_terms = analyze(para, lang or default_lang, latin_keys)
        for t in para_terms:
            terms.append(Term(t.key, t.pos + pos_base, t.start + start, t.end + start))
        if para_terms:
            pos_base += para_terms[-1].pos + 2          # a gap: phrases never span paragraphs
    return terms


def field_terms(doc: IndexDocument) -> dict[str, list[Term]]:
    """Analyze every text field of ``doc``: the token stream any engine can take as pre-analyzed terms.

    A document that went through ``ParallelAnalyzer`` carries its terms already."""
    return analyzed(doc)[0]


def analyzed(doc: IndexDocument) -> tuple[dict[str, list[Term]], frozenset[tuple[str, str]],
                                          tuple[tuple[int, bytes, bytes], ...]]:
    """The terms of every field, the (key, surface form) pairs they came from and the key filter of each
    body page (``forms.page_filter``): what snippets need to find passages without analysis."""
    if doc.terms is not None and doc.forms is not None and doc.page_filters is not None:
        return doc.terms, doc.forms, doc.page_filters
    forms: set[tuple[str, str]] = set()
    pages: list[tuple[int, bytes, bytes]] = []
    terms = _analyze_fields(doc, forms, pages)
    return (doc.terms if doc.terms is not None else terms), frozenset(forms), tuple(pages)


def speller_keys(doc: IndexDocument, terms: dict[str, Sequence[Term]]) -> Iterable[str]:
    """The keys of ``doc`` (its ``terms``) a write must show the speller: all, or the new ones of a build."""
    if doc.new_keys is not None:
        return doc.new_keys
    return itertools.chain.from_iterable(term_keys(ts) for ts in terms.values())


# The analysis of an index build, in one pass per text: the same terms (keys, positions, offsets) and forms as
# ``analyze``/``analyze_text`` followed by ``_collect`` (tests/indexer/test_build_analysis.py keeps that
# definition and compares), with the work of a word form done once per process. Per word form and key mode the
# cache holds its keys and its (key, folded form) pairs; a token then costs a dict look-up and two extends.
_ALL, _NO_LATIN, _ONLY_LATIN = 0, 1, 2
_ENTRIES_MAX = 400_000
_entries: dict[tuple[str, int, bool], dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {}
_entries_owner: list = [None, -1]         # the ``_keys_for`` the entries came from, and its cache size


def _word_entries(lang: str, mode: int, once: bool = False) -> dict:
    """The word-form cache of (``lang``, ``mode``, ``once``: entries without forms, see ``_scan``); all of them
    are dropped when ``_keys_for`` was cleared or replaced (a test changing the analysis data), or when they grew
    past ``_ENTRIES_MAX`` forms."""
    keys_for = _analysis._keys_for
    info = getattr(keys_for, "cache_info", None)
    size = info().currsize if info is not None else -1
    if (keys_for is not _entries_owner[0] or size < _entries_owner[1]
            or sum(len(e) for e in _entries.values()) > _ENTRIES_MAX):
        _entries.clear()
    _entries_owner[:] = [keys_for, size]
    return _entries.setdefault((lang, mode, once), {})


def _entry(word: str, lang: str, mode: int, form: str):
    keys = token_keys(word, lang)
    if mode == _NO_LATIN:
        keys = tuple(k for k in keys if k[:1] != LATIN_PREFIX)
    elif mode == _ONLY_LATIN:
        keys = tuple(k for k in keys if k[:1] == LATIN_PREFIX)
    # A form equal to its key is not recorded: snippets always look for the key itself too.
    return keys, tuple((k, form) for k in keys if k != form)


def _scan(text: str, lang: str, mode: int, out: PackedTerms, forms: set[tuple[str, str]],
          pos_base: int = 0, fresh: set[str] | None = None,
          spans: tuple[list[int], list[int]] | None = None, offset: int = 0) -> int | None:
    """``analyze(text, lang)`` (keys filtered by ``mode``) appended to ``out`` with positions shifted by
    ``pos_base``, its forms added to ``forms``; the last position written, or None.

    ``text`` is normalised already: every caller normalises a whole field or page once, and ``normalize_text`` is
    idempotent (tests/indexer/test_analysis_properties.py), so a paragraph is not normalised again as ``analyze``
    would (~4 % of an index build).
    With ``fresh`` (a set), only the forms and keys of word forms new to this process's cache are added (to
    ``forms`` and ``fresh``): every form and key the process ever meets comes once (``ParallelAnalyzer(once=True)``).
    With ``spans`` (two lists), each key written also gets its word's start (``offset`` + its place in ``text``)
    and length appended to them: what ``forms.page_spans`` stores for snippets."""
    entries = _word_entries(lang, mode, fresh is not None)
    keys, positions = out.keys, out.positions
    # The warm path, with no Python code per word: the words found by one ``findall``, their (keys, pairs)
    # looked up by ``map``, the keys chained and each position repeated once per key of its word (~40 % less
    # time than a loop over match objects with offsets).
    if spans is None:
        words = _WORD.findall(text)
    else:
        # The words and the separators between them; their running lengths give each word's start (in C, as
        # ``findall``, instead of a match object per word).
        parts = _WORD_SPLIT.split(text)
        words = parts[1::2]
        word_starts = list(itertools.accumulate(map(len, parts), initial=offset))[1:-1:2]
    found = list(map(entries.get, words))
    if None in found:
        for i, e in enumerate(found):
            if e is None:
                word = words[i]
                e = entries.get(word)            # the same form earlier in this text
                if e is None:
                    e = _entry(word, lang, mode, fold_token(word))
                    if fresh is not None:        # handed over now, and never again from this cache
                        fresh.update(e[0])
                        forms.update(e[1])
                        e = (e[0], ())
                        if _shared_log[0] is not None:
                            _learned.append((lang, mode, word, e[0]))
                    entries[word] = e
                found[i] = e
    key_tuples = list(map(_FIRST, found))
    per_word = list(map(len, key_tuples))
    n = len(words)
    if per_word.count(1) == n:
        # Every word with one key (most paragraphs of a body): the columns without a repeat per word.
        keys.extend(map(_FIRST, key_tuples))
        positions.extend(range(pos_base, pos_base + n))
        if spans is not None:
            spans[0].extend(word_starts)
            spans[1].extend(map(len, words))
    else:
        keys.extend(itertools.chain.from_iterable(key_tuples))
        positions.extend(itertools.chain.from_iterable(
            map(itertools.repeat, range(pos_base, pos_base + n), per_word)))
        if spans is not None:
            spans[0].extend(itertools.chain.from_iterable(map(itertools.repeat, word_starts, per_word)))
            spans[1].extend(itertools.chain.from_iterable(map(itertools.repeat, map(len, words), per_word)))
    if fresh is None:
        forms.update(itertools.chain.from_iterable(map(_SECOND, found)))
    for i in range(len(key_tuples) - 1, -1, -1):         # the last word with keys (nearly always the last)
        if key_tuples[i]:
            return pos_base + i
    return None


def _scan_text(text: str, lang: str, mode: int, out: PackedTerms, forms: set[tuple[str, str]],
               pos_base: int = 0, fresh: set[str] | None = None,
               spans: tuple[list[int], list[int]] | None = None) -> int | None:
    """``analyze_text`` of the normalised ``text`` (a language per paragraph, a position gap between
    paragraphs) appended like ``_scan``; the last position written, or None."""
    last = None
    for start, para in split_paragraphs(text):
        lang_ = detect_language(para, lang) if len(para) > 40 else lang
        p = _scan(para, lang_ or lang, mode, out, forms, pos_base, fresh, spans, start)
        if p is not None:
            last = p
            pos_base = p + 2          # a gap: phrases never span paragraphs
    return last


def _analyze_fields(doc: IndexDocument, forms: set[tuple[str, str]],
                    pages: list[tuple[int, bytes, bytes]] | None = None,
                    fresh: set[str] | None = None) -> dict[str, PackedTerms]:
    """The terms of every field; the forms are added to ``forms`` and each body page's key filter and token
    spans to ``pages`` (``fresh``: see ``_scan``)."""
    lang = doc.language or "ru"
    title = PackedTerms()
    for tl, text in doc.titles.items():
        _scan(normalize_text(text), tl if tl in ("ru", "kk", "en") else lang, _ALL, title, forms, fresh=fresh)
    abstract = PackedTerms()
    for al, text in doc.abstracts.items():
        _scan_text(normalize_text(text), al if al in ("ru", "kk", "en") else lang, _ALL, abstract, forms, fresh=fresh)
    keywords = PackedTerms()
    for kw in doc.keywords:
        _scan(normalize_text(kw), detect_language(kw, lang) or lang, _ALL, keywords, forms, fresh=fresh)
    authors = PackedTerms()
    for name in doc.authors:
        text = normalize_text(name)
        _scan(text, "ru", _ALL, authors, forms, fresh=fresh)
        _scan(text, "kk", _ONLY_LATIN, authors, forms, fresh=fresh)
    body = PackedTerms()
    pos_base = 0
    for page_no, text in doc.pages:
        first = len(body.keys)
        spans: tuple[list[int], list[int]] | None = ([], []) if pages is not None else None
        norm = normalize_text(text)
        last = _scan_text(norm, lang, _NO_LATIN, body, forms, pos_base, fresh, spans)
        if spans is not None:
            page_keys = body.keys[first:]
            # Whether the spans are offsets into the stored text as well: a search then reads only the part of
            # the page a passage shows (no NUL: the database's text functions may stop there).
            plain = "\x00" not in text and page_no not in doc.rewritten_pages
            pages.append((int(page_no), *page_records(page_keys, *spans, kept=plain and positions_kept(text, norm),
                                                      same=plain and norm == text)))
        if last is not None:
            pos_base = last + 2
    return {"title": title, "abstract": abstract, "keywords": keywords, "authors": authors, "body": body}


def _packed_terms(doc: IndexDocument, once: bool = False) -> tuple[dict[str, PackedTerms], list[tuple[str, str]],
                                                                   list[tuple[int, bytes, bytes]], list[str] | None]:
    """A child process's work: the analysis as ``PackedTerms`` (a key list and an int array per field), its
    forms and page filters; with ``once``, only the forms and keys this process has not handed over before."""
    forms: set[tuple[str, str]] = set()
    pages: list[tuple[int, bytes, bytes]] = []
    fresh: set[str] | None = set() if once else None
    terms = _analyze_fields(doc, forms, pages, fresh)
    return terms, list(forms), pages, (list(fresh) if fresh is not None else None)


_learned: list[tuple[str, int, str, tuple[str, ...]]] = []    # word forms this child analysed in its current task
_shared_log: list = [None, 0]          # the build's word-form log this child reads, and how far it has read


def _exchange(path: str | None) -> None:
    """A child's side of the word-form log of a build (``ParallelAnalyzer(once=True)``): the forms the last task
    analysed are appended, and those every child appended since this one last read are taken into its cache, as
    handed over already (``(keys, ())``: their keys and forms went to the writer with the document that had them
    first). Each child analysed the archive's whole vocabulary itself before (pymorphy3's parses, a fifth of a
    child's work at 3,000 articles); now a form is analysed about once per build."""
    if path is None:
        _shared_log[:] = [None, 0]
        _learned.clear()
        return
    if _shared_log[0] != path:
        _shared_log[:] = [path, 0]
    with open(path, "a+b", buffering=0) as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            # Positions from the file itself, under the lock: another child may have appended since this one
            # opened it (a buffered file's own count would not know).
            end = f.seek(0, os.SEEK_END)
            if _learned:
                data = memoryview(pickle.dumps(_learned, protocol=pickle.HIGHEST_PROTOCOL))
                while data:
                    data = data[f.write(data):]
            f.seek(_shared_log[1])
            theirs = b""                                    # what the others appended since this one last read
            while len(theirs) < end - _shared_log[1]:
                theirs += f.read(end - _shared_log[1] - len(theirs)) or b""
            _shared_log[1] = f.seek(0, os.SEEK_END)
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    _learned.clear()
    frames = io.BytesIO(theirs)
    while frames.tell() < len(theirs):
        # Frames this build's own children wrote to its private (0600) temp file, not outside input.
        for lang, mode, word, keys in pickle.load(frames):  # nosec B301
            _word_entries(lang, mode, True).setdefault(word, (keys, ()))


AHEAD_DOCS = 512      # documents analysed ahead of the writer: two of its batches (archive and bench write 200)
# The cyclic garbage collector's thresholds in a build's processes (``build_collections``): a generation-0 pass per
# 10,000 new objects instead of 700, and no full pass (whose turn comes after 1,000 generation-1 passes).
BUILD_GC_THRESHOLDS = (10_000, 20, 1_000)


def _rare_collections() -> tuple[int, int, int]:
    """Raise the collector's thresholds to the build's (an analysing child's initializer too); the old ones."""
    old = gc.get_threshold()
    gc.set_threshold(*(max(o, b) for o, b in zip(old, BUILD_GC_THRESHOLDS)))
    return old


@contextlib.contextmanager
def build_collections() -> Iterator[None]:
    """The process collects cycles rarely while a build runs in it, then as before.

    A build's objects are freed by their reference counts (the analysed documents, their terms, the loaded rows);
    what the collector finds are few short-lived cycles. With the default thresholds it made ~1,200 passes in the
    writing process of a 3,000-article rebuild, 9 of them full, over every analysed document waiting to be
    written: 1.7 s of its CPU (docs/performance.md). The thresholds are the process's; a build in a server's
    thread changes them for its duration only."""
    old = _rare_collections()
    try:
        yield
    finally:
        gc.set_threshold(*old)


class ParallelAnalyzer:
    """Analyse documents in ``processes`` child processes while the caller writes the index.

    Our Russian/Kazakh analysis runs in Python and bounds every index build on one core; the engines
    (tantivy above all) write much faster than one core analyses. Children start with "forkserver" (safe
    in threaded servers) and keep their analyzer caches for the whole build. ``processes <= 1`` analyses
    in the calling process.

    ``once``: a child attaches a (key, form) pair, and a key for the speller (``new_keys``), only to the first
    document it analyses that has it (per child and word-form cache; ~1,400 pairs and ~3,000 keys a 3,000-word
    article, nearly all seen before). For a caller that writes every document it takes or abandons the whole
    build, as a rebuild does: the forms store and the speller then get each once, instead of every pair being
    re-pickled, merged and re-inserted thousands of times, and the children no longer collect them per word.
    """

    def __init__(self, processes: int | None = None, once: bool = False) -> None:
        self.processes = max(1, processes if processes is not None else (os.cpu_count() or 1))
        self.once = once
        self._pool = None
        self._log: str | None = None      # the children's word-form log (``_exchange``), with ``once``

    def __enter__(self) -> "ParallelAnalyzer":
        if self.processes > 1:
            # Not ``multiprocessing.Pool``: its worker handler waits on the result pipe too, so while a result lies
            # there unread it loops without blocking (83,000 turns, ~2 s of CPU taken from the writer's process in
            # a rebuild of 3,000 articles).
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("forkserver"),
                                             initializer=_rare_collections)
            if self.once:
                fd, self._log = tempfile.mkstemp(prefix="kelisim-forms-", suffix=".log")
                os.close(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            # Tasks not started are dropped; the children finish the chunk they hold (a fraction of a second).
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._log is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._log)
            self._log = None

    def analyzed(self, docs: Iterable[IndexDocument], chunksize: int = 4,
                 ahead: int | None = None) -> Iterator[IndexDocument]:
        """``docs`` (in order) with their terms attached.

        The input is read in the caller's thread, ``chunksize`` documents a task, and at most ``ahead`` tasks
        (default ``AHEAD_DOCS`` documents) are out before the caller takes their results: a writer slower than
        the analysis (PostgreSQL, Whoosh) holds a bounded number of analysed documents, not the whole archive
        (``Pool.imap`` read its input as fast as it could and queued every result: 16 GB at 100,000 articles),
        while the children still analyse a whole write batch ahead as the caller writes the last one."""
        if self._pool is None:
            yield from docs
            return
        ahead = max(1, ahead if ahead is not None else -(-AHEAD_DOCS // chunksize))
        source = iter(docs)
        out: deque = deque()            # (documents, their pending analysis), in input order

        def submit() -> bool:
            chunk = list(itertools.islice(source, chunksize))
            if chunk:
                out.append((chunk, self._pool.submit(  # type: ignore[union-attr]
                    _packed_chunk, chunk, self.once, self._log)))
            return bool(chunk)

        more = True
        while True:
            try:
                while more and len(out) < ahead:
                    more = submit()
                if not out:
                    return
                chunk, pending = out.popleft()
                if more:
                    more = submit()         # keep the children busy while the caller writes
                analysed = pending.result()
            except BrokenProcessPool as exc:
                # A child killed (out of memory, by an operator): the tasks still out and every new one fail with
                # it. (Under ``multiprocessing.Pool`` the lost task's result never came: the rebuild waited for ever.)
                raise SearchIndexError("an analysing process stopped (killed, or out of memory)") from exc
            for d, (packed, forms, pages, fresh) in zip(chunk, analysed):
                yield replace(d, terms=packed, forms=frozenset(forms), page_filters=tuple(pages),
                              new_keys=frozenset(fresh) if fresh is not None else None)


def _packed_chunk(docs: list[IndexDocument], once: bool = False, log: str | None = None) -> list:
    if once:
        _exchange(log)            # what the other children analysed since this one's last task
    out = [_packed_terms(d, once) for d in docs]
    if once:
        _exchange(log)            # what this task analysed, for them
    return out


_LINE_WORDS = re.compile(r"[^\W\d_]+")


def strip_listed_titles(text: str, titles: Iterable[str], share: float = 0.6) -> str:
    """``text`` without the lines that list one of ``titles`` (a volume's table of contents).

    A line goes when most of its words (at least ``share``; page numbers and leaders do not count) belong
    to one title, so an entry "Сергеев А.В. Межконфессиональный диалог ... 5" and the wrapped second line
    of a long title both go, while the preface, which uses some of those words in sentences, stays.
    """
    title_words = [ws for ws in ({fold_token(w) for w in _LINE_WORDS.findall(normalize_text(t))} for t in titles) if ws]
    if not title_words:
        return text
    kept = []
    for line in text.split("\n"):
        words = [fold_token(w) for w in _LINE_WORDS.findall(normalize_text(line))]
        if words and any(sum(w in ws for w in words) >= share * len(words) and sum(w in ws for w in words) >= 2
                         for ws in title_words):
            continue
        kept.append(line)
    return "\n".join(kept)
