"""Paths and helpers shared by tests (importable: pytest.ini puts tests/ on sys.path)."""
from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
DEMO = REPO / "demo" / "files"
DATA = REPO / "tests" / "data"


_PG_READY: set[str] = set()
PG_SERVER_URL = "postgresql://root@127.0.0.1:5432/test"   # the local server of these machines (trust auth)


def _own_pg_database(base_url: str, suffix: str) -> str:
    """``base_url`` with ``_<suffix>`` (and the pytest-xdist worker) added to its database name, created once."""
    import os

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    parts = [p for p in (suffix, worker) if p]
    if not parts:
        return base_url
    base, _, dbname = base_url.rpartition("/")
    dbname = dbname.split("?")[0]
    own_name = "_".join([dbname, *parts])
    own = f"{base}/{own_name}"
    if own not in _PG_READY:
        import psycopg

        with psycopg.connect(base_url, autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own_name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{own_name}"')
        _PG_READY.add(own)
    return own


def pg_test_url() -> str:
    """The PostgreSQL URL the suite runs against (``TEST_DATABASE_URL``), or "" for SQLite files.

    Under pytest-xdist every worker gets a database of its own (``test_gw0``, ``test_gw1``…), created
    on first use, so workers never drop each other's tables.
    """
    import os

    url = os.environ.get("TEST_DATABASE_URL", "")
    return _own_pg_database(url, "") if url else ""


def scratch_pg_url(name: str) -> str:
    """A PostgreSQL database for one test module's own use (``test_<name>[_gwN]``), whatever pass this is;
    the calling test is skipped when no server answers (``TEST_PG_URL`` names it)."""
    import os

    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("TEST_PG_URL") or PG_SERVER_URL
    if base == "none":                                    # scripts/test.sh --quick: SQLite only
        pytest.skip("PostgreSQL turned off (TEST_PG_URL=none)")
    try:
        return _own_pg_database(base, name)
    except Exception:  # noqa: BLE001 - any failure to reach the server means "not here"
        pytest.skip(f"PostgreSQL not reachable at {base}")


@contextmanager
def scratch_pg_schema(name: str):
    """A fresh schema in ``scratch_pg_url(name)`` for one test's search tables: yields the search backend's
    URL (its search_path set to the schema) and drops the schema afterwards."""
    import uuid

    import psycopg

    url = scratch_pg_url(name)
    schema = f"s_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def backend_app(data_dir: Path, backend: str, pg_name: str, **settings):
    """An app on a SQLite database in ``data_dir`` searching with ``backend`` (whoosh, tantivy, or postgres in a
    schema of its own in ``scratch_pg_url(pg_name)``), its tables created; closed afterwards."""
    from archive import create_app
    from archive.migrate import upgrade

    config = {"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "test-secret", "JOBS_IMMEDIATE": True,
              "OCR_ENABLED": False, "SEARCH_BACKEND": backend, **settings}
    with ExitStack() as stack:
        if backend == "postgres":
            config["SEARCH_DATABASE_URL"] = stack.enter_context(scratch_pg_schema(pg_name))
        app = create_app(config)
        archive = app.extensions["archive"]
        upgrade(archive.db.url)
        try:
            yield app
        finally:
            archive.close()


def reset_database(url: str) -> None:
    """A clean ``public`` schema on the PostgreSQL test database (whatever an earlier run left)."""
    from sqlalchemy import create_engine

    if not url.startswith("postgresql"):
        return
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def archive_env(data: Path, database_url: str = "", **extra: str) -> dict:
    """The one environment builder for `manage.py` subprocesses (server, worker, CLI) of the archive in
    ``data``: this process's environment without its database settings, no rate limits, unbuffered output,
    ``database_url`` when given (SQLite in ``data`` otherwise), then ``extra`` (ARCHIVE_* settings)."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.update({"ARCHIVE_DATA_DIR": str(data), "ARCHIVE_RATELIMIT_ENABLED": "0", "PYTHONUNBUFFERED": "1"})
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def served_env(data: Path, **extra: str) -> dict:
    """``archive_env`` on a fresh archive of this pass: SQLite by default, the (emptied) PostgreSQL test
    database when the suite runs on PostgreSQL."""
    url = pg_test_url()
    if url:
        reset_database(url)
    return archive_env(data, url, **extra)


def csrf(html: str) -> str:
    """The CSRF token of the (first) form in ``html``."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def corpus_text_documents(patterns: tuple[str, ...] = ("*.txt",), cut: int | None = None) -> list:
    """An ``IndexDocument`` per text of the shared corpus's ``text`` folder (files matching ``patterns``, each cut
    to ``cut`` characters): its first line the title, the next seven the abstract, three keywords, two authors,
    the whole text in pages of 40 lines. The calling test is skipped when the corpus is absent."""
    from indexer.documents import IndexDocument

    folder = corpus_path("text")
    docs = []
    for path in [p for pattern in patterns for p in sorted(folder.glob(pattern))]:
        text = path.read_text(encoding="utf-8", errors="replace")[:cut]
        lang = "kk" if path.name.startswith("kk") else "ru"
        lines = text.splitlines()
        pages = tuple((i + 1, "\n".join(lines[j:j + 40])) for i, j in enumerate(range(0, len(lines), 40)))
        docs.append(IndexDocument(id=100 + len(docs), language=lang, titles={lang: lines[0] if lines else ""},
                                  abstracts={lang: "\n\n".join(lines[1:8])}, keywords=tuple(lines[8:11]),
                                  authors=tuple(lines[11:13]), pages=pages))
    assert docs, f"no texts in {folder}"
    return docs


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus; the calling test is skipped when the corpus is absent."""
    p = CORPUS.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared corpus not available ({p})")
    return p


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def make_pdf(path: Path, pages: list[str], title: str = "") -> Path:
    """Render plain-text pages to a real PDF (DejaVu, so Cyrillic and Kazakh letters extract back)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    if title:
        c.setTitle(title)
    for text in pages:
        y = 800
        for para in text.split("\n"):
            words, line = para.split(), ""
            for w in words + [None]:
                if w is not None and len(line) + len(w) < 80:
                    line = f"{line} {w}".strip()
                    continue
                c.setFont("DejaVuSerif", 11)
                c.drawString(50, y, line)
                y -= 15
                line = w or ""
            y -= 6
        c.showPage()
    c.save()
    return path


RU_ARTICLE = [
    "УДК 323.1\nИванова М.П.\nИнститут философии, политологии и религиоведения\nАлматы, 2019\n"
    "МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ В ГОРОДСКОЙ СРЕДЕ АЛМАТЫ\n"
    "Аннотация. Статья посвящена межэтническим отношениям и языковой политике в Алматы в 2019 году.\n"
    "Ключевые слова: межэтнические отношения, согласие, язык.\n"
    "Межэтнические отношения в крупном городе складываются из повседневных практик. Жители Алматы говорят "
    "на казахском и русском языках, а Большое Алматинское озеро и другие горные озёра собирают людей разных "
    "национальностей.",
    "Согласие между этническими группами поддерживают этнокультурные объединения и Ассамблея народа "
    "Казахстана. Языковая политика государства влияет на молодёжь.",
]
KK_ARTICLE = [
    "ӘОЖ 81'272\nСейтқали Айгерім Болатқызы\nАлматы қаласы, 2021\nТІЛ САЯСАТЫ ЖӘНЕ ҚАЗАҚ АҚЫНДАРЫ\n"
    "Аңдатпа. Мақалада Қазақстандағы тіл саясаты мен ақынның рөлі қарастырылады, 2021 жыл.\n"
    "Түйін сөздер: тіл, ақын, келісім.\n"
    "Абай сияқты ұлы ақынның шығармалары Қазақстанда кеңінен оқылады. Ақындар халықтың тілін байытады, "
    "ал мемлекеттік тіл қоғамның бірлігі мен келісімін нығайтады.",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, *args: str):
    """`manage.py serve` on a free port with ``env``; returns (base URL, process) once /healthz answers."""
    import subprocess
    import sys
    import tempfile

    port = free_port()
    # The server's log goes to a file: a pipe nobody reads would fill up and block the server.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log

    def log_text() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")

    base = f"http://127.0.0.1:{port}"
    wait_serving(base, proc, log_text)
    return base, proc


def wait_serving(base: str, proc, log_text, seconds: float = 120) -> None:
    """Return once ``base``/healthz answers 200; fail the test with the server's log when ``proc`` exits or
    ``seconds`` pass (the one wait every served-app helper uses)."""
    import time

    import requests

    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("server exited: " + log_text()[-3000:])
        try:
            if requests.get(base + "/healthz", timeout=3).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    proc.kill()
    pytest.fail("server did not start: " + log_text()[-3000:])


def stop_server(proc) -> None:
    """Terminate a server started by ``start_server``."""
    proc.terminate()
    proc.wait(20)


@contextmanager
def statements(engine):
    """The SQL statements (with their parameters) ``engine`` runs inside the block, as a list filled in order."""
    from sqlalchemy import event

    seen: list = []

    def grab(_conn, _cursor, statement, params, _context, _many):
        seen.append((statement, params))
    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def sqlite_plan(engine, statement: str, params) -> str:
    """SQLite's EXPLAIN QUERY PLAN of a statement, its lines joined by " | "."""
    with engine.connect() as c:
        return " | ".join(r[3] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
