"""Accounts: sign in and out, server-side sessions, counted guesses, passwords, the admin's list of people."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from archive import models
from archive.models import AuditEvent, User, UserSession
from archive.services.accounts import create_user

from accounts_support import PASSWORD, app, token, wire  # noqa: F401 - fixtures


def add_user(archive, email, role="member", password=PASSWORD) -> int:
    with archive.db.session() as s:
        uid = create_user(s, email, password, role=role).id
        s.commit()
    return uid


def login(client, email, password=PASSWORD):
    return client.post("/login", data={"csrf_token": token(client), "email": email, "password": password})


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def from_address(app, address):
    """A test client whose requests come from ``address`` (the WSGI environ's REMOTE_ADDR)."""
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def own_app(data_dir, monkeypatch, **config):
    """An app of this test's own, with ``config`` on top of the test settings."""
    from archive import create_app
    from archive.migrate import upgrade

    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "s", "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": "memory://", **config})
    upgrade(app.extensions["archive"].db.url)
    return wire(app)


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


def test_failures_look_alike_for_known_and_unknown_emails(app, member, monkeypatch):
    """Same status, same text, same work (one scrypt check) whether the e-mail has an account or not."""
    from archive.services import accounts

    checks: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checks.append(h) or real(h, p))
    answers = {}
    for email in ("member@example.kz", "stranger@example.kz"):
        checks.clear()
        r = login(app.test_client(), email, "wrong password!")
        page = re.sub(r'name="csrf_token" value="[^"]+"|value="[^"]*@example.kz"', "", r.get_data(as_text=True))
        answers[email] = (r.status_code, page, len(checks), checks[0].split("$")[0])
    assert answers["member@example.kz"] == answers["stranger@example.kz"]
    assert answers["member@example.kz"][2] == 1


def test_guesses_wait_per_account_and_address_and_never_lock_the_person_out(app, member):
    person = from_address(app, "198.51.100.20")
    answers = []
    for n, (email, password) in enumerate((("member@example.kz", PASSWORD), ("stranger@example.kz", "whatever"))):
        attacker = from_address(app, f"203.0.113.{n + 1}")      # one address each: under the per-address limit
        for _ in range(5):
            assert login(attacker, email, "wrong password!").status_code == 401
        r = login(attacker, email, password)           # even the right password waits, at that address
        text = re.sub(r'name="csrf_token" value="[^"]+"|value="[^"]*@example.kz"', "", r.get_data(as_text=True))
        answers.append((r.status_code, text))
        assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert answers[0] == answers[1] and answers[0][0] == 429
    assert "Too many failed sign-in attempts from your address" in answers[0][1]
    assert login(person, "member@example.kz", PASSWORD).status_code == 302   # the person, elsewhere, signs in


def test_guess_count_clears_on_success_and_lifts_after_its_window(data_dir, monkeypatch):
    app = own_app(data_dir, monkeypatch, RATELIMIT_GUESSES="3 per 2 seconds")
    add_user(app.extensions["archive"], "member@example.kz")
    c = app.test_client()
    for _ in range(2):
        assert login(c, "member@example.kz", "wrong password!").status_code == 401
    assert login(c, "member@example.kz", PASSWORD).status_code == 302          # success forgets the count
    c.post("/logout", data={"csrf_token": token(c, "/upload")})
    for _ in range(3):
        assert login(c, "member@example.kz", "wrong password!").status_code == 401
    assert login(c, "member@example.kz", PASSWORD).status_code == 429
    time.sleep(2.2)
    assert login(c, "member@example.kz", PASSWORD).status_code == 302
    app.extensions["archive"].close()


def test_sign_in_attempts_are_limited_per_address(data_dir, monkeypatch):
    app = own_app(data_dir, monkeypatch, RATELIMIT_LOGIN="3 per minute")
    add_user(app.extensions["archive"], "member@example.kz")
    a, b = from_address(app, "203.0.113.7"), from_address(app, "198.51.100.20")
    for n in range(3):
        assert login(a, f"user{n}@example.kz", "wrong password!").status_code == 401
    r = login(a, "member@example.kz", PASSWORD)
    assert r.status_code == 429 and 0 < int(r.headers["Retry-After"]) <= 60
    assert "Too many requests from your address" in r.get_data(as_text=True) and "Traceback" not in r.text
    assert a.get("/login").status_code == 200                  # reading the form is not an attempt
    assert login(b, "member@example.kz", PASSWORD).status_code == 302
    app.extensions["archive"].close()


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


def test_a_copied_session_cookie_opens_nothing_after_logout(app, archive, member):
    a, b = app.test_client(), app.test_client()
    login(a, "member@example.kz")
    login(b, "member@example.kz")                               # the same person in another browser
    stolen = session_cookie(a)
    assert a.post("/logout", data={"csrf_token": token(a, "/upload")}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    for url in ("/dashboard", "/upload"):
        r = replay.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    assert b.get("/upload").status_code == 200                  # only that session ended
    with archive.db.session() as s:
        rows = list(s.scalars(select(UserSession).order_by(UserSession.id)))
    assert [r.revoked_at is not None for r in rows] == [True, False]
    token_in_cookie = app.session_interface.get_signing_serializer(app).loads(stolen)["_user_id"]
    assert all(r.token_hash != token_in_cookie and len(r.token_hash) == 64 for r in rows)   # only hashes kept


def test_sessions_end_after_their_lifetime_or_when_idle(app, member, monkeypatch):
    now = models.utcnow()
    c = app.test_client()
    login(c, "member@example.kz")
    monkeypatch.setattr(models, "utcnow", lambda: now + timedelta(days=13))
    assert c.get("/upload").status_code == 200                 # used within 14 days: still signed in
    monkeypatch.setattr(models, "utcnow", lambda: now + timedelta(days=13 + 15))
    assert c.get("/upload").status_code == 302                 # then unused for 15 days
    monkeypatch.setattr(models, "utcnow", lambda: now)
    d = app.test_client()
    login(d, "member@example.kz")
    for day in range(7, 36, 7):                                 # used every week, but 31 days is the most
        monkeypatch.setattr(models, "utcnow", lambda day=day: now + timedelta(days=day))
        assert d.get("/upload").status_code == (200 if day <= 31 else 302), day


def test_csrf_token_and_session_are_new_after_sign_in_and_sign_out(app, member):
    c = app.test_client()
    planted = token(c)                                          # known before sign-in (e.g. a planted cookie)
    before = session_cookie(c)
    login(c, "member@example.kz")
    assert session_cookie(c) != before
    r = c.post("/logout-everywhere", data={"csrf_token": planted})
    assert r.status_code == 400 and c.get("/upload").status_code == 200
    signed_in_token = token(c, "/upload")
    assert signed_in_token != planted
    c.post("/logout", data={"csrf_token": signed_in_token})
    login(c, "member@example.kz")
    assert c.post("/logout", data={"csrf_token": signed_in_token}).status_code == 400


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


def test_wrong_current_passwords_are_counted(app, member):
    a = app.test_client()
    login(a, "member@example.kz")
    tok = token(a, "/account/password")
    form = {"csrf_token": tok, "new": "a new password 1", "confirm": "a new password 1"}
    for n in range(5):
        assert a.post("/account/password", data={**form, "current": f"guess number {n}"}).status_code == 400
    r = a.post("/account/password", data={**form, "current": PASSWORD})
    assert r.status_code == 429 and "Too many wrong current passwords" in r.get_data(as_text=True)
    assert int(r.headers["Retry-After"]) > 0
    assert login(app.test_client(), "member@example.kz", PASSWORD).status_code == 302   # unchanged


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "password123", "qwertyuiop12", "1234567890", "йцукенгшщз",
                                  "парольпароль", "member@example.kz", "passwordpassword", "abcabcabcabc"])
def test_common_and_repetitive_passwords_are_refused(app, member, weak):
    a = app.test_client()
    login(a, "member@example.kz")
    r = a.post("/account/password", data={"csrf_token": token(a, "/account/password"), "current": PASSWORD,
                                          "new": weak, "confirm": weak})
    assert r.status_code == 400 and "too easy to guess" in r.get_data(as_text=True), weak


@pytest.mark.parametrize("good", ["correct horse battery", "Жасыл алма, көк теңіз", "тихий кот ест лимон"])
def test_phrases_are_accepted_as_passwords(good):
    from archive.services.accounts import check_new_password

    check_new_password(good, good)


def test_admin_creates_resets_and_deactivates_accounts(app, archive, admin, member):
    a = app.test_client()
    login(a, "admin@example.kz")
    tok = token(a, "/admin/users")
    r = a.post("/admin/users", data={"csrf_token": tok, "email": "new@example.kz", "name": "Жаңа Адам",
                                     "role": "editor", "password": ""})
    html = r.get_data(as_text=True)
    generated = re.search(r"shown only once\): (\S+)</p>", html).group(1)
    assert r.status_code == 200 and "new@example.kz" in html and "Жаңа Адам" in html
    # In this answer's body only: not in the (signed, readable) cookie, not cached, not shown again.
    assert r.headers["Cache-Control"] == "no-store"
    assert generated not in str(app.session_interface.get_signing_serializer(app).loads(session_cookie(a)))
    assert generated not in a.get("/admin/users").get_data(as_text=True)
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
    r = a.post(f"/admin/users/{member}/password", data={"csrf_token": tok, "password": "aaaaaaaaaaaa"},
               follow_redirects=True)
    assert "too easy to guess" in r.get_data(as_text=True)
    assert m.get("/upload").status_code == 200
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


def test_an_address_longer_than_its_column_is_refused_not_cut(archive):
    from archive.errors import UserValueError
    from archive.services.accounts import EMAIL_LENGTH, create_user

    with archive.db.session() as s:
        with pytest.raises(UserValueError):
            create_user(s, "a" * EMAIL_LENGTH + "@example.kz", "correct horse battery staple")
        ok = create_user(s, "a" * (EMAIL_LENGTH - 11) + "@example.kz", "correct horse battery staple")
        s.commit()
        assert len(ok.email) == EMAIL_LENGTH
