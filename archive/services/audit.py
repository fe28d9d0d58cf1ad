"""The audit trail: who changed what, when — written in the same transaction as the change."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import AuditEvent, User, utcnow
from ..permissions import Actor


def record(session: Session, actor_id: Optional[int], action: str, object_type: str, object_id: Optional[int],
           **details: Any) -> None:
    """Record one event (the caller commits it together with the change it describes)."""
    session.add(AuditEvent(at=utcnow(), user_id=actor_id, action=action, object_type=object_type,
                           object_id=object_id, details=details))


def publication_event(session: Session, user: Actor, action: str, pub_id: Optional[int], **details: Any) -> None:
    """An event about a publication, by ``user``."""
    record(session, user.id, action, "publication", pub_id, **details)


def latest(session: Session, limit: int = 300) -> tuple[list[AuditEvent], dict[int, str]]:
    """The latest events, newest first, and the e-mail of every user who appears in them."""
    events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))
    ids = {e.user_id for e in events if e.user_id}
    emails = {u.id: u.email for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return events, emails
