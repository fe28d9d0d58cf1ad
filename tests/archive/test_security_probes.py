"""Probes enumerated from the URL map, so a new route is covered without anyone remembering to add it:
every POST route refuses a form without its CSRF token, and on every id-bearing route member B can
neither see nor change member A's draft (GET and POST)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from archive.models import Person, Publication, PublicationReference, User, UserSession, Volume
from support import RU_ARTICLE, make_pdf

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures

SECRET = "Секретный черновик участника А"
# POST routes that take no CSRF token, each with the reason; everything else must refuse a form without one.
CSRF_EXEMPT = {"oai.endpoint": "OAI-PMH harvesters POST without a session; the protocol only reads"}


@pytest.fixture
def draft(archive, users, tmp_path):
    """Member A's draft article with a volume and an author that appear nowhere else."""
    from archive.services.ingest import ingest_file

    refs = "Список литературы\n1. Петров И.И. Языковая политика в Казахстане // Полис. 2015. № 3. С. 45–60."
    out = ingest_file(archive, make_pdf(tmp_path / "a.pdf", RU_ARTICLE + [refs]), "a.pdf", user_id=users["member"])
    with archive.db.session() as s:
        pub = s.get(Publication, out.publication_ids[0])
        pub.title = SECRET
        vol = Volume(title=SECRET + " (сборник)", year=2019)
        s.add(vol)
        s.flush()
        pub.volume_id, pub.year = vol.id, 2019
        values = {"pub_id": pub.id, "user_id": users["member"], "person_id": pub.authorships[0].person_id,
                  "volume_id": vol.id, "year": 2019, "n": 1,
                  "ref_id": s.scalars(select(PublicationReference.id)
                                      .where(PublicationReference.publication_id == pub.id)).one()}
        s.commit()
    return values


def snapshot(archive):
    """Everything a refused request must leave as it was."""
    with archive.db.session() as s:
        return ([(p.id, p.status, p.title, p.pdf_page_start, p.pdf_page_end, p.volume_id, p.parent_id)
                 for p in s.scalars(select(Publication).order_by(Publication.id))],
                [(u.id, u.role, u.active, u.password_hash, u.email) for u in s.scalars(select(User).order_by(User.id))],
                [(p.id, p.name, p.merged_into_id, p.bio, p.degree) for p in s.scalars(select(Person).order_by(Person.id))],
                [(x.id, x.revoked_at) for x in s.scalars(select(UserSession).order_by(UserSession.id))],
                [(r.id, r.link_status, r.target_publication_id) for r in s.scalars(select(PublicationReference))])


def url_of(rule, values: dict) -> str:
    """The rule's path with ids from ``values`` and plausible words for the other parts."""
    words = {"fmt": "bib", "slug": "politics", "kind": "commentary", "lang": "ru", "filename": "style.css"}
    path = rule.rule
    for name, conv in rule._converters.items():
        if name in values:
            value = values[name]
        elif name in words:
            value = words[name]
        else:
            pytest.fail(f"{rule.rule}: say in this test how to fill <{name}> so the route is probed")
        path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(value), path)
    return path


def id_bearing(app):
    ints = {"IntegerConverter", "BoundedIntConverter"}
    return [r for r in app.url_map.iter_rules() if any(c.__class__.__name__ in ints for c in r._converters.values())]


def post_routes(app):
    return [r for r in app.url_map.iter_rules() if "POST" in r.methods]


def test_every_post_route_refuses_a_form_without_its_csrf_token(signed_in, archive, draft):
    admin = signed_in("admin")                                  # the most rights: nothing else stops the form
    routes = post_routes(app=admin.application)
    assert len(routes) >= 18
    probed = []
    for rule in routes:
        if rule.endpoint in CSRF_EXEMPT:
            continue
        url = url_of(rule, draft)
        before = snapshot(archive)
        for data in ({"title": "x", "role": "member", "active": "0", "password": "forged but long 1"},
                     {"csrf_token": "forged", "title": "x"}):
            r = admin.post(url, data=data)
            assert r.status_code == 400, (url, r.status_code)
            assert "The form has expired" in r.get_data(as_text=True), url
        assert snapshot(archive) == before, url
        probed.append(rule.endpoint)
    assert admin.get("/upload").status_code == 200               # the forged logouts did not sign out
    assert {"auth.logout", "auth.login", "members.upload_post", "members.review_metadata",
            "people_admin.merge", "auth.create"} <= set(probed)


def test_csrf_exempt_routes_change_nothing(signed_in, archive, draft):
    anonymous = signed_in("anonymous")
    before = snapshot(archive)
    r = anonymous.post("/oai", data={"verb": "Identify"})
    assert r.status_code == 200 and snapshot(archive) == before


def leaks(body: str, values: dict, url: str) -> list[str]:
    """What of the draft a body shows: its title, or links to it (unless the page is its own address, whose
    language links repeat that address)."""
    pub = values["pub_id"]
    needles = [SECRET]
    if f"/{pub}/" not in url + "/":
        needles += [f"/review/{pub}\"", f"/p/{pub}\"", f"/p/{pub}<"]
    return [needle for needle in needles if needle in body]


@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_no_id_route_shows_or_changes_another_members_draft(signed_in, archive, draft, who):
    owner, intruder = signed_in("member"), signed_in(who)
    assert SECRET in owner.get(f"/review/{draft['pub_id']}").get_data(as_text=True)   # the probe can see it
    routes = id_bearing(intruder.application)
    assert len(routes) >= 25
    for rule in routes:
        url = url_of(rule, draft)
        if "GET" in rule.methods:
            r = intruder.get(url)
            body = r.get_data(as_text=True)
            assert r.status_code != 500 and not leaks(body, draft, url), (url, r.status_code, leaks(body, draft, url))
        if "POST" in rule.methods:
            before = snapshot(archive)
            form = {"csrf_token": intruder.csrf, "title": "Changed", "start": "1", "end": "1", "page": "2",
                    "reason": "x", "role": "admin", "active": "0", "password": "taken over by B 1",
                    "bio": "changed", "authorship": "1"}
            r = intruder.post(url, data=form)
            assert r.status_code in (401, 403, 404) or (r.status_code == 302 and "/login" in r.headers["Location"]), \
                (url, r.status_code)
            assert not leaks(r.get_data(as_text=True), draft, url), url
            assert snapshot(archive) == before, url
