"""Related publications: published work sharing authors or topics with a publication."""
from __future__ import annotations

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased, selectinload

from ..models import Authorship, Publication, PublicationTopic
from ..search import translated_matches

AUTHOR_WEIGHT = 2        # a shared author says more than a shared topic
TOPIC_WEIGHT = 1
LIMIT = 5
TWINS = 3
OTHER_LANGUAGE = {"ru": "kk", "kk": "ru"}


def related_publications(session: Session, pub: Publication, limit: int = LIMIT) -> list[Publication]:
    """Up to ``limit`` published publications sharing authors or topics with ``pub``, best match first.

    The publication itself, its duplicates (and the original it duplicates) and the volume/article it
    belongs to or contains are left out.
    """
    by_author = (select(Authorship.publication_id.label("pid"), literal(AUTHOR_WEIGHT).label("w"))
                 .where(Authorship.person_id.in_(select(Authorship.person_id)
                                                 .where(Authorship.publication_id == pub.id))))
    by_topic = (select(PublicationTopic.publication_id.label("pid"), literal(TOPIC_WEIGHT).label("w"))
                .where(PublicationTopic.topic_id.in_(select(PublicationTopic.topic_id)
                                                     .where(PublicationTopic.publication_id == pub.id))))
    hits = union_all(by_author, by_topic).subquery()
    score = func.sum(hits.c.w).label("score")
    original = aliased(Publication)
    family = {pub.id}
    if pub.duplicate_of_id:
        family.add(pub.duplicate_of_id)
    if pub.parent_id:
        family.add(pub.parent_id)
    conds = [Publication.status == "published", Publication.id.not_in(family),
             # a probable duplicate of a published work is listed once, as the original (as when browsing)
             or_(Publication.duplicate_of_id.is_(None),
                 Publication.duplicate_of_id.not_in(family)
                 & Publication.duplicate_of_id.not_in(select(original.id).where(original.status == "published"))),
             or_(Publication.parent_id.is_(None), Publication.parent_id != pub.id)]
    stmt = (select(Publication.id, score).join(hits, hits.c.pid == Publication.id).where(*conds)
            .group_by(Publication.id)
            .order_by(score.desc(), Publication.year.is_(None), Publication.year.desc(), Publication.id.desc())
            .limit(limit))
    ranked = [pid for pid, _score in session.execute(stmt).all()]
    if not ranked:
        return []
    pubs = {p.id: p for p in session.scalars(
        select(Publication).where(Publication.id.in_(ranked))
        .options(selectinload(Publication.authorships).selectinload(Authorship.person)))}
    return [pubs[i] for i in ranked if i in pubs]


def translated_twins(archive, session: Session, pub: Publication, limit: int = TWINS) -> list[Publication]:
    """Published work in the other language (Russian for a Kazakh article, Kazakh for a Russian one) on the
    same subject: its title and keywords, translated by the term bridge, searched in that language."""
    target = OTHER_LANGUAGE.get(pub.language or "")
    if target is None:
        return []
    own = pub.language
    texts = [pub.titles.get(own) or pub.title] if pub.titles else [pub.title]
    texts += [k for k in (pub.keywords or []) if isinstance(k, str)]
    family = tuple(i for i in {pub.id, pub.duplicate_of_id, pub.parent_id} if i)
    ids = translated_matches(archive, session, [t for t in texts if t], target, family, limit)
    if not ids:
        return []
    pubs = {p.id: p for p in session.scalars(
        select(Publication).where(Publication.id.in_(ids), Publication.status == "published")
        .options(selectinload(Publication.authorships).selectinload(Authorship.person)))}
    return [pubs[i] for i in ids if i in pubs]
