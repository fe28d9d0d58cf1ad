"""The group's other work: media commentary, events, recommendations and notes — created, reviewed, published."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.errors import UserValueError
from archive.models import AuditEvent, Authorship, Person, Publication, utcnow
from archive.services.entries import parse_date, validate_url
from support import RU_ARTICLE, make_pdf

QUOTE = "Языковые курсы для взрослых становятся популярнее с каждым годом, и это хороший знак."
COMMENTARY = {"outlet": "Казинформ", "date": "2024-03-15", "url": "https://inform.kz/ru/kursy-yazyka",
              "quote": QUOTE, "authors": "Ким Светлана Вячеславовна", "language": "ru"}
PROGRAMME = ("<p>10:00 Пленарное заседание о языковой политике</p><script>alert(1)</script>"
             "<p><em>12:00</em> Секции<img src=x onerror=alert(2)></p>")


def post_entry(client, kind, values, **extra):
    data = {"csrf_token": client.csrf, **values}
    return client.post(f"/entries/new/{kind}", data=data, **extra)


def created_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/review/(\d+)$", response.headers["Location"]).group(1))


def publish(client, pub_id):
    r = client.post(f"/review/{pub_id}/publish", data={"csrf_token": client.csrf})
    assert r.status_code == 303
    return r


def hits(client, q):
    return [h["id"] for h in client.get("/api/search", query_string={"q": q}).get_json()["hits"]]


@pytest.fixture
def article(archive):
    """A published article to list as an event's material."""
    with archive.db.session() as s:
        p = Publication(kind="article", status="published", title="Тезисы круглого стола", year=2024,
                        language="ru", published_at=utcnow())
        s.add(p)
        s.commit()
        return p.id


def test_member_creates_commentary_editor_publishes_and_readers_find_it_everywhere(signed_in, archive, users):
    member, editor, anonymous = signed_in("member"), signed_in("editor"), signed_in("anonymous")
    r = post_entry(member, "commentary", {**COMMENTARY, "topics": ["language-policy"]})
    pub_id = created_id(r)
    with archive.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert (pub.kind, pub.status, pub.created_by_id, pub.year) == ("commentary", "draft", users["member"], 2024)
        assert pub.extra["outlet"] == "Казинформ" and pub.extra["quote"] == QUOTE
        assert pub.extra["url"] == COMMENTARY["url"] and pub.extra["date"] == "2024-03-15"
        assert pub.title.startswith("Казинформ: «Языковые курсы")
        assert [t.slug for t in pub.topics] == ["language-policy"]
        person_id = pub.authorships[0].person_id
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.create")).one()
        assert ev.object_id == pub_id and ev.user_id == users["member"] and ev.details["kind"] == "commentary"
    # A draft: nobody else sees it, the member cannot publish it, and it is not in the index.
    assert anonymous.get(f"/p/{pub_id}").status_code == 404
    assert member.post(f"/review/{pub_id}/publish", data={"csrf_token": member.csrf}).status_code == 403
    assert hits(editor, "курсами") == []
    publish(editor, pub_id)
    # Search finds it by a word of its quote in another inflected form.
    assert hits(anonymous, "курсами") == [pub_id]
    assert hits(anonymous, "популярнее взрослым") == [pub_id]
    # The result shows the quote with the matched word highlighted (a commentary has no pages).
    results = anonymous.get("/search", query_string={"q": "курсами"}).get_data(as_text=True)
    assert "<mark>курсы</mark>" in results
    html = anonymous.get(f"/p/{pub_id}?hl=en").get_data(as_text=True)
    quote = html[html.index("<blockquote"):html.index("</figure>")]
    assert QUOTE in quote and f'cite="{COMMENTARY["url"]}"' in quote
    assert f'/authors/{person_id}">Ким Светлана Вячеславовна</a>' in quote and "<cite>Казинформ</cite>" in quote
    assert f'href="{COMMENTARY["url"]}"' in html and "Outlet" in html and "March 15, 2024" in html
    assert "@misc{" in html and f"url = {{{COMMENTARY['url']}}}" in html        # the Cite box
    assert "Казинформ" in html[html.index('id="cite-gost"'):]
    person = anonymous.get(f"/authors/{person_id}?hl=en").get_data(as_text=True)
    section = person[person.index("Media commentary"):]
    assert f"/p/{pub_id}" in section and "Казинформ" in section and "Языковые курсы" in section
    assert f"/p/{pub_id}" in anonymous.get("/kinds/commentary").get_data(as_text=True)


def test_commentary_by_a_name_variant_resolves_to_the_same_person(signed_in, archive):
    member = signed_in("member")
    first = created_id(post_entry(member, "commentary", COMMENTARY))
    second = created_id(post_entry(member, "commentary", {**COMMENTARY, "authors": "Ким С.В.", "date": "2024-04-01"}))
    with archive.db.session() as s:
        a = s.get(Publication, first).authorships[0]
        b = s.get(Publication, second).authorships[0]
        assert a.person_id == b.person_id and b.name_as_printed == "Ким С.В."


@pytest.mark.parametrize("field,value,message", [
    ("url", "javascript:alert(1)", "The link must be a full web address"),
    ("url", "ftp://inform.kz/file", "The link must be a full web address"),
    ("url", "inform.kz/article", "The link must be a full web address"),
    ("url", "https://", "The link must be a full web address"),
    ("url", "https://inform .kz/x", "The link must be a full web address"),
    ("outlet", "", "Name the outlet"),
    ("quote", "   ", "Give the quote"),
    ("date", "15.03.2024", "Give the date as year-month-day"),
    ("authors", "", "Name the person who commented"),
])
def test_commentary_with_bad_input_is_refused_with_a_message(signed_in, archive, field, value, message):
    member = signed_in("member")
    r = post_entry(member, "commentary", {**COMMENTARY, field: value})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and 'role="alert"' in html
    assert "Казинформ" in html or field == "outlet"           # the form keeps what was typed
    with archive.db.session() as s:
        assert s.scalar(select(Publication.id)) is None


@pytest.mark.parametrize("url", ["http://inform.kz", "https://inform.kz/ru/статья?a=1&b=2#x", "HTTPS://EXAMPLE.KZ/"])
def test_validate_url_accepts_http_and_https(url):
    assert validate_url(url) == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "//inform.kz/x", "http:///x",
                                 "https://inform.kz/\nx", "mailto:a@b.kz"])
def test_validate_url_refuses_other_addresses(url):
    with pytest.raises(UserValueError):
        validate_url(url)


@pytest.mark.parametrize("text,ok", [("2024-03-15", True), ("", True), ("2024-02-30", False), ("1500-01-01", False),
                                     ("март 2024", False)])
def test_parse_date(text, ok):
    if ok:
        parse_date(text)
    else:
        with pytest.raises(UserValueError):
            parse_date(text)


def test_xss_in_quote_is_stripped_and_escaped(signed_in, archive):
    member, editor = signed_in("member"), signed_in("editor")
    quote = 'Мнение <script>alert(1)</script> "><img src=x onerror=alert(2)> и 5 < 6'
    pub_id = created_id(post_entry(member, "commentary", {**COMMENTARY, "quote": quote}))
    with archive.db.session() as s:
        stored = s.get(Publication, pub_id).extra["quote"]
    assert "<script" not in stored and "<img" not in stored and "5 < 6" in stored
    publish(editor, pub_id)
    for url in (f"/p/{pub_id}", f"/review/{pub_id}"):
        html = editor.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "onerror=alert(2)>" not in html
        assert "5 &lt; 6" in html


def test_event_with_programme_materials_and_participants(signed_in, archive, article):
    member, editor, anonymous = signed_in("member"), signed_in("editor"), signed_in("anonymous")
    values = {"title_ru": "Круглый стол «Язык и согласие»", "title_kk": "«Тіл және келісім» дөңгелек үстелі",
              "language": "ru", "event_type": "round_table", "date": "2024-05-20", "date_end": "2024-05-21",
              "place": "Алматы, Дом дружбы", "programme": PROGRAMME,
              "materials": f"{article}\nhttp://localhost/p/{article}", "authors": "Ким Светлана\nСериков Алмас Болатұлы"}
    pub_id = created_id(post_entry(member, "event", values))
    with archive.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub.kind == "event" and pub.title == "Круглый стол «Язык и согласие»"
        assert pub.titles == {"ru": values["title_ru"], "kk": values["title_kk"]}
        assert pub.extra["materials"] == [article] and pub.extra["event_type"] == "round_table"
        assert "<script" not in pub.extra["programme"] and "onerror" not in pub.extra["programme"]
        assert "<em>12:00</em>" in pub.extra["programme"]
        people = {a.person.surname: a.person_id for a in pub.authorships}
    publish(editor, pub_id)
    html = anonymous.get(f"/p/{pub_id}?hl=en").get_data(as_text=True)
    assert "Алматы, Дом дружбы" in html and "May 20, 2024" in html and "May 21, 2024" in html
    assert "Round table" in html and "Participants" in html and values["title_kk"] in html
    programme = html[html.index('id="programme-h"'):]
    assert "Пленарное заседание" in programme and "<em>12:00</em>" in programme
    assert "<script>alert" not in html and "onerror" not in html
    materials = html[html.index('id="materials-h"'):]
    assert f'/p/{article}">Тезисы круглого стола</a>' in materials
    assert hits(anonymous, "пленарного заседания") == [pub_id]          # programme text is searched
    assert hits(anonymous, "Дома дружбы") == [pub_id]                   # and the place
    person = anonymous.get(f"/authors/{people['Сериков']}?hl=en").get_data(as_text=True)
    assert f"/p/{pub_id}" in person[person.index('<section id="events"'):]
    assert f"/p/{pub_id}" in anonymous.get("/kinds/event").get_data(as_text=True)


def test_event_with_unknown_material_or_end_before_start_is_refused(signed_in, archive):
    member = signed_in("member")
    base = {"title_ru": "Семинар", "event_type": "seminar", "date": "2024-05-20"}
    r = post_entry(member, "event", {**base, "materials": "999999"})
    assert r.status_code == 400 and "No publication with number 999999" in r.get_data(as_text=True)
    r = post_entry(member, "event", {**base, "materials": "see the volume"})
    assert r.status_code == 400 and "is not a publication number" in r.get_data(as_text=True)
    r = post_entry(member, "event", {**base, "date_end": "2024-05-19"})
    assert r.status_code == 400 and "cannot end before it begins" in r.get_data(as_text=True)
    r = post_entry(member, "event", {**base, "event_type": "party"})
    assert r.status_code == 400
    r = post_entry(member, "event", {"event_type": "seminar", "date": "2024-05-20"})
    assert r.status_code == 400 and "The title cannot be empty" in r.get_data(as_text=True)
    with archive.db.session() as s:
        assert s.scalar(select(Publication.id)) is None


def test_report_without_a_file(signed_in, archive):
    member, editor, anonymous = signed_in("member"), signed_in("editor"), signed_in("anonymous")
    values = {"report_type": "recommendation", "title": "Рекомендации по языковым курсам для взрослых",
              "authors": "Ким Светлана Вячеславовна", "date": "2023-11-02", "language": "ru",
              "addressee": "Министерство культуры и информации РК",
              "abstract_ru": "<p>Предлагается <em>расширить</em> сеть курсов.</p>"}
    pub_id = created_id(post_entry(member, "report", values))
    publish(editor, pub_id)
    html = anonymous.get(f"/p/{pub_id}?hl=en").get_data(as_text=True)
    assert "Addressed to" in html and "Министерство культуры и информации РК" in html
    assert "Recommendation" in html and "<em>расширить</em>" in html and "November 2, 2023" in html
    assert hits(anonymous, "министерству") == [pub_id]
    assert f"/p/{pub_id}" in anonymous.get("/kinds/report").get_data(as_text=True)


def test_report_with_a_file_goes_through_ingest_then_becomes_a_report(signed_in, archive, tmp_path):
    member, editor, anonymous = signed_in("member"), signed_in("editor"), signed_in("anonymous")
    pdf = make_pdf(tmp_path / "note.pdf", RU_ARTICLE)
    r = post_entry(member, "report", {"report_type": "analytical_note", "addressee": "Ассамблея народа Казахстана",
                                      "file": (open(pdf, "rb"), "записка.pdf")}, content_type="multipart/form-data")
    pub_id = created_id(r)
    with archive.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub.kind == "report" and pub.status == "draft" and pub.source_file is not None
        assert pub.pages and "МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ" in pub.title.upper()          # read from the file
        assert [a.person.surname for a in pub.authorships] == ["Иванова"]
        assert pub.extra["report_type"] == "analytical_note"
    assert not list((archive.data_dir / "incoming").iterdir())
    publish(editor, pub_id)
    assert hits(anonymous, "озёрам") == [pub_id]
    html = anonymous.get(f"/p/{pub_id}?hl=en").get_data(as_text=True)
    assert "Ассамблея народа Казахстана" in html and "Analytical note" in html and "Download PDF" in html


def test_anonymous_and_other_members_cannot_write(signed_in, archive, users):
    member, other, anonymous = signed_in("member"), signed_in("other"), signed_in("anonymous")
    r = anonymous.get("/entries/new/commentary")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert post_entry(anonymous, "commentary", COMMENTARY).status_code == 401
    pub_id = created_id(post_entry(member, "commentary", COMMENTARY))
    form = {"csrf_token": other.csrf, "title": "Чужое", "kind": "commentary", "commentary-outlet": "X",
            "commentary-date": "2024-01-01", "commentary-quote": "чужое"}
    assert other.get(f"/review/{pub_id}").status_code == 404
    assert other.post(f"/review/{pub_id}/metadata", data=form).status_code == 404
    assert anonymous.post(f"/review/{pub_id}/metadata", data={**form, "csrf_token": anonymous.csrf}).status_code == 401
    # The owner edits the draft's own fields but cannot change its kind; nor edit once published.
    r = member.post(f"/review/{pub_id}/metadata", data={**form, "csrf_token": member.csrf, "kind": "event",
                                                        "event-date": "2024-01-01"})
    assert r.status_code == 403
    publish(signed_in("editor"), pub_id)
    r = member.post(f"/review/{pub_id}/metadata", data={**form, "csrf_token": member.csrf})
    assert r.status_code == 403
    with archive.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub.kind == "commentary" and pub.extra["outlet"] == "Казинформ"
    assert signed_in("member").get("/entries/new/party").status_code == 404


def test_entry_without_csrf_token_is_refused(signed_in, archive):
    member = signed_in("member")
    r = member.post("/entries/new/commentary", data=COMMENTARY)
    assert r.status_code == 400 and "The form has expired" in r.get_data(as_text=True)
    r = member.post("/entries/new/commentary", data={**COMMENTARY, "csrf_token": "forged"})
    assert r.status_code == 400
    with archive.db.session() as s:
        assert s.scalar(select(Publication.id)) is None


def test_editor_changes_the_kind_of_a_published_article_to_commentary(signed_in, archive, users):
    editor, anonymous = signed_in("editor"), signed_in("anonymous")
    with archive.db.session() as s:
        person = Person(name="Ким Светлана", surname="Ким", given="Светлана")
        pub = Publication(kind="article", status="published", title="Интервью о курсах", language="ru",
                          year=2024, published_at=utcnow(), extra={"journal": "Мысль"})
        pub.authorships.append(Authorship(person=person, position=1, name_as_printed="Ким Светлана"))
        s.add(pub)
        s.commit()
        pub_id, person_id = pub.id, person.id
    html = editor.get(f"/review/{pub_id}?hl=en").get_data(as_text=True)
    assert 'name="kind"' in html and 'name="commentary-outlet"' in html and 'name="event-programme"' in html
    form = {"csrf_token": editor.csrf, "title": "Интервью о курсах", "authors": "Ким Светлана", "year": "2024",
            "language": "ru", "kind": "commentary"}
    r = editor.post(f"/review/{pub_id}/metadata", data=form)
    assert r.status_code == 400 and "Name the outlet" in r.get_data(as_text=True)
    r = editor.post(f"/review/{pub_id}/metadata", data={
        **form, "commentary-outlet": "Хабар", "commentary-date": "2024-06-01",
        "commentary-url": "https://khabar.kz/x", "commentary-quote": QUOTE, "event-programme": "ignored"})
    assert r.status_code == 303
    with archive.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub.kind == "commentary" and pub.extra == {
            "journal": "Мысль", "outlet": "Хабар", "date": "2024-06-01", "url": "https://khabar.kz/x", "quote": QUOTE}
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.kind")).one()
        assert ev.object_id == pub_id and ev.details["changes"]["kind"] == ["article", "commentary"]
    assert hits(anonymous, "курсами") == [pub_id]                      # re-indexed after the change
    assert f"/p/{pub_id}" in anonymous.get("/kinds/commentary").get_data(as_text=True)
    assert f"/p/{pub_id}" not in anonymous.get("/kinds/article").get_data(as_text=True)
    person = anonymous.get(f"/authors/{person_id}?hl=en").get_data(as_text=True)
    assert f"/p/{pub_id}" in person[person.index("Media commentary"):]
    # Back to an event: the commentary's fields go, the event's come.
    r = editor.post(f"/review/{pub_id}/metadata", data={
        **form, "kind": "event", "event-event_type": "seminar", "event-date": "2024-06-02", "event-place": "Астана"})
    assert r.status_code == 303
    with archive.db.session() as s:
        pub = s.get(Publication, pub_id)
        assert pub.kind == "event" and "quote" not in pub.extra and pub.extra["place"] == "Астана"
        assert pub.extra["journal"] == "Мысль"


def test_citations_of_the_new_kinds(archive):
    from archive.services import citations

    with archive.db.session() as s:
        person = Person(name="Ким Светлана", surname="Ким", given="Светлана")
        com = Publication(id=77, kind="commentary", status="published", title="О курсах", language="ru", year=2024,
                          extra={"outlet": "Казинформ", "date": "2024-03-15", "url": "https://inform.kz/x",
                                 "quote": QUOTE})
        com.authorships.append(Authorship(person=person, position=1))
        ev = Publication(id=78, kind="event", status="published", title="Семинар", language="kk", year=2024,
                         extra={"event_type": "seminar", "date": "2024-05-20", "place": "Алматы", "materials": [77]})
        s.add_all([com, ev])
        s.flush()
        gost = citations.gost_r_7_0_100(com, "https://archive.example.kz")
        assert "// Казинформ" in gost and "2024. – 15 марта" in gost and "URL: https://inform.kz/x" in gost
        bib = citations.bibtex(com, "https://archive.example.kz")
        assert bib.startswith("@misc{") and "url = {https://inform.kz/x}" in bib and "howpublished = {Казинформ}" in bib
        assert "DA  - 2024/03/15" in citations.ris(com)
        assert citations.csl_json(com)["issued"] == {"date-parts": [[2024, 3, 15]]}
        for fn in (citations.gost_r_7_0_100, citations.gost_7_1, citations.bibtex, citations.ris, citations.csl_json,
                   citations.dublin_core_xml):
            assert fn(ev, "https://archive.example.kz")
        assert "Алматы, 2024" in citations.gost_7_1(ev)
        s.rollback()


def test_new_entry_pages_render_for_a_member(signed_in):
    member = signed_in("member")
    html = member.get("/entries/new?hl=en").get_data(as_text=True)
    for kind in ("commentary", "event", "report"):
        assert f'href="/entries/new/{kind}"' in html
    for kind, field in (("commentary", 'name="quote"'), ("event", 'name="programme"'), ("report", 'name="file"')):
        page = member.get(f"/entries/new/{kind}?hl=en").get_data(as_text=True)
        assert field in page and 'name="csrf_token"' in page and 'value="language-policy"' in page
    assert 'href="/entries/new"' in member.get("/upload").get_data(as_text=True)
