"""Faults of the machine, injected for real against the served archive: a full disk (a small tmpfs as the data
folder), a read-only data folder (a read-only bind mount over it), Tesseract missing from PATH, and PostgreSQL
going away (a TCP proxy between the app and the server cuts every connection). Each time the person gets a
clear message on the web and in the CLI, nothing is half-written, and the archive works again once the
condition clears."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from reliability_support import (CuttableProxy, Served, reliability_env, assert_clean_page, index_matches_database,
                                 manage, pg_available, reset_pg, signed_in, upload, wait_records)
from support import KK_ARTICLE, RU_ARTICLE, make_pdf

pytestmark = [pytest.mark.slow, pytest.mark.own_databases]

NO_SPACE = "storage is full"
READ_ONLY = "cannot be written to right now (it is read-only)"
DB_DOWN = "database cannot be reached right now"
NO_OCR = "Text recognition (OCR) is not installed on this server"


def _mount(*args: str) -> None:
    out = subprocess.run(["mount", *args], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"mount {' '.join(args)} is not permitted here: {out.stderr.strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _fill(path: Path) -> int:
    """Write ``path`` until the file system is full; returns the bytes written."""
    written = 0
    with open(path, "wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 12, 1):
            block = b"\0" * size
            while True:
                try:
                    fh.write(block)
                    written += size
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    return written


def _ingest_json(env: dict, *paths: Path, publish: bool = False) -> tuple[int, list[dict], str]:
    out = manage(env, "ingest", *map(str, paths), "--json", *(["--publish"] if publish else []), check=False)
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    return out.returncode, lines, out.stderr


def _archive(data: Path, **env_extra: str) -> dict:
    """A fresh archive in ``data`` with one member; returns its environment."""
    env = reliability_env(data, **env_extra)
    manage(env, "init")
    manage(env, "create-user", "member@example.kz", "--password", "reliable-password-1")
    return env


@pytest.fixture
def pdfs(tmp_path):
    folder = tmp_path / "pdfs"
    folder.mkdir()
    return [make_pdf(folder / "ru.pdf", RU_ARTICLE), make_pdf(folder / "kk.pdf", KK_ARTICLE),
            make_pdf(folder / "third.pdf", ["Третья статья о языковой политике и согласии. " * 30])]


def test_full_disk_says_no_space_keeps_nothing_half_written_and_recovers(tmp_path, pdfs):
    data = tmp_path / "data"
    data.mkdir()
    _mount("-t", "tmpfs", "-o", "size=48m", "tmpfs", str(data))
    try:
        env = _archive(data)
        served = Served(env, tmp_path / "logs")
        try:
            s = signed_in(served.base, "member@example.kz")
            stored_before = _files_in(data / "files")
            filled = _fill(data / "ballast")
            assert filled > 0

            r = upload(s, served.base, pdfs[0])
            assert r.status_code == 507
            assert NO_SPACE in r.text and "once space has been freed, try again" in r.text
            assert_clean_page(r.text)
            assert _files_in(data / "incoming") == []                 # nothing half-written
            assert s.get(served.base + "/upload/status", timeout=30).json()["records"] == []   # no record
            api = s.post(served.base + "/upload", headers={"Accept": "application/json"}, timeout=30)
            assert api.status_code in (303, 200, 400, 507)             # (no file given: the form answers)

            code, lines, err = _ingest_json(env, pdfs[1])
            assert code == 1 and len(lines) == 1 and lines[0]["status"] == "error", (lines, err[-2000:])
            assert NO_SPACE in lines[0]["error"]
            assert "Traceback" not in err, err[-3000:]
            assert _files_in(data / "files") == stored_before         # no stored file, no temp file left

            (data / "ballast").unlink()                                # the administrator frees space
            r = upload(s, served.base, pdfs[0])
            assert r.status_code == 200, r.text[-1000:]
            [rec] = wait_records(s, served.base, 1)
            assert rec["status"] == "ok", rec
            code, lines, err = _ingest_json(env, pdfs[1])
            assert code == 0 and lines[0]["status"] == "ok", (lines, err[-2000:])
        finally:
            served.stop()
    finally:
        _umount(data)


def test_read_only_data_folder_says_so_and_recovers(tmp_path, pdfs):
    data = tmp_path / "data"
    data.mkdir()
    env = _archive(data)
    served = Served(env, tmp_path / "logs")
    try:
        s = signed_in(served.base, "member@example.kz")
        # A read-only bind mount stacked over the data folder: every path opened from now on is on a
        # read-only file system (EROFS, which binds root too); files the server already holds open stay as they were.
        _mount("--bind", str(data), str(data))
        try:
            _mount("-o", "remount,ro,bind", str(data))
            with pytest.raises(OSError) as ro:
                (data / "probe").write_bytes(b"x")
            assert ro.value.errno == errno.EROFS

            r = upload(s, served.base, pdfs[0])
            assert r.status_code == 503 and r.headers.get("Retry-After")
            assert READ_ONLY in r.text
            assert_clean_page(r.text)
            assert _files_in(data / "incoming") == []
            assert s.get(served.base + "/upload/status", timeout=30).json()["records"] == []
            # Readers are not affected.
            assert requests.get(served.base + "/", timeout=30).status_code == 200

            code, lines, err = _ingest_json(env, pdfs[1])
            assert code == 1, (lines, err[-2000:])
            shown = " ".join(x.get("error") or "" for x in lines) + err
            assert READ_ONLY in shown, shown[-2000:]
            assert "Traceback" not in err, err[-3000:]
        finally:
            _umount(data)                                          # writable again
        r = upload(s, served.base, pdfs[0])
        assert r.status_code == 200, r.text[-1000:]
        [rec] = wait_records(s, served.base, 1)
        assert rec["status"] == "ok", rec
        code, lines, err = _ingest_json(env, pdfs[1])
        assert code == 0 and lines[0]["status"] == "ok", (lines, err[-2000:])
    finally:
        served.stop()


def _path_without_tesseract(folder: Path) -> str:
    """A PATH with every command of this machine except ``tesseract``."""
    folder.mkdir()
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            target = folder / name
            if name != "tesseract" and not target.exists() and os.access(os.path.join(d, name), os.X_OK):
                target.symlink_to(os.path.join(d, name))
    return str(folder)


def _scan(tmp_path: Path) -> Path:
    """An image-only PDF (a rendered page of Russian text and nothing else), as a scanner makes."""
    from PIL import Image

    text_pdf = make_pdf(tmp_path / "to-scan.pdf", ["СКАНИРОВАННЫЙ ДОКУМЕНТ\nМежэтническое согласие в Алматы. "
                                                   "Языковая политика и молодёжь. " * 6])
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(text_pdf), str(tmp_path / "page")],
                   check=True)
    scan = tmp_path / "scan.pdf"
    Image.open(tmp_path / "page.png").convert("L").save(scan, "PDF", resolution=150)
    return scan


def test_missing_tesseract_gives_a_clear_message_and_other_files_still_ingest(tmp_path, pdfs):
    import shutil

    if shutil.which("tesseract") is None or shutil.which("pdftoppm") is None:
        pytest.skip("tesseract and poppler are needed to show the difference")
    data = tmp_path / "data"
    data.mkdir()
    env = _archive(data)
    scan = _scan(tmp_path)
    no_ocr = {**env, "PATH": _path_without_tesseract(tmp_path / "bin")}
    served = Served(no_ocr, tmp_path / "logs")
    try:
        s = signed_in(served.base, "member@example.kz")
        for f in (scan, pdfs[0]):
            assert upload(s, served.base, f).status_code == 200
        scan_rec, text_rec = sorted(wait_records(s, served.base, 2), key=lambda r: r["file"] != "scan.pdf")
        assert scan_rec["status"] == "error" and NO_OCR in scan_rec["message"], scan_rec
        assert_clean_page(scan_rec["message"])
        assert text_rec["status"] == "ok", text_rec

        code, lines, err = _ingest_json(no_ocr, scan, pdfs[1])
        assert code == 1 and [x["status"] for x in lines] == ["error", "ok"], (lines, err[-2000:])
        assert NO_OCR in lines[0]["error"]

        served.restart_worker(env)                       # Tesseract is back on the PATH
        assert upload(s, served.base, scan).status_code == 200
        [rec] = wait_records(s, served.base, 1, seconds=600)
        assert rec["status"] == "ok", rec
    finally:
        served.stop()


@pytest.mark.skipif(not pg_available(), reason="PostgreSQL not reachable")
def test_postgresql_restart_gives_503_pages_then_recovers_by_itself(tmp_path, pdfs):
    reset_pg()
    proxy = CuttableProxy()
    data = tmp_path / "data"
    data.mkdir()
    try:
        env = _archive(data, DATABASE_URL=proxy.url)
        code, lines, err = _ingest_json(env, pdfs[0], pdfs[1], publish=True)
        assert code == 0, err[-2000:]
        served = Served(env, tmp_path / "logs", jobs=False)
        try:
            s = signed_in(served.base, "member@example.kz")
            pub_id = lines[0]["publication_ids"][0]
            paths = ["/", "/search?q=озёрам", "/api/search?q=тіл", "/healthz", "/authors", f"/api/publications/{pub_id}"]
            for p in paths:
                assert requests.get(served.base + p, timeout=30).status_code == 200, p
            assert s.get(served.base + "/upload", timeout=30).status_code == 200

            statuses: list[int] = []
            stop = threading.Event()

            def reader():
                while not stop.is_set():
                    try:
                        r = requests.get(served.base + "/search", params={"q": "согласие"}, timeout=60)
                        statuses.append(r.status_code)
                        assert_clean_page(r.text)
                    except requests.RequestException as exc:
                        statuses.append(repr(exc))
                    time.sleep(0.05)

            bg = threading.Thread(target=reader, daemon=True)
            bg.start()
            time.sleep(1)
            proxy.cut()                                       # PostgreSQL "restarts": every connection dies
            try:
                for p in paths:
                    r = requests.get(served.base + p, timeout=60)
                    assert r.status_code == 503, (p, r.status_code, r.text[-500:])
                    assert r.headers.get("Retry-After")
                    assert_clean_page(r.text)
                    if p.startswith("/api/"):
                        assert DB_DOWN in r.json()["error"]
                    elif p != "/healthz":
                        assert DB_DOWN in r.text
                r = s.get(served.base + "/upload", timeout=60)     # a signed-in page, rendered without the database
                assert r.status_code == 503 and DB_DOWN in r.text
                out = manage(env, "search", "согласие", check=False)
                assert out.returncode == 1 and DB_DOWN in out.stderr and "Traceback" not in out.stderr, out.stderr
                time.sleep(2)
            finally:
                proxy.restore()                               # the server is back
            deadline = time.time() + 60
            while time.time() < deadline and requests.get(served.base + "/", timeout=60).status_code != 200:
                time.sleep(0.5)
            time.sleep(1)
            stop.set()
            bg.join(60)
            for p in paths:
                assert requests.get(served.base + p, timeout=30).status_code == 200, p
            assert s.get(served.base + "/upload", timeout=30).status_code == 200     # still signed in
            assert set(statuses) <= {200, 503}, statuses
            assert 503 in statuses and statuses[-1] == 200
            print(f"\nPostgreSQL cut: {len(statuses)} background searches, {statuses.count(200)} answered 200, "
                  f"{statuses.count(503)} answered 503 (the outage), none anything else")
            db_ids, index_ids, pending = index_matches_database(env)
            assert index_ids == db_ids and pending == 0
        finally:
            served.stop()
    finally:
        proxy.close()


def test_a_connection_lost_after_the_last_query_does_not_fail_the_answer(tmp_path, monkeypatch):
    """PostgreSQL restarting between a request's last query and the end of the request: closing the session
    rolls back on a dead connection. That error used to escape the app (gunicorn's bare "Internal Server
    Error" page, seen in the restart test above); the connection is dropped instead and the pool goes on."""
    from sqlalchemy import select

    from archive import create_app
    from archive.core import close_db_session, db_session

    reset_pg()
    proxy = CuttableProxy()
    try:
        env = _archive(tmp_path / "data", DATABASE_URL=proxy.url)
        for k, v in env.items():
            if k.startswith("ARCHIVE_") or k == "DATABASE_URL":
                monkeypatch.setenv(k, v)
        app = create_app()
        with app.test_request_context("/"):
            assert db_session().execute(select(1)).scalar() == 1      # the session's transaction is open
            proxy.cut()
            close_db_session()                                         # raised OperationalError before
        time.sleep(0.5)                          # the proxy's listener is let go (its accept waits up to 0.2 s)
        proxy.restore()
        with app.test_request_context("/"):
            assert db_session().execute(select(1)).scalar() == 1
            close_db_session()
    finally:
        proxy.close()


def _sa(orig: Exception):
    from sqlalchemy.exc import OperationalError

    return OperationalError("SQL", {}, orig)


@pytest.mark.parametrize("make, kind", [
    (lambda: OSError(errno.ENOSPC, "No space left on device"), "full"),
    (lambda: OSError(errno.EROFS, "Read-only file system"), "read-only"),
    (lambda: _sa(__import__("sqlite3").OperationalError("database or disk is full")), "full"),
    (lambda: _sa(__import__("sqlite3").OperationalError("attempt to write a readonly database")), "read-only"),
    (lambda: _sa(__import__("sqlite3").OperationalError("database is locked")), "busy"),
    (lambda: _sa(__import__("psycopg").OperationalError("connection failed: Connection refused")), "unavailable"),
    (lambda: _sa(__import__("psycopg").errors.DeadlockDetected("deadlock detected")), "busy"),
    (lambda: _sa(__import__("psycopg").errors.DiskFull("could not extend file")), "full"),
    (lambda: _sa(__import__("sqlite3").OperationalError("no such table: publications")), None),
    (lambda: ValueError("not a fault"), None),
    (lambda: OSError(errno.ENOENT, "No such file"), None),
])
def test_storage_fault_names_the_condition(make, kind):
    from archive.db import storage_fault
    from archive.errors import fault_message

    exc = make()
    assert storage_fault(exc) == kind
    wrapped = RuntimeError("while ingesting")
    wrapped.__cause__ = exc
    assert storage_fault(wrapped) == kind                   # found behind the error that it caused
    assert (fault_message(exc) is None) == (kind is None)


@pytest.mark.parametrize("url", ["bogus://x", "sqlite+nodriver:///x.db", "postgresql://user@host:notaport/db"])
def test_a_database_url_the_archive_cannot_use_is_one_line_naming_the_setting(url, tmp_path):
    """An unknown scheme or driver, or a malformed address: the command says which setting and what to give,
    no traceback."""
    import subprocess
    import sys

    from support import REPO

    env = dict(__import__("os").environ, DATABASE_URL=url, ARCHIVE_DATA_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "manage.py", "reindex"], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0
    assert "Error: DATABASE_URL is not a database address the archive can use" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_a_command_that_meets_a_search_index_error_says_one_line():
    """manage.py's guard: a search index error (busy, a writing process that failed) is one line with what to do;
    one caused by a full disk says the disk is full; anything else still raises."""
    import click

    from archive.errors import cli_fault_guard
    from indexer.backend import SearchIndexError

    failed = "writing the search index failed in a child process (the detail is in the log)"
    with pytest.raises(click.ClickException) as info:
        with cli_fault_guard():
            raise SearchIndexError(failed)
    assert info.value.message.startswith(failed) and "run `manage.py reindex` again" in info.value.message
    with pytest.raises(click.ClickException) as info:
        with cli_fault_guard():
            raise SearchIndexError(failed) from OSError(errno.ENOSPC, "No space left on device")
    assert "full" in info.value.message and "child process" not in info.value.message
    with pytest.raises(ValueError):
        with cli_fault_guard():
            raise ValueError("a bug stays a bug")
