"""Accounts: creation, sign-in checks with lock-out, passwords, roles and deactivation.

Every operation takes a session and plain values and leaves the commit to the caller (a failed sign-in's
count must be committed too). The web glue (Flask-Login, role checks on views) lives in ``archive.auth``.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import PermissionDeniedError, UserValueError
from ..i18n import _
from .. import models
from ..models import ROLES, User
from . import audit

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
# Checked against when the e-mail is unknown, so both answers take about as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000", "scrypt")


def aware(dt: Optional[datetime]) -> Optional[datetime]:
    """SQLite gives naive datetimes back: read them as UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def get_user(session: Session, user_id: int) -> Optional[User]:
    """The account with this id, or None."""
    return session.get(User, user_id)


def user_by_email(session: Session, email: str) -> Optional[User]:
    """The account with this e-mail (any case), or None."""
    email = (email or "").strip().lower()
    return session.scalars(select(User).where(User.email == email)).first() if email else None


def all_users(session: Session) -> list[User]:
    """Every account, by e-mail."""
    return list(session.scalars(select(User).order_by(User.email)))


def create_user(session: Session, email: str, password: str, role: str = "member", name: str = "") -> User:
    """A new active account; ``UserValueError`` for a bad e-mail, weak password, unknown role or duplicate."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise UserValueError("That does not look like an e-mail address.")
    if role not in ROLES:
        raise UserValueError(f"Unknown role {role!r}; use member, editor or admin.")
    if len(password) < 10:
        raise UserValueError("The password must be at least 10 characters long.")
    if session.scalars(select(User).where(User.email == email)).first():
        raise UserValueError("An account with this e-mail already exists.")
    user = User(email=email, name=name.strip(), role=role, password_hash=generate_password_hash(password, "scrypt"),
                session_token=secrets.token_hex(16))
    session.add(user)
    session.flush()
    return user


class LockedError(UserValueError):
    """Too many failed sign-ins: the account is locked until ``until``."""

    status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__(_("Too many failed sign-in attempts. The account is locked until %(time)s UTC.",
                           time=until.strftime("%Y-%m-%d %H:%M")))
        self.until = until


def authenticate(session: Session, email: str, password: str) -> User:
    """The account for these credentials; counts failures and locks after five (caller commits)."""
    user = user_by_email(session, email)
    now = models.utcnow()
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        raise UserValueError(_("Wrong e-mail or password."))
    locked = aware(user.locked_until)
    if locked and locked > now:
        raise LockedError(locked)
    if not check_password_hash(user.password_hash or _DUMMY_HASH, password or "") or not user.password_hash:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            audit.record(session, user.id, "account.locked", "user", user.id)
            raise LockedError(user.locked_until)
        raise UserValueError(_("Wrong e-mail or password."))
    if not user.active:
        raise UserValueError(_("This account has been deactivated. Ask an administrator."))
    user.failed_logins = 0
    user.locked_until = None
    if not user.session_token:
        user.session_token = secrets.token_hex(16)
    return user


def check_new_password(password: str, confirm: Optional[str] = None) -> None:
    """``UserValueError`` unless the new password is long enough (and matches its confirmation)."""
    if len(password or "") < MIN_PASSWORD:
        raise UserValueError(_("The password must be at least %(n)d characters long.", n=MIN_PASSWORD))
    if confirm is not None and password != confirm:
        raise UserValueError(_("The two passwords do not match."))


def rotate_session_token(user: User) -> str:
    """End every session of this person (their next request is anonymous)."""
    user.session_token = secrets.token_hex(16)
    return user.session_token


def set_password(session: Session, actor_id: Optional[int], user: User, password: str,
                 confirm: Optional[str] = None) -> None:
    """Set a new password (admin reset or CLI), unlock, and end the person's other sessions."""
    check_new_password(password, confirm)
    user.password_hash = generate_password_hash(password, "scrypt")
    user.failed_logins = 0
    user.locked_until = None
    rotate_session_token(user)
    audit.record(session, actor_id, "user.password_set", "user", user.id, email=user.email)


def change_password(session: Session, user: User, current: str, new: str, confirm: str) -> None:
    """A person changes their own password; the current one is required."""
    if not check_password_hash(user.password_hash or _DUMMY_HASH, current or ""):
        raise UserValueError(_("The current password is wrong."))
    set_password(session, user.id, user, new, confirm)


def set_role(session: Session, actor: User, user: User, role: str) -> None:
    """Give an account another role (admins cannot demote themselves: someone must stay admin)."""
    if role not in ROLES:
        raise UserValueError(_("Unknown role."))
    if user.id == actor.id and role != "admin":
        raise PermissionDeniedError(_("You cannot take the admin role from yourself."))
    old, user.role = user.role, role
    audit.record(session, actor.id, "user.role", "user", user.id, email=user.email, old=old, new=role)


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if user.id == actor.id and not active:
        raise PermissionDeniedError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        rotate_session_token(user)
    audit.record(session, actor.id, "user.activate" if active else "user.deactivate", "user", user.id, email=user.email)
