"""The Russian ↔ Kazakh term bridge in the archive's search, on every backend: a query in one language finds
work in the other after the reader's own, the page and the API say so and let the reader turn it off, related
publications list a Kazakh article's Russian twins, and the expert finder finds the Kazakh-writing expert."""
from __future__ import annotations

import json
import logging
import shutil
from urllib.parse import quote

import pytest
from sqlalchemy import event

from archive import jobs

from archive.models import Authorship, Person, Publication, PublicationPage, utcnow
from archive.search import run_search
from archive.services import bridge as bridge_service
from archive.services.browse import find_experts
from archive.services.indexing import enqueue, process_index_tasks
from archive.services.related import translated_twins
from support import backend_app

BACKENDS = ["whoosh", "tantivy", "postgres"]

# Written for these tests: each pair says the same thing in Russian and in Kazakh.
TEXTS = {
    "ru_accord": ("ru", "Межэтническое согласие в городе", "Иванова Анна",
                  "Межэтническое согласие поддерживают соседи и этнокультурные объединения города."),
    "kk_accord": ("kk", "Этносаралық келісім және қоғам", "Сейтқали Бақыт",
                  "Қазақстандағы этносаралық келісімнің негізі — көршілер мен мәдени орталықтар."),
    "ru_school": ("ru", "Образование в регионе", "Петров Олег",
                  "Отчёт о школах района. В конце упомянут язык обучения."),
    "kk_language": ("kk", "Тіл және тіл үйрену", "Жұмабаева Гүлнар",
                    "Тіл туралы мақала: тілді үйренудің әдістері мен оқулықтары."),
}


@pytest.fixture(params=BACKENDS)
def xl_app(request, data_dir, monkeypatch):
    """An app on SQLite with the given search backend (postgres: a schema of its own) and the texts above."""
    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    with backend_app(data_dir, request.param, "xling", RATELIMIT_ENABLED=False, SEARCH_PAGE_SIZE=1) as app:
        app.ids = _publish_texts(app.extensions["archive"])
        yield app


def _publish_texts(archive) -> dict[str, int]:
    ids = {}
    with archive.db.session() as s:
        for key, (lang, title, author, body) in TEXTS.items():
            pub = Publication(kind="article", status="published", title=title, titles={lang: title}, language=lang,
                              year=2023, published_at=utcnow())
            pub.authorships.append(Authorship(person=Person(name=author), position=1, name_as_printed=author))
            s.add(pub)
            s.flush()
            s.add(PublicationPage(publication_id=pub.id, number=1, text=body))
            ids[key] = pub.id
        enqueue(s, list(ids.values()))
        s.commit()
    process_index_tasks(archive)
    return ids


@pytest.fixture
def xl_archive(xl_app):
    return xl_app.extensions["archive"]


def search(archive, text, **kw):
    with archive.db.session() as s:
        return run_search(archive, s, text, **kw)


def ids(result) -> list[int]:
    return [h.publication.id for h in result.hits]


def test_russian_query_finds_the_kazakh_article_after_the_russian_one(xl_app, xl_archive):
    r = search(xl_archive, "межэтническое согласие", limit=10)
    assert ids(r) == [xl_app.ids["ru_accord"], xl_app.ids["kk_accord"]]
    assert [h.translated for h in r.hits] == [False, True]
    assert r.total == 2 and r.translated == 1 and r.translated_languages == ("kk",)
    assert "этносаралық келісім" in {t.target for t in r.translation.terms}


@pytest.mark.parametrize("text", ["этносаралық келісім", "etnosaralyq kelisim"], ids=["cyrillic", "latin"])
def test_kazakh_query_in_either_script_finds_the_russian_article(xl_app, xl_archive, text):
    r = search(xl_archive, text, limit=10)
    assert ids(r) == [xl_app.ids["kk_accord"], xl_app.ids["ru_accord"]]
    assert r.translated_languages == ("ru",)


def test_a_russian_body_mentioning_the_word_once_ranks_above_a_kazakh_title_holding_its_counterpart(
        xl_app, xl_archive):
    r = search(xl_archive, "язык", limit=10)
    assert ids(r) == [xl_app.ids["ru_school"], xl_app.ids["kk_language"]]


def test_translation_off_for_one_search_finds_only_the_query_language(xl_app, xl_archive):
    r = search(xl_archive, "межэтническое согласие", limit=10, translate=False)
    assert ids(r) == [xl_app.ids["ru_accord"]] and not r.translation and r.translated == 0


def test_the_cache_never_answers_one_setting_with_the_other(xl_app, xl_archive):
    both = [xl_app.ids["ru_accord"], xl_app.ids["kk_accord"]]
    for _ in range(2):
        assert ids(search(xl_archive, "межэтническое согласие", limit=10)) == both
        assert ids(search(xl_archive, "межэтническое согласие", limit=10, translate=False)) == both[:1]


def test_site_setting_turns_the_bridge_off(xl_app, xl_archive):
    xl_archive.config["SEARCH_BRIDGE"] = False
    assert ids(search(xl_archive, "межэтническое согласие", limit=10)) == [xl_app.ids["ru_accord"]]


def test_pages_follow_each_other_across_the_two_tiers(xl_app, xl_archive):
    pages = [ids(search(xl_archive, "межэтническое согласие", page=n, limit=1)) for n in (1, 2, 3)]
    assert pages == [[xl_app.ids["ru_accord"]], [xl_app.ids["kk_accord"]], []]


BILINGUAL = {"titles": {"kk": "Тіл және тіл үйрену", "ru": "Язык и изучение языка"},
             "keywords": ["языкознание", "учебник", "тіл білімі", "оқулық"]}      # two keyword links


def _retitle(archive, pid, titles, keywords=()):
    with archive.db.session() as s:
        pub = s.get(Publication, pid)
        pub.titles = titles
        pub.keywords = list(keywords)
        enqueue(s, [pid])
        s.commit()
    process_index_tasks(archive)    # as every change is indexed after its commit


def test_indexing_builds_the_bridge_only_when_bilingual_metadata_changes(xl_app, xl_archive, monkeypatch):
    monkeypatch.setattr(bridge_service, "_built", {})        # bridges an earlier test built from the same records
    _retitle(xl_archive, xl_app.ids["ru_school"], {"ru": "Образование в районе"})   # built: none stored yet
    built = bridge_service.builds
    search(xl_archive, "межэтническое согласие")
    first = bridge_service.cached_bridge(xl_archive)
    _retitle(xl_archive, xl_app.ids["ru_school"], {"ru": "Школы района"})   # a Russian-only change: no new link
    search(xl_archive, "язык")
    assert bridge_service.builds == built and bridge_service.cached_bridge(xl_archive) is first
    _retitle(xl_archive, xl_app.ids["kk_language"], **BILINGUAL)
    assert bridge_service.builds == built + 1                # built by the indexing step, before any search
    search(xl_archive, "язык")
    assert bridge_service.builds == built + 1 and bridge_service.cached_bridge(xl_archive) is not first
    assert any("parallel:%d" % xl_app.ids["kk_language"] in lk.sources
               for lk in bridge_service.cached_bridge(xl_archive).links)


def test_a_search_after_an_index_change_never_reads_the_archive_for_the_bridge(xl_app, xl_archive, monkeypatch):
    search(xl_archive, "межэтническое согласие")
    _retitle(xl_archive, xl_app.ids["kk_language"], **BILINGUAL)
    called = []

    def forbidden(*args, **kwargs):
        called.append(args)
        raise AssertionError("a search built the bridge from the archive")

    monkeypatch.setattr(bridge_service, "parallel_records", forbidden)
    monkeypatch.setattr(bridge_service, "build_bridge", forbidden)
    statements: list[str] = []
    engine = xl_archive.db.engine
    listen = lambda conn, cursor, statement, *a: statements.append(" ".join(statement.split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        r = search(xl_archive, "межэтническое согласие", limit=10)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert not called
    assert ids(r) == [xl_app.ids["ru_accord"], xl_app.ids["kk_accord"]] and r.translated == 1
    reads = [st for st in statements if "FROM publications" in st]
    assert reads and all("publications.id IN" in st for st in reads), reads   # only the hits, by id
    assert any("parallel:%d" % xl_app.ids["kk_language"] in lk.sources
               for lk in bridge_service.cached_bridge(xl_archive).links)   # the bridge the indexing step stored


def test_a_search_without_a_stored_bridge_is_untranslated_and_says_so_once(xl_app, xl_archive, monkeypatch,
                                                                           caplog):
    monkeypatch.setattr(bridge_service, "_loaded", {})       # a process that has loaded no bridge yet
    monkeypatch.setattr(bridge_service, "_said", set())
    shutil.rmtree(bridge_service.store_of(xl_archive).folder)
    with caplog.at_level(logging.WARNING, logger=bridge_service.__name__):
        for _ in range(3):
            assert ids(search(xl_archive, "межэтническое согласие", limit=10)) == [xl_app.ids["ru_accord"]]
    assert len([r for r in caplog.records if "no stored term bridge" in r.getMessage()]) == 1
    jobs.catch_up_index(xl_archive)                          # the worker stores it again (every minute)
    assert ids(search(xl_archive, "межэтническое согласие", limit=10))[1:] == [xl_app.ids["kk_accord"]]


def test_a_search_keeps_the_last_bridge_when_the_stored_one_is_stale_or_damaged(xl_app, xl_archive, monkeypatch,
                                                                               caplog):
    monkeypatch.setattr(bridge_service, "_said", set())
    both = [xl_app.ids["ru_accord"], xl_app.ids["kk_accord"]]
    store = bridge_service.store_of(xl_archive)
    digest = store.pointer().digest
    monkeypatch.setattr(bridge_service, "refresh_bridge", lambda *a, **k: None)   # the indexing step fails
    _retitle(xl_archive, xl_app.ids["ru_school"], {"ru": "Школы района"})
    monkeypatch.setattr(bridge_service, "_loaded", {})       # a process that has loaded no bridge yet
    with caplog.at_level(logging.WARNING, logger=bridge_service.__name__):
        for _ in range(3):                                   # older than the index: used, said once
            assert ids(search(xl_archive, "межэтническое согласие", limit=10)) == both
        (store.folder / f"bridge-{digest}.json").write_text("{damaged", encoding="utf-8")
        (store.folder / "CURRENT").write_text(json.dumps({"generation": "x", "digest": "0" * 32}), encoding="utf-8")
        for _ in range(3):                                   # unreadable: the last one loaded, said once
            assert ids(search(xl_archive, "межэтническое согласие", limit=10)) == both
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if "was made for index generation" in m]) == 1, said
    assert len([m for m in said if "could not be read" in m]) == 1, said
    monkeypatch.setattr(bridge_service, "_loaded", {})       # another process: none loaded, none readable
    assert ids(search(xl_archive, "межэтническое согласие", limit=10)) == both[:1]


@pytest.mark.parametrize("locale,text,note", [
    ("ru", "межэтническое согласие", "Также найдено на казахском языке по переводу:"),
    ("kk", "этносаралық келісім", "Орыс тілінде де табылды:"),
    ("en", "межэтническое согласие", "Also found in Kazakh via translation:"),
])
def test_results_page_says_what_was_translated_and_turns_it_off_and_on(xl_app, locale, text, note):
    client = xl_app.test_client()
    html = client.get(f"/{locale}/search?q={quote(text)}").get_data(as_text=True)
    assert note in html
    assert 'lang="kk">этносаралық келісім</span>' in html or 'lang="ru">межэтническое согласие</span>' in html
    assert "xl=0" in html
    off = client.get(f"/{locale}/search?q={quote(text)}&xl=0").get_data(as_text=True)
    assert note not in off and "translation-note" in off
    assert "xl=0" in off.split('class="pager', 1)[-1]            # the next page keeps the setting
    assert "&amp;xl=0" not in off.split("translation-note", 1)[1].split("</p>", 1)[0]   # the way back on


def test_api_reports_the_translation_and_accepts_xl(xl_app):
    client = xl_app.test_client()
    on = client.get("/api/search?q=" + quote("межэтническое согласие")).get_json()
    assert on["total"] == 2 and [h["translated"] for h in on["hits"]] == [False, True]
    tr = on["translation"]
    assert tr["enabled"] and tr["found"] == 1 and tr["languages"] == ["kk"]
    assert {"words": ["межэтническое", "согласие"], "from": "ru", "to": "kk", "counterpart": "этносаралық келісім",
            "confidence": 1.0} in tr["terms"]
    second = client.get("/api/search?page=2&limit=1&q=" + quote("межэтническое согласие")).get_json()
    assert [h["id"] for h in second["hits"]] == [xl_app.ids["kk_accord"]] and second["hits"][0]["translated"]
    off = client.get("/api/search?xl=0&q=" + quote("межэтническое согласие")).get_json()
    assert off["total"] == 1 and off["translation"] == {"enabled": False, "found": 0, "languages": [], "terms": []}


def test_related_publications_list_the_twin_in_the_other_language(xl_app, xl_archive):
    with xl_archive.db.session() as s:
        kk = s.get(Publication, xl_app.ids["kk_accord"])
        ru = s.get(Publication, xl_app.ids["ru_accord"])
        assert [p.id for p in translated_twins(xl_archive, s, kk)] == [ru.id]
        assert [p.id for p in translated_twins(xl_archive, s, ru)] == [kk.id]
    html = xl_app.test_client().get(f"/ru/p/{xl_app.ids['kk_accord']}").get_data(as_text=True)
    section = html.split('id="twins-h"', 1)[1]
    assert section.index(TEXTS["ru_accord"][1]) < section.index("</section>")


def test_expert_finder_finds_the_kazakh_writing_author_for_a_russian_query(xl_archive):
    with xl_archive.db.session() as s:
        names = [e.person.name for e in find_experts(xl_archive, s, "межэтническое согласие")]
        assert names == ["Иванова Анна", "Сейтқали Бақыт"]
        only_own = [e.person.name for e in find_experts(xl_archive, s, "межэтническое согласие", translate=False)]
        assert only_own == ["Иванова Анна"]
