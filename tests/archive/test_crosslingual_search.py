"""The Russian ↔ Kazakh term bridge in the archive's search, on every backend: a query in one language finds
work in the other after the reader's own, the page and the API say so and let the reader turn it off, related
publications list a Kazakh article's Russian twins, and the expert finder finds the Kazakh-writing expert."""
from __future__ import annotations

from urllib.parse import quote

import pytest

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


def test_a_search_reuses_the_bridge_until_bilingual_metadata_changes(xl_app, xl_archive, monkeypatch):
    monkeypatch.setattr(bridge_service, "_built", {})        # bridges an earlier test built from the same records
    search(xl_archive, "межэтническое согласие")
    built = bridge_service.builds
    first = bridge_service.cached_bridge(xl_archive)
    search(xl_archive, "религия")
    with xl_archive.db.session() as s:          # a Russian-only publication changes no parallel record
        s.get(Publication, xl_app.ids["ru_school"]).title = "Образование в районе"
        enqueue(s, [xl_app.ids["ru_school"]])
        s.commit()
    process_index_tasks(xl_archive)    # as every change is indexed after its commit
    search(xl_archive, "язык")
    assert bridge_service.builds == built and bridge_service.cached_bridge(xl_archive) is first
    with xl_archive.db.session() as s:          # a bilingual one does: its keywords become links
        pub = s.get(Publication, xl_app.ids["kk_language"])
        pub.titles = {"kk": pub.title, "ru": "Язык и изучение языка"}
        enqueue(s, [pub.id])
        s.commit()
    process_index_tasks(xl_archive)
    search(xl_archive, "язык")
    assert bridge_service.builds == built + 1


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
