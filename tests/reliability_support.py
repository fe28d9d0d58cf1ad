"""Helpers for tests/reliability: an archive served over real HTTP with its own worker, signed-in sessions,
the database and index compared, and a TCP proxy that can cut PostgreSQL away from the app."""
from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from support import REPO, archive_env, csrf, free_port, reset_database, scratch_pg_url, wait_serving  # noqa: F401 - csrf re-exported


PASSWORD = "reliable-password-1"
# What a person must never see on a page: raw database or Python errors.
RAW_ERRORS = ("database is locked", "OperationalError", "Traceback", "psycopg", "sqlite3", "Internal Server Error",
              "Errno", "No space left", "Read-only file system")


def pg_url() -> str:
    """This module's PostgreSQL database (``RELIABILITY_DATABASE_URL``, else ``test_reliability[_gwN]``)."""
    return os.environ.get("RELIABILITY_DATABASE_URL") or scratch_pg_url("reliability")


def pg_available() -> bool:
    """True when the PostgreSQL server answers."""
    try:
        pg_url()
        return True
    except (Exception, pytest.skip.Exception):  # noqa: BLE001 - any failure means "not here"
        return False


def reset_pg() -> None:
    """An empty public schema in this module's own database."""
    reset_database(pg_url())


def reliability_env(data: Path, database_url: str = "", **extra: str) -> dict:
    """``support.archive_env`` with this package's settings: quick job retries, English messages."""
    settings = {"ARCHIVE_SECRET_KEY": "reliability-secret", "ARCHIVE_EXTRACT_TIMEOUT_S": "300",
                "ARCHIVE_JOBS_RETRY_DELAY_S": "1",
                "ARCHIVE_BABEL_DEFAULT_LOCALE": "en"}   # the tests read the English messages
    return archive_env(data, database_url, **{**settings, **extra})


def manage(env: dict, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``manage.py ARGS`` to the end; fail the test (with its output) when ``check`` and it failed."""
    out = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=timeout)
    if check and out.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return out


def start_manage(env: dict, log: Path, *args: str) -> subprocess.Popen:
    """``manage.py ARGS`` in the background, its output in ``log`` (a pipe could fill up and stall it)."""
    fh = open(log, "ab")
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=REPO, env=env, stdout=fh,
                            stderr=subprocess.STDOUT)


class Served:
    """An archive served by gunicorn (``manage.py serve``) plus, unless ``jobs`` is off, its own worker."""

    def __init__(self, env: dict, logdir: Path, workers: int = 2, threads: int = 4, job_threads: int = 2,
                 jobs: bool = True, port: int | None = None) -> None:
        self.env, self.logdir = env, Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = start_manage(env, self.logdir / "server.log", "serve", "--port", str(self.port),
                                   "--workers", str(workers), "--threads", str(threads), "--no-jobs")
        self.worker = start_manage(env, self.logdir / "worker.log", "worker", "--workers", str(job_threads)) \
            if jobs else None
        self.wait_ready()

    def wait_ready(self, seconds: float = 120) -> None:
        wait_serving(self.base, self.server, self.log, seconds)

    def log(self, name: str = "server.log") -> str:
        p = self.logdir / name
        return p.read_text(errors="replace") if p.exists() else ""

    def restart_worker(self, env: dict | None = None, job_threads: int = 2) -> None:
        """Stop the job worker and start it again (e.g. with a changed PATH)."""
        _stop(self.worker)
        self.worker = start_manage(env or self.env, self.logdir / "worker.log", "worker", "--workers",
                                   str(job_threads))

    def stop(self) -> None:
        _stop(self.worker)
        _stop(self.server)


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def signed_in(base: str, email: str) -> requests.Session:
    """A requests session signed in as ``email`` (password ``PASSWORD``).

    Like a browser, it sends a GET again when a kept-alive connection turns out to have been closed by the
    server just as it was reused (gunicorn closes idle connections after 2 s; the race is the client's).
    """
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=Retry(total=2, connect=2, read=2, status=0, redirect=5,
                                                     allowed_methods={"GET", "HEAD"}, raise_on_status=False)))
    page = s.get(base + "/login", timeout=60)
    r = s.post(base + "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf(page.text),
                                      "next": ""}, timeout=60)
    assert r.status_code == 200 and "/login" not in r.url, r.text[-1000:]
    return s


def upload(s: requests.Session, base: str, path: Path, name: str | None = None) -> requests.Response:
    """Upload one file through the upload form, as a browser does (redirects followed)."""
    page = s.get(base + "/upload", timeout=60)
    with open(path, "rb") as fh:
        return s.post(base + "/upload", data={"csrf_token": csrf(page.text)},
                      files={"files": (name or path.name, fh, "application/pdf")}, timeout=120)


def wait_records(s: requests.Session, base: str, count: int, seconds: float = 300) -> list[dict]:
    """The person's newest ``count`` upload records once none of them is queued or running."""
    deadline = time.time() + seconds
    records: list[dict] = []
    while time.time() < deadline:
        records = s.get(base + "/upload/status", timeout=60).json()["records"][:count]
        if len(records) == count and all(r["status"] not in ("queued", "running") for r in records):
            return records
        time.sleep(0.5)
    pytest.fail(f"uploads not processed in {seconds} s: {records}")


def assert_clean_page(text: str) -> None:
    """No raw database or Python error reached the person."""
    for raw in RAW_ERRORS:
        assert raw not in text, f"{raw!r} shown to a person: {text[-1500:]}"


def archive_json(env: dict, body: str):
    """Run ``body`` in a fresh process on the archive of ``env`` (``a`` is its Archive, ``s`` a session,
    ``select``/``func``/``json`` and the models imported) and return what it prints as JSON."""
    code = ("import json\n"
            "from sqlalchemy import select, func\n"
            "from archive import create_app\n"
            "from archive.models import Publication, IndexTask\n"
            "a = create_app().extensions['archive']\n"
            "with a.db.session() as s:\n"
            + "".join(f"    {line}\n" for line in body.strip().splitlines()) +
            "a.close()\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def index_matches_database(env: dict) -> tuple[set[int], set[int], int]:
    """(published ids in the database, ids in the index, pending index tasks), read from a fresh process."""
    d = archive_json(env, """
pub = sorted(s.scalars(select(Publication.id).where(Publication.status == 'published')))
pending = s.scalar(select(func.count()).select_from(IndexTask))
print(json.dumps({'db': pub, 'index': sorted(a.search.doc_ids()), 'pending': pending}))
""")
    return set(d["db"]), set(d["index"]), d["pending"]


class CuttableProxy:
    """A TCP proxy 127.0.0.1:<port> → target that a test can cut (every connection dropped, new ones
    refused, as while PostgreSQL restarts) and restore."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.port = free_port()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self.cuts = 0
        self.restore()

    def _listen(self) -> None:
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(64)
        ls.settimeout(0.2)
        self._listener = ls
        threading.Thread(target=self._accept, args=(ls,), daemon=True).start()

    def _accept(self, ls: socket.socket) -> None:
        while not self._stop.is_set() and self._listener is ls:
            try:
                client, _ = ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        socks = [a, b]
        try:
            while True:
                ready, _, _ = select.select(socks, [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in socks:
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        """Drop every connection and refuse new ones (the server is "down")."""
        self.cuts += 1
        ls, self._listener = self._listener, None
        if ls is not None:
            ls.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def restore(self) -> None:
        """Accept connections again (the server is "back")."""
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self._stop.set()
        self.cut()

    @property
    def url(self) -> str:
        """The test database's URL, through this proxy."""
        return pg_url().replace("127.0.0.1:5432", f"127.0.0.1:{self.port}")
