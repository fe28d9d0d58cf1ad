"""The only bridge to ``indexer``: run a query, load hits back in rank order, add snippets."""
from __future__ import annotations

import functools
import itertools
import json
import logging
import string
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, joinedload, selectinload

from indexer.analysis.cache import trim_word_caches
from indexer.backend import Filters, SearchResult, query_words
from indexer.bridge import Translation, expand_query, translate as translate_words
from indexer.query import N_, ParsedQuery, parse_query, words_of
from indexer.snippets import (Chosen, PageWindow, Snippet, choose_passages, make_snippets, passage_window,
                               plain_snippet, snippets_from_forms, snippets_from_spans)

from .db import storage_fault
from .models import Authorship, Publication, pages_label
from .services.bridge import current_bridge
from .services.indexing import index_text

logger = logging.getLogger(__name__)

# Shown (translated) when facet counts and the total come from a sample of a very common query's matches.
NOTICE_APPROXIMATE = N_("Counts are estimated from the first matches.")
# A page's hits' snippets kept per process by (query keys, publication), ~2 KB each: about the last 100 first pages
# (4,096 held ~8 MB more of a Whoosh worker than 512 after 4,000 pages).
SNIPPET_CACHE_SIZE = 1024
MAX_TWIN_WORDS = 40              # words of one title or keyword a twin search translates
MAX_TWIN_CLAUSES = 24            # counterparts one twin search looks for
# Word analyses one serving process keeps in each cache (indexer/analysis/cache.py): ~2 KB a word over all of
# them, so at most ~10 MB for a worker, however many different words readers (or a bot) send. The job worker
# keeps to it too (``jobs.catch_up_index``, every minute), however many files it reads.
SERVING_WORD_CACHE = 5_000


@dataclass(frozen=True)
class VolumeName:
    id: int
    title: str


@dataclass(frozen=True)
class HitRecord:
    """What the result page shows of a publication (``run_search(names_only=True)``): read as a plain row, with
    the attributes of ``Publication`` the result line, its snippets and ``index_text`` use."""

    id: int
    kind: str
    title: str
    language: str
    year: int | None
    page_start: int | None
    page_end: int | None
    abstracts_json: str | bytes | dict | None      # the JSON columns as the driver gives them (``_json``)
    extra_json: str | bytes | dict | None
    volume: VolumeName | None

    @property
    def pages_label(self) -> str | None:
        return pages_label(self.page_start, self.page_end)

    # Decoded when first asked for: only a hit without pages or passages shows anything of them (its lead, its
    # quote), and decoding both of ten hits' columns cost ~0.07 ms a search, most of it for nothing.
    @functools.cached_property
    def abstracts(self) -> dict:
        return _json(self.abstracts_json)

    @functools.cached_property
    def extra(self) -> dict:
        return _json(self.extra_json)


@dataclass
class SearchHit:
    publication: Publication | HitRecord
    score: float
    snippets: list[Snippet]
    snippet_html: str
    partial: bool = False            # matched some of the words, not all (after the all-words hits)
    page: int | None = None          # physical page of the best passage (the publication page's #page-N)
    printed_page: str = ""           # the same page as printed in the book or journal (for citations)
    translated: bool = False         # found only through the term bridge (the query's words in the other language)
    authors: list[str] = field(default_factory=list)   # the authors' names, in order (the result line shows them)


@dataclass
class SearchPage:
    query: ParsedQuery
    hits: list[SearchHit]
    total: int
    page: int
    limit: int
    facets: Mapping[str, dict[str, int]] = field(default_factory=dict)     # a dict, or counts still being made
    relaxed: bool = False
    elapsed_ms: float = 0.0
    suggestion: str | None = None
    notices: list[str] = field(default_factory=list)   # English msgids: what was cut or estimated
    partial_from: int | None = None  # rank (0-based, over all pages) where the some-words hits start
    facets_approximate: bool = False
    translation: Translation = field(default_factory=Translation)   # what the term bridge added to the query
    translated: int = 0              # matches found only through the bridge (the page's note says so)
    bridge: bool = True              # whether translation was asked for (xl=0 turns it off)
    # What the hits' snippets are made from (the engine's result, the query's words): ``snippets_of`` makes them
    # later for some hits of a search run without them.
    basis: tuple[SearchResult, dict[str, str]] | None = field(default=None, repr=False)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def translated_languages(self) -> tuple[str, ...]:
        """Languages the query was translated into, when some matches came only from the translation."""
        return self.translation.target_languages if self.translated else ()

    def translated_terms(self, lang: str) -> list:
        """The translations into ``lang`` to name on the page: a phrase, not also each of its words."""
        terms = [t for t in self.translation.terms if t.target_lang == lang]
        spans = [set(t.source) for t in terms if len(t.source) > 1]
        shown = [t for t in terms if len(t.source) > 1 or not any(set(t.source) < span for span in spans)]
        return list({(t.source, t.target): t for t in shown}.values())


# Built once (not per search, with their cache keys): the hits with their authors and volume in two queries, not
# four (the volume joined to its publication, each author to their authorship).
_HITS = (select(Publication)
         .where(Publication.id.in_(bindparam("ids", expanding=True)), Publication.status == "published")
         .options(selectinload(Publication.authorships).joinedload(Authorship.person, innerjoin=True),
                  joinedload(Publication.volume)))
# The search page's reads of its hits, the same for every search but for the number of ids: SQL with a field for
# each list of values, run as such (``_rows``): SQLAlchemy's compiling of an expanding IN and its row processing
# cost more than the reads themselves (records 0.32 ms a search against 0.06 through the driver, names 0.15 / 0.03,
# page text 0.49 / 0.20; the whole search ~0.2 ms less, about its run-to-run noise). The search page shows only the
# authors' names and a few columns of each hit: plain rows (``HitRecord``), not ORM objects.
_HIT_ROWS = ("SELECT p.id, p.kind, p.title, p.language, p.year, p.page_start, p.page_end, p.abstracts, p.extra, "
             "v.id, v.title FROM publications p LEFT OUTER JOIN volumes v ON v.id = p.volume_id "
             "WHERE p.id IN ({ids}) AND p.status = 'published'")
_AUTHOR_NAMES = ("SELECT a.publication_id, n.name FROM authorships a JOIN people n ON n.id = a.person_id "
                 "WHERE a.publication_id IN ({ids}) ORDER BY a.publication_id, a.position")
_PAGES = ("SELECT publication_id, number, printed, text FROM publication_pages WHERE publication_id IN ({ids}) "
          "ORDER BY publication_id, number")
# The same for chosen pages, as publication id x PAGE_SPAN + page number: the id list lets the database seek its
# index (a row-value IN makes SQLite scan the whole index), the number picks the pages whose text is read. The
# product is a 64-bit integer (PostgreSQL's int4 arithmetic overflows from publication 2,148 on).
PAGE_SPAN = 1_000_000            # more pages than any publication has
_PAGES_AT = ("SELECT publication_id, number, printed, text FROM publication_pages WHERE publication_id IN ({ids}) "
             "AND CAST(publication_id AS BIGINT) * 1000000 + number IN ({pages}) "      # 1000000: PAGE_SPAN
             "ORDER BY publication_id, number")
# The part of each page a passage shows (``passage_window``): (publication id, page, first character counted from
# 1, characters) per row, of pages whose recorded token spans are offsets into this text (``FormStore.spans_kept``).
_PAGE_WINDOWS = ("SELECT p.publication_id, p.number, p.printed, substr(p.text, CAST(w.column3 AS INTEGER), "
                 "CAST(w.column4 AS INTEGER)) FROM (VALUES {windows:4}) AS w JOIN publication_pages p "
                 "ON p.publication_id = w.column1 AND p.number = w.column2 ORDER BY p.publication_id, p.number")
SNIPPET_PAGES = 6                # pages of one hit its passages are chosen from (those holding most query words)

# Per backend (so two archives in one process never share entries): (generation, id, keys) -> snippets.
_snippet_caches: "weakref.WeakKeyDictionary[object, OrderedDict]" = weakref.WeakKeyDictionary()
_snippet_lock = threading.Lock()


@functools.lru_cache(maxsize=1024)
def _sql(template: str, paramstyle: str, counts: tuple[int, ...]) -> str:
    """``template`` with its fields, in order, given ``counts`` placeholders each, in the driver's own style; a
    field ``{name:N}`` takes its placeholders N at a time, as the rows of a VALUES list."""
    mark = "?" if paramstyle == "qmark" else "%s"        # sqlite3; psycopg and the other PostgreSQL drivers
    parts = list(string.Formatter().parse(template))
    if len([name for _text, name, _spec, _conv in parts if name]) != len(counts):
        raise ValueError("one list of values for each field of the statement")
    out: list[str] = []
    n_of = iter(counts)
    # Only placeholders are put in; the values are bound.
    for text, name, spec, _conv in parts:
        out.append(text)
        if name:
            n = next(n_of)
            if spec:
                size = int(spec)
                out.append(", ".join(["(" + ", ".join([mark] * size) + ")"] * (n // size)))
            else:
                out.append(", ".join([mark] * n))
    return "".join(out)


def _rows(session: Session, template: str, *values: Sequence) -> list:
    """The rows of one of the search page's reads (``_HIT_ROWS`` ...), ``values`` bound to the template's fields in
    turn: plain tuples, JSON columns as the driver gives them.

    Run in the session's transaction on its driver connection's own cursor: no statement to compile and none of
    ``exec_driver_sql``'s execution context and result wrapping (~30 us a read, four reads a search). A driver
    error is raised as SQLAlchemy would raise it, and a lost connection is invalidated as it would be, so a
    database gone away is still a 503 (``storage_fault``) and the pool drops the dead connection."""
    conn = session.connection()
    sql = _sql(template, conn.dialect.paramstyle, tuple(map(len, values)))
    params = tuple(itertools.chain.from_iterable(values))
    dbapi_conn = conn.connection.dbapi_connection
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error as exc:
        lost = conn.dialect.is_disconnect(exc, dbapi_conn, cursor)
        if lost:
            conn.invalidate(exc)
        raise sa_exc.DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error,
                                         connection_invalidated=lost, dialect=conn.dialect) from exc
    finally:
        cursor.close()


def _json(value) -> dict:
    """A JSON column read by ``_rows``: text from SQLite, already decoded by the PostgreSQL driver."""
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    return value or {}


def printed_label(pub: Publication | HitRecord, number: int, printed: str) -> str:
    """A page as printed: its own label, else the article's printed start plus the physical offset."""
    if printed:
        return printed
    if pub.page_start:
        return str(pub.page_start + number - 1)
    return str(number)


def _volume_article_pages(session: Session, volume_ids: list[int]) -> dict[int, set[int]]:
    """Pages of each volume that belong to its articles (their passages are the articles' hits)."""
    out: dict[int, set[int]] = {}
    if volume_ids:
        for parent, first, last in session.connection().execute(
                select(Publication.parent_id, Publication.pdf_page_start, Publication.pdf_page_end)
                .where(Publication.parent_id.in_(volume_ids))):
            if first and last:
                out.setdefault(parent, set()).update(range(first, last + 1))
    return out


def translated_query(archive, session: Session, q: ParsedQuery) -> tuple[ParsedQuery, Translation]:
    """``q`` with the term bridge's counterparts as weaker alternatives (``q`` itself when the site turned the
    bridge off or it knows none of the words). The bridge is the one the indexing step stored (never built here);
    without one the search is untranslated."""
    if q.is_empty or not archive.config.get("SEARCH_BRIDGE", True):
        return q, Translation()
    try:
        bq = expand_query(current_bridge(archive), q)
    except Exception as exc:  # noqa: BLE001 - the reader still gets the search in their own language
        if storage_fault(exc):
            raise                        # the database is away: the page says so (503), like every other page
        logger.exception("the term bridge could not translate a query; searching without it")
        return q, Translation()
    return bq.query, bq.translation


def translated_matches(archive, session: Session, texts: list[str], target: str, exclude: tuple[int, ...] = (),
                       limit: int = 3) -> list[int]:
    """Ids of publications in language ``target`` that hold the term bridge's counterparts of ``texts`` (a
    title, keywords), most counterparts first: a Kazakh article's Russian twins and the reverse."""
    if not archive.config.get("SEARCH_BRIDGE", True):
        return []
    bridge = current_bridge(archive)
    clauses = []
    for text in texts:
        for term in translate_words(bridge, words_of(text)[:MAX_TWIN_WORDS]).terms:
            if term.target_lang == target:
                clauses.append(term.clause())
    if not clauses:
        return []
    # One group of ORed alternatives: a document holding more of them (and in its title) scores higher.
    q = ParsedQuery(groups=[list(dict.fromkeys(clauses))[:MAX_TWIN_CLAUSES]])
    result = archive.search.search(q, Filters(langs=(target,), exclude_ids=exclude), limit=limit, facets=False)
    return [h.id for h in result.hits]


def run_search(archive, session: Session, text: str, page: int = 1, limit: int = 10,
               filters: Filters = Filters(), sort: str = "relevance", facets: bool = True,
               snippets: bool = True, translate: bool = True, names_only: bool = False) -> SearchPage:
    """Search published publications; never raises on odd user input.

    ``snippets=False`` skips reading page text (exports and other callers that only need the records).
    ``translate=False`` (the reader's ``xl=0``) leaves out the term bridge's counterparts in the other language.
    ``names_only=True`` (the result page) reads each hit as a ``HitRecord`` (the columns the page shows, no ORM
    object) with its authors' names (``SearchHit.authors``).
    """
    t0 = time.perf_counter()
    trim_word_caches(SERVING_WORD_CACHE)
    q = parse_query(text)
    query, translation = translated_query(archive, session, q) if translate else (q, Translation())
    result: SearchResult = archive.search.search(query, filters, page=page, limit=limit, sort=sort, facets=facets)
    ids = [h.id for h in result.hits]
    pubs: dict[int, Publication | HitRecord] = {}
    if ids and names_only:
        for (pid, kind, title, language, year, page_start, page_end, abstracts, extra, volume_id,
             volume_title) in _rows(session, _HIT_ROWS, ids):
            pubs[pid] = HitRecord(pid, kind, title, language or "", year, page_start, page_end, abstracts, extra,
                                  VolumeName(volume_id, volume_title) if volume_id else None)
    elif ids:
        pubs = {p.id: p for p in session.scalars(_HITS, {"ids": ids})}
    names: dict[int, list[str]] = {}
    if names_only and pubs:
        for pid, name in _rows(session, _AUTHOR_NAMES, list(pubs)):
            names.setdefault(pid, []).append(name)
    else:
        names = {pid: [a.person.name for a in p.authorships] for pid, p in pubs.items()}
    notices = list(q.notices) + ([NOTICE_APPROXIMATE] if result.facets_approximate else [])
    hits: list[SearchHit] = []
    words = query_words(query)
    made = _snippets(archive, session, result, pubs, words) if snippets and pubs else {}
    for h in result.hits:
        pub = pubs.get(h.id)
        if pub is None:
            continue                    # the index is ahead of the database for a moment; skip
        found, snippet_html = made.get(pub.id, ((), ""))
        best = found[0] if found else None
        hits.append(SearchHit(pub, h.score, list(found), snippet_html, h.partial,
                              best.page if best else None, best.printed if best else "", h.translated,
                              names.get(pub.id, [])))
    return SearchPage(q, hits, result.total, page, limit, result.facets, result.relaxed,
                      (time.perf_counter() - t0) * 1000, result.suggestion, notices, result.partial_from,
                      result.facets_approximate, translation, result.translated, translate, (result, words))


def snippets_of(archive, session: Session, page: SearchPage, pubs: dict[int, Publication | HitRecord]
                ) -> dict[int, tuple[tuple[Snippet, ...], str]]:
    """(snippets, lead html) of the publications ``pubs``, hits of the search ``page`` (or of another page of the
    same query), made as ``run_search`` makes them: for a caller that searched without snippets
    (``snippets=False``) and shows passages of a few of its hits only."""
    if page.basis is None or not pubs:
        return {}
    result, words = page.basis
    return _snippets(archive, session, result, pubs, words)


def _page_texts(session: Session, whole: list[int], chosen: dict[int, list[int]], skip: dict[int, set[int]],
                windows: dict[tuple[int, int], tuple[int, int, bool]] | None = None
                ) -> dict[int, list[tuple[int, str, str | PageWindow]]]:
    """(number, printed label, text) of every page of the ``whole`` publications and of the ``chosen`` pages of
    others, but not the ``skip``ped ones; of each (publication, page) in ``windows`` only the stretch (from, to)
    and one character more, as a ``PageWindow`` (with the window's third value: ``same``): one query each for the
    hits of a result page (not one per hit)."""
    at = [pid * PAGE_SPAN + n for pid, numbers in chosen.items() for n in numbers if 0 < n < PAGE_SPAN]
    rows: list = _rows(session, _PAGES, whole) if whole else []
    rows += _rows(session, _PAGES_AT, list(chosen), at) if at else []
    if windows:
        values: list[int] = []
        for (pid, n), (a, b, _same) in windows.items():
            values += (pid, n, a + 1, b - a + 1)
        for pid, n, printed, part in _rows(session, _PAGE_WINDOWS, values):
            a, _b, same = windows[(pid, n)]
            rows.append((pid, n, printed, PageWindow(a, part, same)))
    pages_of: dict[int, list[tuple[int, str, str | PageWindow]]] = {}
    for pid, number, printed, text_ in rows:
        if number not in skip.get(pid, ()):
            pages_of.setdefault(pid, []).append((number, printed or "", text_))
    return pages_of


def _snippets(archive, session: Session, result: SearchResult, pubs: dict[int, Publication | HitRecord],
              words: dict[str, str]) -> dict[int, tuple[tuple[Snippet, ...], str]]:
    """(snippets, lead html) per publication, from the page text and the forms the index recorded; passages
    scored by the query ``words`` (``query_words``) they hold.

    Cached per (index generation, query keys and words, publication): a publication changes only through an
    index update, which starts a new generation.
    """
    out: dict[int, tuple[tuple[Snippet, ...], str]] = {}
    keys = result.keys
    cached = (result.generation, keys, frozenset(words.items()))
    with _snippet_lock:
        _snippet_cache = _snippet_caches.setdefault(archive.search, OrderedDict())
        for pid in pubs:
            found = _snippet_cache.get((*cached, pid))
            if found is not None:
                _snippet_cache.move_to_end((*cached, pid))
                out[pid] = found
    todo = [pid for pid in pubs if pid not in out]
    if not todo:
        return out
    skip = _volume_article_pages(session, [pid for pid in todo if pubs[pid].kind == "volume"])
    store = getattr(archive.search, "forms", None)
    form_keys = store.form_keys(keys) if store is not None else {}
    # The index keeps a filter of each page's keys: only the pages that may hold the query are read (a long
    # article's other pages are neither read nor searched). A hit without filters has every page read.
    chosen: dict[int, list[int]] = {}
    unmatched: set[int] = set()          # hits whose filters say no page holds a query key
    if form_keys and keys:
        for pid, numbers in store.page_candidates(todo, keys).items():   # type: ignore[union-attr]
            chosen[pid] = [n for n in numbers if n not in skip.get(pid, ())][:SNIPPET_PAGES]
            if not chosen[pid]:
                unmatched.add(pid)
    for pid, numbers in chosen.items():
        if not numbers:
            # No page holds a query key (a match in the metadata): its first page, whose opening is shown.
            numbers.append(next(n for n in itertools.count(1) if n not in skip.get(pid, ())))
    # Where the index recorded the candidate pages' token spans, the passages are chosen from them: only the
    # pages shown are read, and no text is searched. A hit with a page indexed before spans were recorded, or
    # whose spans found nothing (a page filter's false hit), has its candidate pages read and searched.
    passages: dict[int, list[Chosen]] = {}
    spans_at, kept = store.spans_kept(
        [(pid, n) for pid, numbers in chosen.items() if pid not in unmatched for n in numbers],
        keys) if chosen and form_keys else ({}, {})
    for pid, numbers in chosen.items():
        if pid not in unmatched and all((pid, n) in spans_at for n in numbers):
            best = choose_passages([(n, spans_at[(pid, n)]) for n in numbers], words=words)
            if best:
                passages[pid] = best
    # Of a page whose spans are offsets into its stored text, only the stretch its passage shows is read.
    windows = {(pid, c[1]): (*passage_window(c[2], c[3]), kept[(pid, c[1])]) for pid, best in passages.items()
               for c in best if (pid, c[1]) in kept}
    pages_of = _page_texts(session, [pid for pid in todo if pid not in chosen],
                           {pid: [c[1] for c in passages[pid] if (pid, c[1]) not in windows] if pid in passages
                            else numbers for pid, numbers in chosen.items()}, skip, windows)

    def find(pub: Publication | HitRecord, pages: list[tuple[int, str | PageWindow]]) -> list[Snippet]:
        if not keys or pub.id in unmatched:
            return []
        if pub.id in passages:
            made = snippets_from_spans(passages[pub.id], dict(pages), form_keys)
            if made is not None:
                return made
            # The text no longer fits its spans (changed since it was indexed): read and search it.
            pages_of[pub.id] = _page_texts(session, [], {pub.id: chosen[pub.id]}, skip).get(pub.id, [])
            pages[:] = [(n, t) for n, _p, t in pages_of[pub.id]]
        if form_keys:
            return snippets_from_forms(form_keys, pages, words=words)
        return make_snippets(keys, pages, pub.language or "ru", words=words)   # an index without recorded forms

    for pid in todo:
        pub = pubs[pid]
        pages = [(n, t) for n, _p, t in pages_of.get(pid, [])]
        made = find(pub, pages)
        printed = {n: p for n, p, _t in pages_of.get(pid, [])}
        # A printed label only for the pages shown (not every page of the hit).
        found = [Snippet(sn.page, sn.html, sn.score,
                         printed_label(pub, sn.page, printed[sn.page]) if sn.page in printed else str(sn.page))
                 for sn in made]
        own = "" if pages else index_text(pub)
        own_found = find(pub, [(0, own)]) if own else []
        if found:
            snippet_html = found[0].html
        elif own_found:
            snippet_html = own_found[0].html        # a commentary's quote, an event's programme (no pages)
        elif own:
            snippet_html = plain_snippet(own)
        else:
            lead = next(iter(pub.abstracts.values()), "") if pub.abstracts else ""
            first = pages[0][1] if pages else ""
            snippet_html = plain_snippet(lead or (first.text if isinstance(first, PageWindow) else first))
        out[pid] = (tuple(found), snippet_html)
    with _snippet_lock:
        for pid in todo:
            _snippet_cache[(*cached, pid)] = out[pid]
        while len(_snippet_cache) > SNIPPET_CACHE_SIZE:
            _snippet_cache.popitem(last=False)
    return out
