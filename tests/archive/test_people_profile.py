"""Editors edit a person's public profile; the person page shows it (the press contact only with agreement)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.models import AuditEvent, Authorship, IndexTask, Person, Publication, utcnow

PROFILE = {"name_latin": "Qwertova Zhanar", "degree": "к.социол.н.", "position": "ведущий научный сотрудник",
           "institution": "Институт философии, политологии и религиоведения",
           "bio": "<p>Исследует <em>языковую политику</em>.</p><script>alert(1)</script><img src=x onerror=alert(2)>",
           "press_contact": "press@example.kz", "press_contact_agreed": "1", "is_member": "1"}


@pytest.fixture
def person(archive):
    """A person with one published article."""
    with archive.db.session() as s:
        p = Person(name="Жанар Кабдулова", surname="Кабдулова", given="Жанар")
        pub = Publication(kind="article", status="published", title="Языковая политика в школах", year=2022,
                          language="ru", published_at=utcnow())
        pub.authorships.append(Authorship(person=p, position=1, name_as_printed="Кабдулова Ж."))
        s.add(pub)
        s.commit()
        return {"id": p.id, "pub": pub.id}


def save(client, person_id, values):
    return client.post(f"/review/people/{person_id}/profile", data={"csrf_token": client.csrf, **values})


def test_editor_edits_the_profile_and_the_person_page_shows_it(signed_in, archive, person, users):
    editor, anonymous = signed_in("editor"), signed_in("anonymous")
    html = editor.get(f"/review/people/{person['id']}?hl=en").get_data(as_text=True)
    assert 'name="press_contact_agreed"' in html and 'name="bio"' in html and 'name="name_latin"' in html
    r = save(editor, person["id"], PROFILE)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/review/people/{person['id']}")
    with archive.db.session() as s:
        p = s.get(Person, person["id"])
        assert (p.degree, p.is_member, p.press_contact_agreed) == ("к.социол.н.", True, True)
        assert "<script" not in p.bio and "onerror" not in p.bio and "<em>языковую политику</em>" in p.bio
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "person.edit")).one()
        assert (ev.object_type, ev.object_id, ev.user_id) == ("person", p.id, users["editor"])
        assert ev.details["changes"]["degree"] == ["", "к.социол.н."]
        assert s.scalar(select(IndexTask.id)) is None           # re-indexed after the commit (Latin name)
    page = anonymous.get(f"/authors/{person['id']}?hl=en").get_data(as_text=True)
    for text in ("Qwertova Zhanar", "к.социол.н.", "ведущий научный сотрудник", PROFILE["institution"],
                 "Member of the Scientific-Expert Group", 'href="mailto:press@example.kz"',
                 "<em>языковую политику</em>"):
        assert text in page, text
    assert "<script>alert" not in page and "onerror" not in page
    assert [h["id"] for h in anonymous.get("/api/search?q=Qwertova").get_json()["hits"]] == [person["pub"]]
    assert anonymous.get(f"/api/people/{person['id']}").get_json()["press_contact"] == "press@example.kz"
    assert f'/authors/{person["id"]}"' in anonymous.get("/members").get_data(as_text=True)     # now a member


def test_press_contact_is_hidden_without_agreement(signed_in, archive, person):
    editor, anonymous = signed_in("editor"), signed_in("anonymous")
    assert save(editor, person["id"], {**PROFILE, "press_contact_agreed": ""}).status_code == 303
    page = anonymous.get(f"/authors/{person['id']}?hl=en").get_data(as_text=True)
    assert "press@example.kz" not in page and "Contact for the press" not in page
    assert anonymous.get(f"/api/people/{person['id']}").get_json()["press_contact"] is None
    assert "press@example.kz" in editor.get(f"/review/people/{person['id']}").get_data(as_text=True)


def test_agreement_without_a_contact_or_too_long_values_are_refused(signed_in, archive, person):
    editor = signed_in("editor")
    r = save(editor, person["id"], {**PROFILE, "press_contact": ""})
    assert r.status_code == 303
    html = editor.get(r.headers["Location"] + "?hl=en").get_data(as_text=True)
    assert "Give the contact for the press, or untick the agreement." in html
    r = save(editor, person["id"], {**PROFILE, "degree": "д" * 201})
    html = editor.get(r.headers["Location"] + "?hl=en").get_data(as_text=True)
    assert "“Degree” is too long (at most 200 characters)." in html
    with archive.db.session() as s:
        assert s.get(Person, person["id"]).degree == ""
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.action == "person.edit")) is None


@pytest.mark.parametrize("who,status", [("member", 403), ("anonymous", 401)])
def test_only_editors_edit_profiles(signed_in, archive, person, who, status):
    client = signed_in(who)
    assert save(client, person["id"], PROFILE).status_code == status
    if who == "anonymous":
        r = client.get(f"/review/people/{person['id']}")
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    else:
        assert client.get(f"/review/people/{person['id']}").status_code == 403
    with archive.db.session() as s:
        assert s.get(Person, person["id"]).degree == ""


def test_profile_without_csrf_token_is_refused(signed_in, archive, person):
    editor = signed_in("editor")
    r = editor.post(f"/review/people/{person['id']}/profile", data=PROFILE)
    assert r.status_code == 400
    with archive.db.session() as s:
        assert s.get(Person, person["id"]).degree == ""


def test_profile_of_unknown_person_is_404(signed_in):
    editor = signed_in("editor")
    assert save(editor, 999999, PROFILE).status_code == 404
