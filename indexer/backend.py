"""The search engine behind a small contract; ``WhooshBackend`` (whoosh_backend.py) is the default."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Iterable, Protocol, Sequence

from .analysis import Term, is_stopword, word_keys
from .documents import IndexDocument
from .query import Clause, ParsedQuery, Phrase, Word

logger = logging.getLogger(__name__)

FIELD_BOOSTS = {"title": 4.0, "keywords": 2.5, "abstract": 2.0, "authors": 3.0, "body": 1.0}
FACETS = ("year", "lang", "kind", "collection", "topics", "persons")


class SearchIndexError(Exception):
    """The index could not be read or written (the detail is in the log)."""


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


@dataclass
class Hit:
    id: int
    score: float


@dataclass
class SearchResult:
    """Ranked ids for one page, the total, facet counts and how the query was matched."""

    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    relaxed: bool = False          # all-words found nothing; any-word ranking was used instead
    keys: frozenset[str] = frozenset()
    suggestion: str | None = None  # "did you mean": the query with unknown words corrected


class SearchBackend(Protocol):
    """What the archive needs from a search engine."""

    def update(self, docs: Iterable[IndexDocument]) -> None: ...
    def remove(self, ids: Iterable[int]) -> None: ...
    def clear(self) -> None: ...
    def doc_ids(self) -> set[int]: ...
    def search(self, query: ParsedQuery, filters: Filters = Filters(), page: int = 1, limit: int = 10,
               sort: str = "relevance", facets: bool = True) -> SearchResult: ...
    def close(self) -> None: ...


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


def clause_keys(c: Clause) -> set[str]:
    """Index keys a clause can match (used for highlighting)."""
    words = c.words if isinstance(c, Phrase) else (c.text,)
    out: set[str] = set()
    for w in words:
        out |= word_keys(w)
    return out


def query_keys(q: ParsedQuery) -> frozenset[str]:
    """Every key of every positive clause."""
    keys: set[str] = set()
    for group in q.groups:
        for c in group:
            keys |= clause_keys(c)
    return frozenset(keys)


def encode_terms(terms: Sequence[Term]) -> str:
    """Serialise pre-analyzed terms as "key\x1fpos" items joined by "\x1e" (engines that take text)."""
    return "\x1e".join(f"{t.key}\x1f{t.pos}" for t in terms)


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
