"""Background jobs (huey, SQLite storage in the data folder): uploads are processed outside the request.

``JOBS_IMMEDIATE=True`` runs tasks at once in the calling thread (tests); otherwise ``manage.py worker``
runs the consumer that takes them from ``<data_dir>/jobs.sqlite3``.
"""
from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from flask import Flask, current_app
from huey import Huey, SqliteHuey, crontab
from sqlalchemy import select, update

from .config import data_dir
from .models import IndexTask, ProcessingRecord, utcnow

logger = logging.getLogger(__name__)

RETRIES = 2
_INCOMING_NAME = re.compile(r"^[0-9a-f]{32}$")

MSG_RETRYING = "Processing hit a problem; it will be tried again shortly."
MSG_FAILED = ("Processing failed unexpectedly. The error has been logged; please try again later "
              "or tell the archive's editors.")
MSG_LOST = "The uploaded file was lost before it could be processed. Please upload it again."
MSG_DUPLICATE = "The same file is already in the archive."


@dataclass
class Jobs:
    """The app's huey instance and its tasks."""

    huey: Huey
    process_upload: Any


def make_huey(app: Flask) -> Huey:
    """The job queue: ``<data_dir>/jobs.sqlite3`` by default, Redis when ``JOBS_REDIS_URL`` is set (several
    machines sharing one queue); in memory and immediate when ``JOBS_IMMEDIATE``."""
    immediate = bool(app.config.get("JOBS_IMMEDIATE", False))
    redis_url = str(app.config.get("JOBS_REDIS_URL") or "").strip()
    if redis_url and not immediate:
        from huey import RedisHuey

        return RedisHuey(name=str(app.config.get("JOBS_QUEUE_NAME") or "kelisim"), url=redis_url, results=False,
                         utc=True)
    folder = data_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="kelisim", filename=str(folder / "jobs.sqlite3"), immediate=immediate, results=False,
                      utc=True)


def incoming_dir(archive) -> Path:
    """Where uploaded bytes wait, under generated names, until a worker takes them."""
    return Path(archive.data_dir) / "incoming"


def incoming_path(archive, token: str) -> Optional[Path]:
    """The waiting file for a generated token (None for anything that is not one of ours)."""
    if not _INCOMING_NAME.match(token or ""):
        return None
    return incoming_dir(archive) / token


def _set(archive, record_id: int, **values: Any) -> None:
    with archive.db.session() as s:
        rec = s.get(ProcessingRecord, record_id)
        if rec is not None:
            for k, v in values.items():
                setattr(rec, k, v)
            s.commit()


def worker_identity() -> dict:
    """Who runs a task: host and process id, written onto the record it claims."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def worker_alive(info: Any) -> Optional[bool]:
    """True/False when the claiming process is on this host (alive or gone); None when it cannot be told."""
    if not isinstance(info, dict) or not isinstance(info.get("pid"), int):
        return False                       # claimed before worker identities were recorded
    if info.get("host") != socket.gethostname():
        return None
    try:
        os.kill(info["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim(archive, record_id: int) -> Optional[tuple[str, str, Optional[int]]]:
    """Move a queued record to "running" atomically; None when it is not queued (deleted, done, or taken)."""
    with archive.db.session() as s:
        n = s.execute(update(ProcessingRecord)
                      .where(ProcessingRecord.id == record_id, ProcessingRecord.status == "queued")
                      .values(status="running")).rowcount
        if n != 1:
            s.rollback()
            return None
        rec = s.get(ProcessingRecord, record_id)
        rec.details = {**(rec.details or {}), "worker": {**worker_identity(), "since": utcnow().isoformat()}}
        token = (rec.details or {}).get("incoming", "")
        name, user_id = rec.original_name, rec.user_id
        s.commit()
    return token, name, user_id


def process_upload(archive, record_id: int, retries_left: int = 0) -> Optional[str]:
    """Ingest the waiting file of one ProcessingRecord as a draft; the outcome lands on the record.

    The record is claimed atomically (queued → running), so a task queued twice runs once. The outcome,
    the publications and the record commit in one transaction (``ingest_file(record_id=...)``); a
    worker killed before that commit leaves the record "running" with its worker's identity, and
    ``recover_records`` (worker start, ``manage.py check --repair``) queues it again.
    """
    from .services.ingest import ingest_file

    claimed = _claim(archive, record_id)
    if claimed is None:
        return None
    token, name, user_id = claimed
    path = incoming_path(archive, token)
    if path is None or not path.exists():
        _set(archive, record_id, status="error", message=MSG_LOST, error_code="lost", finished_at=utcnow())
        return "error"
    try:
        outcome = ingest_file(archive, path, name, publish=False, user_id=user_id, record_id=record_id)
    except Exception as exc:
        logger.exception("processing upload record %s failed (%d retries left)", record_id, retries_left)
        if retries_left > 0:
            _set(archive, record_id, status="queued", message=MSG_RETRYING)
        else:
            from .db import storage_fault
            from .errors import fault_message

            fault = storage_fault(exc)        # a full disk or a database away: say so, not "unexpectedly"
            _set(archive, record_id, status="error", message=fault_message(exc) or MSG_FAILED,
                 error_code=f"storage-{fault}" if fault else "internal", finished_at=utcnow())
            path.unlink(missing_ok=True)
        raise
    if outcome.record_id != record_id:
        # The file could not be read, or another process stored the same bytes at the same moment.
        with archive.db.session() as s:
            rec = s.get(ProcessingRecord, record_id)
            if rec is not None and rec.status == "running":
                rec.status = outcome.status
                rec.message = outcome.error or (MSG_DUPLICATE if outcome.status == "duplicate" else "")
                rec.error_code = "read" if outcome.status == "error" else ""
                rec.details = {}
                rec.publication_ids = list(outcome.publication_ids)
                rec.finished_at = utcnow()
                s.commit()
    path.unlink(missing_ok=True)
    return outcome.status


def queued_record_ids(huey: Huey) -> set[int]:
    """Record ids that have a process_upload task waiting in the queue or the schedule (retries)."""
    out: set[int] = set()
    for task in list(huey.pending()) + list(huey.scheduled()):
        if getattr(task, "name", "").endswith("process_upload") and task.args:
            try:
                out.add(int(task.args[0]))
            except (TypeError, ValueError):
                continue
    return out


@dataclass
class StuckRecord:
    """A processing record that no job will finish: its worker died, or its task left the queue."""

    id: int
    status: str
    reason: str            # "worker-gone" | "not-queued"


def stuck_records(archive, huey: Huey, grace_s: float = 60.0, now: Optional[datetime] = None) -> list[StuckRecord]:
    """Records "running" whose worker is gone, and records "queued" for longer than ``grace_s`` with no task.

    A running record whose worker is on another host is left alone (it cannot be told from here).
    """
    now = now or utcnow()
    waiting = None
    out: list[StuckRecord] = []
    with archive.db.session() as s:
        recs = list(s.scalars(select(ProcessingRecord)
                              .where(ProcessingRecord.status.in_(("queued", "running")))
                              .order_by(ProcessingRecord.id)))
    for rec in recs:
        if rec.status == "running":
            if worker_alive((rec.details or {}).get("worker")) is False:
                out.append(StuckRecord(rec.id, rec.status, "worker-gone"))
            continue
        created = rec.created_at
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        if created is not None and now - created < timedelta(seconds=grace_s):
            continue
        if waiting is None:
            waiting = queued_record_ids(huey)
        if rec.id not in waiting:
            out.append(StuckRecord(rec.id, rec.status, "not-queued"))
    return out


def recover_records(archive, huey: Huey, enqueue: Callable[[int], Any], grace_s: float = 60.0) -> list[StuckRecord]:
    """Queue stuck records again (their waiting file is kept until processing ends); returns them.

    Safe to repeat: a record queued twice is processed once (the claim is atomic).
    """
    stuck = stuck_records(archive, huey, grace_s=grace_s)
    for st in stuck:
        with archive.db.session() as s:
            n = s.execute(update(ProcessingRecord)
                          .where(ProcessingRecord.id == st.id, ProcessingRecord.status == st.status)
                          .values(status="queued")).rowcount
            s.commit()
        if n == 1:
            logger.warning("processing record %s was left %s (%s); queued again", st.id, st.status, st.reason)
            enqueue(st.id)
    return stuck


def catch_up_index(archive) -> int:
    """Apply index work left pending in the database (after a crash or an index failure)."""
    from .services.indexing import process_index_tasks

    with archive.db.session() as s:
        if s.scalar(select(IndexTask.id).limit(1)) is None:
            return 0
    return process_index_tasks(archive)


def worker_startup(app: Flask) -> dict:
    """What a starting worker does first: re-queue records a killed worker left, catch the index up."""
    from . import get_archive

    archive = get_archive(app)
    jobs = get_jobs(app)
    stuck = recover_records(archive, jobs.huey, jobs.process_upload, grace_s=0)
    try:
        indexed = catch_up_index(archive)
    except Exception:  # noqa: BLE001 - stays pending; the periodic task tries again
        logger.exception("index catch-up at worker start failed")
        indexed = 0
    return {"requeued": [st.id for st in stuck], "indexed": indexed}


def init_app(app: Flask) -> Jobs:
    """Create the app's huey instance and register its tasks (``app.extensions["jobs"]``)."""
    huey = make_huey(app)

    # Retries wait JOBS_RETRY_DELAY_S, then twice as long (backoff): a passing fault has time to clear.
    @huey.task(retries=RETRIES, retry_delay=int(app.config.get("JOBS_RETRY_DELAY_S", 60)), retry_backoff=2,
               context=True, name="process_upload")
    def process_upload_task(record_id: int, task=None):
        """Process one uploaded file (retried only when something unexpected breaks)."""
        from . import get_archive

        with app.app_context():
            return process_upload(get_archive(app), record_id, retries_left=task.retries if task else 0)

    @huey.periodic_task(crontab(minute="*"), name="catch_up_index")
    def catch_up_index_task():
        """Every minute: apply index work left pending (the index catches up with the database by itself)."""
        from . import get_archive

        with app.app_context():
            try:
                catch_up_index(get_archive(app))
            except Exception:  # noqa: BLE001 - tasks stay recorded; next minute tries again
                logger.exception("periodic index catch-up failed")

    jobs = Jobs(huey=huey, process_upload=process_upload_task)
    app.extensions["jobs"] = jobs
    return jobs


def get_jobs(app: Optional[Flask] = None) -> Jobs:
    """The app's jobs (set up on first use if ``init_app`` was not called)."""
    app = app or current_app._get_current_object()
    return app.extensions.get("jobs") or init_app(app)


def enqueue_upload(record_id: int) -> None:
    """Queue processing of one upload; call after the record is committed."""
    get_jobs().process_upload(record_id)
