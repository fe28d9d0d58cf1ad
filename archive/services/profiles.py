"""A person's public profile (Latin name, degree, position, institution, bio, press contact, membership).

Editors edit it; the change is audited in the caller's transaction and the person's publications are
re-indexed (the Latin name is searched as an author name). The caller commits.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NotFoundError, PermissionDeniedError, UserValueError
from ..i18n import _
from ..models import Authorship, Person, Publication
from ..permissions import Actor, is_editor
from ..sanitize import clean_html
from . import audit, indexing

_SPACES = re.compile(r"\s+")
LIMITS = {"name_latin": 300, "degree": 200, "position": 300, "institution": 300, "press_contact": 300}
MAX_BIO = 10000


def _flag(values: Mapping[str, Any], key: str) -> bool:
    return str(values.get(key) or "").strip().lower() in ("1", "on", "true", "yes")


def update_profile(session: Session, user: Actor, person_id: int, values: Mapping[str, Any]) -> Person:
    """Save the profile form of one person (editors only); returns the person."""
    if not is_editor(user):
        raise PermissionDeniedError(_("Only editors can edit people's profiles."))
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(_("No such person."))
    if person.merged_into_id is not None:
        raise UserValueError(_("This person was merged into another; edit that person's profile instead."))
    labels = {"name_latin": _("Name in Latin letters"), "degree": _("Degree"), "position": _("Position"),
              "institution": _("Institution"), "press_contact": _("Contact for the press")}
    new: dict[str, Any] = {}
    for key, limit in LIMITS.items():
        text = _SPACES.sub(" ", str(values.get(key) or "")).strip()
        if len(text) > limit:
            raise UserValueError(_("“%(field)s” is too long (at most %(n)d characters).", field=labels[key], n=limit))
        new[key] = text
    bio = clean_html(str(values.get("bio") or ""))
    if len(bio) > MAX_BIO:
        raise UserValueError(_("The biography is too long (at most %(n)d characters).", n=MAX_BIO))
    new["bio"] = bio
    new["press_contact_agreed"] = _flag(values, "press_contact_agreed")
    new["is_member"] = _flag(values, "is_member")
    if new["press_contact_agreed"] and not new["press_contact"]:
        raise UserValueError(_("Give the contact for the press, or untick the agreement."))
    changes = {k: [str(getattr(person, k))[:200], str(v)[:200]] for k, v in new.items() if getattr(person, k) != v}
    if not changes:
        return person
    for key, value in new.items():
        setattr(person, key, value)
    audit.record(session, user.id, "person.edit", "person", person.id, changes=changes)
    if "name_latin" in changes:
        ids = list(session.scalars(select(Authorship.publication_id).join(Publication)
                                   .where(Authorship.person_id == person.id, Publication.status != "draft")))
        if ids:
            indexing.enqueue(session, sorted(set(ids)))
    session.flush()
    return person
