"""Sign in and out, one's own password, and the admin's list of people (invitation-only accounts)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError

from .. import auth
from ..core import db_session
from ..errors import UserValueError
from ..models import ROLES, User
from ..services import accounts, audit

bp = Blueprint("auth", __name__)


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return render_template("errors/error.html", status=400,
                           message=_("The form has expired or was sent from elsewhere. "
                                     "Go back, reload the page and try again.")), 400


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; failures are counted and lock the account for a while."""
    next_url = request.values.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(next_url))
    error, status, email = None, 200, ""
    if request.method == "POST":
        email = request.form.get("email", "")
        s = db_session()
        try:
            user = accounts.authenticate(s, email, request.form.get("password", ""))
        except accounts.LockedError as exc:
            s.commit()
            error, status = exc.message, 429
        except UserValueError as exc:
            s.commit()                      # the failure count must stick
            error, status = exc.message, 401
        else:
            audit.record(s, user.id, "login", "user", user.id)
            s.commit()
            login_user(auth.SignedInUser.of(user))
            return redirect(_safe_next(next_url))
    return render_template("auth/login.html", error=error, email=email, next=next_url), status


@bp.post("/logout")
def logout():
    """End this session."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@auth.login_required
def logout_everywhere():
    """End every session of this person, on every device."""
    s = db_session()
    user = _me()
    accounts.rotate_session_token(user)
    audit.record(s, user.id, "logout.everywhere", "user", user.id)
    s.commit()
    logout_user()
    flash(_("You have been signed out on every device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@auth.login_required
def password():
    """Change one's own password (other sessions end; this one stays signed in)."""
    error = None
    if request.method == "POST":
        s = db_session()
        user = _me()
        try:
            accounts.change_password(s, user, request.form.get("current", ""), request.form.get("new", ""),
                                 request.form.get("confirm", ""))
        except UserValueError as exc:
            s.rollback()
            error = exc.message
        else:
            s.commit()
            login_user(auth.SignedInUser.of(user))
            flash(_("Your password has been changed. Other sessions have been signed out."), "info")
            return redirect(url_for("auth.password"))
    return render_template("auth/password.html", error=error), 400 if error else 200


@bp.get("/admin/users")
@auth.role_required("admin")
def users():
    """Everyone with an account."""
    people = accounts.all_users(db_session())
    return render_template("auth/users.html", users=people, roles=ROLES)


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
        flash(_("Account %(email)s created. Its password (shown only once): %(password)s",
                email=user.email, password=password), "info")
    else:
        flash(_("Account %(email)s created.", email=user.email), "info")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<int:user_id>/password")
@auth.role_required("admin")
def reset(user_id: int):
    """Set a new password for someone (their sessions end, the lock is lifted)."""
    s = db_session()
    user = _user_or_404(user_id)
    password, generated = _password_or_generated()
    try:
        accounts.set_password(s, current_user.id, user, password)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        flash(exc.message, "error")
        return redirect(url_for("auth.users"))
    if user.id == current_user.id:
        login_user(auth.SignedInUser.of(user))
    if generated:
        flash(_("New password for %(email)s (shown only once): %(password)s", email=user.email, password=password),
              "info")
    else:
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
