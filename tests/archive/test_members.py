"""Upload in the background, review drafts, correct a volume's split, publish, withdraw, delete, audit."""
from __future__ import annotations


import pytest
from sqlalchemy import select

from archive.models import (AuditEvent, IndexTask, ProcessingRecord, Publication, PublicationPage, StoredFile, Volume)
from support import KK_ARTICLE, RU_ARTICLE, make_pdf

from accounts_support import PASSWORD, token, app, users, signed_in  # noqa: F401 - fixtures


def upload(client, *files):
    return client.post("/upload", data={"csrf_token": client.csrf, "files": [(open(p, "rb"), name) for p, name in files]},
                       content_type="multipart/form-data")


def test_member_upload_becomes_draft_member_cannot_publish_editor_publishes_and_search_finds_it(
        signed_in, archive, tmp_path):
    member, editor = signed_in("member"), signed_in("editor")
    ru = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)
    kk = make_pdf(tmp_path / "kk.pdf", KK_ARTICLE)
    r = upload(member, (ru, "Статья.pdf"), (kk, "мақала.pdf"))
    assert r.status_code == 303 and r.headers["Location"].endswith("/upload")
    status = member.get("/upload/status").get_json()
    assert not status["busy"] and [x["status"] for x in status["records"]] == ["ok", "ok"]
    assert {x["file"] for x in status["records"]} == {"Статья.pdf", "мақала.pdf"}
    with archive.db.session() as s:
        recs = list(s.scalars(select(ProcessingRecord).order_by(ProcessingRecord.id)))
        assert len(recs) == 2                                    # ingest's own records are folded into ours
        pub = s.get(Publication, recs[0].publication_ids[0])
        assert pub.status == "draft" and pub.created_by_id is not None
        pub_id = pub.id
    assert not list((archive.data_dir / "incoming").iterdir())   # waiting files are gone once processed
    html = member.get("/upload").get_data(as_text=True)
    assert "Ready for review" in html and f"/review/{pub_id}" in html and 'http-equiv="refresh"' not in html
    html = member.get("/review").get_data(as_text=True)
    assert f"/review/{pub_id}" in html
    page = member.get(f"/review/{pub_id}").get_data(as_text=True)
    assert "МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ" in page                     # the first page beside the form
    assert "/publish" not in page
    r = member.post(f"/review/{pub_id}/publish", data={"csrf_token": member.csrf})
    assert r.status_code == 403
    assert member.get("/api/search?q=озёрам").get_json()["total"] == 0
    r = editor.post(f"/review/{pub_id}/publish", data={"csrf_token": editor.csrf})
    assert r.status_code == 303
    data = editor.get("/api/search?q=озёрам").get_json()
    assert [h["id"] for h in data["hits"]] == [pub_id]
    with archive.db.session() as s:
        assert s.get(Publication, pub_id).published_at is not None
        assert s.scalar(select(IndexTask.id)) is None           # index work applied after the commit
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.publish")).one()
        assert ev.object_id == pub_id


def test_upload_page_refreshes_while_a_file_waits_and_status_json(signed_in, archive, users):
    member = signed_in("member")
    with archive.db.session() as s:
        s.add(ProcessingRecord(original_name="ждёт.pdf", status="queued", user_id=users["member"]))
        s.add(ProcessingRecord(original_name="чужой.pdf", status="queued", user_id=users["other"]))
        s.commit()
    html = member.get("/upload").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html and "ждёт.pdf" in html and "Waiting" in html
    assert "чужой.pdf" not in html
    assert "<script>" not in html.replace('<script src="/static/upload.js" defer></script>', "")
    data = member.get("/upload/status").get_json()
    assert data["busy"] is True and [r["file"] for r in data["records"]] == ["ждёт.pdf"]


@pytest.mark.parametrize("fixture,needle", [("random_bytes.pdf", "Could not be processed"),
                                            ("empty.pdf", "Could not be processed"),
                                            ("html_named.pdf", "Could not be processed")])
def test_bad_file_gets_an_error_in_plain_words(signed_in, archive, fixture, needle):
    from support import DATA

    member = signed_in("member")
    upload(member, (DATA / fixture, fixture))
    html = member.get("/upload").get_data(as_text=True)
    assert needle in html and "Traceback" not in html
    rec = member.get("/upload/status").get_json()["records"][0]
    assert rec["status"] == "error" and rec["message"] and "Error" not in rec["message"][:6]


def test_duplicate_upload_says_so_and_links_the_existing_record(signed_in, tmp_path):
    member = signed_in("member")
    ru = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)
    upload(member, (ru, "a.pdf"))
    upload(member, (ru, "b.pdf"))
    recs = member.get("/upload/status").get_json()["records"]
    assert recs[0]["status"] == "duplicate" and recs[0]["message"] == "The same file is already in the archive."


def test_unexpected_failure_is_retried_then_reported(app, signed_in, archive, tmp_path, monkeypatch):
    from archive.services import ingest

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest, "ingest_file", boom)
    member = signed_in("member")
    upload(member, (make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf"))
    rec = member.get("/upload/status").get_json()["records"][0]
    assert rec["status"] == "queued" and "tried again" in rec["message"]     # immediate mode: retry scheduled
    from archive.jobs import process_upload

    with pytest.raises(RuntimeError):
        process_upload(archive, rec["id"], retries_left=0)
    rec = member.get("/upload/status").get_json()["records"][0]
    assert rec["status"] == "error" and "disk on fire" not in rec["message"] and "logged" in rec["message"]


def make_volume(archive, owner: int, status: str = "draft") -> dict:
    """A volume of 10 pages with three articles (1-3, 4-6, 7-10), built directly in the database."""
    with archive.db.session() as s:
        vol = Volume(title="Сборник материалов", year=2020)
        s.add(vol)
        vp = Publication(kind="volume", status=status, title="Сборник материалов", volume=vol, created_by_id=owner,
                         language="ru", year=2020)
        for n in range(1, 11):
            vp.pages.append(PublicationPage(number=n, text=f"Текст страницы {n}"))
        s.add(vp)
        s.flush()
        ids = {"volume": vp.id}
        for i, (a, b) in enumerate([(1, 3), (4, 6), (7, 10)], start=1):
            art = Publication(kind="article", status=status, title=f"Статья {i}", volume=vol, parent_id=vp.id,
                              created_by_id=owner, pdf_page_start=a, pdf_page_end=b, page_start=a + 10,
                              page_end=b + 10, language="ru")
            for k, n in enumerate(range(a, b + 1), start=1):
                art.pages.append(PublicationPage(number=k, text=f"Текст страницы {n}"))
            s.add(art)
            s.flush()
            ids[i] = art.id
        s.commit()
    return ids


def ranges(archive, vol_id):
    with archive.db.session() as s:
        return [(p.title, p.pdf_page_start, p.pdf_page_end, p.page_start, len(p.pages)) for p in s.scalars(
            select(Publication).where(Publication.parent_id == vol_id).order_by(Publication.pdf_page_start))]


def test_volume_split_is_corrected_move_merge_split(signed_in, archive, users):
    ids = make_volume(archive, users["member"])
    member = signed_in("member")
    html = member.get(f"/review/{ids['volume']}").get_data(as_text=True)
    assert "Статья 1" in html and "Merge with next" in html and "split at page" in html
    r = member.post(f"/review/{ids[1]}/boundary", data={"csrf_token": member.csrf, "start": "1", "end": "4"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/review/{ids['volume']}#article-{ids[1]}")
    assert ranges(archive, ids["volume"]) == [("Статья 1", 1, 4, 11, 4), ("Статья 2", 5, 6, 15, 2),
                                              ("Статья 3", 7, 10, 17, 4)]
    r = member.post(f"/review/{ids[2]}/boundary", data={"csrf_token": member.csrf, "start": "5", "end": "10"})
    assert r.status_code == 400 and "would take every page of “Статья 3” (pages 7–10)" in r.get_data(as_text=True)
    r = member.post(f"/review/{ids[1]}/boundary", data={"csrf_token": member.csrf, "start": "1", "end": "99"})
    assert r.status_code == 400 and "between 1 and 10" in r.get_data(as_text=True)
    r = member.post(f"/review/{ids[2]}/merge", data={"csrf_token": member.csrf})
    assert r.status_code == 303
    assert ranges(archive, ids["volume"]) == [("Статья 1", 1, 4, 11, 4), ("Статья 2", 5, 10, 15, 6)]
    r = member.post(f"/review/{ids[2]}/split", data={"csrf_token": member.csrf, "page": "8"})
    assert r.status_code == 303
    got = ranges(archive, ids["volume"])
    assert [g[1:] for g in got] == [(1, 4, 11, 4), (5, 7, 15, 3), (8, 10, 18, 3)]
    with archive.db.session() as s:
        new = s.scalars(select(Publication).where(Publication.pdf_page_start == 8)).one()
        assert [p.text for p in new.pages] == ["Текст страницы 8", "Текст страницы 9", "Текст страницы 10"]
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["login", "volume.boundary", "volume.merge", "volume.split"]
    r = member.post(f"/review/{ids[1]}/split", data={"csrf_token": member.csrf, "page": "1"})
    assert r.status_code == 400 and "after the article&#39;s first page" in r.get_data(as_text=True)


def test_publishing_an_article_of_a_volume_publishes_the_whole_volume(signed_in, archive, users):
    ids = make_volume(archive, users["member"])
    editor = signed_in("editor")
    r = editor.post(f"/review/{ids[2]}/publish", data={"csrf_token": editor.csrf})
    assert r.status_code == 303
    with archive.db.session() as s:
        assert {p.status for p in s.scalars(select(Publication))} == {"published"}
    assert editor.get(f"/p/{ids[2]}").status_code == 200


def test_metadata_edit_authors_linked_to_people_and_abstract_sanitised(signed_in, archive, users):
    from archive.models import Person

    ids = make_volume(archive, users["member"])
    member = signed_in("member")
    r = member.post(f"/review/{ids[1]}/metadata", data={
        "csrf_token": member.csrf, "title": "  Тіл  саясаты ", "authors": "Иванов Алексей\n\nСейтқали Айгерім\n",
        "year": "2021", "language": "kk", "abstract_kk": '<p onclick="x()">Аңдатпа <em>мәтіні</em></p>',
        "abstract_ru": "", "abstract_en": "", "keywords": "тіл; ақын\nкелісім"})
    assert r.status_code == 303
    with archive.db.session() as s:
        p = s.get(Publication, ids[1])
        assert p.title == "Тіл саясаты" and p.year == 2021 and p.language == "kk"
        assert [a.person.name for a in p.authorships] == ["Иванов Алексей", "Сейтқали Айгерім"]
        assert p.abstracts == {"kk": "<p>Аңдатпа <em>мәтіні</em></p>"}
        assert p.keywords == ["тіл", "ақын", "келісім"]
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.edit")).one()
        assert ev.user_id == users["member"] and set(ev.details["changes"]) >= {"title", "authors", "year"}
    # The same name in another article links to the same person.
    member.post(f"/review/{ids[2]}/metadata", data={"csrf_token": member.csrf, "title": "Статья 2",
                                                    "authors": "Иванов Алексей"})
    with archive.db.session() as s:
        assert s.scalars(select(Person).where(Person.name == "Иванов Алексей")).all().__len__() == 1
    for bad, message in [({"title": ""}, "The title cannot be empty."),
                         ({"title": "x", "year": "20x1"}, "four-digit number"),
                         ({"title": "x", "language": "de"}, "Unknown language"),
                         ({"title": "x", "authors": "Иванов Алексей\n" + "ж" * 201}, "name is too long (at most 200")]:
        r = member.post(f"/review/{ids[1]}/metadata", data={"csrf_token": member.csrf, **bad})
        assert r.status_code == 400 and message in r.get_data(as_text=True)
    with archive.db.session() as s:                                       # the refused edits changed nothing
        p = s.get(Publication, ids[1])
        assert p.title == "Тіл саясаты" and [a.person.name for a in p.authorships] == ["Иванов Алексей",
                                                                                      "Сейтқали Айгерім"]


def test_withdraw_leaves_a_tombstone_and_leaves_search(signed_in, archive, users, tmp_path):
    from archive.services.ingest import ingest_file

    out = ingest_file(archive, make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf", publish=True,
                      user_id=users["member"])
    pid = out.publication_ids[0]
    editor, member = signed_in("editor"), signed_in("member")
    assert editor.get("/api/search?q=озёрам").get_json()["total"] == 1
    r = member.post(f"/review/{pid}/withdraw", data={"csrf_token": member.csrf, "reason": "x"})
    assert r.status_code == 403
    r = editor.post(f"/review/{pid}/withdraw", data={"csrf_token": editor.csrf, "reason": ""})
    assert r.status_code == 400 and "Say why" in r.get_data(as_text=True)
    r = editor.post(f"/review/{pid}/withdraw", data={"csrf_token": editor.csrf, "reason": "Ошибка в данных"})
    assert r.status_code == 303
    page = editor.get(f"/p/{pid}")
    assert page.status_code == 200 and "Ошибка в данных" in page.get_data(as_text=True)
    assert editor.get("/api/search?q=озёрам").get_json()["total"] == 0
    with archive.db.session() as s:
        p = s.get(Publication, pid)
        assert p.status == "withdrawn" and p.withdrawn_at is not None


def test_only_admin_deletes_and_rows_files_and_index_go(signed_in, archive, users, tmp_path):
    from archive.services.ingest import ingest_file

    out = ingest_file(archive, make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf", publish=True,
                      user_id=users["member"])
    pid = out.publication_ids[0]
    with archive.db.session() as s:
        sha = s.get(Publication, pid).source_file.sha256
    assert archive.files.exists(sha)
    editor, admin = signed_in("editor"), signed_in("admin")
    assert editor.post(f"/review/{pid}/delete", data={"csrf_token": editor.csrf}).status_code == 403
    r = admin.post(f"/review/{pid}/delete", data={"csrf_token": admin.csrf})
    assert r.status_code == 303
    with archive.db.session() as s:
        assert s.get(Publication, pid) is None and s.scalar(select(StoredFile.id)) is None
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.delete")).one().object_id == pid
    assert not archive.files.exists(sha)
    assert admin.get("/api/search?q=озёрам").get_json()["total"] == 0
    assert admin.get(f"/p/{pid}").status_code == 404


def test_audit_page_is_for_editors(signed_in, archive, users):
    ids = make_volume(archive, users["member"])
    member, editor = signed_in("member"), signed_in("editor")
    member.post(f"/review/{ids[1]}/merge", data={"csrf_token": member.csrf})
    assert member.get("/review/audit").status_code == 403
    html = editor.get("/review/audit").get_data(as_text=True)
    assert "volume.merge" in html and "member@example.kz" in html


def test_probable_duplicate_is_shown_with_a_link(signed_in, archive, users, tmp_path):
    from archive.services.ingest import ingest_file

    first = ingest_file(archive, make_pdf(tmp_path / "a.pdf", RU_ARTICLE), "a.pdf", publish=True)
    second = ingest_file(archive, make_pdf(tmp_path / "b.pdf", RU_ARTICLE + ["Ещё одна страница."]), "b.pdf",
                         user_id=users["member"])
    with archive.db.session() as s:
        dup = s.get(Publication, second.publication_ids[0]).duplicate_of_id
    if dup is None:
        pytest.skip("the duplicate finder did not flag this pair")
    html = signed_in("member").get(f"/review/{second.publication_ids[0]}").get_data(as_text=True)
    assert "looks like a duplicate" in html and f'href="/p/{first.publication_ids[0]}"' in html
