"""The frozen record that ``archive`` hands to the index, and the analysis of its fields."""
from __future__ import annotations

import multiprocessing
import re
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterable, Iterator

from .analysis import Term, analyze, normalize_text, split_paragraphs
from .analysis.language import detect_language
from .analysis.normalize import fold_token


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
    # Pre-computed analysis (``ParallelAnalyzer``); None: ``field_terms`` analyses on demand.
    terms: dict[str, list[Term]] | None = field(default=None, compare=False, repr=False)
    forms: frozenset[tuple[str, str]] | None = field(default=None, compare=False, repr=False)


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


def analyzed(doc: IndexDocument) -> tuple[dict[str, list[Term]], frozenset[tuple[str, str]]]:
    """The terms of every field and the (key, surface form) pairs they came from (for snippets)."""
    if doc.terms is not None and doc.forms is not None:
        return doc.terms, doc.forms
    forms: set[tuple[str, str]] = set()
    terms = doc.terms if doc.terms is not None else _analyze_fields(doc, forms)
    if doc.terms is not None:
        _analyze_fields(doc, forms)
    return terms, frozenset(forms)


def _collect(forms: set[tuple[str, str]], terms: list[Term], text: str) -> list[Term]:
    """Add the folded surface form of each term (offsets into the normalised ``text``) to ``forms``.

    A form equal to its key is not recorded: snippets always look for the key itself too."""
    seen: dict[tuple[int, int], str] = {}
    for key, _pos, start, end in terms:
        form = seen.get((start, end))
        if form is None:
            form = seen[(start, end)] = fold_token(text[start:end])
        if form != key:
            forms.add((key, form))
    return terms


def _analyze_fields(doc: IndexDocument, forms: set[tuple[str, str]]) -> dict[str, list[Term]]:
    lang = doc.language or "ru"
    title_terms: list[Term] = []
    for tl, title in doc.titles.items():
        text = normalize_text(title)
        title_terms.extend(_collect(forms, analyze(text, tl if tl in ("ru", "kk", "en") else lang), text))
    abstract_terms: list[Term] = []
    for al, abstract in doc.abstracts.items():
        abstract_terms.extend(_collect(forms, analyze_text(abstract, al if al in ("ru", "kk", "en") else lang),
                                       normalize_text(abstract)))
    keyword_terms: list[Term] = []
    for kw in doc.keywords:
        text = normalize_text(kw)
        keyword_terms.extend(_collect(forms, analyze(text, detect_language(kw, lang) or lang), text))
    author_terms: list[Term] = []
    for name in doc.authors:
        text = normalize_text(name)
        author_terms.extend(_collect(forms, analyze(text, "ru"), text))
        author_terms.extend(_collect(forms, [t for t in analyze(text, "kk") if t.key.startswith("~")], text))
    body_terms: list[Term] = []
    pos_base = 0
    for _page_no, text in doc.pages:
        page_terms = _collect(forms, analyze_text(text, lang, latin_keys=False), normalize_text(text))
        body_terms.extend(Term(t.key, t.pos + pos_base, t.start, t.end) for t in page_terms)
        if page_terms:
            pos_base += page_terms[-1].pos + 2
    return {"title": title_terms, "abstract": abstract_terms, "keywords": keyword_terms,
            "authors": author_terms, "body": body_terms}


def _packed_terms(doc: IndexDocument) -> tuple[dict[str, list[tuple[str, int, int, int]]], list[tuple[str, str]]]:
    """A child process's work: the analysis as plain tuples (much cheaper to pickle than objects)."""
    forms: set[tuple[str, str]] = set()
    fields = _analyze_fields(doc, forms)
    return {name: [(t.key, t.pos, t.start, t.end) for t in terms] for name, terms in fields.items()}, list(forms)


class ParallelAnalyzer:
    """Analyse documents in ``processes`` child processes while the caller writes the index.

    Our Russian/Kazakh analysis runs in Python and bounds every index build on one core; the engines
    (tantivy above all) write much faster than one core analyses. Children start with "forkserver" (safe
    in threaded servers) and keep their analyzer caches for the whole build. ``processes <= 1`` analyses
    in the calling process.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.processes = max(1, processes if processes is not None else (os.cpu_count() or 1))
        self._pool = None

    def __enter__(self) -> "ParallelAnalyzer":
        if self.processes > 1:
            self._pool = multiprocessing.get_context("forkserver").Pool(self.processes)
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def analyzed(self, docs: Iterable[IndexDocument], chunksize: int = 4) -> Iterator[IndexDocument]:
        """``docs`` (in order) with their terms attached; the input is consumed as the children need it."""
        if self._pool is None:
            yield from docs
            return
        pending: list[IndexDocument] = []

        def feed():
            for d in docs:
                pending.append(d)
                yield d

        for packed, forms in self._pool.imap(_packed_terms, feed(), chunksize):
            d = pending.pop(0)
            yield replace(d, terms={name: [Term(*t) for t in items] for name, items in packed.items()},
                          forms=frozenset(forms))


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
