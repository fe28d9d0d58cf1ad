"""The archive served by gunicorn (manage.py serve), queried over real HTTP."""
import os
import subprocess
import sys
import time

import pytest
import requests

from support import archive_env, served_env, KK_ARTICLE, REPO, RU_ARTICLE, csrf, make_pdf, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    files = tmp_path_factory.mktemp("files")
    env = served_env(data)
    make_pdf(files / "ru.pdf", RU_ARTICLE)
    make_pdf(files / "kk.pdf", KK_ARTICLE)
    out = subprocess.run([sys.executable, "manage.py", "ingest", str(files), "--publish", "--json"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([sys.executable, "manage.py", "create-user", "member@example.kz", "--password",
                          "member-password-1"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    base, proc = start_server(env, "--workers", "2")
    yield base
    stop_server(proc)


def test_served_search_api_and_pages(server):
    data = requests.get(server + "/api/search", params={"q": "ақындары"}, timeout=30).json()
    assert data["total"] == 1 and data["hits"][0]["source_file"] == "kk.pdf"
    page = requests.get(server + "/search", params={"q": "озёрам"}, timeout=30)
    assert page.status_code == 200 and "<mark>озёра</mark>" in page.text
    r = requests.get(server + f"/api/publications/{data['hits'][0]['id']}", timeout=30)
    assert r.status_code == 200 and r.json()["language"] == "kk"


def test_served_many_parallel_requests_without_errors(server):
    from concurrent.futures import ThreadPoolExecutor

    queries = ["согласие", "тіл", "межэтнических", "Qazaqstan", '"языковая политика"', "xyz"] * 5
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda q: requests.get(server + "/api/search", params={"q": q}, timeout=60).status_code,
                              queries))
    assert codes == [200] * len(queries)


def _socket_owners() -> dict[int, int]:
    """The process holding each socket of this machine (socket inode -> pid), from /proc."""
    owners = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                owners[int(link[8:-1])] = int(pid)
    return owners


def _server_sockets(port: int) -> dict[int, int]:
    """The inode of the server's end of each TCP connection to ``port``, by the client's port (/proc/net/tcp)."""
    out = {}
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == port and f[3] == "01":          # established, local end on ``port``
            out[int(f[2].split(":")[1], 16)] = int(f[9])
    return out


def test_served_connections_are_spread_over_the_workers(server):
    """Each gunicorn worker listens on a socket of its own (SO_REUSEPORT): new keep-alive connections are spread
    over the workers by the kernel, where on gunicorn's one shared socket a burst of them could all land on one
    worker (which then served them on one core while the other idled)."""
    import socket
    from collections import Counter

    port = int(server.rsplit(":", 1)[1])
    conns = []
    try:
        for _ in range(64):
            c = socket.create_connection(("127.0.0.1", port), timeout=30)
            conns.append(c)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert c.recv(64).startswith(b"HTTP/1.1 200")
        ends, owners = _server_sockets(port), _socket_owners()
        by_worker = Counter(owners.get(ends.get(c.getsockname()[1])) for c in conns)
    finally:
        for c in conns:
            c.close()
    assert None not in by_worker and len(by_worker) == 2, by_worker
    assert min(by_worker.values()) >= 10, by_worker      # 64 connections, two workers: ~32 each


@pytest.mark.parametrize("taken_by", ["archive", "socket"])
def test_serve_on_a_port_in_use_says_so_and_starts_nothing(server, tmp_path, taken_by):
    """The workers' sockets share their port (SO_REUSEPORT), which another such socket of the same user could
    join unnoticed: a second archive on the port of a running one (the ``server`` fixture's), or of another
    process's listening socket (one with SO_REUSEPORT too), is refused with one clear line."""
    import socket

    if taken_by == "archive":
        port = int(server.rsplit(":", 1)[1])
        listener = None
    else:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
    try:
        # An SQLite archive of its own: ``served_env`` would empty the PostgreSQL test database the ``server``
        # fixture's archive uses on the PostgreSQL pass.
        out = subprocess.run([sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "2"], cwd=REPO,
                             env=archive_env(tmp_path / "data"), capture_output=True, text=True, timeout=120)
    finally:
        if listener is not None:
            listener.close()
    assert out.returncode != 0
    assert f"127.0.0.1:{port} is in use" in out.stderr and "Traceback" not in out.stderr + out.stdout
    assert "Serving" not in out.stdout
    assert requests.get(server + "/healthz", timeout=30).status_code == 200      # the running one is untouched


_csrf = csrf


def test_served_upload_is_processed_in_the_background_worker(server, tmp_path):
    """One command (`serve`) also runs the job worker: an upload over HTTP becomes a draft."""
    s = requests.Session()
    login = s.get(server + "/login", timeout=30)
    r = s.post(server + "/login", data={"email": "member@example.kz", "password": "member-password-1",
                                       "csrf_token": _csrf(login.text), "next": ""}, timeout=30)
    assert r.status_code == 200 and "member@example.kz" not in r.url
    page = s.get(server + "/upload", timeout=30)
    pdf = make_pdf(tmp_path / "new.pdf", ["Новая статья о языковой политике и межэтническом согласии. " * 20])
    with open(pdf, "rb") as fh:
        r = s.post(server + "/upload", data={"csrf_token": _csrf(page.text)},
                   files={"files": ("Новая статья.pdf", fh, "application/pdf")}, timeout=60)
    assert r.status_code in (200, 303)
    deadline = time.time() + 90
    status = None
    while time.time() < deadline:
        records = s.get(server + "/upload/status", timeout=30).json()["records"]
        status = records[0]["status"] if records else None
        if status in ("ok", "error", "duplicate"):
            break
        time.sleep(0.5)
    assert status == "ok", records
    assert records[0]["file"] == "Новая статья.pdf"



def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = [int(p) for p in subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True,
                                               text=True).stdout.split()]
        out += kids
        todo += kids
    return out


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_server_leaves_no_job_worker_behind(tmp_path):
    """`manage.py serve` runs the job worker (and the worker its slow lane) as children: killing the server
    outright (SIGKILL, the OOM killer: no cleanup runs) must not leave them working alone on the archive."""
    import signal
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    parent = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), "--workers", "1"],
                              cwd=REPO, env=served_env(tmp_path / "data"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    workers: list[int] = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(workers) < 2:                # the worker and its slow lane
            workers = [p for p in _descendants(parent.pid)
                       if b"worker" in open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")]
            time.sleep(0.3)
        assert workers, "the job worker never started"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.time() + 20
        while time.time() < deadline and any(_running(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if _running(p)], "a job worker outlived the killed server"
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in workers + _descendants(parent.pid):
            if _running(p):
                os.kill(p, signal.SIGKILL)


def test_a_gunicorn_worker_keeps_its_long_lived_objects_out_of_the_collector():
    """A worker's app (modules, dictionaries) is frozen out of the collector when it is loaded, so no request
    pays a full collection over all of it; what requests make later is still collected."""
    import gc

    from archive.serve import _Gunicorn

    made = []

    def factory():
        made.append([object() for _ in range(1000)])   # what an app holds for its whole life
        return "app"

    before = gc.get_freeze_count()
    try:
        assert _Gunicorn({}, factory).load() == "app"
        assert gc.get_freeze_count() >= before + 1000
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_worker_warms_up_its_search_page_before_it_serves(app, archive, caplog):
    """``warm_up`` (run by each gunicorn worker as it loads the app) renders the search page in every
    interface language: its template is compiled and the search has run once (analysers, index, speller) before
    the first reader comes; nothing is logged as a request."""
    import logging

    from archive.serve import WARM_UP_SEARCHES, warm_up

    searched = []
    real = archive.search.search
    archive.search.search = lambda q, *a, **kw: searched.append(q) or real(q, *a, **kw)
    caplog.set_level(logging.INFO)
    took = warm_up(app)
    assert isinstance(took, float) and took > 0
    assert len(searched) >= len(WARM_UP_SEARCHES)
    assert "main/search.html" in {name for _loader, name in app.jinja_env.cache.keys()}
    assert not [r for r in caplog.records if r.name == "archive.request"]


def test_a_worker_that_cannot_warm_up_still_serves(app, caplog):
    import logging

    from archive.serve import warm_up

    def broken():
        raise RuntimeError("the index is away")

    app.view_functions["main.search"] = broken
    caplog.set_level(logging.WARNING)
    assert warm_up(app) is None
    assert any("warming up the search page failed (RuntimeError: the index is away)" in r.getMessage()
               for r in caplog.records)


def test_a_warm_up_leaves_the_readers_search_budget_whole(tmp_path, monkeypatch):
    """The warm-up runs the view itself, not its rate limit: an address's search budget is whole after it (the
    four warm-up searches would have spent a budget of two)."""
    from archive import create_app
    from archive.migrate import upgrade
    from archive.serve import WARM_UP_SEARCHES, warm_up

    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "s",
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "RATELIMIT_SEARCH": "2 per minute"})
    upgrade(app.extensions["archive"].db.url)
    try:
        assert len(WARM_UP_SEARCHES) > 2 and warm_up(app) is not None
        client = app.test_client()
        assert [client.get("/search", query_string={"q": q}).status_code for q in ("тіл", "язык", "qazaq")] == \
            [200, 200, 429]
    finally:
        app.extensions["archive"].close()


def test_served_workers_are_warmed_up_when_they_start(tmp_path):
    """Each worker of ``manage.py serve`` warms up (``warm_up``) before its first request, and says so once."""
    base, proc = start_server(archive_env(tmp_path / "data"), "--workers", "2", "--no-jobs")
    try:
        assert requests.get(base + "/search", params={"q": "тіл"}, timeout=30).status_code == 200
    finally:
        stop_server(proc)
        proc.log.seek(0)
        log = proc.log.read().decode(errors="replace")
    assert log.count("worker warmed up in") == 2, log[-3000:]
    assert f"Listening at: {base} (a socket for each worker)" in log
    assert "Listening at:  (" not in log        # gunicorn's own line, empty: the master holds no socket
    assert "Control socket" not in log          # no per-user control socket another server could take over
    assert "warming up the search page failed" not in log


def test_a_reload_leaves_no_time_without_a_socket_beyond_a_fork(tmp_path):
    """A reload (HUP: new workers forked, the old ones stopped at once) leaves at most the moment between a new
    worker's fork and its socket without one: each worker's socket is made at its fork, so connections meanwhile
    wait for a new worker's load. (Sockets made only once a worker was loaded left none for the whole load:
    20,000 connection attempts refused in six seconds.) gunicorn stops the old workers right after forking the
    new ones; on a busy machine a new worker may not have made its socket yet (a CI run refused a few attempts
    in that gap), so the test bounds the gap, not the attempts a tight loop makes in it."""
    import signal
    import socket

    base, proc = start_server(archive_env(tmp_path / "data"), "--workers", "2", "--no-jobs")
    port = int(base.rsplit(":", 1)[1])
    answered, refused = 0, []            # (kind, monotonic time) of each refused or reset attempt
    try:
        assert requests.get(base + "/healthz", timeout=30).status_code == 200
        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
                    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    answer = b""
                    while chunk := conn.recv(4096):
                        answer += chunk
                assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
                answered += 1
            except (ConnectionRefusedError, ConnectionResetError) as exc:
                refused.append((type(exc).__name__, time.monotonic()))
    finally:
        stop_server(proc)
        proc.log.seek(0)
        log = proc.log.read().decode(errors="replace")
    gaps = [t for kind, t in refused if kind == "ConnectionRefusedError"]
    # Refusals (no socket at all) only within one short gap; a connection the kernel had queued on a stopping
    # worker's socket is reset when it closes (docs/deploy.md): one in ~2,000 here.
    assert answered > 100 and (not gaps or max(gaps) - min(gaps) < 0.5), (answered, len(refused), refused[:5])
    assert len(refused) - len(gaps) <= 5, refused[:10]
    assert log.count("worker warmed up in") >= 4, log[-3000:]        # two workers, then two new ones


@pytest.mark.parametrize("host", ["nosuchhost.invalid", "192.0.2.1"])     # no such name; an address not ours
def test_serve_on_an_address_it_cannot_listen_on_says_so(tmp_path, host):
    out = subprocess.run([sys.executable, "manage.py", "serve", "--host", host, "--port", "8000", "--no-jobs"],
                         cwd=REPO, env=archive_env(tmp_path / "data"), capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and f"cannot listen on {host}:8000" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout and "Serving" not in out.stdout
