"""The group's other work as first-class entries: media commentary, events, recommendations and notes.

Like the review operations, each function takes a session, the acting user and plain values, checks
permission, records an ``AuditEvent`` in the same transaction and leaves the commit to the caller.
New entries are drafts of their creator; they reach readers (and the index) through ``publishing.publish``.
Kind-specific fields live in ``Publication.extra``:

- commentary: ``outlet``, ``date`` (ISO), ``url`` (http/https), ``quote`` (plain text);
- event: ``event_type``, ``date``, ``date_end``, ``place``, ``programme`` (sanitised rich text),
  ``materials`` (ids of other publications);
- report: ``report_type``, ``date``, ``addressee``.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..errors import PermissionDeniedError, UserValueError
from ..i18n import _
from ..models import KINDS, Publication, PublicationTopic
from ..permissions import Actor, is_editor, require_edit
from ..sanitize import clean_html, plain_text
from . import audit, indexing, review
from .duplicates import title_key
from .ingest import ingest_file
from .publications import get_visible
from .review import LANGUAGES
from .topics import ensure_topics

logger = logging.getLogger(__name__)

ENTRY_KINDS = ("commentary", "event", "report")
EVENT_TYPES = ("conference", "round_table", "seminar")
REPORT_TYPES = ("recommendation", "analytical_note")
# The extra keys each kind owns; a kind change drops the keys of the old kind only.
EXTRA_FIELDS = {
    "commentary": ("outlet", "date", "url", "quote"),
    "event": ("event_type", "date", "date_end", "place", "programme", "materials"),
    "report": ("report_type", "date", "addressee"),
}
MAX_URL = 2000
MAX_QUOTE = 5000
MAX_PROGRAMME = 50000
MAX_MATERIALS = 100
_SPACES = re.compile(r"\s+")
_PUB_REF = re.compile(r"^(?:.*/(?:p|review)/)?(\d{1,9})/?$")


def _line(values: Mapping[str, Any], key: str, limit: int = 300) -> str:
    return _SPACES.sub(" ", str(values.get(key) or "")).strip()[:limit]


def validate_url(value: str) -> str:
    """An http(s) address with a host, or ``UserValueError``; "" stays "" (the link is optional)."""
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if (len(value) > MAX_URL or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or any(ch.isspace() or ord(ch) < 32 for ch in value)):
        raise UserValueError(_("The link must be a full web address starting with http:// or https://."))
    return value


def parse_date(value: str, required: bool = False) -> Optional[date]:
    """A date written as 2024-03-15 (what a date field sends); ``UserValueError`` for anything else."""
    value = (value or "").strip()
    if not value:
        if required:
            raise UserValueError(_("Give the date, for example 2024-03-15."))
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise UserValueError(_("Give the date as year-month-day, for example 2024-03-15.")) from None
    if not 1900 <= d.year <= 2100:
        raise UserValueError(_("Give the date as year-month-day, for example 2024-03-15."))
    return d


def parse_materials(session: Session, text: str, own_id: Optional[int] = None) -> list[int]:
    """Publication numbers or archive links ("/p/12", "/review/12"), one per line, that exist."""
    ids: list[int] = []
    for line in re.split(r"[\n,;]", text or ""):
        line = line.strip()
        if not line:
            continue
        m = _PUB_REF.match(line.split("?")[0].split("#")[0])
        if not m:
            raise UserValueError(_("“%(line)s” is not a publication number or a link to one in the archive.",
                                   line=line[:80]))
        pid = int(m.group(1))
        if pid != own_id and pid not in ids:
            ids.append(pid)
    if len(ids) > MAX_MATERIALS:
        raise UserValueError(_("At most %(n)d materials per event.", n=MAX_MATERIALS))
    if ids:
        found = set(session.scalars(select(Publication.id).where(Publication.id.in_(ids))))
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise UserValueError(_("No publication with number %(ids)s in the archive.", ids=", ".join(missing)))
    return ids


def materials_of(session: Session, pub: Publication, public_only: bool = True) -> list[Publication]:
    """An event's materials in the order given (readers see only the published ones)."""
    ids = [i for i in (pub.extra or {}).get("materials") or [] if isinstance(i, int)]
    if not ids:
        return []
    q = select(Publication).where(Publication.id.in_(ids))
    if public_only:
        q = q.where(Publication.status == "published")
    found = {p.id: p for p in session.scalars(q)}
    return [found[i] for i in ids if i in found]


def set_topics(session: Session, pub: Publication, slugs: list[str]) -> list[str]:
    """Replace the publication's topics by the chosen vocabulary slugs (chosen by a person, not suggested)."""
    known = {t.slug: t for t in ensure_topics(session)}
    chosen = [s for s in dict.fromkeys(slugs) if s in known]
    session.execute(delete(PublicationTopic).where(PublicationTopic.publication_id == pub.id))
    for slug in chosen:
        session.add(PublicationTopic(publication_id=pub.id, topic_id=known[slug].id, suggested=False))
    session.flush()
    session.expire(pub, ["topics"])
    return chosen


def _kind_extra(session: Session, kind: str, values: Mapping[str, Any], own_id: Optional[int] = None
                ) -> tuple[dict[str, Any], Optional[date]]:
    """The validated extra fields of a kind and the entry's date (for the year)."""
    extra: dict[str, Any] = {}
    when: Optional[date] = None
    if kind == "commentary":
        extra["outlet"] = _line(values, "outlet")
        if not extra["outlet"]:
            raise UserValueError(_("Name the outlet (newspaper, site, channel) where the commentary appeared."))
        when = parse_date(values.get("date", ""), required=True)
        extra["url"] = validate_url(values.get("url", ""))
        # The quote is plain text: markup someone pasted is reduced to its text, and escaped on output.
        quote = plain_text(clean_html(str(values.get("quote") or ""))).strip()
        if not quote:
            raise UserValueError(_("Give the quote: what the person said."))
        if len(quote) > MAX_QUOTE:
            raise UserValueError(_("The quote is too long (at most %(n)d characters).", n=MAX_QUOTE))
        extra["quote"] = quote
    elif kind == "event":
        event_type = (values.get("event_type") or "conference").strip()
        if event_type not in EVENT_TYPES:
            raise UserValueError(_("Choose the kind of event: conference, round table or seminar."))
        extra["event_type"] = event_type
        when = parse_date(values.get("date", ""), required=True)
        end = parse_date(values.get("date_end", ""))
        if end is not None and end < when:
            raise UserValueError(_("The event cannot end before it begins."))
        extra["date_end"] = end.isoformat() if end else ""
        extra["place"] = _line(values, "place")
        extra["programme"] = clean_html(str(values.get("programme") or ""))[:MAX_PROGRAMME]
        extra["materials"] = parse_materials(session, str(values.get("materials") or ""), own_id)
    elif kind == "report":
        report_type = (values.get("report_type") or "recommendation").strip()
        if report_type not in REPORT_TYPES:
            raise UserValueError(_("Choose recommendation or analytical note."))
        extra["report_type"] = report_type
        when = parse_date(values.get("date", ""))
        extra["addressee"] = _line(values, "addressee", 500)
    extra["date"] = when.isoformat() if when else ""
    return extra, when


def _titles(values: Mapping[str, Any], language: str) -> tuple[str, dict[str, str]]:
    """The main title and the titles per language ("title" or "title_ru"/"title_kk"/"title_en")."""
    titles = {lang: _line(values, f"title_{lang}", 2000) for lang in LANGUAGES}
    titles = {k: v for k, v in titles.items() if v}
    main = _line(values, "title", 2000)
    if main:
        titles.setdefault(language or "ru", main)
    else:
        main = titles.get(language) or next(iter(titles.values()), "")
    return main, titles


def _language(values: Mapping[str, Any]) -> str:
    language = (values.get("language") or "").strip()
    if language and language not in LANGUAGES:
        raise UserValueError(_("Unknown language; choose Russian, Kazakh or English."))
    return language


def _commentary_title(extra: dict[str, Any]) -> str:
    quote = extra["quote"]
    short = quote if len(quote) <= 90 else quote[:90].rsplit(" ", 1)[0] + "…"
    return f"{extra['outlet']}: «{short}»"


def create_entry(session: Session, user: Actor, kind: str, values: Mapping[str, Any],
                 pub: Optional[Publication] = None) -> Publication:
    """A new draft commentary, event or report from form values (``pub``: a draft made from a file)."""
    if user is None or not getattr(user, "id", None):
        raise PermissionDeniedError(_("Sign in first."))
    if kind not in ENTRY_KINDS:
        raise UserValueError(_("Unknown kind of entry."))
    language = _language(values)
    extra, when = _kind_extra(session, kind, values, pub.id if pub is not None else None)
    title, titles = _titles(values, language)
    if not title and kind == "commentary":
        title = _commentary_title(extra)
        titles = {language or "ru": title}
    if not title:
        raise UserValueError(_("The title cannot be empty."))
    people = review.parse_authors(str(values.get("authors") or ""))
    if kind == "commentary" and not people:
        raise UserValueError(_("Name the person who commented (one per line: Surname Given names)."))
    abstracts = {}
    for lang in LANGUAGES:
        text = clean_html(str(values.get(f"abstract_{lang}") or ""))[:20000]
        if text:
            abstracts[lang] = text
    if pub is None:
        pub = Publication(status="draft", created_by_id=user.id, keywords=[])
        session.add(pub)
    else:
        require_edit(user, pub)
    pub.kind = kind
    pub.title = title
    pub.titles = titles
    pub.title_key = title_key(title)
    pub.language = language or pub.language or ""
    if abstracts:
        pub.abstracts = abstracts
    pub.year = when.year if when else (pub.year or review.parse_year(str(values.get("year") or "")))
    pub.extra = {**(pub.extra or {}), **extra}
    session.flush()
    if people or not pub.authorships:
        review.set_authors(session, pub, people)
    slugs = [str(s) for s in (values.get("topics") or [])]
    if slugs:
        set_topics(session, pub, slugs)
    audit.publication_event(session, user, "publication.create", pub.id, kind=kind, title=title[:200])
    session.flush()
    return pub


def scoped(values: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Form values with the fields of one kind unprefixed: the review form names them "<kind>-<field>"."""
    out = dict(values)
    prefix = f"{kind}-"
    out.update({k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)})
    return out


def update_entry_fields(session: Session, user: Actor, pub_id: int, values: Mapping[str, Any]) -> Publication:
    """The review form's kind and kind-specific fields: change the kind, edit outlet/link/quote/event/report."""
    pub = get_visible(session, user, pub_id)
    require_edit(user, pub)
    kind = (values.get("kind") or pub.kind).strip()
    if kind not in KINDS:
        raise UserValueError(_("Unknown kind of entry."))
    if kind != pub.kind and not is_editor(user):
        raise PermissionDeniedError(_("Only editors can change the kind of a publication."))
    if kind != pub.kind and "volume" in (kind, pub.kind):
        raise UserValueError(_("A volume keeps its kind: its articles hang on it."))
    old_kind, old_extra = pub.kind, dict(pub.extra or {})
    extra = {k: v for k, v in old_extra.items() if k not in EXTRA_FIELDS.get(old_kind, ())}
    when = None
    if kind in EXTRA_FIELDS:
        new, when = _kind_extra(session, kind, scoped(values, kind), pub.id)
        extra.update(new)
    changes: dict[str, Any] = {}
    if kind != old_kind:
        changes["kind"] = [old_kind, kind]
    for key in sorted(set(extra) | set(old_extra)):
        if extra.get(key) != old_extra.get(key):
            changes[key] = [str(old_extra.get(key, ""))[:200], str(extra.get(key, ""))[:200]]
    if "topics_shown" in values:
        before = sorted(t.slug for t in pub.topics)
        after = sorted(set_topics(session, pub, [str(s) for s in (values.get("topics") or [])]))
        if before != after:
            changes["topics"] = ["; ".join(before), "; ".join(after)]
    if not changes:
        return pub
    pub.kind = kind
    pub.extra = extra
    if when is not None:
        pub.year = when.year
    audit.publication_event(session, user, "publication.kind" if "kind" in changes else "publication.edit", pub.id,
                 changes=changes)
    indexing.enqueue_public(session, [pub])
    session.flush()
    return pub


def create_report_from_file(archive, session: Session, user: Actor, values: Mapping[str, Any], path: Path,
                            name: str) -> Publication:
    """Take the file in through the ingest service (a draft), then make it a report with the form's fields.

    Fields left empty in the form keep what was read from the file (title, authors, year, abstract).
    """
    # The form is checked before the file is taken in, so a typo does not leave a stray draft behind.
    _language(values)
    _kind_extra(session, "report", values)
    review.parse_authors(str(values.get("authors") or ""))
    review.parse_year(str(values.get("year") or ""))
    outcome = ingest_file(archive, path, name, publish=False, user_id=user.id)
    if outcome.status == "duplicate":
        raise UserValueError(_("The same file is already in the archive."))
    if outcome.status != "ok" or not outcome.publication_ids:
        raise UserValueError(_(outcome.error or "The file could not be processed."))
    pub = get_visible(session, user, outcome.publication_ids[0])
    filled = dict(values)
    if not any(_line(values, k) for k in ("title", "title_ru", "title_kk", "title_en")):
        filled["title"] = pub.title
    if not str(values.get("authors") or "").strip():
        filled["authors"] = "\n".join(a.name_as_printed or a.person.name for a in pub.authorships)
    if not (values.get("language") or "").strip():
        filled["language"] = pub.language if pub.language in LANGUAGES else ""
    if not str(values.get("year") or "").strip() and pub.year:
        filled["year"] = str(pub.year)
    return create_entry(session, user, "report", filled, pub=pub)
