"""Counts over every published publication (years, topics, volumes, the home page's total) are made once per
search index generation: a page between two changes reads the kept counts; a change, once indexed, shows."""
from sqlalchemy import event, select

from archive.models import Publication, User
from archive.services import indexing, publishing
from archive.services.accounts import create_user
from archive.services.browse import counted, field_scope, topic_counts, volume_list, year_counts, year_scope
from archive.services.ingest import ingest_file
from support import DEMO


def _editor(session) -> User:
    return create_user(session, "ed@example.kz", "correct horse battery", role="editor")


def test_counts_are_made_once_per_index_generation_and_follow_an_indexed_change(archive, client):
    first = ingest_file(archive, DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.pdf", publish=True)
    other = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    pid = first.publication_ids[0]
    with archive.db.session() as s:
        before = year_counts(s, archive)
        assert before == year_counts(s) and sum(before.values()) >= 2
        topics, volumes = topic_counts(s, archive), volume_list(s, archive)
        assert [v.id for v, n in volumes.items] == [s.get(Publication, other.publication_ids[0]).volume_id]
        year, lang, kind = s.get(Publication, pid).year, s.get(Publication, pid).language, s.get(Publication, pid).kind
        listed = [field_scope(s, "language", lang, archive).total, field_scope(s, "kind", kind, archive).total]
        assert year_scope(s, year, archive).total == before[year] and min(listed) >= 1
        # The kept counts, not a count: a write the index has not seen yet is not in them.
        calls = []
        assert counted(archive, "years", lambda: calls.append(1)) == before and calls == []
        editor = _editor(s)
        s.commit()
        editor_id = editor.id
    # A withdrawal, indexed after its commit as the web and the CLI do, is counted.
    with archive.db.session() as s:
        publishing.withdraw(s, s.get(User, editor_id), pid, {"reason": "проверка"})
        s.commit()
        assert year_counts(s, archive) == before           # committed, not yet indexed: the kept counts
        assert [field_scope(s, "language", lang, archive).total, field_scope(s, "kind", kind, archive).total] == listed
    indexing.index_after_commit(archive)
    with archive.db.session() as s:
        after = year_counts(s, archive)
        assert after == year_counts(s) and after.get(year, 0) == before[year] - 1
        assert [field_scope(s, "language", lang, archive).total,
                field_scope(s, "kind", kind, archive).total] == [n - 1 for n in listed]
        assert sum(n for _t, n in topic_counts(s, archive)) <= sum(n for _t, n in topics)
    served = {i["year"]: i["count"] for i in client.get("/api/years").get_json()["items"]}
    assert served == after
    assert client.get("/years").status_code == 200 and client.get("/volumes").status_code == 200


def test_without_an_archive_every_call_counts(archive):
    ingest_file(archive, DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.pdf", publish=True)
    with archive.db.session() as s:
        years = year_counts(s)
        pub = s.scalars(select(Publication)).first()
        pub.year = 1999
        s.flush()
        assert year_counts(s) == {1999: 1} != years


def test_volumes_are_listed_a_page_at_a_time_newest_first(archive, client):
    """/volumes and /api/volumes show a page of the volumes with published content (newest year first, then by
    title), and a page reads only its own volumes' rows; a volume with drafts only is not listed."""
    from archive.models import Volume

    made = [("Сборник Б", 2023, 2), ("Сборник А", 2023, 1), ("Материалы конференции", 2021, 3),
            ("Ғылыми жинақ", 2022, 1), ("Без года", None, 1), ("Тезисы", 2021, 1), ("Черновики", 2024, 0)]
    with archive.db.session() as s:
        for title, year, published in made:
            vol = Volume(title=title, year=year)
            s.add(vol)
            for i in range(max(published, 1)):
                s.add(Publication(kind="article", title=f"{title}: статья {i}", year=year, volume=vol,
                                  status="published" if published else "draft"))
        s.commit()
    expected = ["Сборник А", "Сборник Б", "Ғылыми жинақ", "Материалы конференции", "Тезисы", "Без года"]
    with archive.db.session() as s:
        pages = [volume_list(s, None, page, 4) for page in (1, 2, 3)]
        assert [[v.title for v, _n in p.items] for p in pages] == [expected[:4], expected[4:], []]
        assert [(p.total, p.pages) for p in pages] == [(6, 2)] * 3
        assert dict((v.title, n) for v, n in pages[0].items)["Материалы конференции"] == 3
    read: list = []            # (statement, parameters) of every read of whole volume rows

    def seen(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM volumes" in statement and "volumes.event_title" in statement:
            read.append((statement, list(parameters.values()) if isinstance(parameters, dict) else list(parameters)))
    event.listen(archive.db.engine, "before_cursor_execute", seen)
    try:
        with archive.db.session() as s:
            shown = volume_list(s, None, 2, 4)
    finally:
        event.remove(archive.db.engine, "before_cursor_execute", seen)
    assert len(read) == 1 and sorted(read[0][1]) == sorted(v.id for v, _n in shown.items) and len(shown.items) == 2
    first = client.get("/volumes").get_data(as_text=True)
    assert all(t in first for t in expected) and "Черновики" not in first
    r = client.get("/api/volumes?limit=4&page=2").get_json()
    assert (r["total"], r["page"], r["limit"], [v["title"] for v in r["items"]]) == (6, 2, 4, expected[4:])
    assert client.get("/volumes?page=2").status_code == 404        # 50 a page: one page here
