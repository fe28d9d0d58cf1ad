"""Editors' people tool: confirm name variants as one person (merge) or separate two people (split)."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import role_required
from ..core import db_session, get_archive
from ..errors import UserValueError
from ..ids import parse_id
from ..models import Publication
from ..names import SURNAME_KEY_LENGTH
from ..permissions import is_public
from ..services import indexing
from ..services.browse import PageOf
from ..services.people_merge import (AUTHORSHIPS_PER_PAGE, candidate_page, merge_people, person_with_authorships,
                                      split_person)
from ..services.profiles import update_profile
from .common import int_arg

logger = logging.getLogger(__name__)

bp = Blueprint("people_admin", __name__)

EDITORS = ("editor", "admin")


def _index_after_commit() -> None:
    indexing.index_after_commit(get_archive())


def _change_person(person_id: int, change):
    """Run ``change(session)``, commit and index; on a refusal roll back, say why and go back to the person.

    Returns (what ``change`` returned, None) or (None, the response to send instead)."""
    s = db_session()
    try:
        result = change(s)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return None, redirect(url_for("people_admin.person", person_id=person_id), 303)
    _index_after_commit()
    return result, None


def _form_int(name: str) -> int:
    value = parse_id(request.form.get(name))
    if value is None:
        raise UserValueError(_("Choose a person."))
    return value


@bp.get("/review/people")
@role_required(*EDITORS)
def people():
    """Pairs of people who may be one person under name variants, each with a Merge button, page after page
    (``?after=<surname key>&from=<person id>``, as ``candidate_page`` reads them)."""
    at = _page_position(request.args)
    page = candidate_page(db_session(), at.get("after", ""), int(at.get("from", 0)))
    return render_template("members/people.html", page=page, at=at)


def _page_position(values) -> dict[str, str]:
    """Where a page of possible duplicates starts: after the surname group ``after``, or within it from the pairs
    of the person ``from`` (both empty: the first page)."""
    # A key is printable text: anything else (a NUL, which PostgreSQL refuses in a parameter) cannot place a page.
    after = "".join(ch for ch in values.get("after", "")[:SURNAME_KEY_LENGTH] if ch.isprintable())
    start = parse_id(values.get("from", ""))
    return {"after": after, **({"from": str(start)} if start is not None else {})} if after else {}


@bp.get("/review/people/<int:person_id>")
@role_required(*EDITORS)
def person(person_id: int):
    """A person's authorships, a page at a time (``?page=``), with checkboxes to split some off into a new
    person."""
    page = int_arg("page", 1)
    p, merged_into, authorships, total = person_with_authorships(db_session(), person_id, page)
    if p is None:
        abort(404)
    listed = PageOf(authorships, total, page, AUTHORSHIPS_PER_PAGE)
    if page > listed.pages:
        return redirect(url_for("people_admin.person", person_id=person_id, page=listed.pages), 303)
    return render_template("members/people_person.html", person=p, listed=listed, merged_into=merged_into,
                           link=publication_link)


@bp.post("/review/people/merge")
@role_required(*EDITORS)
def merge():
    """Fold one person into another (the first, older record is kept)."""
    s = db_session()
    back = request.form.get("back") == "person"
    listed = url_for("people_admin.people", **_page_position(request.form))
    try:
        keep_id, merge_id = _form_int("keep_id"), _form_int("merge_id")
        keep = merge_people(s, keep_id, merge_id, user_id=current_user.id)
        s.commit()
    except UserValueError as exc:
        s.rollback()
        flash(exc.message, "error")
        kept = parse_id(request.form.get("keep_id"))
        if back and kept is not None:
            return redirect(url_for("people_admin.person", person_id=kept), 303)
        return redirect(listed, 303)
    _index_after_commit()
    flash(_("Merged: %(name)s.", name=keep.name), "info")
    if back:
        return redirect(url_for("people_admin.person", person_id=keep.id), 303)
    return redirect(listed, 303)


@bp.post("/review/people/<int:person_id>/split")
@role_required(*EDITORS)
def split(person_id: int):
    """Move the ticked authorships to a new person."""
    ids = [i for i in map(parse_id, request.form.getlist("authorship")) if i is not None]
    new, failed = _change_person(person_id, lambda s: split_person(s, person_id, ids, user_id=current_user.id))
    if failed:
        return failed
    flash(_("Split off as a new person: %(name)s.", name=new.name), "info")
    return redirect(url_for("people_admin.person", person_id=new.id), 303)


@bp.post("/review/people/<int:person_id>/profile")
@role_required(*EDITORS)
def profile(person_id: int):
    """Save a person's public profile: Latin name, degree, position, institution, bio, press contact, membership."""
    form = request.form.to_dict()
    _done, failed = _change_person(person_id, lambda s: update_profile(s, current_user, person_id, form))
    if failed:
        return failed
    flash(_("Profile saved."), "info")
    return redirect(url_for("people_admin.person", person_id=person_id), 303)


def publication_link(pub: Publication) -> str:
    """Where an editor reads the publication: the public page when published, else the review screen."""
    if is_public(pub):
        return url_for("main.publication", pub_id=pub.id)
    return url_for("members.review_one", pub_id=pub.id)
