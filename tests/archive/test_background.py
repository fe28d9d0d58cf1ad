"""Long work in the background: refusals before queueing, two lanes, end states, publishing a volume as a job."""
from __future__ import annotations

import io

from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.jobs import get_jobs
from archive.models import BackgroundJob, ProcessingRecord, Publication
from archive.sanitize import clean_html, plain_text
from archive.services import ingest
from support import KK_ARTICLE, RU_ARTICLE, make_pdf
from volume_support import make_volume


def upload(client, *files):
    data = {"csrf_token": client.csrf, "files": [(io.BytesIO(b), name) for b, name in files]}
    return client.post("/upload", data=data, content_type="multipart/form-data")


def test_cheap_refusals_are_decided_in_the_request_and_never_queued(app, signed_in, archive, monkeypatch):
    queued = []
    jobs = get_jobs(app)
    monkeypatch.setattr(jobs, "enqueue_upload", lambda rid, slow=False, small=False: queued.append((rid, slow)))
    member = signed_in("member")
    r = upload(member, (b"", "empty.pdf"), (bytes(range(256)) * 40, "noise.pdf"),
               (b"<html><body>%PDF-1.4 not really</body></html>", "page.pdf"))
    assert r.status_code == 303
    recs = member.get("/upload/status").get_json()["records"]
    assert [x["status"] for x in recs] == ["error", "error", "error"]
    assert all(x["message"] for x in recs) and queued == []
    messages = " ".join(x["message"] for x in recs)
    assert "empty" in messages
    assert not any((archive.data_dir / "incoming").glob("*"))        # nothing left waiting


def test_files_go_to_their_lane(app, signed_in, archive, monkeypatch, tmp_path):
    queued = []
    jobs = get_jobs(app)
    monkeypatch.setattr(jobs, "enqueue_upload", lambda rid, slow=False, small=False: queued.append(slow))
    member = signed_in("member")
    pdf = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE).read_bytes()
    from PIL import Image

    img = io.BytesIO()
    Image.new("L", (800, 600), 255).save(img, "PNG")
    r = upload(member, (pdf, "ru.pdf"), (img.getvalue(), "scan.png"))
    assert r.status_code == 303
    assert queued == [False, True]             # text PDF: quick lane; an image needs OCR: slow lane


def test_long_extractions_run_at_the_lower_priority_and_small_files_do_not(app, signed_in, archive, monkeypatch,
                                                                         tmp_path):
    """A file of EXTRACT_LONG_PAGES pages or more (counted before queueing) and a file that needs OCR are
    extracted with the long limits (their child at a lower CPU priority); a one-page file with the usual ones."""
    seen = []
    real = ingest.process_file

    def spy(path, limits, on_progress=None):
        seen.append(limits.priority)
        return real(path, limits, on_progress=on_progress)

    monkeypatch.setattr(ingest, "process_file", spy)
    monkeypatch.setattr(archive, "long_pages", 2)
    assert archive.long_limits.priority == "low" and archive.limits.priority == "normal"
    member = signed_in("member")
    from PIL import Image

    img = io.BytesIO()
    Image.new("L", (800, 600), 255).save(img, "PNG")
    upload(member, (make_pdf(tmp_path / "two.pdf", RU_ARTICLE).read_bytes(), "two.pdf"))
    upload(member, (make_pdf(tmp_path / "one.pdf", KK_ARTICLE).read_bytes(), "one.pdf"))
    upload(member, (img.getvalue(), "scan.png"))
    assert seen == ["low", "normal", "low"]
    recs = {r["file"]: r["status"] for r in member.get("/upload/status").get_json()["records"]}
    assert recs["two.pdf"] == recs["one.pdf"] == "ok"


def test_a_small_file_is_taken_before_long_ones_queued_earlier(app, signed_in, archive, monkeypatch, tmp_path):
    """The quick lane's threads busy with long files: the next free one takes the one-page file uploaded after
    them, not the next long one."""
    jobs = get_jobs(app)
    monkeypatch.setattr(archive, "long_pages", 2)
    jobs.huey.immediate = False                 # the tasks wait in the queue (jobs.sqlite3) as with a worker
    try:
        member = signed_in("member")
        for name in ("long-1.pdf", "long-2.pdf"):
            upload(member, (make_pdf(tmp_path / name, RU_ARTICLE, title=name).read_bytes(), name))
        upload(member, (make_pdf(tmp_path / "short.pdf", KK_ARTICLE).read_bytes(), "short.pdf"))
        names = {r["id"]: r["file"] for r in member.get("/upload/status").get_json()["records"]}
        taken = []
        while (task := jobs.huey.dequeue()) is not None:
            taken.append(names[task.args[0]])
    finally:
        jobs.huey.immediate = True
    assert taken == ["short.pdf", "long-1.pdf", "long-2.pdf"]


def test_upload_page_follows_the_file_to_publication(signed_in, archive, tmp_path):
    member, editor = signed_in("member"), signed_in("editor")
    upload(member, (make_pdf(tmp_path / "kk.pdf", KK_ARTICLE).read_bytes(), "kk.pdf"))
    rec = member.get("/upload/status").get_json()["records"][0]
    assert rec["status"] == "ok" and rec["state"] == "review" and rec["review_url"]
    pub_id = rec["publication_ids"][0]
    assert editor.post(f"/review/{pub_id}/publish", data={"csrf_token": editor.csrf}).status_code == 303
    rec = member.get("/upload/status").get_json()["records"][0]
    assert rec["state"] == "published" and rec["public_url"].endswith(f"/p/{pub_id}")
    page = member.get("/upload").get_data(as_text=True)
    assert "Published" in page and f"/p/{pub_id}" in page
    admin = signed_in("admin")
    assert admin.post(f"/review/{pub_id}/delete", data={"csrf_token": admin.csrf}).status_code == 303
    assert member.get("/upload/status").get_json()["records"][0]["state"] == "deleted"


def test_duplicate_of_another_members_draft_is_not_named(signed_in, archive, tmp_path):
    data = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE).read_bytes()
    member, other = signed_in("member"), signed_in("other")
    upload(member, (data, "ru.pdf"))
    upload(other, (data, "same.pdf"))
    rec = other.get("/upload/status").get_json()["records"][0]
    assert rec["status"] == "duplicate" and rec["publication_ids"] == [] and rec["review_url"] is None
    page = other.get("/upload").get_data(as_text=True)
    assert "/review/" not in page.split("Your recent files")[1]


def test_publishing_a_volume_runs_as_a_job_with_progress(app, signed_in, archive, users):
    ids = make_volume(archive, users["member"], layout=[(1, 3), (4, 6), (7, 10)])
    editor = signed_in("editor")
    seen = []
    jobs = get_jobs(app)
    real = jobs.run_job
    jobs.run_job = lambda job_id: seen.append(job_id)         # queued, not yet run
    try:
        r = editor.post(f"/review/{ids['volume']}/publish", data={"csrf_token": editor.csrf})
    finally:
        jobs.run_job = real
    assert r.status_code == 303 and len(seen) == 1
    page = editor.get(f"/review/{ids['volume']}").get_data(as_text=True)
    assert "Publishing" in page and 'http-equiv="refresh"' in page
    again = editor.post(f"/review/{ids['volume']}/publish", data={"csrf_token": editor.csrf})
    assert again.status_code in (303, 400)
    with archive.db.session() as s:
        assert s.scalars(select(Publication.status).where(Publication.id == ids["volume"])).one() == "draft"
    from archive.jobs import run_background_job

    assert run_background_job(archive, seen[0]) == "done"
    status = editor.get(f"/review/{ids['volume']}/job").get_json()
    assert status["status"] == "published" and status["job"]["status"] == "done" and status["job"]["finished"]
    with archive.db.session() as s:
        assert {p.status for p in s.scalars(select(Publication))} == {"published"}
        job = s.get(BackgroundJob, seen[0])
        assert job.progress["stage"] == "index" and job.progress["done"] == job.progress["total"] == 4
    hits = editor.get("/api/search?q=Страница").get_json()
    assert hits["total"] >= 1


def test_rich_text_keeps_blocks_apart_and_drops_script_content():
    html = clean_html("<ul><li>Кіріспе сөзі</li><li>Тұрсынбай Г.Е. Тіл саясаты</li></ul>"
                      "<p>Ли В.А. Диалог<script>alert(1)</script></p>")
    text = plain_text(html)
    assert "alert" not in html and "alert" not in text
    assert "сөзі\nТұрсынбай" in text and "саясаты\nЛи" in text


def test_event_programme_is_found_by_each_word(signed_in, archive):
    editor = signed_in("editor")
    r = editor.post("/entries/new/event", data={
        "csrf_token": editor.csrf, "title": "Дөңгелек үстел", "language": "kk", "event_type": "round_table",
        "date": "2024-03-15", "place": "Алматы", "authors": "Тұрсынбай Гүлнар\nЛи Виктор",
        "programme": "<ol><li>Кіріспе сөзі</li><li>Тұрсынбай Г. Тіл саясаты</li></ol>"
                     "<p>Ли В. Диалог мәдениеті<script>alert(1)</script></p>"})
    assert r.status_code == 303
    pub_id = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert editor.post(f"/review/{pub_id}/publish", data={"csrf_token": editor.csrf}).status_code == 303
    for word in ("саясаты", "диалог", "Тұрсынбай"):
        ids = [h["id"] for h in editor.get(f"/api/search?q={word}").get_json()["hits"]]
        assert pub_id in ids, word
    assert "alert(1)" not in editor.get(f"/p/{pub_id}").get_data(as_text=True)


def test_upload_messages_are_shown_in_the_readers_language_with_their_values(app):
    from archive.models import ProcessingRecord
    from archive.templating import record_message

    rec = ProcessingRecord(original_name="scan.pdf", status="ok", message="…", details={"messages": [
        ["%(n)d page(s) have no usable text and OCR is switched off.", {"n": 7}]]})
    with app.test_request_context("/upload?hl=ru"):
        ru = record_message(rec)
    with app.test_request_context("/upload?hl=en"):
        en = record_message(rec)
    assert en == "7 page(s) have no usable text and OCR is switched off."
    assert ru != en and "7" in ru


def test_cutting_a_volume_commits_each_chunk_so_others_can_write(archive, users, tmp_path):
    """While a long volume is cut, another connection can write between chunks (the job does not hold
    SQLite's write lock from the first chunk to the last)."""
    import sqlite3

    import pytest
    from sqlalchemy import update

    from archive.models import StoredFile
    from archive.services import publishing

    if not archive.db.url.startswith("sqlite"):
        pytest.skip("SQLite's single writer is what this is about")
    n = publishing.CUT_CHUNK + 2
    ids = make_volume(archive, users["member"], layout=[(k, k) for k in range(1, n + 1)])
    pdf = make_pdf(tmp_path / "vol.pdf", [f"Страница {k}" for k in range(1, n + 1)])
    sha, _new = archive.files.put_bytes(pdf.read_bytes())
    with archive.db.session() as s:
        sf = StoredFile(sha256=sha, original_name="vol.pdf", size=pdf.stat().st_size, mime="application/pdf",
                        page_count=n)
        s.add(sf)
        s.flush()
        s.execute(update(Publication).where(Publication.id == ids["volume"]).values(source_file_id=sf.id))
        s.commit()
    database = archive.db.url.split("///", 1)[1]
    writes = []

    def report(stage, done, total):
        if 0 < done < total:                  # between two chunks: the first chunk's files are recorded
            other = sqlite3.connect(database, timeout=0.5)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
                writes.append(done)
            except sqlite3.OperationalError as exc:
                writes.append(str(exc))
            finally:
                other.close()

    with archive.db.session() as s:
        vol = s.get(Publication, ids["volume"])
        assert publishing.cut_article_files(archive, s, vol, report) == n
        s.commit()
    assert writes == [publishing.CUT_CHUNK]
    with archive.db.session() as s:
        assert all(a.article_file_id for a in s.scalars(select(Publication).where(Publication.parent_id == ids["volume"])))


def test_a_web_worker_serving_readers_loads_no_queue_client_until_it_queues(tmp_path):
    """huey's storage module imports the Redis and PostgreSQL clients whenever they are installed (~16 MB a
    process): an app serving searches and pages on the embedded default never imports huey; its queues are set
    up on first use, once however many threads ask at the same time."""
    import subprocess
    import sys

    from support import REPO

    code = """
import sys, threading
from archive import create_app
from archive.jobs import get_jobs
from archive.migrate import upgrade
app = create_app()
upgrade(app.extensions["archive"].db.url)
client = app.test_client()
assert client.get("/search?q=тіл").status_code == 200 and client.get("/").status_code == 200
print(sorted(m for m in ("huey", "redis", "psycopg") if m in sys.modules))
got = []
threads = [threading.Thread(target=lambda: got.append(get_jobs(app))) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(len({id(j) for j in got}), get_jobs(app) is got[0], "huey" in sys.modules)
"""
    env = {"PATH": "/usr/bin:/bin", "ARCHIVE_DATA_DIR": str(tmp_path / "data"), "ARCHIVE_SECRET_KEY": "t" * 32,
           "ARCHIVE_RATELIMIT_ENABLED": "0"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["[]", "1 True True"], out.stdout
