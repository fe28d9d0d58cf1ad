"""Related publications: shared authors weigh more than shared topics; never itself, drafts or duplicates."""
from __future__ import annotations

import pytest

from archive.models import Authorship, Person, Publication, PublicationTopic, Topic, utcnow
from archive.services.related import related_publications


def _pub(s, title, status="published", **kw):
    p = Publication(kind="article", status=status, title=title, published_at=utcnow(), **kw)
    s.add(p)
    s.flush()
    return p


def _topics(s, pub, *topics):
    for t in topics:
        s.add(PublicationTopic(publication_id=pub.id, topic_id=t.id))
    s.flush()


def _author(s, pub, *people):
    for i, person in enumerate(people, 1):
        pub.authorships.append(Authorship(person=person, position=i, name_as_printed=person.name))
    s.flush()


@pytest.fixture
def world(archive):
    with archive.db.session() as s:
        t1 = Topic(slug="t-lang", label_ru="Язык", label_kk="Тіл", label_en="Language")
        t2 = Topic(slug="t-eth", label_ru="Этнос", label_kk="Этнос", label_en="Ethnicity")
        alpha, beta = Person(name="Альфа А."), Person(name="Бета Б.")
        s.add_all([t1, t2, alpha, beta])
        s.flush()
        main = _pub(s, "Главная", year=2020)
        _topics(s, main, t1, t2)
        _author(s, main, alpha)
        same_author = _pub(s, "Того же автора", year=2019)
        _author(s, same_author, alpha)
        two_topics = _pub(s, "Две темы", year=2018)
        _topics(s, two_topics, t1, t2)
        one_topic = _pub(s, "Одна тема", year=2021)
        _topics(s, one_topic, t1)
        unrelated = _pub(s, "Ничего общего")
        _author(s, unrelated, beta)
        draft = _pub(s, "Черновик", status="draft")
        _author(s, draft, alpha)
        twin = _pub(s, "Дубликат главной", duplicate_of_id=main.id)
        _author(s, twin, alpha)
        _topics(s, twin, t1)
        extras = []
        for i in range(6):
            p = _pub(s, f"Ещё {i}", year=2000 + i)
            _topics(s, p, t2)
            extras.append(p.id)
        s.commit()
        return {"main": main.id, "same_author": same_author.id, "two_topics": two_topics.id,
                "one_topic": one_topic.id, "unrelated": unrelated.id, "draft": draft.id, "twin": twin.id,
                "extras": extras}


def test_related_ranks_shared_authors_then_topics(archive, world):
    with archive.db.session() as s:
        got = [p.id for p in related_publications(s, s.get(Publication, world["main"]))]
    assert len(got) == 5
    assert got[:2] == [world["two_topics"], world["same_author"]] or got[:2] == [world["same_author"],
                                                                               world["two_topics"]]
    assert world["one_topic"] in got
    for excluded in ("main", "unrelated", "draft", "twin"):
        assert world[excluded] not in got


def test_the_duplicate_does_not_list_its_original(archive, world):
    with archive.db.session() as s:
        got = [p.id for p in related_publications(s, s.get(Publication, world["twin"]), limit=20)]
    assert world["main"] not in got and world["twin"] not in got
    assert world["same_author"] in got


def test_nothing_shared_nothing_related(archive, world):
    with archive.db.session() as s:
        assert related_publications(s, s.get(Publication, world["unrelated"])) == []


def test_publication_page_shows_related(client, world):
    html = client.get(f"/p/{world['main']}?hl=en").get_data(as_text=True)
    assert "Related publications" in html and "Того же автора" in html
    assert "Черновик" not in html and "Ничего общего" not in html


def test_of_a_topic_its_newest_publications_are_weighed_not_all_of_them(archive, world, monkeypatch):
    """A topic holds a share of the whole archive: only its ``TOPIC_CANDIDATES`` newest are candidates (before,
    every publication of every topic of the page's publication was gathered and summed, 55 ms at 30,000)."""
    from archive.services import related

    with archive.db.session() as s:
        everyone = [p.id for p in related_publications(s, s.get(Publication, world["extras"][0]), limit=20)]
        monkeypatch.setattr(related, "TOPIC_CANDIDATES", 2)
        newest = [p.id for p in related_publications(s, s.get(Publication, world["extras"][0]), limit=20)]
    assert len(everyone) == 7 and newest == [world["main"], world["two_topics"]]


def test_of_an_author_the_works_last_added_are_weighed_not_all_of_them(archive, world, monkeypatch):
    """A prolific author's every work was a candidate (a thousand for one person): only the ``AUTHOR_CANDIDATES``
    last added are."""
    from archive.services import related

    with archive.db.session() as s:
        alpha = s.get(Publication, world["main"]).authorships[0].person
        later = [_pub(s, f"Позже {i}", year=1990 + i) for i in range(3)]
        for p in later:
            _author(s, p, alpha)
        s.commit()
        of_same_author = [p.id for p in related_publications(s, s.get(Publication, world["same_author"]), limit=20)]
        monkeypatch.setattr(related, "AUTHOR_CANDIDATES", 2)
        last_added = [p.id for p in related_publications(s, s.get(Publication, world["same_author"]), limit=20)]
    assert set(of_same_author) == {world["main"], *[p.id for p in later]}
    assert last_added == [later[2].id, later[1].id]
