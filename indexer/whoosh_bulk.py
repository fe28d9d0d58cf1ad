"""A Whoosh rebuild written by several processes: each child writes whole segments, the caller commits them.

Whoosh's writer is pure Python and was the bound of a rebuild (~17 µs a posting, one core, while the analysis
ran in other processes). Whoosh's own ``MpWriter`` forks the calling process, which is unsafe in a threaded
server (a rebuild also runs there: consistency repair, restore). Here children start with "forkserver" as the
analysing ones do, take batches of analysed documents from one queue and write compound segments (one ``.seg``
file each) into a private folder. Every commit in the index folder deletes the segment files its table of
contents does not name (``whoosh.index.clean_files``, which skips names starting with a dot), so a segment being
written must not be there: the private folder is a hidden one (``.bulk-*``) inside the index folder, on the same
file system, and the caller, holding the index's writer lock, moves a finished segment in and commits a table
of contents that names it.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import shutil
import tempfile
import traceback
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .backend import SearchIndexError
from .documents import IndexDocument, analyzed, speller_keys

if TYPE_CHECKING:
    from .whoosh_backend import WhooshBackend

logger = logging.getLogger(__name__)

# A child closes its segment past this many tokens (and at the end): ~3,000 articles of 3,000 words make one
# segment per child; 100,000 of 1,000 words about a dozen. Whoosh searches each segment in turn, so fewer and
# larger is faster to read, and nothing merges them again in the caller.
SEGMENT_TOKENS = 8_000_000
QUEUED_BATCHES = 2          # per child: what the caller may have handed over and not yet been taken
POLL_S = 1.0


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a killed process stays a zombie until its own parent reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:                 # no /proc here: ask the kernel
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:     # a process of another user took the number: ours is gone
            return False
    return stat[stat.rindex(")") + 2] != "Z"


def _next_batch(jobs, parent: int):
    """The next batch, or None at the end, or when the rebuilding process is gone (killed: nobody sends the end,
    and a forkserver's children outlive their parent)."""
    while True:
        try:
            return jobs.get(timeout=POLL_S * 2)
        except queue.Empty:
            if not _running(parent):
                return None


def _segment_writer(folder: str, jobs, results, segment_tokens: int, parent: int) -> None:
    """A child: batches of documents from ``jobs`` into segments in ``folder``; each closed segment goes to
    ``results`` as ("segment", folder, segment, its ids), then ("done", …) after the ``None`` that ends the
    jobs, or ("error", message) when writing failed. It ends when process ``parent`` is gone."""
    from whoosh.filedb.filestore import FileStorage

    from .whoosh_backend import WhooshBackend, _schema

    writer = None
    try:
        ix = FileStorage(folder).create().create_index(_schema())
        tokens = 0
        ids: list[str] = []

        def close():
            segment = writer._finalize_segment()     # flush, close and assemble one compound file
            writer._finish()                          # the private index's lock and temporary files
            results.put(("segment", folder, segment, ids))

        while (batch := _next_batch(jobs, parent)) is not None:
            for doc in batch:
                if writer is None:
                    writer = ix.writer(limitmb=128)
                terms = analyzed(doc)[0]
                fields = WhooshBackend._fields(doc, terms)
                writer.add_document(**fields)
                ids.append(fields["id"])
                tokens += sum(len(ts) for ts in terms.values())
            if tokens >= segment_tokens:
                close()
                writer, tokens, ids = None, 0, []
        if not _running(parent):
            return                  # the finally below cancels the writer; the folder is the caller's to remove
        if writer is not None:
            close()
            writer = None
        results.put(("done", folder, None, None))
    except BaseException as exc:  # noqa: BLE001 - reported to the caller, which logs it and raises
        # This process's logging is not configured: the traceback goes to the caller's log. An OSError's number
        # goes too, so a full disk is still told as one (archive.errors).
        results.put(("error", folder, (getattr(exc, "errno", None), getattr(exc, "strerror", None),
                                       traceback.format_exc()), None))
    finally:
        if writer is not None:
            try:
                writer.cancel()
            except Exception:  # noqa: BLE001 - the folder goes anyway
                pass


def _sweep(index: Path) -> None:
    """Remove the private folders of rebuilds whose process is gone (killed before it could)."""
    for folder in index.glob(".bulk-*"):
        pid = folder.name.split("-")[1]
        if not pid.isdigit() or not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


class SegmentBulk:
    """``WhooshBackend.bulk``'s writer: ``add`` hands a batch to the children; ``finish`` waits for their last
    segments; ``abort`` stops them. Every segment is committed (with the deletion of older copies of its
    documents) as soon as it is finished, so what is finished survives an error later in the build."""

    def __init__(self, backend: "WhooshBackend", processes: int) -> None:
        self.backend = backend
        ctx = multiprocessing.get_context("forkserver")
        backend.path.mkdir(parents=True, exist_ok=True)
        _sweep(backend.path)
        self.folder = Path(tempfile.mkdtemp(prefix=f".bulk-{os.getpid()}-", dir=backend.path))
        self.jobs = ctx.Queue(maxsize=processes * QUEUED_BATCHES)
        self.results = ctx.Queue()
        self.folders = [str(self.folder / f"w{i}") for i in range(processes)]
        self.children = [ctx.Process(target=_segment_writer, daemon=True,
                                     args=(folder, self.jobs, self.results, SEGMENT_TOKENS, os.getpid()))
                         for folder in self.folders]
        self.done: set[str] = set()           # the folders of the children that wrote their last segment
        try:
            for child in self.children:
                child.start()
        except BaseException:
            self.abort()
            raise

    def add(self, docs: list[IndexDocument]) -> None:
        """Write ``docs`` (in a child), keeping the speller, forms and page filters in step here."""
        keys: set[str] = set()
        forms: set[tuple[str, str]] = set()
        pages: dict[int, tuple[tuple[int, bytes], ...]] = {}
        slim = []
        for d in docs:
            terms, doc_forms, pages[int(d.id)] = analyzed(d)
            keys.update(speller_keys(d, terms))
            forms |= doc_forms
            # The child needs the terms and the stored values, not the text (the pages are most of a document).
            slim.append(replace(d, pages=(), terms=terms, forms=frozenset(), page_filters=(), new_keys=frozenset()))
        self._put(slim)
        self.backend._written(keys, forms, pages)
        self._collect(block=False)

    def finish(self) -> None:
        """Wait for the children's last segments and commit them."""
        for _ in self.children:
            self._put(None)
        while len(self.done) < len(self.children):
            self._collect(block=True)
        for child in self.children:
            child.join(timeout=30)
        self._cleanup()

    def abort(self) -> None:
        for child in self.children:
            if child.is_alive():
                child.terminate()
        for child in self.children:
            if child.pid is not None:
                child.join(timeout=10)
        self._cleanup()

    def _cleanup(self) -> None:
        for q in (self.jobs, self.results):
            q.close()
            q.cancel_join_thread()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _put(self, item) -> None:
        while True:
            try:
                self.jobs.put(item, timeout=POLL_S)
                return
            except queue.Full:
                self._collect(block=False)
                self._check_alive()

    def _collect(self, block: bool) -> None:
        """Commit the segments the children have finished (``block``: wait for at least one message)."""
        while True:
            try:
                kind, folder, payload, ids = self.results.get(timeout=POLL_S) if block else self.results.get_nowait()
            except queue.Empty:
                if not block:
                    return
                self._check_alive()
                continue
            block = False
            if kind == "segment":
                self.backend._add_segment(Path(folder), payload, ids)
            elif kind == "done":
                self.done.add(folder)
            else:
                number, text, trace = payload
                logger.error("writing a search index segment failed in a child process:\n%s", trace)
                cause = OSError(number, text) if number is not None else None
                raise SearchIndexError("writing the search index failed in a child process (the detail is in "
                                       "the log)") from cause

    def _check_alive(self) -> None:
        # A child that ended without saying "done" or "error" was killed (out of memory, a signal). Its exit is
        # looked at first: what a child sent before it ended is in the pipe by then.
        ended = [f for f, c in zip(self.folders, self.children) if c.exitcode is not None and f not in self.done]
        if ended and self.results.empty():
            raise SearchIndexError("a process writing the search index ended unexpectedly")
