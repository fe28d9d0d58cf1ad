"""Typed SQLAlchemy 2.x models: the database is the source of truth (no I/O, no indexing here)."""
from __future__ import annotations

import functools
import hashlib
from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, MetaData, String,
                        Text, UniqueConstraint, event, false, func, inspect, select, update)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from uploads.quality import has_xml_forbidden, strip_xml_forbidden

from .collation import SORT_NAME_LENGTH, initial, sort_name
from .names import SURNAME_KEY_LENGTH, person_surname_key

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Byte order on PostgreSQL too (its default collation may weigh characters otherwise).
SORT_NAME_TYPE = String(SORT_NAME_LENGTH).with_variant(String(SORT_NAME_LENGTH, collation="C"), "postgresql")
SURNAME_KEY_TYPE = String(SURNAME_KEY_LENGTH).with_variant(String(SURNAME_KEY_LENGTH, collation="C"), "postgresql")

class unindexed(ColumnElement):
    """``column``'s value where no index of it should serve the statement: ``+column`` on SQLite (its way to keep
    the planner off that index), the column itself elsewhere.

    SQLite keeps no statistics here, so it takes an equality on any indexed column for a selective one: for
    "status = 'published'" (most rows) it walked every published publication by the status index, then sorted or
    joined them, where the statement wanted ten rows in another index's order or a few people's works."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column) -> None:
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _unindexed(element: unindexed, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


KINDS = ("article", "volume", "report", "commentary", "event")
STATUSES = ("draft", "published", "withdrawn")
ROLES = ("member", "editor", "admin")


def utcnow() -> datetime:
    """Timezone-aware now in UTC (a function so tests can freeze the clock)."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


@functools.lru_cache(maxsize=None)
def _text_columns(mapper) -> tuple[tuple[str, Optional[int]], ...]:
    """(attribute, length or None) of a mapped class's text columns."""
    return tuple((attr.key, attr.columns[0].type.length) for attr in mapper.column_attrs
                 if len(attr.columns) == 1 and isinstance(attr.columns[0].type, String))


@event.listens_for(Session, "before_flush")
def _fit_text(session: Session, _context, _instances) -> None:
    """Every text written fits its column and XML: the characters XML 1.0 forbids (NUL, other C0 controls,
    lone surrogates) are dropped and a value longer than its column is cut. PostgreSQL refused both (a member's
    correction with a NUL or one overlong author line was a 500 and was lost), where SQLite stored them and the
    record's exports then broke. One place for every writer: forms, uploads, merges, commands."""
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for key, length in _text_columns(state.mapper):
            value = state.dict.get(key)
            if not isinstance(value, str):
                continue
            fitted = strip_xml_forbidden(value) if has_xml_forbidden(value) else value
            if length and len(fitted) > length:
                fitted = fitted[:length]
            if fitted is not value:
                setattr(obj, key, fitted)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[str] = mapped_column(String(20), default="member")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # session_token, failed_logins, locked_until: no longer read (sessions are UserSession rows, guesses are
    # counted per address in the rate-limit storage); kept so older databases need no column dropped.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class StoredFile(Base):
    """An original file, stored once by content hash under ``files/<sha[:2]>/<sha>``."""

    __tablename__ = "stored_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(1000))
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(120))
    page_count: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Volume(TimestampMixin, Base):
    """A conference volume or collection (сборник): the book-level metadata its articles carry."""

    __tablename__ = "volumes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    event_title: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    date_start: Mapped[Optional[date]] = mapped_column(Date)
    date_end: Mapped[Optional[date]] = mapped_column(Date)
    dates_text: Mapped[str] = mapped_column(String(200), default="")
    editors: Mapped[list[Any]] = mapped_column(default=list)
    isbn: Mapped[str] = mapped_column(String(40), default="")
    publisher: Mapped[str] = mapped_column(String(300), default="")
    year: Mapped[Optional[int]] = mapped_column(Integer)
    udc: Mapped[str] = mapped_column(String(100), default="")
    bbk: Mapped[str] = mapped_column(String(100), default="")
    slug: Mapped[str] = mapped_column(String(200), default="")
    publications: Mapped[list["Publication"]] = relationship(back_populates="volume",
                                                             foreign_keys="Publication.volume_id")


def pages_label(start: Optional[int], end: Optional[int]) -> Optional[str]:
    """Printed page range "12-18" (or "12") of a publication within its volume, if known."""
    if start and end and end != start:
        return f"{start}-{end}"
    return str(start) if start else None


class Publication(TimestampMixin, Base):
    __tablename__ = "publications"
    # The listings of a year, language or kind are read a page at a time, newest first, from these indexes:
    # a cursor (year, id), never an offset (``archive.services.browse.listing_page``).
    __table_args__ = (Index("ix_publications_published_at", "published_at", "id"),
                      Index("ix_publications_year_id", "year", "id"),
                      Index("ix_publications_language_year", "language", "year", "id"),
                      Index("ix_publications_kind_year", "kind", "year", "id"),
                      # OAI-PMH lists, in datestamp order from a (datestamp, id) position (``services.harvest``)
                      Index("ix_publications_updated_at", "updated_at", "id"),
                      Index("ix_publications_created_by", "created_by_id", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="article")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    titles: Mapped[dict[str, Any]] = mapped_column(default=dict)        # lang -> title
    abstracts: Mapped[dict[str, Any]] = mapped_column(default=dict)     # lang -> sanitised text
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8), default="")
    year: Mapped[Optional[int]] = mapped_column(Integer)
    udc: Mapped[str] = mapped_column(String(100), default="")
    bbk: Mapped[str] = mapped_column(String(100), default="")
    isbn: Mapped[str] = mapped_column(String(40), default="")
    doi: Mapped[str] = mapped_column(String(200), default="")
    volume_id: Mapped[Optional[int]] = mapped_column(ForeignKey("volumes.id", ondelete="SET NULL"), index=True)
    page_start: Mapped[Optional[int]] = mapped_column(Integer)       # printed pages inside the volume
    page_end: Mapped[Optional[int]] = mapped_column(Integer)
    pdf_page_start: Mapped[Optional[int]] = mapped_column(Integer)   # physical pages of the source file
    pdf_page_end: Mapped[Optional[int]] = mapped_column(Integer)
    source_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_files.id", ondelete="RESTRICT"))
    article_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("publications.id", ondelete="SET NULL"))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)          # kind-specific fields (outlet, url...)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))   # newest first: the home page
    withdrawn_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[Optional[int]] = mapped_column(ForeignKey("publications.id", ondelete="SET NULL"))
    title_key: Mapped[str] = mapped_column(String(300), default="", index=True)   # for duplicate checks
    simhash: Mapped[Optional[int]] = mapped_column(BigInteger, index=True)        # SimHash of the text

    volume: Mapped[Optional[Volume]] = relationship(back_populates="publications", foreign_keys=[volume_id])
    source_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[source_file_id])
    article_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[article_file_id])
    authorships: Mapped[list["Authorship"]] = relationship(back_populates="publication", order_by="Authorship.position",
                                                           cascade="all, delete-orphan")
    pages: Mapped[list["PublicationPage"]] = relationship(back_populates="publication",
                                                          order_by="PublicationPage.number",
                                                          cascade="all, delete-orphan")
    topics: Mapped[list["Topic"]] = relationship(secondary="publication_topics", order_by="Topic.slug")

    @property
    def authors(self) -> list["Person"]:
        return [a.person for a in self.authorships]

    @property
    def pages_label(self) -> Optional[str]:
        """Printed page range "12-18" (or "12") within the volume, if known."""
        return pages_label(self.page_start, self.page_end)


class PublicationPage(Base):
    """The text of one page and how it was obtained (text, repaired, ocr, docx, empty)."""

    __tablename__ = "publication_pages"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)             # 1-based page within this publication
    printed: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(20), default="text")
    problems: Mapped[list[Any]] = mapped_column(default=list)
    publication: Mapped[Publication] = relationship(back_populates="pages")


class Person(TimestampMixin, Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))            # display form "Иванов Алексей Борисович"
    surname: Mapped[str] = mapped_column(String(200), default="")
    given: Mapped[str] = mapped_column(String(200), default="")
    name_latin: Mapped[str] = mapped_column(String(300), default="")
    name_key: Mapped[str] = mapped_column(String(300), default="", index=True)   # "иванов а б" for matching
    degree: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(300), default="")
    institution: Mapped[str] = mapped_column(String(300), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    press_contact: Mapped[str] = mapped_column(String(300), default="")
    # The person agreed to be contacted by the press: only then is ``press_contact`` shown to readers.
    press_contact_agreed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The alphabetical index (``/authors``) reads people in this order a page at a time: set from ``name``
    # whenever a person is written (``_index_fields``); "C" collation on PostgreSQL, byte order on SQLite.
    index_letter: Mapped[str] = mapped_column(String(2), default="", server_default="")
    sort_name: Mapped[str] = mapped_column(SORT_NAME_TYPE, default="", server_default="")
    # The editors' possible duplicates are people sharing this key ("ivanov|m" for Иванов and Ivanov, "baizhan|m"
    # for Байжанұлы and Байжанов; ``names.person_surname_key``), read a group at a time; set whenever a person is
    # written.
    surname_key: Mapped[str] = mapped_column(SURNAME_KEY_TYPE, default="", server_default="")
    variants: Mapped[list["PersonName"]] = relationship(back_populates="person", cascade="all, delete-orphan")
    authorships: Mapped[list["Authorship"]] = relationship(back_populates="person")

    __table_args__ = (Index("ix_people_index_letter_sort_name", "index_letter", "sort_name", "id"),
                      Index("ix_people_sort_name", "sort_name", "id"),
                      Index("ix_people_surname_key", "surname_key", "merged_into_id", "id"))


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _index_fields(_mapper, _conn, person: Person) -> None:
    person.index_letter = initial(person.name or "")
    person.sort_name = sort_name(person.name or "")
    person.surname_key = person_surname_key(person.name or "", person.surname or "")


class PersonName(Base):
    """A name form seen for a person ("Иванов А.Б.", "Ivanov A.B.")."""

    __tablename__ = "person_names"
    __table_args__ = (UniqueConstraint("person_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300), index=True)
    person: Mapped[Person] = relationship(back_populates="variants")


class Authorship(Base):
    __tablename__ = "authorships"
    __table_args__ = (UniqueConstraint("publication_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name_as_printed: Mapped[str] = mapped_column(String(300), default="")
    affiliation: Mapped[str] = mapped_column(Text, default="")
    publication: Mapped[Publication] = relationship(back_populates="authorships")
    person: Mapped[Person] = relationship(back_populates="authorships")


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    label_ru: Mapped[str] = mapped_column(String(200))
    label_kk: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))

    def label(self, locale: str) -> str:
        return self.pick_label(locale, self.label_ru, self.label_kk, self.label_en)

    @staticmethod
    def pick_label(locale: str, ru: str, kk: str, en: str) -> str:
        """The label in ``locale``, else the Russian one."""
        return {"ru": ru, "kk": kk, "en": en}.get(locale) or ru


class PublicationTopic(Base):
    __tablename__ = "publication_topics"
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)
    # The publication's year and publication time, kept here (``_link_year``, ``_links_follow_year``) so that a
    # topic's listing is read a page at a time, newest first, from the (topic_id, year, publication_id) index, and
    # its feed's newest confirmed records from the (topic_id, suggested, published_at, publication_id) one.
    year: Mapped[Optional[int]] = mapped_column(Integer)
    published_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_publication_topics_topic_year", "topic_id", "year", "publication_id"),
                      Index("ix_publication_topics_topic_published", "topic_id", "suggested", "published_at",
                            "publication_id"))


@event.listens_for(PublicationTopic, "before_insert")
def _link_year(_mapper, conn, link: PublicationTopic) -> None:
    link.year, link.published_at = conn.execute(select(Publication.year, Publication.published_at)
                                                .where(Publication.id == link.publication_id)).one()


@event.listens_for(Publication, "after_update")
def _links_follow_year(_mapper, conn, pub: Publication) -> None:
    attrs = inspect(pub).attrs
    if attrs.year.history.has_changes() or attrs.published_at.history.has_changes():
        conn.execute(update(PublicationTopic).where(PublicationTopic.publication_id == pub.id)
                     .values(year=pub.year, published_at=pub.published_at))


class ProcessingRecord(Base):
    """What happened to one incoming file: status, message for the person, details for editors."""

    __tablename__ = "processing_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    original_name: Mapped[str] = mapped_column(String(1000))
    stored_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stored_files.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="queued")   # queued|running|ok|duplicate|error
    message: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[str] = mapped_column(String(40), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)      # methods per page, warnings, timings
    publication_ids: Mapped[list[Any]] = mapped_column(default=list)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class BackgroundJob(Base):
    """Long work done outside the request (publishing a volume, rebuilding the index), with its progress.

    ``progress`` is {"stage", "done", "total"} while it runs; ``message`` says what happened (person-safe).
    At most one job of a kind runs for one target: the service checks before it queues.
    """

    __tablename__ = "background_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))                        # publish | recut | reindex
    status: Mapped[str] = mapped_column(String(20), default="queued")    # queued|running|done|error
    target_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)   # the publication, when there is one
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))


class IndexTask(Base):
    """Pending index work recorded in the database, so a crash between commit and index is caught up."""

    __tablename__ = "index_tasks"
    __table_args__ = (Index("ix_index_tasks_publication", "publication_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(Integer)      # no FK: deletions must stay recorded
    action: Mapped[str] = mapped_column(String(10))          # "update" | "remove"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(Base):
    """Who changed what, when."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, server_default=func.now())
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[Optional[int]] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class UsageCount(Base):
    """Views or downloads of one publication on one day: a bare counter (no addresses, no browsers, no people)."""

    __tablename__ = "usage_counts"
    __table_args__ = (UniqueConstraint("publication_id", "day", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))                       # "view" | "download"
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UserSession(Base):
    """One signed-in browser: the session cookie carries ``token``; this row says whether it still counts.

    Only a hash of the token is kept, so a copy of the database opens no session. Signing out revokes this
    row alone; "log out everywhere", a password change (except the session that made it) and
    deactivation revoke all of a person's rows.
    """

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)          # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))

    @staticmethod
    def hash_token(token: str) -> str:
        """What is stored of a cookie's token (sha256: the token is random, so no salt is needed)."""
        return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


LINK_STATUSES = ("auto", "confirmed", "removed")


class PublicationReference(Base):
    """One entry of a publication's reference list, as printed (``raw``) and as parsed.

    ``target_publication_id`` is the archive work it cites when one was found (``link_status`` "auto", with
    the match ``score``) or a person confirmed it ("confirmed"); "removed" means a person took the link away,
    and automatic linking leaves the entry alone from then on.
    """

    __tablename__ = "publication_references"
    __table_args__ = (UniqueConstraint("publication_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)                 # 1-based, over all lists of the publication
    list_heading: Mapped[str] = mapped_column(String(200), default="")
    raw: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[Any]] = mapped_column(default=list)
    title: Mapped[str] = mapped_column(Text, default="")
    container: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[Optional[int]] = mapped_column(Integer)
    pages: Mapped[str] = mapped_column(String(100), default="")
    doi: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(Text, default="")
    parse_status: Mapped[str] = mapped_column(String(10), default="unparsed")
    # Skeleton of the title's first word: finds the entries a newly published work may be cited by.
    head_key: Mapped[str] = mapped_column(String(100), default="", index=True)
    target_publication_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("publications.id", ondelete="SET NULL"), index=True)
    link_status: Mapped[str] = mapped_column(String(10), default="auto")
    score: Mapped[Optional[float]] = mapped_column(Float)
    target: Mapped[Optional[Publication]] = relationship(foreign_keys=[target_publication_id])


class WorkKey(Base):
    """Lookup keys of a published work (``work_key`` of each title variant × year × author surname, and
    ``w:`` + each title word's skeleton), so linking a reference is an indexed lookup, not a scan."""

    __tablename__ = "work_keys"
    __table_args__ = (UniqueConstraint("publication_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(300), index=True)
