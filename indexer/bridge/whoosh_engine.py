"""What a search backend adds to run a bridged query, shown on Whoosh (used by bench/crosslingual.py and tests).

Two things, both small:

1. ``BridgedWord`` / ``BridgedPhrase`` clauses are searched under their own ``keys`` (a set per word position:
   every key the index holds for a form of the counterpart) with every field boost multiplied by ``weight``.
2. Ranking in tiers: documents that match the reader's own words (the query without the bridge's clauses)
   come first, in exactly the order they have without the bridge; then documents matched only through the
   bridge, by their bridged score; the any-word fallback only when neither finds anything. Total and facets
   are those of the bridged query (it matches a superset). A weight alone cannot promise that: a Kazakh title
   with the counterpart outranks a Russian body mentioning the word once even at weight 0.5 (measured:
   bench/crosslingual.py --no-tiers, docs/crosslingual.md).

The integrator folds this into ``indexer/whoosh_backend.py`` (and the same two rules into tantivy and
PostgreSQL) once the query path is rebuilt; nothing here changes the existing backend.
"""
from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Sequence

from ..backend import FIELD_BOOSTS, Filters, Hit, SearchResult
from ..query import Clause, ParsedQuery
from ..whoosh_backend import WhooshBackend
from .expand import BridgedPhrase, BridgedWord, original_clauses

MAX_PHRASE_COMBINATIONS = 64


def without_bridge(q: ParsedQuery) -> ParsedQuery:
    """The reader's own query: ``q`` without the bridge's alternatives (``q`` itself when it has none)."""
    groups = [original_clauses(g) for g in q.groups]
    return q if groups == q.groups else replace(q, groups=groups)


class BridgedWhooshBackend(WhooshBackend):
    """``WhooshBackend`` that searches bridge clauses by their keys and weight and ranks in tiers."""

    def __init__(self, path, tiers: bool = True, **options) -> None:
        super().__init__(path, **options)
        self.tiers = tiers

    def _clause(self, c: Clause):
        if not isinstance(c, (BridgedWord, BridgedPhrase)):
            return super()._clause(c)
        from whoosh import query as wq

        fields_ = (c.field,) if c.field else tuple(FIELD_BOOSTS)
        per_pos: Sequence[list[str]] = [sorted(k for k in ks if not k.startswith("~"))
                                        for ks in ((c.keys,) if isinstance(c, BridgedWord) else c.keys)]
        if not per_pos or not all(per_pos):
            return None
        if len(per_pos) == 1:
            return wq.Or([wq.Term(f, k, boost=FIELD_BOOSTS.get(f, 1.0) * c.weight) for f in fields_ for k in per_pos[0]])
        # A phrase: the combinations of the keys each field actually holds (a counterpart's key set covers all
        # its forms, most of which an index never saw), bounded like the reader's own phrases.
        reader = self._get_searcher().reader()
        phrases = []
        for f in fields_:
            present = [[k for k in ks if reader.doc_frequency(f, k)] for ks in per_pos]
            if all(present):
                phrases += [wq.Phrase(f, list(combo), boost=FIELD_BOOSTS.get(f, 1.0) * c.weight)
                            for combo in itertools.islice(itertools.product(*present), MAX_PHRASE_COMBINATIONS)]
        return wq.Or(phrases) if phrases else wq.NullQuery

    def suggest(self, query: ParsedQuery) -> str | None:
        """"Did you mean" corrects the reader's words, never the bridge's counterparts."""
        return super().suggest(without_bridge(query))

    def _ranked(self, q: ParsedQuery, flt: Filters, n: int) -> list[tuple[int, float]]:
        res = self._get_searcher().search(self._build(q), limit=n, filter=self._filter_query(q, flt))
        return [(int(r["id"]), float(r.score)) for r in res]

    def search(self, query: ParsedQuery, filters: Filters = Filters(), page: int = 1, limit: int = 10,
               sort: str = "relevance", facets: bool = True) -> SearchResult:
        """The bridged query's matches: the reader's own words first (unchanged order), then the bridge's."""
        plain = without_bridge(query)
        full = super().search(query, filters, page, limit, sort, facets)
        if not self.tiers or plain is query or sort != "relevance" or query.is_empty or full.relaxed:
            return full
        page = max(1, int(page))
        limit = max(1, min(int(limit), 100))
        need = page * limit
        first = self._ranked(plain, filters, need)
        seen = {i for i, _s in first}
        second = [(i, s) for i, s in self._ranked(query, filters, need + len(first)) if i not in seen]
        hits = [Hit(i, s) for i, s in (first + second)[(page - 1) * limit:need]]
        return replace(full, hits=hits)
