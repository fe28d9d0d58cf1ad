"""Flows a person follows, in a real browser (Debian's Chromium driven by Playwright) against the served app.

Set SAVE_SCREENSHOTS=1 to refresh docs/screenshots/ from the same run.
"""
import os
import re
import time

import pytest

from a11y_support import chromium, run_manage
from support import served_env, REPO, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium missing")]
SHOTS = REPO / "docs" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("browser")
    env = served_env(data)
    run_manage(env, ["demo"], *(["create-user", email, "--role", role, "--password", "a-long-password-1"]
                                for email, role in (("editor@example.kz", "editor"), ("member@example.kz", "member"))))
    base, proc = start_server(env)
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="ru-RU")
    pg = ctx.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs
    yield pg
    assert not dialogs, f"a script ran: {dialogs}"
    ctx.close()


def shot(page, name: str) -> None:
    if os.environ.get("SAVE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_search_facet_publication_cite_download(site, page):
    page.goto(site + "/?hl=ru")
    shot(page, "home")
    page.fill("#q-home", "межэтническими")
    page.press("#q-home", "Enter")
    page.wait_for_selector("ol.results li.hit")
    assert page.locator("mark").count() > 0
    shot(page, "search")
    with page.expect_navigation():                                        # count on the new page, not mid-load
        page.click("aside.facets a:has-text('2021')")                   # narrow by year
    page.wait_for_selector("ol.results li.hit")
    hits = page.locator("ol.results li.hit")
    assert hits.count() == 1
    with page.expect_navigation():
        hits.first.locator("a.title").click()
    page.wait_for_selector("h1")
    assert "Межэтнические отношения" in page.inner_text("h1")
    assert page.locator('meta[name="citation_title"]').count() == 1
    assert "Иванова, М. П." in page.inner_text("#cite-gost")
    shot(page, "publication")
    with page.expect_download() as dl:
        page.click("a[href$='cite.bib']")
    assert dl.value.suggested_filename.endswith(".bib")
    href = page.get_attribute("a.button:has-text('PDF')", "href")          # the PDF opens in the browser
    resp = page.request.get(site + href)
    assert resp.ok and resp.headers["content-type"] == "application/pdf" and resp.body().startswith(b"%PDF")


def test_browse_by_author_and_expert_finder(site, page):
    page.goto(site + "/authors?hl=kk")
    names = page.locator(".people li a").all_inner_texts()
    assert names and names.index(next(n for n in names if n.startswith("Әбдіхалықұлы"))) > \
        names.index(next(n for n in names if n.startswith("Абдрахманова")))
    shot(page, "authors")
    page.goto(site + "/experts?q=языковая+политика&hl=ru")
    first = page.locator("ol li").first
    assert "Ким" in first.inner_text() and first.locator("mark").count() > 0
    shot(page, "experts")


def test_language_switch_keeps_the_page(site, page):
    page.goto(site + "/search?q=Qazaqstan&hl=ru")
    with page.expect_navigation():
        page.click("nav.langs a[hreflang='kk']")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert "q=Qazaqstan" in page.url and "/kk/search" in page.url
    with page.expect_navigation():
        page.click("nav.langs a[hreflang='en']")
    assert page.locator("html").get_attribute("lang") == "en"
    assert re.search(r"\d+ results?", page.inner_text("p.count"))


def test_member_uploads_editor_publishes_and_search_finds(site, page, browser, tmp_path):
    from support import make_pdf

    pdf = make_pdf(tmp_path / "upload.pdf", ["УДК 323.1\nСидоров П.П.\nАлматы, 2024\nБРАУЗЕРНАЯ ЗАГРУЗКА СТАТЬИ\n"
                                             "Текст о полиэтничности и согласии в мегаполисе. " * 10])
    page.goto(site + "/login?hl=en")
    page.fill("#email", "member@example.kz")
    page.fill("#password", "a-long-password-1")
    with page.expect_navigation():
        page.press("#password", "Enter")
    page.goto(site + "/upload?hl=en")
    page.set_input_files("#files", str(pdf))
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    status = None
    for _ in range(120):                                                  # the worker processes it
        # fetched with the page's cookies but not as a navigation (a JSON navigation can be aborted)
        records = page.request.get(site + "/upload/status").json()["records"]
        status = records[0]["status"] if records else None
        if status in ("ok", "error", "duplicate"):
            break
        time.sleep(0.5)
    assert status == "ok"
    page.goto(site + "/review?hl=en")
    with page.expect_navigation():
        page.click("a:has-text('БРАУЗЕРНАЯ'), a:has-text('Браузерная')")
    assert page.locator("button:has-text('Publish')").count() == 0        # a member cannot publish
    editor_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ed = editor_ctx.new_page()
    ed.goto(site + "/login?hl=en")
    ed.fill("#email", "editor@example.kz")
    ed.fill("#password", "a-long-password-1")
    with ed.expect_navigation():
        ed.press("#password", "Enter")
    ed.goto(site + "/review?hl=en")
    with ed.expect_navigation():
        ed.click("a:has-text('БРАУЗЕРНАЯ'), a:has-text('Браузерная')")
    shot(ed, "review")
    with ed.expect_navigation():
        ed.click("button:has-text('Publish')")
    ed.goto(site + "/search?q=полиэтничностью&hl=en")
    assert ed.locator("ol.results li.hit").count() == 1
    editor_ctx.close()
