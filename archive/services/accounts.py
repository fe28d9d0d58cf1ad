"""Accounts: creation with a modern password hash (scrypt via Werkzeug)."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ..errors import UserValueError
from ..models import ROLES, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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
