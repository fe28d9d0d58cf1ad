"""Background jobs (huey, SQLite storage in the data folder): uploads are processed outside the request.

``JOBS_IMMEDIATE=True`` runs tasks at once in the calling thread (tests); otherwise ``manage.py worker``
runs the consumer that takes them from ``<data_dir>/jobs.sqlite3``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from flask import Flask, current_app
from huey import Huey, SqliteHuey

from .config import data_dir
from .models import ProcessingRecord, utcnow

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
    """A huey instance on ``<data_dir>/jobs.sqlite3`` (in memory and immediate when ``JOBS_IMMEDIATE``)."""
    folder = data_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="kelisim", filename=str(folder / "jobs.sqlite3"),
                      immediate=bool(app.config.get("JOBS_IMMEDIATE", False)), results=False, utc=True)


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


def process_upload(archive, record_id: int, retries_left: int = 0) -> Optional[str]:
    """Ingest the waiting file of one ProcessingRecord as a draft and copy the outcome onto the record."""
    from .services.ingest import ingest_file

    with archive.db.session() as s:
        rec = s.get(ProcessingRecord, record_id)
        if rec is None or rec.status not in ("queued", "running"):
            return None                         # deleted, or already finished by an earlier attempt
        token = (rec.details or {}).get("incoming", "")
        name, user_id = rec.original_name, rec.user_id
        rec.status = "running"
        s.commit()
    path = incoming_path(archive, token)
    if path is None or not path.exists():
        _set(archive, record_id, status="error", message=MSG_LOST, error_code="lost", finished_at=utcnow())
        return "error"
    try:
        outcome = ingest_file(archive, path, name, publish=False, user_id=user_id)
    except Exception:
        logger.exception("processing upload record %s failed (%d retries left)", record_id, retries_left)
        if retries_left > 0:
            _set(archive, record_id, status="queued", message=MSG_RETRYING)
        else:
            _set(archive, record_id, status="error", message=MSG_FAILED, error_code="internal",
                 finished_at=utcnow())
            path.unlink(missing_ok=True)
        raise
    with archive.db.session() as s:
        rec = s.get(ProcessingRecord, record_id)
        # ingest_file writes a record of its own; its content moves onto the one the person watches.
        own = s.get(ProcessingRecord, outcome.record_id) if outcome.record_id not in (None, record_id) else None
        if rec is not None:
            rec.status = outcome.status
            rec.message = (own.message if own else "") or outcome.error or \
                (MSG_DUPLICATE if outcome.status == "duplicate" else "")
            rec.error_code = own.error_code if own else ""
            rec.details = dict(own.details) if own else {}
            rec.publication_ids = list(outcome.publication_ids)
            rec.stored_file_id = own.stored_file_id if own else None
            rec.finished_at = utcnow()
        if own is not None:
            s.delete(own)
        s.commit()
    path.unlink(missing_ok=True)
    return outcome.status


def init_app(app: Flask) -> Jobs:
    """Create the app's huey instance and register its tasks (``app.extensions["jobs"]``)."""
    huey = make_huey(app)

    @huey.task(retries=RETRIES, retry_delay=int(app.config.get("JOBS_RETRY_DELAY_S", 60)), context=True,
               name="process_upload")
    def process_upload_task(record_id: int, task=None):
        """Process one uploaded file (retried only when something unexpected breaks)."""
        from . import get_archive

        with app.app_context():
            return process_upload(get_archive(app), record_id, retries_left=task.retries if task else 0)

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
