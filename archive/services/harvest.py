"""The records harvesters see (OAI-PMH): published and withdrawn publications, selected by set and date."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, load_only, selectinload

from ..models import KINDS, Authorship, Publication, Volume, unindexed
from ..permissions import PUBLIC_STATUSES
from .browse import counted


def _db_time(session: Session, dt: datetime) -> datetime:
    """A bound in the form the database compares correctly (naive UTC for SQLite)."""
    if session.get_bind().dialect.name == "sqlite":
        return dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


# What a record's header shows (identifier, datestamp, deleted or not, its sets): all ListIdentifiers loads.
HEADER_COLUMNS = (Publication.id, Publication.status, Publication.updated_at, Publication.kind,
                  Publication.volume_id)


def visible(headers: bool = False) -> Select:
    """Every record a harvester may see (withdrawn ones become deleted headers), whole or (``headers``) only what
    their headers show. The status is tested per row: a list is read from the (updated_at, id) index (SQLite,
    without statistics, would take the status index)."""
    q = select(Publication).where(unindexed(Publication.status).in_(PUBLIC_STATUSES))
    if headers:
        return q.options(load_only(*HEADER_COLUMNS, raiseload=True))
    return q.options(selectinload(Publication.authorships).selectinload(Authorship.person),
                     selectinload(Publication.volume), selectinload(Publication.source_file))


def visible_one(session: Session, pub_id: int) -> Optional[Publication]:
    """One record a harvester may see, or None."""
    return session.scalars(visible().where(Publication.id == pub_id)).first()


def selection(session: Session, set_spec: str, since: Optional[datetime], before: Optional[datetime],
              cutoff: datetime, headers: bool = False) -> Select:
    """Visible records in a set, changed in [since, before) and before the list's cutoff (``headers``: see
    ``visible``)."""
    q = visible(headers)
    if set_spec:
        q = _set_filter(q, set_spec)
    if since is not None:
        q = q.where(Publication.updated_at >= _db_time(session, since))
    if before is not None:
        q = q.where(Publication.updated_at < _db_time(session, before))
    return q.where(Publication.updated_at < _db_time(session, cutoff))


def _set_filter(q: Select, spec: str) -> Select:
    if spec == "kind":
        return q
    if spec == "volume":
        return q.where(Publication.volume_id.is_not(None))
    m = re.fullmatch(r"(kind|volume):([A-Za-z0-9]+)", spec)
    if m and m.group(1) == "kind" and m.group(2) in KINDS:
        return q.where(Publication.kind == m.group(2))
    if m and m.group(1) == "volume" and m.group(2).isdigit() and len(m.group(2)) <= 18:
        return q.where(Publication.volume_id == int(m.group(2)))
    return q.where(False)   # a well-formed set this repository does not have: an empty list


def count(session: Session, q: Select) -> int:
    """How many records a selection holds."""
    return session.scalar(select(func.count()).select_from(q.with_only_columns(Publication.id).subquery())) or 0


_KEPT_SETS = frozenset({"", "kind", "volume", *(f"kind:{k}" for k in KINDS)})


def list_size(session: Session, q: Select, set_spec: str, dated: bool, archive=None) -> int:
    """How many records a list holds (its ``completeListSize``). A list without dates, of everything or of a set,
    is counted once per search index generation of ``archive`` (``browse.counted``): every record's way in or out
    of a harvest (published, withdrawn, changed, deleted) is indexed after its commit, which starts a new one. The
    count read every record's status at each first page (40 ms at 30,000). A dated list counts its range, a
    volume's its volume (kept counts are for the few sets every repository has, never one per asked name)."""
    if dated or set_spec not in _KEPT_SETS:
        return count(session, q)
    return counted(archive, f"harvest:{set_spec}", lambda: count(session, q))


def page_after(session: Session, q: Select, changed: Optional[datetime], last_id: int, size: int
               ) -> list[Publication]:
    """Up to ``size`` records of a selection after the one changed at ``changed`` with id ``last_id``, in the
    order of (updated_at, id) (``changed`` None: from the first). Each statement reads a range of the
    (updated_at, id) index, so a harvest's page costs the same wherever it lies and an incremental harvest
    (``from``) reads only what changed: records changed at the same moment by id, then the later ones."""
    order = (Publication.updated_at, Publication.id)
    if changed is None:
        return list(session.scalars(q.order_by(*order).limit(size)))
    at = _db_time(session, changed if changed.tzinfo else changed.replace(tzinfo=timezone.utc))
    rows = list(session.scalars(q.where(Publication.updated_at == at, Publication.id > last_id)
                                .order_by(Publication.id).limit(size)))
    if len(rows) < size:
        rows += session.scalars(q.where(Publication.updated_at > at).order_by(*order).limit(size - len(rows)))
    return rows


_VISIBLE_BY_ROW = unindexed(Publication.status).in_(PUBLIC_STATUSES)   # tested per row of another index


def earliest_change(session: Session) -> Optional[datetime]:
    """The oldest datestamp a harvester can see (Identify): read oldest first from the datestamp index until a
    record is visible (``min()`` over the visible records gathered them all by the status index)."""
    return session.scalar(select(Publication.updated_at).where(_VISIBLE_BY_ROW)
                          .order_by(Publication.updated_at, Publication.id).limit(1))


def kinds_present(session: Session) -> set[str]:
    """The kinds of the visible records (ListSets): for each kind, one visible record looked for in the kind's
    index (a ``DISTINCT`` over the visible records read every one of them: 70 ms at 30,000)."""
    found = session.execute(select(*(select(Publication.id).where(Publication.kind == k, _VISIBLE_BY_ROW)
                                      .limit(1).exists().label(k) for k in KINDS))).one()
    return {k for k, present in zip(KINDS, found) if present}


def volumes_present(session: Session) -> list[tuple[int, str]]:
    """(id, title) of the volumes that hold a visible record: each volume's records looked up in the volume
    index (the volumes are few; the records many)."""
    holds = select(Publication.id).where(Publication.volume_id == Volume.id, _VISIBLE_BY_ROW).exists()
    return list(session.execute(select(Volume.id, Volume.title).where(holds).order_by(Volume.id)))
