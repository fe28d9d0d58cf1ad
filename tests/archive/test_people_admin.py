"""The editors' people tool: candidate pairs with a Merge button, splitting authorships into a new person."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.models import AuditEvent, Authorship, IndexTask, Person, Publication, utcnow
from support import csrf


@pytest.fixture(autouse=True)
def _blueprint(app):  # noqa: F811
    from archive.views import people_admin

    if "people_admin" not in app.blueprints:
        app.register_blueprint(people_admin.bp)
    return app


@pytest.fixture
def variants(archive):
    """"Иванов Алексей Борисович" and "Ivanov A.B." each with one published paper."""
    with archive.db.session() as s:
        ru = Person(name="Иванов Алексей Борисович", surname="Иванов", given="Алексей Борисович")
        lat = Person(name="Ivanov A.B.", surname="Ivanov", given="A.B.")
        p1 = Publication(kind="article", status="published", title="Языковая политика", published_at=utcnow(),
                         year=2020)
        p2 = Publication(kind="article", status="published", title="Language policy", published_at=utcnow(),
                         year=2021)
        p3 = Publication(kind="article", status="published", title="Третья работа", published_at=utcnow(),
                         year=2022)
        s.add_all([ru, lat, p1, p2, p3])
        s.flush()
        p1.authorships.append(Authorship(person=ru, position=1, name_as_printed="Иванов А.Б."))
        p3.authorships.append(Authorship(person=ru, position=1, name_as_printed="Иванов Андрей Борисович"))
        p2.authorships.append(Authorship(person=lat, position=1, name_as_printed="Ivanov A.B."))
        s.commit()
        return {"ru": ru.id, "lat": lat.id, "p1": p1.id, "p2": p2.id, "p3": p3.id}


_csrf = csrf


@pytest.mark.parametrize("who, status", [("anonymous", 302), ("member", 403), ("editor", 200), ("admin", 200)])
def test_only_editors_see_the_tool(signed_in, variants, who, status):  # noqa: F811
    c = signed_in(who)
    assert c.get("/review/people").status_code == status
    assert c.get(f"/review/people/{variants['ru']}").status_code == status


def test_member_cannot_merge_or_split(signed_in, variants):  # noqa: F811
    c = signed_in("member")
    assert c.post("/review/people/merge", data={"csrf_token": c.csrf, "keep_id": variants["ru"],
                                                "merge_id": variants["lat"]}).status_code == 403
    assert c.post(f"/review/people/{variants['ru']}/split",
                  data={"csrf_token": c.csrf, "authorship": "1"}).status_code == 403


def test_merge_without_csrf_token_is_refused(archive, signed_in, variants):  # noqa: F811
    c = signed_in("editor")
    r = c.post("/review/people/merge", data={"keep_id": variants["ru"], "merge_id": variants["lat"]})
    assert r.status_code == 400
    with archive.db.session() as s:
        assert s.get(Person, variants["lat"]).merged_into_id is None


def test_editor_merges_a_pair_and_the_person_page_lists_both(archive, signed_in, variants):  # noqa: F811
    c = signed_in("editor")
    html = c.get("/review/people").get_data(as_text=True)
    assert "Иванов Алексей Борисович" in html and "Ivanov A.B." in html and "Merge" in html
    r = c.post("/review/people/merge", data={"csrf_token": _csrf(html), "keep_id": variants["ru"],
                                             "merge_id": variants["lat"]})
    assert r.status_code == 303
    with archive.db.session() as s:
        assert s.get(Person, variants["lat"]).merged_into_id == variants["ru"]
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "person.merge")).first() is not None
        assert not list(s.scalars(select(IndexTask)))           # index work was applied after the commit
    page = c.get(f"/authors/{variants['ru']}").get_data(as_text=True)
    assert "Языковая политика" in page and "Language policy" in page
    assert c.get(f"/authors/{variants['lat']}").status_code == 301
    assert "Merged into" in c.get(f"/review/people/{variants['lat']}").get_data(as_text=True)
    assert "No possible duplicates found." in c.get("/review/people").get_data(as_text=True)


def test_bad_merge_shows_a_message(signed_in, variants):  # noqa: F811
    c = signed_in("editor")
    r = c.post("/review/people/merge", data={"csrf_token": c.csrf, "keep_id": variants["ru"],
                                             "merge_id": variants["ru"]}, follow_redirects=True)
    assert r.status_code == 200
    assert "cannot be merged into themselves" in r.get_data(as_text=True)


def test_split_creates_a_new_person(archive, signed_in, variants):  # noqa: F811
    c = signed_in("editor")
    html = c.get(f"/review/people/{variants['ru']}").get_data(as_text=True)
    assert "Split into a new person" in html and "Третья работа" in html
    with archive.db.session() as s:
        moved = s.scalars(select(Authorship.id).where(Authorship.publication_id == variants["p3"])).one()
    r = c.post(f"/review/people/{variants['ru']}/split", data={"csrf_token": _csrf(html), "authorship": moved})
    assert r.status_code == 303
    with archive.db.session() as s:
        a = s.get(Authorship, moved)
        assert a.person_id != variants["ru"]
        new = s.get(Person, a.person_id)
        assert new.name == "Иванов Андрей Борисович"
        new_id = new.id
        assert r.headers["Location"].endswith(f"/review/people/{new_id}")
        assert [x.publication_id for x in s.get(Person, variants["ru"]).authorships] == [variants["p1"]]
    assert "Третья работа" in c.get(f"/authors/{new_id}").get_data(as_text=True)
    assert "Третья работа" not in c.get(f"/authors/{variants['ru']}").get_data(as_text=True)


def test_split_needs_a_choice(signed_in, variants):  # noqa: F811
    c = signed_in("editor")
    r = c.post(f"/review/people/{variants['ru']}/split", data={"csrf_token": c.csrf}, follow_redirects=True)
    assert "Choose one or more publications" in r.get_data(as_text=True)
    assert c.post("/review/people/999999/split", data={"csrf_token": c.csrf, "authorship": "1"}).status_code == 404


def test_the_list_of_possible_duplicates_is_paged_and_a_merge_returns_to_its_page(archive, signed_in):  # noqa: F811
    import html as html_lib
    import re

    letters = "бгдзклмнпрст"
    with archive.db.session() as s:
        for n in range(40):                                        # 40 groups, three pairs each
            surname = f"Ба{letters[n // 12]}а{letters[n % 12]}ов"
            s.add_all([Person(name=f"{surname} {given}", surname=surname, given=given)
                       for given in ("А.", "Арман", "А.Б.")])
        s.commit()
    c = signed_in("editor")
    url, merges, pages, second = "/review/people", 0, 0, None
    while url:
        page = c.get(url).get_data(as_text=True)
        pages += 1
        merges += page.count('name="merge_id"')
        assert page.count('name="merge_id"') <= 50
        if pages == 2:
            second = url, page
        found = re.search(r'<a rel="next" href="([^"]+)"', page)
        url = html_lib.unescape(found.group(1)) if found else None
    assert pages == 3 and merges == 120                            # at most 50 pairs a page
    url, page = second
    assert "after=" in url and "First page" in page
    form = re.search(r'<form[^>]*action="[^"]*/review/people/merge".*?</form>', page, re.S).group(0)
    fields = {k: html_lib.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    keep, gone = fields["keep_id"], fields["merge_id"]
    r = c.post("/review/people/merge", data=fields)
    assert r.status_code == 303 and r.headers["Location"].endswith("?" + url.split("?", 1)[1])
    with archive.db.session() as s:
        assert s.get(Person, int(gone)).merged_into_id == int(keep)


def test_a_persons_publications_come_a_page_at_a_time(archive, signed_in):  # noqa: F811
    import re

    from archive.services.people_merge import AUTHORSHIPS_PER_PAGE

    n = AUTHORSHIPS_PER_PAGE * 2 + 30
    with archive.db.session() as s:
        person = Person(name="Омаров Ерлан", surname="Омаров", given="Ерлан")
        pubs = [Publication(kind="article", status="published", title=f"Труд {i:03d}", published_at=utcnow(),
                            year=None if i % 10 == 0 else 1990 + i % 30) for i in range(n)]
        s.add(person)
        s.add_all(pubs)
        s.flush()
        for p in pubs:
            p.authorships.append(Authorship(person=person, position=1, name_as_printed="Омаров Е."))
        s.commit()
        expected = [p.title for p in sorted(pubs, key=lambda p: (p.year is None, -(p.year or 0), p.id))]
        pid = person.id
    c = signed_in("editor")
    seen = []
    for page in (1, 2, 3):
        html = c.get(f"/review/people/{pid}?page={page}").get_data(as_text=True)
        boxes = html.count('name="authorship"')
        assert boxes == (AUTHORSHIPS_PER_PAGE if page < 3 else 30)
        seen += re.findall(r">(Труд \d{3})</a>", html)
        assert (f"page={page + 1}#publications" in html) is (page < 3)
    assert seen == expected                                     # every publication once, newest year first
    r = c.get(f"/review/people/{pid}?page=9")
    assert r.status_code == 303 and r.headers["Location"].endswith("page=3")


@pytest.mark.parametrize("query", ["after=%00x", "after=" + "я" * 500 + "&from=99999999999999", "after=a&from=-1",
                                   "after=&from=5"])
def test_odd_positions_in_the_list_of_possible_duplicates_give_a_page(signed_in, variants, query):  # noqa: F811
    r = signed_in("editor").get("/review/people?" + query)
    assert r.status_code == 200 and "Traceback" not in r.get_data(as_text=True)
