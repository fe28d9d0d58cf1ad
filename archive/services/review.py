"""Review of drafts: metadata edits, corrections to a volume's split, publish, withdraw, delete.

Every operation takes a session, the acting user (anything with ``id`` and ``role``) and plain values,
checks permission, records an ``AuditEvent`` and any index work in the same transaction, and leaves
the commit to the caller. Members edit their own drafts; editors and admins edit anything and publish;
only admins delete.
"""
from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional, Protocol

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from uploads.types import Author

from ..errors import NotFoundError, PermissionDeniedError, UserValueError
from ..models import AuditEvent, Authorship, Publication, PublicationPage, StoredFile, Volume, utcnow
from ..sanitize import clean_html
from . import indexing
from .duplicates import simhash, title_key
from .people import find_or_create_person

logger = logging.getLogger(__name__)

LANGUAGES = ("ru", "kk", "en")
MAX_AUTHORS = 60
_SPACES = re.compile(r"\s+")


def _(message: str, **variables: Any) -> str:
    """Translated inside a request; plain English (formatted) in the CLI and the worker, which have no locale."""
    if has_request_context():
        return gettext(message, **variables)
    return message % variables if variables else message


class Actor(Protocol):
    """Who acts: the signed-in user's id and role."""

    id: int
    role: str


# --- who may do what -------------------------------------------------------------------------------

def is_editor(user: Optional[Actor]) -> bool:
    """Editors and admins publish and edit everything."""
    return user is not None and user.role in ("editor", "admin")


def can_view(user: Optional[Actor], pub: Publication) -> bool:
    """Drafts (and their files) are seen by their uploader and by editors."""
    if user is None:
        return False
    return is_editor(user) or (pub.created_by_id is not None and pub.created_by_id == user.id)


def can_edit(user: Optional[Actor], pub: Publication) -> bool:
    """Members edit their own drafts; editors edit anything."""
    if is_editor(user):
        return True
    return can_view(user, pub) and pub.status == "draft"


def get_visible(session: Session, user: Optional[Actor], pub_id: int) -> Publication:
    """The publication if this user may see it in review; ``NotFoundError`` otherwise (existence not revealed)."""
    pub = session.scalars(
        select(Publication).where(Publication.id == pub_id)
        .options(selectinload(Publication.authorships).selectinload(Authorship.person),
                 selectinload(Publication.volume), selectinload(Publication.source_file))).first()
    if pub is None or not can_view(user, pub):
        raise NotFoundError(_("No such draft, or it is not yours to see."))
    return pub


def _editable(session: Session, user: Actor, pub_id: int) -> Publication:
    pub = get_visible(session, user, pub_id)
    if not can_edit(user, pub):
        raise PermissionDeniedError(_("Only editors can change a publication once it is published."))
    return pub


def visible_drafts(session: Session, user: Actor, limit: int = 200) -> list[Publication]:
    """Top-level drafts this user may review, newest first."""
    q = select(Publication).where(Publication.status == "draft", Publication.parent_id.is_(None))
    if not is_editor(user):
        q = q.where(Publication.created_by_id == user.id)
    return list(session.scalars(q.options(selectinload(Publication.authorships).selectinload(Authorship.person))
                                .order_by(Publication.id.desc()).limit(limit)))


def recent_public(session: Session, user: Actor, limit: int = 50) -> list[Publication]:
    """Recently published or withdrawn top-level records (for editors: withdraw, delete)."""
    if not is_editor(user):
        return []
    return list(session.scalars(
        select(Publication).where(Publication.status.in_(("published", "withdrawn")), Publication.parent_id.is_(None))
        .order_by(Publication.updated_at.desc(), Publication.id.desc()).limit(limit)))


def root_of(session: Session, pub: Publication) -> Publication:
    """The volume an article belongs to, or the publication itself."""
    if pub.parent_id:
        parent = session.get(Publication, pub.parent_id)
        if parent is not None:
            return parent
    return pub


def children_of(session: Session, pub: Publication) -> list[Publication]:
    """A volume's articles in page order."""
    return list(session.scalars(select(Publication).where(Publication.parent_id == pub.id)
                                .options(selectinload(Publication.authorships).selectinload(Authorship.person))
                                .order_by(Publication.pdf_page_start, Publication.id)))


def _audit(session: Session, user: Actor, action: str, pub_id: Optional[int], **details: Any) -> None:
    session.add(AuditEvent(at=utcnow(), user_id=user.id, action=action, object_type="publication",
                           object_id=pub_id, details=details))


def _reindex_if_public(session: Session, pubs: list[Publication]) -> None:
    """Index work for changed records that readers can see (drafts are not in the index)."""
    ids = [p.id for p in pubs if p.status != "draft"]
    if ids:
        indexing.enqueue(session, ids)


audit = _audit                      # shared with the other publication services (entries)
reindex_if_public = _reindex_if_public


# --- metadata --------------------------------------------------------------------------------------

def parse_authors(text: str) -> list[Author]:
    """Author lines "Surname Given names" (one per line) → ``Author`` values."""
    out: list[Author] = []
    for line in (text or "").splitlines():
        name = _SPACES.sub(" ", line).strip()[:300]
        if not name:
            continue
        surname, _sep, given = name.partition(" ")
        out.append(Author(name=name, surname=surname, given=given))
    if len(out) > MAX_AUTHORS:
        raise UserValueError(_("At most %(n)d authors per publication.", n=MAX_AUTHORS))
    return out


def parse_keywords(text: str) -> list[str]:
    """Keywords separated by new lines or semicolons, duplicates dropped."""
    words = (_SPACES.sub(" ", w).strip()[:200] for w in re.split(r"[;\n]", text or ""))
    return list(dict.fromkeys(w for w in words if w))[:50]


def _year(value: str) -> Optional[int]:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1000 <= int(value) <= 2100:
        raise UserValueError(_("The year must be a four-digit number such as 2019."))
    return int(value)


parse_year = _year


def _set_authors(session: Session, pub: Publication, authors: list[Author]) -> None:
    affiliations = {a.name_as_printed: a.affiliation for a in pub.authorships}
    pub.authorships.clear()
    session.flush()            # positions are unique: old rows must be gone before new ones go in
    seen: set[int] = set()
    for author in authors:
        person = find_or_create_person(session, author)
        if person.id in seen:
            continue
        seen.add(person.id)
        pub.authorships.append(Authorship(person=person, position=len(pub.authorships) + 1,
                                          name_as_printed=author.name, affiliation=affiliations.get(author.name, "")))


set_authors = _set_authors          # people resolved through the people service (name variants are one person)


def update_metadata(session: Session, user: Actor, pub_id: int, values: Mapping[str, str]) -> Publication:
    """Title, authors, year, language, abstracts (sanitised) and keywords of one publication."""
    pub = _editable(session, user, pub_id)
    title = _SPACES.sub(" ", values.get("title", "")).strip()
    if not title:
        raise UserValueError(_("The title cannot be empty."))
    if len(title) > 2000:
        raise UserValueError(_("The title is too long (at most 2000 characters)."))
    language = (values.get("language") or "").strip()
    if language and language not in LANGUAGES:
        raise UserValueError(_("Unknown language; choose Russian, Kazakh or English."))
    year = _year(values.get("year", ""))
    authors = parse_authors(values.get("authors", ""))
    keywords = parse_keywords(values.get("keywords", ""))
    abstracts = dict(pub.abstracts or {})
    for lang in LANGUAGES:
        key = f"abstract_{lang}"
        if key in values:
            text = clean_html(values.get(key, ""))[:20000]
            if text:
                abstracts[lang] = text
            else:
                abstracts.pop(lang, None)

    changes: dict[str, Any] = {}

    def change(field: str, old: Any, new: Any) -> None:
        if old != new:
            changes[field] = [str(old)[:200] if old is not None else None, str(new)[:200] if new is not None else None]

    change("title", pub.title, title)
    change("language", pub.language, language)
    change("year", pub.year, year)
    change("keywords", "; ".join(pub.keywords or []), "; ".join(keywords))
    change("abstracts", pub.abstracts or {}, abstracts)
    old_authors = [a.name_as_printed or a.person.name for a in pub.authorships]
    change("authors", "; ".join(old_authors), "; ".join(a.name for a in authors))
    if not changes:
        return pub
    old_title = pub.title
    pub.title = title
    pub.title_key = title_key(title)
    titles = {k: v for k, v in (pub.titles or {}).items() if v != old_title}
    titles[language or pub.language or "ru"] = title
    pub.titles = titles
    pub.language = language
    pub.year = year
    pub.keywords = keywords
    pub.abstracts = abstracts
    if "authors" in changes:
        _set_authors(session, pub, authors)
    if pub.kind == "volume" and pub.volume is not None:
        pub.volume.title = title
        pub.volume.year = year
    _audit(session, user, "publication.edit", pub.id, changes=changes)
    _reindex_if_public(session, [pub])
    session.flush()
    return pub


# --- a volume's split ------------------------------------------------------------------------------

def _article_in_volume(session: Session, user: Actor, article_id: int) -> tuple[Publication, Publication]:
    art = _editable(session, user, article_id)
    if not art.parent_id or art.kind != "article":
        raise UserValueError(_("Only articles inside a volume have page ranges to correct."))
    vol = root_of(session, art)
    if not can_edit(user, vol):
        raise PermissionDeniedError(_("Only editors can change a publication once it is published."))
    return art, vol


def _page_count(vol: Publication) -> int:
    return len(vol.pages) or (vol.source_file.page_count if vol.source_file and vol.source_file.page_count else 0)


def _int(values: Mapping[str, Any], key: str) -> int:
    try:
        return int(str(values.get(key, "")).strip())
    except ValueError:
        raise UserValueError(_("Page numbers must be whole numbers.")) from None


def _set_range(art: Publication, vol: Publication, first: int, last: int) -> None:
    """New physical range; printed pages shift with it, pages are copied from the volume, the cut PDF is stale."""
    if art.page_start is not None and art.pdf_page_start is not None:
        offset = art.page_start - art.pdf_page_start
        art.page_start, art.page_end = first + offset, last + offset
    art.pdf_page_start, art.pdf_page_end = first, last
    art.pages.clear()
    art.article_file_id = None


def _copy_pages(session: Session, arts: list[Publication], vol: Publication) -> None:
    session.flush()            # page numbers are unique per publication: clear first, then refill
    by_number = {p.number: p for p in vol.pages}
    for art in arts:
        if art.pages:
            continue
        for i, n in enumerate(range(art.pdf_page_start or 1, (art.pdf_page_end or 0) + 1), start=1):
            src = by_number.get(n)
            if src is not None:
                art.pages.append(PublicationPage(number=i, text=src.text, method=src.method,
                                                 problems=list(src.problems or []), printed=src.printed))
        art.simhash = simhash(" ".join(p.text for p in art.pages))


def _check_no_overlap(arts: list[Publication]) -> None:
    spans = sorted(((a.pdf_page_start or 0, a.pdf_page_end or 0, a) for a in arts), key=lambda t: (t[0], t[1]))
    for (s1, e1, a1), (s2, e2, a2) in zip(spans, spans[1:]):
        if s2 <= e1:
            raise UserValueError(_("Pages %(a)d–%(b)d of “%(t1)s” overlap with “%(t2)s” (pages %(c)d–%(d)d).",
                                   a=s1, b=e1, t1=a1.title[:80], t2=a2.title[:80], c=s2, d=e2))


def move_boundary(session: Session, user: Actor, article_id: int, values: Mapping[str, Any]) -> Publication:
    """Give an article new first/last PDF pages; adjacent articles give up or take over the pages between."""
    art, vol = _article_in_volume(session, user, article_id)
    first, last = _int(values, "start"), _int(values, "end")
    n = _page_count(vol)
    if not 1 <= first <= last or (n and last > n):
        raise UserValueError(_("Choose pages between 1 and %(n)d, the first not after the last.", n=n or 1))
    old = (art.pdf_page_start or 0, art.pdf_page_end or 0)
    if (first, last) == old:
        return art
    siblings = [a for a in children_of(session, vol) if a.id != art.id]
    before = [a for a in siblings if (a.pdf_page_start or 0) < old[0]]
    after = [a for a in siblings if (a.pdf_page_start or 0) > old[0]]
    changed = [art]
    prev = before[-1] if before else None
    nxt = after[0] if after else None
    if prev is not None and (prev.pdf_page_end == old[0] - 1 or (prev.pdf_page_end or 0) >= first):
        if first - 1 < (prev.pdf_page_start or 0):
            raise UserValueError(_("That would leave “%(t)s” without pages; merge the two articles instead.",
                                   t=prev.title[:80]))
        _set_range(prev, vol, prev.pdf_page_start or 1, first - 1)
        changed.append(prev)
    if nxt is not None and (nxt.pdf_page_start == old[1] + 1 or (nxt.pdf_page_start or 0) <= last):
        if last + 1 > (nxt.pdf_page_end or 0):
            raise UserValueError(_("That would leave “%(t)s” without pages; merge the two articles instead.",
                                   t=nxt.title[:80]))
        _set_range(nxt, vol, last + 1, nxt.pdf_page_end or last + 1)
        changed.append(nxt)
    _set_range(art, vol, first, last)
    _check_no_overlap(siblings + [art])
    _copy_pages(session, changed, vol)
    _audit(session, user, "volume.boundary", vol.id, article=art.id, old=list(old), new=[first, last],
           neighbours=[a.id for a in changed[1:]])
    _reindex_if_public(session, [vol] + changed)
    session.flush()
    return art


def merge_articles(session: Session, user: Actor, article_id: int,
                   values: Optional[Mapping[str, Any]] = None) -> Publication:
    """Merge an article with the one that follows it; the first keeps its metadata and gains the pages."""
    art, vol = _article_in_volume(session, user, article_id)
    after = [a for a in children_of(session, vol) if (a.pdf_page_start or 0) > (art.pdf_page_start or 0)]
    if not after:
        raise UserValueError(_("This is the last article; there is nothing after it to merge with."))
    nxt = after[0]
    if not can_edit(user, nxt):
        raise PermissionDeniedError(_("Only editors can change a publication once it is published."))
    known = {a.person_id for a in art.authorships}
    for a in nxt.authorships:
        if a.person_id not in known:
            art.authorships.append(Authorship(person_id=a.person_id, position=len(art.authorships) + 1,
                                              name_as_printed=a.name_as_printed, affiliation=a.affiliation))
            known.add(a.person_id)
    first, last = art.pdf_page_start or 1, max(art.pdf_page_end or 0, nxt.pdf_page_end or 0)
    printed_end = nxt.page_end
    removed_id, removed_title, was_public = nxt.id, nxt.title, nxt.status != "draft"
    _unlink_duplicates(session, [nxt.id])
    session.delete(nxt)
    session.flush()
    _set_range(art, vol, first, last)
    if printed_end is not None and art.page_start is not None:
        art.page_end = printed_end
    _copy_pages(session, [art], vol)
    _audit(session, user, "volume.merge", vol.id, article=art.id, removed=removed_id, removed_title=removed_title[:200],
           pages=[first, last])
    if was_public:
        indexing.enqueue(session, [removed_id], "remove")
    _reindex_if_public(session, [vol, art])
    session.flush()
    return art


def split_article(session: Session, user: Actor, article_id: int, values: Mapping[str, Any]) -> Publication:
    """Cut an article in two before the given PDF page; returns the new second article."""
    from uploads.metadata import extract_metadata

    art, vol = _article_in_volume(session, user, article_id)
    page = _int(values, "page")
    first, last = art.pdf_page_start or 1, art.pdf_page_end or 1
    if not first < page <= last:
        raise UserValueError(_("Choose a page after the article's first page (%(a)d) and not after its last (%(b)d).",
                               a=first, b=last))
    printed_offset = (art.page_start - first) if art.page_start is not None else None
    _set_range(art, vol, first, page - 1)
    by_number = {p.number: p.text for p in vol.pages}
    md = extract_metadata([by_number.get(n, "") for n in range(page, last + 1)])
    title = (md.title or "").strip()[:2000] or _("Untitled article (pages %(a)d–%(b)d)", a=page, b=last)
    new = Publication(kind="article", status=art.status, title=title, titles={}, abstracts={}, keywords=[],
                      language=md.language or art.language, year=art.year, isbn=art.isbn, volume_id=art.volume_id,
                      parent_id=art.parent_id, source_file_id=art.source_file_id, created_by_id=art.created_by_id,
                      pdf_page_start=page, pdf_page_end=last, published_at=art.published_at,
                      page_start=page + printed_offset if printed_offset is not None else None,
                      page_end=last + printed_offset if printed_offset is not None else None,
                      title_key=title_key(title))
    session.add(new)
    session.flush()
    if md.authors:
        _set_authors(session, new, md.authors)
    _copy_pages(session, [art, new], vol)
    _audit(session, user, "volume.split", vol.id, article=art.id, new_article=new.id, at_page=page)
    _reindex_if_public(session, [vol, art, new])
    session.flush()
    return new


def cut_article_files(archive, session: Session, vol: Publication) -> int:
    """Cut per-article PDFs for articles whose range changed (no cut file yet); returns how many were cut."""
    from uploads.errors import UploadError
    from uploads.limits import run_limited
    from uploads.pdfsplit import split_pdf

    from ..storage import sha256_of

    src = vol.source_file
    if src is None or src.mime != "application/pdf":
        return 0
    arts = [a for a in children_of(session, vol) if a.article_file_id is None and a.pdf_page_start]
    if not arts:
        return 0
    ranges = [(a.pdf_page_start, a.pdf_page_end or a.pdf_page_start) for a in arts]
    with tempfile.TemporaryDirectory(prefix="kelisim-recut-") as tmp:
        try:
            parts = run_limited(split_pdf, (archive.files.path_for(src.sha256), ranges, Path(tmp)), archive.limits)
        except UploadError as exc:
            logger.warning("re-cutting articles of volume %s failed: %s", vol.id, exc.detail)
            return 0
        for art, part in zip(arts, parts):
            sha = sha256_of(part)
            sf = session.scalars(select(StoredFile).where(StoredFile.sha256 == sha)).first()
            if sf is None:
                archive.files.put(part, sha)
                sf = StoredFile(sha256=sha, original_name=f"{Path(src.original_name).stem}-{art.id}.pdf"[:1000],
                                size=part.stat().st_size, mime="application/pdf",
                                page_count=(art.pdf_page_end or 0) - (art.pdf_page_start or 0) + 1,
                                uploaded_by_id=src.uploaded_by_id)
                session.add(sf)
                session.flush()
            art.article_file_id = sf.id
    return len(arts)


# --- publish, withdraw, delete ---------------------------------------------------------------------

def publish(session: Session, user: Actor, pub_id: int, values: Optional[Mapping[str, Any]] = None) -> list[int]:
    """Publish a record together with its volume and all its articles; returns the ids to index after commit."""
    pub = get_visible(session, user, pub_id)
    if not is_editor(user):
        raise PermissionDeniedError(_("Only editors can publish."))
    root = root_of(session, pub)
    group = [root] + children_of(session, root)
    if root.status == "published":
        raise UserValueError(_("This is already published."))
    for p in group:
        if not (p.title or "").strip():
            raise UserValueError(_("Every article needs a title before publishing."))
    now = utcnow()
    ids = []
    for p in group:
        if p.status in ("draft", "withdrawn"):
            p.status = "published"
            p.published_at = p.published_at or now
            p.withdrawn_at = None
            p.withdrawal_reason = ""
            ids.append(p.id)
    indexing.enqueue(session, ids)
    _audit(session, user, "publication.publish", root.id, ids=ids, title=root.title[:200])
    session.flush()
    return ids


def withdraw(session: Session, user: Actor, pub_id: int, values: Mapping[str, Any]) -> list[int]:
    """Withdraw a published record (and a volume's articles with it); its public page becomes a tombstone."""
    pub = get_visible(session, user, pub_id)
    if not is_editor(user):
        raise PermissionDeniedError(_("Only editors can withdraw publications."))
    reason = _SPACES.sub(" ", str(values.get("reason", ""))).strip()[:2000]
    if not reason:
        raise UserValueError(_("Say why the publication is withdrawn; readers will see the reason."))
    if pub.status != "published":
        raise UserValueError(_("Only published records can be withdrawn."))
    root = pub              # a volume takes its articles with it; an article alone leaves its volume
    group = [root] + (children_of(session, root) if root.kind == "volume" else [])
    now = utcnow()
    ids = []
    for p in group:
        if p.status == "published":
            p.status = "withdrawn"
            p.withdrawn_at = now
            p.withdrawal_reason = reason
            ids.append(p.id)
    indexing.enqueue(session, ids)
    _audit(session, user, "publication.withdraw", root.id, ids=ids, reason=reason[:500])
    session.flush()
    return ids


def _unlink_duplicates(session: Session, ids: list[int]) -> None:
    for other in session.scalars(select(Publication).where(Publication.duplicate_of_id.in_(ids))):
        other.duplicate_of_id = None


def delete(session: Session, user: Actor, pub_id: int, values: Optional[Mapping[str, Any]] = None) -> list[str]:
    """Remove a record (a volume with its articles) from the database; returns stored files to remove after commit."""
    pub = get_visible(session, user, pub_id)
    if user.role != "admin":
        raise PermissionDeniedError(_("Only administrators can delete publications."))
    root = pub              # a volume goes with its articles; an article alone leaves the rest of its volume
    group = children_of(session, root) + [root] if root.kind == "volume" else [root]
    ids = [p.id for p in group]
    file_ids = {fid for p in group for fid in (p.source_file_id, p.article_file_id) if fid}
    volume_ids = {p.volume_id for p in group if p.volume_id}
    title = root.title
    _unlink_duplicates(session, ids)
    for p in session.scalars(select(Publication).where(Publication.parent_id.in_(ids),
                                                       Publication.id.not_in(ids))):
        p.parent_id = None
    for p in group:
        session.delete(p)
    session.flush()
    shas: list[str] = []
    for fid in file_ids:
        used = session.scalar(select(Publication.id).where(or_(Publication.source_file_id == fid,
                                                               Publication.article_file_id == fid)).limit(1))
        if used is None:
            sf = session.get(StoredFile, fid)
            if sf is not None:
                shas.append(sf.sha256)
                session.delete(sf)
    for vid in volume_ids:
        if session.scalar(select(Publication.id).where(Publication.volume_id == vid).limit(1)) is None:
            vol = session.get(Volume, vid)
            if vol is not None:
                session.delete(vol)
    indexing.enqueue(session, ids, "remove")
    _audit(session, user, "publication.delete", root.id, ids=ids, title=title[:200], files=len(shas))
    session.flush()
    return shas


def audit_events(session: Session, limit: int = 300) -> list[AuditEvent]:
    """The latest audit events, newest first."""
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
