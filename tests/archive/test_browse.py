"""Browse pages (authors, people, years, topics, volumes, languages, kinds, experts, members) on the demo files."""
import os
import re
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import select

from archive.models import Authorship, Person, Publication
from archive.services.ingest import ingest_file
from archive.services.topics import apply_suggestions_all
from support import DEMO, make_pdf, sqlite_plan, statements

KIM_2024 = [
    "УДК 81'272\nКим С.В.\nКазахский национальный университет\nАлматы, 2024\n"
    "ЯЗЫКОВАЯ ПОЛИТИКА В ШКОЛАХ АЛМАТЫ: ТРЁХЪЯЗЫЧИЕ ПОСЛЕ РЕФОРМЫ\n"
    "Аннотация. Статья о языковой политике и трёхъязычии в школах Алматы в 2024 году.\n"
    "Ключевые слова: языковая политика, трёхъязычие, школа.\n"
    "Языковая политика в школах Алматы опирается на опыт вузов. Языковую политику обсуждают родители.",
    "Государственный язык и языковая политика остаются в центре внимания учителей.",
]
DRAFT = ["УДК 323\nДрафтов П.П.\nАлматы, 2024\nЧЕРНОВИК О ЯЗЫКОВОЙ ПОЛИТИКЕ\nЯзыковая политика, черновик."]


def _register(app):
    from archive.views import browse

    if "browse" not in app.blueprints:       # until create_app registers the blueprint itself
        app.register_blueprint(browse.bp)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One archive with the demo files, a newer article by Kim, a commentary, a member and a draft."""
    from archive import create_app
    from archive.migrate import upgrade

    tmp = tmp_path_factory.mktemp("browse")
    config = {"TESTING": True, "DATA_DIR": str(tmp / "data"), "SECRET_KEY": "t", "DATABASE_URL": "",
              "OCR_ENABLED": os.environ.get("ARCHIVE_TEST_OCR", "1") == "1"}
    application = create_app(config)
    _register(application)
    archive = application.extensions["archive"]
    upgrade(archive.db.url)
    for f in sorted(DEMO.iterdir()):
        assert ingest_file(archive, f, f.name, publish=True).status == "ok"
    assert ingest_file(archive, make_pdf(tmp / "kim.pdf", KIM_2024), "kim.pdf", publish=True).status == "ok"
    assert ingest_file(archive, make_pdf(tmp / "draft.pdf", DRAFT), "draft.pdf").status == "ok"
    with archive.db.session() as s:
        kim = s.scalars(select(Person).where(Person.surname == "Ким")).one()
        kim.is_member = True
        kim.degree, kim.position, kim.institution = "к.филол.н.", "доцент", "КазНУ им. аль-Фараби"
        kim.press_contact, kim.press_contact_agreed = "press@example.kz", True
        comment = Publication(kind="commentary", status="published", title="Комментарий о языковых курсах",
                              language="ru", year=2024, extra={"outlet": "Казинформ"})
        comment.authorships.append(Authorship(person=kim, position=1, name_as_printed="Светлана Ким"))
        s.add(comment)
        apply_suggestions_all(s)
        s.commit()
    yield application
    archive.close()


@pytest.fixture
def ids(archive):
    with archive.db.session() as s:
        people = {p.surname: p.id for p in s.scalars(select(Person))}
        pubs = {p.title: p for p in s.scalars(select(Publication))}
        return {"people": people, "pubs": {t: (p.id, p.kind, p.volume_id, p.status) for t, p in pubs.items()}}


def _html(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    return r.get_data(as_text=True)


def test_authors_index_orders_kazakh_letters_and_links_people(client, ids):
    html = _html(client, "/authors?hl=en")
    a, ae, b = html.index("Абдрахманова"), html.index("Әбдіхалықұлы"), html.index("Байжанұлы")
    assert a < ae < b
    assert html.index('id="letter-Ә"') < html.index('id="letter-Б"')
    nav = html[html.index('class="alphabet"'):html.index("</nav>", html.index('class="alphabet"'))]
    assert nav.index(">Г<") < nav.index(">Ғ<") < nav.index(">Д<") and nav.index(">Я<") < nav.index(">A<")
    assert f'/authors/{ids["people"]["Абдрахманова"]}"' in html and 'href="#letter-Ә"' in html


def test_authors_index_counts_a_docx_and_its_pdf_once_and_hides_draft_authors(client, ids):
    html = _html(client, "/authors")
    m = re.search(r'Абдрахманова Р\.Т\.</a> <span class="n"[^>]*>(\d+)<', html)
    assert m and m.group(1) == "1"
    assert "Драфтов" not in html
    assert client.get(f'/authors/{ids["people"]["Драфтов"]}').status_code == 404


def _people_on(html):
    """(ids of the people listed, the previous and next page links) of an /authors page."""
    listed = [int(i) for i in re.findall(r'<li><a href="/authors/(\d+)"', html)]
    prev = re.search(r'rel="prev" href="([^"]+)"', html)
    nxt = re.search(r'rel="next" href="([^"]+)"', html)
    return listed, prev and prev.group(1).replace("&amp;", "&"), nxt and nxt.group(1).replace("&amp;", "&")


def test_authors_index_pages_through_everyone_once_in_order_and_back(client, archive, monkeypatch):
    from archive.services import browse

    everyone, prev, nxt = _people_on(_html(client, "/authors"))
    assert len(everyone) > 7 and prev is None and nxt is None          # one page holds a small archive
    monkeypatch.setattr(browse, "AUTHORS_PER_PAGE", 3)
    pages, url = [], "/authors"
    while url:
        listed, prev, url = _people_on(_html(client, url))
        assert 0 < len(listed) <= 3 and (prev is None) == (not pages)
        pages.append(listed)
    assert [i for p in pages for i in p] == everyone                  # the same order, each person once
    back, url = [], prev
    while url:                                                          # and back from the last page
        listed, url, _nxt = _people_on(_html(client, url))
        back.append(listed)
    assert back[::-1] == pages[:-1]
    # A page reached from a person of another letter starts that letter: no page before it.
    with archive.db.session() as s:
        letters = {p.id: p.index_letter for p in s.scalars(select(Person).where(Person.id.in_(everyone)))}
    letter = letters[everyone[-1]]
    listed, prev, _nxt = _people_on(_html(client, f"/authors?letter={quote(letter)}&after={everyone[0]}"))
    assert listed == [i for i in everyone if letters[i] == letter][:3] and prev is None
    # A letter: its people only, from the same order, with a way back to the whole index.
    html = _html(client, f"/authors?letter={letter}")
    listed, _prev, _nxt = _people_on(html)
    assert listed == [i for i in everyone if letters[i] == letter][:3]
    assert f'href="#letter-{letter}" aria-current="page"' in html and 'href="/authors"' in html
    # The alphabet opens the index at a letter not on this page, and links no letter nobody is filed under.
    first = _html(client, "/authors")
    assert f'href="/authors?letter={quote(letter)}"' in first and f"?letter={quote('Щ')}" not in first
    empty = _html(client, "/authors?letter=Щ&hl=ru")
    assert "На эту букву авторов нет." in empty and _people_on(empty)[0] == []


def test_a_person_is_filed_anew_when_renamed(archive):
    from archive.collation import sort_name

    with archive.db.session() as s:
        p = Person(name="Ёлкин Пётр")
        s.add(p)
        s.flush()
        assert (p.index_letter, p.sort_name) == ("Ё", sort_name("Ёлкин Пётр"))
        p.name = "Ақын Ерлан"
        s.flush()
        s.expire(p)
        assert (p.index_letter, p.sort_name) == ("А", sort_name("Ақын Ерлан"))
        s.rollback()


@pytest.mark.parametrize("query", ["letter=zz", "letter=", "after=abc", "before=-5", "after=99999999999",
                                   "after=999999&letter=А", "letter=%00"])
def test_authors_index_takes_any_argument_and_answers_a_page(client, query):
    listed, _prev, _nxt = _people_on(_html(client, f"/authors?{query}"))
    assert isinstance(listed, list)


def _statements(archive):
    return statements(archive.db.engine)


def _plan(archive, statement, params) -> str:
    return sqlite_plan(archive.db.engine, statement, params)


def test_authors_index_orders_from_an_index_not_by_sorting_everyone(client, archive):
    """The page's people come from the sort index in order (no sort of all people: SQLite would say "USE TEMP
    B-TREE FOR ORDER BY"), and a duplicate's original is looked up by its key (no list of every published id)."""
    from archive.services import browse

    after = _people_on(_html(client, "/authors"))[0][2]
    with _statements(archive) as seen:
        for url in ("/authors", "/authors?letter=К", f"/authors?after={after}"):
            seen.clear()
            _html(client, url)
            pages = [(st, p) for st, p in seen if st.lstrip().startswith("SELECT people.id") and "ORDER BY" in st]
            assert len(pages) == 1, url
            plan = _plan(archive, *pages[0])
            assert "ix_people_" in plan and "TEMP B-TREE" not in plan and "LIST SUBQUERY" not in plan, plan
            assert " LIMIT " in pages[0][0]
        # A page's counts go from its people's authorships to their publications by key, never through the
        # status index over every publication (SQLite's choice, without statistics, for a list of 200 people).
        seen.clear()
        with archive.db.session() as s:
            browse._publication_counts(s, list(range(1, 201)))
        (counts, params), = [(st, p) for st, p in seen if "count(distinct" in st.lower()]
    plan = _plan(archive, counts, params)
    assert "ix_publications_status" not in plan and plan.startswith("SEARCH authorships"), plan
    # So do the topics of people (a person's page, the members' directory).
    with _statements(archive) as seen, archive.db.session() as s:
        browse.person_topics(s, list(range(1, 201)))
    (topics, params), = [(st, p) for st, p in seen if "FROM authorships" in st]
    plan = _plan(archive, topics, params)
    assert "ix_publications_status" not in plan and plan.startswith("SEARCH authorships"), plan


def test_home_page_reads_the_newest_publications_from_an_index(client, archive):
    """The home page's newest publications are read newest first from the published_at index until ten qualify,
    not all published ones gathered (by the status index) and sorted."""
    with _statements(archive) as seen:
        _html(client, "/")
    (newest, params), = [(st, p) for st, p in seen if "ORDER BY publications.published_at DESC" in st]
    plan = _plan(archive, newest, params)
    assert "ix_publications_published_at" in plan and "TEMP B-TREE" not in plan, plan


LISTINGS = ["/kinds/article", "/languages/ru", "/topics/language-policy", "/years/2023"]


def _listed(html):
    ids = [int(i) for i in re.findall(r'<li class="pub">\s*<a class="title" href="/p/(\d+)"', html)]
    prev = re.search(r'rel="prev" href="([^"]+)"', html)
    nxt = re.search(r'rel="next" href="([^"]+)"', html)
    label = re.search(r'<nav class="pager"[^>]*>.*?<span>([^<]*)</span>', html, re.S)
    return (ids, prev and prev.group(1).replace("&amp;", "&"), nxt and nxt.group(1).replace("&amp;", "&"),
            label and label.group(1))


def _expected(archive, url):
    """The listing's publications newest first, from the rows themselves: years known (descending), then unknown,
    the later id first within a year; published, a duplicate of a published one left out."""
    from archive.models import PublicationTopic, Topic

    with archive.db.session() as s:
        pubs = {p.id: p for p in s.scalars(select(Publication))}
        topics = {(link.publication_id, slug) for link, slug in s.execute(
            select(PublicationTopic, Topic.slug).join(Topic, Topic.id == PublicationTopic.topic_id))}
        kind, value = url.strip("/").split("/")
        keep = {"kinds": lambda p: p.kind == value, "languages": lambda p: p.language == value,
                "topics": lambda p: (p.id, value) in topics, "years": lambda p: p.year == int(value)}[kind]
        chosen = [p for p in pubs.values() if keep(p) and p.status == "published"
                  and not (p.duplicate_of_id and pubs[p.duplicate_of_id].status == "published")]
        return [p.id for p in sorted(chosen, key=lambda p: (p.year is None, -(p.year or 0), -p.id))]


@pytest.mark.parametrize("url", LISTINGS)
def test_listings_page_through_every_publication_once_newest_first_and_back(client, archive, monkeypatch, url):
    from archive.models import PublicationTopic, Topic
    from archive.services import browse

    # Two more articles with their year unknown: they come last, and the pages cross from known to unknown years.
    with archive.db.session() as s:
        topic = s.scalars(select(Topic).where(Topic.slug == "language-policy")).one()
        added = [Publication(kind="article", status="published", title=f"Без года {i}", language="ru", year=None)
                 for i in range(2)]
        s.add_all(added)
        s.flush()
        s.add_all([PublicationTopic(publication_id=p.id, topic_id=topic.id) for p in added])
        s.commit()
        added_ids = [p.id for p in added]
    try:
        expected = _expected(archive, url)
        assert len(expected) >= 3 and (url.startswith("/years") or expected[-2:] == sorted(added_ids)[::-1])
        everything, prev, nxt, label = _listed(_html(client, url))
        assert everything == expected and prev is None and nxt is None and label is None
        monkeypatch.setattr(browse, "PER_PAGE", 2)
        pages, labels, link = [], [], url
        while link:
            listed, prev, link, label = _listed(_html(client, link))
            assert 0 < len(listed) <= 2 and (prev is None) == (not pages)
            pages.append(listed)
            labels.append(label)
        assert [i for p in pages for i in p] == expected                   # each once, in order
        pages_total = -(-len(expected) // 2)
        assert labels[0].endswith(f" {pages_total}") and labels[-1].split()[-3] == str(pages_total), labels
        back, link = [], prev
        while link:                                                        # and back from the last page
            listed, link, _nxt, _label = _listed(_html(client, link))
            back.append(listed)
        assert back[::-1] == pages[:-1]
        # A cursor that names no publication of the listing, or junk, answers the first page.
        for junk in ("after=999999", "before=abc", "after=-1", "page=999"):
            assert _listed(_html(client, f"{url}?{junk}"))[0] == pages[0]
    finally:
        with archive.db.session() as s:
            for p in s.scalars(select(Publication).where(Publication.id.in_(added_ids))):
                s.delete(p)
            s.commit()


def test_listings_read_a_page_from_their_index_and_count_nothing(client, archive):
    """A listing's page is read in order from its own index, from the cursor on (no sort of every match: SQLite
    would say "USE TEMP B-TREE FOR ORDER BY"), and its total is the kept count (no count of the matches)."""
    index = {"/kinds/article": "ix_publications_kind_year", "/languages/ru": "ix_publications_language_year",
             "/topics/language-policy": "ix_publication_topics_topic_year", "/years/2023": "ix_publications_year_id"}
    for url, name in index.items():
        first = _listed(_html(client, url))[0]
        with _statements(archive) as seen:
            for link in (url, f"{url}?after={first[0]}", f"{url}?before={first[-1]}"):
                seen.clear()
                _html(client, link)
                assert not [st for st, _p in seen if "count(" in st.lower()], link
                pages = [(st, p) for st, p in seen if "FROM publications" in st and "ORDER BY" in st]
                assert pages, link
                plans = [_plan(archive, statement, params) for statement, params in pages]
                for plan in plans:
                    assert name in plan and "TEMP B-TREE" not in plan and "ix_publications_status" not in plan, plan
                if "=" in link:       # from a cursor: its own year by id, as a range of the index (not all of it)
                    assert any(re.search(r"year=\? AND (id|publication_id)[<>]\?", plan) for plan in plans), plans
                for statement, params in pages:   # (SQLite's dialect writes "OFFSET ?" after every LIMIT: 0 here)
                    assert " LIMIT " in statement and (" OFFSET " not in statement or params[-1] == 0), params


def test_a_topic_link_keeps_its_publications_year(archive):
    from archive.models import PublicationTopic, Topic

    with archive.db.session() as s:
        topic = s.scalars(select(Topic).where(Topic.slug == "demography")).one()
        pub = Publication(kind="article", status="draft", title="Год меняется", language="ru", year=2001)
        s.add(pub)
        s.flush()
        s.add(PublicationTopic(publication_id=pub.id, topic_id=topic.id))
        s.flush()

        def link_year():
            return s.scalar(select(PublicationTopic.year).where(PublicationTopic.publication_id == pub.id))
        assert link_year() == 2001
        pub.year = 2011
        s.flush()
        assert link_year() == 2011
        pub.year = None
        s.flush()
        assert link_year() is None
        s.rollback()


def test_person_page_shows_profile_variants_topics_publications_and_commentary(client, ids):
    html = _html(client, f'/authors/{ids["people"]["Ким"]}?hl=en')
    assert "Ким Светлана Вячеславовна" in html and "Kim Svetlana" not in html   # no generated mixed-script alias
    assert "press@example.kz" in html and "доцент" in html and "КазНУ им. аль-Фараби" in html
    assert "/topics/language-policy" in html
    newer = html.index("2024 · ")
    older = html.index("Языковая политика и трёхъязычие в вузах")
    assert newer < older                                  # newest first
    assert "ШКОЛАХ АЛМАТЫ" in html.upper()[:older]
    assert html.index("Media commentary") < html.index("Комментарий о языковых курсах")
    assert "ЧЕРНОВИК" not in html.upper()


def test_person_page_for_unknown_person_is_404(client):
    assert client.get("/authors/999999").status_code == 404


def _section(html: str, name: str) -> tuple[list[int], str | None, str | None]:
    """A person page section's publication ids in order, and its previous and next links."""
    found = re.search(rf'<section id="{name}".*?</section>', html, re.S)
    if not found:
        return [], None, None
    part = found.group(0)
    links = [re.search(rf'<a rel="{rel}" href="([^"]+)"', part) for rel in ("prev", "next")]
    return ([int(i) for i in re.findall(r'class="title" href="/p/(\d+)"', part)],
            *[m.group(1).replace("&amp;", "&").split("#")[0] if m else None for m in links])


def test_person_page_pages_each_section_on_its_own_and_the_api_pages_everything(client, archive, monkeypatch):
    """A prolific person's works, commentary and events each come a page at a time (never every one of them),
    newest first with unknown years last; the API pages all of them together."""
    from archive.services import browse

    with archive.db.session() as s:
        person = Person(name="Многотрудова Айгерим", surname="Многотрудова", given="Айгерим")
        made = {}
        for kind, years in {"article": [2020, None, 2024, 2020, 2018, None, 2022], "commentary": [2021, None, 2023],
                            "event": [2019, 2025], "book": [2020]}.items():
            for i, year in enumerate(years):
                pub = Publication(kind=kind, status="published", title=f"{kind} {i}", language="ru", year=year)
                pub.authorships.append(Authorship(person=person, position=1, name_as_printed=person.name))
                made.setdefault(kind, []).append(pub)
        draft = Publication(kind="article", status="draft", title="draft", language="ru", year=2030)
        draft.authorships.append(Authorship(person=person, position=1, name_as_printed=person.name))
        s.add_all([draft, *[p for pubs in made.values() for p in pubs]])
        s.commit()
        pid = person.id

        def order(pubs):
            return [p.id for p in sorted(pubs, key=lambda p: (p.year is None, -(p.year or 0), -p.id))]
        expected = {"works": order(made["article"] + made["book"]), "commentary": order(made["commentary"]),
                    "events": order(made["event"])}
        everything = order([p for pubs in made.values() for p in pubs])
    try:
        html = _html(client, f"/authors/{pid}")
        for name, ids in expected.items():
            assert _section(html, name)[0] == ids and f'<span class="n">{len(ids)}</span>' in html
        monkeypatch.setattr(browse, "PERSON_PER_PAGE", {"works": 3, "commentary": 2, "events": 1})
        for name, ids in expected.items():
            pages, link = [], f"/authors/{pid}"
            with _statements(archive) as seen:
                while link:
                    listed, prev, link = _section(_html(client, link), name)
                    assert 0 < len(listed) <= browse.PERSON_PER_PAGE[name] and (prev is None) == (not pages)
                    pages.append(listed)
                # Each page reads at most a page of the person's publications.
                reads = [(st, p) for st, p in seen if "FROM authorships JOIN publications" in st and "ORDER BY" in st]
                assert reads and all(" LIMIT " in st for st, _p in reads)
            assert [i for p in pages for i in p] == ids, name          # each once, in order
            assert _section(_html(client, f"/authors/{pid}?{name}=999"), name)[0] == pages[-1]
        # Paging one section keeps the others where they are.
        html = _html(client, f"/authors/{pid}?commentary=2&events=2")
        assert "commentary=2" in _section(html, "works")[2] and "events=2" in _section(html, "works")[2]
        assert _section(html, "commentary")[0] == expected["commentary"][2:]
        listed, total = [], None
        for page in range(1, 5):
            body = client.get(f"/api/people/{pid}?limit=4&page={page}").get_json()
            listed += [h["id"] for h in body["items"]]
            total = body["total"]
        assert listed == everything and total == len(everything)
    finally:
        with archive.db.session() as s:
            for pub in s.scalars(select(Publication).join(Authorship).where(Authorship.person_id == pid)):
                s.delete(pub)
            s.delete(s.get(Person, pid))
            s.commit()


def test_years_page_has_an_svg_chart_and_list(client):
    html = _html(client, "/years?hl=en")
    assert "<svg" in html and 'role="img"' in html and "<rect" in html
    assert "<title>2023: 4 publications</title>" in html           # the volume and its three articles
    assert "<title>2022: 1 publication</title>" in html            # the DOCX and its PDF count once
    assert 'href="/years/2019"' in html and "style=" not in html.split("<svg", 1)[1].split("</svg>")[0]


def test_year_page_lists_that_year_only_and_404_for_an_empty_year(client):
    html = _html(client, "/years/2020")
    assert "Языковая политика и трёхъязычие" in html and "Межэтнические отношения" not in html
    assert client.get("/years/1990").status_code == 404


def test_topics_page_and_topic_page(client):
    html = _html(client, "/topics?hl=en")
    assert "Language policy" in html and 'href="/topics/language-policy"' in html
    html = _html(client, "/topics/language-policy?hl=ru")
    assert "Языковая политика" in html and "Языковая политика и трёхъязычие" in html
    assert "/experts?topic=language-policy" in html
    assert client.get("/topics/no-such-topic").status_code == 404


def test_volumes_page_and_volume_contents_with_page_ranges(client, ids):
    html = _html(client, "/volumes")
    vol_id = next(v for _t, (_i, kind, v, _s) in ids["pubs"].items() if kind == "volume")
    assert f'href="/volumes/{vol_id}"' in html
    html = _html(client, f"/volumes/{vol_id}?hl=en")
    i1 = html.index("Межконфессиональный диалог")
    i2 = html.index("Этнокультурные объединения как посредники")
    i3 = html.index("Жастардың діни сауаттылығы")
    assert i1 < i2 < i3 and "pp. 5-7" in html and "978-601-80123-4-1" in html
    assert client.get("/volumes/999").status_code == 404


def test_language_and_kind_pages(client):
    kk = _html(client, "/languages/kk")
    assert "Жастардың діни сауаттылығы" in kk and "Языковая политика и трёхъязычие" not in kk
    comm = _html(client, "/kinds/commentary")
    assert "Комментарий о языковых курсах" in comm and "Межэтнические отношения" not in comm
    assert client.get("/languages/xx").status_code == 404
    assert client.get("/kinds/<script>").status_code == 404


@pytest.mark.parametrize("url", ["/years/2024", "/kinds/article", "/languages/ru", "/topics/language-policy",
                                 "/experts?q=черновик", "/experts?q=языковая+политика"])
def test_drafts_are_never_listed(client, url):
    assert "ЧЕРНОВИК О ЯЗЫКОВОЙ" not in _html(client, url).upper().replace("<MARK>", "").replace("</MARK>", "")


def test_expert_ranking_prefers_more_and_newer_work(app, archive, ids):
    from archive.services.browse import find_experts

    with app.test_request_context(), archive.db.session() as s:
        experts = find_experts(archive, s, "языковая политика", today=date(2025, 1, 1))
        names = [e.person.surname for e in experts]
        assert names[0] == "Ким"                          # two matching papers, one from 2024
        assert names.index("Оспанов") > 0                # her co-author of the 2020 paper only
        kim, osp = experts[0], experts[names.index("Оспанов")]
        assert kim.score > osp.score and kim.latest_year == 2024 and len(kim.publications) == 2
        assert 2 <= len(kim.passages) <= 3 and all("<mark>" in p.html for p in kim.passages)


def test_expert_finder_makes_records_and_snippets_for_the_passages_it_shows_only(app, archive, monkeypatch):
    """The hits are weighed from plain rows; snippets are made for the strongest hits of the people shown only
    (before, for every one of up to 400 hits, each loaded as a full record)."""
    from archive import search
    from archive.services.browse import find_experts

    made: list[int] = []
    real = search._snippets

    def recording(archive_, session, result, pubs, words):
        made.extend(pubs)
        return real(archive_, session, result, pubs, words)
    monkeypatch.setattr(search, "_snippets", recording)
    with app.test_request_context(), archive.db.session() as s:
        everyone = find_experts(archive, s, "языковая политика", today=date(2025, 1, 1))
        hits = {h.id for e in everyone for h in e.publications}
        made.clear()
        top, = find_experts(archive, s, "языковая политика", limit=1, passages=1, today=date(2025, 1, 1))
    assert len(hits) > 3 and top.person.surname == "Ким" and len(top.passages) == 1
    assert made and set(made) <= {p.id for p in top.publications} and len(made) <= 3, (made, hits)


def test_experts_page_shows_passages_with_marks_page_links_and_citations(client, ids):
    html = _html(client, "/experts?q=трёхъязычие&hl=en")
    first = html.index("Ким Светлана Вячеславовна")
    assert "<mark>" in html[first:]
    assert re.search(r'href="/p/\d+#page-\d+"', html)
    assert re.search(r"Ким Светлана Вячеславовна, Оспанов Данияр Бауыржанович\. Языковая политика и трёхъязычие[^<]*"
                     r"\. 2020\. С\. \d", html)


def test_experts_citation_of_a_volume_article_has_volume_and_printed_page(app, archive):
    from archive.services.browse import citation

    with archive.db.session() as s:
        art = s.scalars(select(Publication).where(Publication.title.like("Межконфессиональный диалог%"))).one()
        line = citation(art, 2)
        assert line.startswith("Сергеев Андрей Николаевич. Межконфессиональный диалог")
        assert f" // {art.volume.title}. 2023. С. 6" in line


def test_experts_by_topic_and_empty_and_junk_queries(client):
    html = _html(client, "/experts?topic=religion&hl=en")
    assert "Сергеев Андрей Николаевич" in html and "<mark>" in html
    empty = _html(client, "/experts?hl=en")
    assert 'name="q"' in empty and 'class="expert"' not in empty and "/experts?topic=" in empty
    junk = _html(client, "/experts?q=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in junk


def test_members_directory_lists_members_only(client):
    html = _html(client, "/members?hl=en")
    assert "Ким Светлана Вячеславовна" in html and "КазНУ им. аль-Фараби" in html
    assert "Оспанов" not in html


@pytest.mark.parametrize("hl", ["ru", "kk", "en"])
def test_browse_pages_render_in_every_interface_language(client, hl):
    for url in ("/authors", "/years", "/topics", "/volumes", "/experts", "/members"):
        assert client.get(f"{url}?hl={hl}").status_code == 200
