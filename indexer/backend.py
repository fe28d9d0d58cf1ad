"""The search engine behind a small contract; ``WhooshBackend`` (whoosh_backend.py) is the default."""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import Callable, ContextManager, Iterable, Iterator, Protocol, Sequence

from typing import TYPE_CHECKING

from . import errors
from .analysis import LATIN_PREFIX, Term, is_stopword, term_columns, word_keys
from .analysis.normalize import fold_token, normalize_text
from .documents import IndexDocument
from .query import (BRIDGED, MAX_PREFIX_KEYS, MAX_QUERY_PREFIX_KEYS, NOTICE_PREFIX_CUT, BridgedWord, Clause,
                    ParsedQuery, Phrase, PrefixWord, Word, engine_prefix)

if TYPE_CHECKING:
    from .forms import FormStore
    from .speller import SpellerStore

logger = logging.getLogger(__name__)

FIELD_BOOSTS = {"title": 4.0, "keywords": 2.5, "abstract": 2.0, "authors": 3.0, "body": 1.0}
FACETS = ("year", "lang", "kind", "collection", "topics", "persons")


# Defined in ``errors`` (the analysis raises it too); every backend and ``archive`` take it from here.
SearchIndexError = errors.SearchIndexError


@dataclass(frozen=True)
class Filters:
    """Exact-value filters (facet selections) applied on top of the query."""

    year_from: int | None = None
    year_to: int | None = None
    langs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    collections: tuple[int, ...] = ()
    topics: tuple[str, ...] = ()
    persons: tuple[int, ...] = ()
    # Used by the shared search path (``CachedSearch``), not by readers: restrict to / leave out these ids,
    # or only the secondary copies of a work (a DOCX whose PDF is also in the archive).
    ids: tuple[int, ...] | None = None
    exclude_ids: tuple[int, ...] = ()
    secondary_only: bool = False


@dataclass
class Hit:
    id: int
    score: float
    group: int | None = None      # the work: the id of its first copy (set by backends when asked)
    partial: bool = False         # not every word matched: a most-words match after the all-words ones
    translated: bool = False      # matched only through the term bridge (the query's words in the other language)


def ties_by_id(hits: list[Hit]) -> list[Hit]:
    """A page of ranked ``hits`` with equal scores in id order, as the PostgreSQL backend orders them (tantivy and
    Whoosh order them by where the documents lie in their segments, which differs from one build to the next).
    Which of several equal hits fill a page's last places still follows the segments."""
    return sorted(hits, key=lambda h: (-h.score, h.id))


# The CPU of work a thread hands to other threads (tantivy's facet counts, a PostgreSQL page read beside its
# count), kept for the thread that handed it: a web request's log then reports all the CPU its answer took.
_aside = threading.local()


def aside_meter_start() -> None:
    """From now on, count for this thread the CPU of the work it hands aside (``submit_aside``)."""
    _aside.seconds = []


def aside_cpu() -> float:
    """CPU seconds of the work this thread handed aside since ``aside_meter_start`` (what has finished)."""
    return sum(getattr(_aside, "seconds", None) or ())


def submit_aside(pool: Executor, fn: Callable, *args) -> Future:
    """``pool.submit(fn, *args)``, its thread's CPU time added to the submitting thread's meter if it has one."""
    seconds = getattr(_aside, "seconds", None)
    if seconds is None:
        return pool.submit(fn, *args)

    def metered():
        start = time.thread_time()
        try:
            return fn(*args)
        finally:
            seconds.append(time.thread_time() - start)
    return pool.submit(metered)


class PendingFacets(Mapping):
    """Facet counts an engine is still making in another thread, read as the mapping they will be (name ->
    value -> count): the first read waits for them (and raises what the count raised).

    tantivy lets go of the GIL while it counts, so the count runs beside what the search page does next (its
    records, snippets and facet labels) instead of before it. Each ``copy`` (``facets_copy``) makes a mapping
    of its own from the same count, as a copy of finished counts would. A count that failed is made again by
    ``again`` in the reading thread (and raises from there): a cached result never keeps a passing failure."""

    __slots__ = ("_future", "_again", "_counts")

    def __init__(self, future: "Future[dict[str, dict[str, int]]]",
                 again: Callable[[], dict[str, dict[str, int]]] | None = None) -> None:
        self._future = future
        self._again = again
        self._counts: dict[str, dict[str, int]] | None = None

    def _done(self) -> dict[str, dict[str, int]]:
        if self._counts is None:
            try:
                counts = self._future.result()
            except Exception:
                if self._again is None:
                    raise
                counts = self._again()
            self._counts = {k: dict(v) for k, v in counts.items()}
        return self._counts

    def __getitem__(self, name: str) -> dict[str, int]:
        return self._done()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._done())

    def __len__(self) -> int:
        return len(self._done())

    def copy(self) -> "Mapping[str, dict[str, int]]":
        return PendingFacets(self._future, self._again) if self._counts is None else facets_copy(self._counts)


def facets_copy(facets: Mapping[str, dict[str, int]]) -> Mapping[str, dict[str, int]]:
    """A copy of facet counts that shares no dict with them (counts still being made stay so: ``PendingFacets``)."""
    if isinstance(facets, PendingFacets):
        return facets.copy()
    return {k: dict(v) for k, v in facets.items()}


@dataclass
class SearchResult:
    """Ranked ids for one page, the total, facet counts and how the query was matched."""

    hits: list[Hit]
    total: int
    facets: Mapping[str, dict[str, int]] = field(default_factory=dict)   # a dict, or ``PendingFacets``
    relaxed: bool = False          # all-words found nothing; any-word ranking was used instead
    keys: frozenset[str] = frozenset()
    suggestion: str | None = None  # "did you mean": the query with unknown words corrected
    partial_from: int | None = None  # rank (0-based, over all pages) where most-words matches start
    facets_approximate: bool = False  # facet counts come from a sample of the matches
    generation: str = ""             # the index generation that answered (keys caches built on the result)
    translated: int = 0              # matches found only through the term bridge (0 when it added nothing)


class SearchBackend(Protocol):
    """What the archive needs from a search engine."""

    def update(self, docs: Iterable[IndexDocument]) -> None: ...
    def remove(self, ids: Iterable[int]) -> None: ...
    def clear(self) -> None: ...
    def rebuilt(self) -> None: ...
    def bulk(self, processes: int = 1) -> "ContextManager[Callable[[list[IndexDocument]], None]]": ...
    def doc_ids(self) -> set[int]: ...
    def is_empty(self) -> bool: ...
    def generation(self) -> str: ...
    def search(self, query: ParsedQuery, filters: Filters = Filters(), page: int = 1, limit: int = 10,
               sort: str = "relevance", facets: bool = True) -> SearchResult: ...
    def close(self) -> None: ...


MAX_FILL = 1000          # all-words matches a most-words fill may have to skip (a page of 100 at page 10)
MAX_BRIDGED_COMBINATIONS = 64   # key combinations of a bridged phrase an engine searches (those the index holds)
# Results kept per process (each a page of ids and the facet counts, ~13 KB on 3,000 articles): 512 held ~6 MB
# more of a Whoosh worker than 64 after 4,000 pages (docs/performance.md, 2026-12-07 12:32).
CACHE_SIZE = 256


def _copy(r: SearchResult) -> SearchResult:
    return replace(r, hits=[replace(h) for h in r.hits], facets=facets_copy(r.facets))


class CachedSearch:
    """The search path every backend shares: one result per work, a most-words fill, a cache per generation.

    A backend provides ``_search`` (one engine query, all words or any word, honouring ``Filters.ids``,
    ``exclude_ids`` and ``secondary_only``; with ``relax`` an empty all-words answer is retried with any
    word; with ``hits`` False only the total and facets are wanted, and the page may be left empty),
    ``generation()`` (changes with every commit, by any process) and ``_secondaries(generation)`` (how many
    indexed documents are second copies of a work; only whether there are any is used, and PostgreSQL says 1).
    """

    _cache_lock = threading.Lock()
    tiers = True             # a bridged query ranks the reader's own words first (False: by weighted score alone)
    speller: "SpellerStore"
    _bulk_writes = 0          # rebuilds (``bulk``) under way in this process
    forms: "FormStore"

    def _open_sidecars(self, folder: "os.PathLike[str] | None") -> None:
        """The speller and the surface forms, beside the index (in memory when there is no folder)."""
        from pathlib import Path

        from .forms import FormStore
        from .speller import SpellerStore

        self.speller = SpellerStore(Path(folder) / "speller" if folder else None, self._vocabulary)
        self.forms = FormStore(Path(folder) if folder else None)

    def _written(self, keys: set[str], forms: set[tuple[str, str]],
                 pages: dict[int, tuple[tuple[int, bytes, bytes], ...]] | None = None) -> None:
        """Keep the speller, the forms and the page filters in step with a committed write (the speller waits
        for the end of a rebuild's ``bulk``)."""
        if not self._bulk_writes:
            self.speller.added(keys)
        self.forms.add(forms)
        self.forms.set_pages(pages or {})

    def _removed(self, ids: list[int]) -> None:
        """Keep the page filters in step with a committed removal."""
        self.forms.drop_pages(ids)

    def _cleared(self) -> None:
        self.speller.cleared()
        self.forms.clear()

    @contextlib.contextmanager
    def bulk(self, processes: int = 1) -> Iterator[Callable[[list[IndexDocument]], None]]:
        """A rebuild's writer: a function taking batches of documents, all written when the block ends without an
        error (what was written is kept when it ends with one). A backend may write in ``processes`` child
        processes (``_bulk``).

        The speller is built once, from the whole vocabulary, when the block ends (however it ends); the batches
        leave it alone. Kept in step batch by batch, a rebuild's keys (each reported once) filled the delta,
        which then rebuilt the base from an engine vocabulary that had not seen them yet (Whoosh's children had
        not committed their segments): after a parallel Whoosh reindex "did you mean" knew no word at all."""
        self._bulk_writes += 1
        try:
            with self._bulk(processes) as write:
                yield write
        except BaseException:
            self._bulk_writes -= 1
            with contextlib.suppress(Exception):    # what was written is kept; the rebuild's own error is the one
                self.speller.rebuild()
            raise
        self._bulk_writes -= 1
        self.speller.rebuild()

    @contextlib.contextmanager
    def _bulk(self, processes: int = 1) -> Iterator[Callable[[list[IndexDocument]], None]]:
        """The backend's own rebuild writer; by default each batch is an ``update``."""
        yield self.update

    def rebuilt(self) -> None:
        """After ``clear`` and a full rebuild: whatever makes the new index fast to read (nothing by default)."""

    def _vocabulary(self):
        raise NotImplementedError

    def _search(self, query: ParsedQuery, filters: Filters, page: int, limit: int, sort: str, facets: bool,
                any_word: bool = False, hits: bool = True) -> SearchResult:
        raise NotImplementedError

    def generation(self) -> str:
        raise NotImplementedError

    def _secondaries(self, generation: str) -> int:
        raise NotImplementedError

    def _cache(self) -> "OrderedDict[tuple, SearchResult]":
        cache = self.__dict__.get("_result_cache")
        if cache is None:
            cache = self.__dict__.setdefault("_result_cache", OrderedDict())
        return cache

    def _cached(self, key: tuple, compute) -> SearchResult:
        cache = self._cache()
        with self._cache_lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return _copy(found)
        result = compute()
        with self._cache_lock:
            cache[key] = _copy(result)
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)
        return result

    def search(self, query: ParsedQuery, filters: Filters = Filters(), page: int = 1, limit: int = 10,
               sort: str = "relevance", facets: bool = True) -> SearchResult:
        """Run ``query``; all words required, then the best most-words matches when a page is not full."""
        page = max(1, int(page))
        limit = max(1, min(int(limit), 100))
        query = self._prefixes_expanded(query)
        gen = self.generation()
        shape = repr((query.groups, query.excluded, query.year_from, query.year_to, query.langs, query.kinds,
                      query.topics))
        result = self._cached((gen, shape, filters, page, limit, sort, facets),
                              lambda: self._uncached(query, filters, page, limit, sort, facets, gen, shape))
        result.generation = gen
        return result

    def _prefixes_expanded(self, query: ParsedQuery) -> ParsedQuery:
        """``query`` with each ``word*`` as the index keys it stands for (``PrefixWord``): at most
        ``MAX_PREFIX_KEYS``, the most frequent, from the speller's sorted vocabulary, so a short prefix costs what
        a few words cost, whatever the vocabulary (an engine expands a prefix to every term it begins). The
        query's prefixes share ``MAX_QUERY_PREFIX_KEYS``: with more than two, each gets an equal part. A cut
        adds a notice; a prefix the speller cannot hold, or one that begins no key, stays the engine's."""
        clauses = [c for g in query.groups for c in g] + list(query.excluded)
        prefixes = list(dict.fromkeys(c for c in clauses if engine_prefix(c)))
        if not prefixes:
            return query
        each = max(1, min(MAX_PREFIX_KEYS, MAX_QUERY_PREFIX_KEYS // len(prefixes)))
        expanded: dict[Clause, Clause] = {}
        for c in prefixes:
            keys, more = self.speller.with_prefix(prefix_stem(c), each)
            expanded[c] = PrefixWord(c.text, c.field, True, frozenset(keys)) if keys else c
            if more:
                query.notice(NOTICE_PREFIX_CUT)
        return replace(query, groups=[[expanded.get(c, c) for c in g] for g in query.groups],
                       excluded=[expanded.get(c, c) for c in query.excluded])

    def _uncached(self, query: ParsedQuery, flt: Filters, page: int, limit: int, sort: str, facets: bool,
                  gen: str, shape: str) -> SearchResult:
        # One result per work: leave out second copies whose first copy matches as well.
        flt = replace(flt, exclude_ids=flt.exclude_ids + self._redundant(query, flt, gen, shape))
        # Facet counts do not depend on the page or the sort: page 2 reuses those of page 1.
        facet_key = (gen, shape, flt, "facets")
        with self._cache_lock:
            known = self._cache().get(facet_key) if facets else None
        strict = self._tiered(query, flt, page, limit, sort, facets and known is None)
        if known is not None:
            strict.facets = facets_copy(known.facets)
            strict.facets_approximate = known.facets_approximate
        elif facets:
            self._cached(facet_key, lambda: SearchResult(hits=[], total=strict.total, facets=strict.facets,
                                                         facets_approximate=strict.facets_approximate))
        strict.keys = query_keys(query)
        start = (page - 1) * limit
        if (strict.total >= start + limit or not may_relax(query) or not query.groups
                or strict.total > MAX_FILL):
            return self._suggested(query, strict, strict.total)
        # Fewer than a page: the best documents matching some of the words follow, marked as partial.
        if len(strict.hits) >= strict.total:
            strict_ids = tuple(h.id for h in strict.hits)      # a first page holding every all-words match
        else:
            strict_ids = tuple(h.id for h in self._search(query, flt, 1, strict.total, sort, False).hits)
        fill_flt = replace(flt, exclude_ids=flt.exclude_ids + strict_ids)
        skip = max(0, start - strict.total)
        n_strict_here = max(0, strict.total - start)
        loose = self._tiered(query, fill_flt, 1, skip + limit - n_strict_here, sort, facets and not strict.total,
                             any_word=True)
        fill = [replace(h, partial=True) for h in loose.hits[skip:]]
        result = SearchResult(hits=(strict.hits + fill)[:limit], total=strict.total + loose.total,
                              facets=strict.facets if strict.total else loose.facets,
                              relaxed=strict.total == 0 and loose.total > 0, keys=strict.keys,
                              partial_from=strict.total if loose.total else None,
                              facets_approximate=strict.facets_approximate if strict.total
                              else loose.facets_approximate, translated=strict.translated + loose.translated)
        return self._suggested(query, result, strict.total)

    def _tiered(self, query: ParsedQuery, flt: Filters, page: int, limit: int, sort: str, facets: bool,
                any_word: bool = False) -> SearchResult:
        """``_search``, and for a bridged query ranked by relevance two tiers: the documents matching the
        reader's own words first, in exactly their order without the bridge, then those found only through it.

        A weight alone cannot promise that: a Kazakh title holding the counterpart outranks a Russian body
        that mentions the word once even at 0.5 (docs/crosslingual.md). Total and facets are the bridged
        query's (it matches a superset). Two engine queries where the reader's own words fill the page (the bridged
        one for its total and facets only), three or four where the page reaches past them, each bounded by
        ``page * limit``.
        """
        plain = query.without_bridge()
        if plain is query:
            return self._search(query, flt, page, limit, sort, facets, any_word)
        # The reader's own words alone, this very page, first: its total tells whether the page needs the bridge's.
        own_page = self._search(plain, flt, page, limit, sort, False, any_word) if plain.groups else None
        own_total = own_page.total if own_page else 0
        # A count capped at a sample (PostgreSQL, a very common word) cannot tell: rank in tiers all the same.
        capped = bool(own_page and own_page.facets_approximate)
        tiered = self.tiers and sort == "relevance"
        # Ranked in tiers, the page never takes the bridged query's own ranking: the reader's words fill it, or
        # it reaches past them and a query without their documents fills the rest. The bridged query is asked
        # for its total and facets only (on PostgreSQL at 100k, ranking a frequent word's bridged matches was a
        # third of that page's time, and then thrown away).
        full = self._search(query, flt, page, limit, sort, facets, any_word, hits=not tiered)
        if not full.total:
            return full
        full.translated = max(0, full.total - own_total)
        if not tiered:
            if full.translated and full.hits:
                own_ids = {h.id for h in self._search(plain, replace(flt, ids=tuple(h.id for h in full.hits)), 1,
                                                      len(full.hits), sort, False, any_word).hits}
                for h in full.hits:
                    h.translated = h.id not in own_ids
            return full
        start = (page - 1) * limit
        if own_page is not None and (start + limit <= own_total or not (full.translated or capped)):
            # Their page is full, or the bridge adds no document: the page is theirs, in their order.
            full.hits = own_page.hits
            return full
        # The page reaches past the reader's own matches (fewer than ``page * limit``): the bridge's follow,
        # by their bridged score.
        own = (own_page.hits if page == 1 else self._search(plain, flt, 1, own_total, sort, False, any_word).hits) \
            if own_total else []
        hits = own[start:]
        skip = max(0, start - own_total)
        rest = self._search(query, replace(flt, exclude_ids=flt.exclude_ids + tuple(h.id for h in own)), 1,
                            skip + limit - len(hits), sort, False, any_word).hits[skip:]
        # Their scores come from another query: put them below the reader's own (times the bridge's weight),
        # so scores fall with rank and a caller summing them (the expert finder) weighs a translation less.
        cap = min((h.score for h in own), default=None)
        weight = max(clause_weight(c) for g in query.groups for c in g if isinstance(c, BRIDGED))
        hits += [replace(h, translated=True, score=(h.score if cap is None else min(h.score, cap)) * weight)
                 for h in rest]
        full.hits = hits[:limit]
        return full

    def _suggested(self, query: ParsedQuery, result: SearchResult, all_words: int) -> SearchResult:
        # "Did you mean" only where it can help: (almost) nothing has every word.
        if all_words < 3 and query.groups:
            result.suggestion = self.suggest(query.without_bridge())     # the reader's words, not the bridge's
        return result

    def _redundant(self, query: ParsedQuery, flt: Filters, gen: str, shape: str) -> tuple[int, ...]:
        """Second copies of works that match the query and whose first copy matches too."""
        if not self._secondaries(gen):
            return ()

        def compute() -> SearchResult:
            dups = self._search(query, replace(flt, secondary_only=True), 1, 100, "relevance", False)
            groups = {h.group for h in dups.hits if h.group is not None}
            if not groups:
                return SearchResult(hits=[], total=0)
            firsts = self._search(query, replace(flt, ids=tuple(sorted(groups))), 1, len(groups), "relevance", False)
            matched = {h.id for h in firsts.hits}
            return SearchResult(hits=[h for h in dups.hits if h.group in matched], total=0)

        return tuple(h.id for h in self._cached((gen, shape, flt, "redundant"), compute).hits)

    def suggest(self, query: ParsedQuery) -> str | None:
        raise NotImplementedError


def year_range(q: ParsedQuery, flt: Filters) -> tuple[int | None, int | None]:
    """The year bounds of the facet selection, else of the query's ``year:`` field."""
    return flt.year_from or q.year_from, flt.year_to or q.year_to


def exact_filters(q: ParsedQuery, flt: Filters) -> list[tuple[str, str]]:
    """(index field, value) pairs every hit must carry: facet selections plus ``lang:``/``kind:``/``topic:``."""
    pairs = (("lang", tuple(flt.langs) + tuple(q.langs)), ("kind", tuple(flt.kinds) + tuple(q.kinds)),
             ("collection", tuple(str(c) for c in flt.collections)),
             ("topics", tuple(flt.topics) + tuple(q.topics)),
             ("persons", tuple(str(p) for p in flt.persons)))
    return [(name, v) for name, values in pairs for v in dict.fromkeys(values)]


def only_stopwords(group: list[Clause]) -> bool:
    """A group made only of function words ("и", "және"): optional when the query has other words."""
    return all(isinstance(c, Word) and not c.field and is_stopword(c.text) for c in group)


def may_relax(q: ParsedQuery) -> bool:
    """Whether an empty all-words result should be retried with any word (more than one content word)."""
    return sum(len(g) for g in q.groups if not only_stopwords(g)) > 1


def clause_key_sets(c: Clause) -> list[list[str]]:
    """The index keys each position of a clause may match, sorted (a word: one position).

    The bridge's clauses carry their keys (every form of the counterpart; its folded Latin keys are left
    out, the counterpart is Cyrillic); the reader's words get theirs from the analyzer.
    """
    if isinstance(c, PrefixWord):
        return [sorted(c.keys)]
    if isinstance(c, BRIDGED):
        sets = (c.keys,) if isinstance(c, BridgedWord) else c.keys
        return [sorted(k for k in ks if not k.startswith(LATIN_PREFIX)) for ks in sets]
    words = c.words if isinstance(c, Phrase) else (c.text,)
    return [sorted(word_keys(w)) for w in words]


def prefix_stem(c: Word) -> str:
    """What a ``word*`` matches the start of: the word folded as index keys are (lower case, ё as е)."""
    return fold_token(normalize_text(c.text))


def clause_weight(c: Clause) -> float:
    """A clause's boost relative to the reader's own words (the bridge's alternatives weigh less)."""
    return c.weight if isinstance(c, BRIDGED) else 1.0


def clause_keys(c: Clause) -> set[str]:
    """Index keys a clause can match (used for highlighting)."""
    out: set[str] = set()
    for ks in clause_key_sets(c):
        out.update(ks)
    return out


def query_keys(q: ParsedQuery) -> frozenset[str]:
    """Every key of every positive clause."""
    keys: set[str] = set()
    for group in q.groups:
        for c in group:
            keys |= clause_keys(c)
    return frozenset(keys)


def query_words(q: ParsedQuery) -> dict[str, str]:
    """Each key of ``query_keys`` -> its query word (the least of that word's keys): a word's readings in every
    language (диалог, диалок) stand for one word when a passage is scored."""
    words: dict[str, str] = {}
    for group in q.groups:
        for c in group:
            for ks in clause_key_sets(c):
                for k in ks:
                    words.setdefault(k, ks[0])
    return words


def encode_terms(terms: Sequence[Term]) -> str:
    """Serialise pre-analyzed terms as "key\x1fpos" items joined by "\x1e" (engines that take text)."""
    keys, positions = term_columns(terms)
    return "\x1e".join(map("{}\x1f{}".format, keys, positions))


def open_backend(kind: str, path: str | os.PathLike[str], **options) -> SearchBackend:
    """Create the configured backend: "whoosh" (embedded default), "tantivy" (fast embedded) or "postgres"
    (PostgreSQL full-text search; ``dsn=`` a libpq connection string, ``path`` is not used)."""
    if kind == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(path, **options)
    if kind == "tantivy":
        from .tantivy_backend import TantivyBackend

        return TantivyBackend(path, **options)
    if kind == "postgres":
        from .postgres_backend import PostgresBackend

        return PostgresBackend(path, **options)
    raise ValueError(f"unknown search backend {kind!r}")
