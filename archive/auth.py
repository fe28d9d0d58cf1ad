"""Sign-in: Flask-Login setup, role checks and the account operations behind them (lock-out, passwords).

The session stores ``"<user id>:<session token>"``; rotating ``User.session_token`` therefore ends every
session of that person at once ("log out everywhere", password reset, deactivation).
"""
from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any, Callable, Optional

from flask import abort, request
from flask_login import LoginManager, UserMixin, current_user
from flask_login import login_required as _flask_login_required
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from . import models
from .errors import PermissionDeniedError, UserValueError
from .models import ROLES, AuditEvent, User
from .services.review import _

logger = logging.getLogger(__name__)

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
# Checked against when the e-mail is unknown, so both answers take about as long.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0000", "scrypt")

login_manager = LoginManager()


@dataclass
class SignedInUser(UserMixin):
    """A detached snapshot of the signed-in account (no ORM object outlives its request session)."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    token: str

    def get_id(self) -> str:
        """The session identifier: id plus the current session token."""
        return f"{self.id}:{self.token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def is_editor(self) -> bool:
        """Editors and admins publish and edit anything."""
        return self.role in ("editor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def of(cls, user: User) -> "SignedInUser":
        """Snapshot of an ORM user."""
        return cls(id=user.id, email=user.email, name=user.name, role=user.role, active=user.active,
                   token=user.session_token)


def aware(dt: Optional[datetime]) -> Optional[datetime]:
    """SQLite gives naive datetimes back: read them as UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def _load_user(user_id: str) -> Optional[SignedInUser]:
    from . import db_session

    uid, _sep, token = (user_id or "").partition(":")
    if not uid.isdigit() or not token:
        return None
    user = db_session().get(User, int(uid))
    if user is None or not user.active or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token, token):
        return None
    return SignedInUser.of(user)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith("/status") \
        or request.accept_mimetypes.best == "application/json"


def _unauthorized():
    from flask import jsonify, redirect, url_for

    if _wants_json():
        return jsonify(error="Sign in first."), 401
    if request.method != "GET":
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def init_app(app) -> None:
    """Flask-Login on the app, plus secure cookie flags when the public address is https."""
    login_manager.init_app(app)
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.session_protection = "basic"
    if str(app.config.get("PUBLIC_BASE_URL", "")).lower().startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")


def login_required(view: Callable) -> Callable:
    """Anonymous people are sent to the sign-in page (401 for JSON and non-GET requests)."""
    return _flask_login_required(view)


def role_required(*roles: str) -> Callable[[Callable], Callable]:
    """Only these roles may call the view: anonymous → sign in, others → 403."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def audit(session: Session, actor_id: Optional[int], action: str, object_type: str, object_id: Optional[int],
          **details: Any) -> None:
    """Record who did what to which object (in the caller's transaction)."""
    session.add(AuditEvent(at=models.utcnow(), user_id=actor_id, action=action, object_type=object_type,
                           object_id=object_id, details=details))


class LockedError(UserValueError):
    """Too many failed sign-ins: the account is locked until ``until``."""

    status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__(_("Too many failed sign-in attempts. The account is locked until %(time)s UTC.",
                           time=until.strftime("%Y-%m-%d %H:%M")))
        self.until = until


def authenticate(session: Session, email: str, password: str) -> User:
    """The account for these credentials; counts failures and locks after five (caller commits)."""
    email = (email or "").strip().lower()
    user = session.scalars(select(User).where(User.email == email)).first() if email else None
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
            audit(session, user.id, "account.locked", "user", user.id)
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
    audit(session, actor_id, "user.password_set", "user", user.id, email=user.email)


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
    audit(session, actor.id, "user.role", "user", user.id, email=user.email, old=old, new=role)


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    if user.id == actor.id and not active:
        raise PermissionDeniedError(_("You cannot deactivate your own account."))
    user.active = active
    if not active:
        rotate_session_token(user)
    audit(session, actor.id, "user.activate" if active else "user.deactivate", "user", user.id, email=user.email)
