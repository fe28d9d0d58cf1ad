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
import pickle
import queue
import shutil
import tempfile
import traceback
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from whoosh.system import pack_uint

from .analysis import Term, positions_by_key, term_columns
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


# A posting's weight is its frequency as a float: one object per frequency, not one per posting.
_WEIGHTS = [float(n) for n in range(256)]
_ONE = pack_uint(1)


class _SegmentPool:
    """A segment's postings in memory, grouped by (field, term) as they are added.

    Whoosh's ``PostingPool`` keeps one tuple per posting, sorts them all at the end and, past its memory limit,
    pickles sorted runs to disk and merges them back one posting at a time: together ~45 % of a segment's
    writing. Documents come in order, so each term's postings already are; only the distinct terms are sorted.
    A posting costs three list slots and its value bytes (the document number and weight objects are shared)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], list] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple) -> None:
        """One posting (field, term bytes, document, weight, value bytes), as Whoosh's pool takes it."""
        fieldname, tbytes, docnum, weight, vbytes = item
        self.fieldnames.add(fieldname)
        postings = self.terms.get((fieldname, tbytes))
        if postings is None:
            self.terms[(fieldname, tbytes)] = [docnum, weight, vbytes]
        else:
            postings += (docnum, weight, vbytes)

    def add_terms(self, fieldname: str, docnum: int, terms: Sequence[Term], encode) -> int:
        """A text field's postings from its analysed terms, as ``Positions.word_values`` makes them (weight =
        frequency, value = ``encode(positions)``); returns the field's length (its number of tokens)."""
        keys, positions = term_columns(terms)
        grouped = positions_by_key(keys, positions)
        self.fieldnames.add(fieldname)
        table = self.terms
        for key, at in grouped.items():
            n = len(at)
            posting = (docnum, _WEIGHTS[n] if n < 256 else float(n), encode(at))
            tkey = (fieldname, key.encode("utf-8"))
            postings = table.get(tkey)
            if postings is None:
                table[tkey] = list(posting)
            else:
                postings += posting
        return len(keys)

    def iter_postings(self) -> Iterator[tuple]:
        """Every posting in Whoosh's order: field, term bytes, document."""
        for (fieldname, tbytes) in sorted(self.terms):
            postings = self.terms[fieldname, tbytes]
            for i in range(0, len(postings), 3):
                yield fieldname, tbytes, postings[i], postings[i + 1], postings[i + 2]

    def cleanup(self) -> None:
        self.terms = {}


def _encode_positions(at: list[int]) -> bytes:
    """``whoosh.formats.Positions.encode``: the count, then the pickled gaps between positions (most keys of a
    document occur once: their gap is their position)."""
    if len(at) == 1:
        return _ONE + pickle.dumps(at, 2)
    return pack_uint(len(at)) + pickle.dumps([at[0]] + [b - a for a, b in zip(at, at[1:])], 2)


class _Lengths:
    """``doc_field_length`` for ``FieldWriter.add_postings`` from memory: what Whoosh's per-document reader would
    read back from the segment being written (a length is stored as one byte, so it is rounded the same way)."""

    def __init__(self, lengths: dict[str, dict[int, int]]) -> None:
        self.lengths = lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return self.lengths.get(fieldname, {}).get(docnum, default)

    def close(self) -> None:
        pass


def _bulk_writer_class():
    """``SegmentWriter`` for one new segment of pre-analysed documents (imported late: children only)."""
    from whoosh.codec.whoosh3 import byte_to_length, length_to_byte
    from whoosh.writing import SegmentWriter

    class BulkSegmentWriter(SegmentWriter):
        """Whoosh's writer with the postings in a ``_SegmentPool`` and text fields given as our terms (no
        string to parse back, no token objects). Equal segments: tests/indexer/test_whoosh_bulk.py compares
        every term's postings, lengths and statistics with those Whoosh's own writer makes."""

        def __init__(self, ix) -> None:
            super().__init__(ix)
            self.pool.cleanup()
            self.pool = _SegmentPool()
            self._lengths: dict[str, dict[int, int]] = {}
            for name, field in self.schema.items():
                if field.vector or field.separate_spelling():
                    raise ValueError(f"the bulk writer does not write vectors or spelling ({name})")
            self._text = {name for name, field in self.schema.items() if type(field.format).__name__ == "Positions"
                          and not field.stored and field.column_type is None and field.scorable}

        def add_document(self, **fields) -> None:
            """``SegmentWriter.add_document`` for this schema (no boosts, vectors or spelling); a text field's value
            is its terms."""
            self._check_state()
            docnum = self.docnum
            pdw = self.perdocwriter
            pool = self.pool
            pdw.start_doc(docnum)
            try:
                for name in sorted(n for n in fields if not n.startswith("_")):
                    value = fields[name]
                    if value is None:
                        continue
                    field = self.schema[name]
                    length = 0
                    if name in self._text:
                        length = pool.add_terms(name, docnum, value, _encode_positions)
                        if length:
                            lb = length_to_byte(length)
                            self._lengths.setdefault(name, {})[docnum] = byte_to_length(lb) if lb else 0
                    elif field.indexed:
                        for tbytes, freq, weight, vbytes in field.index(value):
                            if field.scorable:
                                length += freq
                            pool.add((name, tbytes, docnum, weight, vbytes))
                        if length and field.scorable:
                            lb = length_to_byte(length)
                            self._lengths.setdefault(name, {})[docnum] = byte_to_length(lb) if lb else 0
                    pdw.add_field(name, field, value if field.stored else None, length)
                    if field.column_type is not None:
                        pdw.add_column_value(name, field.column_type, field.to_column_value(value))
            except Exception:
                pdw.cancel_doc()
                raise
            pdw.finish_doc()
            self._added = True
            self.docnum += 1

        def _flush_segment(self) -> None:
            self.perdocwriter.close()
            self.fieldwriter.add_postings(self.schema, _Lengths(self._lengths), self.pool.iter_postings())
            self.fieldwriter.close()

    return BulkSegmentWriter


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

    writer_class = _bulk_writer_class()
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
                    writer = writer_class(ix)
                terms = analyzed(doc)[0]
                fields = WhooshBackend._fields(doc, terms, encode=None)
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
        pages: dict[int, tuple[tuple[int, bytes, bytes], ...]] = {}
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
