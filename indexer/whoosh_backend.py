"""The embedded default engine: a Whoosh index in a folder, fed our own pre-analyzed terms."""
from __future__ import annotations

import contextlib
import itertools
import logging
from collections import OrderedDict
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np
from whoosh.analysis import Composable, Token
from whoosh.collectors import FilterCollector, SortingCollector, TopCollector
from whoosh.searching import ResultsPage

from .backend import (FACETS, FIELD_BOOSTS, MAX_BRIDGED_COMBINATIONS, CachedSearch, Filters, Hit, SearchIndexError,
                      SearchResult, clause_key_sets, clause_weight, encode_terms, exact_filters, only_stopwords,
                      prefix_stem, ties_by_id, year_range)
from .documents import IndexDocument, analyzed, speller_keys
from .query import KEYED, BridgedPhrase, Clause, ParsedQuery, Word, engine_prefix
from .speller import suggest as suggest_words
from .whoosh_fast import FastScorer, Unsupported, allowed, top
from .whoosh_storage import MmapFileStorage

logger = logging.getLogger(__name__)
DOC_SET_CACHE_SIZE = 256    # filters' document sets kept per searcher
RETIRED_GRACE_S = 120.0      # an old searcher is closed this long after a newer one replaced it
T = TypeVar("T")
TOC_READS = 20               # tries to read the table of contents while other processes commit (10 ms apart)


class _CountingTopCollector(TopCollector):
    """Whoosh's top-N collector scoring every match (no block skipping) and keeping their numbers, so the total
    and the facets' document set come from the same pass."""

    def __init__(self, limit: int) -> None:
        # No block skipping, and no "replacing" the matcher with one that drops what cannot reach the top N
        TopCollector.__init__(self, limit, usequality=False, replace=0)

    def _collect(self, global_docnum, score):
        self.docset.add(global_docnum)
        return TopCollector._collect(self, global_docnum, score)

    def all_ids(self):
        return self.docset

    def count(self):
        return len(self.docset)


class PreAnalyzed(Composable):
    """Whoosh analyzer that replays our own token stream (key, position) instead of tokenising.

    It lives at module level because Whoosh pickles the schema by reference.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not value:
            return
        for item in value.split("\x1e"):
            key, _, pos = item.rpartition("\x1f")
            t.text = key
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = int(pos)
            yield t


def _schema():
    from whoosh import fields

    ana = PreAnalyzed()
    text = lambda: fields.TEXT(analyzer=ana, phrase=True)  # noqa: E731 - field factory, not pickled
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=text(), abstract=text(), keywords=text(), authors=text(), body=text(),
        year=fields.NUMERIC(int, stored=True, sortable=True),
        lang=fields.KEYWORD(stored=True, commas=True, sortable=False),
        kind=fields.ID(stored=True, sortable=True),
        collection=fields.ID(stored=True, sortable=True),
        topics=fields.KEYWORD(commas=True),
        persons=fields.KEYWORD(commas=True),
        added=fields.DATETIME(stored=True, sortable=True),
        group=fields.NUMERIC(int, stored=True),
        secondary=fields.ID(),
    )


def _field_kinds(schema) -> list[tuple[str, str]]:
    """Field names and types: enough to tell an index built by another version of the schema."""
    return [(name, type(field).__name__) for name, field in schema.items()]


def _toc_read(read: Callable[[], T]) -> T:
    """``read()``, something that reads the index's table of contents, tried again while another process's commit
    removes the one it was reading: each commit writes the next generation's file and deletes the previous one, so
    a reader that listed the folder just before may open a file that is gone (FileNotFoundError). Whoosh's own
    ``reader()`` retries the same way; opening the index and its schema did not, and a search failed."""
    for attempt in range(TOC_READS):
        try:
            return read()
        except FileNotFoundError:
            if attempt == TOC_READS - 1:
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def _open_index(storage):
    return _toc_read(storage.open_index)


def _read_toc(ix):
    return _toc_read(ix._read_toc)


class WhooshBackend(CachedSearch):
    """The embedded default: a Whoosh index in a folder, one writer at a time."""

    SCHEMA_VERSION = "1"

    def __init__(self, path: str | os.PathLike[str], writer_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.writer_timeout = writer_timeout
        self._ix = None
        self._searcher = None
        self._searcher_gen = -1
        self._retired: list[tuple[float, object]] = []     # (when replaced, searcher) awaiting close
        self._lock = threading.RLock()
        self._open_sidecars(self.path)
        self._facets_of: tuple[object, tuple] | None = None     # (searcher, facet pairs per document)
        self._doc_sets: tuple[object, OrderedDict] | None = None  # (searcher, filter's repr -> its documents)
        self._doc_arrays: tuple[object, OrderedDict] | None = None  # (searcher, filter's repr -> sorted array)
        self._fast: tuple[object, FastScorer | None] | None = None  # (searcher, its array scorer)
        self.fast_scoring = True     # words scored with numpy (whoosh_fast); False: every query by Whoosh itself
        self._read_lock = threading.RLock()

    # -- lifecycle
    def _storage(self) -> MmapFileStorage:
        # Compound segments read in place from an mmap, not copied into each process's heap (whoosh_storage.py).
        return MmapFileStorage(str(self.path))

    def _index(self):
        from whoosh.index import EmptyIndexError

        if self._ix is None:
            with self._lock:
                if self._ix is None:
                    self.path.mkdir(parents=True, exist_ok=True)
                    try:
                        self._ix = _open_index(self._storage())
                    except EmptyIndexError:
                        self._create(afresh=False)
                        self._ix = _open_index(self._storage())
        return self._ix

    def _current(self):
        """The index if it opens and has the current fields, else None."""
        try:
            ix = _open_index(self._storage())
            fields = _field_kinds(_read_toc(ix).schema)
        except Exception:  # noqa: BLE001 - missing or unreadable
            return None
        return ix if fields == _field_kinds(_schema()) else None

    def _create(self, afresh: bool) -> bool:
        """Create the index under the writer lock, as another process may be creating it at the same moment (two
        creations of its first table of contents collide: "File '_MAIN_0.toc' exists"). ``afresh``: replace an
        index that is there but unreadable or of older fields. False when, under the lock, a current index was
        found: nothing was done."""
        from whoosh import index
        from whoosh.util.filelock import try_for

        storage = self._storage()
        lock = storage.lock(index._DEF_INDEX_NAME + "_WRITELOCK")
        if not try_for(lock.acquire, timeout=self.writer_timeout, delay=0.1):
            raise SearchIndexError("the search index is busy (another writer holds its lock)")
        try:
            if self._current() is not None:
                return False
            if afresh or not storage.index_exists():
                storage.create_index(_schema())
            return True
        finally:
            lock.release()

    def _get_searcher(self):
        # Reopen when any process committed a new generation (Whoosh's own refresh() misses
        # deletion-only commits).
        with self._lock:
            ix = self._index()
            gen = ix.latest_generation()
            if self._searcher is None or gen != self._searcher_gen:
                now = time.monotonic()
                if self._searcher is not None:
                    # Other threads may still be reading the old searcher (a search, then its "did you
                    # mean"): retire it and close it only after a grace period, never under their feet.
                    self._retired.append((now, self._searcher))
                while self._retired and now - self._retired[0][0] > RETIRED_GRACE_S:
                    self._retired.pop(0)[1].close()
                self._searcher = ix.searcher()
                self._searcher_gen = gen
            return self._searcher

    def close(self) -> None:
        """Release the searcher and the index handle."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            for _when, old in self._retired:
                old.close()
            self._retired.clear()
            self._ix = None

    # -- writing
    def _writer(self):
        from whoosh.writing import LockError

        try:
            # Segments stay compound: Whoosh opens a segment's column files lazily and takes a missing one for an
            # absent column, so with separate files a reader older than a rebuild's commit failed (TypeError in
            # stored_fields) once the writer had deleted its files. A compound segment is one mapped file that
            # stays readable after its deletion, and MmapFileStorage reads it in place (no per-process copy).
            return self._index().writer(timeout=self.writer_timeout, limitmb=128)
        except LockError as exc:
            raise SearchIndexError("the search index is busy (another writer holds its lock)") from exc

    def update(self, docs: Iterable[IndexDocument]) -> None:
        """Add or replace documents (one commit for the batch)."""
        docs = list(docs)
        if not docs:
            return
        keys: set[str] = set()
        forms: set[tuple[str, str]] = set()
        pages: dict[int, tuple[tuple[int, bytes, bytes], ...]] = {}
        with self._lock:
            w = self._writer()
            try:
                for d in docs:
                    terms, doc_forms, pages[int(d.id)] = analyzed(d)
                    keys.update(speller_keys(d, terms))
                    forms |= doc_forms
                    w.update_document(**self._fields(d, terms))
                w.commit()
            except BaseException:
                w.cancel()
                raise
            self._written(keys, forms, pages)

    @contextlib.contextmanager
    def _bulk(self, processes: int = 1) -> Iterator[Callable[[list[IndexDocument]], None]]:
        """A rebuild's writer: with ``processes > 1``, child processes write whole segments (whoosh_bulk.py) and
        this process commits each as it is finished; else each batch is an ``update``."""
        if processes <= 1:
            yield self.update
            return
        from .whoosh_bulk import SegmentBulk

        writer = SegmentBulk(self, processes)
        try:
            yield writer.add
            writer.finish()
        except BaseException:
            writer.abort()
            raise

    def _add_segment(self, folder: Path, segment, ids: list[str]) -> None:
        """Commit ``segment``, written by a bulk child in ``folder``: under the writer lock, delete any older copy
        of its documents, move its file into the index and commit a table of contents naming it."""
        from whoosh import writing

        name = segment.make_filename(segment.COMPOUND_EXT)
        with self._lock:
            w = self._writer()
            moved = False
            try:
                for i in ids:
                    w.delete_by_term("id", i)
                segments = w._merge_segments(writing.NO_MERGE, False, False)
                w._close_segment()
                os.replace(folder / name, self.path / name)
                moved = True
                w._commit_toc(segments + [segment])
            except BaseException:
                if moved:
                    (self.path / name).unlink(missing_ok=True)
                w.cancel()
                raise
            w._finish()

    def remove(self, ids: Iterable[int]) -> None:
        """Remove documents by id (absent ids are ignored)."""
        ids = list(ids)
        if not ids:
            return
        with self._lock:
            w = self._writer()
            try:
                for i in ids:
                    w.delete_by_term("id", str(int(i)))
                w.commit()
            except BaseException:
                w.cancel()
                raise
            self._removed(ids)

    def clear(self) -> None:
        """Empty the index (used before a full rebuild), holding the writer lock like every other write.

        An index with the current fields is emptied by a commit that drops all its segments, so other
        processes never find it missing; an absent, damaged or older one is created afresh (still locked).
        """
        from whoosh import writing

        with self._lock:
            self.close()
            self.path.mkdir(parents=True, exist_ok=True)
            while True:
                ix = self._current()
                if ix is not None:
                    self._ix = ix
                    w = self._writer()
                    try:
                        w.commit(mergetype=writing.CLEAR)
                    except BaseException:
                        w.cancel()
                        raise
                    break
                if self._create(afresh=True):
                    self._ix = _open_index(self._storage())
                    break
                # another process created a current index meanwhile: empty that one
            self._cleared()

    def is_empty(self) -> bool:
        """Whether the index holds no live document (one number of the current searcher, at any size)."""
        return self._get_searcher().doc_count() == 0

    def doc_ids(self) -> set[int]:
        """Ids of every indexed document."""
        s = self._get_searcher()
        return {int(f["id"]) for f in s.all_stored_fields()}

    def _vocabulary(self):
        """Every key of every text field with its document frequency (to build the speller)."""
        with self._read_lock:
            reader = self._get_searcher().reader()
            items = [((term.decode("utf-8") if isinstance(term, bytes) else term), info.doc_frequency())
                     for f in FIELD_BOOSTS for term, info in reader.iter_field(f)]
        return iter(items)

    @staticmethod
    def _fields(d: IndexDocument, terms, encode=encode_terms) -> dict:
        """What ``add_document`` takes for ``d``: its text fields as ``encode(terms)`` (None: the terms as they are,
        for the bulk writer) and its other fields."""
        out = {name: encode(ts) if encode is not None else ts for name, ts in terms.items()}
        langs = {d.language} | {k for k in d.titles if k} | {k for k in d.abstracts if k}
        out.update(
            id=str(int(d.id)),
            lang=",".join(sorted(x for x in langs if x)),
            kind=d.kind or "article",
            collection=str(d.collection_id) if d.collection_id else "",
            topics=",".join(d.topics),
            persons=",".join(str(p) for p in d.person_ids),
            group=int(d.group_id or d.id),
            secondary="1" if d.group_id and d.group_id != d.id else "0",
        )
        if d.year:
            out["year"] = int(d.year)
        if d.added:
            out["added"] = d.added
        return out

    # -- reading
    def _clause(self, c: Clause):
        from whoosh import query as wq

        fields_ = (c.field,) if c.field else tuple(FIELD_BOOSTS)
        weight = clause_weight(c)
        if engine_prefix(c):
            stem = prefix_stem(c)
            return wq.Or([wq.Prefix(f, stem, boost=FIELD_BOOSTS.get(f, 1.0)) for f in fields_])
        per_pos = [ks for ks in clause_key_sets(c) if ks]
        if not per_pos:
            return None
        if isinstance(c, KEYED):
            # A counterpart's key set covers all its forms, most of which an index never saw, and a prefix's keys
            # come from every field: only the keys (and for a phrase the combinations of keys) each field holds,
            # bounded like the reader's phrases.
            reader = self._get_searcher().reader()
        if len(per_pos) == 1:
            keys = per_pos[0]
            terms = [wq.Term(f, k, boost=FIELD_BOOSTS.get(f, 1.0) * weight) for f in fields_ for k in keys
                     if not isinstance(c, KEYED) or reader.doc_frequency(f, k)]
            return wq.Or(terms) if terms else wq.NullQuery
        if isinstance(c, BridgedPhrase):
            phrases = []
            for f in fields_:
                present = [[k for k in ks if reader.doc_frequency(f, k)] for ks in per_pos]
                if all(present):
                    phrases += [wq.Phrase(f, list(combo), boost=FIELD_BOOSTS.get(f, 1.0) * weight)
                                for combo in itertools.islice(itertools.product(*present), MAX_BRIDGED_COMBINATIONS)]
            return wq.Or(phrases) if phrases else wq.NullQuery
        # Phrase: every combination of the words' keys (bounded), in every field.
        combos = list(itertools.islice(itertools.product(*per_pos), 16))
        return wq.Or([wq.Phrase(f, list(combo), boost=FIELD_BOOSTS.get(f, 1.0))
                      for f in fields_ for combo in combos])

    def generation(self) -> str:
        """Changes with every commit of any process (Whoosh's TOC generation)."""
        return str(self._index().latest_generation())

    def _secondaries(self, generation: str) -> int:
        if "secondary" not in _read_toc(self._index()).schema:
            return 0                            # an index built before works were grouped (until a reindex)
        with self._read_lock:
            return self._get_searcher().reader().doc_frequency("secondary", "1")

    def _filter_query(self, q: ParsedQuery, flt: Filters):
        from whoosh import query as wq

        parts = []
        if flt.ids is not None:
            parts.append(wq.Or([wq.Term("id", str(i)) for i in flt.ids]) if flt.ids else wq.NullQuery)
        if flt.secondary_only:
            parts.append(wq.Term("secondary", "1"))
        y0, y1 = year_range(q, flt)
        if y0 or y1:
            parts.append(wq.NumericRange("year", y0, y1))
        parts.extend(wq.Term(name, v) for name, v in exact_filters(q, flt))
        return wq.And(parts) if parts else None

    def _build(self, q: ParsedQuery, any_word: bool = False):
        from whoosh import query as wq

        groups = []
        optional = []
        content = [g for g in q.groups if not only_stopwords(g)]
        for group in q.groups:
            subs = [s for s in (self._clause(c) for c in group) if s is not None]
            if not subs:
                continue
            node = wq.Or(subs) if len(subs) > 1 else subs[0]
            # Function words ("и", "в", "және") are not required when the query has other words.
            (optional if content and only_stopwords(group) else groups).append(node)
        if not groups:
            base = wq.Every()
        elif any_word:
            base = wq.Or(groups)
        else:
            base = wq.And(groups)
        if optional and groups:
            base = wq.AndMaybe(base, wq.Or(optional))
        return base

    def _excluded(self, q: ParsedQuery, filters: Filters):
        """What the search must leave out: the excluded ids and the documents of the excluded words, as one query
        for the collector's mask. (Whoosh's own AndNot gives wrong answers: a document with the excluded word was
        found or not depending on where it lay in a segment, whoosh issue #419; seen with several segments.)"""
        from whoosh import query as wq

        parts = [s for s in (self._clause(c) for c in q.excluded) if s is not None]
        if filters.exclude_ids:
            parts.append(wq.Or([wq.Term("id", str(i)) for i in filters.exclude_ids]))
        return wq.Or(parts) if parts else None

    def _search(self, query: ParsedQuery, filters: Filters, page: int, limit: int, sort: str, facets: bool,
                any_word: bool = False, hits: bool = True) -> SearchResult:
        # One query at a time per process: a Whoosh searcher's files are read with seek-then-read, and two
        # threads interleaving them unpickle garbage (seen under 8 clients). Whoosh holds the GIL anyway.
        with self._read_lock:
            return self._search_locked(query, filters, page, limit, sort, facets, any_word)

    def _search_locked(self, query: ParsedQuery, filters: Filters, page: int, limit: int, sort: str, facets: bool,
                       any_word: bool) -> SearchResult:
        """One Whoosh query: all words (or any word) with the filters, one page, facet counts."""
        from whoosh import sorting

        searcher = self._get_searcher()
        flt_query, mask_query = self._filter_query(query, filters), self._excluded(query, filters)
        flt = self._doc_set(searcher, flt_query)
        mask = self._doc_set(searcher, mask_query)
        sortedby = None
        reverse = False
        if sort == "newest" or (query.is_empty and sort == "relevance"):
            sortedby, reverse = [sorting.FieldFacet("year", reverse=True), sorting.FieldFacet("added", reverse=True)], False
        elif sort == "oldest":
            sortedby = [sorting.FieldFacet("year"), sorting.FieldFacet("added")]
        q = self._build(query, any_word=any_word)
        if not sortedby:
            scored = self._scored(searcher, q)
            if scored is not None:
                docs, scores = allowed(*scored, self._doc_array(searcher, flt_query, flt),
                                       self._doc_array(searcher, mask_query, mask))
                start = (page - 1) * limit
                hits = []
                for docnum, score in top(docs, scores, start, start + limit):
                    stored = searcher.stored_fields(docnum)
                    hits.append(Hit(int(stored["id"]), score, stored.get("group")))
                return SearchResult(hits=ties_by_id(hits), total=len(docs),
                                    facets=self._facet_counts(searcher, docs) if facets else {})
        # One pass over the matches: Whoosh's own top-N collector skips blocks, then walks every match twice more
        # (once to count them, once for the facets' document set).
        collector = (SortingCollector(sortedby, limit=page * limit, reverse=reverse) if sortedby
                     else _CountingTopCollector(page * limit))
        if flt is not None or mask is not None:
            collector = FilterCollector(collector, flt, mask)
        searcher.search_with_collector(q, collector)
        results = ResultsPage(collector.results(), page, limit)
        # Whoosh answers a page past the end with the last page: that is no hits here.
        hits = [Hit(int(r["id"]), float(r.score) if isinstance(r.score, (int, float)) else 0.0, r.get("group"))
                for r in results] if results.pagenum == page else []
        if not sortedby:
            hits = ties_by_id(hits)
        facet_counts = self._facet_counts(searcher, results.results.docs()) if facets else {}
        return SearchResult(hits=hits, total=results.total, facets=facet_counts)

    def _facet_counts(self, searcher, docs) -> dict[str, dict[str, int]]:
        """Facet counts of the matched documents ``docs`` (document numbers), most frequent first, then by facet
        and value: counted with numpy from each document's values, read once per index generation, instead of
        Whoosh's facet collectors walking every posting list of the multi-valued fields per search (and of a
        Python count of ~12,000 pairs for a frequent word at 3,000 articles, ~1.5 ms)."""
        pairs, starts, codes = self._facet_table(searcher)
        docs = docs if isinstance(docs, np.ndarray) else np.fromiter(docs, dtype=np.int64)
        facet_counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        if not len(docs) or not len(codes):
            return facet_counts
        # the codes of every matched document, end to end: each document's run of ``codes``
        first, lengths = starts[docs], starts[docs + 1] - starts[docs]
        total = int(lengths.sum())
        runs = np.repeat(first - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) + np.arange(total)
        counted = np.bincount(codes[runs], minlength=len(pairs))
        held = np.nonzero(counted)[0]                 # the pairs are in (facet, value) order: ties stay so
        for i in held[np.argsort(-counted[held], kind="stable")].tolist():
            name, value = pairs[i]
            facet_counts[name][value] = int(counted[i])
        return facet_counts

    def _scored(self, searcher, q):
        """(document numbers, scores) of query ``q`` scored with numpy (``whoosh_fast``), or None where that
        does not apply (Whoosh scores it)."""
        if not self.fast_scoring:
            return None
        if self._fast is None or self._fast[0] is not searcher:
            try:
                scorer = FastScorer(searcher)
            except Unsupported:
                scorer = None
            self._fast = (searcher, scorer)
        scorer = self._fast[1]
        if scorer is None:
            return None
        try:
            return scorer.evaluate(q)
        except Unsupported:
            return None

    def _doc_array(self, searcher, flt, found) -> np.ndarray | None:
        """``_doc_set``'s documents (``found``, of filter query ``flt``) as a sorted array, kept like them; None
        for no filter."""
        from whoosh import query as wq

        if flt is None:
            return None
        # an empty set stays a query in ``_doc_set``: no document
        return self._kept("_doc_arrays", searcher, repr(flt), lambda: np.fromiter(
            () if isinstance(found, wq.Query) else sorted(found) if isinstance(found, (set, frozenset)) else found,
            dtype=np.int64))

    def _kept(self, slot: str, searcher, key: str, make: Callable[[], T]) -> T:
        """``make()``, kept under ``key`` for as long as ``searcher`` (the index generation) is the current one, in
        the cache of attribute ``slot`` (the ``DOC_SET_CACHE_SIZE`` last used)."""
        cached = getattr(self, slot)
        if cached is None or cached[0] is not searcher:
            cached = (searcher, OrderedDict())
            setattr(self, slot, cached)
        kept = cached[1]
        found = kept.get(key)
        if found is None:
            found = kept[key] = make()
            while len(kept) > DOC_SET_CACHE_SIZE:
                kept.popitem(last=False)
        else:
            kept.move_to_end(key)
        return found

    def _doc_set(self, searcher, flt):
        """The documents of filter query ``flt`` as Whoosh itself would make them for ``search(filter=...)``, kept
        per searcher (index generation): a year range or a language otherwise walks its posting lists again on
        every search (~20 ms a search at 3,000 × 3,000 words)."""
        if flt is None:
            return None
        found = self._kept("_doc_sets", searcher, repr(flt), lambda: searcher._filter_to_comb(flt))
        # Whoosh takes an empty set for "no filter" (it tests the set's truth): such a filter stays a query, which
        # matches nothing quickly.
        return found if len(found) else flt

    def _facet_table(self, searcher) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
        """The (facet, value) pairs of every document number of this searcher, read once per index generation:
        the distinct pairs in (facet, value) order, and each document's pair numbers as ``codes[starts[d]:
        starts[d + 1]]``."""
        cached = self._facets_of
        if cached is not None and cached[0] is searcher:
            return cached[1]
        reader = searcher.reader()
        rows: list[list[tuple[str, str]]] = [[] for _ in range(reader.doc_count_all())]
        for docnum, stored in reader.iter_docs():
            row = rows[docnum]
            if stored.get("year"):
                row.append(("year", str(stored["year"])))
            row.extend(("lang", v) for v in (stored.get("lang") or "").split(",") if v)
            if stored.get("kind"):
                row.append(("kind", stored["kind"]))
            if stored.get("collection"):
                row.append(("collection", stored["collection"]))
        for name in ("topics", "persons"):
            for term in reader.lexicon(name):
                value = term.decode("utf-8") if isinstance(term, bytes) else str(term)
                for docnum in reader.postings(name, term).all_ids():
                    rows[docnum].append((name, value))
        pairs = sorted({pair for row in rows for pair in row})
        number = {pair: i for i, pair in enumerate(pairs)}
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(row) for row in rows], out=starts[1:])
        codes = np.fromiter((number[pair] for row in rows for pair in row), dtype=np.int64, count=int(starts[-1]))
        table = (pairs, starts, codes)
        self._facets_of = (searcher, table)
        return table

    def suggest(self, query: ParsedQuery) -> str | None:
        """The query with each word the index does not know replaced by the nearest indexed term."""
        with self._read_lock:
            return self._suggest_locked(query)

    def _suggest_locked(self, query: ParsedQuery) -> str | None:
        from whoosh import query as wq

        searcher = self._get_searcher()
        reader = searcher.reader()
        words = [c.text for g in query.groups for c in g if isinstance(c, Word) and not c.prefix]
        if not words:
            return None

        def known(keys) -> bool:
            present = [(f, k) for k in keys for f in FIELD_BOOSTS if reader.doc_frequency(f, k)]
            if not present or not reader.has_deletions():
                return bool(present)
            # Frequencies still count deleted documents until a merge: ask for one live document.
            return next(iter(searcher.docs_for_query(wq.Or([wq.Term(f, k) for f, k in present]))), None) is not None
        return suggest_words(words, self.speller, known)
