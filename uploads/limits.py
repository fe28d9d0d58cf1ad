"""Run extraction in a child process with a time limit and a memory limit."""
from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from .errors import UploadError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Resource limits for one file's extraction."""

    seconds: float = 300.0
    memory_mb: int = 1536
    max_pages: int = 3000
    ocr: bool = True
    ocr_max_pages: int = 300     # pages OCR'd per file at most (~1 s each); the rest get a warning
    priority: str = "normal"     # CPU priority of the child: "normal", "low" (nice +10) or "idle" (see PRIORITIES)


# A child's CPU priority (set in the child only, never in the process that waits for it). "low" adds 10 to the
# niceness; "idle" also asks Linux's SCHED_IDLE class, which yields to every normal process whatever its
# niceness (a server already started with `nice 19` can go no lower by niceness alone) — on a machine busy with
# other work such a child can starve until its wall-clock limits run out (Tesseract's 120 s a page did in the
# issue-15 runs). Long extractions (OCR, a volume of hundreds of pages) run so, and a one-page file that arrives
# meanwhile gets the CPU first.
PRIORITIES = ("normal", "low", "idle")
LOW_NICE = 10


def lower_priority(priority: str) -> None:
    """Lower this process's CPU priority as ``priority`` says (see ``PRIORITIES``); never raises."""
    if priority not in ("low", "idle"):
        return
    try:
        os.nice(LOW_NICE)
    except OSError:  # pragma: no cover - lowering is always allowed on Linux
        logger.warning("could not lower the extraction's CPU priority", exc_info=True)
    if priority == "idle" and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # pragma: no cover - e.g. a container that forbids it: the niceness stays
            logger.warning("could not move the extraction to the idle CPU class", exc_info=True)


_ctx = None


def _context():
    global _ctx
    if _ctx is None:
        # forkserver: children fork from a small clean server process, not from a threaded web worker.
        _ctx = multiprocessing.get_context("forkserver")
        _ctx.set_forkserver_preload(["uploads._preload"])
    return _ctx


def _child(conn, func: Callable[..., Any], args: tuple, memory_mb: int, progress: bool = False,
           priority: str = "normal") -> None:
    try:
        lower_priority(priority)
        if memory_mb:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if progress:
            from . import progress as _progress

            with _progress.reporting(lambda event: conn.send(("progress", event))):
                result = func(*args)
        else:
            result = func(*args)
        conn.send(("ok", result))
    except UploadError as exc:
        conn.send(("upload-error", (exc.message.template, exc.code, exc.detail, exc.message.params)))
    except MemoryError:
        conn.send(("memory", None))
    except RecursionError:
        conn.send(("upload-error", ("The file's internal structure loops back on itself; it cannot be read.",
                                    "damaged", "RecursionError", {})))
    except BaseException:  # noqa: BLE001 - report anything to the parent, which decides what to say
        try:
            conn.send(("crash", traceback.format_exc(limit=20)))
        except Exception:  # noqa: BLE001
            pass
    finally:
        conn.close()


def run_limited(func: Callable[..., Any], args: tuple, limits: Limits,
                on_progress: Callable[[dict], None] | None = None) -> Any:
    """Call ``func(*args)`` in a child process; ``UploadError`` if it fails, runs out of time or memory.

    With ``on_progress``, what the child reports through ``uploads.progress.report`` (throttled there) is
    passed to ``on_progress(event)`` in this process as it arrives; the time limit covers the whole run.
    An exception raised by ``on_progress`` stops the child and propagates.
    """
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, func, args, limits.memory_mb, on_progress is not None,
                                                      limits.priority),
                       daemon=True)
    deadline = time.monotonic() + limits.seconds
    proc.start()
    child.close()
    try:
        while True:
            if not parent.poll(max(0.0, deadline - time.monotonic())):
                raise UploadError("Processing this file took longer than the limit of %(seconds)d seconds and was "
                                  "stopped. It may be very large or damaged.", "timeout",
                                  params={"seconds": int(limits.seconds)})
            try:
                status, payload = parent.recv()
            except (EOFError, OSError):
                status, payload = "died", None
            if status != "progress":
                break
            if on_progress is not None:
                on_progress(payload)
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if status == "ok":
        return payload
    if status == "upload-error":
        message, code, detail, params = payload
        raise UploadError(message, code, detail, params)
    if status == "memory" or (status == "died" and proc.exitcode in (-9, -6)):
        raise UploadError("Processing this file needed more than the memory limit of %(mb)d MB and was stopped. "
                          "It may be a compressed 'bomb' or damaged.", "memory", params={"mb": limits.memory_mb})
    logger.error("extraction child failed (%s, exit %s): %s", status, proc.exitcode, payload)
    raise UploadError("The file could not be processed because of an internal error; it has been logged.",
                      "internal", str(payload)[:2000])


def _nothing() -> None:
    return None


def warm_up(limits: Limits = Limits()) -> float:
    """Start the children's forkserver now (it imports the extraction and its models once, seconds on a busy
    machine); returns the seconds it took. A job worker calls this as it starts, so the first file after a
    restart, a one-page DOCX among them, does not wait for it."""
    t0 = time.monotonic()
    run_limited(_nothing, (), limits)
    return time.monotonic() - t0


def cpu_count() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1
