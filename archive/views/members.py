"""Signed-in work: upload files (processed in the background), review drafts, publish, audit."""
from __future__ import annotations

import logging
import unicodedata

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from .. import jobs, security
from ..auth import login_required, role_required
from ..core import db_session, get_archive
from ..errors import UserValueError, fault_message
from ..models import KINDS, ProcessingRecord, Publication
from ..permissions import can_edit, is_admin, is_editor
from ..services import audit as audit_trail
from ..services import (background, entries, files, indexing, publications, publishing, references, review, splits,
                        topics)
from ..services import uploads as records
from ..templating import record_message

logger = logging.getLogger(__name__)

bp = Blueprint("members", __name__)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    message = _("The upload is larger than %(mb)s MB, the most the archive accepts at once. "
                "Upload fewer files at a time, or ask an editor to add a very large volume from the server.",
                mb=f"{limit / (1024 * 1024):.0f}")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message), 413
    return render_template("errors/error.html", status=413, message=message), 413


@bp.errorhandler(CSRFError)
def _csrf_error(exc):
    return render_template("errors/error.html", status=400,
                           message=_("The form has expired or was sent from elsewhere. "
                                     "Go back, reload the page and try again.")), 400


def display_name(name: str) -> str:
    """The uploaded name as the person gave it, minus control characters (shown, never used as a path)."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:1000] or "file"


@bp.get("/upload")
@login_required
def upload():
    """The upload form and the person's recent files with their processing state."""
    s = db_session()
    recs = records.recent_for_user(s, current_user.id)
    busy = any(r.status in records.BUSY for r in recs)
    return render_template("members/upload.html", records=recs, busy=busy, stage_labels=background.STAGE_LABELS,
                           ends=records.end_states(s, recs, current_user),
                           max_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))


@bp.post("/upload")
@login_required
def upload_post():
    """Store each file under a generated name, refuse at once what needs no extraction to refuse, and queue
    the rest in its lane (files that need OCR wait apart, so quick files never wait behind them).

    All or nothing: when the data folder is full or read-only, or the database stays busy, the files
    already written are removed, no record is kept, and the person gets the error page that says why.
    """
    files_in = [f for f in request.files.getlist("files") if f and f.filename]
    if not files_in:
        flash(_("Choose at least one PDF or DOCX file."), "error")
        return redirect(url_for("members.upload"), 303)
    archive = get_archive()
    max_bytes = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    received: list[records.Received] = []
    try:
        for f in files_in:
            token, path = records.new_incoming(archive)
            item = records.Received(token, display_name(f.filename), path)
            received.append(item)
            f.save(path)
            records.admit(item, max_bytes, archive.limits)
        ids = records.create_records(archive, received, current_user.id)
    except Exception:
        for item in received:
            records.remove_incoming(item.path)
        raise
    queued = 0
    for item, rid in zip(received, ids):
        if item.error is not None:
            records.remove_incoming(item.path)
            continue
        try:
            jobs.enqueue_upload(rid, slow=item.lane == "slow", small=not item.is_long(archive.long_pages))
            queued += 1
        except Exception as exc:  # noqa: BLE001 - the person sees the failure on the record; details in the log
            logger.exception("could not queue upload record %s", rid)
            records.remove_incoming(item.path)
            try:
                records.mark_queue_failed(archive, rid, fault_message(exc) or records.MSG_FAILED)
            except Exception:  # noqa: BLE001 - the record stays queued; its file is gone, so the worker reports it lost
                logger.exception("could not mark upload record %s as failed", rid)
    refused = sum(item.error is not None for item in received)
    if queued:
        flash(_("%(n)d file(s) received. Processing runs in the background; this page updates by itself.",
                n=queued), "info")
    if refused:
        flash(_("%(n)d file(s) could not be taken; the list below says why.", n=refused), "error")
    return redirect(url_for("members.upload"), 303)


def _record_json(r: ProcessingRecord, end: records.EndState | None) -> dict:
    progress = (r.details or {}).get("progress") if r.status == "running" else None
    out = {"id": r.id, "file": r.original_name, "status": r.status,
           "message": record_message(r),
           "publication_ids": r.publication_ids,
           "lane": (r.details or {}).get("lane", "quick"),
           "progress": ({**progress, "label": _(background.STAGE_LABELS.get(progress.get("stage", ""), ""))}
                        if progress else None),
           "state": end.state if end else "",
           "review_url": None, "public_url": None,
           "created_at": r.created_at.isoformat() if r.created_at else None,
           "finished_at": r.finished_at.isoformat() if r.finished_at else None}
    if end and end.publication_id and end.state == "review":
        out["review_url"] = url_for("members.review_one", pub_id=end.publication_id)
    if end and not end.visible:
        out["publication_ids"] = []
    elif end and end.publication_id and end.state in ("published", "withdrawn"):
        out["public_url"] = url_for("main.publication", pub_id=end.publication_id)
        out["review_url"] = url_for("members.review_one", pub_id=end.publication_id)
    return out


@bp.get("/upload/status")
@login_required
def upload_status():
    """The person's recent records as JSON (for scripts and the upload page): processing progress while it
    runs, then where each file ended up (in review, published, withdrawn, deleted) with links."""
    s = db_session()
    recs = records.recent_for_user(s, current_user.id)
    ends = records.end_states(s, recs, current_user)
    return jsonify({"busy": any(r.status in records.BUSY for r in recs),
                    "records": [_record_json(r, ends.get(r.id)) for r in recs]})


@bp.get("/review")
@login_required
def review_list():
    """Drafts this person may review (editors: everyone's), plus recent public records for editors."""
    s = db_session()
    return render_template("members/review_list.html", drafts=publications.visible_drafts(s, current_user),
                           public=publications.recent_public(s, current_user))


def _render_review(pub_id: int, error: str | None = None, form: dict | None = None, status: int = 200,
                   conflict: splits.SplitConflict | None = None):
    s = db_session()
    pub = publications.get_visible(s, current_user, pub_id)
    root = publications.root_of(s, pub)
    articles = publications.children_of(s, pub) if pub.kind == "volume" else []
    duplicate, where = publications.review_link_target(s, current_user, pub.duplicate_of_id)
    duplicate_url = (url_for("main.publication", pub_id=duplicate.id) if where == "public" else
                     url_for("members.review_one", pub_id=duplicate.id) if where == "review" else None)
    if form is None:
        form = {"title": pub.title, "year": pub.year or "", "language": pub.language,
                "authors": "\n".join(a.name_as_printed or a.person.name for a in pub.authorships),
                "keywords": "\n".join(pub.keywords or [])}
        for lang in review.LANGUAGES:
            form[f"abstract_{lang}"] = (pub.abstracts or {}).get(lang, "")
        form.update(_entry_form(pub))
    page_count = len(pub.pages) if pub.kind == "volume" else 0
    job = background.describe(background.latest_job(s, root.id))
    pages = publications.pages_of(s, pub.id)
    wanted = request.args.get("page", "1")
    number = int(wanted) if wanted.isdecimal() and len(wanted) < 7 else 1
    shown = pages[min(max(number, 1), len(pages)) - 1] if pages else None
    return render_template("members/review.html", pub=pub, root=root, articles=articles,
                           duplicate=duplicate, duplicate_url=duplicate_url, form=form, error=error,
                           conflict=conflict, job=job, pages=pages, shown_page=shown,
                           can_edit=can_edit(current_user, pub), is_editor=is_editor(current_user),
                           is_admin=is_admin(current_user), languages=review.LANGUAGES,
                           page_count=page_count, refs=references.references_of(s, pub.id),
                           **_entry_choices()), status


@bp.get("/review/<int:pub_id>")
@login_required
def review_one(pub_id: int):
    """The review screen: metadata form beside the first page, the volume's split, publish/withdraw/delete."""
    return _render_review(pub_id)


def _index_after_commit() -> None:
    indexing.index_after_commit(get_archive())


def _apply(pub_id: int, operation, back_to: int | None = None, done: str = "", form: dict | None = None,
           anchor: str = ""):
    """Run one review operation; bad input re-renders the page with the message (400), the rest propagates.

    An operation may return a ``splits.Outcome``: its notes are shown, and "nothing changed" is said as such.
    """
    s = db_session()
    try:
        outcome = operation(s)
        s.commit()
    except splits.SplitConflict as exc:
        s.rollback()
        return _render_review(pub_id, error=exc.message, form=form, status=400, conflict=exc)
    except UserValueError as exc:
        s.rollback()
        if exc.status != 400:
            raise
        return _render_review(pub_id, error=exc.message, form=form, status=400)
    _index_after_commit()
    notes = outcome.notes if isinstance(outcome, splits.Outcome) else ()
    if isinstance(outcome, splits.Outcome) and not outcome.changed:
        done = ""
    if done:
        flash(done, "info")
    for note in notes:
        flash(note, "warn")
    return redirect(url_for("members.review_one", pub_id=back_to or pub_id) + anchor, 303)


@bp.post("/review/<int:pub_id>/metadata")
@login_required
def review_metadata(pub_id: int):
    """Save the metadata form."""
    form = _form_values()

    def op(s):
        review.update_metadata(s, current_user, pub_id, form)
        entries.update_entry_fields(s, current_user, pub_id, form)
    return _apply(pub_id, op, done=_("Saved."), form=form)


@bp.post("/review/<int:pub_id>/references/<int:ref_id>")
@login_required
def review_reference(pub_id: int, ref_id: int):
    """Confirm or remove the link of one reference-list entry."""
    decision = request.form.get("decision", "")
    if decision == "confirm":
        return _apply(pub_id, lambda s: references.confirm_link(s, current_user, pub_id, ref_id),
                      done=_("Link confirmed."), anchor=f"#reference-{ref_id}")
    if decision == "remove":
        return _apply(pub_id, lambda s: references.remove_link(s, current_user, pub_id, ref_id),
                      done=_("Link removed."), anchor=f"#reference-{ref_id}")
    return _render_review(pub_id, error=_("Choose to confirm or to remove the link."), status=400)


def _volume_id(pub_id: int) -> int:
    s = db_session()
    pub = publications.get_visible(s, current_user, pub_id)
    return pub.parent_id or pub.id


def _split_edit(pub_id: int, change, done: str):
    """A correction of a volume's split: applied, then (for a public volume) its stale PDFs re-cut apart."""
    back = _volume_id(pub_id)
    job_ids: list[int] = []

    def op(s):
        outcome = change(s)
        vol = publications.root_of(s, outcome.article)
        if outcome.changed and vol.status != "draft":
            job_id = publishing.request_recut(s, current_user, vol)
            if job_id:
                job_ids.append(job_id)
        return outcome

    resp = _apply(back, op, back_to=back, done=done, anchor=f"#article-{pub_id}")
    for job_id in job_ids:
        _queue_job(job_id)
    return resp


def _queue_job(job_id: int) -> None:
    try:
        jobs.enqueue_job(job_id)
    except Exception as exc:  # noqa: BLE001 - the job row says it failed; the page shows it
        logger.exception("could not queue background job %s", job_id)
        background.finish(get_archive(), job_id, "error", fault_message(exc) or background.MSG_FAILED)


@bp.post("/review/<int:pub_id>/boundary")
@login_required
def review_boundary(pub_id: int):
    """Move an article's first/last PDF page (its neighbours adjust; a shared page stays shared)."""
    values = request.form.to_dict()
    return _split_edit(pub_id, lambda s: splits.move_boundary(s, current_user, pub_id, values),
                       _("Page range changed."))


@bp.post("/review/<int:pub_id>/merge")
@login_required
def review_merge(pub_id: int):
    """Merge an article with the next one."""
    return _split_edit(pub_id, lambda s: splits.merge_articles(s, current_user, pub_id, {}), _("Articles merged."))


@bp.post("/review/<int:pub_id>/split")
@login_required
def review_split(pub_id: int):
    """Split an article in two at a page."""
    values = request.form.to_dict()
    return _split_edit(pub_id, lambda s: splits.split_article(s, current_user, pub_id, values),
                       _("Article split in two."))


@bp.post("/review/<int:pub_id>/publish")
@login_required
def review_publish(pub_id: int):
    """Publish the record: at once for a single record; a volume with its articles in the background
    (cutting and indexing take a while), its progress shown on the review page."""
    s = db_session()
    if not publishing.needs_background(s, current_user, pub_id):
        return _apply(pub_id, lambda s_: publishing.publish(s_, current_user, pub_id), done=_("Published."))
    try:
        job_id = publishing.request_publish(s, current_user, pub_id)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        if exc.status != 400:
            raise
        return _render_review(pub_id, error=exc.message, status=400)
    _queue_job(job_id)
    flash(_("Publishing has started; this page shows its progress."), "info")
    return redirect(url_for("members.review_one", pub_id=pub_id) + "#job", 303)


@bp.get("/review/<int:pub_id>/job")
@login_required
def review_job(pub_id: int):
    """The latest background work on this record (publishing, re-cutting) as JSON, for the page to follow."""
    s = db_session()
    root = publications.root_of(s, publications.get_visible(s, current_user, pub_id))
    return jsonify({"job": background.describe(background.latest_job(s, root.id)), "status": root.status,
                    "public_url": url_for("main.publication", pub_id=root.id) if root.status != "draft" else None})


@bp.post("/review/<int:pub_id>/withdraw")
@login_required
def review_withdraw(pub_id: int):
    """Withdraw a published record, with a reason readers will see."""
    values = request.form.to_dict()
    return _apply(pub_id, lambda s: publishing.withdraw(s, current_user, pub_id, values), done=_("Withdrawn."))


@bp.post("/review/<int:pub_id>/delete")
@login_required
def review_delete(pub_id: int):
    """Delete a record for good (admins only)."""
    s = db_session()
    shas = publishing.delete(s, current_user, pub_id)
    s.commit()
    publishing.remove_stored(get_archive(), shas)
    _index_after_commit()
    flash(_("Deleted."), "info")
    return redirect(url_for("members.review_list"), 303)


@bp.get("/review/<int:pub_id>/file")
@login_required
def review_file(pub_id: int):
    """The record's file (the cut article PDF, else the original) for people who may review it."""
    pub = publications.get_visible(db_session(), current_user, pub_id)
    dl = files.download_of(get_archive(), files.article_file(pub))
    if dl is None:
        abort(404)
    resp = send_file(dl.path, mimetype=dl.mime, as_attachment=dl.mime != "application/pdf", download_name=dl.name,
                     conditional=True, etag=dl.etag, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return security.sandbox_pdf(resp)       # an uploaded PDF may carry scripts: never in the archive's origin


@bp.get("/review/audit")
@role_required("editor", "admin")
def audit():
    """Who changed what, when (editors and admins)."""
    events, emails = audit_trail.latest(db_session())
    return render_template("members/audit.html", events=events, emails=emails)


# --- new entries: media commentary, events, recommendations and analytical notes ---------------------

def _form_values() -> dict:
    """The posted form as a dict, with the ticked topics as a list."""
    values = request.form.to_dict()
    values["topics"] = request.form.getlist("topics")
    return values


def _entry_choices() -> dict:
    """What the entry and review forms offer: kinds, event and report types, the topic vocabulary."""
    return {"kinds": KINDS, "event_types": entries.EVENT_TYPES, "report_types": entries.REPORT_TYPES,
            "all_topics": topics.vocabulary_topics(db_session()), "entry_kinds": entries.ENTRY_KINDS}


def _entry_form(pub: Publication) -> dict:
    """The review form's kind-specific values of a publication (fields named "<kind>-<field>")."""
    extra = pub.extra or {}
    form: dict = {"kind": pub.kind, "topics": [t.slug for t in pub.topics]}
    for kind, fields in entries.EXTRA_FIELDS.items():
        for field in fields:
            value = extra.get(field) or ""
            if field == "materials":
                value = "\n".join(str(i) for i in value)
            form[f"{kind}-{field}"] = value
    return form


def _render_entry(kind: str, form: dict | None = None, error: str | None = None, status: int = 200):
    return render_template("members/entry_new.html", kind=kind, form=form or {"topics": []}, error=error,
                           languages=review.LANGUAGES, **_entry_choices()), status


@bp.get("/entries/new")
@login_required
def entry_choose():
    """Which kind of entry to add (commentary, event, recommendation or note)."""
    return _render_entry("")


@bp.get("/entries/new/<kind>")
@login_required
def entry_new(kind: str):
    """The form for a new media commentary, event or report."""
    if kind not in entries.ENTRY_KINDS:
        abort(404)
    return _render_entry(kind)


@bp.post("/entries/new/<kind>")
@login_required
def entry_create(kind: str):
    """Create the entry as a draft of its author (a report may bring a file: it goes through ingest)."""
    if kind not in entries.ENTRY_KINDS:
        abort(404)
    values = _form_values()
    s = db_session()
    upload = request.files.get("file") if kind == "report" else None
    incoming = None
    try:
        if upload is not None and upload.filename:
            archive = get_archive()
            _token, incoming = records.new_incoming(archive)
            upload.save(incoming)
            pub = entries.create_report_from_file(archive, s, current_user, values, incoming,
                                                  display_name(upload.filename))
        else:
            pub = entries.create_entry(s, current_user, kind, values)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        if exc.status != 400:
            raise
        return _render_entry(kind, form=values, error=exc.message, status=400)
    finally:
        if incoming is not None:
            records.remove_incoming(incoming)
    flash(_("Saved as a draft. Check it here; an editor publishes it."), "info")
    return redirect(url_for("members.review_one", pub_id=pub.id), 303)
