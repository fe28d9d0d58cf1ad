"""Checks of what the records say (not of files or the index): text no XML writer may carry.

``manage.py check`` reports each finding; ``check --repair`` fixes what can be fixed without a person —
characters XML 1.0 forbids are removed from every stored text (titles, abstracts, keywords, pages, names,
volume titles) and the changed publications are indexed again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from uploads.quality import strip_xml_forbidden

from ..models import Person, PersonName, Publication, PublicationPage, Volume
from . import indexing

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
