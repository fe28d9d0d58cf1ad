"""Accessibility in a real browser: axe-core (WCAG 2.2 A/AA and best practices) on every page kind in the three
interface languages, on a desktop screen and a 375-px phone, and what axe cannot judge by itself: which
language each piece of text is marked with, keyboard order, the focus ring, the copy buttons, the phone layout.

The archive is the demo one (`manage.py demo`), served once for the module. axe-core comes from npm
(`scripts/setup.sh --test`); without it, or without Debian's Chromium, the module is skipped.
"""
from __future__ import annotations

import os
import re
from datetime import date

import pytest

from a11y_support import (CHROMIUM, DESKTOP, LANGS, PAGES, PHONE, axe_source, describe, launch_chromium, run_axe,
                          serve_demo, sign_in, with_axe)
from support import stop_server

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium missing"),
              pytest.mark.skipif(axe_source() is None, reason="axe-core missing (scripts/setup.sh --test installs it)")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base, proc = serve_demo(tmp_path_factory.mktemp("a11y"))
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()


def _context(browser, phone: bool = False, **kw):
    if phone:
        return browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, **kw)
    return browser.new_context(viewport=DESKTOP, **kw)


@pytest.fixture
def page(browser):
    ctx = _context(browser)
    yield ctx.new_page()
    ctx.close()


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_page_kind_has_no_axe_violations(site, browser, lang, screen):
    ctx = with_axe(_context(browser, phone=screen == "phone"), axe_source())
    pg = ctx.new_page()
    found: dict[str, list[dict]] = {}
    signed_in = False
    for name, path, needs_editor in PAGES:
        if needs_editor and not signed_in:
            sign_in(pg, site)
            signed_in = True
        resp = pg.goto(f"{site}/{lang}{path}")
        assert resp.status == (404 if name == "not-found" else 200), f"{name}: {resp.status} at {pg.url}"
        assert pg.locator("html").get_attribute("lang") == lang
        violations = run_axe(pg)
        if violations:
            found[name] = violations
    ctx.close()
    assert not found, "\n".join(f"{name} ({lang}, {screen}):\n{describe(v)}" for name, v in found.items())


def _lang_of(page, selector: str) -> list[str]:
    """The language each matching element is in: its own lang, or the nearest ancestor's."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.closest('[lang]').getAttribute('lang'))")


@pytest.mark.parametrize("lang", ["kk", "en"])
def test_publication_page_marks_only_its_content_with_the_content_language(site, page, lang):
    page.goto(f"{site}/{lang}/p/8")                  # a Russian article, read in a Kazakh or English interface
    assert page.get_attribute("article.publication", "lang") is None
    assert _lang_of(page, "article h1") == ["ru"]
    assert set(_lang_of(page, ".abstract > div, .fulltext .page > div")) == {"ru"}
    labels = _lang_of(page, "article dt, article h2, article h3:not([id^=cite-gost]), .page-no, button.copy")
    assert labels and set(labels) == {lang}, labels


def test_each_text_of_a_volume_is_marked_with_its_own_language(site, page):
    page.goto(f"{site}/ru/p/7")                      # the Kazakh-tagged volume holds Russian and Kazakh papers
    paragraphs = page.eval_on_selector_all(".fulltext .page p", "els => els.map(e => "
                                           "[e.closest('[lang]').getAttribute('lang'), e.innerText])")
    starting = lambda words: {lang for lang, text in paragraphs if text.startswith(words)}   # noqa: E731
    assert starting("Межконфессиональный диалог") == {"ru"}          # the first paper's title, and its text
    assert starting("Институты диалога") == {"ru"}
    assert starting("Жастардың діни сауаттылығы") == {"kk"}
    assert {"ru", "kk"} <= {lang for lang, _ in paragraphs}


def test_names_in_another_language_than_the_page_are_marked(site, page):
    page.goto(f"{site}/ru/authors")
    assert page.get_attribute(".people a:has-text('Сейтқали')", "lang") == "kk"
    assert _lang_of(page, ".people a:has-text('Иванова Мария')") == ["ru"]
    page.goto(f"{site}/en/authors")
    assert page.get_attribute(".people a:has-text('Иванова Мария')", "lang") == "ru"
    assert page.get_attribute(".people a:has-text('Сейтқали')", "lang") == "kk"


@pytest.mark.parametrize("lang, name", [("ru", "Русский"), ("kk", "Орыс тілі"), ("en", "Russian")])
def test_languages_are_named_in_the_interface_language(site, page, lang, name):
    page.goto(f"{site}/{lang}/p/8")
    values = page.eval_on_selector_all(".meta-table dd", "dds => dds.map(d => d.innerText.trim())")
    assert name in values and "ru" not in values, values
    page.goto(f"{site}/{lang}/search?q=межэтнические")
    assert name in page.inner_text("li.hit .meta")


@pytest.mark.parametrize("lang", LANGS)
def test_volume_dates_are_written_in_the_interface_language(site, page, lang):
    from babel.dates import format_date

    page.goto(f"{site}/{lang}/volumes/1")              # printed in the volume as «14 апреля 2023»
    when = page.locator(".meta-table time")
    assert when.get_attribute("datetime") == "2023-04-14"
    assert when.inner_text() == format_date(date(2023, 4, 14), "long", locale=lang)
    if lang != "ru":                                  # (the printed title keeps its own words)
        assert "апреля" not in page.inner_text(".meta-table")


def test_person_page_shows_aliases_as_stored_and_no_generated_transliteration(site, page):
    page.goto(f"{site}/ru/authors/11")
    assert page.inner_text("h1") == "Сергеев Андрей Николаевич"
    assert "Nikolaeviç" not in page.content()
    page.goto(f"{site}/ru/authors/1")
    assert page.inner_text(".alt-names .variant") == "А.Б. Сейтқали"          # the form printed in a paper
    assert page.get_attribute(".alt-names .variant", "lang") == "kk"
    assert "Seitqali" not in page.inner_text("main")


def test_first_search_result_is_three_key_presses_away(site, page):
    page.goto(f"{site}/ru/search?q=межэтнические")
    page.keyboard.press("Tab")
    skip = page.evaluate("() => [document.activeElement.className, document.activeElement.getBoundingClientRect().top]")
    assert skip[0] == "skip" and skip[1] >= 0                     # the skip link shows when focused
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('li.hit') && document.activeElement.className")
    first = page.evaluate("() => document.querySelector('li.hit a.title') === document.activeElement")
    assert focused == "title" and first


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def lum(c):
        ch = [v / 255 for v in c]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


FOCUS_STYLE = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  let p = e.parentElement, bg = 'rgba(0, 0, 0, 0)';
  while (p && (bg = getComputedStyle(p).backgroundColor) === 'rgba(0, 0, 0, 0)') p = p.parentElement;
  return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor, bg];
}"""


@pytest.mark.parametrize("where, presses", [("header", 2), ("content", 0)])
def test_focus_ring_has_three_to_one_contrast_with_what_surrounds_it(site, page, where, presses):
    page.goto(f"{site}/ru/authors")
    if where == "content":
        page.focus(".people a")
        page.keyboard.press("Shift+Tab")                # keyboard focus, so :focus-visible applies
        page.keyboard.press("Tab")
    else:
        for _ in range(presses):
            page.keyboard.press("Tab")                  # the skip link, then the site's name in the header
    tag, style, width, color, background = page.evaluate(FOCUS_STYLE)
    assert tag == "A" and style == "solid" and width >= 2
    ratio = _contrast(_rgb(color), _rgb(background))
    assert ratio >= 3, f"{where}: focus ring {color} on {background} is {ratio:.2f}:1"


COPY_TEXT = "() => [document.getElementById('copy-status').textContent, window.getSelection().toString()]"


def test_copy_button_without_clipboard_api_selects_the_text_and_says_so(site, browser):
    ctx = _context(browser)
    ctx.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true})")
    pg = ctx.new_page()
    pg.goto(f"{site}/en/p/8")
    messages = pg.eval_on_selector("#copy-status", "e => [e.dataset.copied, e.dataset.selected]")
    pg.click("button[data-copy=cite-bibtex]")
    pg.wait_for_function("() => document.getElementById('copy-status').textContent !== ''")
    status, selected = pg.evaluate(COPY_TEXT)
    assert status in messages
    assert selected.strip() == pg.inner_text("#cite-bibtex").strip()
    ctx.close()


def test_copy_button_with_clipboard_api_copies_and_announces_it(site, browser):
    ctx = _context(browser, permissions=["clipboard-read", "clipboard-write"])
    pg = ctx.new_page()
    pg.goto(f"{site}/ru/p/8")
    pg.click("button[data-copy=cite-gost]")
    pg.wait_for_function("() => document.getElementById('copy-status').textContent !== ''")
    assert pg.inner_text("#copy-status") == pg.get_attribute("#copy-status", "data-copied")
    assert pg.evaluate("() => navigator.clipboard.readText()") == pg.inner_text("#cite-gost")
    ctx.close()


PHONE_METRICS = """() => ({width: document.documentElement.scrollWidth,
  header: document.querySelector('header.site').getBoundingClientRect().height,
  heading: document.querySelector('main h1:not(.visually-hidden)')?.getBoundingClientRect().top,
  first: document.querySelector('li.hit a.title')?.getBoundingClientRect().top})"""


@pytest.mark.parametrize("lang", LANGS)
def test_phone_shows_the_first_result_and_headings_on_the_first_screen(site, browser, lang):
    ctx = _context(browser, phone=True)
    pg = ctx.new_page()
    for name, path, needs_editor in PAGES:
        if needs_editor:
            continue
        pg.goto(f"{site}/{lang}{path}")
        m = pg.evaluate(PHONE_METRICS)
        assert m["width"] <= PHONE["width"], f"{name} scrolls sideways: {m}"
        assert m["header"] <= 130, f"{name}: header {m}"
        if name == "search":
            assert m["first"] is not None and m["first"] < PHONE["height"] / 2, m
        elif m["heading"] is not None:
            assert m["heading"] < 250, f"{name}: heading {m}"
    ctx.close()


def test_titles_descriptions_and_icon(site, page):
    titles = set()
    for lang in LANGS:
        page.goto(f"{site}/{lang}/")
        titles.add(page.title())
        for name, path, needs_editor in PAGES:
            if needs_editor or name not in ("home", "publication", "person", "volume", "search"):
                continue
            page.goto(f"{site}/{lang}{path}")
            description = page.get_attribute('meta[name="description"]', "content")
            assert description and len(description) >= 20, (lang, name, description)
    assert len(titles) == 3, titles                     # the home page's title is in the reader's language
    icon = page.request.get(site + "/favicon.ico")
    assert icon.ok and icon.headers["content-type"].startswith("image/")
    linked = page.request.get(site + page.get_attribute('link[rel="icon"]', "href"))
    assert linked.ok and linked.headers["content-type"].startswith("image/svg")
