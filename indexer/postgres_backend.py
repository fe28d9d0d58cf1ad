"""PostgreSQL full-text search behind the same contract, fed our pre-analyzed terms.

Nothing is analysed by PostgreSQL: ``indexer.documents.field_terms`` gives the keys and positions, and
we write them as a ``tsvector`` literal (weights title A, authors/keywords B, abstract C, body D) and
query them with ``tsquery`` literals cast as text, so PostgreSQL never re-normalises a key and the
Russian/Kazakh analysis is identical to the Whoosh and tantivy backends.

Tables (created when missing; ``prefix`` default ``search_``, in ``schema`` or the search_path):

* ``documents``: one row per publication: ``tsv`` (every field, GIN-indexed), ``authors_tsv`` and
  ``keywords_tsv`` (to tell the two B-weighted fields apart for ``author:``/``keywords:``), and the
  facet/filter values (year, added, lang[], kind, collection, topics[], persons[]).
* ``passages``: the body of long documents again in windows of ``WINDOW`` positions, because a
  tsvector position stops at 16383 and keeps at most 256 positions per lexeme; phrases are checked
  there too, so they are found anywhere in a 3000-page volume.
* ``terms``: the vocabulary with document frequencies; "did you mean" uses the shared speller
  (``indexer.speller``, built from this table, kept in the local index folder) and checks its answer here.

One writer at a time (``pg_advisory_xact_lock``); readers use MVCC snapshots and never wait.
"""
from __future__ import annotations

import itertools
import logging
import operator
import os
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from .analysis import Term, positions_by_key, term_columns, term_keys
from .backend import (FACETS, FIELD_BOOSTS, CachedSearch, Filters, Hit, SearchIndexError, SearchResult, clause_key_sets,
                      exact_filters, only_stopwords, prefix_stem, submit_aside, year_range)
from .documents import IndexDocument, analyzed
from .query import Clause, ParsedQuery, Phrase, Word, engine_prefix
from .speller import suggest as suggest_words

logger = logging.getLogger(__name__)

T = TypeVar("T")

# tsvector weight of each field; FIELD_BOOSTS orders them (authors and keywords share B: four letters only).
FIELD_WEIGHTS = {"title": "A", "authors": "B", "keywords": "B", "abstract": "C", "body": "D"}
FIELD_ORDER = ("title", "authors", "keywords", "abstract", "body")    # position ranges in the one tsvector
_TOP = max(FIELD_BOOSTS.values())
# ts_rank_cd's weights array is {D, C, B, A}; each letter weighs like its strongest field.
RANK_WEIGHTS = [max(FIELD_BOOSTS[f] for f, w in FIELD_WEIGHTS.items() if w == letter) / _TOP for letter in "DCBA"]
RANK_NORMALIZATION = 0          # 0 = no length normalisation: a long volume is not punished for being long

MAX_POS = 16383                 # PostgreSQL's largest tsvector position
LAST_REAL_POS = MAX_POS - 2     # real positions stop here; later ones all become MAX_POS (never adjacent)
MAX_POSITIONS = 256             # positions kept per lexeme (PostgreSQL drops the rest)
MAX_LEXEME_BYTES = 2046
MAX_TSVECTOR_BYTES = 900_000    # PostgreSQL's limit is 1 MB; stay clear of it
WINDOW = 2048                   # body positions per passage row (a frequent word stays < 256 per window)
OVERLAP = 16                    # windows overlap, so a phrase (at most 12 words) across a border is found
FACET_LIMIT = 200
FACET_SAMPLE = 5000             # matches counted at most; beyond, total and facets are from this sample
RERANK = 100                    # RUM's own order picks this many candidates, ts_rank_cd orders them


@dataclass
class _Row:
    """What one document becomes in the tables."""

    id: int
    tsv: str
    authors_tsv: str
    keywords_tsv: str
    passages: list[str]
    keys: set[str]
    year: int | None
    added: object
    lang: list[str]
    kind: str
    collection: str | None
    topics: list[str]
    persons: list[str]
    group_id: int
    secondary: bool
    forms: frozenset[tuple[str, str]]
    pages: tuple[tuple[int, bytes, bytes], ...]


# --------------------------------------------------------------------------- literals
def quote_lexeme(key: str) -> str:
    """A key as a quoted tsvector/tsquery lexeme (backslashes and quotes escaped)."""
    return "'" + key.replace("\\", "\\\\").replace("'", "''") + "'"


def _usable(key: str) -> bool:
    """Whether a tsvector can hold ``key`` (not empty, at most ``MAX_LEXEME_BYTES`` in UTF-8)."""
    return bool(key) and (len(key) <= MAX_LEXEME_BYTES // 4 or len(key.encode("utf-8")) <= MAX_LEXEME_BYTES)


def _unusable(keys: set[str] | dict[str, object]) -> set[str]:
    """Those of the distinct ``keys`` a tsvector cannot hold (empty, or over ``MAX_LEXEME_BYTES`` in UTF-8)."""
    if "" not in keys and max(map(len, keys), default=0) <= MAX_LEXEME_BYTES // 4:
        return set()                  # four bytes a character at most: every key fits
    return {k for k in keys if not _usable(k)}


def _lexeme(key: str, pairs: list[tuple[int, str]], per_lexeme: int) -> str:
    """One lexeme of a tsvector literal from its (position, weight) pairs: positions sorted, a shared one kept
    with its first (stronger) field's weight, at most ``per_lexeme`` (with 0: only non-body positions)."""
    seen: dict[int, str] = {}
    for pos, weight in pairs:
        seen.setdefault(pos, weight)
    positions = sorted(seen.items())
    positions = positions[:per_lexeme] if per_lexeme else [pw for pw in positions if pw[1] != "D"]
    text = ",".join(f"{p}{'' if w == 'D' else w}" for p, w in positions)
    return quote_lexeme(key) + (":" + text if text else "")


def tsvector_literal(entries: dict[str, list[tuple[int, str]]], per_lexeme: int = MAX_POSITIONS) -> str:
    """``{key: [(pos, weight), ...]}`` as tsvector text; positions sorted, duplicates and excess dropped.

    With ``per_lexeme`` 0 a key found only in the body is written without positions (it still matches).
    """
    return " ".join(_lexeme(key, entries[key], per_lexeme) for key in sorted(entries))


def _estimated_bytes(entries: dict[str, list[tuple[int, str]]], per_lexeme: int) -> int:
    if not per_lexeme:
        return sum(len(k.encode("utf-8")) + 6 + 2 * sum(1 for _, w in v if w != "D") for k, v in entries.items())
    return sum(len(k.encode("utf-8")) + 8 + 2 * min(len(v), per_lexeme) for k, v in entries.items())


def _ascending(positions: Sequence[int]) -> bool:
    """Whether ``positions`` never go down (a body's do: words in text order)."""
    return all(map(operator.le, positions, itertools.islice(positions, 1, None)))


def document_vectors(fields: dict[str, list[Term]]) -> tuple[str, list[str]]:
    """The main tsvector literal of a document and, for a long body, its passage literals.

    Fields follow each other in ``FIELD_ORDER`` with a one-position gap, so a phrase never spans two
    fields. Positions past ``LAST_REAL_POS`` are clamped to ``MAX_POS`` (the lexeme still matches, a
    phrase there is found through the passages).

    A body in text order (every body an analysis makes) is kept as each key's positions and written with one
    ``join`` a key; the other fields, and a body that does not fit one tsvector, as (position, weight) pairs
    (``tsvector_literal``). With a pair per body token, the literal of a 1,000-word article took ~5 ms, most of
    a PostgreSQL rebuild's writing process.
    """
    entries: dict[str, list[tuple[int, str]]] = {}
    body_at: dict[str, list[int]] = {}          # an ascending body: each key's positions in it
    body_keys: Sequence[str] = ()
    body_positions: Sequence[int] = ()
    offset = 0
    body_offset = 0
    for name in FIELD_ORDER:
        keys, positions = term_columns(fields.get(name) or [])
        unusable = _unusable(set(keys))
        if unusable:
            kept = [i for i, k in enumerate(keys) if k not in unusable]
            keys, positions = [keys[i] for i in kept], [positions[i] for i in kept]
        if not keys:
            offset += 1
            continue
        if name == "body":
            body_offset, body_keys, body_positions = offset, keys, positions
        if name == "body" and _ascending(positions):
            body_at = positions_by_key(keys, positions)
        else:
            weight = FIELD_WEIGHTS[name]
            for key, pos in zip(keys, positions):
                p = offset + pos + 1
                entries.setdefault(key, []).append((p if p <= LAST_REAL_POS else MAX_POS, weight))
        offset += max(positions) + 2
    base = body_offset + 1
    last = base + max(body_positions) if body_positions else 0
    most = max(map(len, body_at.values())) if body_at else max(Counter(body_keys).values(), default=0)
    crowded = most > MAX_POSITIONS             # a key with more positions than a tsvector keeps

    def as_pairs(key: str) -> None:
        entries.setdefault(key, []).extend((p if p <= LAST_REAL_POS else MAX_POS, "D")
                                           for p in map(base.__add__, body_at.pop(key)))

    for key in [k for k in body_at if k in entries]:
        as_pairs(key)                           # a key of the title or abstract too: with its weights
    room = MAX_TSVECTOR_BYTES - _estimated_bytes(entries, MAX_POSITIONS)
    if body_at and (last > LAST_REAL_POS or 4 * sum(map(len, body_at)) + 8 * len(body_at) + 2 * len(body_keys) > room
                    and sum(len(k.encode("utf-8")) + 8 + 2 * min(len(v), MAX_POSITIONS)
                            for k, v in body_at.items()) > room):
        for key in list(body_at):
            as_pairs(key)                       # clamped positions, or fewer of them: the general way
    # A tsvector holds at most 1 MB: a huge volume keeps fewer positions per key, then none for body-only
    # keys, and as a last resort loses its rarest body-only keys (phrases still reach them via passages).
    per_lexeme = MAX_POSITIONS
    while per_lexeme and _estimated_bytes(entries, per_lexeme) > MAX_TSVECTOR_BYTES:
        per_lexeme //= 4
    if not per_lexeme and _estimated_bytes(entries, 0) > MAX_TSVECTOR_BYTES:
        body_only = sorted((k for k, v in entries.items() if all(w == "D" for _, w in v)),
                           key=lambda k: (len(entries[k]), k))
        size = _estimated_bytes(entries, 0)
        dropped = 0
        for k in body_only:
            if size <= MAX_TSVECTOR_BYTES:
                break
            size -= len(k.encode("utf-8")) + 6
            del entries[k]
            dropped += 1
        logger.warning("a document has too many distinct words for one tsvector: %d rare body words are "
                       "searchable as phrases only", dropped)
    ordered = sorted(entries.keys() | body_at.keys())
    plain = "'" not in (joined := "".join(ordered)) and "\\" not in joined     # no key needs escaping
    literal = " ".join([
        ("'" + key + "':" if plain else quote_lexeme(key) + ":")
        + ",".join(map(str, map(base.__add__, body_at[key][:MAX_POSITIONS])))
        if key in body_at else _lexeme(key, entries[key], per_lexeme) for key in ordered])
    passages: list[str] = []
    if body_keys and (last > LAST_REAL_POS or crowded or per_lexeme < MAX_POSITIONS):
        passages = _passages(body_keys, body_positions)
    return literal, passages


def _passages(keys: Sequence[str], positions: Sequence[int]) -> list[str]:
    """The body (its keys and positions) in overlapping windows of ``WINDOW`` positions, each rebased to start
    at 1."""
    step = WINDOW - OVERLAP
    windows: dict[int, dict[str, list[tuple[int, str]]]] = {}
    for key, pos in zip(keys, positions):
        first = max(0, (pos - WINDOW) // step + 1)
        for w in range(first, pos // step + 1):
            rel = pos - w * step
            if 0 <= rel < WINDOW:
                windows.setdefault(w, {}).setdefault(key, []).append((rel + 1, "D"))
    return [tsvector_literal(windows[w]) for w in sorted(windows)]


def field_vector(terms: Sequence[Term]) -> str:
    """One field's keys as a position-less tsvector literal (only to tell authors from keywords)."""
    return " ".join(quote_lexeme(k) for k in sorted(_usable_keys(terms)))


def _usable_keys(*fields: Sequence[Term]) -> set[str]:
    """The distinct keys of ``fields`` a tsvector can hold."""
    keys = set().union(*map(term_keys, fields))
    return keys - _unusable(keys)


def _row(d: IndexDocument) -> _Row:
    fields, forms, pages = analyzed(d)
    tsv, passages = document_vectors(fields)
    langs = {d.language} | set(d.titles) | set(d.abstracts)
    return _Row(id=int(d.id), tsv=tsv, authors_tsv=field_vector(fields["authors"]),
                keywords_tsv=field_vector(fields["keywords"]), passages=passages,
                keys=_usable_keys(*fields.values()),
                year=int(d.year) if d.year else None, added=d.added,
                lang=sorted(x for x in langs if x), kind=d.kind or "article",
                collection=str(d.collection_id) if d.collection_id else None,
                topics=list(dict.fromkeys(d.topics)), persons=[str(p) for p in dict.fromkeys(d.person_ids)],
                group_id=int(d.group_id or d.id), secondary=bool(d.group_id and d.group_id != d.id), forms=forms,
                pages=pages)


# --------------------------------------------------------------------------- queries
def _weighted(lexeme: str, weight: str, prefix: bool = False) -> str:
    mark = ("*" if prefix else "") + weight
    return lexeme + (":" + mark if mark else "")


def clause_tsquery(c: Clause, weighted: bool = True) -> str | None:
    """A clause as tsquery text: a word is an OR over its keys, a phrase ``<->`` between such ORs.

    The term bridge's alternatives are searched the same way over their own keys; ``ts_rank_cd`` has no
    per-lexeme boost, so their lower weight shows only in the tiers (``CachedSearch._tiered``).
    """
    weight = FIELD_WEIGHTS.get(c.field or "", "") if weighted else ""
    if engine_prefix(c):
        stem = prefix_stem(c)
        return _weighted(quote_lexeme(stem), weight, prefix=True) if _usable(stem) else None
    per_pos = [[k for k in ks if _usable(k)] for ks in clause_key_sets(c)]
    per_pos = [ks for ks in per_pos if ks]
    if not per_pos:
        return None
    ors = ["(" + " | ".join(_weighted(quote_lexeme(k), weight) for k in ks) + ")" for ks in per_pos]
    return ors[0] if len(ors) == 1 else "(" + " <-> ".join(ors) + ")"


_TSV_MATCH = sql.SQL("d.tsv @@ %s::tsquery")     # a clause's plain test (``_where`` joins these into one)


class _Where:
    """A WHERE clause under construction: SQL fragments and their parameters."""

    def __init__(self) -> None:
        self.parts: list[sql.Composable] = []
        self.params: list[object] = []
        self.one_tsquery = False        # the words are one "d.tsv @@ q" (the RUM index can scan it in rank order)

    def add(self, fragment: str | sql.Composable, *params: object) -> None:
        self.parts.append(sql.SQL(fragment) if isinstance(fragment, str) else fragment)
        # PostgreSQL refuses NUL in text; a filter value from a URL may carry one.
        self.params.extend(p.replace("\x00", "") if isinstance(p, str) else p for p in params)

    def sql(self) -> sql.Composable:
        return sql.SQL(" AND ").join(self.parts) if self.parts else sql.SQL("TRUE")


class PostgresBackend(CachedSearch):
    """PostgreSQL full-text search: the archive's own database (or another), no extra service to run."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, dsn: str, prefix: str = "search_",
                 schema: str | None = None, writer_timeout: float = 60.0,
                 max_idle: int = 8, connect_timeout: float = 10.0) -> None:
        if not dsn:
            raise ValueError("the postgres search backend needs a PostgreSQL connection string (dsn)")
        self.dsn = dsn
        self.schema = schema
        self.prefix = prefix
        self.writer_timeout = writer_timeout
        self._pool = _Pool(dsn, max_idle=max_idle, connect_timeout=connect_timeout)
        self._ready = False
        self._ready_lock = threading.Lock()
        self._lock_key = f"kelisim-search:{schema or ''}.{prefix}"
        self.rum_extension = "rum"      # top-k ranking inside the index; GIN and ts_rank_cd on every match without
        self.rum = False                # whether the documents' tsv has a RUM index (known after _ensure)
        self._distance: sql.Composable = sql.SQL("<=>")     # RUM's distance operator, in the extension's schema
        self._rum_built: int | None = None    # the generation a bulk write built the RUM index at (``rebuilt``
                                              # need not build it again unless something was written since)
        self._secondary_count: tuple[str, int] = ("", 0)
        self.parallel_page = True       # the page beside the count and facets, on a second connection (``_search``)
        self._busy = 0                  # searches running in this process (``_search``)
        self._busy_lock = threading.Lock()
        # The speller and the forms go into the local index folder (the tables are the truth; they are rebuilt
        # from them by a reindex).
        self._open_sidecars(path)

    # -- names
    def _t(self, name: str) -> sql.Identifier:
        """A table's (or an index's, as DROP INDEX and to_regclass name it) qualified name."""
        table = self.prefix + name
        return sql.Identifier(self.schema, table) if self.schema else sql.Identifier(table)

    def _ix(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.prefix + name)

    # -- lifecycle
    def close(self) -> None:
        """Close idle connections (the backend reconnects on next use)."""
        self._pool.close()

    def _ensure(self, conn: psycopg.Connection) -> None:
        """Create the tables when missing (under the writer lock); a reader finding them never waits."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            names = [self._t(n).as_string(conn) for n in ("documents", "passages", "terms", "meta",
                                                            "documents_secondary")]
            row = conn.execute("SELECT to_regclass(%s), to_regclass(%s), to_regclass(%s), to_regclass(%s), "
                               "to_regclass(%s)", names).fetchone()
            if not all(row):
                with conn.transaction():
                    self._writer_lock(conn)
                    self._create(conn)
            # A rebuild's interim GIN index stands for RUM's while a bulk write runs (``bulk``): the RUM queries
            # work on it (slower), and are right again once the RUM index is back.
            self.rum = any(conn.execute("SELECT to_regclass(%s), to_regclass(%s)", (
                self._rum_index().as_string(conn), self._t("documents_tsv_bulk").as_string(conn))
            ).fetchone())
            if self.rum:
                self._no_autovacuum(conn)
                self._distance = sql.SQL("OPERATOR({})").format(self._rum_name(conn, "<=>"))
            self._ready = True

    def _rum_index(self) -> sql.Composable:
        return self._t("documents_tsv_rum")

    def _no_autovacuum(self, conn: psycopg.Connection) -> None:
        """Keep autovacuum off the documents table while it has a RUM index.

        RUM 1.3.15 (Debian's postgresql-15-rum) reads uninitialised memory when an index scan meets a posting
        list that VACUUM emptied (every row holding a word deleted, then vacuumed): a segfault that restarts the
        whole server, or "could not open file ... target block 150994944" (postgrespro/rum#183, fixed in RUM's
        master, not yet released). The archive deletes rows on every update, so autovacuum would arm it.
        ``rebuilt`` vacuums only after building the index afresh, and ``_analyzed`` keeps the statistics."""
        table = self._t("documents")
        opts = conn.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                            (table.as_string(conn),)).fetchone()
        if opts is not None and "autovacuum_enabled=false" not in (opts[0] or []):
            try:
                conn.execute(sql.SQL("ALTER TABLE {} SET (autovacuum_enabled = false)").format(table))
            except psycopg.Error as exc:      # not the table's owner: say so once, searching still works
                logger.warning("could not turn autovacuum off on %s (%s); with RUM 1.3.15 a vacuum of it can "
                               "crash index scans (postgrespro/rum#183): run manage.py reindex after one",
                               table.as_string(conn), exc)

    def _create(self, conn: psycopg.Connection) -> None:
        t, ix = self._t, self._ix
        if self.schema:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (id bigint PRIMARY KEY, tsv tsvector NOT NULL, "
            "authors_tsv tsvector NOT NULL, keywords_tsv tsvector NOT NULL, year integer, added timestamptz, "
            "lang text[] NOT NULL, kind text NOT NULL, collection text, topics text[] NOT NULL, "
            "persons text[] NOT NULL)").format(t("documents")))
        # Columns added after the first release (an older install gets them here, then needs a reindex).
        conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS group_id bigint, "
                             "ADD COLUMN IF NOT EXISTS secondary boolean NOT NULL DEFAULT false").format(t("documents")))
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (one boolean PRIMARY KEY DEFAULT true CHECK (one), "
                             "generation bigint NOT NULL)").format(t("meta")))
        conn.execute(sql.SQL("INSERT INTO {} (generation) VALUES (0) ON CONFLICT DO NOTHING").format(t("meta")))
        if self._install_rum(conn):
            # RUM answers "the best k matches" from the index (ORDER BY tsv <=> q LIMIT k) and also serves @@.
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING rum (tsv {})")
                         .format(ix("documents_tsv_rum"), t("documents"), self._rum_name(conn, "rum_tsvector_ops")))
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(
                sql.Identifier(self.schema, self.prefix + "documents_tsv") if self.schema else ix("documents_tsv")))
        else:
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (tsv)")
                         .format(ix("documents_tsv"), t("documents")))
        conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (year, added)")
                     .format(ix("documents_year"), t("documents")))
        # Whether any second copy is indexed is asked once per generation (``_secondaries``): from this small
        # index, not a scan of every row (26 ms at 100k, after every write).
        conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (id) WHERE secondary")
                     .format(ix("documents_secondary"), t("documents")))
        conn.execute(sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (doc_id bigint NOT NULL, n integer NOT NULL, tsv tsvector NOT NULL, "
            "PRIMARY KEY (doc_id, n))").format(t("passages")))
        conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (tsv)")
                     .format(ix("passages_tsv"), t("passages")))
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (term text PRIMARY KEY, df integer NOT NULL)")
                     .format(t("terms")))
        conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (term text_pattern_ops)")
                     .format(ix("terms_pattern"), t("terms")))

    def _install_rum(self, conn: psycopg.Connection) -> bool:
        """Whether the RUM extension is (or could now be) installed; one log line when it cannot."""
        try:
            with conn.transaction():        # a savepoint: a refusal must not abort the table setup
                conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(self.rum_extension)))
            return True
        except psycopg.Error as exc:
            logger.warning("PostgreSQL extension %s is not available (%s): search ranks every match with a GIN "
                           "index (slower on large archives; install postgresql-15-rum)", self.rum_extension,
                           exc.diag.message_primary)
            return False

    def _rum_name(self, conn: psycopg.Connection, name: str) -> sql.Composable:
        """``name`` (an operator class) in the schema the RUM extension is installed in: the search_path of the
        connection string (``options=-csearch_path=…``) may leave that schema out."""
        row = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                           "WHERE e.extname = %s", (self.rum_extension,)).fetchone()
        return sql.SQL("{}.{}").format(sql.Identifier(row[0]), sql.SQL(name)) if row else sql.SQL(name)

    def _writer_lock(self, conn: psycopg.Connection) -> None:
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(1, int(self.writer_timeout * 1000))}ms",))
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock_key,))

    def _run(self, fn: Callable[[psycopg.Connection], T]) -> T:
        """Run ``fn`` on a pooled connection; recreate missing tables or a dropped connection once."""
        for attempt in (0, 1):
            try:
                with self._pool.connection() as conn:
                    self._ensure(conn)
                    return fn(conn)
            except (pg_errors.UndefinedTable, pg_errors.UndefinedFunction, pg_errors.UndefinedObject,
                    pg_errors.InvalidSchemaName) as exc:
                if attempt:
                    raise SearchIndexError("the search tables are missing") from exc
                logger.info("search tables missing (dropped?); creating them again")
                self._ready = False
            except pg_errors.LockNotAvailable as exc:
                raise SearchIndexError("the search index is busy (another writer holds its lock)") from exc
            except psycopg.OperationalError as exc:
                if attempt:
                    raise SearchIndexError("the search database cannot be reached") from exc
                logger.warning("search database connection failed (%s); retrying once", exc)
        raise AssertionError("unreachable")

    # -- writing
    def update(self, docs: Iterable[IndexDocument], terms: Counter[str] | None = None) -> None:
        """Add or replace documents (one transaction for the batch; analysis happens before locking). With
        ``terms``, the change to the vocabulary's document frequencies is added to it instead of written."""
        rows = {}
        for d in docs:
            rows[int(d.id)] = _row(d)              # the last version of a repeated id wins
        if rows:
            self._run(lambda conn: self._write(conn, list(rows.values()), list(rows), terms))
            if terms is None:            # a bulk write's table is analysed once, when it is done (``rebuilt``)
                self._run(self._analyzed)
            self._written({k for r in rows.values() for k in r.keys}, {f for r in rows.values() for f in r.forms},
                          {i: r.pages for i, r in rows.items()})

    def remove(self, ids: Iterable[int]) -> None:
        """Remove documents by id (absent ids are ignored)."""
        ids = sorted({int(i) for i in ids})
        if ids:
            self._run(lambda conn: self._write(conn, [], ids))
            self._removed(ids)

    def _write(self, conn: psycopg.Connection, rows: list[_Row], drop_ids: list[int],
               terms: Counter[str] | None = None) -> None:
        t = self._t
        with conn.transaction():
            self._writer_lock(conn)
            conn.execute(sql.SQL("UPDATE {} SET generation = generation + 1").format(t("meta")))
            delta: Counter[str] = Counter()
            for term, n in conn.execute(sql.SQL(
                    "SELECT u.lexeme, count(*) FROM {} d, unnest(d.tsv) u WHERE d.id = ANY(%s) GROUP BY u.lexeme")
                    .format(t("documents")), (drop_ids,)):
                delta[term] -= n
            conn.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(t("documents")), (drop_ids,))
            conn.execute(sql.SQL("DELETE FROM {} WHERE doc_id = ANY(%s)").format(t("passages")), (drop_ids,))
            if rows:
                with conn.cursor() as cur:
                    cur.executemany(sql.SQL(
                        "INSERT INTO {} (id, tsv, authors_tsv, keywords_tsv, year, added, lang, kind, collection, "
                        "topics, persons, group_id, secondary) VALUES (%s, %s::tsvector, %s::tsvector, %s::tsvector, "
                        "%s, %s, %s, %s, %s, %s, %s, %s, %s)").format(t("documents")),
                        [(r.id, r.tsv, r.authors_tsv, r.keywords_tsv, r.year, r.added, r.lang, r.kind, r.collection,
                          r.topics, r.persons, r.group_id, r.secondary) for r in rows])
                    passages = [(r.id, n, p) for r in rows for n, p in enumerate(r.passages)]
                    if passages:
                        cur.executemany(sql.SQL("INSERT INTO {} (doc_id, n, tsv) VALUES (%s, %s, %s::tsvector)")
                                        .format(t("passages")), passages)
                for r in rows:
                    delta.update(r.keys)
            if terms is not None:
                terms.update(delta)
            else:
                self._count_terms(conn, delta)

    def _count_terms(self, conn: psycopg.Connection, delta: Counter[str]) -> None:
        """Add ``delta`` to the vocabulary's document frequencies (in the caller's transaction)."""
        changed = {k: n for k, n in delta.items() if n}
        if changed:
            terms = list(changed)
            conn.execute(sql.SQL(
                "INSERT INTO {0} AS v (term, df) SELECT * FROM unnest(%s::text[], %s::int[]) "
                "ON CONFLICT (term) DO UPDATE SET df = v.df + EXCLUDED.df").format(self._t("terms")),
                (terms, [changed[k] for k in terms]))
            gone = [k for k, n in changed.items() if n < 0]
            if gone:
                conn.execute(sql.SQL("DELETE FROM {} WHERE term = ANY(%s) AND df <= 0").format(self._t("terms")),
                             (gone,))

    def clear(self) -> None:
        """Empty the index (DELETE, not TRUNCATE: readers keep their snapshot and never wait)."""
        def _clear(conn: psycopg.Connection) -> None:
            with conn.transaction():
                self._writer_lock(conn)
                for name in ("documents", "passages", "terms"):
                    conn.execute(sql.SQL("DELETE FROM {}").format(self._t(name)))
                conn.execute(sql.SQL("UPDATE {} SET generation = generation + 1").format(self._t("meta")))
        self._run(_clear)
        self._cleared()

    @contextmanager
    def _bulk(self, processes: int = 1) -> Iterator[Callable[[list[IndexDocument]], None]]:
        """A rebuild's writer: each batch an ``update``. Into an empty table (after ``clear``, or a first build) the
        batches are written without the RUM index, which is built once at the end: kept up row by row it cost
        ~10 ms a 1,000-word document (5,000 of them: 50 s written with it, 0.8 s without, 3.4 s with a GIN index;
        built afresh over 100,000: 71 s). A GIN index serves the searches meanwhile. The vocabulary's document
        frequencies are summed over the batches and written with the RUM index (an upsert per batch touched each
        of its ~30,000 distinct words again: 1.7 of 17.8 s at 3,000 articles), so "did you mean" finds no
        word of the rebuild until it ends. The RUM index and the vocabulary come back however the block ends
        (what was written is kept)."""
        aside = self._run(self._set_rum_aside)
        terms: Counter[str] = Counter()
        try:
            yield (lambda docs: self.update(docs, terms)) if aside else self.update
        finally:
            if aside:
                self._run(lambda conn: self._rum_back(conn, terms))

    def _set_rum_aside(self, conn: psycopg.Connection) -> bool:
        """Replace the RUM index by a GIN one when the table holds no live row; whether it did."""
        if not self.rum:
            return False
        docs = self._t("documents")
        with conn.transaction():
            self._writer_lock(conn)
            if conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(docs)).fetchone()[0]:
                return False
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (tsv)")
                         .format(self._ix("documents_tsv_bulk"), docs))
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(self._rum_index()))
        return True

    def _rum_back(self, conn: psycopg.Connection, terms: Counter[str] | None = None) -> None:
        """Build the RUM index and drop the interim GIN one, in one transaction with the bulk write's ``terms``
        (readers go on; other writers wait for the writer lock)."""
        with conn.transaction():
            self._writer_lock(conn)
            self._count_terms(conn, terms or Counter())
            conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING rum (tsv {})")
                         .format(self._ix("documents_tsv_rum"), self._t("documents"),
                                 self._rum_name(conn, "rum_tsvector_ops")))
            conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(self._t("documents_tsv_bulk")))
            self._rum_built = self._generation(conn)

    def rebuilt(self) -> None:
        """VACUUM ANALYZE the search tables after a rebuild: ``clear`` deletes (readers keep their snapshot), so
        every old row is dead, and the planner still holds the statistics of before; until autovacuum comes
        round, searches scanned the dead rows with plans made for another table (answers of 0.2-0.8 s seen
        right after a reindex of the corpus archive).

        A RUM index is built afresh first (``REINDEX CONCURRENTLY``: readers go on; not again where this process's
        ``bulk`` built it and no process has written since): it then holds no entry of a dead row, so the VACUUM
        empties none of its posting lists (``_no_autovacuum`` says why that matters)."""
        def _vacuum(conn: psycopg.Connection) -> None:
            if self.rum:                 # known here: ``_run`` has run ``_ensure``
                missing = conn.execute("SELECT to_regclass(%s) IS NULL", (self._rum_index().as_string(conn),)
                                       ).fetchone()[0]
                generation = self._generation(conn)
                if missing:              # a bulk write that never finished left the interim GIN index
                    self._rum_back(conn)
                elif self._rum_built != generation:     # not built by a bulk write with nothing written since
                    conn.execute(sql.SQL("REINDEX INDEX CONCURRENTLY {}").format(self._rum_index()))
                self._rum_built = None
            for name in ("documents", "passages", "terms"):
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(self._t(name)))
        self._run(_vacuum)

    def _analyzed(self, conn: psycopg.Connection) -> None:
        """ANALYZE the documents once a tenth of them changed since the last time (autovacuum, which would
        have, is off while RUM is used; ANALYZE reads the table only, never the index)."""
        if not self.rum:
            return
        row = conn.execute("SELECT n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables WHERE relid = "
                           "to_regclass(%s)", (self._t("documents").as_string(conn),)).fetchone()
        if row is not None and row[0] > max(500, row[1] // 10):
            conn.execute(sql.SQL("ANALYZE {}").format(self._t("documents")))

    def drop(self) -> None:
        """Drop the search tables (tests; leaving the postgres backend for good)."""
        def _drop(conn: psycopg.Connection) -> None:
            with conn.transaction():
                self._writer_lock(conn)
                for name in ("documents", "passages", "terms", "meta"):
                    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(self._t(name)))
        with self._pool.connection() as conn:
            _drop(conn)
        self._ready = False

    def generation(self) -> str:
        """Changes with every write of any process (a counter in the meta table)."""
        return str(self._run(self._generation))

    def _generation(self, conn: psycopg.Connection) -> int:
        return conn.execute(sql.SQL("SELECT generation FROM {}").format(self._t("meta"))).fetchone()[0]

    def _secondaries(self, generation: str) -> int:
        """1 when some indexed document is a second copy of a work, else 0 (the partial index, not a count)."""
        gen = generation
        if self._secondary_count[0] != gen:
            n = self._run(lambda conn: conn.execute(sql.SQL(
                "SELECT EXISTS (SELECT 1 FROM {} WHERE secondary)").format(self._t("documents"))).fetchone()[0])
            self._secondary_count = (gen, int(n))
        return self._secondary_count[1]

    def _vocabulary(self) -> Iterator[tuple[str, int]]:
        """The ``terms`` table: every key with its document frequency (to build the speller)."""
        return iter(self._run(lambda conn: conn.execute(
            sql.SQL("SELECT term, df FROM {} WHERE df > 0").format(self._t("terms"))).fetchall()))

    def is_empty(self) -> bool:
        """Whether the index holds no document (one row looked for, at any size)."""
        return self._run(lambda conn: conn.execute(sql.SQL("SELECT NOT EXISTS (SELECT 1 FROM {})").format(
            self._t("documents"))).fetchone()[0])

    def doc_ids(self) -> set[int]:
        """Ids of every indexed document."""
        return self._run(lambda conn: {r[0] for r in conn.execute(
            sql.SQL("SELECT id FROM {}").format(self._t("documents")))})

    # -- reading
    def _predicate(self, conn: psycopg.Connection, c: Clause, w: _Where) -> sql.Composable | None:
        """SQL that is true for documents matching clause ``c`` (parameters appended to ``w``)."""
        tsq = clause_tsquery(c)
        if tsq is None:
            return None
        fragment = _TSV_MATCH
        params: list[object] = [tsq]
        if c.field in ("authors", "keywords"):
            fragment = sql.SQL("(d.tsv @@ %s::tsquery AND d.{} @@ %s::tsquery)").format(
                sql.Identifier(c.field + "_tsv"))
            params.append(clause_tsquery(c, weighted=False))
        elif isinstance(c, Phrase) and c.field in (None, "body") and "<->" in tsq:
            # A phrase deep in a long body lies past the tsvector's last position: the passages are asked first
            # (only long bodies have them). Where none holds the phrase, as is usual, it is a plain tsvector test
            # that joins the query's one tsquery: RUM then ranks its matches in the index. As a subquery joined
            # back to the documents it was a scan of every row, and each match's TOASTed tsvector read to rank
            # it (a frequent two-word phrase at 100k: 80 ms to count, 139 ms to rank, against 22 and 38).
            docs = self._passage_docs(conn, clause_tsquery(c, weighted=False) or tsq)
            if docs:
                fragment = sql.SQL("(d.tsv @@ %s::tsquery OR d.id = ANY(%s))")
                params.append(docs)
        w.params.extend(params)
        return fragment

    def _passage_docs(self, conn: psycopg.Connection, tsq: str) -> list[int]:
        """Ids of the documents whose passages hold ``tsq`` (the passages' GIN index; long bodies only)."""
        row = conn.execute(sql.SQL("SELECT array_agg(DISTINCT doc_id) FROM {} WHERE tsv @@ %s::tsquery")
                           .format(self._t("passages")), (tsq,)).fetchone()
        return sorted(int(i) for i in (row[0] if row and row[0] else ()))

    def _where(self, conn: psycopg.Connection, q: ParsedQuery, flt: Filters,
               any_word: bool) -> tuple[_Where, str | None]:
        """The WHERE clause and the ranking tsquery (None when the query has no words)."""
        w = _Where()
        content = [g for g in q.groups if not only_stopwords(g)]
        required: list[tuple[sql.Composable, list[object]]] = []
        plain: list[str | None] = []           # per required group, its words as one tsquery (None: not plain)
        fields: list[tuple[sql.Composable, str | None]] = []   # the field tests beside that tsquery
        rank_parts: list[str] = []
        for group in q.groups:
            sub = _Where()
            tested = [(c, p) for c, p in ((c, self._predicate(conn, c, sub)) for c in group) if p is not None]
            preds = [p for _c, p in tested]
            rank_parts.extend(tsq for tsq in (clause_tsquery(c) for c in group) if tsq)
            if not preds or (content and only_stopwords(group)):
                continue                       # function words next to content words: ranking only
            node = sql.SQL("({})").format(sql.SQL(" OR ").join(preds)) if len(preds) > 1 else preds[0]
            required.append((node, sub.params))
            if not any_word and len(tested) == 1 and tested[0][0].field in ("authors", "keywords"):
                # "author:омаров" alone in its group: its tsvector part joins the one tsquery, the field's own
                # test stays beside it (its vector is small).
                c = tested[0][0]
                fields.append((sql.SQL("d.{} @@ %s::tsquery").format(sql.Identifier(c.field + "_tsv")),
                               clause_tsquery(c, weighted=False)))
                plain.append(clause_tsquery(c))
                continue
            # Plain where every clause's predicate is the plain tsvector test (no passages, no field).
            plain.append(" | ".join(f"({clause_tsquery(c)})" for c, _p in tested)
                         if all(p is _TSV_MATCH for _c, p in tested) else None)
        if required and all(plain):
            # Every word is a plain tsvector test: one tsquery for them all. The planner then judges how many
            # rows match from one query's statistics (as separate tests it multiplied their shares: 87 rows
            # expected, 9,386 found), and the RUM index can walk the matches in rank order (``_page``).
            w.add(_TSV_MATCH, (" | " if any_word else " & ").join(f"({t})" for t in plain))
            for fragment, tsq in fields:
                w.add(fragment, tsq)
            w.one_tsquery = True
        elif required:
            joiner = " OR " if any_word else " AND "
            w.add(sql.SQL("({})").format(sql.SQL(joiner).join(n for n, _ in required)),
                  *[p for _, ps in required for p in ps])
        for c in q.excluded:
            sub = _Where()
            pred = self._predicate(conn, c, sub)
            if pred is not None:
                w.add(sql.SQL("NOT {}").format(pred), *sub.params)
        y0, y1 = year_range(q, flt)
        # With words, "d.year + 0": the year index would be the planner's choice for a narrow range, and each
        # row it yields then has its (TOASTed) tsvector read to test the words: 0.8 s for 13,000 rows at 100k.
        year = "d.year + 0" if required else "d.year"
        if y0:
            w.add(f"{year} >= %s", int(y0))
        if y1:
            w.add(f"{year} <= %s", int(y1))
        for name, value in exact_filters(q, flt):
            if name in ("lang", "topics", "persons"):
                w.add(sql.SQL("d.{} @> ARRAY[%s]::text[]").format(sql.Identifier(name)), value)
            else:
                w.add(sql.SQL("d.{} = %s").format(sql.Identifier(name)), value)
        if flt.ids is not None:
            w.add("d.id = ANY(%s)", list(flt.ids))
        if flt.exclude_ids:
            w.add("NOT (d.id = ANY(%s))", list(flt.exclude_ids))
        if flt.secondary_only:
            w.add("d.secondary")
        return w, (" | ".join(rank_parts) if rank_parts else None)

    def _counts(self, conn: psycopg.Connection, w: _Where, facets: bool) -> tuple[int, dict[str, dict[str, int]], bool]:
        """(total, facet counts, approximate): over at most ``FACET_SAMPLE`` + 1 matches, never all of them."""
        docs = self._t("documents")
        cap = sql.Literal(FACET_SAMPLE + 1)
        if not facets:
            row = conn.execute(sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} d WHERE {} LIMIT {}) m")
                               .format(docs, w.sql(), cap), w.params).fetchone()
            total = int(row[0])
            return min(total, FACET_SAMPLE), {}, total > FACET_SAMPLE
        scalar = {"year": "m.year::text", "kind": "m.kind", "collection": "m.collection"}
        branches = [sql.SQL("SELECT '', '', count(*) FROM m")]
        for name in FACETS:
            if name in scalar:
                branches.append(sql.SQL("SELECT {0}, {1}, count(*) FROM m WHERE {1} IS NOT NULL GROUP BY 2")
                                .format(sql.Literal(name), sql.SQL(scalar[name])))
            else:
                # unnest in the select list (one ProjectSet node): as a function scan joined to each row of the
                # sample, the three array facets made the statement 28.5 ms instead of 24.0 (a word of 58,000
                # matches at 100k, same counts).
                branches.append(sql.SQL("SELECT {0}, v, count(*) FROM (SELECT unnest(m.{1}) v FROM m) u GROUP BY 2")
                                .format(sql.Literal(name), sql.Identifier(name)))
        query = sql.SQL("WITH m AS MATERIALIZED (SELECT d.year, d.lang, d.kind, d.collection, d.topics, d.persons "
                        "FROM {} d WHERE {} LIMIT {}) {}").format(docs, w.sql(), cap,
                                                                   sql.SQL(" UNION ALL ").join(branches))
        total = 0
        out: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        for name, value, n in conn.execute(query, w.params):
            if name == "":
                total = int(n)
            elif value not in (None, ""):
                out[name][str(value)] = int(n)
        for name in FACETS:
            top = sorted(out[name].items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_LIMIT]
            out[name] = dict(top)
        return min(total, FACET_SAMPLE), out, total > FACET_SAMPLE

    def _search(self, query: ParsedQuery, filters: Filters, page: int, limit: int, sort: str, facets: bool,
                any_word: bool = False, hits: bool = True) -> SearchResult:
        """One search: count and facets (bounded), and the page, in one snapshot of the index.

        With ``parallel_page``, when no other search runs in this process, the page is read on a second connection
        at the same time as the count and facets, in the snapshot this transaction exports: a frequent word's two
        statements (its top candidates from the RUM index, 30-80 ms at 100k; its facet sample, 24-55 ms) take the
        time of the longer one, not of both. Under load the cores are busy anyway: one connection, one after the
        other (at 8 clients the second connection gained nothing and its overhead cost ~10 % at p95)."""
        order = sort if not query.is_empty or sort != "relevance" else "newest"
        offset = (page - 1) * limit

        def _one(conn: psycopg.Connection) -> SearchResult:
            with self._busy_lock:
                alone = self._busy == 1
            with conn.transaction():
                if hits and self.parallel_page and alone:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                w, rank_q = self._where(conn, query, filters, any_word=any_word)
                if w.one_tsquery:
                    # Never a sequential scan for plain words: it reads every row's TOASTed tsvector (the planner
                    # counts a tsvector test as one operator; at 100k × 1,000 words a frequent word's sample took
                    # 0.4 s that way, 30 ms from the index's bitmap). Phrase and bridged queries keep the
                    # planner's choice: forced, their subqueries under ORs took 0.4 s a statement on 269 rows.
                    conn.execute("SET LOCAL enable_seqscan = off")
                pending: Future | None = None
                if hits and self.parallel_page and alone:
                    snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
                    pending = submit_aside(_helpers(), self._run, lambda other: self._page_in(
                        other, snapshot, w, rank_q, order, page, limit))
                try:
                    total, facet_counts, approximate = self._counts(conn, w, facets)
                    wanted = hits and (total > offset or approximate)
                    found = []
                    if wanted and pending is not None:
                        try:
                            found = pending.result()
                        except SearchIndexError as exc:
                            # No second connection (the server's max_connections reached, say): this one reads
                            # the page, as it would under load.
                            logger.warning("search page on a second connection failed (%s); reading it on the "
                                           "search's own", exc)
                            pending = None
                    if wanted and pending is None:
                        found = self._page(conn, w, rank_q, order, page, limit)
                finally:
                    if pending is not None:
                        wait([pending])     # it reads in this transaction's snapshot: done before it ends
            return SearchResult(hits=found, total=total, facets=facet_counts, facets_approximate=approximate)

        with self._busy_lock:
            self._busy += 1
        try:
            return self._run(_one)
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _page_in(self, conn: psycopg.Connection, snapshot: str, w: _Where, rank_q: str | None, sort: str,
                 page: int, limit: int) -> list[Hit]:
        """``_page`` on another connection, in the snapshot another transaction exported."""
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            if w.one_tsquery:
                conn.execute("SET LOCAL enable_seqscan = off")
            return self._page(conn, w, rank_q, sort, page, limit)

    def _page(self, conn: psycopg.Connection, w: _Where, rank_q: str | None, sort: str, page: int,
              limit: int) -> list[Hit]:
        docs = self._t("documents")
        offset = (page - 1) * limit
        if sort in ("newest", "oldest") or not rank_q:
            direction = "DESC" if sort == "newest" else "ASC"
            order = (sql.SQL(f"d.year {direction} NULLS LAST, d.added {direction} NULLS LAST, d.id {direction}")
                     if sort in ("newest", "oldest") else sql.SQL("d.id"))
            query = sql.SQL("SELECT d.id, 0.0, d.group_id FROM {} d WHERE {} ORDER BY {} LIMIT %s OFFSET %s").format(
                docs, w.sql(), order)
            rows = conn.execute(query, w.params + [limit, offset])
        elif self.rum:
            # The RUM index yields matches nearest first (its own rank); only those candidates get the
            # weighted cover-density rank that orders the page, so a frequent word no longer ranks every row.
            # With the words as one tsquery the index alone can serve the scan, and only that scan is allowed:
            # the planner, still expecting few matches, would rather take a bitmap of every match and compute
            # the distance from each row's TOASTed tsvector (two frequent Kazakh words at 100k: 405 ms against
            # 17 ms; "EXPLAIN" figures in docs/performance.md).
            if w.one_tsquery:
                conn.execute("SET LOCAL enable_bitmapscan = off")
            query = sql.SQL(
                "SELECT c.id, ts_rank_cd(%s::float4[], c.tsv, %s::tsquery, {norm}) AS score, c.group_id FROM "
                "(SELECT d.id, d.tsv, d.group_id FROM {docs} d WHERE {where} ORDER BY d.tsv {distance} %s::tsquery "
                "LIMIT %s) c ORDER BY score DESC, c.id LIMIT %s OFFSET %s").format(
                norm=sql.Literal(RANK_NORMALIZATION), docs=docs, where=w.sql(), distance=self._distance)
            rows = conn.execute(query, [RANK_WEIGHTS, rank_q] + w.params
                                + [rank_q, max(RERANK, offset + limit), limit, offset])
        else:
            score = sql.SQL("ts_rank_cd(%s::float4[], d.tsv, %s::tsquery, {})").format(sql.Literal(RANK_NORMALIZATION))
            query = sql.SQL("SELECT d.id, {} AS score, d.group_id FROM {} d WHERE {} ORDER BY score DESC, d.id "
                            "LIMIT %s OFFSET %s").format(score, docs, w.sql())
            rows = conn.execute(query, [RANK_WEIGHTS, rank_q] + w.params + [limit, offset])
        return [Hit(int(i), float(sc), int(g) if g is not None else None) for i, sc, g in rows]

    def suggest(self, query: ParsedQuery) -> str | None:
        """The query with each word the index does not know replaced by the nearest indexed term."""
        return self._run(lambda conn: self._suggest(conn, query))

    def _suggest(self, conn: psycopg.Connection, query: ParsedQuery) -> str | None:
        words = [c.text for g in query.groups for c in g if isinstance(c, Word) and not c.prefix]
        if not words:
            return None
        terms = self._t("terms")

        def known(keys: Iterable[str]) -> bool:
            return conn.execute(sql.SQL("SELECT 1 FROM {} WHERE term = ANY(%s) AND df > 0 LIMIT 1").format(terms),
                                (sorted(keys),)).fetchone() is not None
        return suggest_words(words, self.speller, known)


# --------------------------------------------------------------------------- connections
def search_options(dsn: str) -> str:
    """The server options of a search connection: the connection string's own (else ``PGOPTIONS``), then JIT off.

    Given as a keyword, ``options`` replaces the string's and the environment's: a ``search_path`` set there was
    lost, and the search tables were made and read in the default schema. JIT off: a search's statements are
    bounded (a sample of matches, the top candidates) and take milliseconds; compiling one (tens to hundreds of
    ms) never pays, yet PostgreSQL would for any statement it costs over jit_above_cost, as it does one whose only
    plan is a scan the search turned off (enable_seqscan)."""
    given = conninfo_to_dict(dsn).get("options") or os.environ.get("PGOPTIONS", "")
    return f"{given} -c jit=off".strip()


PAGE_HELPERS = 2                # threads per process reading pages beside their searches (``_search``: one at a time
                                # per backend, as only a search alone in its process uses one)
_helper_pool: list = [None, 0]  # the process's helper threads and its pid (a forked child makes its own)
_helper_lock = threading.Lock()


def _helpers() -> ThreadPoolExecutor:
    with _helper_lock:
        if _helper_pool[0] is None or _helper_pool[1] != os.getpid():
            _helper_pool[:] = [ThreadPoolExecutor(PAGE_HELPERS, thread_name_prefix="kelisim-search-page"), os.getpid()]
        return _helper_pool[0]


_FORKED: list[psycopg.Connection] = []     # inherited across fork(): never used, never closed, never collected


class _Pool:
    """A few idle autocommit connections per process, shared by threads (gunicorn gthread workers).

    A connection is used by one thread at a time; after a fork the parent's connections are set
    aside untouched (closing them would end the parent's sessions) and the child connects anew.
    """

    def __init__(self, dsn: str, max_idle: int, connect_timeout: float) -> None:
        self.dsn = dsn
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self._idle: list[psycopg.Connection] = []
        self._options = search_options(dsn)
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def _take(self) -> psycopg.Connection:
        with self._lock:
            if self._pid != os.getpid():
                _FORKED.extend(self._idle)
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                    return conn
                conn.close()
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)),
                               application_name="kelisim-search", options=self._options)

    def _give(self, conn: psycopg.Connection) -> None:
        with self._lock:
            ok = (self._pid == os.getpid() and not conn.closed and len(self._idle) < self.max_idle
                  and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE)
            if ok:
                self._idle.append(conn)
                return
        if self._pid == os.getpid():
            conn.close()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        conn = self._take()
        try:
            yield conn
        except psycopg.OperationalError:
            conn.close()
            raise
        except BaseException:
            self._give(conn)
            raise
        self._give(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            mine = self._pid == os.getpid()
        for conn in idle:
            if mine:
                conn.close()
            else:
                _FORKED.append(conn)
