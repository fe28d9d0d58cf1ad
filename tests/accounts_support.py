"""Fixtures shared by the account, members and security tests: people of every role, signed-in clients.

Import the fixtures into a test module (``from accounts_support import app, users, signed_in``).
"""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from archive.services.accounts import create_user
from support import csrf

PASSWORD = "correct horse battery"


class EnglishClient(FlaskClient):
    """A test client whose browser asks for English (the assertions read English messages)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def wire(app):
    """CSRF checks on and background jobs run at once, as the tests of forms need."""
    from archive import jobs

    app.config.update(WTF_CSRF_ENABLED=True, JOBS_IMMEDIATE=True)
    jobs.get_jobs(app).huey.immediate = True
    app.test_client_class = EnglishClient
    return app


def token(client, url: str = "/login") -> str:
    """The CSRF token of the form at ``url``."""
    return csrf(client.get(url).get_data(as_text=True))


@pytest.fixture
def app(app):  # noqa: F811 - wraps conftest's app
    return wire(app)


@pytest.fixture
def users(archive):
    ids = {}
    with archive.db.session() as s:
        for who in ("member", "other", "editor", "admin"):
            ids[who] = create_user(s, f"{who}@example.kz", PASSWORD, role="member" if who == "other" else who).id
        s.commit()
    return ids


@pytest.fixture
def signed_in(app, users):
    """A signed-in test client per person (member, other, editor, admin; "anonymous" is not signed in)."""
    def make(who: str):
        c = app.test_client()
        if who == "anonymous":
            c.csrf = token(c)
            return c
        r = c.post("/login", data={"csrf_token": token(c), "email": f"{who}@example.kz", "password": PASSWORD})
        assert r.status_code == 302
        c.csrf = token(c, "/upload")
        return c
    return make
