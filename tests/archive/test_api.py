"""The JSON API (search, publications, people, volumes, topics, years) and its OpenAPI document, test client."""
import os
import re

import pytest
from sqlalchemy import select

from archive.models import Authorship, Person, Publication
from archive.services.ingest import ingest_file
from archive.services.topics import apply_suggestions_all
from support import DEMO, make_pdf

HIT_FIELDS = {"id", "url", "title", "authors", "year", "language", "kind", "collection", "pages", "source_file"}
PAGE_FIELDS = {"total", "page", "limit", "items"}
DRAFT = ["УДК 323\nДрафтов П.П.\nАлматы, 2024\nЧЕРНОВИК О ЯЗЫКОВОЙ ПОЛИТИКЕ\nЯзыковая политика, черновик."]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The demo files, a draft, and a member with a commentary."""
    from archive import create_app
    from archive.migrate import upgrade

    tmp = tmp_path_factory.mktemp("api")
    config = {"TESTING": True, "DATA_DIR": str(tmp / "data"), "SECRET_KEY": "t", "DATABASE_URL": "",
              "OCR_ENABLED": os.environ.get("ARCHIVE_TEST_OCR", "1") == "1"}
    application = create_app(config)
    archive = application.extensions["archive"]
    upgrade(archive.db.url)
    for f in sorted(DEMO.iterdir()):
        assert ingest_file(archive, f, f.name, publish=True).status == "ok"
    assert ingest_file(archive, make_pdf(tmp / "draft.pdf", DRAFT), "draft.pdf").status == "ok"
    with archive.db.session() as s:
        ab = s.scalars(select(Person).where(Person.surname == "Абдрахманова")).one()
        ab.is_member, ab.position, ab.name_latin = True, "доцент", "Abdrakhmanova R.T."
        comment = Publication(kind="commentary", status="published", title="Комментарий о языковых курсах",
                              language="ru", year=2024)
        comment.authorships.append(Authorship(person=ab, position=1, name_as_printed="Абдрахманова Р.Т."))
        s.add(comment)
        apply_suggestions_all(s)
        s.commit()
    yield application
    archive.close()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def ids(app):
    with app.extensions["archive"].db.session() as s:
        people = {p.surname: p.id for p in s.scalars(select(Person))}
        pubs = list(s.scalars(select(Publication)))
        return {"people": people,
                "volume": next(p.volume_id for p in pubs if p.kind == "volume"),
                "draft": next(p.id for p in pubs if p.status == "draft"),
                "published": [p.id for p in pubs if p.status == "published"]}


def _get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/json", url
    return r.get_json()


def _walk(client, url, limit):
    """Every item of a paged list, page by page."""
    first = _get(client, f"{url}?limit={limit}")
    items, page = list(first["items"]), 1
    while len(items) < first["total"]:
        page += 1
        data = _get(client, f"{url}?limit={limit}&page={page}")
        assert data["page"] == page and data["total"] == first["total"] and data["items"]
        items += data["items"]
    return first["total"], items


# --- people ----------------------------------------------------------------------------------------

def test_people_list_fields_order_and_no_draft_authors(client, ids):
    data = _get(client, "/api/people?limit=100")
    assert set(data) >= PAGE_FIELDS and data["page"] == 1 and data["limit"] == 100
    assert data["total"] == len(data["items"]) > 3
    person = data["items"][0]
    assert set(person) >= {"id", "name", "name_latin", "url", "publications"}
    names = [p["name"] for p in data["items"]]
    assert "Драфтов П.П." not in " ".join(names)
    ab = next(p for p in data["items"] if p["id"] == ids["people"]["Абдрахманова"])
    assert ab["publications"] == 2 and ab["name_latin"] == "Abdrakhmanova R.T."     # DOCX+PDF once, + comment
    assert ab["url"].endswith(f"/authors/{ab['id']}")
    assert names.index(next(n for n in names if n.startswith("Абдрахманова"))) < \
        names.index(next(n for n in names if n.startswith("Байжанұлы")))


def test_people_paging_covers_everyone_once(client):
    total, items = _walk(client, "/api/people", 2)
    assert len(items) == total and len({p["id"] for p in items}) == total
    last = _get(client, "/api/people?page=999&limit=5")
    assert last["items"] == [] and last["total"] == total


@pytest.mark.parametrize("query,page,limit", [("limit=0", 1, 1), ("limit=500", 1, 100), ("limit=abc", 1, 20),
                                              ("page=-3", 1, 20), ("page=x&limit=7", 1, 7)])
def test_paging_arguments_are_clamped(client, query, page, limit):
    for url in ("/api/people", "/api/volumes", "/api/topics", "/api/years"):
        data = _get(client, f"{url}?{query}")
        assert (data["page"], data["limit"]) == (page, limit), url
        assert len(data["items"]) <= limit


def test_person_profile_fields_and_publications_in_hit_shape(client, ids):
    pid = ids["people"]["Абдрахманова"]
    data = _get(client, f"/api/people/{pid}")
    assert set(data) >= {"id", "name", "name_latin", "names", "url", "degree", "position", "institution", "bio",
                         "is_member", "topics"} | PAGE_FIELDS
    assert data["id"] == pid and data["is_member"] is True and data["position"] == "доцент"
    assert data["total"] == 2 and len(data["items"]) == 2
    for hit in data["items"]:
        assert set(hit) >= HIT_FIELDS and "score" not in hit
    assert [h["year"] for h in data["items"]] == sorted((h["year"] for h in data["items"]), reverse=True)
    assert {h["kind"] for h in data["items"]} == {"article", "commentary"}
    one = _get(client, f"/api/people/{pid}?limit=1&page=2")
    assert one["total"] == 2 and len(one["items"]) == 1 and one["items"][0] == data["items"][1]


def test_person_404s_are_json(client, ids):
    assert "error" in _get(client, "/api/people/999999", 404)
    assert "error" in _get(client, f"/api/people/{ids['people']['Драфтов']}", 404)   # only a draft: not public
    assert "error" in _get(client, "/api/people/99999999999999999999999", 404)
    assert "error" in _get(client, "/api/people/abc", 404)


def test_merged_person_redirects_to_the_surviving_record(app, client, ids):
    archive = app.extensions["archive"]
    with archive.db.session() as s:
        ghost = Person(name="Абдрахманова Р.", surname="Абдрахманова", merged_into_id=ids["people"]["Абдрахманова"])
        s.add(ghost)
        s.commit()
        gid = ghost.id
    try:
        r = client.get(f"/api/people/{gid}?limit=1")
        assert r.status_code == 301
        assert r.headers["Location"].endswith(f"/api/people/{ids['people']['Абдрахманова']}?limit=1")
    finally:
        with archive.db.session() as s:
            s.delete(s.get(Person, gid))
            s.commit()


# --- volumes ---------------------------------------------------------------------------------------

def test_volumes_list_and_volume_articles_with_pages(client, ids):
    data = _get(client, "/api/volumes")
    assert set(data) >= PAGE_FIELDS and data["total"] == 1
    vol = data["items"][0]
    assert set(vol) >= {"id", "title", "event", "place", "year", "isbn", "url", "article_count"}
    assert vol["id"] == ids["volume"] and vol["year"] == 2023 and vol["isbn"] == "978-601-80123-4-1"
    assert vol["article_count"] == 3
    detail = _get(client, f"/api/volumes/{ids['volume']}")
    assert {k: detail[k] for k in ("id", "title", "event", "place", "year", "isbn")} == \
        {k: vol[k] for k in ("id", "title", "event", "place", "year", "isbn")}
    assert detail["total"] == 3 and detail["book"]["kind"] == "volume"
    titles = [a["title"] for a in detail["items"]]
    assert re.search("Межконфессиональный диалог", titles[0]) and "Жастардың діни сауаттылығы" in titles[2]
    assert all(set(a) >= HIT_FIELDS and a["collection"]["id"] == ids["volume"] for a in detail["items"])
    assert detail["items"][0]["pages"] == "5-7"
    second = _get(client, f"/api/volumes/{ids['volume']}?limit=2&page=2")
    assert [a["title"] for a in second["items"]] == titles[2:]


def test_volume_404s_are_json(client):
    assert "error" in _get(client, "/api/volumes/999", 404)
    assert "error" in _get(client, "/api/volumes/99999999999999999999999", 404)


# --- topics and years ------------------------------------------------------------------------------

def test_topics_list_and_topic_publications(client):
    data = _get(client, "/api/topics?limit=100")
    assert set(data) >= PAGE_FIELDS and data["total"] == len(data["items"]) > 0
    topic = next(t for t in data["items"] if t["slug"] == "language-policy")
    assert set(topic) >= {"slug", "labels", "count", "url"}
    assert topic["labels"]["en"] == "Language policy" and topic["labels"]["ru"] == "Языковая политика"
    assert set(topic["labels"]) == {"ru", "kk", "en"} and topic["count"] >= 1
    detail = _get(client, "/api/topics/language-policy?limit=1")
    assert detail["slug"] == "language-policy" and detail["total"] == topic["count"] and len(detail["items"]) == 1
    assert set(detail["items"][0]) >= HIT_FIELDS
    total, items = _walk(client, "/api/topics/language-policy", 1)
    assert total == topic["count"] and "Языковая политика и трёхъязычие" in " ".join(i["title"] for i in items)
    assert "ЧЕРНОВИК" not in " ".join(i["title"].upper() for i in items)


def test_topic_404s_are_json(client):
    for slug in ("no-such-topic", "%00", "x" * 300, "<script>"):
        assert "error" in _get(client, f"/api/topics/{slug}", 404)


def test_years_counts_and_year_listing(client):
    data = _get(client, "/api/years?limit=100")
    assert set(data) >= PAGE_FIELDS | {"counts"}
    years = [y["year"] for y in data["items"]]
    assert years == sorted(years, reverse=True) and data["total"] == len(years)
    assert data["counts"]["2023"] == 4 and data["counts"]["2022"] == 1        # a DOCX and its PDF count once
    assert {str(y["year"]): y["count"] for y in data["items"]} == data["counts"]
    y2020 = _get(client, "/api/years/2020")
    assert y2020["year"] == 2020 and y2020["total"] == data["counts"]["2020"]
    assert all(h["year"] == 2020 for h in y2020["items"])
    paged = _get(client, "/api/years?limit=1&page=2")
    assert paged["items"] == [data["items"][1]]
    assert "error" in _get(client, "/api/years/1990", 404)
    assert "error" in _get(client, "/api/years/99999999999999999999999", 404)


def test_drafts_never_appear_anywhere(client, ids):
    texts = [client.get(u).get_data(as_text=True).upper() for u in
             ("/api/people?limit=100", "/api/years/2024", "/api/topics/language-policy?limit=100",
              f"/api/volumes/{ids['volume']}", "/api/search?q=черновик")]
    assert not any("ЧЕРНОВИК О ЯЗЫКОВОЙ" in t for t in texts)
    assert "error" in _get(client, f"/api/publications/{ids['draft']}", 404)


# --- existing endpoints keep their shape -----------------------------------------------------------

def test_search_and_publication_shapes_unchanged(client, ids):
    data = _get(client, "/api/search?q=&limit=2")
    # Fields are only ever added (clients that read the old ones keep working), never renamed or dropped.
    assert set(data) == {"query", "total", "page", "limit", "relaxed", "suggestion", "hits", "facets",
                         "notices", "partial_from", "facets_approximate", "translation"}
    assert set(data["hits"][0]) == HIT_FIELDS | {"score", "snippet", "page", "printed_page", "partial", "translated"}
    pub = _get(client, f"/api/publications/{ids['published'][0]}")
    assert set(pub) == HIT_FIELDS | {"status", "titles", "abstracts", "keywords", "udc", "bbk", "isbn", "doi",
                                     "authors_detail", "files", "references", "cited_by"}
    assert "error" in _get(client, "/api/publications/99999999999999999999999", 404)


# --- OpenAPI ---------------------------------------------------------------------------------------

def test_openapi_document_is_valid_openapi_3(client):
    from openapi_spec_validator import validate

    doc = _get(client, "/api/openapi.json")
    assert doc["openapi"].startswith("3.0")
    validate(doc)
    assert doc["servers"][0]["url"] == "http://localhost"


def test_every_api_route_is_described(app, client):
    doc = _get(client, "/api/openapi.json")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            routes.add(path)
            op = doc["paths"].get(path, {}).get("get")
            assert op is not None, path
            assert "200" in op["responses"], path
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path
            if "{" in path:
                assert "404" in op["responses"], path
    assert routes == set(doc["paths"])
    assert len(routes) >= 11


def test_openapi_list_endpoints_declare_paging(client):
    doc = _get(client, "/api/openapi.json")
    for path in ("/api/people", "/api/volumes", "/api/topics", "/api/years", "/api/topics/{slug}",
                 "/api/people/{person_id}", "/api/volumes/{volume_id}", "/api/years/{year}"):
        params = {p["name"]: p["schema"] for p in doc["paths"][path]["get"]["parameters"]}
        assert params["limit"]["minimum"] == 1 and params["limit"]["maximum"] == 100, path
        assert params["page"]["type"] == "integer" and params["page"]["minimum"] == 1, path
