"""Split editing that models volumes as they are printed: shared pages, neighbours only, merge then split."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.models import AuditEvent, Person, Publication, User
from archive.services import splits
from volume_support import LAYOUT, make_volume  # noqa: F401

def spans(archive, vol_id):
    with archive.db.session() as s:
        return [(p.pdf_page_start, p.pdf_page_end) for p in s.scalars(
            select(Publication).where(Publication.parent_id == vol_id)
            .order_by(Publication.pdf_page_start, Publication.id))]


def move(client, pub_id, a, b):
    return client.post(f"/review/{pub_id}/boundary", data={"csrf_token": client.csrf, "start": str(a), "end": str(b)})


def test_boundary_change_is_checked_against_neighbours_only(signed_in, archive, users):
    # Articles 2 and 3 share page 6 (as the splitter proposed): changing article 1 must not trip over them.
    ids = make_volume(archive, users["member"])
    member = signed_in("member")
    r = move(member, ids[1], 1, 4)
    assert r.status_code == 303
    # 1 and 2 shared page 3: they now share page 4; 2 and 3 still share page 6; 4 is untouched
    assert spans(archive, ids["volume"]) == [(1, 4), (4, 6), (6, 6), (7, 10)]


def test_adjacent_neighbour_follows_on_the_next_page(signed_in, archive, users):
    ids = make_volume(archive, users["member"], layout=[(1, 3), (4, 6), (7, 10)])
    member = signed_in("member")
    assert move(member, ids[2], 3, 7).status_code == 303
    assert spans(archive, ids["volume"]) == [(1, 2), (3, 7), (8, 10)]


def test_unchanged_range_says_nothing_changed(signed_in, archive, users):
    ids = make_volume(archive, users["member"])
    member = signed_in("member")
    r = move(member, ids[2], 3, 6)
    assert r.status_code == 303
    page = member.get(r.headers["Location"]).get_data(as_text=True)
    assert "Page range changed." not in page and "Nothing to change" in page
    with archive.db.session() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "volume.boundary")).first() is None


def test_conflict_names_the_pages_and_offers_the_fix(signed_in, archive, users):
    ids = make_volume(archive, users["member"])
    member = signed_in("member")
    r = move(member, ids[2], 3, 8)          # would swallow article 3 (page 6 only)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "would take every page of “Статья номер 3” (pages 6–6)" in html and "end on page 6" in html
    assert spans(archive, ids["volume"]) == [(1, 3), (3, 6), (6, 6), (7, 10)]       # nothing changed


def test_conflict_offers_range_and_merge_fixes(archive, users):
    ids = make_volume(archive, users["member"])
    with archive.db.session() as s:
        editor = s.get(User, users["editor"])
        with pytest.raises(splits.SplitConflict) as err:
            splits.move_boundary(s, editor, ids[2], {"start": "3", "end": "8"})
    kinds = [(f.kind, f.first, f.last) for f in err.value.fixes]
    assert ("range", 3, 6) in kinds and any(k == "merge" for k, _a, _b in kinds)


def test_short_title_never_cuts_mid_word():
    t = "Межэтнические отношения и языковая политика в современном мегаполисе Казахстана: опыт Алматы"
    out = splits.short_title(t, 40)
    assert out.endswith("…") and out[:-1] in t and t[len(out) - 1] == " "


def test_merge_then_split_restores_each_articles_authors(signed_in, archive, users):
    ids = make_volume(archive, users["member"], layout=[(1, 3), (4, 6), (7, 10)],
                      authors={2: ["Ляхов Л.Н.", "Иванова М.П."], 3: ["Ochilova N.K."]})
    member = signed_in("member")
    assert member.post(f"/review/{ids[2]}/merge", data={"csrf_token": member.csrf}).status_code == 303
    with archive.db.session() as s:
        merged = s.get(Publication, ids[2])
        assert [a.name_as_printed for a in merged.authorships] == ["Ляхов Л.Н.", "Иванова М.П.", "Ochilova N.K."]
    r = member.post(f"/review/{ids[2]}/split", data={"csrf_token": member.csrf, "page": "7"})
    assert r.status_code == 303
    with archive.db.session() as s:
        first = s.get(Publication, ids[2])
        second = s.scalars(select(Publication).where(Publication.pdf_page_start == 7)).one()
        assert [a.name_as_printed for a in first.authorships] == ["Ляхов Л.Н.", "Иванова М.П."]
        assert [a.name_as_printed for a in second.authorships] == ["Ochilova N.K."]
        assert second.title == "Статья номер 3"


def test_split_elsewhere_warns_to_check_authors(signed_in, archive, users):
    ids = make_volume(archive, users["member"], layout=[(1, 3), (4, 6), (7, 10)])
    member = signed_in("member")
    r = member.post(f"/review/{ids[3]}/split", data={"csrf_token": member.csrf, "page": "9"})
    assert r.status_code == 303
    assert "read from its first page" in member.get(r.headers["Location"]).get_data(as_text=True)


def test_author_name_fix_reaches_public_page_facets_and_citations(signed_in, archive, users):
    ids = make_volume(archive, users["member"], layout=[(1, 3), (4, 6), (7, 10)], authors={1: ["Ляхов Л.Н"]})
    editor = signed_in("editor")
    r = editor.post(f"/review/{ids[1]}/metadata", data={
        "csrf_token": editor.csrf, "title": "Статья номер 1", "authors": "Ляхов Л.Н.", "year": "2021",
        "language": "ru", "keywords": "", "kind": "article"})
    assert r.status_code == 303
    assert editor.post(f"/review/{ids[1]}/publish", data={"csrf_token": editor.csrf}).status_code == 303
    page = editor.get(f"/p/{ids[1]}").get_data(as_text=True)
    assert "Ляхов Л.Н." in page and "Ляхов Л.Н<" not in page and "Ляхов Л.Н;" not in page
    api = editor.get(f"/api/publications/{ids[1]}").get_json()
    assert api["authors"] == ["Ляхов Л.Н."]
    gost = editor.get(f"/p/{ids[1]}/cite.txt").get_data(as_text=True)
    bib = editor.get(f"/p/{ids[1]}/cite.bib").get_data(as_text=True)
    assert gost.startswith("Ляхов, Л. Н. Статья номер 1 / Л. Н. Ляхов.")
    assert "author = {Ляхов, Л. Н.}" in bib or "author = {Ляхов, Л.Н.}" in bib, bib
    facets = editor.get("/api/search?q=Страница").get_json()["facets"].get("persons", {})
    with archive.db.session() as s:
        person = s.scalars(select(Person).where(Person.surname == "Ляхов")).one()
        assert person.name == "Ляхов Л.Н."
    assert str(person.id) in facets


def test_merge_then_split_gives_back_a_shared_page(signed_in, archive, users):
    # Articles 1 and 2 share page 3, as printed volumes do; merging and splitting at page 3 restores that.
    ids = make_volume(archive, users["member"])
    member = signed_in("member")
    assert member.post(f"/review/{ids[1]}/merge", data={"csrf_token": member.csrf}).status_code == 303
    assert spans(archive, ids["volume"]) == [(1, 6), (6, 6), (7, 10)]
    assert member.post(f"/review/{ids[1]}/split", data={"csrf_token": member.csrf, "page": "3"}).status_code == 303
    assert spans(archive, ids["volume"]) == [(1, 3), (3, 6), (6, 6), (7, 10)]
    with archive.db.session() as s:
        first = s.get(Publication, ids[1])
        assert (first.page_start, first.page_end) == (28, 30)        # printed pages follow the range
