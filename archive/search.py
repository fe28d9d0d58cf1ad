"""The only bridge to ``indexer``: run a query, load hits back in rank order, add snippets."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.backend import Filters, SearchResult
from indexer.query import ParsedQuery, parse_query
from indexer.snippets import Snippet, make_snippets, plain_snippet

from .models import Authorship, Publication, PublicationPage
from .services.indexing import index_text


@dataclass
class SearchHit:
    publication: Publication
    score: float
    snippets: list[Snippet]
    snippet_html: str


@dataclass
class SearchPage:
    query: ParsedQuery
    hits: list[SearchHit]
    total: int
    page: int
    limit: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    relaxed: bool = False
    elapsed_ms: float = 0.0
    suggestion: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def run_search(archive, session: Session, text: str, page: int = 1, limit: int = 10,
               filters: Filters = Filters(), sort: str = "relevance", facets: bool = True,
               snippets: bool = True) -> SearchPage:
    """Search published publications; never raises on odd user input.

    ``snippets=False`` skips reading page text (exports and other callers that only need the records).
    """
    t0 = time.perf_counter()
    q = parse_query(text)
    result: SearchResult = archive.search.search(q, filters, page=page, limit=limit, sort=sort, facets=facets)
    ids = [h.id for h in result.hits]
    pubs = {p.id: p for p in session.scalars(
        select(Publication).where(Publication.id.in_(ids), Publication.status == "published")
        .options(selectinload(Publication.authorships).selectinload(Authorship.person),
                 selectinload(Publication.volume)))} if ids else {}
    pages_of: dict[int, list[tuple[int, str]]] = {}
    if snippets and pubs:
        # One query for the page text of every hit on this page (not one per hit).
        for pid, number, text_ in session.execute(
                select(PublicationPage.publication_id, PublicationPage.number, PublicationPage.text)
                .where(PublicationPage.publication_id.in_(list(pubs)))
                .order_by(PublicationPage.publication_id, PublicationPage.number)):
            pages_of.setdefault(pid, []).append((number, text_))
    hits: list[SearchHit] = []
    for h in result.hits:
        pub = pubs.get(h.id)
        if pub is None:
            continue                    # the index is ahead of the database for a moment; skip
        if not snippets:
            hits.append(SearchHit(pub, h.score, [], ""))
            continue
        pages = pages_of.get(pub.id, [])
        found = make_snippets(result.keys, pages, pub.language or "ru") if result.keys else []
        own = "" if pages else index_text(pub)
        own_found = make_snippets(result.keys, [(0, own)], pub.language or "ru") if own and result.keys else []
        if found:
            snippet_html = found[0].html
        elif own_found:
            snippet_html = own_found[0].html        # a commentary's quote, an event's programme (no pages)
        elif own:
            snippet_html = plain_snippet(own)
        else:
            lead = next(iter(pub.abstracts.values()), "") if pub.abstracts else ""
            snippet_html = plain_snippet(lead or (pages[0][1] if pages else ""))
        hits.append(SearchHit(pub, h.score, found, snippet_html))
    return SearchPage(q, hits, result.total, page, limit, result.facets, result.relaxed,
                      (time.perf_counter() - t0) * 1000, result.suggestion)
