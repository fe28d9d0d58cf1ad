"""Probes enumerated from the URL map, so a new route is covered without anyone remembering to add it:
every POST route refuses a form without its CSRF token; on every id-bearing route member B can
neither see nor change member A's draft (GET and POST); every GET route answers odd query values and path parts,
and every form an editor sees takes odd text in each field, without a 500 and without storing what XML forbids
(on SQLite, and on PostgreSQL in the suite's PostgreSQL pass)."""
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


# --- odd input on every route -------------------------------------------------------------------------------

# Values a reader, a harvester or a careless script sends, as they arrive on the wire (already percent-encoded):
# NUL (PostgreSQL refuses it in any text), C0 controls, bytes that are not UTF-8, an encoded lone surrogate, numbers
# no column holds, a right-to-left override, SQL and markup, long text.
ODD_VALUES = {
    "NUL": "%00", "NUL inside": "a%00b", "controls": "%01%08%0B%1F%7F", "not UTF-8": "%FF%FE%C3",
    "lone surrogate": "%ED%A0%80", "huge number": "9" * 40, "negative": "-99999999999999999999",
    "float": "1e999", "nan": "NaN", "RTL override": "%E2%80%AEabc", "SQL": "1%27%20OR%20%271%27=%271%27--",
    "markup": "%3Cscript%3Ex%3C/script%3E", "long": "%D0%B6" * 1500, "empty": "",
    "superscript digit": "%C2%B2", "Arabic-Indic digits": "%D9%A2%D9%A0%D9%A1%D9%A9",
}
# Path parts of string routes (ints come from the draft and stay valid: the int converter refuses the rest).
ODD_PATH_VALUES = {"NUL": "%00", "superscript digit": "%C2%B2", "not UTF-8": "%FF", "markup": "%3Cb%3E",
                   "long": "x" * 300, "dot dot": ".."}


def query_names() -> set[str]:
    """Every query parameter a view reads, taken from the sources (so a new one is probed without a list)."""
    import pathlib

    from archive.services.browse import PERSON_SECTIONS

    pattern = re.compile(r'(?:args\.get|args\.getlist|int_arg|ints)\(\s*"(\w+)"|args\["(\w+)"\]')
    names = set(PERSON_SECTIONS) | {"after", "from", "verb", "metadataPrefix", "identifier", "resumptionToken"}
    for path in pathlib.Path(__file__).resolve().parents[2].joinpath("archive").rglob("*.py"):
        names |= {a or b for a, b in pattern.findall(path.read_text(encoding="utf-8"))}
    return names


def get_routes(app):
    return [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]


def _answered(client, url: str, failures: list, label: str) -> None:
    try:
        r = client.get(url)
    except Exception as exc:                     # noqa: BLE001 - every failure is listed, not only the first
        failures.append((label, url[:160], repr(exc)[:300]))
        return
    if r.status_code >= 500 or b"Traceback (most recent call last)" in r.data:
        failures.append((label, url[:160], r.status_code))


@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_every_get_route_answers_odd_query_values(signed_in, draft, who):
    """Every GET route, with every query parameter any view reads set to each odd value at once: an answer (a page,
    a redirect or a refusal), never a 500. Run on SQLite and, in the PostgreSQL pass, on PostgreSQL."""
    client = signed_in(who)
    names = sorted(query_names())
    assert {"q", "page", "after", "from", "letter", "sort", "topic", "verb", "identifier", "works"} <= set(names)
    routes = get_routes(client.application)
    assert len(routes) >= 50
    failures: list = []
    for rule in routes:
        if rule.endpoint in ("auth.logout",):
            continue
        path = url_of(rule, draft)
        for label, value in ODD_VALUES.items():
            _answered(client, path + "?" + "&".join(f"{n}={value}" for n in names), failures, label)
    assert not failures, failures


def test_every_string_route_part_answers_odd_values(signed_in, draft):
    """Every string part of a GET route's path (a slug, a language, a kind, a format) set to each odd value: an
    answer, never a 500 (a NUL slug gave one on PostgreSQL)."""
    client = signed_in("admin")
    failures: list = []
    for rule in get_routes(client.application):
        strings = [n for n, c in rule._converters.items() if c.__class__.__name__ not in ("IntegerConverter",
                                                                                            "BoundedIntConverter")]
        for name in strings:
            for label, value in ODD_PATH_VALUES.items():
                _answered(client, url_of(rule, {**draft, name: value}), failures, f"<{name}> {label}")
    assert not failures, failures


# Text a member pastes into a form: NUL and other C0 controls (from a PDF's text layer), an encoded lone surrogate
# (a broken clipboard), a number no column holds, more text than any column holds.
ODD_FORM_VALUES = {"NUL inside": "Заголовок\x00 с нулём", "controls": "a\x01\x08\x0b\x1f\x7fb",
                   "lone surrogate": "x\ud800y", "huge number": "9" * 40, "long": "ж" * 20_000,
                   "RTL override": "\u202eabc", "superscript digit": "²", "Arabic-Indic digits": "٢٠١٩"}


# What a person would type into an empty field, by the end of its name, so that a form of empty fields (a new
# entry) is accepted and the odd value in the one field probed is really stored.
PLAUSIBLE = {"date": "2024-03-15", "date_end": "2024-03-16", "url": "https://example.kz/a", "year": "2020",
             "outlet": "Казахстанская правда", "quote": "Слова эксперта", "title": "Заголовок", "title_ru": "Заголовок",
             "authors": "Иванов Иван", "email": "x@example.kz"}


def plausible(name: str, value: str) -> str:
    return value or next((v for k, v in PLAUSIBLE.items() if name == k or name.endswith(("-" + k, "_" + k))), "")


def forms_of(html: str, page_url: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The POST forms of a page: (action, [(name, kind, value)]) with the values a browser would send."""
    import urllib.parse

    import lxml.html

    out = []
    for form in lxml.html.fromstring(html).forms:
        if (form.method or "GET").upper() != "POST":
            continue
        fields = []
        for el in form.inputs:
            name = el.get("name")
            if not name:
                continue
            if el.tag == "select":
                options = el.value_options
                fields.append((name, "choice", el.value if el.value else (options[0] if options else "")))
            elif el.tag == "textarea":
                fields.append((name, "text", el.value or ""))
            else:
                kind = (el.get("type") or "text").lower()
                if kind in ("checkbox", "radio"):
                    if el.checked:
                        fields.append((name, "choice", el.get("value", "on")))
                elif kind not in ("file", "submit", "button", "image", "reset"):
                    fields.append((name, "fixed" if name == "csrf_token" else "text", el.get("value") or ""))
        out.append((urllib.parse.urljoin(page_url, form.get("action") or page_url), fields))
    return out


ENDING = ("/merge", "/publish", "/withdraw", "/delete")


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    """A form's body as sent on the wire; a lone surrogate goes as its (invalid) UTF-8 bytes, as a script sends it."""
    from urllib.parse import quote

    return "&".join(f"{quote(n)}={quote(v.encode('utf-8', 'surrogatepass'))}" for n, v in pairs).encode("ascii")


def _post_form(client, action: str, pairs: list[tuple[str, str]], failures: list, label: str) -> None:
    try:
        r = client.post(action, data=form_body([*pairs, ("csrf_token", client.csrf)]),
                        content_type="application/x-www-form-urlencoded")
    except Exception as exc:                     # noqa: BLE001 - every failure is listed, not only the first
        failures.append((label, action, repr(exc)[:300]))
        return
    if r.status_code >= 500 or b"Traceback (most recent call last)" in r.data:
        failures.append((label, action, r.status_code))


def test_every_form_takes_odd_text_without_a_500_or_storing_it(signed_in, archive, draft):
    """Every POST form an editor sees (found by walking the GET routes), one text field at a time filled with each
    odd value and the rest as the page gave them (empty ones as a person would fill them): an answer, never a 500,
    and nothing stored that an XML export could not carry (NUL, controls)."""
    from archive.models import KINDS
    from archive.services.record_checks import check_xml_text

    admin = signed_in("admin")
    forms = {}
    for rule in get_routes(admin.application):
        if rule.endpoint in ("auth.logout",):
            continue
        # every kind where the path names one (each kind of entry has a form of its own)
        for url in dict.fromkeys(url_of(rule, {**draft, "kind": k}) for k in KINDS):
            r = admin.get(url)
            if r.status_code == 200 and r.mimetype == "text/html":
                for action, fields in forms_of(r.get_data(as_text=True), "http://localhost" + url):
                    if not action.rstrip("/").endswith(("/logout", "/logout-everywhere")):
                        forms.setdefault((action, tuple(n for n, _, _ in fields)), fields)
    assert len(forms) >= 8, sorted(forms)
    assert {"/entries/new/commentary", "/entries/new/event", "/entries/new/report"} <= {
        a.removeprefix("http://localhost") for a, _ in forms}, sorted(forms)
    assert any(a.endswith("/metadata") for a, _ in forms), sorted(forms)
    def place(form) -> tuple:
        """Forms that end a record (merge, publish, delete) last and in that order: the others still find it."""
        return next((i for i, e in enumerate(ENDING, 1) if form[0][0].endswith(e)), 0), form[0]

    failures: list = []
    for (action, _names), fields in sorted(forms.items(), key=place):
        given = [(n, plausible(n, v) if kind == "text" else v) for n, kind, v in fields if n != "csrf_token"]
        for at, (name, kind, _value) in enumerate((n, k, v) for n, k, v in fields if n != "csrf_token"):
            if kind != "text":
                continue
            for label, odd in ODD_FORM_VALUES.items():
                pairs = [(n, odd if i == at else v) for i, (n, v) in enumerate(given)]
                _post_form(admin, action, pairs, failures, f"{name}: {label}")
    with archive.db.session() as s:
        findings, _ = check_xml_text(s)
    assert not failures, failures
    assert findings.count() == 0, findings.xml_forbidden
