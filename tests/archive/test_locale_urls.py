"""The interface language in the address: /ru/…, /kk/…, /en/…; links keep it; hreflang names the versions."""
from __future__ import annotations

import re

import pytest

from support import RU_ARTICLE, make_pdf


def _lang(html: str) -> str:
    return re.search(r'<html[^>]*\blang="([^"]*)"', html).group(1)


@pytest.mark.parametrize("locale,word", [("ru", "Поиск"), ("kk", "Іздеу"), ("en", "Search")])
def test_prefix_chooses_the_language_whatever_the_cookie_and_browser(client, locale, word):
    client.set_cookie("hl", "ru" if locale != "ru" else "en")
    r = client.get(f"/{locale}/", headers={"Accept-Language": "de"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert _lang(html) == locale and word in html


def test_links_on_a_prefixed_page_keep_the_prefix(client):
    html = client.get("/kk/").get_data(as_text=True)
    own = [h for h in re.findall(r'href="(/[^"]*)"', html) if not h.startswith(("/ru/", "/en/", "/ru", "/en"))]
    assert own, "no internal links on the home page"
    pages = [h for h in own if not h.startswith("/static/")]
    assert all(h.startswith("/kk/") for h in pages), [h for h in pages if not h.startswith("/kk/")]
    assert any(h.startswith("/static/style.css") for h in own), "static files should keep one address"
    assert 'action="/kk/search"' in html


def test_every_page_names_its_language_versions(client):
    html = client.get("/en/search?q=%D1%82%D1%96%D0%BB&sort=newest").get_data(as_text=True)
    alternates = {k: v.replace("&amp;", "&")
                  for k, v in re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)"', html)}
    assert set(alternates) == {"ru", "kk", "en", "x-default"}
    assert alternates["kk"].endswith("/kk/search?q=%D1%82%D1%96%D0%BB&sort=newest")
    assert alternates["x-default"].endswith("/search?q=%D1%82%D1%96%D0%BB&sort=newest")
    assert "/en/" not in alternates["x-default"] and "/ru/" not in alternates["x-default"]


def test_language_switcher_goes_to_the_same_page_in_the_other_language(client):
    html = client.get("/ru/authors?letter=%D0%90").get_data(as_text=True)
    switch = re.search(r'<nav[^>]*class="langs".*?</nav>', html, re.S).group(0)
    assert 'href="/en/authors?letter=%D0%90"' in switch
    assert 'href="/kk/authors?letter=%D0%90"' in switch


def test_bare_prefix_redirects_to_the_home_page_of_that_language(client):
    r = client.get("/kk")
    assert r.status_code == 308 and r.headers["Location"].endswith("/kk/")


def test_prefix_choice_is_remembered_for_unprefixed_addresses(client):
    client.get("/en/")
    assert _lang(client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)) == "en"


def test_publication_page_and_download_work_under_a_prefix(client, archive, tmp_path):
    from archive.services.ingest import ingest_file

    pdf = make_pdf(tmp_path / "a.pdf", RU_ARTICLE)
    o = ingest_file(archive, pdf, "a.pdf", publish=True)
    pid = o.publication_ids[0]
    html = client.get(f"/en/p/{pid}").get_data(as_text=True)
    assert _lang(html) == "en"
    original = re.search(r'href="(/en/p/\d+/original)"', html)
    assert original, "download link lost its prefix"
    r = client.get(original.group(1))
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


def test_static_files_are_versioned_and_cached_immutably(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{12})"', html)
    assert css, "stylesheet link carries no content hash"
    r = client.get(css.group(1))
    assert r.status_code == 200
    assert "immutable" in r.headers["Cache-Control"] and "max-age=31536000" in r.headers["Cache-Control"]
    plain = client.get("/static/style.css")
    assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_requests_carry_an_id_and_are_logged_as_structured_records(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="archive.request"):
        r = client.get("/en/search?q=secret-words", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    rec = [x for x in caplog.records if x.name == "archive.request"][-1]
    assert (rec.method, rec.path, rec.status, rec.request_id) == ("GET", "/search", 200, "abc-123")
    assert rec.duration_ms >= 0
    assert "secret-words" not in rec.getMessage() and "secret-words" not in str(rec.__dict__)


def test_a_request_slower_than_the_setting_is_logged_as_a_warning_with_its_cpu_time(data_dir, caplog, monkeypatch):
    """``SLOW_REQUEST_MS``: a server that logs warnings only still names its slow answers, with the CPU time the
    request's thread used (what tells a slow computation from a wait); 0 turns it off."""
    import logging
    import time
    import types

    from archive import create_app, logs

    elapsed = iter([0.0, 0.6, 10.0, 10.4, 20.0, 25.0])        # the clock: 600 ms, 400 ms, then 5 s
    monkeypatch.setattr(logs, "time", types.SimpleNamespace(perf_counter=lambda: next(elapsed),
                                                            thread_time=time.thread_time))
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "t", "SLOW_REQUEST_MS": 500})
    quiet = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "t", "SLOW_REQUEST_MS": 0})
    with caplog.at_level(logging.INFO, logger="archive.request"):
        app.test_client().get("/en/search?q=secret-words")
        app.test_client().get("/en/about")
        quiet.test_client().get("/en/about")
    recs = [x for x in caplog.records if x.name == "archive.request"]
    assert [(r.levelno, r.getMessage(), r.duration_ms) for r in recs] == [
        (logging.WARNING, "slow request", 600.0), (logging.INFO, "request", 400.0), (logging.INFO, "request", 5000.0)]
    assert all(0 <= r.cpu_ms < 60_000 for r in recs)
    assert "secret-words" not in str(recs[0].__dict__)


def test_configured_default_language_applies_when_nothing_else_names_one(data_dir):
    from archive import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "t", "BABEL_DEFAULT_LOCALE": "kk"})
    c = app.test_client()
    assert _lang(c.get("/no-such-page").get_data(as_text=True)) == "kk"
    assert _lang(c.get("/no-such-page", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "en"
