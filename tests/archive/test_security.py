"""Safety: CSRF, authorization on every write and on drafts' files, hostile file names, XSS, upload size."""
from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from archive.models import ProcessingRecord, Publication, StoredFile, User
from support import DATA, RU_ARTICLE, make_pdf

from accounts_support import PASSWORD, token, app, users, signed_in  # noqa: F401 - fixtures


@pytest.fixture
def draft(archive, users, tmp_path):
    """The member's draft article with its file."""
    from archive.services.ingest import ingest_file

    out = ingest_file(archive, make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf", user_id=users["member"])
    return out.publication_ids[0]


def snapshot(archive):
    """Everything a refused request must leave untouched."""
    with archive.db.session() as s:
        pubs = [(p.id, p.status, p.title, p.pdf_page_start) for p in s.scalars(select(Publication).order_by(Publication.id))]
        users = [(u.id, u.role, u.active, u.password_hash) for u in s.scalars(select(User).order_by(User.id))]
        recs = s.scalar(select(ProcessingRecord.id).order_by(ProcessingRecord.id.desc()))
    return pubs, users, recs


# (method path, form) for every write endpoint; {pub} is the member's draft, {user} the "other" member.
WRITES = {
    "logout_everywhere": ("/logout-everywhere", {}),
    "password": ("/account/password", {"current": PASSWORD, "new": "another password", "confirm": "another password"}),
    "user_create": ("/admin/users", {"email": "new@example.kz", "password": "long enough pw", "role": "admin"}),
    "user_reset": ("/admin/users/{user}/password", {"password": "long enough pw"}),
    "user_role": ("/admin/users/{user}/role", {"role": "admin"}),
    "user_active": ("/admin/users/{user}/active", {"active": "0"}),
    "upload": ("/upload", {}),
    "metadata": ("/review/{pub}/metadata", {"title": "Changed"}),
    "boundary": ("/review/{pub}/boundary", {"start": "1", "end": "1"}),
    "merge": ("/review/{pub}/merge", {}),
    "split": ("/review/{pub}/split", {"page": "2"}),
    "publish": ("/review/{pub}/publish", {}),
    "withdraw": ("/review/{pub}/withdraw", {"reason": "because"}),
    "delete": ("/review/{pub}/delete", {}),
}

# Who must be refused where (beyond anonymous, refused everywhere).
REFUSED = [
    ("member", "user_create"), ("member", "user_reset"), ("member", "user_role"), ("member", "user_active"),
    ("member", "publish"), ("member", "withdraw"), ("member", "delete"),
    ("other", "metadata"), ("other", "boundary"), ("other", "merge"), ("other", "split"), ("other", "publish"),
    ("other", "delete"),
    ("editor", "user_create"), ("editor", "user_reset"), ("editor", "user_role"), ("editor", "user_active"),
    ("editor", "delete"),
]


def _post(client, name, draft, users):
    path, form = WRITES[name]
    return client.post(path.format(pub=draft, user=users["other"]), data={"csrf_token": client.csrf, **form})


@pytest.mark.parametrize("name", sorted(WRITES))
def test_every_write_refuses_anonymous(signed_in, archive, draft, users, name):
    client = signed_in("anonymous")
    before = snapshot(archive)
    r = _post(client, name, draft, users)
    assert r.status_code in (401, 403) or (r.status_code == 302 and "/login" in r.headers["Location"])
    assert snapshot(archive) == before


@pytest.mark.parametrize("who,name", REFUSED)
def test_every_write_refuses_the_under_privileged(signed_in, archive, draft, users, who, name):
    client = signed_in(who)
    before = snapshot(archive)
    r = _post(client, name, draft, users)
    assert r.status_code in (403, 404), r.status_code
    assert "Traceback" not in r.get_data(as_text=True)
    assert snapshot(archive) == before


def test_member_cannot_edit_own_record_once_published(signed_in, archive, draft):
    editor, member = signed_in("editor"), signed_in("member")
    assert editor.post(f"/review/{draft}/publish", data={"csrf_token": editor.csrf}).status_code == 303
    r = member.post(f"/review/{draft}/metadata", data={"csrf_token": member.csrf, "title": "Changed"})
    assert r.status_code == 403, r.get_data(as_text=True)[-1500:]
    assert "Only editors" in r.get_data(as_text=True), r.get_data(as_text=True)[-700:]


def test_drafts_and_their_files_are_private(signed_in, draft):
    anonymous, other = signed_in("anonymous"), signed_in("other")
    for url in (f"/review/{draft}", f"/review/{draft}/file"):
        r = anonymous.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"]
        assert other.get(url).status_code == 404
    assert f"/review/{draft}" not in other.get("/review").get_data(as_text=True)
    for who in ("member", "editor"):
        r = signed_in(who).get(f"/review/{draft}/file")
        assert r.status_code == 200 and r.data.startswith(b"%PDF") and "no-store" in r.headers["Cache-Control"]
    assert anonymous.get(f"/p/{draft}/original").status_code == 404
    assert anonymous.get("/upload/status").status_code == 401


def test_post_without_csrf_token_is_refused(signed_in, archive, draft):
    member = signed_in("member")
    before = snapshot(archive)
    r = member.post(f"/review/{draft}/metadata", data={"title": "No token"})
    assert r.status_code == 400 and "The form has expired" in r.get_data(as_text=True)
    r = member.post(f"/review/{draft}/metadata", data={"title": "Bad token", "csrf_token": "forged"})
    assert r.status_code == 400
    assert snapshot(archive) == before
    assert signed_in("anonymous").post("/login", data={"email": "member@example.kz",
                                                       "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize("name", ["../../x.pdf", "/etc/passwd.pdf", "Ә" * 296 + ".pdf",
                                  "\u202eevil\t.pdf", "<b>bold</b>&amp;.pdf"])
def test_hostile_file_names_are_stored_safely_and_shown_as_given(signed_in, archive, data_dir, tmp_path, name):
    member = signed_in("member")
    pdf = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)
    member.post("/upload", data={"csrf_token": member.csrf, "files": [(open(pdf, "rb"), name)]},
                content_type="multipart/form-data")
    shown = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")      # control/format chars go
    with archive.db.session() as s:
        rec = s.scalars(select(ProcessingRecord)).one()
        assert rec.status == "ok" and rec.original_name == shown
        sf = s.scalars(select(StoredFile)).one()
        assert "/" not in sf.original_name and "\\" not in sf.original_name and len(sf.original_name) <= 255
    written = [p for p in data_dir.rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[0-9a-f]{64}|[\w.-]+", p.name) for p in written), written
    assert not (tmp_path / "x.pdf").exists() and not (data_dir.parent / "x.pdf").exists()
    html = member.get("/upload").get_data(as_text=True)
    from markupsafe import escape

    assert str(escape(shown)) in html
    if "<b>" in name:
        assert "<b>bold</b>" not in html


XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "<iframe src=x>",
       '<a href="javascript:alert(4)">x</a>', "</textarea><svg onload=alert(5)>"]
RAW = ["<script>alert(1)</script>", "<img src=x onerror", "<iframe", 'href="javascript:', "<svg onload"]


JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def outside_json_ld(html: str) -> str:
    """The page without its JSON-LD blocks, after checking that none of them can close its <script> early."""
    for block in JSON_LD.findall(html):
        assert "</" not in block and "<!--" not in block
    return JSON_LD.sub("", html)


def test_xss_in_review_fields_never_reaches_a_page_unescaped(signed_in, archive, draft):
    member, editor = signed_in("member"), signed_in("editor")
    r = member.post(f"/review/{draft}/metadata", data={
        "csrf_token": member.csrf, "title": XSS[0] + " Межэтнические " + XSS[4],
        "authors": f"{XSS[0]} Иван\n{XSS[1]}", "year": "2019", "language": "ru",
        "abstract_ru": "".join(XSS) + "<p>Текст <em>аннотации</em></p>", "keywords": f"{XSS[2]}; {XSS[1]}"})
    assert r.status_code == 303
    with archive.db.session() as s:
        abstract = s.get(Publication, draft).abstracts["ru"]
    assert all(raw not in abstract for raw in RAW) and "<em>аннотации</em>" in abstract
    assert editor.post(f"/review/{draft}/publish", data={"csrf_token": editor.csrf}).status_code == 303
    pages = {url: c.get(url).get_data(as_text=True) for c, url in [
        (member, f"/review/{draft}"), (member, "/review"), (editor, "/review"), (editor, "/review/audit"),
        (editor, f"/p/{draft}"), (editor, "/search?q=Межэтнические"), (editor, "/"), (member, "/upload")]}
    for url, html in pages.items():
        html = outside_json_ld(html)
        for raw in RAW:
            assert raw not in html, (url, raw)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"/review/{draft}"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"/p/{draft}"]
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in pages[f"/review/{draft}"]      # an author line
    assert "<em>аннотации</em>" in pages[f"/review/{draft}"]                               # allowed markup kept


def test_uploaded_file_with_markup_in_its_metadata_is_shown_escaped(signed_in):
    member = signed_in("member")
    member.post("/upload", data={"csrf_token": member.csrf, "files": [(open(DATA / "xss_title.pdf", "rb"),
                                                                       "xss_title.pdf")]},
                content_type="multipart/form-data")
    rec = member.get("/upload/status").get_json()["records"][0]
    assert rec["status"] == "ok"
    html = member.get(rec["review_url"]).get_data(as_text=True)
    for raw in ("<script>alert(1)</script>", "<img src=x onerror", "<b onmouseover", 'href="javascript:', "<iframe"):
        assert raw not in html


def test_oversized_upload_gets_a_clear_413_page(app, signed_in, archive, tmp_path):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    member = signed_in("member")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (200 * 1024))
    r = member.post("/upload", data={"csrf_token": member.csrf, "files": [(open(big, "rb"), "big.pdf")]},
                    content_type="multipart/form-data")
    assert r.status_code == 413
    html = r.get_data(as_text=True)
    assert "The file is too large" in html and "Upload fewer files at a time" in html and "Traceback" not in html
    with archive.db.session() as s:
        assert s.scalar(select(ProcessingRecord.id)) is None
    assert not (archive.data_dir / "incoming").exists() or not list((archive.data_dir / "incoming").iterdir())


def test_upload_without_files_explains(signed_in):
    member = signed_in("member")
    r = member.post("/upload", data={"csrf_token": member.csrf}, follow_redirects=True)
    assert "Choose at least one PDF or DOCX file." in r.get_data(as_text=True)


def test_session_cookie_flags(signed_in, app):
    c = app.test_client()
    r = c.post("/login", data={"csrf_token": token(c), "email": "member@example.kz", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
