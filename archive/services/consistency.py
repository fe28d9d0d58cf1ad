"""``manage.py check``: database, stored files and index compared; what can be fixed safely is fixed.

The database is the source of truth. Stored files are checked against it (present, same SHA-256);
files nobody references are orphans (a crash between writing a file and committing its row leaves
one); the index is checked against the published publications; processing records that no job will
finish are found. ``repair=True`` re-indexes, rebuilds a broken index, deletes orphans older than a
grace period (so an upload in flight is never hit) and queues stuck uploads again. A file whose bytes
no longer match its hash is reported, never deleted: only a person can say what to do with it.
"""
from __future__ import annotations

import logging
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from sqlalchemy import select

from indexer.backend import open_backend
from indexer.query import parse_query

from ..models import IndexTask, ProcessingRecord, Publication, StoredFile
from ..storage import sha256_of
from . import indexing
from .record_checks import check_xml_text, metadata_findings, rederive_drafts
from .references import unparsed_lists
from .uploads import incoming_dir, recover_records, stuck_records

logger = logging.getLogger(__name__)

METADATA_RULES = {"cut": "cut short (ending on a function word or an open quote or bracket)",
                  "reference": "that are lines of a reference list", "generic": "that are generic headers",
                  "empty": "empty"}

ORPHAN_GRACE_S = 3600.0
FOLDER_BACKENDS = ("whoosh", "tantivy")        # search backends whose index is a folder in the data dir
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class CheckReport:
    """Everything found, and what a repair did. ``problems()`` is what is still wrong."""

    stored_files: int = 0
    published: int = 0
    indexed: int = 0
    missing_files: list[dict] = field(default_factory=list)       # {"id", "sha256"}
    corrupted_files: list[dict] = field(default_factory=list)     # {"id", "sha256"}: bytes changed
    orphan_files: list[dict] = field(default_factory=list)        # {"path", "age_s"}: old enough to delete
    young_orphans: list[dict] = field(default_factory=list)       # {"path", "age_s"}: maybe an upload in flight
    unindexed: list[int] = field(default_factory=list)            # published, not in the index
    extra_indexed: list[int] = field(default_factory=list)        # in the index, not published
    pending_index_tasks: int = 0
    stuck_records: list[dict] = field(default_factory=list)       # {"id", "status", "reason"}
    index: str = "ok"                                             # ok | missing | corrupt
    xml_forbidden: dict[str, list[int]] = field(default_factory=dict)   # table → ids with text XML forbids
    metadata: dict[str, list[int]] = field(default_factory=dict)        # rule → publications whose title breaks it
    # {"id", "entries", "unparsed"}: publications whose reference list is half or more unparsed
    unparsed_references: list[dict] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """One line per kind of problem still present."""
        out = []
        if self.index != "ok":
            out.append(f"index {self.index}")
        for label, items in (("stored file(s) missing", self.missing_files),
                             ("stored file(s) corrupted (hash differs)", self.corrupted_files),
                             ("orphan file(s)", self.orphan_files),
                             ("published publication(s) missing from the index", self.unindexed),
                             ("index entr(ies) that are not published publications", self.extra_indexed),
                             ("processing record(s) stuck", self.stuck_records)):
            if items:
                out.append(f"{len(items)} {label}")
        if self.pending_index_tasks:
            out.append(f"{self.pending_index_tasks} pending index task(s)")
        if self.unparsed_references:
            out.append(f"{len(self.unparsed_references)} reference list(s) mostly unparsed (publications "
                       + ", ".join(str(r["id"]) for r in self.unparsed_references[:20]) + ")")
        for rule, ids in sorted(self.metadata.items()):
            out.append(f"{len(ids)} title(s) {METADATA_RULES.get(rule, rule)}")
        bad_text = sum(len(v) for v in self.xml_forbidden.values())
        if bad_text:
            out.append(f"{bad_text} record(s) with characters XML forbids ("
                       + ", ".join(f"{k}: {len(v)}" for k, v in sorted(self.xml_forbidden.items())) + ")")
        return out

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "problems": self.problems(), "ok": not self.problems()}


def _search_kind(archive) -> str:
    return getattr(archive, "search_kind", None) or archive.config.get("SEARCH_BACKEND") or "whoosh"


def _index_state(archive, probe: str) -> tuple[str, set[int]]:
    """("ok", ids) | ("missing", set()) | ("corrupt", set()).

    An index in a folder is read through a fresh handle (a cached one may not notice damaged files);
    one that lives elsewhere (PostgreSQL) through the archive's own backend.
    """
    path = Path(archive.index_path)
    in_folder = _search_kind(archive) in FOLDER_BACKENDS
    if in_folder and (not path.is_dir() or not any(path.iterdir())):
        return "missing", set()
    backend = open_backend(_search_kind(archive), path) if in_folder else archive.search
    try:
        ids = backend.doc_ids()
        if probe:
            backend.search(parse_query(probe), limit=1)
        return "ok", ids
    except Exception:  # noqa: BLE001 - any failure to read the index means it must be rebuilt
        logger.warning("the search index cannot be read", exc_info=logger.isEnabledFor(logging.DEBUG))
        return "corrupt", set()
    finally:
        if in_folder:
            try:
                backend.close()
            except Exception:  # noqa: BLE001
                pass


def empty_index_notice(archive) -> Optional[str]:
    """What to tell the operator when the search index holds no document while publications are published (the
    search backend was changed, or the index folder lost, without ``manage.py reindex``): every search would find
    nothing, silently. None when the index has documents, nothing is published, or the index cannot be read
    (``manage.py check`` reports that). Two look-ups, whatever the archive's size."""
    with archive.db.session() as s:
        if s.scalar(select(Publication.id).where(Publication.status == "published").limit(1)) is None:
            return None                  # asked first: a new archive's index is not opened (nor made) for nothing
    try:
        if not archive.search.is_empty():
            return None
    except Exception:  # noqa: BLE001 - an unreadable index is for check to report; serving goes on
        logger.warning("the search index cannot be read", exc_info=logger.isEnabledFor(logging.DEBUG))
        return None
    kind = _search_kind(archive)
    where = f" at {archive.index_path}" if kind in FOLDER_BACKENDS else ""
    return (f"The search index ({kind}{where}) holds no documents, but the archive has published publications: "
            "every search finds nothing until `manage.py reindex` rebuilds it (after a change of "
            "ARCHIVE_SEARCH_BACKEND, or a lost index folder).")


def _list_store(root: Path, now: float) -> tuple[dict[str, Path], list[tuple[Path, float]]]:
    """Files of the store by sha, plus anything else in it (interrupted copies) with its age."""
    by_sha: dict[str, Path] = {}
    other: list[tuple[Path, float]] = []
    if not root.is_dir():
        return by_sha, other
    for sub in root.iterdir():
        entries = sub.iterdir() if sub.is_dir() else [sub]
        for f in entries:
            if f.is_file() and _SHA.match(f.name) and f.parent.name == f.name[:2] and f.parent.parent == root:
                by_sha[f.name] = f
            elif f.is_file():
                other.append((f, now - f.stat().st_mtime))
    return by_sha, other


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def check_archive(archive, waiting_ids: Optional[Callable[[], set[int]]] = None, repair: bool = False,
                  enqueue: Optional[Callable[[int], Any]] = None, orphan_grace_s: float = ORPHAN_GRACE_S,
                  verify_hashes: bool = True, now: Optional[float] = None) -> CheckReport:
    """Compare database, stored files and index; with ``repair`` fix what is safe and record it in ``actions``.

    ``waiting_ids()`` (the upload records that have a task in the job queue) is needed to tell stuck
    uploads; ``enqueue`` queues one again on repair.
    """
    now = time.time() if now is None else now
    rep = CheckReport()

    # Files first, rows second: a file whose row commits in between counts as referenced.
    by_sha, strays = _list_store(archive.files.root, now)
    inc_dir = incoming_dir(archive)
    incoming = [f for f in inc_dir.iterdir() if f.is_file()] if inc_dir.is_dir() else []
    with archive.db.session() as s:
        rows = list(s.execute(select(StoredFile.id, StoredFile.sha256).order_by(StoredFile.id)))
        published = set(s.scalars(select(Publication.id).where(Publication.status == "published")))
        pending_ids = set(s.scalars(select(IndexTask.publication_id)))
        rep.pending_index_tasks = len(list(s.scalars(select(IndexTask.id))))
        waiting_tokens = {(r.details or {}).get("incoming") for r in s.scalars(
            select(ProcessingRecord).where(ProcessingRecord.status.in_(("queued", "running"))))}
        probe = s.scalar(select(Publication.title).where(Publication.status == "published").limit(1)) or ""
    rep.stored_files, rep.published = len(rows), len(published)

    known = set()
    for fid, sha in rows:
        known.add(sha)
        path = by_sha.get(sha)
        if path is None:
            rep.missing_files.append({"id": fid, "sha256": sha})
        elif verify_hashes and sha256_of(path) != sha:
            rep.corrupted_files.append({"id": fid, "sha256": sha})
    orphans = [(p, now - p.stat().st_mtime) for sha, p in by_sha.items() if sha not in known]
    orphans += strays
    orphans += [(f, _age(f, now)) for f in incoming if f.name not in waiting_tokens]
    for path, age in sorted(orphans):
        item = {"path": str(path), "age_s": round(age)}
        (rep.orphan_files if age >= orphan_grace_s else rep.young_orphans).append(item)

    rep.index, ids = _index_state(archive, " ".join(probe.split()[:2]))
    rep.indexed = len(ids)
    if rep.index == "ok":
        rep.unindexed = sorted(published - ids - pending_ids)
        rep.extra_indexed = sorted(ids - published - pending_ids)
    if waiting_ids is not None:
        rep.stuck_records = [asdict(st) for st in stuck_records(archive, waiting_ids)]
    with archive.db.session() as s:
        findings, _touched = check_xml_text(s, repair=False)
        rep.metadata = metadata_findings(s)
        rep.unparsed_references = [{"id": p, "entries": n, "unparsed": u} for p, n, u in unparsed_lists(s)]
    rep.xml_forbidden = findings.xml_forbidden

    if repair:
        _repair(archive, rep, waiting_ids, enqueue)
    return rep


def _repair(archive, rep: CheckReport, waiting_ids: Optional[Callable[[], set[int]]],
            enqueue: Optional[Callable[[int], Any]]) -> None:
    with archive.db.session() as s:
        redone = rederive_drafts(archive, s)
        s.commit()
        if redone:
            rep.actions.append(f"read the metadata of {len(redone)} unedited draft(s) again: "
                               + ", ".join(map(str, redone[:20])))
            rep.metadata = metadata_findings(s)
    if rep.xml_forbidden:
        with archive.db.session() as s:
            findings, touched = check_xml_text(s, repair=True)
            s.commit()
        rep.actions.append(f"removed characters XML forbids from {findings.count()} record(s); "
                           f"{len(touched)} publication(s) queued for indexing")
        rep.xml_forbidden = {}
        with archive.db.session() as s:
            rep.pending_index_tasks = len(list(s.scalars(select(IndexTask.id))))
    if rep.index != "ok":
        archive.search.close()
        if _search_kind(archive) in FOLDER_BACKENDS:
            shutil.rmtree(archive.index_path, ignore_errors=True)
        n, secs = indexing.rebuild_index(archive)
        rep.actions.append(f"rebuilt the {rep.index} index: {n} publication(s) in {secs:.1f} s")
        rep.index, rep.indexed = "ok", n
        rep.unindexed, rep.extra_indexed = [], []
        with archive.db.session() as s:
            rep.pending_index_tasks = len(list(s.scalars(select(IndexTask.id))))
    fix = rep.unindexed + rep.extra_indexed
    if fix:
        with archive.db.session() as s:
            indexing.enqueue(s, fix)
            s.commit()
    if fix or rep.pending_index_tasks:
        try:
            n = indexing.process_index_tasks(archive)
            if fix:
                rep.actions.append(f"re-indexed {len(rep.unindexed)} missing and removed {len(rep.extra_indexed)} "
                                   f"extra index entr(ies)")
            rep.actions.append(f"applied pending index work for {n} publication(s)")
            rep.unindexed, rep.extra_indexed, rep.pending_index_tasks = [], [], 0
        except Exception:  # noqa: BLE001 - stays pending, reported as remaining
            logger.exception("index repair failed")
            with archive.db.session() as s:
                rep.pending_index_tasks = len(list(s.scalars(select(IndexTask.id))))
    for item in list(rep.orphan_files):
        try:
            Path(item["path"]).unlink(missing_ok=True)
        except OSError:
            logger.warning("cannot delete orphan %s", item["path"], exc_info=True)
            continue
        rep.orphan_files.remove(item)
        rep.actions.append(f"deleted orphan file {item['path']}")
    if rep.stuck_records and waiting_ids is not None and enqueue is not None:
        done = recover_records(archive, waiting_ids, enqueue)
        for st in done:
            rep.actions.append(f"queued processing record {st.id} again (was {st.status}: {st.reason})")
        left = {st.id for st in done}
        rep.stuck_records = [r for r in rep.stuck_records if r["id"] not in left]
