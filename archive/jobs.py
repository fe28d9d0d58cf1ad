"""Background jobs (huey): uploads are processed outside the request.

Only the wiring lives here — the queue, its tasks, retries — each task a short sequence of service
calls (``services.uploads`` owns the ProcessingRecord lifecycle, ``services.ingest`` takes a file in).
``JOBS_IMMEDIATE=True`` runs tasks at once in the calling thread (tests); otherwise ``manage.py worker``
runs the consumer that takes them from ``<data_dir>/jobs.sqlite3`` (or Redis with ``JOBS_REDIS_URL``).
"""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from flask import Flask, current_app
from sqlalchemy import select

from indexer.analysis.cache import trim_word_caches
from uploads.limits import warm_up

from . import search as search_service

from .config import data_dir, setting
from .core import get_archive
from .db import storage_fault
from .errors import fault_message
from .models import IndexTask, utcnow
from .services import uploads as records
from .services.indexing import process_index_tasks
from .services import background, ingest, publishing, topics
from .services import bridge as term_bridge

if TYPE_CHECKING:
    from huey import Huey

logger = logging.getLogger(__name__)

# huey is imported when an app first needs its queues (``get_jobs``: the worker at start, a web worker at its first
# upload or publish), not with the app: its storage module imports the Redis and PostgreSQL clients whenever they
# are installed (~16 MB a process), which a web worker serving readers on the embedded default never uses.
_init_lock = threading.Lock()

RETRIES = 2
# huey's consumer backs off while its queue is empty, by default up to 10 s between polls: a file or a
# publish request queued after a quiet spell would wait that long before anything happened.
POLL = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.5}


LANES = ("quick", "slow")
# huey's priority of a small file's task: a free thread takes it before the long files queued earlier (the SQLite
# queue honours it; a plain Redis queue keeps the order of arrival)
SMALL_FIRST = 10


@dataclass
class Jobs:
    """The app's two queues and their tasks.

    Two lanes, each with its own consumer: files that need OCR (and other long reading) go to the slow
    lane, everything else to the quick one, so a one-page DOCX never waits behind a scanned book.
    """

    huey: "Huey"                   # the quick lane
    slow: "Huey"                   # the slow lane (OCR)
    process_upload: Any            # quick-lane task
    process_upload_slow: Any       # slow-lane task
    run_job: Any                   # a BackgroundJob (publishing a volume, re-cutting its PDFs), quick lane

    def lane(self, name: str) -> "Huey":
        """The queue of a lane by name."""
        return self.slow if name == "slow" else self.huey

    def enqueue_upload(self, record_id: int, slow: bool = False, small: bool = False) -> None:
        """Queue processing of one upload in its lane; call after the record is committed. A ``small`` file
        (see ``services.uploads.is_long``) is taken before the long files waiting in its lane."""
        task = self.process_upload_slow if slow else self.process_upload
        if small:
            task(record_id, priority=SMALL_FIRST)
        else:
            task(record_id)


def make_huey(app: Flask, lane: str = "quick") -> "Huey":
    """A lane's queue: ``<data_dir>/jobs.sqlite3`` by default, Redis when ``JOBS_REDIS_URL`` is set (several
    machines sharing one queue); in memory and immediate when ``JOBS_IMMEDIATE``."""
    immediate = setting(app.config, "JOBS_IMMEDIATE")
    redis_url = setting(app.config, "JOBS_REDIS_URL").strip()
    base = setting(app.config, "JOBS_QUEUE_NAME") or "kelisim"
    name = base if lane == "quick" else f"{base}-{lane}"
    if redis_url and not immediate:
        from huey import RedisHuey

        return RedisHuey(name=name, url=redis_url, results=False, utc=True)
    from huey import SqliteHuey

    folder = data_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    options = dict(name=name, filename=str(folder / "jobs.sqlite3"), immediate=immediate, results=False, utc=True)
    try:
        return SqliteHuey(**options)
    except sqlite3.OperationalError as exc:
        # A data folder that cannot be written right now (read-only, full): the app must still start — readers
        # read, `manage.py ingest` says what is wrong; the queue connects again when next used (its tables exist
        # unless the folder never could be written, and then nothing could be uploaded anyway).
        logger.warning("the job queue %s cannot be opened now (%s); it connects again when next used",
                       options["filename"], exc)
        return SqliteHuey(create_tables=False, **options)


def process_upload(archive, record_id: int, retries_left: int = 0) -> Optional[str]:
    """Ingest the waiting file of one ProcessingRecord as a draft; the outcome lands on the record.

    The record is claimed atomically (queued → running), so a task queued twice runs once. A long extraction
    (OCR, or a file of many pages) runs its child at ``EXTRACT_LONG_PRIORITY``. The outcome,
    the publications and the record commit in one transaction (``ingest_file(record_id=...)``); a
    worker killed before that commit leaves the record "running" with its worker's identity, and
    ``recover_records`` (worker start, ``manage.py check --repair``) queues it again.
    """
    claimed = records.claim(archive, record_id)
    if claimed is None:
        return None
    path = records.incoming_path(archive, claimed.token)
    if path is None or not path.exists():
        records.update_record(archive, record_id, status="error", message=records.MSG_LOST, error_code="lost",
                              finished_at=utcnow())
        return "error"
    try:
        limits = archive.long_limits if claimed.is_long(archive.long_pages) else archive.limits
        outcome = ingest.ingest_file(archive, path, claimed.name, publish=False, user_id=claimed.user_id,
                                     record_id=record_id, on_progress=records.progress_reporter(archive, record_id),
                                     limits=limits)
    except Exception as exc:
        logger.exception("processing upload record %s failed (%d retries left)", record_id, retries_left)
        if retries_left > 0:
            records.update_record(archive, record_id, status="queued", message=records.MSG_RETRYING)
        else:
            fault = storage_fault(exc)        # a full disk or a database away: say so, not "unexpectedly"
            records.update_record(archive, record_id, status="error", message=fault_message(exc) or records.MSG_FAILED,
                                  error_code=f"storage-{fault}" if fault else "internal",
                                  finished_at=utcnow())
            path.unlink(missing_ok=True)
        raise
    if outcome.record_id != record_id:
        # The file could not be read, or another process stored the same bytes at the same moment.
        message = outcome.error or (records.MSG_DUPLICATE if outcome.status == "duplicate" else "")
        records.settle_running(archive, record_id, outcome.status, message,
                               "read" if outcome.status == "error" else "", outcome.publication_ids)
    path.unlink(missing_ok=True)
    return outcome.status


def queued_record_ids(jobs: "Jobs") -> set[int]:
    """Record ids that have a process_upload task waiting in either lane, in the queue or the schedule (retries)."""
    out: set[int] = set()
    for huey in (jobs.huey, jobs.slow):
        for task in list(huey.pending()) + list(huey.scheduled()):
            if "process_upload" in getattr(task, "name", "") and task.args:
                try:
                    out.add(int(task.args[0]))
                except (TypeError, ValueError):
                    continue
    return out


def stuck_records(archive, jobs: "Jobs", grace_s: float = 60.0):
    """Upload records no job will finish (see ``services.uploads.stuck_records``)."""
    return records.stuck_records(archive, lambda: queued_record_ids(jobs), grace_s=grace_s)


def recover_records(archive, jobs: "Jobs", grace_s: float = 60.0):
    """Queue stuck upload records again, in the quick lane (see ``services.uploads.recover_records``)."""
    return records.recover_records(archive, lambda: queued_record_ids(jobs), jobs.enqueue_upload, grace_s=grace_s)


def run_background_job(archive, job_id: int) -> Optional[str]:
    """Run one ``BackgroundJob`` by its kind."""
    def work(job, report):
        if job.kind == "publish":
            return publishing.run_publish_job(archive, job, report)
        if job.kind == "recut":
            return publishing.run_recut_job(archive, job, report)
        raise ValueError(f"unknown job kind {job.kind!r}")

    return background.run(archive, job_id, work)


def catch_up_index(archive) -> int:
    """Apply index work left pending in the database (after a crash or an index failure), and store the term
    bridge when it is missing or older than the index (after an upgrade, a failed refresh). Then empty the word
    caches grown past ``SERVING_WORD_CACHE``: the worker analyses every file it reads and indexes, and, run every
    minute, this keeps it the size a web worker is kept at by its searches (``search.run_search``)."""
    try:
        with archive.db.session() as s:
            pending = s.scalar(select(IndexTask.id).limit(1)) is not None
        done = process_index_tasks(archive) if pending else 0
        try:
            term_bridge.ensure_bridge(archive)
        except Exception:  # noqa: BLE001 - searches keep the last bridge; the next minute tries again
            logger.exception("storing the term bridge failed")
        return done
    finally:
        trim_word_caches(search_service.SERVING_WORD_CACHE)


def warm_worker(archive) -> float:
    """Load what the first file would otherwise wait for (seconds it took): the extraction children's server
    with its models, and the analysis behind topic suggestions in this process."""
    t0 = time.monotonic()
    try:
        warm_up(archive.limits)
        topics.warm_up()
    except Exception:  # noqa: BLE001 - only costs the first file some time
        logger.exception("warming up the worker failed")
    return time.monotonic() - t0


def worker_startup(app: Flask) -> dict:
    """What a starting worker does first: re-queue records a killed worker left, catch the index up, load the
    extraction's models."""
    archive = get_archive(app)
    jobs = get_jobs(app)
    stuck = recover_records(archive, jobs, grace_s=0)
    try:
        indexed = catch_up_index(archive)
    except Exception:  # noqa: BLE001 - stays pending; the periodic task tries again
        logger.exception("index catch-up at worker start failed")
        indexed = 0
    return {"requeued": [st.id for st in stuck], "indexed": indexed, "warm_s": warm_worker(archive)}


def init_app(app: Flask) -> Jobs:
    """Create the app's queues and register their tasks (``app.extensions["jobs"]``); ``get_jobs`` calls it when
    the app first needs them."""
    from huey import crontab

    huey, slow = make_huey(app, "quick"), make_huey(app, "slow")
    retry = {"retries": RETRIES, "retry_delay": setting(app.config, "JOBS_RETRY_DELAY_S"), "retry_backoff": 2}

    def upload_task(record_id: int, task=None):
        """Process one uploaded file (retried only when something unexpected breaks)."""
        with app.app_context():
            return process_upload(get_archive(app), record_id, retries_left=task.retries if task else 0)

    # Retries wait JOBS_RETRY_DELAY_S, then twice as long (backoff): a passing fault has time to clear.
    process_upload_task = huey.task(context=True, name="process_upload", **retry)(upload_task)
    process_upload_slow = slow.task(context=True, name="process_upload_slow", **retry)(upload_task)

    @huey.task(name="run_job")
    def run_job_task(job_id: int):
        """Publish a volume, re-cut its PDFs: long work with progress (not retried: the person sees the outcome)."""
        with app.app_context():
            return run_background_job(get_archive(app), job_id)

    @huey.periodic_task(crontab(minute="*"), name="catch_up_index")
    def catch_up_index_task():
        """Every minute: apply index work left pending (the index catches up with the database by itself)."""
        with app.app_context():
            try:
                catch_up_index(get_archive(app))
            except Exception:  # noqa: BLE001 - tasks stay recorded; next minute tries again
                logger.exception("periodic index catch-up failed")

    jobs = Jobs(huey=huey, slow=slow, process_upload=process_upload_task, process_upload_slow=process_upload_slow,
                run_job=run_job_task)
    app.extensions["jobs"] = jobs
    return jobs


def get_jobs(app: Optional[Flask] = None) -> Jobs:
    """The app's jobs, set up on first use (``init_app``), once however many threads ask at the same time."""
    app = app or current_app._get_current_object()
    jobs = app.extensions.get("jobs")
    if jobs is None:
        with _init_lock:
            jobs = app.extensions.get("jobs") or init_app(app)
    return jobs


def enqueue_upload(record_id: int, slow: bool = False, small: bool = False) -> None:
    """Queue processing of one upload in its lane (a small file before long ones); call after the record is
    committed."""
    get_jobs().enqueue_upload(record_id, slow, small)


def enqueue_job(job_id: int) -> None:
    """Queue a ``BackgroundJob``; call after it is committed."""
    get_jobs().run_job(job_id)
