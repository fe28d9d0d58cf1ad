"""Corrections to a volume's split: move an article's page range, merge two articles, split one in two.

Volumes are modelled as they are printed: one article often ends on the page where the next begins, so two
neighbours may share that one page. A change is checked against the article's neighbours only (never
against the whole volume), a neighbour that touched the article keeps touching it in the same way (sharing
a page or following on the next one), and a change that would leave a neighbour without pages is refused
with the pages named and a fix offered. Each operation keeps every article's pages copied from the volume,
records an audit event and the index work in the same transaction, and leaves the commit to the caller.
The per-article PDFs of changed articles are cut again in the background (``publishing``).

A merge keeps what it absorbed (title, authors, abstracts, pages) on the surviving article, so splitting it
again at the same page gives each article back its own title and authors.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from sqlalchemy.orm import Session

from uploads.metadata import extract_metadata
from uploads.types import Author

from ..errors import UserValueError
from ..i18n import _
from ..models import Publication, PublicationPage
from ..permissions import Actor, require_edit
from . import audit, indexing, references
from .duplicates import simhash, title_key, unlink_duplicates
from .publications import children_of, get_editable, root_of
from .review import set_authors

logger = logging.getLogger(__name__)

MERGED_KEY = "merged"       # Publication.extra: what merges absorbed, for a later split at the same page


def short_title(title: str, limit: int = 80) -> str:
    """A title shortened at a word boundary (never mid-word), with an ellipsis when cut."""
    title = " ".join((title or "").split())
    if len(title) <= limit:
        return title
    cut = title.rfind(" ", 0, limit)
    return title[: cut if cut > limit // 2 else limit].rstrip(" ,;:–-") + "…"


@dataclass
class Fix:
    """A correction the person can apply with one click: another range, or a merge."""

    kind: str                      # "range" | "merge"
    article_id: int
    first: int = 0
    last: int = 0


class SplitConflict(UserValueError):
    """A change that would leave a neighbour without pages; ``fixes`` are what would work instead."""

    def __init__(self, message: str, article_id: int, fixes: list[Fix]) -> None:
        super().__init__(message)
        self.article_id = article_id
        self.fixes = fixes


@dataclass
class Outcome:
    """What an operation did: the article it concerns, whether anything changed, and notes for the person."""

    article: Publication
    changed: bool = True
    notes: tuple[str, ...] = ()


def _article_in_volume(session: Session, user: Actor, article_id: int) -> tuple[Publication, Publication]:
    art = get_editable(session, user, article_id)
    if not art.parent_id or art.kind != "article":
        raise UserValueError(_("Only articles inside a volume have page ranges to correct."))
    vol = root_of(session, art)
    require_edit(user, vol)
    return art, vol


def _page_count(vol: Publication) -> int:
    return len(vol.pages) or (vol.source_file.page_count if vol.source_file and vol.source_file.page_count else 0)


def _int(values: Mapping[str, Any], key: str) -> int:
    try:
        return int(str(values.get(key, "")).strip())
    except ValueError:
        raise UserValueError(_("Page numbers must be whole numbers.")) from None


def _span(a: Publication) -> tuple[int, int]:
    return a.pdf_page_start or 0, a.pdf_page_end or 0


def _set_range(art: Publication, first: int, last: int) -> None:
    """New physical range; printed pages shift with it, pages are copied again, the cut PDF is stale."""
    if art.page_start is not None and art.pdf_page_start is not None:
        offset = art.page_start - art.pdf_page_start
        art.page_start, art.page_end = first + offset, last + offset
    art.pdf_page_start, art.pdf_page_end = first, last
    art.pages.clear()
    art.article_file_id = None


def _copy_pages(session: Session, arts: list[Publication], vol: Publication) -> None:
    session.flush()            # page numbers are unique per publication: clear first, then refill
    by_number = {p.number: p for p in vol.pages}
    refilled = [art for art in arts if not art.pages]
    for art in refilled:
        for i, n in enumerate(range(art.pdf_page_start or 1, (art.pdf_page_end or 0) + 1), start=1):
            src = by_number.get(n)
            if src is not None:
                art.pages.append(PublicationPage(number=i, text=src.text, method=src.method,
                                                 problems=list(src.problems or []), printed=src.printed))
        art.simhash = simhash(" ".join(p.text for p in art.pages))
    session.flush()
    references.reread_articles(session, vol, refilled)


def _neighbours(session: Session, vol: Publication, art: Publication) -> tuple[Optional[Publication],
                                                                               Optional[Publication]]:
    """The articles just before and just after ``art`` in the volume's page order."""
    ordered = children_of(session, vol)
    i = next(k for k, a in enumerate(ordered) if a.id == art.id)
    return (ordered[i - 1] if i > 0 else None), (ordered[i + 1] if i + 1 < len(ordered) else None)


def _new_end_of_previous(prev: Publication, old_first: int, first: int) -> Optional[int]:
    """Where the previous article ends once ``art`` begins at ``first`` (None: it does not change)."""
    p_first, p_last = _span(prev)
    if p_last == old_first:                  # they shared a page: they still do
        return first
    if p_last == old_first - 1 or p_last >= first:
        return first - 1                     # it followed on the next page, or it would overlap: it ends before
    return None                              # a gap (front matter, a section page) separates them


def _new_start_of_next(nxt: Publication, old_last: int, last: int) -> Optional[int]:
    """Where the next article begins once ``art`` ends at ``last`` (None: it does not change)."""
    n_first, n_last = _span(nxt)
    if n_first == old_last:
        return last
    if n_first == old_last + 1 or n_first <= last:
        return last + 1
    return None


def move_boundary(session: Session, user: Actor, article_id: int, values: Mapping[str, Any]) -> Outcome:
    """Give an article new first/last PDF pages; only its two neighbours adjust, keeping how they touched it."""
    art, vol = _article_in_volume(session, user, article_id)
    first, last = _int(values, "start"), _int(values, "end")
    n = _page_count(vol)
    if not 1 <= first <= last or (n and last > n):
        raise UserValueError(_("Choose pages between 1 and %(n)d, the first not after the last.", n=n or 1))
    old = _span(art)
    if (first, last) == old:
        return Outcome(art, changed=False,
                       notes=(_("Nothing to change: the article already has pages %(a)d–%(b)d.", a=first, b=last),))
    prev, nxt = _neighbours(session, vol, art)
    changed = [art]
    if prev is not None:
        end = _new_end_of_previous(prev, old[0], first)
        if end is not None and end != _span(prev)[1]:
            if end < _span(prev)[0]:
                p0, p1 = _span(prev)
                e = p0 if p1 == old[0] else p0 + 1         # the earliest first page that leaves it a page
                raise SplitConflict(
                    _("Pages %(a)d–%(b)d would take every page of “%(t)s” (pages %(c)d–%(d)d). Let this article "
                      "begin on page %(e)d, or merge the two articles.",
                      a=first, b=last, t=short_title(prev.title), c=p0, d=p1, e=e),
                    art.id, ([Fix("range", art.id, e, last)] if e <= last else []) + [Fix("merge", prev.id)])
            _set_range(prev, _span(prev)[0], end)
            changed.append(prev)
    if nxt is not None:
        start = _new_start_of_next(nxt, old[1], last)
        if start is not None and start != _span(nxt)[0]:
            if start > _span(nxt)[1]:
                n0, n1 = _span(nxt)
                e = n1 if n0 == old[1] else n1 - 1         # the last page that leaves it a page
                raise SplitConflict(
                    _("Pages %(a)d–%(b)d would take every page of “%(t)s” (pages %(c)d–%(d)d). Let this article "
                      "end on page %(e)d, or merge the two articles.",
                      a=first, b=last, t=short_title(nxt.title), c=n0, d=n1, e=e),
                    art.id, ([Fix("range", art.id, first, e)] if e >= first else []) + [Fix("merge", art.id)])
            _set_range(nxt, start, _span(nxt)[1])
            changed.append(nxt)
    _set_range(art, first, last)
    _copy_pages(session, changed, vol)
    audit.publication_event(session, user, "volume.boundary", vol.id, article=art.id, old=list(old),
                            new=[first, last], neighbours={str(a.id): list(_span(a)) for a in changed[1:]})
    indexing.enqueue_public(session, [vol] + changed)
    session.flush()
    return Outcome(art)


def _snapshot(a: Publication) -> dict[str, Any]:
    """What a merge absorbs from an article, so a split at the same page can give it back."""
    return {"id": a.id, "title": a.title, "titles": dict(a.titles or {}), "first": _span(a)[0],
            "last": _span(a)[1], "page_start": a.page_start, "page_end": a.page_end,
            "language": a.language, "abstracts": dict(a.abstracts or {}), "keywords": list(a.keywords or []),
            "authors": [{"name": x.name_as_printed or x.person.name, "person_id": x.person_id,
                         "affiliation": x.affiliation} for x in a.authorships],
            MERGED_KEY: list((a.extra or {}).get(MERGED_KEY) or [])}


def merge_articles(session: Session, user: Actor, article_id: int,
                   values: Optional[Mapping[str, Any]] = None) -> Outcome:
    """Merge an article with the one that follows it; the first keeps its metadata and gains the pages.

    What the second one had (title, authors, abstracts, its pages) is kept on the first, so that splitting
    it at the same page later restores both articles as they were.
    """
    art, vol = _article_in_volume(session, user, article_id)
    _prev, nxt = _neighbours(session, vol, art)
    if nxt is None:
        raise UserValueError(_("This is the last article; there is nothing after it to merge with."))
    require_edit(user, nxt)
    own_authors = [{"name": x.name_as_printed or x.person.name, "person_id": x.person_id,
                    "affiliation": x.affiliation} for x in art.authorships]
    snap = _snapshot(nxt)
    known = {a.person_id for a in art.authorships}
    people = [Author(name=x["name"], affiliation=x["affiliation"]) for x in own_authors]
    people += [Author(name=x["name"], affiliation=x["affiliation"]) for x in snap["authors"]
               if x["person_id"] not in known]
    first, last = _span(art)[0] or 1, max(_span(art)[1], _span(nxt)[1])
    printed_end = nxt.page_end
    was_public = nxt.status != "draft"
    unlink_duplicates(session, [nxt.id])
    session.delete(nxt)
    session.flush()
    set_authors(session, art, people)
    extra = dict(art.extra or {})
    # The first article's own last page too: when the two shared a page, a split at the second one's first
    # page must give that page back to both, not end the first article one page early.
    extra[MERGED_KEY] = [*(extra.get(MERGED_KEY) or []),
                         {**snap, "kept_authors": own_authors, "kept_last": _span(art)[1]}]
    art.extra = extra
    _set_range(art, first, last)
    if printed_end is not None and art.page_start is not None:
        art.page_end = printed_end
    _copy_pages(session, [art], vol)
    audit.publication_event(session, user, "volume.merge", vol.id, article=art.id, removed=snap["id"],
                            removed_title=snap["title"][:200], pages=[first, last])
    if was_public:
        indexing.enqueue(session, [snap["id"]], "remove")
    indexing.enqueue_public(session, [vol, art])
    session.flush()
    return Outcome(art)


def _restore_from(session: Session, art: Publication, new: Publication, snap: dict[str, Any]) -> None:
    """Give both halves of a merged article back their own titles, authors and abstracts."""
    set_authors(session, art, [Author(name=x["name"], affiliation=x.get("affiliation", ""))
                               for x in snap.get("kept_authors") or []])
    set_authors(session, new, [Author(name=x["name"], affiliation=x.get("affiliation", ""))
                               for x in snap.get("authors") or []])
    new.titles = dict(snap.get("titles") or {})
    new.abstracts = dict(snap.get("abstracts") or {})
    new.keywords = list(snap.get("keywords") or [])
    new.language = snap.get("language") or new.language
    if snap.get(MERGED_KEY):
        new.extra = {**(new.extra or {}), MERGED_KEY: list(snap[MERGED_KEY])}


def split_article(session: Session, user: Actor, article_id: int, values: Mapping[str, Any]) -> Outcome:
    """Cut an article in two before the given PDF page; returns the new second article.

    Splitting where an earlier merge joined two articles gives each its own title and authors back;
    elsewhere the second article's title and authors are read from its first page, and the person is
    told to check them.
    """
    art, vol = _article_in_volume(session, user, article_id)
    page = _int(values, "page")
    first, last = _span(art)[0] or 1, _span(art)[1] or 1
    if not first < page <= last:
        raise UserValueError(_("Choose a page after the article's first page (%(a)d) and not after its last (%(b)d).",
                               a=first, b=last))
    merged = list((art.extra or {}).get(MERGED_KEY) or [])
    snap = next((m for m in reversed(merged) if m.get("first") == page), None)
    printed_offset = (art.page_start - first) if art.page_start is not None else None
    kept_last = (snap or {}).get("kept_last") or 0
    _set_range(art, first, kept_last if page - 1 <= kept_last <= page else page - 1)
    if snap is not None:
        title = snap["title"]
        md_language, md_authors = snap.get("language"), None
    else:
        by_number = {p.number: p.text for p in vol.pages}
        md = extract_metadata([by_number.get(n, "") for n in range(page, last + 1)])
        title = (md.title or "").strip()[:2000] or _("Untitled article (pages %(a)d–%(b)d)", a=page, b=last)
        md_language, md_authors = md.language, md.authors
    new = Publication(kind="article", status=art.status, title=title, titles={}, abstracts={}, keywords=[],
                      language=md_language or art.language, year=art.year, isbn=art.isbn, volume_id=art.volume_id,
                      parent_id=art.parent_id, source_file_id=art.source_file_id, created_by_id=art.created_by_id,
                      pdf_page_start=page, pdf_page_end=last, published_at=art.published_at,
                      page_start=page + printed_offset if printed_offset is not None else None,
                      page_end=last + printed_offset if printed_offset is not None else None,
                      title_key=title_key(title))
    session.add(new)
    session.flush()
    notes: tuple[str, ...] = ()
    if snap is not None:
        _restore_from(session, art, new, snap)
        art.extra = {**(art.extra or {}), MERGED_KEY: [m for m in merged if m is not snap]}
    else:
        if md_authors:
            set_authors(session, new, md_authors)
        notes = (_("The new article's title and authors were read from its first page, and the first article "
                   "keeps all its authors: check both."),)
    _copy_pages(session, [art, new], vol)
    audit.publication_event(session, user, "volume.split", vol.id, article=art.id, new_article=new.id, at_page=page,
                            restored=snap is not None)
    indexing.enqueue_public(session, [vol, art, new])
    session.flush()
    return Outcome(new, notes=notes)
