"""Name variants of one person: candidate pairs, merging and splitting (with audit events and index work)."""
import pytest
from sqlalchemy import select

from archive.errors import NotFoundError, UserValueError
from archive.models import AuditEvent, Authorship, IndexTask, Person, PersonName, Publication
from archive.services.ingest import ingest_file
from archive.services.people_merge import (CANDIDATE_PAIRS, candidate_duplicates, candidate_page,
                                           initials_compatible, merge_people, name_parts, split_person, surname_key)
from support import DEMO

DEMO_FILES = ["ru-2020-yazykovaya-politika-trekhyazychie.pdf", "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf"]


@pytest.fixture
def pubs(archive):
    """Two demo articles, published: their ids by file name."""
    out = {}
    for name in DEMO_FILES:
        outcome = ingest_file(archive, DEMO / name, name, publish=True)
        assert outcome.status == "ok"
        out[name] = outcome.publication_ids[0]
    return out


def _person(s, name, surname="", given="", **kw) -> Person:
    p = Person(name=name, surname=surname, given=given, **kw)
    s.add(p)
    s.flush()
    return p


def _author(s, person, pub_id, printed) -> Authorship:
    pub = s.get(Publication, pub_id)
    a = Authorship(person=person, position=len(pub.authorships) + 1, name_as_printed=printed)
    pub.authorships.append(a)
    s.flush()
    return a


def _pairs(s):
    return {frozenset((a.name, b.name)): reason for a, b, reason in candidate_duplicates(s)}


@pytest.mark.parametrize("a, b, same", [
    ("Байжанұлы", "Байжанов", True), ("Мұқанова", "Мұқанқызы", True), ("Иванов", "Ivanov", True),
    ("Ёлкин", "Елкин", True), ("Иванов", "Иванова", False), ("Байжанұлы", "Байжанова", False),
])
def test_surname_key_joins_kazakh_forms_latin_and_yo(a, b, same):
    assert (surname_key(a)[0] == surname_key(b)[0]) is same


@pytest.mark.parametrize("a, b, ok", [
    ("А.Б.", "Алексей Борисович", True), ("А.Б.", "А.", True), ("А.Б.", "А.В.", False),
    ("Алексей Борисович", "Александр Борисович", False), ("Ж.Қ.", "Zh.K.", True), ("Ж.", "J.", True),
    ("", "А.Б.", True),
])
def test_initials_compatible(a, b, ok):
    pa = name_parts(Person(name="X " + a, surname="X", given=a)).given
    pb = name_parts(Person(name="X " + b, surname="X", given=b)).given
    assert initials_compatible(pa, pb) is ok


def test_candidate_duplicates_finds_variants_and_not_different_people(archive, pubs):
    with archive.db.session() as s:
        _person(s, "Иванов Алексей Борисович", "Иванов", "Алексей Борисович")
        _person(s, "Ivanov A.B.", "Ivanov", "A.B.")
        _person(s, "А.Б. Иванов")                                   # surname not parsed: read from the name
        _person(s, "Иванов А.В.", "Иванов", "А.В.")
        _person(s, "Иванова А.Б.", "Иванова", "А.Б.")
        _person(s, "Байжанов Қ.Ж.", "Байжанов", "Қ.Ж.")
        _person(s, "Байжанұлы Қайрат Жанұлы", "Байжанұлы", "Қайрат Жанұлы")
        pairs = _pairs(s)
        assert frozenset(("Иванов Алексей Борисович", "Ivanov A.B.")) in pairs
        assert "Latin" in pairs[frozenset(("Иванов Алексей Борисович", "Ivanov A.B."))]
        assert frozenset(("Иванов Алексей Борисович", "А.Б. Иванов")) in pairs
        assert "ұлы" in pairs[frozenset(("Байжанов Қ.Ж.", "Байжанұлы Қайрат Жанұлы"))]
        assert frozenset(("Иванов Алексей Борисович", "Иванов А.В.")) not in pairs      # А.Б. is not А.В.
        assert not any("Иванова А.Б." in pair for pair in pairs)                        # a woman's surname
        assert not any("Ким Светлана Вячеславовна" in pair for pair in pairs)           # demo people are distinct


def test_candidate_duplicates_skips_coauthors_of_one_paper(archive, pubs):
    with archive.db.session() as s:
        a = _person(s, "Петров А.", "Петров", "А.")
        b = _person(s, "Петров Аскар", "Петров", "Аскар")
        pid = pubs[DEMO_FILES[0]]
        _author(s, a, pid, "Петров А.")
        _author(s, b, pid, "Петров Аскар")
        assert frozenset(("Петров А.", "Петров Аскар")) not in _pairs(s)


def _all_pairs_the_slow_way(s) -> set[tuple[int, int]]:
    """The definition: every unmerged person grouped by surname key, every compatible pair of a group that did not
    write one paper together (what the list computed over everyone on each request before it was paged)."""
    groups: dict[str, list[Person]] = {}
    for p in s.scalars(select(Person).where(Person.merged_into_id.is_(None)).order_by(Person.id)):
        if name_parts(p).surname_key:
            groups.setdefault(name_parts(p).surname_key, []).append(p)
    out = set()
    for members in groups.values():
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if ({x.publication_id for x in a.authorships} & {x.publication_id for x in b.authorships}
                        or not initials_compatible(name_parts(a).given, name_parts(b).given)):
                    continue
                out.add((a.id, b.id))
    return out


def test_possible_duplicates_come_a_page_at_a_time_and_every_pair_once(archive, pubs):
    from sqlalchemy import event

    with archive.db.session() as s:
        for i in range(12):                                        # 66 pairs: more than a page holds
            _person(s, f"Сейітов А.{i}", "Сейітов", "А.")
        letters = "бгдзклмнпрст"
        for n in range(60):                                        # 60 groups of three, 2 pairs each
            surname = f"Ба{letters[n // 12]}а{letters[n % 12]}ов"
            for given in ("Б.", "Борис", "Б.В."):
                _person(s, f"{surname} {given}", surname, given)
        _person(s, "Одинокий А.", "Одинокий", "А.")
        gone = _person(s, "Сейітов А.99", "Сейітов", "А.")
        gone.merged_into_id = 1
        a, b = _person(s, "Петров А.", "Петров", "А."), _person(s, "Petrov A.", "Petrov", "A.")
        _author(s, a, pubs[DEMO_FILES[0]], "Петров А.")
        _author(s, b, pubs[DEMO_FILES[0]], "Petrov A.")             # co-authors: not a pair
        s.flush()
        expected = _all_pairs_the_slow_way(s)
        total_people = s.query(Person).count()
        loaded: list[int] = []

        def on_load(target, _context):
            loaded.append(target.id)

        event.listen(Person, "load", on_load)
        try:
            seen: list[tuple[int, int]] = []
            page, pages, most_loaded, cuts = candidate_page(s), 1, 0, 0
            while True:
                assert len(page.pairs) <= CANDIDATE_PAIRS
                assert all(page.publications[x.id] == len({w.publication_id for w in x.authorships})
                           for pair in page.pairs for x in pair[:2])
                seen += [(x.id, y.id) for x, y, _ in page.pairs]
                most_loaded, loaded[:] = max(most_loaded, len(set(loaded))), []
                if not page.next_after:
                    break
                s.expunge_all()
                cut = page.next_from
                page, pages = candidate_page(s, page.next_after, page.next_from), pages + 1
                if cut:                                             # cut within a group: it goes on from there
                    cuts += 1
                    assert page.pairs[0][0].id == cut
        finally:
            event.remove(Person, "load", on_load)
        assert len(seen) == len(set(seen))                          # no pair on two pages
        assert set(seen) == expected and len(expected) == 66 + 60 * 3
        assert pages >= 5 and cuts >= 1
        assert most_loaded < total_people / 3                       # a page reads its groups' people, not everyone


def test_a_page_of_a_big_surname_group_compares_only_what_it_shows(archive, monkeypatch):
    """200 people of one surname, all compatible (19,900 pairs): the first page stops comparing when it is full."""
    from archive.services import people_merge

    with archive.db.session() as s:
        s.add_all([Person(name=f"Ахметов А.{i}", surname="Ахметов", given="А.") for i in range(200)])
        s.commit()
        compared = []
        real = people_merge.initials_compatible
        monkeypatch.setattr(people_merge, "initials_compatible", lambda a, b: compared.append(1) or real(a, b))
        page = candidate_page(s)
        assert len(page.pairs) == 199 and page.next_after and page.next_from    # the first person's pairs
        assert len(compared) < 2 * 200                              # not 19,900
        compared.clear()
        second = candidate_page(s, page.next_after, page.next_from)
        assert second.pairs[0][0].id == page.next_from and len(compared) < 3 * 200


def test_merge_moves_authorships_and_variants_and_keeps_an_audit_event(archive, pubs, app, client):
    from archive.views import browse

    if "browse" not in app.blueprints:
        app.register_blueprint(browse.bp)
    with archive.db.session() as s:
        keep = _person(s, "Иванов А.Б.", "Иванов", "А.Б.", name_key="иванов а б")
        keep.variants.append(PersonName(name="Иванов А.Б.", key="иванов а б"))
        gone = _person(s, "Ivanov Aleksei Borisovich", "Ivanov", "Aleksei Borisovich", degree="PhD",
                       press_contact="+7 727 000 00 00")
        gone.variants.append(PersonName(name="Ivanov A.B.", key="ivanov a b"))
        a1 = _author(s, keep, pubs[DEMO_FILES[0]], "Иванов А.Б.")
        a2 = _author(s, gone, pubs[DEMO_FILES[1]], "Ivanov A.B.")
        s.query(IndexTask).delete()
        s.commit()
        keep_id, gone_id, a2_id = keep.id, gone.id, a2.id
        merged = merge_people(s, keep_id, gone_id, user_id=None)
        s.commit()
        assert merged.id == keep_id
        assert s.get(Authorship, a2_id).person_id == keep_id and a1.person_id == keep_id
        assert s.get(Person, gone_id).merged_into_id == keep_id
        names = {v.name for v in s.get(Person, keep_id).variants}
        assert {"Иванов А.Б.", "Ivanov A.B.", "Ivanov Aleksei Borisovich"} <= names
        assert s.get(Person, keep_id).name == "Иванов А.Б."          # a Latin form does not replace Cyrillic
        assert merged.degree == "PhD" and merged.press_contact == "+7 727 000 00 00"
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "person.merge")).one()
        assert event.object_id == keep_id and event.details["merged_id"] == gone_id
        assert a2_id in event.details["moved_authorships"]
        tasks = {t.publication_id for t in s.scalars(select(IndexTask))}
        assert {pubs[DEMO_FILES[0]], pubs[DEMO_FILES[1]]} <= tasks
    r = client.get(f"/authors/{gone_id}")
    assert r.status_code == 301 and r.headers["Location"].endswith(f"/authors/{keep_id}")
    html = client.get(f"/authors/{keep_id}").get_data(as_text=True)
    assert "Ivanov A.B." in html and "Языковая политика" in html and "Межэтнические отношения" in html


def test_merge_adopts_the_fuller_cyrillic_name(archive, pubs):
    with archive.db.session() as s:
        keep = _person(s, "Иванов А.Б.", "Иванов", "А.Б.")
        gone = _person(s, "Иванов Алексей Борисович", "Иванов", "Алексей Борисович")
        merge_people(s, keep.id, gone.id)
        assert keep.name == "Иванов Алексей Борисович" and keep.name_key == "иванов а б"


def test_merge_of_two_names_on_one_paper_keeps_one_authorship(archive, pubs):
    with archive.db.session() as s:
        keep = _person(s, "Иванов А.Б.", "Иванов", "А.Б.")
        gone = _person(s, "Ivanov A.B.", "Ivanov", "A.B.")
        pid = pubs[DEMO_FILES[0]]
        _author(s, keep, pid, "Иванов А.Б.")
        _author(s, gone, pid, "Ivanov A.B.")
        merge_people(s, keep.id, gone.id)
        s.expire_all()
        assert [a.person_id for a in s.get(Publication, pid).authorships].count(keep.id) == 1


@pytest.mark.parametrize("case, error, message", [
    ("self", UserValueError, "cannot be merged into themselves"),
    ("missing", NotFoundError, "No person with id 999999"),
    ("twice", UserValueError, "already been merged"),
])
def test_merge_refuses_bad_requests(archive, pubs, case, error, message):
    with archive.db.session() as s:
        a = _person(s, "Иванов А.Б.", "Иванов", "А.Б.")
        b = _person(s, "Ivanov A.B.", "Ivanov", "A.B.")
        c = _person(s, "Иванов Алексей", "Иванов", "Алексей")
        if case == "twice":
            merge_people(s, a.id, b.id)
        args = {"self": (a.id, a.id), "missing": (a.id, 999999), "twice": (c.id, b.id)}[case]
        with pytest.raises(error) as exc:
            merge_people(s, *args)
        assert message in exc.value.message


def test_split_moves_selected_authorships_to_a_new_person(archive, pubs):
    with archive.db.session() as s:
        person = _person(s, "Ахметов А.", "Ахметов", "А.", name_key="ахметов а")
        person.variants.append(PersonName(name="Ахметов А.", key="ахметов а"))
        person.variants.append(PersonName(name="Ахметов Арман", key="ахметов а"))
        stay = _author(s, person, pubs[DEMO_FILES[0]], "Ахметов А.")
        moved = _author(s, person, pubs[DEMO_FILES[1]], "Ахметов Арман")
        new = split_person(s, person.id, [moved.id])
        s.commit()
        assert new.id != person.id and new.name == "Ахметов Арман" and new.name_key == "ахметов а"
        assert moved.person_id == new.id and stay.person_id == person.id
        assert {v.name for v in new.variants} == {"Ахметов Арман"}
        assert {v.name for v in person.variants} == {"Ахметов А."}
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "person.split")).one()
        assert event.details == {"new_person_id": new.id, "authorships": [moved.id]}
        assert pubs[DEMO_FILES[1]] in {t.publication_id for t in s.scalars(select(IndexTask))}


def test_split_refuses_authorships_of_someone_else(archive, pubs):
    with archive.db.session() as s:
        person = _person(s, "Ахметов А.", "Ахметов", "А.")
        other = s.scalars(select(Authorship)).first()
        with pytest.raises(UserValueError) as exc:
            split_person(s, person.id, [other.id])
        assert "Choose one or more publications" in exc.value.message
        with pytest.raises(UserValueError):
            split_person(s, person.id, [])
