"""Accounts: creation, sign-in checks, passwords, server-side sessions, roles and deactivation.

Every operation takes a session and plain values and leaves the commit to the caller. The web glue
(Flask-Login, role checks on views) lives in ``archive.auth``; throttling of wrong guesses (by address and
account) lives at the web edge in ``archive.security``, so a stranger's failures never lock a person out.

A signed-in browser is a ``UserSession`` row: its random token travels in the session cookie, only its
hash is stored. Signing out revokes that row; "log out everywhere", a password change (except the session
that made it) and deactivation revoke every row of the person.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Iterable, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import PermissionDeniedError, UserValueError
from ..i18n import _
from .. import models
from ..models import ROLES, User, UserSession
from . import audit

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_LENGTH = 254             # what an address may have (RFC 5321), and the column
MIN_PASSWORD = 10
MIN_STRENGTH = 3           # zxcvbn score 0-4: 3 is "safely unguessable" at 10^8 guesses and more
MAX_PASSWORD = 1000        # scrypt hashes anything; a megabyte of password only costs time
# Checked against when the e-mail is unknown, so both answers take as long (one scrypt each). Written out, not
# made at import: one scrypt took ~0.1 s of every process's start (each command, worker and child).
# tests/archive/test_auth.py checks that it has the parameters werkzeug gives a new password's hash.
_DUMMY_HASH = ("scrypt:32768:8:1$ylRo6kBb2jQ4CDA4$2316b1879b49ffcf4a7647eea14399cb8b529901856753f0171b8d9886be8acdbbc2c"
               "29501777f9f0a0f0bcdaabf1b0f261dfc4129f4570da65882ef0f66cf2f")
# Russian (ЙЦУКЕН) and Kazakh letters typed on the Latin keys they share: "йцукен" is "qwerty" and
# "пароль" is "gfhjkm", both in zxcvbn's lists, which know no Cyrillic.
_CYRILLIC_KEYS = str.maketrans("йцукенгшщзхъфывапролджэячсмитьбюё"
                               "ЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮЁ",
                               "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
                               "QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~")


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
    if len(email) > EMAIL_LENGTH or not _EMAIL.match(email):     # (a longer one would be cut by its column)
        raise UserValueError(_("That does not look like an e-mail address."))
    if role not in ROLES:
        raise UserValueError(_("Unknown role %(role)s; use member, editor or admin.", role=repr(role)))
    check_new_password(password, about=(email, name))
    if session.scalars(select(User).where(User.email == email)).first():
        raise UserValueError(_("An account with this e-mail already exists."))
    user = User(email=email, name=name.strip(), role=role, password_hash=generate_password_hash(password, "scrypt"))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The account for these credentials, else ``UserValueError``.

    Every failure (unknown e-mail, wrong password, account without a password) gets the same message after
    the same work, one scrypt check, so the answer tells nothing about which e-mails have accounts. Only the
    right password of a deactivated account hears that it is deactivated.
    """
    user = user_by_email(session, email)
    password = (password or "")[:MAX_PASSWORD]
    ok = check_password_hash(user.password_hash if user is not None and user.password_hash else _DUMMY_HASH,
                             password)
    if user is None or not user.password_hash or not ok:
        raise UserValueError(_("Wrong e-mail or password."))
    if not user.active:
        raise UserValueError(_("This account has been deactivated. Ask an administrator."))
    return user


def password_strength(password: str, about: Iterable[str] = ()) -> int:
    """zxcvbn's score 0-4 of ``password``, the lower of it as typed and of its Cyrillic letters read as the
    Latin keys they share; ``about`` (e-mail, name) counts as known to an attacker."""
    about = [item.strip().lower() for item in about if item and item.strip()]
    hints = about + [w for item in about for w in re.split(r"[^\w]+", item) if len(w) >= 3]
    hints += ["kelisim", "archive", "архив"]
    # zxcvbn's word lists are ~11 MB: loaded by the first password set in a process, not by every web worker.
    from zxcvbn import zxcvbn

    password = password[:100]          # zxcvbn's time grows with length; 100 characters judge any password
    scores = [zxcvbn(password, user_inputs=hints)["score"]]
    latin = password.translate(_CYRILLIC_KEYS)
    if latin != password:
        scores.append(zxcvbn(latin, user_inputs=hints)["score"])
    return min(scores)


def check_new_password(password: str, confirm: Optional[str] = None, about: Iterable[str] = ()) -> None:
    """``UserValueError`` unless the new password is long enough, hard to guess (not common, repetitive,
    a keyboard row or made of the person's e-mail or name) and matches its confirmation."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise UserValueError(_("The password must be at least %(n)d characters long.", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise UserValueError(_("The password must be at most %(n)d characters long.", n=MAX_PASSWORD))
    if password_strength(password, about) < MIN_STRENGTH:
        raise UserValueError(_("This password is too easy to guess: it is common, repetitive, a row of keys or "
                               "made of your name or e-mail. Use a phrase of three or four unusual words."))
    if confirm is not None and password != confirm:
        raise UserValueError(_("The two passwords do not match."))


# --- server-side sessions ---------------------------------------------------------------------------

def start_session(session: Session, user: User) -> str:
    """A new session of ``user``; returns the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_hash=UserSession.hash_token(token), user_id=user.id))
    session.flush()
    return token


def end_session(session: Session, token: str) -> None:
    """Revoke this one session (signing out): a copy of its cookie opens nothing any more."""
    if token:
        session.execute(update(UserSession).where(UserSession.token_hash == UserSession.hash_token(token))
                        .where(UserSession.revoked_at.is_(None)).values(revoked_at=models.utcnow()))


def end_all_sessions(session: Session, user_id: int, keep_token: Optional[str] = None) -> None:
    """Revoke every session of the person, except the one of ``keep_token`` when given."""
    stmt = (update(UserSession).where(UserSession.user_id == user_id).where(UserSession.revoked_at.is_(None))
            .values(revoked_at=models.utcnow()))
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != UserSession.hash_token(keep_token))
    session.execute(stmt)


def set_password(session: Session, actor_id: Optional[int], user: User, password: str,
                 confirm: Optional[str] = None, keep_token: Optional[str] = None) -> None:
    """Set a new password (admin reset, CLI, or the person), and end the person's sessions (but
    ``keep_token``'s, the session that changed it)."""
    check_new_password(password, confirm, about=(user.email, user.name))
    user.password_hash = generate_password_hash(password, "scrypt")
    end_all_sessions(session, user.id, keep_token)
    audit.record(session, actor_id, "user.password_set", "user", user.id, email=user.email)


class WrongPasswordError(UserValueError):
    """The current password given to change it was wrong (a guess the caller counts)."""


def change_password(session: Session, user: User, current: str, new: str, confirm: str,
                    keep_token: Optional[str] = None) -> None:
    """A person changes their own password; the current one is required (the caller throttles guesses)."""
    if not check_password_hash(user.password_hash or _DUMMY_HASH, (current or "")[:MAX_PASSWORD]):
        raise WrongPasswordError(_("The current password is wrong."))
    set_password(session, user.id, user, new, confirm, keep_token=keep_token)


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
        end_all_sessions(session, user.id)
    audit.record(session, actor.id, "user.activate" if active else "user.deactivate", "user", user.id, email=user.email)
