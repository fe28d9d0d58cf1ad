"""What sitemaps and Atom feeds list: published records only, and only names and titles readers may see.

A feed of a person or a volume exists only while they have a published record: a name or a title that
exists only in drafts is never shown, and unpublished ids answer 404 like unknown ones.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from ..models import Authorship, Person, Publication, PublicationTopic, Topic, Volume, unindexed
from .publications import PUBLISHED
from .topics import topic_by_slug


def latest_change(session: Session) -> Optional[datetime]:
    """When a published record last changed: the newest read from the updated_at index until one is published
    (the status tested per row: SQLite, without statistics, took every published record by the status index)."""
    return session.scalar(select(Publication.updated_at).where(unindexed(Publication.status) == "published")
                          .order_by(Publication.updated_at.desc(), Publication.id.desc()).limit(1))


def published_rows(session: Session, offset: int, limit: int) -> list[tuple[int, datetime]]:
    """(id, updated_at) of published records in id order, a window of them (a small archive's one sitemap)."""
    # On the session's connection, past the ORM's result handling (half the time of a sitemap part's read).
    return list(session.connection().execute(select(Publication.id, Publication.updated_at).where(PUBLISHED)
                                             .order_by(Publication.id).offset(max(0, offset)).limit(max(0, limit))))


def published_in_ids(session: Session, low: int, high: int) -> list[tuple[int, datetime]]:
    """(id, updated_at) of the published records with ``low <= id < high``, in id order: a sitemap part, read
    from the primary key over that range whatever the archive's size (an offset walked every record before it)."""
    # The status tested per row: SQLite, without statistics, would gather every published record by the status
    # index and sort them.
    return list(session.connection().execute(
        select(Publication.id, Publication.updated_at)
        .where(Publication.id >= low, Publication.id < high, unindexed(Publication.status) == "published")
        .order_by(Publication.id)))


def last_changes_by_id_range(session: Session, size: int) -> dict[int, datetime]:
    """The latest change among the published records of each id range ``[k * size, (k + 1) * size)``, by ``k``;
    ranges without a published record are absent. One pass over the published records (callers keep it per index
    generation)."""
    part = Publication.id // size
    return {int(k): last for k, last in session.execute(
        select(part, func.max(Publication.updated_at)).where(PUBLISHED).group_by(part))}


def _published(published=PUBLISHED) -> Select:
    return (select(Publication).where(published)
            .options(selectinload(Publication.authorships).selectinload(Authorship.person),
                     selectinload(Publication.volume))
            .order_by(Publication.published_at.desc(), Publication.id.desc()))


def newest(session: Session, limit: int) -> list[Publication]:
    """The newest publications of the whole archive: read newest first from the published_at index until
    ``limit`` qualify (the status tested per row: SQLite, without statistics, gathered every published
    publication by the status index and sorted them, 156 ms a feed at 30,000)."""
    return list(session.scalars(_published(unindexed(Publication.status) == "published").limit(limit)))


def volume_feed(session: Session, volume_id: int, limit: int) -> Optional[tuple[Volume, list[Publication], Optional[int]]]:
    """(volume, its newest published records, the id of its published book record); None unless published."""
    vol = session.get(Volume, volume_id)
    if vol is None:
        return None
    pubs = list(session.scalars(_published().where(Publication.volume_id == volume_id).limit(limit)))
    if not pubs:
        return None
    book = session.scalar(select(Publication.id).where(Publication.volume_id == volume_id,
                                                       Publication.kind == "volume", PUBLISHED))
    return vol, pubs, book


def topic_feed(session: Session, slug: str, limit: int) -> Optional[tuple[Topic, list[Publication]]]:
    """(topic, its newest published records confirmed by editors); None for an unknown topic.

    Read newest first from the topic's links (their publication time is kept on them) until ``limit`` are
    published: a topic's feed gathered and sorted every publication of the topic, 26 ms at 30,000 records."""
    topic = topic_by_slug(session, slug)
    if topic is None:
        return None
    link = PublicationTopic
    pubs = list(session.scalars(
        _published(unindexed(Publication.status) == "published")
        .join(link, link.publication_id == Publication.id)
        .where(link.topic_id == topic.id, link.suggested.is_(False))
        .order_by(None).order_by(link.published_at.desc(), link.publication_id.desc()).limit(limit)))
    return topic, pubs


def person_feed(session: Session, person_id: int, limit: int) -> Optional[tuple[Person, list[Publication]]]:
    """(person, their newest published records); None unless the person has one (drafts reveal nothing)."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    if person.merged_into_id:
        return person, []
    pubs = list(session.scalars(_published().join(Authorship, Authorship.publication_id == Publication.id)
                                .where(Authorship.person_id == person_id).limit(limit)))
    if not pubs:
        return None
    return person, pubs
