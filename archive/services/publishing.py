"""Publishing: publish a record (a volume with its articles), withdraw it (a tombstone stays), delete it.

Each operation checks permission, records an audit event and the index work in the same transaction and
leaves the commit to the caller; the index follows after the commit. Cutting per-article PDFs of a volume
(``cut_article_files``) runs in the limited child process, like every other file work.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from uploads.errors import UploadError
from uploads.limits import run_limited
from uploads.pdfsplit import split_pdf

from ..errors import UserValueError
from ..i18n import _, _l
from ..models import BackgroundJob, Publication, StoredFile, User, Volume, utcnow
from ..permissions import Actor, is_editor, require_admin, require_editor
from ..storage import sha256_of
from . import audit, background, indexing, references
from .duplicates import unlink_duplicates
from .publications import children_of, get_visible, root_of

logger = logging.getLogger(__name__)


def _publishable(session: Session, user: Actor, pub_id: int) -> tuple[Publication, list[Publication]]:
    """The record to publish (the volume when given one of its articles) and its group; checks everything."""
    pub = get_visible(session, user, pub_id)
    require_editor(user, _("Only editors can publish."))
    root = root_of(session, pub)
    group = [root] + children_of(session, root)
    if root.status == "published":
        raise UserValueError(_("This is already published."))
    for p in group:
        if not (p.title or "").strip():
            raise UserValueError(_("Every article needs a title before publishing."))
    return root, group


def publish(session: Session, user: Actor, pub_id: int, values: Optional[Mapping[str, Any]] = None) -> list[int]:
    """Publish a record together with its volume and all its articles; returns the ids to index after commit."""
    root, group = _publishable(session, user, pub_id)
    now = utcnow()
    ids = []
    for p in group:
        if p.status in ("draft", "withdrawn"):
            p.status = "published"
            p.published_at = p.published_at or now
            p.withdrawn_at = None
            p.withdrawal_reason = ""
            ids.append(p.id)
    session.flush()
    references.link_published(session, ids)
    indexing.enqueue(session, ids)
    audit.publication_event(session, user, "publication.publish", root.id, ids=ids, title=root.title[:200])
    session.flush()
    return ids


def needs_background(session: Session, user: Actor, pub_id: int) -> bool:
    """Whether publishing this record is long work (a volume with articles to cut and index)."""
    root = root_of(session, get_visible(session, user, pub_id))
    return root.kind == "volume" and bool(children_of(session, root))


def request_publish(session: Session, user: Actor, pub_id: int) -> int:
    """Check that the record can be published and queue the work; returns the job's id (queue it after commit)."""
    root, _group = _publishable(session, user, pub_id)
    job = background.create(session, "publish", root.id, user.id,
                            _("This volume is already being published; its progress is shown below."))
    audit.publication_event(session, user, "publication.publish_requested", root.id, job=job.id)
    return job.id


def run_publish_job(archive, job: BackgroundJob, report: Callable[[str, int, int], None]) -> str:
    """The publishing work: cut the articles' PDFs, publish the volume with its articles, index them.

    Nothing becomes public until the cut files exist and the statuses commit together; indexing follows
    the commit (a failure there leaves index work pending, which the worker catches up on).
    """
    with archive.db.session() as s:
        user = s.get(User, job.user_id) if job.user_id else None
        if user is None or not is_editor(user):
            raise UserValueError(_("Only editors can publish."))
        root = s.get(Publication, job.target_id)
        if root is None:
            raise UserValueError(_("The record was deleted before it could be published."))
        cut = cut_article_files(archive, s, root, report)
        s.commit()
        ids = publish(s, user, root.id)
        s.commit()
        title = root.title
    report("index", 0, len(ids))
    indexing.index_after_commit(archive)
    report("index", len(ids), len(ids))
    return _l("Published: %(title)s") % {"title": title} if not cut else \
        _l("Published with %(n)d article PDFs: %(title)s") % {"n": cut, "title": title}


def request_recut(session: Session, user: Actor, volume: Publication) -> Optional[int]:
    """After a published volume's split changed: queue re-cutting its changed articles' PDFs (job id, or None
    when one is already queued — it will cut whatever is stale when it runs)."""
    if volume.status == "draft" or background.active_job(session, "recut", volume.id) is not None:
        return None
    return background.create(session, "recut", volume.id, user.id, "").id


def run_recut_job(archive, job: BackgroundJob, report: Callable[[str, int, int], None]) -> str:
    """Cut the PDFs of a volume's articles whose range changed (their old cut files are stale)."""
    with archive.db.session() as s:
        root = s.get(Publication, job.target_id)
        if root is None:
            return ""
        n = cut_article_files(archive, s, root, report)
        s.commit()
    return _l("%(n)d article PDFs cut again.") % {"n": n}


def withdraw(session: Session, user: Actor, pub_id: int, values: Mapping[str, Any]) -> list[int]:
    """Withdraw a published record (and a volume's articles with it); its public page becomes a tombstone."""
    pub = get_visible(session, user, pub_id)
    require_editor(user, _("Only editors can withdraw publications."))
    reason = " ".join(str(values.get("reason", "")).split())[:2000]
    if not reason:
        raise UserValueError(_("Say why the publication is withdrawn; readers will see the reason."))
    if pub.status != "published":
        raise UserValueError(_("Only published records can be withdrawn."))
    root = pub              # a volume takes its articles with it; an article alone leaves its volume
    group = [root] + (children_of(session, root) if root.kind == "volume" else [])
    now = utcnow()
    ids = []
    for p in group:
        if p.status == "published":
            p.status = "withdrawn"
            p.withdrawn_at = now
            p.withdrawal_reason = reason
            ids.append(p.id)
    references.unlink_unpublished(session, ids)
    indexing.enqueue(session, ids)
    audit.publication_event(session, user, "publication.withdraw", root.id, ids=ids, reason=reason[:500])
    session.flush()
    return ids


def delete(session: Session, user: Actor, pub_id: int, values: Optional[Mapping[str, Any]] = None) -> list[str]:
    """Remove a record (a volume with its articles) from the database; returns stored files to remove after commit."""
    pub = get_visible(session, user, pub_id)
    require_admin(user, _("Only administrators can delete publications."))
    root = pub              # a volume goes with its articles; an article alone leaves the rest of its volume
    group = children_of(session, root) + [root] if root.kind == "volume" else [root]
    ids = [p.id for p in group]
    file_ids = {fid for p in group for fid in (p.source_file_id, p.article_file_id) if fid}
    volume_ids = {p.volume_id for p in group if p.volume_id}
    title = root.title
    unlink_duplicates(session, ids)
    for p in session.scalars(select(Publication).where(Publication.parent_id.in_(ids),
                                                       Publication.id.not_in(ids))):
        p.parent_id = None
    for p in group:
        session.delete(p)
    session.flush()
    shas: list[str] = []
    for fid in file_ids:
        used = session.scalar(select(Publication.id).where(or_(Publication.source_file_id == fid,
                                                               Publication.article_file_id == fid)).limit(1))
        if used is None:
            sf = session.get(StoredFile, fid)
            if sf is not None:
                shas.append(sf.sha256)
                session.delete(sf)
    for vid in volume_ids:
        if session.scalar(select(Publication.id).where(Publication.volume_id == vid).limit(1)) is None:
            vol = session.get(Volume, vid)
            if vol is not None:
                session.delete(vol)
    indexing.enqueue(session, ids, "remove")
    audit.publication_event(session, user, "publication.delete", root.id, ids=ids, title=title[:200], files=len(shas))
    session.flush()
    return shas


CUT_CHUNK = 10          # articles cut per child process: progress every chunk, and a bounded child


def cut_article_files(archive, session: Session, vol: Publication,
                      report: Optional[Callable[[str, int, int], None]] = None) -> int:
    """Cut per-article PDFs for articles whose range changed (no cut file yet); returns how many were cut.

    The cutting runs in the limited child process, a chunk of articles at a time, and each chunk's files
    are committed before the next is cut: one transaction over the whole volume held SQLite's write lock
    for as long as the cutting took, and every other request (and this job's progress) waited for it.
    A cut file on a draft article is not public, so committing part of the work exposes nothing.
    """
    src = vol.source_file
    if src is None or src.mime != "application/pdf":
        return 0
    arts = [a for a in children_of(session, vol) if a.article_file_id is None and a.pdf_page_start]
    if not arts:
        return 0
    done = 0
    with tempfile.TemporaryDirectory(prefix="kelisim-recut-") as tmp:
        for i in range(0, len(arts), CUT_CHUNK):
            chunk = arts[i:i + CUT_CHUNK]
            if report:
                report("cut", done, len(arts))
            ranges = [(a.pdf_page_start, a.pdf_page_end or a.pdf_page_start) for a in chunk]
            out_dir = Path(tmp) / str(i)
            out_dir.mkdir()
            try:
                parts = run_limited(split_pdf, (archive.files.path_for(src.sha256), ranges, out_dir), archive.limits)
            except UploadError as exc:
                logger.warning("cutting articles of volume %s failed: %s", vol.id, exc.detail)
                continue
            for art, part in zip(chunk, parts):
                sha = sha256_of(part)
                sf = session.scalars(select(StoredFile).where(StoredFile.sha256 == sha)).first()
                if sf is None:
                    archive.files.put(part, sha)
                    sf = StoredFile(sha256=sha, original_name=f"{Path(src.original_name).stem}-{art.id}.pdf"[:1000],
                                    size=part.stat().st_size, mime="application/pdf",
                                    page_count=(art.pdf_page_end or 0) - (art.pdf_page_start or 0) + 1,
                                    uploaded_by_id=src.uploaded_by_id)
                    session.add(sf)
                    session.flush()
                art.article_file_id = sf.id
                done += 1
            session.commit()
    if report:
        report("cut", done, len(arts))
    return done


def remove_stored(archive, shas: list[str]) -> None:
    """Remove the bytes of deleted records' files after the commit; a failure is logged (``check`` finds it)."""
    for sha in shas:
        try:
            archive.files.remove(sha)
        except OSError:
            logger.exception("could not remove stored file %s", sha)
