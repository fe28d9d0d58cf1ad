"""Checks of what the records say (not of files or the index).

``manage.py check`` reports each finding; ``check --repair`` fixes what can be fixed without a person:
- characters XML 1.0 forbids are removed from every stored text (titles, abstracts, keywords, pages, names,
  volume titles) and the changed publications are indexed again;
- titles that break the metadata rules (cut at a function word or an open quote, a reference-list line, a
  generic header) are reported; drafts no person has edited get their metadata read again from their own
  pages by today's rules (an upgrade's better metadata reaches them), in the limited child process. Anything
  a person edited is never touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from uploads.errors import UploadError
from uploads.limits import run_limited
from uploads.metadata import RULES_VERSION, extract_metadata
from uploads.pipeline import process_file
from uploads.metadata.title import title_problems
from uploads.quality import strip_xml_forbidden
from uploads.references import ReferenceList
from uploads.types import Metadata

from ..models import AuditEvent, Person, PersonName, Publication, PublicationPage, Volume
from . import indexing
from .duplicates import title_key
from .references import store_references
from .review import set_authors

BATCH = 500


@dataclass
class RecordFindings:
    """Records whose stored text carries characters XML forbids, by table."""

    xml_forbidden: dict[str, list[int]] = field(default_factory=dict)     # table → ids

    def count(self) -> int:
        return sum(len(v) for v in self.xml_forbidden.values())


def _clean_value(value: Any) -> Any:
    """A stored value with the forbidden characters removed (strings, and strings inside lists and dicts)."""
    if isinstance(value, str):
        return strip_xml_forbidden(value)
    if isinstance(value, list):
        return [_clean_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean_value(v) for k, v in value.items()}
    return value


_FIELDS: dict[type, tuple[str, ...]] = {
    Publication: ("title", "titles", "abstracts", "keywords", "extra", "withdrawal_reason", "udc", "bbk"),
    PublicationPage: ("text", "printed"),
    Person: ("name", "surname", "given", "name_latin", "degree", "position", "institution", "bio"),
    PersonName: ("name",),
    Volume: ("title", "event_title", "place", "dates_text", "publisher", "editors"),
}


def _rows(session: Session, model: type) -> Iterator[Any]:
    last = 0
    while True:
        rows = list(session.scalars(select(model).where(model.id > last).order_by(model.id).limit(BATCH)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def check_xml_text(session: Session, repair: bool = False) -> tuple[RecordFindings, set[int]]:
    """Find (and with ``repair`` clean) stored text XML cannot carry; returns the findings and the ids of the
    publications to index again. The caller commits."""
    found = RecordFindings()
    touched: set[int] = set()
    for model, names in _FIELDS.items():
        for row in _rows(session, model):
            dirty = False
            for name in names:
                value = getattr(row, name)
                cleaned = _clean_value(value)
                if cleaned != value:
                    dirty = True
                    if repair:
                        setattr(row, name, cleaned)
            if dirty:
                found.xml_forbidden.setdefault(model.__tablename__, []).append(row.id)
                if model is Publication:
                    touched.add(row.id)
                elif model is PublicationPage:
                    touched.add(row.publication_id)
    if repair and touched:
        indexing.enqueue(session, sorted(touched))
    return found, touched


# --- metadata rules --------------------------------------------------------------------------------

EDIT_ACTIONS = ("publication.edit", "publication.kind", "publication.create", "volume.merge", "volume.split",
                "volume.boundary")


def metadata_findings(session: Session) -> dict[str, list[int]]:
    """Publications whose title breaks a metadata rule, by rule ("cut", "reference", "generic", "empty")."""
    out: dict[str, list[int]] = {}
    for pid, title in session.execute(select(Publication.id, Publication.title).order_by(Publication.id)):
        for problem in title_problems(title or ""):
            out.setdefault(problem, []).append(pid)
    return out


def _edited_ids(session: Session) -> set[int]:
    """Publications a person changed (their metadata is the person's, never re-derived)."""
    ids = set(session.scalars(select(AuditEvent.object_id).where(AuditEvent.object_type == "publication",
                                                                 AuditEvent.action.in_(EDIT_ACTIONS))))
    for details in session.scalars(select(AuditEvent.details).where(AuditEvent.action.in_(EDIT_ACTIONS))):
        if isinstance(details, dict):
            ids.update(v for k, v in details.items() if k in ("article", "new_article") and isinstance(v, int))
    return ids


def rederive_drafts(archive, session: Session) -> list[int]:
    """Propose the metadata of unedited stand-alone drafts again by today's rules (``RULES_VERSION``): their
    stored file goes through the extraction once more in the limited child, without OCR (pages read by OCR
    before keep their stored text for the rules), and what changed is applied. Returns the ids changed; a
    record already read by today's rules is left alone. The caller commits."""
    edited = _edited_ids(session)
    changed: list[int] = []
    for pub in session.scalars(select(Publication).where(Publication.status == "draft",
                                                         Publication.parent_id.is_(None),
                                                         Publication.kind == "article")
                               .order_by(Publication.id)):
        if (pub.extra or {}).get("metadata_rules") == RULES_VERSION:
            continue
        if pub.id in edited or not pub.pages:
            pub.extra = {**(pub.extra or {}), "metadata_rules": RULES_VERSION}   # a person's word stands
            continue
        md, lists = _reread(archive, pub)
        pub.extra = {**(pub.extra or {}), "metadata_rules": RULES_VERSION}
        if lists is not None:
            store_references(session, pub, lists)      # today's reader of reference lists, decisions kept
        if md is not None and _apply(session, pub, md):
            session.add(AuditEvent(user_id=None, action="publication.rederive", object_type="publication",
                                   object_id=pub.id, details={"title": pub.title[:200], "rules": RULES_VERSION}))
            changed.append(pub.id)
    return changed


def _reread(archive, pub: Publication) -> tuple[Metadata | None, list[ReferenceList] | None]:
    """The metadata today's rules propose for a stored publication (None when it cannot be read), and its
    reference lists when its file could be read again."""
    limits = replace(archive.limits, ocr=False)
    sf = pub.source_file
    if sf is not None and archive.files.exists(sf.sha256):
        try:
            doc = process_file(archive.files.path_for(sf.sha256), limits)
            if doc.metadata.title:
                return doc.metadata, doc.references
        except UploadError:
            pass
    try:
        return run_limited(extract_metadata, ([p.text for p in pub.pages[:12]],), limits), None
    except UploadError:
        return None, None


def _apply(session: Session, pub: Publication, md: Metadata) -> bool:
    """Take the re-derived values that are there (an empty one never erases a stored value)."""
    dirty = False
    title = " ".join((md.title or "").split())[:2000]
    if title and title != pub.title:
        pub.title, pub.title_key, dirty = title, title_key(title), True
        if md.language:
            pub.titles = {**{k: v for k, v in (pub.titles or {}).items() if k != md.language}, md.language: title}
    for name in ("year", "language", "udc", "bbk", "isbn", "doi"):
        value = getattr(md, name)
        if value and value != getattr(pub, name):
            setattr(pub, name, value)
            dirty = True
    if md.abstracts and md.abstracts != (pub.abstracts or {}):
        pub.abstracts, dirty = dict(md.abstracts), True
    if md.keywords and list(md.keywords) != list(pub.keywords or []):
        pub.keywords, dirty = list(md.keywords), True
    printed = [a.name_as_printed for a in pub.authorships]
    if md.authors and [a.name for a in md.authors] != printed:
        set_authors(session, pub, md.authors)
        dirty = True
    return dirty
