"""`manage.py backup` / `restore`: every record, every file hash and the search results survive the trip,
between SQLite and PostgreSQL in both directions, and a backup taken while uploads go on is consistent."""
import json
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from archive.models import AuditEvent, Publication, UsageCount
from archive.search import run_search
from archive.services.backup import BackupError, backup_archive, dump_tables, restore_archive
from archive.services.ingest import ingest_file, iter_input_files
from archive.storage import sha256_of
from support import DEMO, RU_ARTICLE, make_pdf, scratch_pg_url

pytestmark = pytest.mark.own_databases
QUERIES = ["озёрам", "ақындары", "Qazaqstan", "толерантность", "межэтнических отношений", "тіл", "author:Иванова",
           "year:2020-2023", "title:молодежь"]


def pg_url() -> str:
    return scratch_pg_url("backup")


def wipe_pg(url: str) -> None:
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    eng.dispose()


@pytest.fixture
def make_app(monkeypatch):
    """Apps on their own data folders (SQLite, or the given database), closed at the end."""
    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    apps = []

    def make(data_dir: Path, db_url: str = "", migrate: bool = True):
        from archive import create_app
        from archive.migrate import upgrade

        app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "EXTRACT_TIMEOUT_S": 120,
                          "JOBS_IMMEDIATE": True, "OCR_ENABLED": False, "DATABASE_URL": db_url})
        if migrate:
            upgrade(app.extensions["archive"].db.url)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["archive"].close()


def fill(app) -> None:
    """The demo archive (articles, a DOCX, a volume with its articles), a member, an audit event, usage."""
    from archive.services.accounts import create_user

    archive = app.extensions["archive"]
    for f in iter_input_files([DEMO]):
        assert ingest_file(archive, f, f.name, publish=True).status == "ok"
    with archive.db.session() as s:
        user = create_user(s, "ed@example.kz", "a-long-password-1", role="editor", name="Редактор")
        s.flush()
        pub = s.scalars(select(Publication).order_by(Publication.id)).first()
        pub.status, pub.withdrawal_reason = "withdrawn", "Повтор"
        from archive.services import indexing

        indexing.enqueue(s, [pub.id])
        s.add(AuditEvent(user_id=user.id, action="withdraw", object_type="publication", object_id=pub.id,
                         details={"reason": "Повтор", "ё": [1, 2]}))
        from datetime import date

        s.add(UsageCount(publication_id=pub.id + 1, day=date(2024, 2, 29), kind="view", count=7))
        s.commit()
    from archive.services.indexing import process_index_tasks

    process_index_tasks(archive)


def snapshot(app) -> dict:
    """Every row of every table, every stored file's hash, the search results of a few queries."""
    from archive.services.indexing import rebuild_index

    archive = app.extensions["archive"]
    # Scores depend on the index's history (deleted documents still weigh in Whoosh's statistics); a
    # restore rebuilds the index, so the source is compared with its own index freshly rebuilt.
    rebuild_index(archive)
    with archive.db.engine.connect() as conn:
        rows = {name: list(it) for name, _kinds, it in dump_tables(conn)}
    root = archive.files.root
    files = {p.name: sha256_of(p) for p in root.rglob("*") if p.is_file()}
    searches = {}
    with archive.db.session() as s, app.test_request_context():
        for q in QUERIES:
            r = run_search(archive, s, q, limit=20)
            # Equal scores may come in either order (the index is rebuilt): ties are ordered by id.
            searches[q] = (r.total, sorted((-round(h.score, 4), h.publication.id) for h in r.hits))
        titles = {p.id: (p.title, [pg.text for pg in p.pages], p.created_at.replace(tzinfo=None))
                  for p in s.scalars(select(Publication))}
    return {"rows": rows, "files": files, "search": searches, "orm": titles}


def assert_same(a: dict, b: dict) -> None:
    assert set(a["rows"]) == set(b["rows"])
    for table in a["rows"]:
        assert a["rows"][table] == b["rows"][table], table
    assert a["files"] == b["files"]
    assert all(name == digest for name, digest in a["files"].items())
    assert a["search"] == b["search"]
    assert a["orm"] == b["orm"]


def check_clean(app) -> None:
    from archive.services.consistency import check_archive

    rep = check_archive(app.extensions["archive"])
    assert rep.problems() == [], rep


def test_sqlite_backup_restore_gives_an_identical_archive(make_app, tmp_path):
    src = make_app(tmp_path / "src")
    fill(src)
    before = snapshot(src)
    assert sum(before["search"][q][0] > 0 for q in QUERIES) >= 6       # the queries do find things
    assert len(before["rows"]["publications"]) >= 10 and before["rows"]["audit_events"]

    r = src.test_cli_runner().invoke(args=["backup", str(tmp_path / "bk")])
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    assert manifest["database"]["alembic_revision"] and manifest["database"]["dialect"] == "sqlite"
    assert manifest["database"]["tables"]["publications"] == len(before["rows"]["publications"])
    assert set(manifest["files"]) == set(before["files"]) and "secret_key" in manifest["settings"]

    dst = make_app(tmp_path / "dst", migrate=False)
    r = dst.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert r.exit_code == 0, r.output
    assert_same(before, snapshot(dst))
    assert (tmp_path / "dst" / "secret_key").read_text() == (tmp_path / "src" / "secret_key").read_text()
    check_clean(dst)

    # A non-empty archive is refused, unless forced.
    r = dst.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert r.exit_code != 0 and "not empty" in r.output
    restore_archive(dst.extensions["archive"], tmp_path / "bk", force=True)
    assert_same(before, snapshot(dst))


def test_repeated_backup_copies_only_new_files(make_app, tmp_path):
    src = make_app(tmp_path / "src")
    archive = src.extensions["archive"]
    assert ingest_file(archive, make_pdf(tmp_path / "a.pdf", RU_ARTICLE), publish=True).status == "ok"
    first = backup_archive(archive, tmp_path / "bk")
    assert (first["copied_files"], first["kept_files"]) == (1, 0)
    again = backup_archive(archive, tmp_path / "bk")
    assert (again["copied_files"], again["kept_files"]) == (0, 1)
    assert ingest_file(archive, make_pdf(tmp_path / "b.pdf", ["Вторая статья о тіл саясаты. " * 30]),
                       publish=True).status == "ok"
    third = backup_archive(archive, tmp_path / "bk")
    assert (third["copied_files"], third["kept_files"]) == (1, 1)
    assert third["database"]["tables"]["publications"] == 2
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("mine")
    with pytest.raises(BackupError):
        backup_archive(archive, tmp_path / "junk")          # never writes into a folder holding other things


def test_damaged_backup_file_is_refused_before_any_row_is_written(make_app, tmp_path):
    src = make_app(tmp_path / "src")
    assert ingest_file(src.extensions["archive"], make_pdf(tmp_path / "a.pdf", RU_ARTICLE), publish=True).status == "ok"
    m = backup_archive(src.extensions["archive"], tmp_path / "bk")
    sha = next(iter(m["files"]))
    f = tmp_path / "bk" / "files" / sha[:2] / sha
    f.write_bytes(f.read_bytes()[:-10])
    dst = make_app(tmp_path / "dst")
    with pytest.raises(BackupError, match="damaged"):
        restore_archive(dst.extensions["archive"], tmp_path / "bk")
    with dst.extensions["archive"].db.session() as s:
        assert s.scalar(select(Publication.id)) is None


def test_backup_while_uploads_go_on_is_consistent(make_app, tmp_path):
    """Online: a writer keeps ingesting while three backups are taken; each restores to a clean archive."""
    src = make_app(tmp_path / "src")
    archive = src.extensions["archive"]
    files = [make_pdf(tmp_path / f"f{i}.pdf", [f"Статья номер {i} о согласии и языке. " * 40]) for i in range(12)]
    stop = threading.Event()
    done: list[str] = []

    def writer():
        for f in files:
            if stop.is_set():
                break
            done.append(ingest_file(archive, f, f.name, publish=True).status)

    t = threading.Thread(target=writer)
    t.start()
    manifests = []
    try:
        for i in range(3):
            manifests.append(backup_archive(archive, tmp_path / "bk"))
            dst = make_app(tmp_path / f"dst{i}", migrate=False)
            restore_archive(dst.extensions["archive"], tmp_path / "bk")
            check_clean(dst)
            with dst.extensions["archive"].db.session() as s:
                for pub in s.scalars(select(Publication)):
                    assert pub.pages and pub.source_file_id, pub.id       # never half a publication
    finally:
        stop.set()
        t.join()
    assert done and all(s == "ok" for s in done)
    counts = [m["database"]["tables"]["publications"] for m in manifests]
    assert counts == sorted(counts)


def test_sqlite_to_postgresql_and_back(make_app, tmp_path):
    url = pg_url()
    src = make_app(tmp_path / "src")
    fill(src)
    before = snapshot(src)
    backup_archive(src.extensions["archive"], tmp_path / "bk")

    wipe_pg(url)
    pg = make_app(tmp_path / "pg", db_url=url, migrate=False)
    restore_archive(pg.extensions["archive"], tmp_path / "bk")
    assert_same(before, snapshot(pg))
    check_clean(pg)
    # Sequences follow the restored ids: a new upload gets the next id, not a clash.
    out = ingest_file(pg.extensions["archive"], make_pdf(tmp_path / "new.pdf", RU_ARTICLE), publish=True)
    assert out.status == "ok" and out.publication_ids[0] > max(r["id"] for r in before["rows"]["publications"])

    # PostgreSQL (online: REPEATABLE READ snapshot) → SQLite.
    after = snapshot(pg)
    m = backup_archive(pg.extensions["archive"], tmp_path / "bk-pg")
    assert m["database"]["dialect"] == "postgresql"
    back = make_app(tmp_path / "back", migrate=False)
    restore_archive(back.extensions["archive"], tmp_path / "bk-pg")
    assert_same(after, snapshot(back))
    check_clean(back)

    # PostgreSQL → PostgreSQL (the same server, emptied).
    pg.extensions["archive"].close()
    wipe_pg(url)
    pg2 = make_app(tmp_path / "pg2", db_url=url, migrate=False)
    restore_archive(pg2.extensions["archive"], tmp_path / "bk-pg")
    assert_same(after, snapshot(pg2))
    with pg2.extensions["archive"].db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM publications")).scalar() == len(after["rows"]["publications"])
