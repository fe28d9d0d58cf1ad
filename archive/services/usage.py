"""Views and downloads people can trust: one counter per publication, day and kind, nothing personal kept.

Crawlers (the maintained ``crawlerdetect`` list), editors and admins (their reading is work, not interest)
and HEAD requests are not counted. A count is a bare number: no address, browser or account is stored.
The upsert is "update, else insert, retry on a unique clash", which works the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import models
from ..models import Authorship, Publication, UsageCount, User, unindexed

logger = logging.getLogger(__name__)

KINDS = ("view", "download")
UNCOUNTED_ROLES = ("editor", "admin")
DASHBOARD_DAYS = 30
TOP_N = 10
_ATTEMPTS = 3

_detector = None


def is_crawler(user_agent: Optional[str]) -> bool:
    """True for robots by the crawlerdetect list, and for requests that give no browser at all."""
    global _detector
    ua = (user_agent or "").strip()
    if not ua:
        return True
    if _detector is None:
        from crawlerdetect import CrawlerDetect

        _detector = CrawlerDetect()
    try:
        return bool(_detector.isCrawler(ua))
    except Exception:  # noqa: BLE001 - a broken pattern must not break counting; count as a crawler
        logger.exception("crawler detection failed")
        return True


def should_count(user_agent: Optional[str], user: Any = None, method: str = "GET") -> bool:
    """Whether this request counts: not HEAD, not an editor/admin, not a crawler."""
    if (method or "GET").upper() == "HEAD":
        return False
    if user is not None and getattr(user, "is_authenticated", True) \
            and getattr(user, "role", None) in UNCOUNTED_ROLES:
        return False
    return not is_crawler(user_agent)


def today() -> date:
    return models.utcnow().date()


def record(session: Session, publication_id: int, kind: str, user_agent: Optional[str], user: Any = None,
           method: str = "GET", day: Optional[date] = None) -> bool:
    """Count one view or download of a publication today; True when counted.

    Commits: give it a session of its own (the request's page session is left alone).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown usage kind {kind!r}")
    if not should_count(user_agent, user, method):
        return False
    day = day or today()
    where = (UsageCount.publication_id == publication_id, UsageCount.day == day, UsageCount.kind == kind)
    for _attempt in range(_ATTEMPTS):
        done = session.execute(update(UsageCount).where(*where).values(count=UsageCount.count + 1)
                               .execution_options(synchronize_session=False))
        if done.rowcount:
            session.commit()
            return True
        try:
            session.execute(insert(UsageCount).values(publication_id=publication_id, day=day, kind=kind, count=1))
            session.commit()
            return True
        except IntegrityError:        # another request inserted the row first: update it next round
            session.rollback()
    logger.warning("could not count %s of publication %s", kind, publication_id)
    return False


@dataclass(frozen=True)
class Totals:
    views: int = 0
    downloads: int = 0


def _sums():
    return (func.coalesce(func.sum(case((UsageCount.kind == "view", UsageCount.count), else_=0)), 0),
            func.coalesce(func.sum(case((UsageCount.kind == "download", UsageCount.count), else_=0)), 0))


# A count row of a published record, tested row by row from the counts (by the publication's key): "IN (every
# published id)" gathered all of them on each dashboard, 12 ms a statement at 30,000 records with no counts at all.
_COUNTS_A_PUBLISHED_RECORD = (select(Publication.id).where(Publication.id == UsageCount.publication_id,
                                                           unindexed(Publication.status) == "published").exists())


def _totals(session: Session, condition, since: Optional[date] = None) -> Totals:
    stmt = select(*_sums()).where(condition)
    if since is not None:
        stmt = stmt.where(UsageCount.day >= since)
    views, downloads = session.execute(stmt).one()
    return Totals(int(views or 0), int(downloads or 0))


def totals_for_publication(session: Session, publication_id: int, since: Optional[date] = None) -> Totals:
    """Views and downloads of one publication (all time, or from ``since``)."""
    return _totals(session, UsageCount.publication_id == publication_id, since)


def _person_publications(person_id: int):
    return select(Authorship.publication_id).where(Authorship.person_id == person_id)


def totals_for_person(session: Session, person_id: int, since: Optional[date] = None) -> Totals:
    """The sum over the person's publications (each publication once)."""
    return _totals(session, UsageCount.publication_id.in_(_person_publications(person_id)), since)


def _volume_publications(volume_id: int):
    books = select(Publication.id).where(Publication.volume_id == volume_id, Publication.kind == "volume")
    return select(Publication.id).where(or_(Publication.volume_id == volume_id, Publication.parent_id.in_(books)))


def totals_for_volume(session: Session, volume_id: int, since: Optional[date] = None) -> Totals:
    """The sum over a volume (``Volume.id``): the volume's own record and its articles."""
    return _totals(session, UsageCount.publication_id.in_(_volume_publications(volume_id)), since)


@dataclass
class Row:
    publication: Publication
    views: int
    downloads: int


def per_publication(session: Session, publication_ids: Optional[Iterable[int]] = None, since: Optional[date] = None,
                    limit: Optional[int] = None, published_only: bool = True) -> list[Row]:
    """Publications with their views and downloads, most viewed first."""
    return _with_publications(session, _counts(session, publication_ids, since, limit, published_only))


def _counts(session: Session, publication_ids: Optional[Iterable[int]], since: Optional[date], limit: Optional[int],
            published_only: bool) -> list[tuple[int, int, int]]:
    """(publication id, views, downloads), most viewed first."""
    views, downloads = _sums()
    stmt = (select(UsageCount.publication_id, views.label("v"), downloads.label("d"))
            .group_by(UsageCount.publication_id))
    if since is not None:
        stmt = stmt.where(UsageCount.day >= since)
    if publication_ids is not None:
        ids = list(publication_ids)
        if not ids:
            return []
        stmt = stmt.where(UsageCount.publication_id.in_(ids))
    if published_only:
        stmt = stmt.where(_COUNTS_A_PUBLISHED_RECORD)
    stmt = stmt.order_by(views.desc(), downloads.desc(), UsageCount.publication_id)
    if limit:
        stmt = stmt.limit(limit)
    return [(int(pid), int(v or 0), int(d or 0)) for pid, v, d in session.execute(stmt)]


def _with_publications(session: Session, rows: list[tuple[int, int, int]]) -> list[Row]:
    pubs = {p.id: p for p in session.scalars(
        select(Publication).where(Publication.id.in_([r[0] for r in rows]))
        .options(selectinload(Publication.authorships).selectinload(Authorship.person)))} if rows else {}
    return [Row(pubs[pid], v, d) for pid, v, d in rows if pid in pubs]


@dataclass(frozen=True)
class ArchiveFigures:
    top: list[tuple[int, int, int]]      # (publication id, views, downloads) of the 30 days, most viewed first
    totals: Totals
    totals_30: Totals
    since: date                          # the first of the 30 days
    at: float                            # when they were summed (the monotonic clock)


ARCHIVE_FIGURES_S = 300.0     # seconds a process reuses the archive-wide figures of the dashboard
_figures: "weakref.WeakKeyDictionary[Any, ArchiveFigures]" = weakref.WeakKeyDictionary()
_figures_lock = threading.Lock()


def archive_figures(session: Session, since: date, archive: Any = None, now: Optional[float] = None
                    ) -> ArchiveFigures:
    """The archive's top 10 and totals, all time and since ``since``: sums over every usage row (they grow with
    the archive and with time), so summed at most once every ``ARCHIVE_FIGURES_S`` seconds per process and
    archive (``archive`` None: every time). A member's own figures are not kept: they are read on each visit."""
    now = time.monotonic() if now is None else now
    if archive is not None:
        with _figures_lock:
            kept = _figures.get(archive)
        if kept is not None and kept.since == since and now - kept.at < ARCHIVE_FIGURES_S:
            return kept
    figures = ArchiveFigures(_counts(session, None, since, TOP_N, True), _totals(session, _COUNTS_A_PUBLISHED_RECORD),
                             _totals(session, _COUNTS_A_PUBLISHED_RECORD, since), since, now)
    if archive is not None:
        with _figures_lock:
            _figures[archive] = figures
    return figures


def dashboard(session: Session, user: Any, day: Optional[date] = None, archive: Any = None) -> dict[str, Any]:
    """What the members' dashboard shows: the person's publications, the archive's top 10 of 30 days and totals
    (``archive_figures``: reused for a few minutes when ``archive`` is given)."""
    day = day or today()
    since = day - timedelta(days=DASHBOARD_DAYS - 1)
    account = session.get(User, user.id) if user is not None and getattr(user, "id", None) else None
    conds = []
    if account is not None:
        conds.append(Publication.created_by_id == account.id)
        if account.person_id:
            conds.append(Publication.id.in_(_person_publications(account.person_id)))
    mine_pubs = list(session.scalars(
        select(Publication).where(or_(*conds), Publication.status == "published")
        .order_by(Publication.year.is_(None), Publication.year.desc(), Publication.id.desc()))) if conds else []
    counted = {r.publication.id: r for r in per_publication(session, [p.id for p in mine_pubs])}
    recent = {r.publication.id: r for r in per_publication(session, [p.id for p in mine_pubs], since=since)}
    mine = [{"publication": p,
             "views": counted[p.id].views if p.id in counted else 0,
             "downloads": counted[p.id].downloads if p.id in counted else 0,
             "views_30": recent[p.id].views if p.id in recent else 0,
             "downloads_30": recent[p.id].downloads if p.id in recent else 0} for p in mine_pubs]
    mine.sort(key=lambda r: (-r["views"], -r["downloads"]))
    figures = archive_figures(session, since, archive)
    return {
        "since": since,
        "days": DASHBOARD_DAYS,
        "mine": mine,
        "top": _with_publications(session, figures.top),
        "totals": figures.totals,
        "totals_30": figures.totals_30,
    }
