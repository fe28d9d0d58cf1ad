"""``manage.py backup`` / ``restore``: an online, portable copy of the whole archive.

A backup is a folder::

    manifest.json          format, versions, Alembic revision, row counts, column kinds, file hashes
    db/<table>.jsonl       every row of every table, one JSON object a line (portable between
                           SQLite and PostgreSQL: datetimes in UTC ISO form, dates ISO, bytes base64)
    files/<sha[:2]>/<sha>  the stored files, by content hash (a repeated backup copies only new ones)
    settings/              the instance ``config.py`` and the generated ``secret_key``, when present

The database is read from one consistent snapshot while the site keeps running: SQLite through the
sqlite3 backup API (a page-level copy, then read), PostgreSQL in a REPEATABLE READ, READ ONLY
transaction. Files are written before their rows are committed and never change, so every file a
snapshot row names is already in the store. ``manifest.json`` is written last: a folder without it
is an unfinished backup.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import platform
import shutil
import sqlite3
import tempfile
import warnings
from datetime import date, datetime, timezone
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import (JSON, Date, DateTime, LargeBinary, MetaData, Numeric, bindparam, column, create_engine,
                        func, select, table, text)
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning

from ..migrate import alembic_config, current_revision, upgrade
from ..models import Base
from ..storage import sha256_of
from . import indexing

logger = logging.getLogger(__name__)

FORMAT = "kelisim-backup"
FORMAT_VERSION = 1
SKIP_TABLES = {"alembic_version"}
SEED_TABLES = {"topics"}             # filled by `manage.py init`; an instance holding only these is empty
CHUNK = 500
_OURS = {"db", "files", "settings", ".db-new", ".db-old", "manifest.json.tmp"}


class BackupError(Exception):
    """A backup or restore that cannot go on; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- values ------------------------------------------------------------------------------------------

def _kind(type_) -> str:
    if isinstance(type_, DateTime):
        return "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, LargeBinary):
        return "bytes"
    if isinstance(type_, Numeric) and getattr(type_, "asdecimal", False):
        return "decimal"
    return "plain"


def _encode(kind: str, v: Any) -> Any:
    if v is None:
        return None
    if kind == "datetime":
        if isinstance(v, str):                      # a SQLite value the driver did not parse
            v = datetime.fromisoformat(v)
        v = v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v.astimezone(timezone.utc)
        return v.isoformat()
    if kind == "date":
        return v.isoformat() if isinstance(v, date) else str(v)
    if kind == "bytes":
        return base64.b64encode(bytes(v)).decode("ascii")
    if kind == "decimal" or isinstance(v, Decimal):
        return str(v)
    return v


def _decode(kind: str, v: Any) -> Any:
    if v is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(v)
    if kind == "date":
        return date.fromisoformat(v)
    if kind == "bytes":
        return base64.b64decode(v)
    if kind == "decimal":
        return Decimal(v)
    return v


# -- tables ------------------------------------------------------------------------------------------

def _model_types() -> dict[str, dict[str, Any]]:
    """Column types of the ORM models (they know JSON and timezone-aware datetimes; reflection may not)."""
    return {t.name: {c.name: c.type for c in t.columns} for t in Base.metadata.tables.values()}


def _reflect(conn: Connection) -> MetaData:
    """The archive's own tables as the database has them (derived data such as a search backend's
    tables in the same database is left out: the index is rebuilt after a restore)."""
    md = MetaData()
    names = [n for n in inspect(conn).get_table_names() if n in Base.metadata.tables]
    md.reflect(bind=conn, only=names)
    return md


def _tables(md: MetaData) -> list:
    """Reflected tables in dependency order (parents first), without Alembic's bookkeeping."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)      # cycles are handled by deferring their columns
        return [t for t in md.sorted_tables if t.name not in SKIP_TABLES]


def _typed(reflected, models: dict[str, dict[str, Any]]):
    """A lightweight table with the model's column types where known, the reflected ones otherwise."""
    types = models.get(reflected.name, {})
    return table(reflected.name, *[column(c.name, types.get(c.name, c.type)) for c in reflected.columns])


def dump_tables(conn: Connection) -> Iterable[tuple[str, dict[str, str], Iterable[dict]]]:
    """(table, column kinds, rows as JSON-ready dicts) for every table, rows in primary-key order."""
    models = _model_types()
    for t in _tables(_reflect(conn)):
        lt = _typed(t, models)
        kinds = {c.name: _kind(c.type) for c in lt.columns}
        order = [lt.c[c.name] for c in t.primary_key.columns] or list(lt.columns)

        def rows(lt=lt, kinds=kinds, order=order):
            for row in conn.execute(select(*lt.columns).order_by(*order)).mappings():
                yield {k: _encode(kinds[k], row[k]) for k in kinds}

        yield t.name, kinds, rows()


def alembic_revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no table yet
        return None


# -- backup ------------------------------------------------------------------------------------------

def _write_dump(conn: Connection, folder: Path) -> tuple[dict, dict, list[str], str | None]:
    """Dump every table into ``folder``; returns (row counts, column kinds, stored file shas, revision)."""
    folder.mkdir(parents=True)
    counts: dict[str, int] = {}
    columns: dict[str, dict[str, str]] = {}
    shas: list[str] = []
    revision = alembic_revision(conn)
    for name, kinds, rows in dump_tables(conn):
        n = 0
        with open(folder / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
                if name == "stored_files":
                    shas.append(row["sha256"])
        counts[name], columns[name] = n, kinds
    return counts, columns, shas, revision


def _snapshot_dump(archive, folder: Path) -> tuple[dict, dict, list[str], str | None, str]:
    engine = archive.db.engine
    dialect = engine.dialect.name
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kelisim-backup-") as tmp:
            snap = Path(tmp) / "snapshot.sqlite3"
            src = sqlite3.connect(engine.url.database, timeout=30)
            dst = sqlite3.connect(snap)
            try:
                src.backup(dst)           # a consistent copy, taken page by page while writers go on
            finally:
                dst.close()
                src.close()
            snap_engine = create_engine(f"sqlite:///{snap}")
            try:
                with snap_engine.connect() as conn:
                    return (*_write_dump(conn, folder), dialect)
            finally:
                snap_engine.dispose()
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if dialect == "postgresql":
                conn.execute(text("SET TRANSACTION READ ONLY"))
            return (*_write_dump(conn, folder), dialect)


def _copy_verified(src: Path, dest: Path, sha: str) -> bool:
    """Copy ``src`` to ``dest`` atomically if its bytes hash to ``sha``; False (nothing written) otherwise."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".partial-")
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            for chunk in iter(lambda: inp.read(1 << 20), b""):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != sha:
            Path(tmp).unlink(missing_ok=True)
            return False
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("SQLAlchemy", "alembic", "Flask", "Whoosh"):
        try:
            out[pkg.lower()] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def backup_archive(archive, dest: Path, settings: dict[str, Path] | None = None) -> dict:
    """Write a backup of the running archive into ``dest`` (created, or updated in place); returns the manifest."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if (dest / "manifest.json").exists():
        old = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
        if old.get("format") != FORMAT:
            raise BackupError("The folder holds something that is not an archive backup.")
    elif any(p.name not in _OURS for p in dest.iterdir()):
        raise BackupError("The backup folder is not empty and holds no earlier backup.")
    staging = dest / ".db-new"
    shutil.rmtree(staging, ignore_errors=True)
    counts, columns, shas, revision, dialect = _snapshot_dump(archive, staging)

    files: dict[str, int] = {}
    copied = kept = 0
    problems: list[str] = []
    for sha in shas:
        target = dest / "files" / sha[:2] / sha
        src = archive.files.path_for(sha)
        if target.exists():             # written only after its hash was verified: the name says it all
            files[sha] = target.stat().st_size
            kept += 1
            continue
        if not src.exists():
            problems.append(f"stored file {sha} is missing from the archive")
            continue
        if not _copy_verified(src, target, sha):
            problems.append(f"stored file {sha} does not match its hash; not copied")
            continue
        files[sha] = target.stat().st_size
        copied += 1

    saved = []
    (dest / "settings").mkdir(exist_ok=True)
    for name, path in (settings or {}).items():
        if path and Path(path).is_file():
            shutil.copy2(path, dest / "settings" / name)
            os.chmod(dest / "settings" / name, 0o600)
            saved.append(name)

    old_db = dest / ".db-old"
    shutil.rmtree(old_db, ignore_errors=True)
    if (dest / "db").exists():
        os.replace(dest / "db", old_db)
    os.replace(staging, dest / "db")
    shutil.rmtree(old_db, ignore_errors=True)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created_at": datetime.now(timezone.utc).isoformat(),
        "versions": _versions(),
        "database": {"dialect": dialect, "alembic_revision": revision, "tables": counts, "columns": columns},
        "files": files, "settings": saved, "problems": problems,
        "copied_files": copied, "kept_files": kept,
    }
    tmp = dest / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, dest / "manifest.json")
    return manifest


# -- restore -----------------------------------------------------------------------------------------

def read_manifest(src: Path) -> dict:
    path = Path(src) / "manifest.json"
    if not path.is_file():
        raise BackupError("No manifest.json in that folder: it is not a finished archive backup.")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError("That folder is not an archive backup.")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError("The backup was made by a newer version of the archive; update the code first.")
    return manifest


def instance_contents(archive) -> dict[str, int]:
    """Rows per non-empty table (seed tables aside) and stored files: an empty instance has none."""
    out: dict[str, int] = {}
    with archive.db.engine.connect() as conn:
        for t in _tables(_reflect(conn)):
            if t.name in SEED_TABLES:
                continue
            n = conn.execute(select(func.count()).select_from(t)).scalar()
            if n:
                out[t.name] = n
    root = archive.files.root
    n_files = sum(1 for sub in root.iterdir() if sub.is_dir() for _ in sub.iterdir()) if root.is_dir() else 0
    if n_files:
        out["files"] = n_files
    return out


def _known_revision(rev: str | None) -> bool:
    if rev is None:
        return True
    from alembic.script import ScriptDirectory            # Alembic only where it is used (``migrate``)

    try:
        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(rev) is not None
    except Exception:  # noqa: BLE001 - unknown revision
        return False


def _load_rows(conn: Connection, src: Path, manifest: dict) -> dict[str, int]:
    models = _model_types()
    md = _reflect(conn)
    tables = _tables(md)
    for t in reversed(tables):
        conn.execute(t.delete())
    kinds_all = manifest["database"]["columns"]
    inserted: set[str] = set()
    deferred: list[tuple[Any, list[str], list[str], list[dict]]] = []
    counts: dict[str, int] = {}
    for t in tables:
        counts[t.name] = 0
        path = src / "db" / f"{t.name}.jsonl"
        if t.name not in kinds_all or not path.exists():
            inserted.add(t.name)
            continue
        kinds = kinds_all[t.name]
        names = [c.name for c in t.columns if c.name in kinds]
        # Columns pointing at a table not filled yet (itself included) are set after all rows are in.
        late = sorted({fk.parent.name for fk in t.foreign_keys
                       if fk.column.table.name not in inserted or fk.column.table.name == t.name}
                      & set(names) - {c.name for c in t.primary_key.columns})
        lt = _typed(t, models)
        pk = [c.name for c in t.primary_key.columns]
        later: list[dict] = []
        batch: list[dict] = []
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                raw = json.loads(line)
                row = {n: _decode(kinds[n], raw.get(n)) for n in names}
                if late:
                    values = {n: row[n] for n in late}
                    if any(v is not None for v in values.values()):
                        later.append({**{f"pk_{k}": row[k] for k in pk}, **{f"v_{k}": v for k, v in values.items()}})
                    for n in late:
                        row[n] = None
                batch.append(row)
                if len(batch) >= CHUNK:
                    conn.execute(lt.insert(), batch)
                    batch = []
            if batch:
                conn.execute(lt.insert(), batch)
        counts[t.name] = conn.execute(select(func.count()).select_from(t)).scalar()
        if later:
            deferred.append((lt, pk, late, later))
        inserted.add(t.name)
    for lt, pk, late, later in deferred:
        stmt = lt.update().where(*[lt.c[k] == bindparam(f"pk_{k}") for k in pk]) \
            .values({n: bindparam(f"v_{n}") for n in late})
        for i in range(0, len(later), CHUNK):
            conn.execute(stmt, later[i:i + CHUNK])
    if conn.dialect.name == "postgresql":
        for t in tables:
            for c in t.primary_key.columns:
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": c.name}).scalar()
                if seq:
                    # Bandit B608 does not apply: the names come from the models' metadata, not from input
                    conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT MAX("{c.name}") FROM "{t.name}"), 1), '  # nosec B608
                                      f'(SELECT MAX("{c.name}") FROM "{t.name}") IS NOT NULL)'), {"s": seq})
    return counts


def restore_archive(archive, src: Path, force: bool = False, instance_path: Path | None = None) -> dict:
    """Restore a backup into this (empty) archive, then rebuild the index; returns a summary.

    Refuses an instance that holds anything but the seeded vocabulary unless ``force`` (then the
    database rows are replaced; stored files already present stay, being addressed by their hash).
    """
    src = Path(src)
    manifest = read_manifest(src)
    revision = manifest["database"].get("alembic_revision")
    if not _known_revision(revision):
        raise BackupError("The backup's database schema is newer than this code; update the code first.")
    existing = instance_contents(archive) if current_revision(archive.db.engine) else {}
    if existing and not force:
        raise BackupError("This archive is not empty (" + ", ".join(f"{k}: {v}" for k, v in sorted(existing.items()))
                          + "); restore into an empty one, or use --force to replace its records.")
    # Files first: rows must never name a file that is not there.
    missing: list[str] = []
    restored_files = 0
    for sha in manifest["files"]:
        f = src / "files" / sha[:2] / sha
        if not f.is_file() or sha256_of(f) != sha:
            missing.append(sha)
    if missing:
        raise BackupError(f"{len(missing)} file(s) of the backup are missing or damaged; nothing was restored.")
    for sha in manifest["files"]:
        restored_files += archive.files.put(src / "files" / sha[:2] / sha, sha)   # an intact copy present stays
    if current_revision(archive.db.engine) is None and revision:
        upgrade(archive.db.url, revision)        # the schema the rows were written with
    with archive.db.engine.begin() as conn:
        counts = _load_rows(conn, src, manifest)
    upgrade(archive.db.url)                      # then whatever migrations came since
    expected = manifest["database"]["tables"]
    wrong = {k: (v, counts.get(k)) for k, v in expected.items() if counts.get(k) != v}
    if wrong:
        raise BackupError("Restored row counts differ from the backup's: "
                          + ", ".join(f"{k} {b} instead of {a}" for k, (a, b) in sorted(wrong.items())))

    settings = []
    for name in manifest.get("settings", []):
        f = src / "settings" / name
        if not f.is_file():
            continue
        if name == "secret_key":
            target = Path(archive.data_dir) / "secret_key"
        elif instance_path is not None:
            target = Path(instance_path) / name
            if target.exists():
                target = target.with_name(name + ".restored")   # never overwrite a live configuration
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
        os.chmod(target, 0o600)
        settings.append(str(target))

    archive.search.close()
    shutil.rmtree(archive.index_path, ignore_errors=True)
    indexed, secs = indexing.rebuild_index(archive)
    return {"tables": counts, "files": restored_files, "files_total": len(manifest["files"]),
            "settings": settings, "indexed": indexed, "index_seconds": round(secs, 1),
            "revision": revision, "replaced": existing}
