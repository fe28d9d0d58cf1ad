"""The running archive's parts, built once per process from the app config."""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from pathlib import Path

from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session

from indexer.backend import SearchBackend, open_backend
from uploads.limits import PRIORITIES, Limits

from .config import ConfigError, setting
from .db import Database, database_url
from .storage import FileStore

logger = logging.getLogger(__name__)


def search_dsn(config: dict, app_database_url: str) -> str:
    """The libpq connection string of the postgres search backend.

    ``SEARCH_DATABASE_URL`` (a URL or a libpq ``key=value`` string), else the app's own database when
    that is PostgreSQL; SQLAlchemy driver suffixes (``postgresql+psycopg://``) are removed.
    """
    url = (config.get("SEARCH_DATABASE_URL") or "").strip() or app_database_url
    if "://" not in url and "=" in url:
        return url                                   # already libpq keywords: "host=... dbname=..."
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is None or parsed.get_backend_name() != "postgresql":
        raise ConfigError("SEARCH_BACKEND=postgres needs a PostgreSQL database: set SEARCH_DATABASE_URL "
                         "(ARCHIVE_SEARCH_DATABASE_URL) or DATABASE_URL to postgresql://user@host/dbname")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (SQLite gives its -wal and -shm files the same mode);
    an existing file readable by everyone is only warned about (changing it could break a deployment)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o004:
            logger.warning("%s can be read by every user of this machine; run: chmod 600 %s*", path, path)


class Archive:
    """Database, file store, search backend and extraction limits of one archive (one data folder)."""

    def __init__(self, config: dict, data_dir: Path) -> None:
        self.config = config
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not config.get("DATABASE_URL"):
            private_file(self.data_dir / "archive.sqlite3")
        self.db = Database(database_url(config.get("DATABASE_URL", ""), self.data_dir))
        self.files = FileStore(self.data_dir / "files")
        self.index_path = self.data_dir / "index"
        self._search: SearchBackend | None = None
        self._serving = 0                   # requests this process is answering now (``count_requests``)
        self._serving_lock = threading.Lock()
        self.search_kind = config.get("SEARCH_BACKEND", "whoosh") or "whoosh"
        self._search_options: dict = {}
        if self.search_kind == "postgres":      # checked now, so a bad setting stops start-up, not a search
            self._search_options["dsn"] = search_dsn(config, self.db.url)
        self._search_lock = threading.Lock()
        self.limits = Limits(seconds=float(setting(config, "EXTRACT_TIMEOUT_S")),
                             memory_mb=setting(config, "EXTRACT_MEMORY_MB"),
                             max_pages=setting(config, "EXTRACT_MAX_PAGES"),
                             ocr=setting(config, "OCR_ENABLED"),
                             ocr_max_pages=setting(config, "OCR_MAX_PAGES"))
        # OCR and files of many pages: the same limits, the child at a lower CPU priority (uploads.limits)
        priority = setting(config, "EXTRACT_LONG_PRIORITY")
        if priority not in PRIORITIES:
            raise ConfigError(f"EXTRACT_LONG_PRIORITY (ARCHIVE_EXTRACT_LONG_PRIORITY) must be one of "
                              f"{', '.join(PRIORITIES)}, not {priority!r}")
        self.long_limits = replace(self.limits, priority=priority)
        self.long_pages = setting(config, "EXTRACT_LONG_PAGES")

    @property
    def search(self) -> SearchBackend:
        """The search backend, opened on first use (one per process)."""
        if self._search is None:
            with self._search_lock:
                if self._search is None:
                    backend = open_backend(self.search_kind, self.index_path, **self._search_options)
                    if hasattr(backend, "count_aside"):
                        # Facets counted in a thread of their own only while this process answers one request: then
                        # the count runs on a core nobody else uses; under load, it would only take turns.
                        backend.count_aside = self.serving_one
                    self._search = backend
        return self._search

    def serving(self, change: int) -> None:
        with self._serving_lock:
            self._serving += change

    def serving_one(self) -> bool:
        """Whether this process answers at most one request now (the caller's)."""
        return self._serving <= 1

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
        self.db.dispose()


_COUNTED = "kelisim.counted"     # in a request's WSGI environ: counted by ``count_requests``


def count_requests(app) -> None:
    """Keep the count of requests the app's process is answering (``Archive.serving_one``): from the first of its
    hooks to the request's teardown."""
    archive = app.extensions["archive"]

    def started() -> None:
        archive.serving(1)
        request.environ[_COUNTED] = True

    def ended(_exc=None) -> None:
        if request.environ.pop(_COUNTED, False):
            archive.serving(-1)

    app.before_request_funcs.setdefault(None, []).insert(0, started)
    app.teardown_request(ended)


def get_archive(app=None) -> Archive:
    """The ``Archive`` of the current (or given) app."""
    return (app or current_app).extensions["archive"]


def db_session() -> Session:
    """The request's database session (closed at teardown)."""
    if "db_session" not in g:
        g.db_session = get_archive().db.Session()
    return g.db_session


def close_db_session(_exc=None) -> None:
    """Close the request's session, if one was opened (app-context teardown)."""
    s = g.pop("db_session", None)
    if s is not None:
        try:
            s.close()
        except DBAPIError as exc:
            # The connection died after the request's last query (a database restart): the rollback of closing
            # fails. The answer is already made; the connection is dropped from the pool instead of failing it.
            logger.warning("closing a request's database session failed, connection dropped: %s",
                           type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
            s.invalidate()


def ping_database() -> None:
    """One trivial query on the request's session (health checks): raises when the database is away."""
    db_session().execute(select(1))
