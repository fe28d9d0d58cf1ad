"""XSS payloads in every field, checked where a script would run: Debian's Chromium (Playwright) with a
dialog handler on every page. Also: a sandboxed article PDF still displays in Chromium's viewer.

The fields are read from the forms themselves (every text input and textarea of the entry, review,
profile and account forms), so a field added later gets a payload without anyone remembering to.
"""
from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time

import pytest
import requests

from support import REPO, RU_ARTICLE, csrf, make_pdf, served_env, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium missing")]
PASSWORD = "a-long-password-1"
PAYLOADS = ['<script>alert({n})</script>', '"><img src=x onerror=alert({n})>', "'><svg onload=alert({n})>",
            '<!--<script>alert({n})</script>', '</script><script>alert({n})</script>',
            '<a href="javascript:alert({n})">x</a>', '</textarea><iframe srcdoc="<script>alert({n})</script>">',
            '{{{{7*7}}}}<details open ontoggle=alert({n})>']
NOT_TEXT = {"csrf_token", "language", "kind", "event_type", "report_type", "date", "date_end", "year", "topics",
            "topics_shown", "file", "files", "back", "keep_id", "merge_id", "authorship", "role", "active",
            "password", "current", "new", "confirm", "press_contact_agreed", "is_member", "email", "next"}
_counter = itertools.count(1)


def payload() -> str:
    n = next(_counter)
    return PAYLOADS[n % len(PAYLOADS)].format(n=n)




def text_fields(html: str, action: str) -> list[str]:
    """Names of the text inputs and textareas of the form posting to ``action``."""
    form = re.search(r'<form[^>]*action="[^"]*' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.S).group(1)
    names = re.findall(r'<(?:input|textarea)\b[^>]*\bname="([^"]+)"', form)
    types = dict(re.findall(r'<input\b[^>]*\bname="([^"]+)"[^>]*\btype="([^"]+)"', form))
    return [n for n in dict.fromkeys(names) if n.split("-")[-1] not in NOT_TEXT and n not in NOT_TEXT
            and types.get(n, "text") in ("text", "search", "url", "email")]


def session_of(base: str, email: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/login?hl=en", timeout=30)
    r = s.post(base + "/login", data={"csrf_token": csrf(page.text), "email": email, "password": PASSWORD},
               timeout=30)
    assert r.status_code == 200 and "/login" not in r.url, r.text[-500:]
    return s


def post_form(s: requests.Session, base: str, page_url: str, action: str, fixed: dict, files=None):
    """Fill every text field of the form with a payload (``fixed`` values win) and send it."""
    html = s.get(base + page_url, timeout=30).text
    data = {name: payload() for name in text_fields(html, action)}
    data.update(fixed, csrf_token=csrf(html))
    r = s.post(base + action, data=data, files=files, timeout=120)
    assert r.status_code in (200, 303) and "form-error" not in r.text, (action, r.status_code, r.text[-1500:])
    return r, sorted(data)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("xss")
    env = served_env(data, ARCHIVE_RATELIMIT_ENABLED="0")            # this test is not about limits
    for email, role in (("member@example.kz", "member"), ("editor@example.kz", "editor"),
                        ("admin@example.kz", "admin")):
        subprocess.run([sys.executable, "manage.py", "create-user", email, "--role", role, "--password", PASSWORD],
                       cwd=REPO, env=env, check=True, capture_output=True, timeout=120)
    base, proc = start_server(env)
    member, editor, admin = (session_of(base, f"{w}@example.kz") for w in ("member", "editor", "admin"))
    filled: dict[str, list[str]] = {}
    # An uploaded article, its metadata form filled with payloads.
    pdf = make_pdf(tmp_path_factory.mktemp("pdf") / "a.pdf", RU_ARTICLE)
    page = member.get(base + "/upload", timeout=30).text
    with open(pdf, "rb") as fh:
        member.post(base + "/upload", data={"csrf_token": csrf(page)}, files={"files": ("a.pdf", fh)}, timeout=60)
    for _ in range(240):
        rec = member.get(base + "/upload/status", timeout=30).json()["records"][0]
        if rec["status"] in ("ok", "error", "duplicate"):
            break
        time.sleep(0.5)
    assert rec["status"] == "ok", rec
    article = rec["publication_ids"][0]
    _r, filled["review"] = post_form(member, base, f"/review/{article}", f"/review/{article}/metadata",
                                     {"year": "2019", "language": "ru", "kind": "article"})
    # A media commentary, every field of its form filled.
    r, filled["commentary"] = post_form(member, base, "/entries/new/commentary", "/entries/new/commentary",
                                        {"language": "ru", "date": "2024-05-01",
                                         "url": "https://example.kz/a?q=%3Cscript%3Ealert(99)%3C/script%3E"})
    commentary = int(re.search(r"/review/(\d+)", r.url).group(1))
    for pub in (article, commentary):
        html = editor.get(f"{base}/review/{pub}", timeout=30).text
        editor.post(f"{base}/review/{pub}/publish", data={"csrf_token": csrf(html)}, timeout=120)
    person = int(re.search(r'/authors/(\d+)"', editor.get(f"{base}/p/{article}", timeout=30).text).group(1))
    _r, filled["profile"] = post_form(editor, base, f"/review/people/{person}",
                                      f"/review/people/{person}/profile",
                                      {"press_contact_agreed": "1", "is_member": "1"})
    _r, filled["account"] = post_form(admin, base, "/admin/users", "/admin/users",
                                      {"email": "xss@example.kz", "role": "member", "password": ""})
    assert len(filled["review"]) >= 8 and len(filled["commentary"]) >= 8 and len(filled["profile"]) >= 6, filled
    yield {"base": base, "article": article, "commentary": commentary, "person": person, "filled": filled}
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update"])
        yield b
        b.close()


def browse(browser, base: str, email: str | None, paths: list[str]) -> dict[str, list[str]]:
    """Open each page as this person; the dialogs any script opened, per page. The pages' Content-Security-
    Policy is bypassed: it would block inline scripts anyway, and escaping must hold on its own."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = ctx.new_page()
    fired: dict[str, list[str]] = {}
    current = {"path": ""}
    page.on("dialog", lambda d: (fired.setdefault(current["path"], []).append(d.message), d.dismiss()))
    if email:
        page.goto(base + "/login?hl=en")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.press("#password", "Enter")
    for path in paths:
        current["path"] = path
        resp = page.goto(base + path)
        assert resp is not None and resp.status == 200, (path, resp and resp.status)
        page.wait_for_timeout(150)                                  # handlers like ontoggle run after load
    ctx.close()
    return fired


def test_payloads_in_every_field_run_nowhere(site, browser):
    base, a, c, p = site["base"], site["article"], site["commentary"], site["person"]
    public = ["/", f"/p/{a}", f"/p/{c}", "/search?q=alert", "/search?q=%3Cscript%3Ealert(0)%3C/script%3E",
              "/authors", f"/authors/{p}", "/members", "/experts?q=alert", "/kinds/commentary", "/years"]
    fired = browse(browser, base, None, public)
    fired.update(browse(browser, base, "member@example.kz", ["/upload", "/review", f"/review/{a}", f"/review/{c}",
                                                             "/dashboard", "/account/password"]))
    fired.update(browse(browser, base, "editor@example.kz", ["/review", f"/review/{a}", "/review/audit",
                                                             "/review/people", f"/review/people/{p}"]))
    fired.update(browse(browser, base, "admin@example.kz", ["/admin/users"]))
    assert not fired, f"scripts ran: {fired}"


def test_the_sandboxed_article_pdf_still_displays(site, browser):
    url = f"{site['base']}/p/{site['article']}/article.pdf"
    head = requests.get(url, timeout=30)
    assert head.headers["Content-Security-Policy"].startswith("sandbox") and head.content.startswith(b"%PDF")
    ctx = browser.new_context(viewport={"width": 900, "height": 700})
    page = ctx.new_page()
    page.goto(url)
    viewer = None
    for _ in range(50):                                            # Chromium's PDF viewer is a frame of its own
        viewer = next((f for f in page.frames if f.url.startswith("chrome-extension://")), None)
        if viewer is not None:
            break
        page.wait_for_timeout(200)
    assert viewer is not None, [f.url for f in page.frames]
    page.wait_for_timeout(1500)
    shot = page.screenshot()
    ctx.close()
    from io import BytesIO

    from PIL import Image

    colours = Image.open(BytesIO(shot)).convert("L").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 20              # pages and text drawn, not a blank error
