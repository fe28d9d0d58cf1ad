"""Reading publications: the queries behind public pages, review screens and the API.

Every function takes a session and plain values and returns ORM objects loaded with what the caller
shows (authors, volume, files), so no template triggers a query per row.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import NotFoundError
from ..i18n import _
from ..models import Authorship, Publication, PublicationPage, unindexed
from ..permissions import PUBLIC_STATUSES, Actor, can_view, is_editor, is_public, require_edit

PUBLISHED = Publication.status == "published"


def with_people(q: Select) -> Select:
    """Load authors (with their people) and the volume of every publication the query returns."""
    return q.options(selectinload(Publication.authorships).selectinload(Authorship.person),
                     selectinload(Publication.volume))


def _one(session: Session, pub_id: int) -> Optional[Publication]:
    return session.scalars(with_people(select(Publication).where(Publication.id == pub_id))
                           .options(selectinload(Publication.source_file))).first()


def load_public(session: Session, pub_id: int) -> Optional[Publication]:
    """A publication readers may open (published, or withdrawn as a tombstone), or None."""
    pub = _one(session, pub_id)
    return pub if pub is not None and is_public(pub) else None


def get_visible(session: Session, user: Optional[Actor], pub_id: int) -> Publication:
    """The publication if this user may see it in review; ``NotFoundError`` otherwise (existence not revealed)."""
    pub = _one(session, pub_id)
    if pub is None or not can_view(user, pub):
        raise NotFoundError(_("No such draft, or it is not yours to see."))
    return pub


def get_editable(session: Session, user: Actor, pub_id: int) -> Publication:
    """The publication if this user may change it (``NotFoundError``/``PermissionDeniedError`` otherwise)."""
    pub = get_visible(session, user, pub_id)
    require_edit(user, pub)
    return pub


def root_of(session: Session, pub: Publication) -> Publication:
    """The volume an article belongs to, or the publication itself."""
    if pub.parent_id:
        parent = session.get(Publication, pub.parent_id)
        if parent is not None:
            return parent
    return pub


def children_of(session: Session, pub: Publication) -> list[Publication]:
    """A volume's articles in page order (any status)."""
    return list(session.scalars(select(Publication).where(Publication.parent_id == pub.id)
                                .options(selectinload(Publication.authorships).selectinload(Authorship.person))
                                .order_by(Publication.pdf_page_start, Publication.id)))


def published_articles_of(session: Session, volume_pub: Publication) -> list[Publication]:
    """A published volume's published articles, in page order."""
    return list(session.scalars(with_people(select(Publication).where(Publication.parent_id == volume_pub.id,
                                                                       PUBLISHED))
                                .order_by(Publication.pdf_page_start, Publication.id)))


def pages_of(session: Session, pub_id: int) -> list[PublicationPage]:
    """Every page of a publication, in order."""
    return list(session.scalars(select(PublicationPage).where(PublicationPage.publication_id == pub_id)
                                .order_by(PublicationPage.number)))


def public_duplicate(session: Session, pub: Publication) -> Optional[Publication]:
    """The published record this one duplicates, if any (other files of the same work)."""
    if not pub.duplicate_of_id:
        return None
    other = session.get(Publication, pub.duplicate_of_id)
    return other if other is not None and other.status == "published" else None


def recent_published(session: Session, limit: int = 10) -> list[Publication]:
    """The newest published top-level records and articles (the home page): read newest first from the
    ``published_at`` index until ``limit`` qualify (most rows are published: never through the status index)."""
    return list(session.scalars(with_people(
        select(Publication).where(unindexed(Publication.status) == "published",
                                  Publication.parent_id.is_(None) | (Publication.kind == "article")))
        .order_by(Publication.published_at.desc(), Publication.id.desc()).limit(limit)))


def published_count(session: Session) -> int:
    """How many publications readers can find."""
    return session.scalar(select(func.count()).select_from(Publication).where(PUBLISHED)) or 0


def visible_drafts(session: Session, user: Actor, limit: int = 200) -> list[Publication]:
    """Top-level drafts this user may review, newest first."""
    q = select(Publication).where(Publication.status == "draft", Publication.parent_id.is_(None))
    if not is_editor(user):
        q = q.where(Publication.created_by_id == user.id)
    return list(session.scalars(q.options(selectinload(Publication.authorships).selectinload(Authorship.person))
                                .order_by(Publication.id.desc()).limit(limit)))


def recent_public(session: Session, user: Actor, limit: int = 50) -> list[Publication]:
    """Recently published or withdrawn top-level records (for editors: withdraw, delete): read newest first from
    the updated_at index until ``limit`` qualify (the status tested per row: SQLite, without statistics, gathered
    every public record by the status index and sorted them, 190 ms a review page at 30,000)."""
    if not is_editor(user):
        return []
    return list(session.scalars(
        select(Publication).where(unindexed(Publication.status).in_(PUBLIC_STATUSES), Publication.parent_id.is_(None))
        .order_by(Publication.updated_at.desc(), Publication.id.desc()).limit(limit)))


def review_link_target(session: Session, user: Actor, pub_id: Optional[int]) -> tuple[Optional[Publication], str]:
    """A related record as the reviewer may reach it: (record, "public" | "review" | "")."""
    other = session.get(Publication, pub_id) if pub_id else None
    if other is None:
        return None, ""
    if is_public(other):
        return other, "public"
    if can_view(user, other):
        return other, "review"
    return None, ""



def publications_of_people(session: Session, person_ids: list[int]) -> list[Publication]:
    """Every publication of these people (any status)."""
    # A subquery, not DISTINCT over whole rows: PostgreSQL has no equality for json columns.
    ids = select(Authorship.publication_id).where(Authorship.person_id.in_(person_ids))
    return list(session.scalars(select(Publication).where(Publication.id.in_(ids)).order_by(Publication.id)))
