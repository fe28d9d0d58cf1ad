"""Sign-in glue: Flask-Login setup, the signed-in user's snapshot and role checks on views.

The account operations (sign-in checks, passwords, starting and revoking sessions) are in
``services.accounts``.

The signed cookie carries only the random token of a ``UserSession`` row; each request looks the row up,
so a revoked, expired or idle session (or a deactivated account) is anonymous at once, whatever copy of
the cookie is replayed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import wraps
from typing import Any, Callable, Optional

from flask import abort, current_app, jsonify, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_login import login_required as _flask_login_required
from sqlalchemy import select, update

from . import models
from .config import setting
from .core import db_session, get_archive
from .models import User, UserSession

logger = logging.getLogger(__name__)

login_manager = LoginManager()


@dataclass
class SignedInUser(UserMixin):
    """A detached snapshot of the signed-in account (no ORM object outlives its request session)."""

    id: int
    email: str
    name: str
    role: str
    active: bool
    token: str                     # this browser's session token (its ``UserSession`` row)

    def get_id(self) -> str:
        """What the cookie carries: the session's token."""
        return self.token

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
    def of(cls, user: User, token: str) -> "SignedInUser":
        """Snapshot of an ORM user signed in with the session ``token``."""
        return cls(id=user.id, email=user.email, name=user.name, role=user.role, active=user.active,
                   token=token)


# last_seen is written at most this often per session: a write on every request would queue readers
# behind SQLite's single writer for a number nobody needs to the second.
TOUCH_EVERY = timedelta(minutes=5)


def _aware(dt):
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def _load_user(token: str) -> Optional[SignedInUser]:
    """The person of a live session: not revoked, younger than its lifetime, used recently, account active."""
    if not token or len(token) > 100:
        return None
    s = db_session()
    row = s.scalars(select(UserSession).where(UserSession.token_hash == UserSession.hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = models.utcnow()
    config = current_app.config
    if _aware(row.created_at) + timedelta(days=setting(config, "SESSION_LIFETIME_DAYS")) < now or \
            _aware(row.last_seen_at) + timedelta(days=setting(config, "SESSION_IDLE_DAYS")) < now:
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - _aware(row.last_seen_at) > TOUCH_EVERY:
        _touch(row.id, now)
    return SignedInUser.of(user, token)


def _touch(session_id: int, now) -> None:
    """Note the session's use in a transaction of its own (never the view's half-done work)."""
    def work(s):
        s.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
    try:
        get_archive().db.write(work, attempts=1)
    except Exception:  # noqa: BLE001 - a busy database must not sign anyone out
        logger.warning("could not note the use of session %s", session_id, exc_info=True)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith("/status") \
        or request.accept_mimetypes.best == "application/json"


def _unauthorized():
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
