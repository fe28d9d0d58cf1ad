"""tantivy (the Rust engine's official bindings) behind the same contract, fed our pre-analyzed terms.

Every text field is added as a ``PreTokenizedString`` built from ``indexer.documents.field_terms``,
so positions (and phrases) are exactly those of our own token stream, and Russian/Kazakh analysis is
identical to the Whoosh backend. Facets come from tantivy's terms aggregation over fast fields.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import threading
import time
import zlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator

import tantivy

from .analysis import term_columns
from .backend import (FACETS, FIELD_BOOSTS, MAX_BRIDGED_COMBINATIONS, CachedSearch, Filters, Hit, PendingFacets,
                      SearchIndexError, SearchResult, clause_key_sets, clause_weight, exact_filters, only_stopwords,
                      prefix_stem, submit_aside, ties_by_id, year_range)
from .documents import IndexDocument, analyzed, speller_keys
from .query import BridgedPhrase, BridgedWord, Clause, ParsedQuery, PrefixWord, Word, engine_prefix
from .speller import suggest as suggest_words

logger = logging.getLogger(__name__)

TEXT_FIELDS = tuple(FIELD_BOOSTS)
KEYWORD_FIELDS = ("lang", "kind", "collection", "topics", "persons")
BULK_COMMIT_DOCS = 1000     # documents a rebuild writes between two commits (see ``bulk``)
_RACY_NS = 2_000_000_000    # a meta.json changed this recently is read again, whatever its stat (``generation``)
FACET_THREADS = 4           # facet counts made at once by a process (a served worker has 4 request threads)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    sb.add_text_field("uid", stored=False, tokenizer_name="raw", index_option="basic")   # delete key
    for f in TEXT_FIELDS:
        sb.add_text_field(f, stored=False, tokenizer_name="raw", index_option="position")
    for f in KEYWORD_FIELDS:
        sb.add_text_field(f, stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", stored=True, indexed=True, fast=True)
    sb.add_integer_field("added", stored=False, indexed=False, fast=True)
    sb.add_unsigned_field("group", stored=True, indexed=False, fast=True)
    sb.add_text_field("secondary", stored=False, tokenizer_name="raw", index_option="basic")
    return sb.build()


class TantivyBackend(CachedSearch):
    """The fast embedded option: a tantivy index in a folder; one writer at a time (file lock)."""

    def __init__(self, path: str | os.PathLike[str], writer_timeout: float = 60.0, heap_mb: int = 128) -> None:
        self.path = Path(path)
        self._meta_path = os.path.join(self.path, "meta.json")
        self.writer_timeout = writer_timeout
        self.heap = heap_mb * 1024 * 1024
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._open_sidecars(self.path)
        self._current: tuple[str, tantivy.Searcher] | None = None      # (generation, its searcher)
        self._generation: tuple[tuple[int, ...], str] | None = None     # (meta.json's stat, its generation)
        self._facet_pool: tuple[int, ThreadPoolExecutor] | None = None  # (its process, the threads)
        self.count_aside: Callable[[], bool] = _always     # whether to count facets in a thread of their own now

    # -- lifecycle
    def _ix(self) -> tantivy.Index:
        with self._lock:
            if self._index is None:
                self.path.mkdir(parents=True, exist_ok=True)
                try:
                    self._index = tantivy.Index(_schema(), path=str(self.path), reuse=True)
                except ValueError:
                    # An index written with other fields (an older version): only a rebuild can use it.
                    raise SearchIndexError("the search index has an older layout: run manage.py reindex") from None
            return self._index

    def close(self) -> None:
        """Forget the index handle and the searcher; the facet threads end once their counts are made."""
        with self._lock:
            self._index = None
            self._current = None
            pool, self._facet_pool = self._facet_pool, None
        if pool is not None and pool[0] == os.getpid():
            pool[1].shutdown(wait=False)

    def _writer(self):
        deadline = time.monotonic() + self.writer_timeout
        while True:
            try:
                return self._ix().writer(heap_size=self.heap, num_threads=1)
            except ValueError as exc:          # another process holds the writer lock
                if time.monotonic() > deadline:
                    raise SearchIndexError("the search index is busy (another writer holds its lock)") from exc
                time.sleep(0.2)

    # -- writing
    @staticmethod
    def _document(d: IndexDocument, fields: dict) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_unsigned("id", int(d.id))
        doc.add_text("uid", str(int(d.id)))
        for name, terms in fields.items():
            if not terms:
                continue
            keys, positions = term_columns(terms)
            # No Python code per term. A token's character offsets are required but never stored (the fields keep
            # positions only), so the position stands in for them.
            tokens = list(map(tantivy.Token, keys, positions, positions))
            doc.add_pre_tokenized_text(name, tantivy.PreTokenizedString("", tokens))
        langs = {d.language} | set(d.titles) | set(d.abstracts)
        for lang in sorted(x for x in langs if x):
            doc.add_text("lang", lang)
        doc.add_text("kind", d.kind or "article")
        if d.collection_id:
            doc.add_text("collection", str(d.collection_id))
        for t in d.topics:
            doc.add_text("topics", t)
        for p in d.person_ids:
            doc.add_text("persons", str(p))
        if d.year:
            doc.add_integer("year", int(d.year))
        doc.add_integer("added", int(d.added.timestamp()) if d.added else 0)
        doc.add_unsigned("group", int(d.group_id or d.id))
        doc.add_text("secondary", "1" if d.group_id and d.group_id != d.id else "0")
        return doc

    def _add(self, w, docs: list[IndexDocument], keys: set[str], forms: set[tuple[str, str]],
             pages: dict[int, tuple[tuple[int, bytes, bytes], ...]]) -> None:
        """Replace ``docs`` in the writer ``w``; what the sidecars need after the commit is added to the sets."""
        for d in docs:
            fields, doc_forms, pages[int(d.id)] = analyzed(d)
            keys.update(speller_keys(d, fields))
            forms |= doc_forms
            w.delete_documents_by_term("uid", str(int(d.id)))
            w.add_document(self._document(d, fields))

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
                self._add(w, docs, keys, forms, pages)
                w.commit()
            except BaseException:
                w.rollback()
                raise
            finally:
                w.wait_merging_threads()
            self._ix().reload()
            self._written(keys, forms, pages)

    @contextlib.contextmanager
    def _bulk(self, processes: int = 1) -> Iterator[Callable[[list[IndexDocument]], None]]:
        """A rebuild's writer: one tantivy writer for ``BULK_COMMIT_DOCS`` documents (several batches), then a
        commit. A commit per 200-document batch, its small segments and their merges took ~10 % of the writing
        process's time in a profile of a 3,000-article rebuild. The writer's lock is let go at each commit, so an
        upload's indexing waits at most one stretch. On an error the documents since the last commit are rolled
        back (the rebuild has failed and is run again)."""
        state: dict = {"w": None, "n": 0}
        keys: set[str] = set()
        forms: set[tuple[str, str]] = set()
        pages: dict[int, tuple[tuple[int, bytes, bytes], ...]] = {}

        def commit() -> None:
            w = state["w"]
            if w is None:
                return
            try:
                w.commit()
            finally:
                w.wait_merging_threads()
                state["w"], state["n"] = None, 0       # the writer's lock goes with it
            self._ix().reload()
            self._written(set(keys), set(forms), dict(pages))
            keys.clear()
            forms.clear()
            pages.clear()

        def write(docs: list[IndexDocument]) -> None:
            if not docs:
                return
            with self._lock:
                if state["w"] is None:
                    state["w"] = self._writer()
                self._add(state["w"], docs, keys, forms, pages)
                state["n"] += len(docs)
                if state["n"] >= BULK_COMMIT_DOCS:
                    commit()

        try:
            yield write
            with self._lock:
                commit()
        except BaseException:
            with self._lock:
                w = state["w"]
                if w is not None:
                    state["w"] = None
                    try:
                        w.rollback()
                    finally:
                        w.wait_merging_threads()
            raise

    def remove(self, ids: Iterable[int]) -> None:
        """Remove documents by id."""
        ids = list(ids)
        if not ids:
            return
        with self._lock:
            w = self._writer()
            try:
                for i in ids:
                    w.delete_documents_by_term("uid", str(int(i)))
                w.commit()
            finally:
                w.wait_merging_threads()
            self._ix().reload()
            self._removed(ids)

    def clear(self) -> None:
        """Empty the index (an index with an older layout is created afresh)."""
        with self._lock:
            try:
                self._ix()
            except SearchIndexError:
                self._index = tantivy.Index(_schema(), path=str(self.path), reuse=False)
            w = self._writer()
            try:
                w.delete_all_documents()
                w.commit()
            finally:
                w.wait_merging_threads()
            self._ix().reload()
            self._cleared()

    def _vocabulary(self):
        """Every key of every text field with its document frequency (to build the speller)."""
        ix = self._ix()
        ix.reload()
        searcher = ix.searcher()
        for f in TEXT_FIELDS:
            yield from searcher.terms_with_prefix(f, "")

    def is_empty(self) -> bool:
        """Whether the index holds no live document (one number of the current searcher, at any size)."""
        return self._searcher().num_docs == 0

    def doc_ids(self) -> set[int]:
        """Ids of every indexed document."""
        ix = self._ix()
        ix.reload()
        s = ix.searcher()
        n = s.num_docs
        if not n:
            return set()
        res = s.search(tantivy.Query.all_query(), limit=n)
        return {int(s.doc(addr)["id"][0]) for _score, addr in res.hits}

    # -- reading
    def _clause(self, c: Clause, schema):
        Q = tantivy.Query
        fields = (c.field,) if c.field else TEXT_FIELDS
        weight = clause_weight(c)
        subs = []
        per_pos = [ks for ks in clause_key_sets(c) if ks] if not engine_prefix(c) else []
        if engine_prefix(c):
            stem = prefix_stem(c)
            pattern = "".join("\\" + ch if not ch.isalnum() else ch for ch in stem) + ".*"
            subs = [Q.boost_query(Q.regex_query(schema, f, pattern), FIELD_BOOSTS.get(f, 1.0)) for f in fields]
        elif isinstance(c, (BridgedWord, PrefixWord)):
            # Only the keys each field holds (a counterpart's keys cover forms never indexed).
            searcher = self._searcher()
            subs = [Q.boost_query(Q.term_query(schema, f, k), FIELD_BOOSTS.get(f, 1.0) * weight)
                    for f in fields for k in (per_pos[0] if per_pos else ()) if searcher.doc_freq(f, k)]
            if not subs:
                return Q.empty_query()
        elif len(per_pos) == 1:
            subs = [Q.boost_query(Q.term_query(schema, f, k), FIELD_BOOSTS.get(f, 1.0) * weight)
                    for f in fields for k in per_pos[0]]
        elif isinstance(c, BridgedPhrase):
            # Only the combinations of keys each field holds.
            searcher = self._searcher()
            for f in fields:
                present = [[k for k in ks if searcher.doc_freq(f, k)] for ks in per_pos]
                if all(present):
                    subs += [Q.boost_query(Q.phrase_query(schema, f, list(combo)), FIELD_BOOSTS.get(f, 1.0) * weight)
                             for combo in itertools.islice(itertools.product(*present), MAX_BRIDGED_COMBINATIONS)]
            if not subs:
                return Q.empty_query()
        elif per_pos:
            for combo in itertools.islice(itertools.product(*per_pos), 16):
                for f in fields:
                    subs.append(Q.boost_query(Q.phrase_query(schema, f, list(combo)), FIELD_BOOSTS.get(f, 1.0)))
        if not subs:
            return None
        return Q.boolean_query([(tantivy.Occur.Should, s) for s in subs]) if len(subs) > 1 else subs[0]

    def generation(self) -> str:
        """Changes with every commit of any process (tantivy rewrites meta.json, whose opstamp grows).

        Asked several times a search (the searcher, the result cache, the term bridge): the file is read again only
        when its ``stat`` changed (tantivy replaces it with a renamed new file) or was written in the last
        ``_RACY_NS`` (a file rewritten within the file system's clock tick, or a freed inode number taken again,
        could otherwise look unchanged), else one ``stat`` answers."""
        path = self._meta_path
        try:
            st = os.stat(path)
            key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            known = self._generation
            if known is not None and known[0] == key and time.time_ns() - st.st_ctime_ns > _RACY_NS:
                return known[1]
            with open(path, "rb") as fh:
                gen = str(zlib.crc32(fh.read()))
        except OSError:
            return "0"
        self._generation = (key, gen)
        return gen

    def _secondaries(self, generation: str) -> int:
        return self._searcher().doc_freq("secondary", "1")

    def _build(self, q: ParsedQuery, flt: Filters, schema, any_word: bool = False):
        Q, O = tantivy.Query, tantivy.Occur
        content = [g for g in q.groups if not only_stopwords(g)]
        parts: list[tuple] = []
        groups = []
        optional = []
        for group in q.groups:
            subs = [s for s in (self._clause(c, schema) for c in group) if s is not None]
            if not subs:
                continue
            node = Q.boolean_query([(O.Should, s) for s in subs]) if len(subs) > 1 else subs[0]
            # Function words ("и", "в", "және") only add to the score when the query has other words.
            (optional if content and only_stopwords(group) else groups).append(node)
        if groups:
            if any_word:
                parts.append((O.Must, Q.boolean_query([(O.Should, g) for g in groups])))
            else:
                parts.extend((O.Must, g) for g in groups)
            parts.extend((O.Should, g) for g in optional)
        elif optional:
            parts.extend((O.Must, g) for g in optional)
        else:
            parts.append((O.Must, Q.all_query()))
        for c in q.excluded:
            node = self._clause(c, schema)
            if node is not None:
                parts.append((O.MustNot, node))
        y0, y1 = year_range(q, flt)
        if y0 or y1:
            parts.append((O.Must, Q.range_query(schema, "year", tantivy.FieldType.Integer, y0, y1)))
        parts.extend((O.Must, Q.term_query(schema, name, v)) for name, v in exact_filters(q, flt))
        if flt.ids is not None:
            parts.append((O.Must, Q.term_set_query(schema, "id", list(flt.ids)) if flt.ids else Q.empty_query()))
        if flt.exclude_ids:
            parts.append((O.MustNot, Q.term_set_query(schema, "id", list(flt.exclude_ids))))
        if flt.secondary_only:
            parts.append((O.Must, Q.term_query(schema, "secondary", "1")))
        return Q.boolean_query(parts)

    def _counter(self) -> ThreadPoolExecutor:
        """This process's threads for facet counts (made again in a forked child, where the parent's threads are
        gone)."""
        pool = self._facet_pool
        if pool is None or pool[0] != os.getpid():
            with self._lock:
                pool = self._facet_pool
                if pool is None or pool[0] != os.getpid():
                    pool = self._facet_pool = (os.getpid(), ThreadPoolExecutor(FACET_THREADS, "facets"))
        return pool[1]

    def _searcher(self):
        """The searcher of the current generation, reused by every search until the next commit."""
        gen = self.generation()
        cached = self._current
        if cached is not None and cached[0] == gen:
            return cached[1]
        ix = self._ix()
        ix.reload()
        searcher = ix.searcher()
        self._current = (gen, searcher)
        return searcher

    def _search(self, query: ParsedQuery, filters: Filters, page: int, limit: int, sort: str, facets: bool,
                any_word: bool = False, hits: bool = True) -> SearchResult:
        """One tantivy query: all words (or any word) with the filters, one page, facet counts."""
        schema = self._ix().schema
        searcher = self._searcher()
        kw = {}
        if sort == "newest" or (query.is_empty and sort == "relevance"):
            kw = {"order_by_field": "year", "order": tantivy.Order.Desc}
        elif sort == "oldest":
            kw = {"order_by_field": "year", "order": tantivy.Order.Asc}
        q = self._build(query, filters, schema, any_word=any_word)
        # The facets are counted in another thread (tantivy lets go of the GIL), beside the page's ranking here and
        # its records and snippets after (the page reads them last); in this one when ``count_aside`` says the
        # process is busy (other requests would only take turns with that thread).
        facet_counts: Mapping[str, dict[str, int]] = {}
        if facets:
            facet_counts = (PendingFacets(submit_aside(self._counter(), _facet_counts, searcher, q),
                                          functools.partial(_facet_counts, searcher, q)) if self.count_aside()
                            else _facet_counts(searcher, q))
        res = searcher.search(q, limit=limit, offset=(page - 1) * limit, count=True, **kw)
        hits = []
        for score, addr in res.hits:
            doc = searcher.doc(addr)
            hits.append(Hit(int(doc["id"][0]), float(score) if not kw else 0.0, int(doc["group"][0])
                            if doc.get_first("group") is not None else None))
        if not kw:
            hits = ties_by_id(hits)
        return SearchResult(hits=hits, total=int(res.count or 0), facets=facet_counts)

    def suggest(self, query: ParsedQuery, searcher=None) -> str | None:
        """The query with each unknown word replaced by the most frequent indexed term within 2 edits."""
        searcher = searcher or self._searcher()
        words = [c.text for g in query.groups for c in g if isinstance(c, Word) and not c.prefix]
        if not words:
            return None
        schema = self._ix().schema

        def known(keys) -> bool:
            present = [(f, k) for k in keys for f in TEXT_FIELDS if searcher.doc_freq(f, k)]
            if not present:
                return False
            # Frequencies still count deleted documents until a merge: ask for one live document.
            q = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.term_query(schema, f, k))
                                             for f, k in present])
            return bool(searcher.search(q, limit=1).hits)
        return suggest_words(words, self.speller, known)


def _always() -> bool:
    return True


def _facet_counts(searcher, q) -> dict[str, dict[str, int]]:
    """Each facet's values with their counts among the matches of ``q`` (tantivy's terms aggregation)."""
    out = searcher.aggregate(q, {name: {"terms": {"field": name, "size": 200}} for name in FACETS})
    return {name: {str(b["key"]): int(b["doc_count"]) for b in out.get(name, {}).get("buckets", []) if str(b["key"])}
            for name in FACETS}
