"""Accounts: sign in and out, lock-out, passwords, "log out everywhere", the admin's list of people."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from archive import models
from archive.models import AuditEvent, User
from archive.services.accounts import create_user

from accounts_support import PASSWORD, app, token, wire  # noqa: F401 - fixtures


def add_user(archive, email, role="member", password=PASSWORD) -> int:
    with archive.db.session() as s:
        uid = create_user(s, email, password, role=role).id
        s.commit()
    return uid


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"csrf_token": token(client), "email": email, "password": password})


@pytest.fixture
def member(archive):
    return add_user(archive, "member@example.kz")


@pytest.fixture
def admin(archive):
    return add_user(archive, "admin@example.kz", "admin")


def test_login_right_password_signs_in_and_logout_signs_out(client, member):
    assert client.get("/upload").status_code == 302
    r = login(client, "Member@Example.kz ", PASSWORD)
    assert r.status_code == 302
    assert client.get("/upload").status_code == 200
    r = client.post("/logout", data={"csrf_token": token(client, "/upload")})
    assert r.status_code == 302
    r = client.get("/upload")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


@pytest.mark.parametrize("email,password", [("member@example.kz", "wrong password!"), ("nobody@example.kz", PASSWORD),
                                            ("", "")])
def test_login_wrong_credentials_same_message(client, member, email, password):
    r = login(client, email, password)
    assert r.status_code == 401
    assert "Wrong e-mail or password." in r.get_data(as_text=True)


def test_lockout_after_five_failures_says_until_when_and_lifts_after_15_minutes(client, archive, member, monkeypatch):
    now = models.utcnow().replace(microsecond=0)
    monkeypatch.setattr(models, "utcnow", lambda: now)
    for _ in range(4):
        assert login(client, "member@example.kz", "wrong password!").status_code == 401
    r = login(client, "member@example.kz", "wrong password!")
    until = (now + timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert r.status_code == 429
    assert f"locked until {until} UTC" in r.get_data(as_text=True)
    r = login(client, "member@example.kz", PASSWORD)            # even the right password waits
    assert r.status_code == 429 and until in r.get_data(as_text=True)
    with archive.db.session() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "account.locked")).first() is not None
    monkeypatch.setattr(models, "utcnow", lambda: now + timedelta(minutes=15, seconds=1))
    assert login(client, "member@example.kz", PASSWORD).status_code == 302
    with archive.db.session() as s:
        u = s.get(User, member)
        assert u.failed_logins == 0 and u.locked_until is None


def test_next_parameter_only_follows_local_paths(client, member):
    r = client.post("/login?next=https://evil.example/x", data={"csrf_token": token(client), "email": "member@example.kz",
                                                               "password": PASSWORD, "next": "//evil.example/x"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"]
    client.post("/logout", data={"csrf_token": token(client, "/upload")})
    r = client.post("/login", data={"csrf_token": token(client), "email": "member@example.kz", "password": PASSWORD,
                                    "next": "/review"})
    assert r.headers["Location"].endswith("/review")


def test_logout_everywhere_ends_every_session(app, member):
    a, b = app.test_client(), app.test_client()
    login(a, "member@example.kz")
    login(b, "member@example.kz")
    assert b.get("/upload").status_code == 200
    r = a.post("/logout-everywhere", data={"csrf_token": token(a, "/account/password")})
    assert r.status_code == 302
    assert a.get("/upload").status_code == 302
    assert b.get("/upload").status_code == 302


def test_password_change_needs_current_password_and_ends_other_sessions(app, archive, member):
    a, b = app.test_client(), app.test_client()
    login(a, "member@example.kz")
    login(b, "member@example.kz")
    tok = token(a, "/account/password")
    r = a.post("/account/password", data={"csrf_token": tok, "current": "not it at all", "new": "a new password 1",
                                          "confirm": "a new password 1"})
    assert r.status_code == 400 and "The current password is wrong." in r.get_data(as_text=True)
    r = a.post("/account/password", data={"csrf_token": tok, "current": PASSWORD, "new": "short", "confirm": "short"})
    assert r.status_code == 400 and "at least 10 characters" in r.get_data(as_text=True)
    r = a.post("/account/password", data={"csrf_token": tok, "current": PASSWORD, "new": "a new password 1",
                                          "confirm": "a new password 1"})
    assert r.status_code == 302
    assert a.get("/upload").status_code == 200                  # this session stays
    assert b.get("/upload").status_code == 302                  # the other one ends
    c = app.test_client()
    assert login(c, "member@example.kz", PASSWORD).status_code == 401
    assert login(c, "member@example.kz", "a new password 1").status_code == 302


def test_admin_creates_resets_and_deactivates_accounts(app, archive, admin, member):
    a = app.test_client()
    login(a, "admin@example.kz")
    tok = token(a, "/admin/users")
    r = a.post("/admin/users", data={"csrf_token": tok, "email": "new@example.kz", "name": "Жаңа Адам",
                                     "role": "editor", "password": ""}, follow_redirects=True)
    html = r.get_data(as_text=True)
    generated = re.search(r"shown only once\): (\S+)</p>", html).group(1)
    assert "new@example.kz" in html and "Жаңа Адам" in html
    n = app.test_client()
    assert login(n, "new@example.kz", generated).status_code == 302
    with archive.db.session() as s:
        assert s.scalars(select(User).where(User.email == "new@example.kz")).one().role == "editor"
    r = a.post("/admin/users", data={"csrf_token": tok, "email": "new@example.kz", "role": "member",
                                     "password": "long enough pw"}, follow_redirects=True)
    assert "An account with this e-mail already exists." in r.get_data(as_text=True)
    # Reset by the admin: the person's sessions end, the new password works.
    m = app.test_client()
    login(m, "member@example.kz")
    r = a.post(f"/admin/users/{member}/password", data={"csrf_token": tok, "password": "set by the admin"})
    assert r.status_code == 302
    assert m.get("/upload").status_code == 302
    assert login(m, "member@example.kz", "set by the admin").status_code == 302
    # Deactivation signs the person out and keeps them out.
    a.post(f"/admin/users/{member}/active", data={"csrf_token": tok, "active": "0"})
    assert m.get("/upload").status_code == 302
    r = login(m, "member@example.kz", "set by the admin")
    assert r.status_code == 401 and "deactivated" in r.get_data(as_text=True)
    # An admin cannot lock themselves out.
    r = a.post(f"/admin/users/{admin}/active", data={"csrf_token": tok, "active": "0"})
    assert r.status_code == 403 and "You cannot deactivate your own account." in r.get_data(as_text=True)
    with archive.db.session() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert {"user.create", "user.password_set", "user.deactivate"} <= actions


def test_members_and_editors_cannot_manage_people(app, archive, member):
    add_user(archive, "editor@example.kz", "editor")
    for email in ("member@example.kz", "editor@example.kz"):
        c = app.test_client()
        login(c, email)
        assert c.get("/admin/users").status_code == 403
        r = c.post("/admin/users", data={"csrf_token": token(c, "/upload"), "email": "x@example.kz",
                                         "password": "long enough pw", "role": "admin"})
        assert r.status_code == 403
    with archive.db.session() as s:
        assert s.scalars(select(User).where(User.email == "x@example.kz")).first() is None


def test_set_password_command(app, runner, archive, member):
    r = runner.invoke(args=["set-password", "member@example.kz", "--password", "from the shell 1"])
    if r.exit_code == 2 and "No such command" in r.output:
        from archive.cli_members import register

        register(app)
        r = runner.invoke(args=["set-password", "member@example.kz", "--password", "from the shell 1"])
    assert r.exit_code == 0, r.output
    assert "Password set for member@example.kz" in r.output
    c = app.test_client()
    assert login(c, "member@example.kz", "from the shell 1").status_code == 302
    r = runner.invoke(args=["set-password", "nobody@example.kz", "--password", "from the shell 1"])
    assert r.exit_code == 1 and "No account with the e-mail nobody@example.kz" in r.output
    r = runner.invoke(args=["set-password", "member@example.kz", "--password", "short"])
    assert r.exit_code == 1 and "at least 10 characters" in r.output


def test_session_cookie_is_secure_and_httponly_behind_https(data_dir, monkeypatch):
    from archive import create_app
    from archive.migrate import upgrade

    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "s",
                      "PUBLIC_BASE_URL": "https://archive.example.kz"})
    upgrade(app.extensions["archive"].db.url)
    wire(app)
    add_user(app.extensions["archive"], "member@example.kz")
    c = app.test_client()
    r = login(c, "member@example.kz")
    cookie = r.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    app.extensions["archive"].close()
