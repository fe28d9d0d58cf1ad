"""Uploads in the browser: the life of a ``ProcessingRecord`` from received bytes to its outcome.

queued → running (claimed by one worker, with progress) → ok | duplicate | error. The web request stores
the bytes under generated names and creates the queued records (all or nothing); a job claims a record
atomically, ingests its file and writes the outcome on the record in the same transaction as the
publications; a record whose worker died, or whose task was lost, is found and queued again.
Uploaded names are shown, never used as paths.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from uploads import precheck
from uploads.errors import UploadError, template_of
from uploads.limits import Limits

from ..i18n import _l
from ..models import ProcessingRecord, Publication, utcnow
from ..permissions import Actor, can_view

logger = logging.getLogger(__name__)

BUSY = ("queued", "running")
RECENT_RECORDS = 20
_INCOMING_NAME = re.compile(r"^[0-9a-f]{32}$")

MSG_RETRYING = _l("Processing hit a problem; it will be tried again shortly.")
MSG_FAILED = _l("Processing failed unexpectedly. The error has been logged; please try again later "
                "or tell the archive's editors.")
MSG_LOST = _l("The uploaded file was lost before it could be processed. Please upload it again.")
MSG_DUPLICATE = _l("The same file is already in the archive.")


# --- the waiting files -----------------------------------------------------------------------------

def incoming_dir(archive) -> Path:
    """Where uploaded bytes wait, under generated names, until a worker takes them."""
    return Path(archive.data_dir) / "incoming"


def incoming_path(archive, token: str) -> Optional[Path]:
    """The waiting file for a generated token (None for anything that is not one of ours)."""
    if not _INCOMING_NAME.match(token or ""):
        return None
    return incoming_dir(archive) / token


def new_incoming(archive) -> tuple[str, Path]:
    """A fresh generated name in the incoming folder (created if needed): (token, path)."""
    folder = incoming_dir(archive)
    folder.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    return token, folder / token


def remove_incoming(path: Path) -> None:
    """Remove a waiting file; a failure is logged, never raised (the record already says what happened)."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.exception("could not remove the incoming file %s", path)


# --- creating records ------------------------------------------------------------------------------

@dataclass
class Received:
    """One file of an upload, written under its token, and what the quick look at it decided."""

    token: str
    name: str                          # as the person gave it (shown, never a path)
    path: Path
    lane: str = "quick"                # "quick" | "slow" (OCR)
    error: Optional[UploadError] = None
    estimate: dict = field(default_factory=dict)

    def is_long(self, long_pages: int) -> bool:
        """A long extraction (see ``is_long``), to be queued behind small files."""
        return is_long(self.lane, self.estimate.get("pages") or 0, long_pages)


def admit(received: Received, max_bytes: int, limits: Limits) -> Received:
    """The quick look before queueing: refuse what needs no extraction to refuse, choose the lane.

    An empty file, a file of another type, an encrypted or damaged PDF are refused here, in the request,
    so their message never waits behind other people's OCR.
    """
    try:
        check = precheck(received.path, max_bytes, limits)
    except UploadError as exc:
        received.error = exc
        return received
    received.lane = "slow" if check.needs_ocr else "quick"
    received.estimate = {"pages": check.page_count, "ocr_pages": check.likely_ocr_pages}
    return received


def create_records(archive, files: list[Received], user_id: Optional[int]) -> list[int]:
    """The records of one upload, in order: queued for admitted files, finished with their message for refused
    ones. One transaction for all of them: either every file has its record, or none does."""
    def write(s: Session) -> list[int]:
        recs = []
        for f in files:
            if f.error is None:
                recs.append(ProcessingRecord(original_name=f.name, status="queued", user_id=user_id,
                                             details={"incoming": f.token, "lane": f.lane,
                                                      "estimate": f.estimate}))
            else:
                recs.append(ProcessingRecord(original_name=f.name, status="error", message=f.error.user_message,
                                             error_code=f.error.code, user_id=user_id, finished_at=utcnow(),
                                             details={"refused": "before-queueing",
                                                      "messages": [list(template_of(f.error.message))]}))
        s.add_all(recs)
        s.flush()
        return [r.id for r in recs]

    return archive.db.write(write)


def mark_queue_failed(archive, record_id: int, message: str) -> None:
    """The task could not be queued: the record says so (its file is removed by the caller)."""
    def write(s: Session) -> None:
        rec = s.get(ProcessingRecord, record_id)
        if rec is not None and rec.status == "queued":
            rec.status, rec.message, rec.error_code = "error", message, "queue"

    archive.db.write(write)


def message_parts(rec: ProcessingRecord) -> list[tuple[str, dict]]:
    """The record's message as (template, values) pairs, so it can be shown translated; a message stored
    before templates were kept is one plain part."""
    parts = (rec.details or {}).get("messages")
    if isinstance(parts, list) and parts:
        return [(str(t), dict(p or {})) for t, p in parts]
    return [(rec.message, {})] if rec.message else []


def recent_for_user(session: Session, user_id: int, limit: int = RECENT_RECORDS) -> list[ProcessingRecord]:
    """A person's latest upload records, newest first."""
    return list(session.scalars(select(ProcessingRecord).where(ProcessingRecord.user_id == user_id)
                                .order_by(ProcessingRecord.id.desc()).limit(limit)))


@dataclass(frozen=True)
class EndState:
    """Where an uploaded file ended up: still in review, published, withdrawn or deleted."""

    state: str                         # "review" | "published" | "withdrawn" | "deleted" | ""
    publication_id: Optional[int] = None
    title: str = ""
    visible: bool = True               # whether the person may open it (a duplicate may be someone's draft)


def end_states(session: Session, recs: list[ProcessingRecord], user: Optional[Actor] = None) -> dict[int, EndState]:
    """The current state of what each finished record made (its first, top-level publication).

    A duplicate points at a record that may be another member's draft: then it is not named or linked."""
    wanted = {r.id: r.publication_ids[0] for r in recs if r.status in ("ok", "duplicate") and r.publication_ids}
    found = {p.id: p for p in session.scalars(select(Publication).where(Publication.id.in_(set(wanted.values()))))} \
        if wanted else {}
    out: dict[int, EndState] = {}
    for rid, pid in wanted.items():
        pub = found.get(pid)
        if pub is None:
            out[rid] = EndState("deleted", pid)
            continue
        visible = pub.status != "draft" or user is None or can_view(user, pub)
        out[rid] = EndState("review" if pub.status == "draft" else pub.status, pid if visible else None,
                            pub.title if visible else "", visible)
    return out


def progress_reporter(archive, record_id: int, interval: float = 0.5) -> Callable[[dict], None]:
    """A callback for the extraction's progress events that writes them onto the record (throttled)."""
    state = {"last": 0.0, "stage": ""}

    def report(event: dict) -> None:
        now = time.monotonic()
        stage = str(event.get("stage", ""))
        if stage == state["stage"] and now - state["last"] < interval:
            return
        state.update(last=now, stage=stage)
        progress = {"stage": stage, "done": int(event.get("done", 0)), "total": int(event.get("total", 0))}
        try:
            with archive.db.session() as s:
                rec = s.get(ProcessingRecord, record_id)
                if rec is not None and rec.status == "running":
                    rec.details = {**(rec.details or {}), "progress": progress}
                    s.commit()
        except Exception:  # noqa: BLE001 - progress is a courtesy; processing goes on
            logger.warning("could not record progress of upload %s", record_id, exc_info=True)

    return report


# --- a worker's side -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A record a worker took: its waiting file's token, the name as given, the uploader, its lane and the pages
    the quick look before queueing counted."""

    record_id: int
    token: str
    name: str
    user_id: Optional[int]
    lane: str = "quick"
    pages: int = 0

    def is_long(self, long_pages: int) -> bool:
        """A long extraction (see ``is_long``): its child runs at a lower CPU priority."""
        return is_long(self.lane, self.pages, long_pages)


def is_long(lane: str, pages: int, long_pages: int) -> bool:
    """A long extraction: OCR (the slow lane) or at least ``long_pages`` pages (``EXTRACT_LONG_PAGES``, counted by
    the quick look before queueing). Small files are queued ahead of long ones, and long ones are extracted at
    a lower CPU priority."""
    return lane == "slow" or (pages or 0) >= long_pages


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


def claim(archive, record_id: int) -> Optional[Claim]:
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
        details = rec.details or {}
        pages = (details.get("estimate") or {}).get("pages") or 0
        out = Claim(record_id, details.get("incoming", ""), rec.original_name, rec.user_id, _lane(rec),
                    pages if isinstance(pages, int) else 0)
        s.commit()
    return out


def update_record(archive, record_id: int, **values: Any) -> None:
    """Set fields of one record in a transaction of its own."""
    with archive.db.session() as s:
        rec = s.get(ProcessingRecord, record_id)
        if rec is not None:
            for k, v in values.items():
                setattr(rec, k, v)
            s.commit()


def write_outcome(session: Session, name: str, status: str, message: str = "", code: str = "", user_id=None,
                  details: dict | None = None, publication_ids=None, stored_file_id=None,
                  record_id: int | None = None) -> ProcessingRecord:
    """Write an outcome onto the record ``record_id`` (an upload a worker claimed) or onto a new one.

    Either way it happens in the caller's transaction, so the outcome and the records it describes are
    committed together (a crash leaves neither).
    """
    rec = session.get(ProcessingRecord, record_id) if record_id is not None else None
    if rec is None:
        rec = ProcessingRecord(original_name=name, user_id=user_id)
        session.add(rec)
    rec.status, rec.message, rec.error_code = status, message, code
    rec.details = dict(details or {})
    rec.publication_ids = list(publication_ids or [])
    rec.stored_file_id = stored_file_id
    rec.finished_at = utcnow()
    session.flush()
    return rec


def settle_running(archive, record_id: int, status: str, message: str, code: str,
                   publication_ids: Iterable[int] = ()) -> None:
    """Give a record still "running" its outcome (the file went another way: unreadable, or a duplicate)."""
    with archive.db.session() as s:
        rec = s.get(ProcessingRecord, record_id)
        if rec is not None and rec.status == "running":
            rec.status, rec.message, rec.error_code = status, message, code
            rec.details = {}
            rec.publication_ids = list(publication_ids)
            rec.finished_at = utcnow()
            s.commit()


# --- records no job will finish --------------------------------------------------------------------

@dataclass
class StuckRecord:
    """A processing record that no job will finish: its worker died, or its task left the queue."""

    id: int
    status: str
    reason: str            # "worker-gone" | "not-queued"
    lane: str = "quick"


def stuck_records(archive, waiting_ids: Callable[[], set[int]], grace_s: float = 60.0,
                  now: Optional[datetime] = None) -> list[StuckRecord]:
    """Records "running" whose worker is gone, and records "queued" for longer than ``grace_s`` with no task.

    ``waiting_ids()`` names the records that have a task in the queue (asked only when needed). A running
    record whose worker is on another host is left alone (it cannot be told from here).
    """
    now = now or utcnow()
    waiting = None
    out: list[StuckRecord] = []
    with archive.db.session() as s:
        recs = list(s.scalars(select(ProcessingRecord).where(ProcessingRecord.status.in_(BUSY))
                              .order_by(ProcessingRecord.id)))
    for rec in recs:
        if rec.status == "running":
            if worker_alive((rec.details or {}).get("worker")) is False:
                out.append(StuckRecord(rec.id, rec.status, "worker-gone", _lane(rec)))
            continue
        created = rec.created_at
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        if created is not None and now - created < timedelta(seconds=grace_s):
            continue
        if waiting is None:
            waiting = waiting_ids()
        if rec.id not in waiting:
            out.append(StuckRecord(rec.id, rec.status, "not-queued", _lane(rec)))
    return out


def _lane(rec: ProcessingRecord) -> str:
    return "slow" if (rec.details or {}).get("lane") == "slow" else "quick"


def recover_records(archive, waiting_ids: Callable[[], set[int]], enqueue: Callable[[int, bool], Any],
                    grace_s: float = 60.0) -> list[StuckRecord]:
    """Queue stuck records again, each in its lane (``enqueue(record_id, slow)``; the waiting file is kept
    until processing ends); returns them.

    Safe to repeat: a record queued twice is processed once (the claim is atomic).
    """
    stuck = stuck_records(archive, waiting_ids, grace_s=grace_s)
    for st in stuck:
        with archive.db.session() as s:
            n = s.execute(update(ProcessingRecord)
                          .where(ProcessingRecord.id == st.id, ProcessingRecord.status == st.status)
                          .values(status="queued")).rowcount
            s.commit()
        if n == 1:
            logger.warning("processing record %s was left %s (%s); queued again", st.id, st.status, st.reason)
            enqueue(st.id, st.lane == "slow")
    return stuck
