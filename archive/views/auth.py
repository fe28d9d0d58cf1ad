"""Sign in and out, one's own password, and the admin's list of people (invitation-only accounts)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import auth, security
from ..core import db_session
from ..errors import UserValueError
from ..models import ROLES, User
from ..services import accounts, audit

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never another host) is followed after signing in."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("main.home")
    return target


def _me() -> User:
    user = accounts.get_user(db_session(), current_user.id)
    if user is None:
        abort(401)
    return user


def _sign_in(s, user) -> None:
    """A new server-side session for ``user`` in a fresh cookie: whatever the browser carried before (a
    planted cookie, its CSRF token) is dropped, so nothing known before sign-in is valid after it."""
    token = accounts.start_session(s, user)
    s.commit()
    session.clear()
    login_user(auth.SignedInUser.of(user, token))


def _sign_out() -> None:
    """Revoke this browser's session row and empty its cookie (a new CSRF token comes with the next form)."""
    if current_user.is_authenticated:
        s = db_session()
        accounts.end_session(s, current_user.token)
        s.commit()
    logout_user()
    session.clear()


def _wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return _("Too many failed sign-in attempts from your address. Try again in %(n)d minute(s).", n=minutes)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form. Every failure answers alike (status, text, work done), known e-mail or not; wrong
    passwords are counted per (e-mail, address) and, with the rate limit, per address."""
    next_url = request.values.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(next_url))
    error, status, email, headers = None, 200, "", {}
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        key = security.Guesses.login_key(email, security.client_address())
        wait = security.guesses().wait(*key)
        s = db_session()
        if wait:
            error, status, headers = _wait_message(wait), 429, {"Retry-After": str(wait)}
        else:
            try:
                user = accounts.authenticate(s, email, request.form.get("password", ""))
            except UserValueError as exc:
                security.guesses().failed(*key)
                error, status = exc.message, 401
            else:
                security.guesses().forget(*key)
                audit.record(s, user.id, "login", "user", user.id)
                _sign_in(s, user)
                return redirect(_safe_next(next_url))
    return render_template("auth/login.html", error=error, email=email, next=next_url), status, headers


@bp.post("/logout")
def logout():
    """End this session (this browser only; a copy of its cookie opens nothing after this)."""
    _sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@auth.login_required
def logout_everywhere():
    """End every session of this person, on every device."""
    s = db_session()
    user = _me()
    accounts.end_all_sessions(s, user.id)
    audit.record(s, user.id, "logout.everywhere", "user", user.id)
    s.commit()
    _sign_out()
    flash(_("You have been signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@auth.login_required
def password():
    """Change one's own password (other sessions end; this one stays signed in). Wrong current passwords
    are counted: after a few, the form waits, so a borrowed session cannot guess the password."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        s = db_session()
        user = _me()
        key = ("password", str(user.id))
        wait = security.guesses().wait(*key)
        if wait:
            error, status, headers = _("Too many wrong current passwords. Try again in %(n)d minute(s).",
                                       n=max(1, -(-wait // 60))), 429, {"Retry-After": str(wait)}
        else:
            try:
                accounts.change_password(s, user, request.form.get("current", ""), request.form.get("new", ""),
                                         request.form.get("confirm", ""), keep_token=current_user.token)
            except accounts.WrongPasswordError as exc:
                s.rollback()
                security.guesses().failed(*key)
                error, status = exc.message, 400
            except UserValueError as exc:
                s.rollback()
                error, status = exc.message, 400
            else:
                s.commit()
                security.guesses().forget(*key)
                flash(_("Your password has been changed. Other sessions have been signed out."), "info")
                return redirect(url_for("auth.password"))
    return render_template("auth/password.html", error=error), status, headers


@bp.get("/admin/users")
@auth.role_required("admin")
def users():
    """Everyone with an account."""
    return _users_page()


def _user_or_404(user_id: int) -> User:
    user = accounts.get_user(db_session(), user_id)
    if user is None:
        abort(404)
    return user


def _password_or_generated() -> tuple[str, bool]:
    given = request.form.get("password", "")
    if given:
        return given, False
    return secrets.token_urlsafe(12), True


def _users_page(shown: dict | None = None):
    """The list of people; ``shown`` is a generated password to show in this answer only (never stored in
    the cookie, never cached)."""
    people = accounts.all_users(db_session())
    resp = make_response(render_template("auth/users.html", users=people, roles=ROLES, shown=shown))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/admin/users")
@auth.role_required("admin")
def create():
    """Invite a person: an account with a password the admin passes on."""
    s = db_session()
    password, generated = _password_or_generated()
    role = request.form.get("role", "member")
    try:
        user = accounts.create_user(s, request.form.get("email", ""), password, role=role, name=request.form.get("name", ""))
        audit.record(s, current_user.id, "user.create", "user", user.id, email=user.email, role=user.role)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("auth.users"))
    if generated:
        return _users_page({"email": user.email, "password": password, "created": True})
    flash(_("Account %(email)s created.", email=user.email), "info")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/password")
@auth.role_required("admin")
def reset(user_id: int):
    """Set a new password for someone (their sessions end; an admin resetting their own keeps this one)."""
    s = db_session()
    user = _user_or_404(user_id)
    password, generated = _password_or_generated()
    try:
        accounts.set_password(s, current_user.id, user, password,
                              keep_token=current_user.token if user.id == current_user.id else None)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("auth.users"))
    if generated:
        return _users_page({"email": user.email, "password": password, "created": False})
    flash(_("The password of %(email)s has been changed.", email=user.email), "info")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/role")
@auth.role_required("admin")
def role(user_id: int):
    """Give someone another role."""
    s = db_session()
    user = _user_or_404(user_id)
    accounts.set_role(s, _me(), user, request.form.get("role", ""))
    s.commit()
    flash(_("%(email)s is now %(role)s.", email=user.email, role=user.role), "info")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/active")
@auth.role_required("admin")
def active(user_id: int):
    """Deactivate or reactivate an account."""
    s = db_session()
    user = _user_or_404(user_id)
    accounts.set_active(s, _me(), user, request.form.get("active") == "1")
    s.commit()
    flash(_("%(email)s has been reactivated.", email=user.email) if user.active
          else _("%(email)s has been deactivated and signed out.", email=user.email), "info")
    return redirect(url_for("auth.users"))
