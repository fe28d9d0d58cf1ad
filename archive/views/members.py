"""Signed-in work: upload files (processed in the background), review drafts, publish, audit."""
from __future__ import annotations

import logging
import mimetypes
import unicodedata
import uuid

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from .. import db_session, get_archive, jobs
from ..auth import login_required, role_required
from ..errors import UserValueError, fault_message
from ..models import ProcessingRecord, Publication, PublicationPage, User
from ..sanitize import safe_html
from ..services import indexing, review
from ..services import entries

logger = logging.getLogger(__name__)

bp = Blueprint("members", __name__)

RECENT_RECORDS = 20
BUSY = ("queued", "running")


@bp.app_template_filter("clean_html")
def _clean_html_filter(text: str):
    """Rich text (abstracts) as sanitised markup."""
    return safe_html(text)


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


def _records() -> list[ProcessingRecord]:
    return list(db_session().scalars(select(ProcessingRecord).where(ProcessingRecord.user_id == current_user.id)
                                     .order_by(ProcessingRecord.id.desc()).limit(RECENT_RECORDS)))


@bp.get("/upload")
@login_required
def upload():
    """The upload form and the person's recent files with their processing state."""
    records = _records()
    busy = any(r.status in BUSY for r in records)
    return render_template("members/upload.html", records=records, busy=busy,
                           max_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))


@bp.post("/upload")
@login_required
def upload_post():
    """Store each file under a generated name and queue it; processing happens in the worker.

    All or nothing: when the data folder is full or read-only, or the database stays busy, the files
    already written are removed, no record is kept, and the person gets the error page that says why.
    """
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        flash(_("Choose at least one PDF or DOCX file."), "error")
        return redirect(url_for("members.upload"), 303)
    archive = get_archive()
    folder = jobs.incoming_dir(archive)
    user_id = current_user.id
    saved: list[tuple[str, str]] = []           # (token, name as given), in upload order

    def create_records(s) -> list[int]:
        recs = [ProcessingRecord(original_name=name, status="queued", user_id=user_id, details={"incoming": token})
                for token, name in saved]
        s.add_all(recs)
        s.flush()
        return [r.id for r in recs]

    try:
        folder.mkdir(parents=True, exist_ok=True)
        for f in files:
            token = uuid.uuid4().hex
            saved.append((token, display_name(f.filename)))
            f.save(folder / token)
        ids = archive.db.write(create_records)
    except Exception:
        for token, _name in saved:
            _remove_incoming(folder / token)
        raise
    for (token, _name), rid in zip(saved, ids):
        try:
            jobs.enqueue_upload(rid)
        except Exception as exc:  # noqa: BLE001 - the person sees the failure on the record; details in the log
            logger.exception("could not queue upload record %s", rid)
            _remove_incoming(folder / token)
            message = fault_message(exc) or jobs.MSG_FAILED
            try:
                archive.db.write(lambda s: _mark_failed(s, rid, message))
            except Exception:  # noqa: BLE001 - the record stays queued; its file is gone, so the worker reports it lost
                logger.exception("could not mark upload record %s as failed", rid)
    flash(_("%(n)d file(s) received. Processing runs in the background; this page updates by itself.",
            n=len(ids)), "info")
    return redirect(url_for("members.upload"), 303)


def _remove_incoming(path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.exception("could not remove the incoming file %s", path)


def _mark_failed(s, record_id: int, message: str) -> None:
    rec = s.get(ProcessingRecord, record_id)
    if rec is not None and rec.status == "queued":
        rec.status, rec.message, rec.error_code = "error", message, "queue"


@bp.get("/upload/status")
@login_required
def upload_status():
    """The person's recent records as JSON (for scripts and the upload page)."""
    records = _records()
    return jsonify({
        "busy": any(r.status in BUSY for r in records),
        "records": [{"id": r.id, "file": r.original_name, "status": r.status, "message": _(r.message) if r.message else "",
                     "publication_ids": r.publication_ids,
                     "review_url": url_for("members.review_one", pub_id=r.publication_ids[0])
                     if r.publication_ids and r.status == "ok" else None,
                     "created_at": r.created_at.isoformat() if r.created_at else None,
                     "finished_at": r.finished_at.isoformat() if r.finished_at else None} for r in records],
    })


@bp.get("/review")
@login_required
def review_list():
    """Drafts this person may review (editors: everyone's), plus recent public records for editors."""
    s = db_session()
    return render_template("members/review_list.html", drafts=review.visible_drafts(s, current_user),
                           public=review.recent_public(s, current_user))


def _render_review(pub_id: int, error: str | None = None, form: dict | None = None, status: int = 200):
    s = db_session()
    pub = review.get_visible(s, current_user, pub_id)
    root = review.root_of(s, pub)
    articles = review.children_of(s, pub) if pub.kind == "volume" else []
    first_page = s.scalars(select(PublicationPage).where(PublicationPage.publication_id == pub.id)
                           .order_by(PublicationPage.number).limit(1)).first()
    duplicate, duplicate_url = None, None
    if pub.duplicate_of_id:
        duplicate = s.get(Publication, pub.duplicate_of_id)
        if duplicate is not None:
            if duplicate.status in ("published", "withdrawn"):
                duplicate_url = url_for("main.publication", pub_id=duplicate.id)
            elif review.can_view(current_user, duplicate):
                duplicate_url = url_for("members.review_one", pub_id=duplicate.id)
    if form is None:
        form = {"title": pub.title, "year": pub.year or "", "language": pub.language,
                "authors": "\n".join(a.name_as_printed or a.person.name for a in pub.authorships),
                "keywords": "\n".join(pub.keywords or [])}
        for lang in review.LANGUAGES:
            form[f"abstract_{lang}"] = (pub.abstracts or {}).get(lang, "")
        form.update(_entry_form(pub))
    page_count = len(pub.pages) if pub.kind == "volume" else 0
    return render_template("members/review.html", pub=pub, root=root, articles=articles, first_page=first_page,
                           duplicate=duplicate, duplicate_url=duplicate_url, form=form, error=error,
                           can_edit=review.can_edit(current_user, pub), is_editor=review.is_editor(current_user),
                           is_admin=current_user.role == "admin", languages=review.LANGUAGES,
                           page_count=page_count, **_entry_choices()), status


@bp.get("/review/<int:pub_id>")
@login_required
def review_one(pub_id: int):
    """The review screen: metadata form beside the first page, the volume's split, publish/withdraw/delete."""
    return _render_review(pub_id)


def _index_after_commit() -> None:
    try:
        indexing.process_index_tasks(get_archive())
    except Exception:  # noqa: BLE001 - the change stands; `manage.py index-pending` catches up
        logger.exception("indexing after review change failed; left pending")


def _apply(pub_id: int, operation, back_to: int | None = None, done: str = "", form: dict | None = None):
    """Run one review operation; bad input re-renders the page with the message (400), the rest propagates."""
    s = db_session()
    try:
        operation(s)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        if exc.status != 400:
            raise
        return _render_review(pub_id, error=exc.message, form=form, status=400)
    _index_after_commit()
    if done:
        flash(done, "info")
    return redirect(url_for("members.review_one", pub_id=back_to or pub_id), 303)


@bp.post("/review/<int:pub_id>/metadata")
@login_required
def review_metadata(pub_id: int):
    """Save the metadata form."""
    form = _form_values()

    def op(s):
        review.update_metadata(s, current_user, pub_id, form)
        entries.update_entry_fields(s, current_user, pub_id, form)
    return _apply(pub_id, op, done=_("Saved."), form=form)


def _volume_id(pub_id: int) -> int:
    s = db_session()
    pub = review.get_visible(s, current_user, pub_id)
    return pub.parent_id or pub.id


@bp.post("/review/<int:pub_id>/boundary")
@login_required
def review_boundary(pub_id: int):
    """Move an article's first/last PDF page (neighbours adjust)."""
    back = _volume_id(pub_id)
    values = request.form.to_dict()
    return _apply(back, lambda s: review.move_boundary(s, current_user, pub_id, values), back_to=back,
                  done=_("Page range changed."))


@bp.post("/review/<int:pub_id>/merge")
@login_required
def review_merge(pub_id: int):
    """Merge an article with the next one."""
    back = _volume_id(pub_id)
    return _apply(back, lambda s: review.merge_articles(s, current_user, pub_id, {}), back_to=back,
                  done=_("Articles merged."))


@bp.post("/review/<int:pub_id>/split")
@login_required
def review_split(pub_id: int):
    """Split an article in two at a page."""
    back = _volume_id(pub_id)
    values = request.form.to_dict()
    return _apply(back, lambda s: review.split_article(s, current_user, pub_id, values), back_to=back,
                  done=_("Article split in two."))


@bp.post("/review/<int:pub_id>/publish")
@login_required
def review_publish(pub_id: int):
    """Publish the record (a volume together with its articles)."""
    def op(s):
        ids = review.publish(s, current_user, pub_id)
        root = review.root_of(s, review.get_visible(s, current_user, pub_id))
        if root.kind == "volume":
            review.cut_article_files(get_archive(), s, root)
        return ids
    return _apply(pub_id, op, done=_("Published."))


@bp.post("/review/<int:pub_id>/withdraw")
@login_required
def review_withdraw(pub_id: int):
    """Withdraw a published record, with a reason readers will see."""
    values = request.form.to_dict()
    return _apply(pub_id, lambda s: review.withdraw(s, current_user, pub_id, values), done=_("Withdrawn."))


@bp.post("/review/<int:pub_id>/delete")
@login_required
def review_delete(pub_id: int):
    """Delete a record for good (admins only)."""
    s = db_session()
    shas = review.delete(s, current_user, pub_id)
    s.commit()
    archive = get_archive()
    for sha in shas:
        try:
            archive.files.remove(sha)
        except OSError:
            logger.exception("could not remove stored file %s", sha)
    _index_after_commit()
    flash(_("Deleted."), "info")
    return redirect(url_for("members.review_list"), 303)


@bp.get("/review/<int:pub_id>/file")
@login_required
def review_file(pub_id: int):
    """The record's file (the cut article PDF, else the original) for people who may review it."""
    s = db_session()
    pub = review.get_visible(s, current_user, pub_id)
    sf = pub.article_file or pub.source_file
    if sf is None:
        abort(404)
    path = get_archive().files.path_for(sf.sha256)
    if not path.exists():
        abort(404)
    mime = sf.mime or mimetypes.guess_type(sf.original_name)[0] or "application/octet-stream"
    resp = send_file(path, mimetype=mime, as_attachment=mime != "application/pdf", download_name=sf.original_name,
                     conditional=True, etag=sf.sha256, max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/review/audit")
@role_required("editor", "admin")
def audit():
    """Who changed what, when (editors and admins)."""
    s = db_session()
    events = review.audit_events(s)
    ids = {e.user_id for e in events if e.user_id}
    emails = {u.id: u.email for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return render_template("members/audit.html", events=events, emails=emails)


# --- new entries: media commentary, events, recommendations and analytical notes ---------------------

def _form_values() -> dict:
    """The posted form as a dict, with the ticked topics as a list."""
    values = request.form.to_dict()
    values["topics"] = request.form.getlist("topics")
    return values


def _entry_choices() -> dict:
    """What the entry and review forms offer: kinds, event and report types, the topic vocabulary."""
    from ..models import KINDS, Topic
    from ..services.topics import VOCABULARY

    # The vocabulary in its own order (rows are created on first use), then topics added in the database.
    stored = {t.slug: t for t in db_session().scalars(select(Topic).order_by(Topic.slug))}
    topics = [stored.pop(v.slug, None) or Topic(slug=v.slug, label_ru=v.label_ru, label_kk=v.label_kk,
                                                label_en=v.label_en) for v in VOCABULARY]
    return {"kinds": KINDS, "event_types": entries.EVENT_TYPES, "report_types": entries.REPORT_TYPES,
            "all_topics": topics + list(stored.values()), "entry_kinds": entries.ENTRY_KINDS}


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
            folder = jobs.incoming_dir(archive)
            folder.mkdir(parents=True, exist_ok=True)
            incoming = folder / uuid.uuid4().hex
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
            incoming.unlink(missing_ok=True)
    flash(_("Saved as a draft. Check it here; an editor publishes it."), "info")
    return redirect(url_for("members.review_one", pub_id=pub.id), 303)


@bp.app_template_global("entry_materials")
def _entry_materials(pub: Publication) -> list:
    """An event's published materials, for its public page."""
    return entries.materials_of(db_session(), pub)


@bp.app_template_filter("entry_date")
def _entry_date(value: str) -> str:
    """An entry's ISO date in the reader's language ("15 March 2024"); anything else as it is."""
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(str(value)), "long")
    except ValueError:
        return str(value or "")
