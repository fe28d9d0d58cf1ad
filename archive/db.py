"""Engine and sessions (plain SQLAlchemy: services take a session, views get one per request)."""
from __future__ import annotations

import errno
import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional, TypeVar

from sqlalchemy import create_engine, event, exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from .config import ConfigError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What went wrong underneath, in the words the error pages and the CLI choose their message by.
BUSY = "busy"                 # SQLite locked past its busy timeout, or the connection pool exhausted
UNAVAILABLE = "unavailable"   # the database server cannot be reached (restarting, network cut)
FULL = "full"                 # no space left for the database or the data folder
READ_ONLY = "read-only"       # the database file or the data folder cannot be written
TRANSIENT = (BUSY, UNAVAILABLE)

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# PostgreSQL errors (psycopg class names) that a second attempt of the same transaction can get past.
_PG_BUSY = {"DeadlockDetected", "SerializationFailure", "LockNotAvailable"}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def storage_fault(exc: BaseException) -> Optional[str]:
    """``BUSY``, ``UNAVAILABLE``, ``FULL`` or ``READ_ONLY`` when ``exc`` (or what caused it) is such a fault, else None.

    These are conditions of the machine, not bugs: they clear when space is freed, the folder is made
    writable again or the database comes back, so a person is told that, not shown a stack trace.
    """
    for e in _causes(exc):
        if isinstance(e, sa_exc.TimeoutError):
            return BUSY
        if isinstance(e, sa_exc.DisconnectionError):
            return UNAVAILABLE
        if isinstance(e, OSError) and e.errno is not None:
            if e.errno in _FULL_ERRNOS:
                return FULL
            if e.errno in _READ_ONLY_ERRNOS:
                return READ_ONLY
            continue
        if not isinstance(e, sa_exc.DBAPIError):
            continue
        text = str(e.orig).lower()
        name = type(e.orig).__name__
        if name in _PG_BUSY:
            return BUSY
        if name == "DiskFull" or "disk is full" in text or "no space left" in text or "could not extend file" in text:
            return FULL
        if "readonly database" in text or "read-only" in text or "read only" in text:
            return READ_ONLY
        if "database is locked" in text or "database table is locked" in text or "database is busy" in text:
            return BUSY
        if e.connection_invalidated or isinstance(e, sa_exc.InterfaceError):
            return UNAVAILABLE
        if isinstance(e, sa_exc.OperationalError):
            # PostgreSQL reports a lost or refused connection as OperationalError (also "terminating
            # connection due to administrator command" on restart); SQLite its missing or unreadable file.
            if "unable to open database file" in text or "disk i/o error" in text:
                return UNAVAILABLE
            if not text.startswith(("no such ", "table ")):
                module = type(e.orig).__module__ or ""
                if module.startswith("psycopg"):
                    return UNAVAILABLE
    return None


def retry_transient(fn: Callable[[], T], attempts: int = 4, delay: float = 0.25) -> T:
    """Call ``fn``; when it fails on a busy or briefly unreachable database, wait and call it again.

    ``fn`` must do a whole unit of work (open a session, write, commit), so a second call starts clean.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts or storage_fault(exc) not in TRANSIENT:
                raise
            logger.warning("database %s (attempt %d of %d); retrying", storage_fault(exc), attempt, attempts)
            time.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def database_url(configured: str, data_dir: Path) -> str:
    """The configured URL, or a SQLite file in the data folder."""
    if configured:
        if configured.startswith("postgres://"):
            configured = "postgresql://" + configured[len("postgres://"):]
        if configured.startswith("postgresql://"):
            configured = "postgresql+psycopg://" + configured[len("postgresql://"):]
        return configured
    return f"sqlite:///{data_dir / 'archive.sqlite3'}"


def make_engine(url: str) -> Engine:
    """An engine with sane settings for SQLite (WAL, foreign keys, busy timeout) and PostgreSQL; ConfigError for a
    URL that names no database the archive can open (an unknown scheme or driver, a malformed URL)."""
    try:
        return _make_engine(url)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ValueError):   # ValueError: a port that is no number
        raise ConfigError("DATABASE_URL is not a database address the archive can use: give "
                          "postgresql://user@host/database, or leave it unset for the SQLite file in the data "
                          "folder") from None


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # WAL lets readers go on while one process writes; a writer waits up to 30 s for the lock
        # (busy_timeout) instead of failing at once with "database is locked".
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # pool_pre_ping: a connection that died with a server restart is noticed at checkout and replaced,
    # so the app recovers by itself once PostgreSQL is back; connect_timeout keeps an outage from
    # hanging requests (they get the "database unavailable" page instead).
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=30,
                         connect_args={"connect_timeout": 10} if url.startswith("postgresql") else {})


class Database:
    """The engine plus a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that rolls back on error and always closes."""
        s = self.Session()
        try:
            yield s
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def write(self, work: Callable[[Session], T], attempts: int = 4) -> T:
        """Run ``work(session)`` and commit, in a session of its own; retried when the database is busy."""
        def once() -> T:
            with self.session() as s:
                result = work(s)
                s.commit()
                return result

        return retry_transient(once, attempts=attempts)

    def dispose(self) -> None:
        self.engine.dispose()
