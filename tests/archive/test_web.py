"""Pages and the JSON API through the Flask test client."""
import pytest

from archive.services.ingest import ingest_file
from support import KK_ARTICLE, RU_ARTICLE, make_pdf


@pytest.fixture
def loaded(archive, tmp_path):
    ru = ingest_file(archive, make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf", publish=True)
    kk = ingest_file(archive, make_pdf(tmp_path / "kk.pdf", KK_ARTICLE), "kk.pdf", publish=True)
    draft = ingest_file(archive, make_pdf(tmp_path / "d.pdf", ["Черновик о согласии, ещё не проверен."]), "d.pdf")
    return {"ru": ru.publication_ids[0], "kk": kk.publication_ids[0], "draft": draft.publication_ids[0]}


def test_home_lists_recent_publications_and_search_box(client, loaded):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'role="search"' in html and "Межэтническое согласие" in html
    assert "Черновик" not in html


def test_search_page_shows_total_snippets_with_marks_and_page_numbers(client, loaded):
    html = client.get("/search?q=озёрам&hl=en").get_data(as_text=True)
    assert "1 result" in html
    assert "<mark>озёра</mark>" in html
    assert f'/p/{loaded["ru"]}#page-1' in html


def test_search_results_name_the_authors_in_order_like_the_publication_page(client, loaded, archive):
    """The result line's authors come from one query for names (not an eager load of every person): the same
    names, in the same order, as the publication's own page shows."""
    from archive.models import Authorship, Person, Publication

    with archive.db.session() as s:
        pub = s.get(Publication, loaded["ru"])
        first = pub.authorships[0].person.name if pub.authorships else None
        s.add(Authorship(publication=pub, position=99, person=Person(name="Яковлева Зоя Петровна")))
        s.add(Authorship(publication=pub, position=-1, person=Person(name="Абенова Айгуль")))
        s.commit()
    html = client.get("/search?q=озёрам&hl=en").get_data(as_text=True)
    meta = html[html.index('class="meta"'):]
    meta = meta[:meta.index("</span>\n") if "</span>\n" in meta else 600]
    names = [n for n in ("Абенова Айгуль", first, "Яковлева Зоя Петровна") if n]
    assert all(n in meta for n in names), meta
    assert [meta.index(n) for n in names] == sorted(meta.index(n) for n in names)


def test_search_page_shows_an_articles_volume_and_pages_and_a_commentarys_quote(client, archive):
    """The result line of an article of a volume names the volume and its printed pages, and a commentary (no
    pages) shows its quote: what the page reads of each hit as a plain row (``HitRecord``)."""
    import html as html_lib

    from archive.models import Publication
    from archive.services.indexing import enqueue, process_index_tasks
    from support import DEMO

    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    with archive.db.session() as s:
        art = s.get(Publication, out.publication_ids[1])
        title, volume, pages = art.title, art.volume.title, art.pages_label
        quote = Publication(kind="commentary", status="published", language="ru", title="Комментарий агентству",
                            extra={"quote": "Бегемотология межконфессионального диалога.", "outlet": "Казинформ"})
        s.add(quote)
        s.flush()
        enqueue(s, [quote.id])
        s.commit()
    process_index_tasks(archive)
    assert pages
    page = html_lib.unescape(client.get("/search?q=межконфессионального+диалога&hl=en").get_data(as_text=True))
    line = page[page.index(title):]
    line = line[:line.index("</li>")]
    assert f'in <em lang="ru">{volume}</em>, pp. {pages}</span>' in line
    assert "<mark>Бегемотология</mark>" not in page
    assert "<mark>межконфессионального</mark> <mark>диалога</mark>." in page        # the commentary's quote


def test_search_relaxed_notice_when_no_document_has_all_words(client, loaded):
    html = client.get("/search?q=озёрам+ақындары&hl=en").get_data(as_text=True)
    assert "some of them" in html


@pytest.mark.parametrize("q", ['"unbalanced', "AND(", "😀", "x" * 5000, "<script>alert(1)</script>", "year:", "-",
                               "title:\"", "%00"])
def test_any_query_returns_a_page(client, loaded, q):
    r = client.get("/search", query_string={"q": q})
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.get_data(as_text=True)
    assert client.get("/api/search", query_string={"q": q}).status_code == 200


def test_publication_page_has_metadata_abstract_full_text_and_downloads(client, loaded):
    html = client.get(f"/p/{loaded['ru']}").get_data(as_text=True)
    assert "Иванова" in html and 'id="page-2"' in html
    assert "языковой политике" in html                            # abstract
    r = client.get(f"/p/{loaded['ru']}/original")
    assert r.status_code == 200 and r.data.startswith(b"%PDF") and r.mimetype == "application/pdf"


def test_drafts_are_not_public(client, loaded):
    assert client.get(f"/p/{loaded['draft']}").status_code == 404
    assert client.get(f"/p/{loaded['draft']}/original").status_code == 404
    assert client.get(f"/api/publications/{loaded['draft']}").status_code == 404


def test_missing_publication_is_a_friendly_404(client, loaded):
    r = client.get("/p/999999?hl=en")
    assert r.status_code == 404 and "Page not found" in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


def test_api_search_fields_are_stable(client, loaded):
    data = client.get("/api/search?q=озёрам&limit=5").get_json()
    assert set(data) >= {"query", "total", "page", "hits"}
    assert data["total"] == 1 and data["page"] == 1 and data["query"] == "озёрам"
    hit = data["hits"][0]
    assert set(hit) >= {"id", "url", "title", "authors", "year", "language", "kind", "collection", "pages",
                        "source_file", "score", "snippet"}
    assert hit["id"] == loaded["ru"] and hit["url"].endswith(f"/p/{loaded['ru']}")
    assert hit["authors"] == ["Иванова М.П."] and hit["language"] == "ru" and hit["kind"] == "article"
    assert hit["collection"] is None and hit["pages"] is None and hit["source_file"] == "ru.pdf"
    assert "<mark>" in hit["snippet"]


def test_api_search_paging_and_junk_parameters(client, loaded):
    data = client.get("/api/search?q=&page=2&limit=1").get_json()
    assert data["total"] == 2 and len(data["hits"]) == 1 and data["page"] == 2
    assert client.get("/api/search?q=x&page=abc&limit=-5").status_code == 200


def test_api_publication_record(client, loaded):
    data = client.get(f"/api/publications/{loaded['kk']}").get_json()
    assert data["id"] == loaded["kk"] and data["language"] == "kk"
    assert data["files"]["original"].endswith(f"/p/{loaded['kk']}/original")


def test_security_headers_present(client):
    r = client.get("/")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_language_switch_changes_interface(client):
    assert 'lang="kk"' in client.get("/?hl=kk").get_data(as_text=True)
    assert 'lang="en"' in client.get("/?hl=en").get_data(as_text=True)


def test_did_you_mean_links_a_corrected_query(client, loaded):
    html = client.get("/search?q=межэтничиское&hl=en").get_data(as_text=True)
    assert "Did you mean" in html and "межэтнический" in html
    assert client.get("/api/search?q=межэтничиское").get_json()["suggestion"]


def test_facets_combine_in_the_url_and_are_removable(client, loaded):
    html = client.get("/search?q=&hl=en").get_data(as_text=True)
    assert "year=2019" in html and "Russian" in html
    html = client.get("/search?q=&year=2019&lang=ru&hl=en").get_data(as_text=True)
    assert "1 result" in html
    # the active filters are listed with links that drop one of them and keep the other
    assert "lang=ru" in html and "Remove filter" in html
    r = client.get("/search?q=&year=2019&hl=en&sort=oldest")
    assert r.status_code == 200


def test_facet_labels_name_topics_in_the_page_language_and_people_by_name(client, loaded, archive):
    from sqlalchemy import select

    from archive.models import Authorship, Person, Publication, PublicationTopic, Topic
    from archive.services.indexing import enqueue, process_index_tasks
    from archive.services.topics import ensure_topics

    with archive.db.session() as s:
        ensure_topics(s)
        topic = s.scalars(select(Topic).where(Topic.label_en == "Language policy")).one()
        pub = s.get(Publication, loaded["ru"])
        s.merge(PublicationTopic(publication_id=pub.id, topic_id=topic.id, suggested=False))
        s.add(Authorship(publication=pub, position=50, person=Person(name="Тулегенова Сауле Маратовна")))
        enqueue(s, [pub.id])
        s.commit()
        slug, kk, en = topic.slug, topic.label_kk, topic.label_en
    process_index_tasks(archive)
    for lang, label in (("kk", kk), ("en", en)):
        html = client.get(f"/search?q=&hl={lang}").get_data(as_text=True)
        facets = html[html.index('class="facets"'):]
        assert f"topic={slug}" in facets and f">{label}</a>" in facets, lang
        assert ">Тулегенова Сауле Маратовна</a>" in facets, lang


def test_the_hits_list_shows_titles_lines_passages_and_the_partial_hits_after_their_note(app):
    """``hit_list``: each hit's title links to the page of its best passage, in its own language; its passages
    link to their pages as printed; a hit without passages shows its lead; the hits with only some of the words
    follow a note, numbered on; titles are escaped, passages kept as made (escaped, with their marks)."""
    from archive.search import HitRecord, SearchHit, SearchPage, VolumeName
    from archive.ui import hit_list
    from indexer.query import ParsedQuery
    from indexer.snippets import Snippet

    vol = HitRecord(7, "volume", "Сборник <1>", "", 2020, None, None, None, None, None)
    art = HitRecord(12, "article", "Тіл & мәдениет", "kk", 2021, 5, 7, None, None, VolumeName(3, "Жинақ"))
    short = HitRecord(30, "commentary", "Comment", "", None, None, None, None, None, None)
    hits = [SearchHit(art, 1.0, [Snippet(2, "<mark>тіл</mark> туралы", 1.0, "6")], "", authors=["Әбенова Г."]),
            SearchHit(vol, 0.5, [Snippet(4, "о <mark>языке</mark> и культуре народов", 1.0, ""),
                                 Snippet(9, "<mark>тіл</mark> және мәдениет туралы сөз", 0.5, "")], "", partial=True),
            SearchHit(short, 0.2, [], "a quote &amp; more", partial=True)]
    page = SearchPage(ParsedQuery(groups=[]), hits, total=23, page=2, limit=10)
    with app.test_request_context("/kk/search?q=x", environ_overrides={"archive.url_locale": "kk",
                                                                       "SCRIPT_NAME": "/kk"}):
        from flask_babel import refresh
        refresh()
        html = str(hit_list(page))
    note = "Бұл жарияланымдарда сөздердің тек бір бөлігі бар:"
    assert html == (
        '<ol class="results" start="11">\n'
        '<li class="hit">\n'
        '<a class="title" href="/kk/p/12#page-2" lang="kk">Тіл &amp; мәдениет</a><br>\n'
        '<span class="meta"><span>Әбенова Г.</span> · 2021 · Қазақ тілі · жинақ: <em>Жинақ</em>, б. 5-7</span>\n'
        '<p class="snippet" lang="kk"><a class="page" href="/kk/p/12#page-2" lang="kk">б. 6</a> '
        '<mark>тіл</mark> туралы</p>\n'
        '</li>\n'
        '</ol>\n'
        f'<p class="notice partial-note" id="partial">{note}</p>\n'
        '<ol class="results partial" start="12">\n'
        '<li class="hit partial">\n'
        '<a class="title" href="/kk/p/7#page-4" lang="ru">Сборник &lt;1&gt;</a><br>\n'
        '<span class="meta">2020</span>\n'
        '<p class="snippet" lang="ru"><a class="page" href="/kk/p/7#page-4" lang="kk">б. 4</a> '
        'о <mark>языке</mark> и культуре народов</p>\n'
        '<p class="snippet" lang="kk"><a class="page" href="/kk/p/7#page-9" lang="kk">б. 9</a> '
        '<mark>тіл</mark> және мәдениет туралы сөз</p>\n'
        '</li>\n'
        '<li class="hit partial">\n'
        '<a class="title" href="/kk/p/30" lang="en">Comment</a><br>\n'
        '<span class="meta"></span>\n'
        '<p class="snippet" lang="en">a quote &amp; more</p>\n'
        '</li>\n'
        '</ol>')


def test_a_name_or_titles_language_is_told_by_its_letters_whatever_was_asked_before():
    """Names and titles (kept per text) by their letters; no letters gives the caller's default, each time its own;
    a long text goes to the detector."""
    from archive.ui import text_language

    for _ in range(2):              # the second time from what was kept
        assert [text_language(t) for t in ("Ким С.В.", "Әбенова Г.", "Qazaqstan halqy Assambleiasy", "Smith J.")] \
            == ["ru", "kk", "kk", "en"]
        assert (text_language("12", "kk"), text_language("12", "ru"), text_language("", "en")) == ("kk", "ru", "en")
    assert text_language("Қазақстан халқы Ассамблеясының ғылыми-сараптамалық тобы этносаралық қатынастарды "
                         "зерттейді және ұсыныстар береді") == "kk"


def test_a_hits_line_names_its_authors_year_language_and_volume(app):
    from archive.models import Publication, Volume
    from archive.ui import pub_meta

    vol = Volume(title="Қазақстан халқы Ассамблеясы <30 жыл>")
    pub = Publication(title="Статья", year=2021, language="ru", volume=vol, page_start=5, page_end=7)
    with app.test_request_context("/?hl=en"):
        html = str(pub_meta(pub, ["Ким С.В.", "Әбенова Г.", "<b>"]))
    assert html == ('<span class="meta"><span lang="ru">Ким С.В.</span>, <span lang="kk">Әбенова Г.</span>, '
                    '<span>&lt;b&gt;</span> · 2021 · Russian · in <em lang="kk">Қазақстан халқы Ассамблеясы '
                    '&lt;30 жыл&gt;</em>, pp. 5-7</span>')
    with app.test_request_context("/?hl=ru"):
        assert str(pub_meta(Publication(title="Без года"), [])) == '<span class="meta"></span>'
        # No separator opens the line of a hit without authors.
        assert str(pub_meta(Publication(title="Без авторов", year=2023, language="kk"), [])) == (
            '<span class="meta">2023 · Казахский</span>')


def test_facet_labels_are_reused_for_a_while_then_read_again(archive):
    """A search page's facet labels come from a short-lived cache: no query while fresh, a rename shown once
    ``LABEL_TTL`` has passed, each page language apart."""
    from sqlalchemy import event

    from archive.models import Person
    from archive.services.browse import LABEL_TTL, entity_labels

    with archive.db.session() as s:
        person = Person(name="Абенова Гульнар")
        s.add(person)
        s.commit()
        pid = str(person.id)
    queries: list[str] = []

    def count(conn, cursor, statement, *args):
        queries.append(statement)

    engine = archive.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with archive.db.session() as s:
            assert entity_labels(s, "persons", [pid, "999999"], "ru", now=1000.0) == {pid: "Абенова Гульнар"}
            assert len(queries) == 1
            s.get(Person, int(pid)).name = "Абенова Гульнара"
            s.commit()
            queries.clear()
            # Within the time: the label kept, an unknown id not asked again, no query at all.
            assert entity_labels(s, "persons", [pid, "999999"], "ru", now=1000.0 + LABEL_TTL - 1) == {
                pid: "Абенова Гульнар"}
            assert queries == []
            # Another page language is its own entry (topic labels differ by language).
            assert entity_labels(s, "persons", [pid], "kk", now=1000.0 + LABEL_TTL - 1) == {pid: "Абенова Гульнара"}
            assert len(queries) == 1
            # Past the time: read again.
            assert entity_labels(s, "persons", [pid], "ru", now=1000.0 + LABEL_TTL) == {pid: "Абенова Гульнара"}
            assert len(queries) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("args", ["from=²", "to=٣", "year=99999999999999999999", "person=²", "volume=-1", "from=abc"])
def test_odd_filter_values_are_ignored(client, args):
    assert client.get(f"/search?q=x&{args}").status_code == 200
    assert client.get(f"/api/search?q=x&{args}").status_code == 200
