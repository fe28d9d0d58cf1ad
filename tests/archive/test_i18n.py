"""Interface language: Russian, Kazakh, English; the catalogs are complete and compiled.

When this fails after a template change: run scripts/i18n.sh, translate what it lists, run it again.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from support import REPO

TRANSLATIONS = Path(REPO) / "translations"
CATALOG_LOCALES = ("ru", "kk")

# A few strings of the home page (base.html and main/home.html) in each language.
EXPECTED = {
    "ru": ["Поиск", "Поиск по архиву", "Научно-экспертная группа Ассамблеи народа Казахстана г. Алматы"],
    "kk": ["Іздеу", "Мұрағаттан іздеу", "Алматы қаласы Қазақстан халқы Ассамблеясының ғылыми-сараптамалық тобы"],
    "en": ["Search", "Search the archive", "Scientific-Expert Group of the Assembly of People of Kazakhstan, Almaty"],
}
# Strings that must not appear in a given language (the other two translations of the button and footer).
FOREIGN = {
    "ru": ["Іздеу", "Scientific-Expert Group of the Assembly"],
    "kk": ["Поиск", "Scientific-Expert Group of the Assembly"],
    "en": ["Поиск", "Іздеу"],
}


def _html_lang(html: str) -> str:
    m = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", html)
    assert m, "no <html lang> attribute"
    return m.group(1)


def _read_po(locale: str):
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"{path} is missing: run scripts/i18n.sh"
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _strings(msg) -> list[str]:
    return list(msg.string) if isinstance(msg.string, (list, tuple)) else [msg.string]


@pytest.mark.parametrize("locale", ["ru", "kk", "en"])
def test_home_page_speaks_the_chosen_language(client, locale):
    r = client.get(f"/?hl={locale}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert _html_lang(html) == locale
    for s in EXPECTED[locale]:
        assert s in html, f"{s!r} not on the {locale} home page"
    for s in FOREIGN[locale]:
        assert s not in html, f"{s!r} on the {locale} home page"


@pytest.mark.parametrize("locale", ["ru", "kk", "en"])
def test_language_choice_persists_in_a_cookie(client, locale):
    first = client.get(f"/?hl={locale}")
    assert f"hl={locale}" in first.headers.get("Set-Cookie", "")
    # The next request has no ?hl= and a browser preferring another language: the cookie wins.
    other = "kk" if locale != "kk" else "en"
    html = client.get("/", headers={"Accept-Language": other}).get_data(as_text=True)
    assert _html_lang(html) == locale
    assert EXPECTED[locale][0] in html


def test_hl_overrides_the_cookie_and_accept_language_is_the_fallback(client):
    client.get("/?hl=kk")
    html = client.get("/?hl=en").get_data(as_text=True)
    assert _html_lang(html) == "en"
    client.delete_cookie("hl")
    html = client.get("/", headers={"Accept-Language": "kk-KZ,kk;q=0.9,ru;q=0.5"}).get_data(as_text=True)
    assert _html_lang(html) == "kk" and "Іздеу" in html


def test_unknown_language_is_ignored(client):
    r = client.get("/?hl=de", headers={"Accept-Language": "ru"})
    assert _html_lang(r.get_data(as_text=True)) == "ru"
    assert "hl=de" not in r.headers.get("Set-Cookie", "")


def test_error_page_is_translated(client):
    r = client.get("/no-such-page?hl=kk")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "Бет табылмады" in html and _html_lang(html) == "kk"


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_every_message_is_translated(locale):
    catalog = _read_po(locale)
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    problems = []
    for msg in catalog:
        if not msg.id:
            continue
        if msg.fuzzy:
            problems.append(f"fuzzy: {msg.id!r}")
        elif not all(s and s.strip() for s in _strings(msg)):
            problems.append(f"untranslated: {msg.id!r}")
    assert not problems, (f"{locale}: run scripts/i18n.sh and translate:\n  " + "\n  ".join(problems))
    assert len([m for m in catalog if m.id]) > 50


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_translations_keep_placeholders(locale):
    catalog = _read_po(locale)
    errors = [f"{msg.id!r}: {e}" for msg, errs in catalog.check() for e in errs]
    assert not errors, "\n".join(errors)
    nplurals = catalog.num_plurals
    for msg in catalog:
        if msg.pluralizable and msg.id:
            assert len(_strings(msg)) == nplurals, f"{msg.id!r} needs {nplurals} plural forms in {locale}"


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_compiled_catalog_matches_the_po_file(locale):
    catalog = _read_po(locale)
    mo_path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo"
    assert mo_path.is_file(), f"{mo_path} is missing: run scripts/i18n.sh"
    fresh = io.BytesIO()
    write_mo(fresh, catalog)  # what `pybabel compile` writes (fuzzy entries left out)
    fresh.seek(0)
    with mo_path.open("rb") as f:
        compiled = read_mo(f)
    expected = read_mo(fresh)

    def messages(cat):
        return {(m.id if isinstance(m.id, str) else tuple(m.id)): _strings(m) for m in cat if m.id}

    assert messages(compiled) == messages(expected), f"{mo_path} is stale: run scripts/i18n.sh"


def test_template_is_not_behind_the_catalogs():
    """Every msgid of messages.pot is in both catalogs (scripts/i18n.sh was run after the last extraction)."""
    pot_path = TRANSLATIONS / "messages.pot"
    assert pot_path.is_file()
    with pot_path.open("rb") as f:
        pot = read_po(f)
    template_ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in pot if m.id}
    for locale in CATALOG_LOCALES:
        ids = {m.id if isinstance(m.id, str) else tuple(m.id) for m in _read_po(locale) if m.id}
        missing = template_ids - ids
        assert not missing, f"{locale} lacks {sorted(map(str, missing))[:10]}: run scripts/i18n.sh"


def test_no_message_hides_inside_an_f_string():
    """pybabel's extractor does not look inside an f-string's fields: ``f"{_('in')} ..."`` would never reach the
    catalogs (the string was translated only while a template happened to hold the same msgid, and became
    obsolete at the next ``scripts/i18n.sh`` once the template no longer did)."""
    import ast

    found = []
    for path in sorted((REPO / "archive").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue):
                for inner in ast.walk(node.value):
                    if (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name)
                            and inner.func.id in ("_", "_l", "ngettext", "gettext")):
                        found.append(f"{path.relative_to(REPO)}:{inner.lineno}")
    assert not found, f"a message inside an f-string (pybabel cannot extract it): {found}"


def test_translation_directory_is_where_the_app_looks(app):
    from flask_babel import get_babel

    with app.app_context():
        dirs = [Path(d).resolve() for d in get_babel().translation_directories]
    assert TRANSLATIONS.resolve() in dirs


@pytest.mark.parametrize("locale", ["ru", "kk", "en"])
@pytest.mark.parametrize("source", [
    '{{ _("Search") }}',
    '{{ _("Page %(p)s of %(n)s", p="<b>&", n=3) }}',                 # variables escaped, as Jinja does
    '{{ _("%(n)s results", n=12) }}|{{ _("Remove filter") }}',
    '<a title="{{ _("Search the archive") }}">{{ _("50%% off") }}</a>',  # %% with no variables: one %
])
def test_template_gettext_renders_what_jinja_newstyle_gettext_renders(app, locale, source):
    """``_`` in templates is our own short path (archive.i18n.template_gettext); it must render exactly what
    Jinja's i18n extension (new style, autoescaped) renders with the same translations."""
    from jinja2 import Environment

    from archive.i18n import request_translations

    with app.test_request_context(f"/?hl={locale}"):
        ours = app.jinja_env.from_string(source).render()
        stock = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        stock.install_gettext_callables(gettext=lambda s: request_translations().ugettext(s),
                                        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
                                        newstyle=True)
        assert ours == stock.from_string(source).render()
    assert app.jinja_env.globals["_"].__name__ == "template_gettext"


def test_a_forced_language_holds_for_its_block_only(app):
    """``_`` and ``current_locale`` keep the request's language beside Flask-Babel's locale: ``force_locale``
    (another language for a while, as a mail to a member in theirs) must be heard inside, and not after."""
    from flask_babel import force_locale

    from archive.i18n import _, current_locale
    from archive.ui import locale

    with app.test_request_context("/?hl=ru"):
        assert (_("Search"), current_locale(), locale()) == ("Поиск", "ru", "ru")
        with force_locale("kk"):
            assert (_("Search"), current_locale(), locale()) == ("Іздеу", "kk", "kk")
            with force_locale("en"):
                assert (_("Search"), current_locale()) == ("Search", "en")
            assert (_("Search"), current_locale()) == ("Іздеу", "kk")
        assert (_("Search"), current_locale(), locale()) == ("Поиск", "ru", "ru")


def test_each_pages_links_keep_its_language_prefix_and_static_files_one_address(client):
    """The navigation's addresses are built once per language prefix: a page in one language must never get the
    links of a page in another that was built before it."""
    pages = {}
    for prefix in ("", "/kk", "/en", "/kk", ""):
        pages[prefix] = client.get(prefix + "/authors").get_data(as_text=True)
    for prefix, html in pages.items():
        nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
        links = re.findall(r'href="([^"]+)"', nav)
        assert links and all(link.startswith(prefix + "/") and not link.startswith(("/kk/", "/en/")[prefix == "/kk"])
                             for link in links), (prefix, links)
        assert f'href="{prefix}/years"' in nav
        styles = re.findall(r'href="([^"]*style\.css[^"]*)"', html)
        assert len(styles) == 1 and styles[0].startswith("/static/style.css?v="), styles


def test_the_search_pages_export_links_name_each_format(app, client):
    """The five export links of a results page: built from one address, each names its format, in the page's
    language prefix, with the search's own parameters."""
    from archive.models import Publication, PublicationPage, utcnow
    from archive.services.indexing import enqueue, process_index_tasks

    archive = app.extensions["archive"]
    with archive.db.session() as s:
        pub = Publication(kind="article", status="published", title="Язык и общество", language="ru", year=2020,
                          published_at=utcnow())
        s.add(pub)
        s.flush()
        s.add(PublicationPage(publication_id=pub.id, number=1, text="О языке и обществе."))
        enqueue(s, [pub.id])
        s.commit()
    process_index_tasks(archive)
    for prefix in ("", "/kk", "/en"):
        html = client.get(prefix + "/search?q=%D1%8F%D0%B7%D1%8B%D0%BA&year=2020").get_data(as_text=True)
        links = re.findall(r'href="([^"]+)"', re.search(r'<p class="exports">.*?</p>', html, re.S).group(0))
        assert links[:5] == [f"{prefix}/search/export.{fmt}?q=%D1%8F%D0%B7%D1%8B%D0%BA&amp;year=2020"
                             for fmt in ("bib", "ris", "json", "xml", "txt")], links
        assert client.get(links[0].replace("&amp;", "&")).get_data(as_text=True).count("@misc{") == 1


@pytest.mark.parametrize("configured", [None, "Архив НЭГ <1>"])
def test_the_site_name_is_the_archives_own_or_the_configured_one_in_every_language(app, client, configured):
    from markupsafe import escape

    if configured:
        app.config["SITE_NAME"] = configured
    shown = str(escape(configured or "Kelisim Archive"))
    for prefix in ("", "/kk", "/en"):
        html = client.get(prefix + "/authors").get_data(as_text=True)
        assert f'<a class="brand" href="{prefix}/">{shown}</a>' in html
        assert re.search(r"<title>[^<]*— " + re.escape(shown) + "</title>", html), prefix
