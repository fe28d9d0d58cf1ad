"""Related publications: published work sharing authors or topics with a publication."""
from __future__ import annotations

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from ..models import Authorship, Publication, PublicationTopic
from ..search import translated_matches
from .browse import PUBLISHED_BY_KEY

AUTHOR_WEIGHT = 2        # a shared author says more than a shared topic
TOPIC_WEIGHT = 1
LIMIT = 5
TOPIC_CANDIDATES = 100   # of each topic of a publication, its newest publications weighed as related ones
AUTHOR_CANDIDATES = 100  # of each author, the publications last added to the archive weighed as related ones
TWINS = 3
OTHER_LANGUAGE = {"ru": "kk", "kk": "ru"}


def related_publications(session: Session, pub: Publication, limit: int = LIMIT) -> list[Publication]:
    """Up to ``limit`` published publications sharing authors or topics with ``pub``, best match first.

    The publication itself, its duplicates (and the original it duplicates) and the volume/article it
    belongs to or contains are left out.

    The candidates are, of each of its authors, the ``AUTHOR_CANDIDATES`` publications last added (a prolific
    author's thousand were all weighed before), and of each of its topics the ``TOPIC_CANDIDATES`` newest (read
    from the topic's (year, id) index): a topic holds a share of the whole archive, which was gathered and summed
    for every publication page before. Each candidate is then scored by all it shares.
    """
    people = [a.person_id for a in pub.authorships]
    topics = list(session.scalars(select(PublicationTopic.topic_id).where(PublicationTopic.publication_id == pub.id)))
    link = PublicationTopic
    newest = []
    for topic_id in topics:
        for known, order in ((link.year.is_not(None), (link.year.desc(), link.publication_id.desc())),
                             (link.year.is_(None), (link.publication_id.desc(),))):
            newest.append(select(link.publication_id).join(Publication, Publication.id == link.publication_id)
                          .where(link.topic_id == topic_id, known, PUBLISHED_BY_KEY)
                          .order_by(*order).limit(TOPIC_CANDIDATES).subquery())
    for person_id in people:
        newest.append(select(Authorship.publication_id).join(Publication, Publication.id == Authorship.publication_id)
                      .where(Authorship.person_id == person_id, PUBLISHED_BY_KEY)
                      .order_by(Authorship.id.desc()).limit(AUTHOR_CANDIDATES).subquery())
    candidates: set[int] = set()
    if newest:
        candidates.update(session.scalars(union_all(*(select(q.c.publication_id) for q in newest))))
    family = {i for i in (pub.id, pub.duplicate_of_id, pub.parent_id) if i}
    candidates -= family
    if not candidates:
        return []
    ids = list(candidates)
    score: dict[int, int] = dict.fromkeys(ids, 0)
    for pid, n in session.execute(select(Authorship.publication_id, func.count())
                                  .where(Authorship.publication_id.in_(ids), Authorship.person_id.in_(people))
                                  .group_by(Authorship.publication_id)) if people else ():
        score[pid] += AUTHOR_WEIGHT * n
    for pid, n in session.execute(select(link.publication_id, func.count())
                                  .where(link.publication_id.in_(ids), link.topic_id.in_(topics))
                                  .group_by(link.publication_id)) if topics else ():
        score[pid] += TOPIC_WEIGHT * n
    # a probable duplicate of a published work is listed once, as the original (as when browsing)
    rows = session.execute(select(Publication.id, Publication.year).where(
        Publication.id.in_(ids), PUBLISHED_BY_KEY,
        or_(Publication.duplicate_of_id.is_(None), Publication.duplicate_of_id.not_in(family)),
        or_(Publication.parent_id.is_(None), Publication.parent_id != pub.id))).all()
    ranked = [pid for pid, year in sorted(rows, key=lambda r: (-score[r[0]], r[1] is None, -(r[1] or 0), -r[0]))
              if score[pid] > 0][:limit]
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
