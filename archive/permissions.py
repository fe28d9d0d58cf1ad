"""Who may do what: the actors and the rules every service checks before it changes anything.

Members upload and edit their own drafts; editors and admins edit everything and publish; only admins
delete records and manage accounts. Readers (no account) see published records, and withdrawn ones as
tombstones. These are plain predicates on plain values: services call them, views never decide alone.
"""
from __future__ import annotations

from typing import Optional, Protocol

from .errors import PermissionDeniedError
from .i18n import _

EDITOR_ROLES = ("editor", "admin")
PUBLIC_STATUSES = ("published", "withdrawn")      # what a reader may open (withdrawn: a tombstone page)


class Actor(Protocol):
    """Who acts: the signed-in user's id and role."""

    id: int
    role: str


class Owned(Protocol):
    """A record with an uploader and a status (a publication)."""

    created_by_id: Optional[int]
    status: str


def is_editor(user: Optional[Actor]) -> bool:
    """Editors and admins publish and edit everything."""
    return user is not None and user.role in EDITOR_ROLES


def is_admin(user: Optional[Actor]) -> bool:
    """Admins also delete records and manage accounts."""
    return user is not None and user.role == "admin"


def can_view(user: Optional[Actor], pub: Owned) -> bool:
    """Drafts (and their files) are seen by their uploader and by editors."""
    if user is None:
        return False
    return is_editor(user) or (pub.created_by_id is not None and pub.created_by_id == user.id)


def can_edit(user: Optional[Actor], pub: Owned) -> bool:
    """Members edit their own drafts; editors edit anything."""
    if is_editor(user):
        return True
    return can_view(user, pub) and pub.status == "draft"


def is_public(pub: Owned) -> bool:
    """Whether a reader without an account may open the record's page."""
    return pub.status in PUBLIC_STATUSES


def require_edit(user: Optional[Actor], pub: Owned) -> None:
    """``PermissionDeniedError`` unless ``user`` may change ``pub``."""
    if not can_edit(user, pub):
        raise PermissionDeniedError(_("Only editors can change a publication once it is published."))


def require_editor(user: Optional[Actor], message: str) -> None:
    """``PermissionDeniedError`` with ``message`` unless ``user`` is an editor or admin."""
    if not is_editor(user):
        raise PermissionDeniedError(message)


def require_admin(user: Optional[Actor], message: str) -> None:
    """``PermissionDeniedError`` with ``message`` unless ``user`` is an admin."""
    if not is_admin(user):
        raise PermissionDeniedError(message)
