"""Sign-in glue: Flask-Login setup, the signed-in user's snapshot and role checks on views.

The account operations (sign-in checks, lock-out, passwords) are in ``services.accounts``.

The session stores ``"<user id>:<session token>"``; rotating ``User.session_token`` therefore ends every
session of that person at once ("log out everywhere", password reset, deactivation).
"""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, Optional

from flask import abort, jsonify, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_login import login_required as _flask_login_required

from .core import db_session
from .models import User

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


def _load_user(user_id: str) -> Optional[SignedInUser]:
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
