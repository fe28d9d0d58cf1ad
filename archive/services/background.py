"""Long work outside the request: a ``BackgroundJob`` row per piece of work, with progress people can watch.

queued → running (claimed atomically by one worker) → done | error. The request that asks for the work
creates the row and queues it after its commit; the job reports progress ({"stage", "done", "total"}) in
short transactions of its own, throttled, so a page polling it sees the work advance.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..errors import UserValueError
from ..i18n import _, _l
from ..models import BackgroundJob, utcnow

logger = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
MSG_FAILED = _l("The work failed unexpectedly. The error has been logged; nothing was published half-way. "
                "Please try again or tell the archive's administrator.")
STAGE_LABELS = {
    "queued": _l("Waiting for its turn"),
    "cut": _l("Cutting article PDFs"),
    "publish": _l("Publishing"),
    "index": _l("Indexing for search"),
    "read": _l("Reading pages"),
    "ocr": _l("Recognising text (OCR)"),
    "metadata": _l("Reading titles and authors"),
    "split": _l("Finding the articles"),
    "store": _l("Saving"),
}


def active_job(session: Session, kind: str, target_id: Optional[int]) -> Optional[BackgroundJob]:
    """The queued or running job of this kind for this target, if any."""
    return session.scalars(select(BackgroundJob).where(BackgroundJob.kind == kind,
                                                        BackgroundJob.target_id == target_id,
                                                        BackgroundJob.status.in_(ACTIVE))
                           .order_by(BackgroundJob.id.desc())).first()


def latest_job(session: Session, target_id: int) -> Optional[BackgroundJob]:
    """The newest job about a target (to show its progress or its outcome)."""
    return session.scalars(select(BackgroundJob).where(BackgroundJob.target_id == target_id)
                           .order_by(BackgroundJob.id.desc())).first()


def create(session: Session, kind: str, target_id: Optional[int], user_id: Optional[int],
           busy_message: str) -> BackgroundJob:
    """A queued job in the caller's transaction; ``UserValueError(busy_message)`` while one is already active."""
    if active_job(session, kind, target_id) is not None:
        raise UserValueError(busy_message)
    job = BackgroundJob(kind=kind, status="queued", target_id=target_id, user_id=user_id,
                        progress={"stage": "queued", "done": 0, "total": 0})
    session.add(job)
    session.flush()
    return job


def claim(archive, job_id: int) -> Optional[BackgroundJob]:
    """Move a queued job to "running" atomically; None when it is not queued (done, or taken)."""
    with archive.db.session() as s:
        n = s.execute(update(BackgroundJob).where(BackgroundJob.id == job_id, BackgroundJob.status == "queued")
                      .values(status="running", started_at=utcnow())).rowcount
        s.commit()
        if n != 1:
            return None
        job = s.get(BackgroundJob, job_id)
        s.expunge(job)
        return job


def finish(archive, job_id: int, status: str, message: str = "", **details: Any) -> None:
    """Record a job's outcome."""
    with archive.db.session() as s:
        job = s.get(BackgroundJob, job_id)
        if job is None:
            return
        job.status, job.message, job.finished_at = status, message, utcnow()
        if details:
            job.details = {**(job.details or {}), **details}
        if status == "done":
            total = (job.progress or {}).get("total") or 0
            job.progress = {**(job.progress or {}), "done": total}
        s.commit()


@dataclass
class Reporter:
    """Writes a job's progress, at most every ``interval`` seconds (the last state of a stage always)."""

    archive: Any
    job_id: int
    interval: float = 0.5
    _last: float = 0.0
    _stage: str = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self._stage and done < total and now - self._last < self.interval:
            return
        self._stage, self._last = stage, now
        try:
            with self.archive.db.session() as s:
                job = s.get(BackgroundJob, self.job_id)
                if job is not None:
                    job.progress = {"stage": stage, "done": int(done), "total": int(total)}
                    s.commit()
        except Exception:  # noqa: BLE001 - progress is a courtesy; the work goes on
            logger.warning("could not record progress of job %s", self.job_id, exc_info=True)


def run(archive, job_id: int, work: Callable[[BackgroundJob, Reporter], str]) -> Optional[str]:
    """Claim a job and run ``work(job, report)``; its return value is the outcome message.

    A ``UserValueError`` ends the job with its (person-safe) message; anything else is logged and ends it
    with a generic message, then re-raised so the queue's retry policy sees it.
    """
    job = claim(archive, job_id)
    if job is None:
        return None
    report = Reporter(archive, job_id)
    try:
        message = work(job, report)
    except UserValueError as exc:
        finish(archive, job_id, "error", exc.message)
        return "error"
    except Exception:
        logger.exception("background job %s (%s) failed", job_id, job.kind)
        finish(archive, job_id, "error", MSG_FAILED)
        raise
    finish(archive, job_id, "done", message)
    return "done"


def describe(job: Optional[BackgroundJob]) -> Optional[dict]:
    """A job as the review page and its status URL show it (labels translated in a request)."""
    if job is None:
        return None
    p = job.progress or {}
    return {"id": job.id, "kind": job.kind, "status": job.status, "stage": p.get("stage", ""),
            "stage_label": _(STAGE_LABELS.get(p.get("stage", ""), p.get("stage", "") or "")),
            "done": p.get("done", 0), "total": p.get("total", 0),
            "message": _(job.message) if job.message else "",
            "finished": job.status in ("done", "error")}
