"""kill -9 at random moments: `manage.py ingest`, the job worker, the web server during uploads.

Real processes (each started in its own session, killed with SIGKILL to the whole group, as a power
cut would), real PDFs, real SQLite. After every kill: no half-created publication (each stored file's
publications, pages, authorships, volume and articles are exactly those a clean run makes), no
duplicate; after `check --repair` no orphan file; the index catches up by itself (worker start /
the next batch) and processing records a killed worker left "running" are queued again.
The kill moments come from a seeded generator; the figures are printed (`pytest -s`).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from archive.models import IndexTask, ProcessingRecord, Publication, StoredFile
from archive.storage import sha256_of
from support import DEMO, REPO, RU_ARTICLE, archive_env, csrf, free_port, make_pdf, wait_serving

pytestmark = [pytest.mark.slow, pytest.mark.own_databases]

SEED = 9
ROUNDS = 3


# -- the files and what a clean run makes of them ------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """Small generated articles (with authors) plus the demo volume (a book with articles)."""
    d = tmp_path_factory.mktemp("batch")
    for i in range(5):
        head = RU_ARTICLE[0].replace("МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ", f"СТАТЬЯ {i}: СОГЛАСИЕ") \
            .replace("Иванова М.П.", f"Иванов{'а' if i % 2 else ''} {chr(0x410 + i)}.П., Сейтқали А.Б.")
        make_pdf(d / f"article-{i}.pdf", [head] + [f"Страница {j} статьи {i} о согласии. " * 30 for j in range(i % 3)])
    shutil.copy(DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", d / "volume.pdf")
    return d


def _config(data: Path, immediate: bool = False) -> dict:
    return {"TESTING": True, "DATA_DIR": str(data), "EXTRACT_TIMEOUT_S": 120, "OCR_ENABLED": False,
            "JOBS_IMMEDIATE": immediate, "DATABASE_URL": ""}


def open_app(data: Path, immediate: bool = False):
    """This test's own view of an archive (real SQLite file shared with the processes under test)."""
    from archive import create_app
    from archive.migrate import upgrade
    from archive.services.topics import ensure_topics

    app = create_app(_config(data, immediate))
    archive = app.extensions["archive"]
    upgrade(archive.db.url)
    with archive.db.session() as s:
        ensure_topics(s)
        s.commit()
    return app


def shapes(archive) -> dict[str, list[tuple]]:
    """Per source file (by hash): its publications as a clean run makes them, ids left out."""
    out: dict[str, list[tuple]] = {}
    with archive.db.session() as s:
        for sf in s.scalars(select(StoredFile)):
            pubs = list(s.scalars(select(Publication).where(Publication.source_file_id == sf.id)
                                  .order_by(Publication.id)))
            if not pubs:
                continue
            out[sf.sha256] = [(p.kind, p.title, len(p.pages), [a.name_as_printed for a in p.authorships],
                               p.parent_id is not None, p.volume_id is not None,
                               p.article_file_id is not None) for p in pubs]
    return out


@pytest.fixture(scope="module")
def reference(batch, tmp_path_factory, monkeypatch_module):
    """What an uninterrupted ingest of the batch makes, by file hash."""
    from archive.services.ingest import ingest_file, iter_input_files

    app = open_app(tmp_path_factory.mktemp("reference"), immediate=True)
    archive = app.extensions["archive"]
    for f in iter_input_files([batch]):
        assert ingest_file(archive, f, f.name, publish=True).status == "ok"
    ref = shapes(archive)
    archive.close()
    assert len(ref) == 6 and any(len(v) > 1 for v in ref.values())      # the volume and its articles
    return ref


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    mp.delenv("ARCHIVE_DATA_DIR", raising=False)
    yield mp
    mp.undo()


# -- processes ---------------------------------------------------------------------------------------

def env_for(data: Path) -> dict:
    return archive_env(data, ARCHIVE_OCR_ENABLED="0", ARCHIVE_JOBS_RETRY_DELAY_S="1", ARCHIVE_EXTRACT_TIMEOUT_S="120")


def spawn(data: Path, *args: str) -> subprocess.Popen:
    log = open(data / "process.log", "ab")
    proc = subprocess.Popen([sys.executable, "manage.py", *args], cwd=REPO, env=env_for(data),
                            stdout=subprocess.PIPE if "--json" in args else subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
    log.close()
    return proc


def kill9(proc: subprocess.Popen) -> bool:
    """SIGKILL the process and everything it started; False when it had already finished."""
    alive = proc.poll() is None
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(30)
    return alive


def kill_when(proc: subprocess.Popen, cond, delay: float, timeout: float = 60) -> bool:
    """SIGKILL ``delay`` seconds after ``cond()`` first holds (a moment tied to progress, not to the
    machine's speed); returns whether the process was still running."""
    wait_for(lambda: cond() or proc.poll() is not None, timeout, step=0.05)
    time.sleep(delay)
    return kill9(proc)


def wait_for(cond, timeout: float, step: float = 0.3) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


# -- what must hold after every kill -----------------------------------------------------------------

def assert_whole(archive, reference: dict) -> dict:
    """Committed work is complete and single; returns the shapes seen."""
    seen = shapes(archive)
    for sha, shape in seen.items():
        assert sha in reference, "a publication whose file is not in the batch"
        assert shape == reference[sha], f"half-created or doubled publications for {sha[:12]}: {shape}"
    with archive.db.session() as s:
        # Every publication has pages and a stored file whose bytes are there, hash intact.
        assert s.scalar(select(func.count()).select_from(Publication)
                        .where(~Publication.pages.any())) == 0
        for sf in s.scalars(select(StoredFile)):
            assert sha256_of(archive.files.path_for(sf.sha256)) == sf.sha256
    return seen


def orphan_count(archive) -> int:
    from archive.services.consistency import check_archive

    rep = check_archive(archive, orphan_grace_s=0, verify_hashes=False)
    return len(rep.orphan_files)


def check_repair(data: Path) -> dict:
    out = subprocess.run([sys.executable, "manage.py", "check", "--repair", "--grace", "0", "--json"], cwd=REPO,
                         env=env_for(data), capture_output=True, text=True, timeout=180)
    return {"code": out.returncode, **json.loads(out.stdout)}


def report(title: str, figures: dict) -> None:
    print(f"\n[crash] {title}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


# -- (a) manage.py ingest ----------------------------------------------------------------------------

def test_kill_ingest_at_random_moments(batch, reference, tmp_path, monkeypatch_module):
    rng = random.Random(SEED)
    data = tmp_path / "a"
    data.mkdir()
    app = open_app(data)
    archive = app.extensions["archive"]
    fig = {"rounds": 0, "killed_mid_batch": 0, "files_committed_after_each_kill": [], "orphans_seen": 0,
           "pending_index_tasks_seen": 0}

    def committed() -> int:
        with archive.db.session() as s:
            return s.scalar(select(func.count()).select_from(StoredFile))
    for _ in range(ROUNDS):
        target = committed() + rng.randint(0, 2)          # after 0-2 more files, then 0-1.5 s later
        proc = spawn(data, "ingest", str(batch), "--publish", "--json", "-j", "2")
        fig["rounds"] += 1
        fig["killed_mid_batch"] += kill_when(proc, lambda: committed() >= target, rng.uniform(0, 1.5))
        fig["files_committed_after_each_kill"].append(len(assert_whole(archive, reference)))
        fig["orphans_seen"] += orphan_count(archive)
        with archive.db.session() as s:
            fig["pending_index_tasks_seen"] += s.scalar(select(func.count()).select_from(IndexTask))

    # The index catches up by itself: a starting worker applies the pending work recorded in the database.
    worker = spawn(data, "worker")
    try:
        def caught_up():
            with archive.db.session() as s:
                return s.scalar(select(func.count()).select_from(IndexTask)) == 0
        assert wait_for(caught_up, 90)
        with archive.db.session() as s:
            published = set(s.scalars(select(Publication.id).where(Publication.status == "published")))
        assert archive.search.doc_ids() == published
    finally:
        kill9(worker)

    # Re-running the batch resumes it: what was committed is a duplicate, the rest goes in.
    done = spawn(data, "ingest", str(batch), "--publish", "--json", "-j", "2")
    out, _ = done.communicate(timeout=300)
    lines = [json.loads(x) for x in out.decode().splitlines()]
    assert done.returncode == 0 and len(lines) == 6 and {x["status"] for x in lines} <= {"ok", "duplicate"}
    assert assert_whole(archive, reference) == reference
    rep = check_repair(data)
    fig["orphans_deleted_by_check"] = sum("deleted orphan" in a for a in rep["actions"])
    assert rep["code"] == 0 and rep["ok"], rep
    assert orphan_count(archive) == 0
    with archive.db.session() as s:
        published = set(s.scalars(select(Publication.id).where(Publication.status == "published")))
    assert archive.search.doc_ids() == published and len(published) == sum(len(v) for v in reference.values())
    report("ingest", fig)
    archive.close()


# -- (b) the job worker ------------------------------------------------------------------------------

def _queue_uploads(app, files: list[Path]) -> list[int]:
    """What the upload view does: the bytes under a generated name, a queued record, a task."""
    from archive.jobs import get_jobs
    from archive.services.uploads import incoming_dir

    archive = app.extensions["archive"]
    folder = incoming_dir(archive)
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    with app.app_context():
        for f in files:
            token = uuid.uuid4().hex
            shutil.copy(f, folder / token)
            with archive.db.session() as s:
                rec = ProcessingRecord(original_name=f.name, status="queued", details={"incoming": token})
                s.add(rec)
                s.commit()
                ids.append(rec.id)
            get_jobs(app).process_upload(rec.id)
    return ids


def _records(archive, ids) -> list[ProcessingRecord]:
    with archive.db.session() as s:
        return [s.get(ProcessingRecord, i) for i in ids]


def test_kill_worker_while_it_processes_uploads(batch, reference, tmp_path, monkeypatch_module):
    rng = random.Random(SEED + 1)
    data = tmp_path / "b"
    data.mkdir()
    app = open_app(data)
    archive = app.extensions["archive"]
    files = sorted(batch.iterdir())
    ids = _queue_uploads(app, files)
    fig = {"rounds": 0, "killed_while_busy": 0, "records_left_running": 0, "orphans_seen": 0}
    def busy() -> bool:
        return any(r.status == "running" for r in _records(archive, ids))
    for _ in range(ROUNDS):
        worker = spawn(data, "worker", "--workers", "2")
        fig["rounds"] += 1
        fig["killed_while_busy"] += kill_when(worker, busy, rng.uniform(0, 2.0)) and busy()
        assert_whole(archive, reference)
        recs = _records(archive, ids)
        fig["records_left_running"] += sum(r.status == "running" for r in recs)
        fig["orphans_seen"] += orphan_count(archive)
        for r in recs:
            if r.status == "ok":            # the outcome was committed with the publications it names
                assert r.publication_ids and r.stored_file_id

    worker = spawn(data, "worker", "--workers", "2")     # its start queues the "running" ones again
    try:
        assert wait_for(lambda: all(r.status not in ("queued", "running") for r in _records(archive, ids)), 180)
    finally:
        kill9(worker)
    recs = _records(archive, ids)
    assert [r.status for r in recs] == ["ok"] * len(files), [(r.status, r.message) for r in recs]
    seen = assert_whole(archive, reference)
    assert seen == reference
    with archive.db.session() as s:
        by_id = {sf.id: sf.sha256 for sf in s.scalars(select(StoredFile))}
    assert sorted(by_id[r.stored_file_id] for r in recs) == sorted(sha256_of(f) for f in files)
    rep = check_repair(data)
    fig["orphans_deleted_by_check"] = sum("deleted orphan" in a for a in rep["actions"])
    assert rep["code"] == 0 and rep["ok"], rep
    assert not any((data / "incoming").iterdir())
    report("worker", fig)
    archive.close()


# -- (c) the web server during uploads ---------------------------------------------------------------

def _serve(data: Path):
    port = free_port()
    proc = spawn(data, "serve", "--port", str(port), "--workers", "1", "--threads", "4")
    base = f"http://127.0.0.1:{port}"
    wait_serving(base, proc, lambda: (data / "process.log").read_text(errors="replace"))
    return base, proc


_csrf = csrf


def _login(base: str) -> requests.Session:
    s = requests.Session()
    page = s.get(base + "/login", timeout=30)
    r = s.post(base + "/login", data={"email": "member@example.kz", "password": "member-password-1",
                                      "csrf_token": _csrf(page.text), "next": ""}, timeout=30)
    assert r.status_code == 200
    return s


def test_kill_web_server_during_uploads(batch, reference, tmp_path, monkeypatch_module):
    from archive.services.accounts import create_user

    rng, pace = random.Random(SEED + 2), random.Random(SEED + 3)
    data = tmp_path / "c"
    data.mkdir()
    app = open_app(data)
    archive = app.extensions["archive"]
    with archive.db.session() as s:
        create_user(s, "member@example.kz", "member-password-1")
        s.commit()
    todo = sorted(batch.iterdir())
    acknowledged: list[str] = []
    fig = {"rounds": 0, "uploads_cut_off": 0, "uploads_acknowledged": 0, "records_left_running": 0,
           "orphans_seen": 0}

    def uploader(base: str, stop: threading.Event):
        try:
            sess = _login(base)
            while todo and not stop.is_set():
                f = todo[0]
                token = _csrf(sess.get(base + "/upload", timeout=30).text)
                with open(f, "rb") as fh:
                    r = sess.post(base + "/upload", data={"csrf_token": token},
                                  files={"files": (f.name, fh, "application/pdf")}, timeout=60)
                if r.status_code == 200:
                    acknowledged.append(f.name)
                    todo.pop(0)
                time.sleep(pace.uniform(0.1, 0.8))
        except (requests.RequestException, AttributeError):
            fig["uploads_cut_off"] += 1                    # the server died under the request

    for _ in range(ROUNDS):
        base, proc = _serve(data)
        stop = threading.Event()
        t = threading.Thread(target=uploader, args=(base, stop))
        t.start()
        target = len(acknowledged) + rng.randint(0, 1)     # after 0-1 more uploads, then 0-1 s later
        kill_when(proc, lambda: len(acknowledged) >= target, rng.uniform(0, 1.0))
        stop.set()
        t.join(60)
        fig["rounds"] += 1
        assert_whole(archive, reference)
        with archive.db.session() as s:
            fig["records_left_running"] += s.scalar(select(func.count()).select_from(ProcessingRecord)
                                                    .where(ProcessingRecord.status == "running"))
        fig["orphans_seen"] += orphan_count(archive)

    base, proc = _serve(data)                    # the last start: the rest of the files, then let it finish
    try:
        stop = threading.Event()
        uploader(base, stop)
        assert not todo
        with archive.db.session() as s:
            q = select(ProcessingRecord)
            assert wait_for(lambda: all(r.status not in ("queued", "running") for r in s.scalars(q)), 180)
    finally:
        kill9(proc)
    fig["uploads_acknowledged"] = len(acknowledged)
    with archive.db.session() as s:
        recs = list(s.scalars(select(ProcessingRecord).order_by(ProcessingRecord.id)))
    names = [r.original_name for r in recs]
    assert all(n in names for n in acknowledged), "an acknowledged upload was lost"
    assert {r.status for r in recs} <= {"ok", "duplicate"}, [(r.status, r.message) for r in recs]
    assert assert_whole(archive, reference) == reference        # every file in, once, whole
    by_name: dict[str, set] = {}
    for r in recs:
        by_name.setdefault(r.original_name, set()).add(tuple(sorted(r.publication_ids)))
    assert all(len(v) == 1 for v in by_name.values()), by_name   # a retried upload points at the same records
    rep = check_repair(data)
    fig["orphans_deleted_by_check"] = sum("deleted orphan" in a for a in rep["actions"])
    assert rep["code"] == 0 and rep["ok"], rep
    report("web server", fig)
    archive.close()
