"""Taking files in: store by hash, extract in a limited child, create records, commit, then index."""
from __future__ import annotations

import logging
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from uploads.errors import UploadError, template_of
from uploads.limits import Limits, run_limited
from uploads.metadata import RULES_VERSION, extract_metadata
from uploads.pdfsplit import split_pdf
from uploads.pipeline import process_file
from uploads.types import ArticleSpan, Author, ExtractedDocument, Metadata, Page

from ..models import Authorship, Publication, PublicationPage, StoredFile, User, Volume, utcnow
from ..permissions import can_view, is_public
from ..storage import sha256_of
from . import indexing, references
from . import uploads as records
from .duplicates import find_probable_duplicates, simhash, title_key
from .genres import guess_genre
from .people import find_or_create_person
from .topics import apply_suggestions, ensure_topics

logger = logging.getLogger(__name__)


@dataclass
class IngestOutcome:
    """What happened to one file, in the shape the CLI's ``--json`` prints."""

    file: str
    status: str                      # ok | duplicate | error
    publication_ids: list[int] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    record_id: int | None = None
    pages: int = 0
    ocr_pages: int = 0
    repaired_pages: int = 0
    is_volume: bool = False

    def as_json(self) -> dict:
        return {"file": self.file, "status": self.status, "publication_ids": self.publication_ids,
                "error": self.error}


def clean_display_name(name: str) -> str:
    """An uploaded file name made safe to show and store (never used as a path)."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "file"
    return name[:255]


def _existing_publications(session: Session, sha: str) -> list[int] | None:
    sf = session.scalars(select(StoredFile).where(StoredFile.sha256 == sha)).first()
    if sf is None:
        return None
    ids = list(session.scalars(select(Publication.id).where(Publication.source_file_id == sf.id)
                               .where(Publication.parent_id.is_(None)).order_by(Publication.id)))
    if not ids:
        ids = list(session.scalars(select(Publication.id).where(Publication.source_file_id == sf.id)))
    return ids


def _visible_to(session: Session, user_id: int | None, ids: list[int]) -> list[int]:
    """Those of ``ids`` the uploader may open: a duplicate never tells a member the id of someone else's
    draft (the command line, ``user_id`` None, is the archive's operator and sees all)."""
    if user_id is None or not ids:
        return ids
    user = session.get(User, user_id)
    pubs = session.scalars(select(Publication).where(Publication.id.in_(ids)))
    seen = {p.id for p in pubs if is_public(p) or can_view(user, p)}
    return [i for i in ids if i in seen]


def _add_authors(session: Session, pub: Publication, authors: list[Author]) -> None:
    seen: set[int] = set()
    for author in authors:
        if not author.name.strip():
            continue
        person = find_or_create_person(session, author)
        if person.id in seen:
            continue
        seen.add(person.id)
        pub.authorships.append(Authorship(person=person, position=len(pub.authorships) + 1,
                                          name_as_printed=author.name.strip()[:300],
                                          affiliation=author.affiliation.strip()))


def _publication(session: Session, md: Metadata, pages: list[Page], kind: str, fallback_title: str,
                 status: str, user_id, printed: dict[int, str] | None = None) -> Publication:
    title = (md.title or fallback_title).strip()[:2000]
    lang = md.language or ""
    titles = {k: v for k, v in md.titles.items() if v}
    if title and lang and lang not in titles:
        titles[lang] = title
    pub = Publication(kind=kind, status=status, title=title, titles=titles, abstracts=dict(md.abstracts),
                      keywords=list(md.keywords), language=lang, year=md.year, udc=md.udc, bbk=md.bbk,
                      isbn=md.isbn, doi=md.doi, created_by_id=user_id,
                      published_at=utcnow() if status == "published" else None)
    for i, p in enumerate(pages, start=1):
        pub.pages.append(PublicationPage(number=i, text=p.text, method=p.method, problems=list(p.problems),
                                         printed=(printed or {}).get(p.number, "")))
    pub.extra = {**(pub.extra or {}), "metadata_rules": RULES_VERSION}     # which rules proposed it
    if kind == "article":
        genre = guess_genre(title, [p.text for p in pages[:2]])
        if genre:
            pub.extra = {**pub.extra, "genre": genre}
    session.add(pub)
    _add_authors(session, pub, md.authors)
    pub.title_key = title_key(title)
    pub.simhash = simhash(" ".join(p.text for p in pages))
    session.flush()
    apply_suggestions(session, pub)
    dups = find_probable_duplicates(session, pub)
    if dups:
        pub.duplicate_of_id = dups[0][0]
    return pub


def _store_file(archive, session: Session, path: Path, sha: str, name: str, mime: str, pages: int,
                user_id, written: list[str]) -> StoredFile:
    if archive.files.put(path, sha):
        written.append(sha)
    sf = StoredFile(sha256=sha, original_name=name, size=path.stat().st_size, mime=mime, page_count=pages,
                    uploaded_by_id=user_id)
    session.add(sf)
    session.flush()
    return sf


def printed_labels(spans: list[ArticleSpan]) -> dict[int, str]:
    """Physical page → the page number printed on it, from the articles' printed ranges in the volume."""
    out: dict[int, str] = {}
    for span in spans:
        if span.printed_first is None:
            continue
        for n in range(span.first_page, span.last_page + 1):
            out.setdefault(n, str(span.printed_first + n - span.first_page))
    return out


def _article_metadata(volume_md: Metadata, span: ArticleSpan, pages: list[Page]) -> Metadata:
    """The article's metadata as the limited child made it (title and authors from the table of contents win);
    for a span made without it, the same rules here."""
    if span.metadata is not None:
        md = span.metadata
        md.language = md.language or volume_md.language
        md.year = volume_md.year or md.year
        return md
    md = extract_metadata([p.text for p in pages])
    if span.title:
        md.title = span.title
    if span.authors:
        md.authors = span.authors
    md.language = md.language or volume_md.language
    md.year = volume_md.year or md.year
    return md


def _create_volume(archive, session: Session, path: Path, doc: ExtractedDocument, sf: StoredFile, status: str,
                   user_id, fallback_title: str, written: list[str]) -> list[int]:
    vi = doc.volume
    md = doc.metadata
    title = (vi.title if vi and vi.title else md.title) or fallback_title
    vol = Volume(title=title, event_title=vi.event_title if vi else "", place=vi.place if vi else "",
                 dates_text=vi.dates if vi else "", editors=list(vi.editors) if vi else [],
                 isbn=(vi.isbn if vi else "") or md.isbn, publisher=vi.publisher if vi else "",
                 year=(vi.year if vi else None) or md.year, udc=(vi.udc if vi else "") or md.udc,
                 bbk=(vi.bbk if vi else "") or md.bbk)
    session.add(vol)
    md_vol = Metadata(title=title, year=vol.year, language=md.language, isbn=vol.isbn, udc=vol.udc, bbk=vol.bbk)
    printed = printed_labels(doc.articles)
    volume_pub = _publication(session, md_vol, doc.pages, "volume", fallback_title, status, user_id, printed)
    volume_pub.volume = vol
    volume_pub.source_file_id = sf.id
    session.flush()
    ids = [volume_pub.id]
    ranges = [(a.first_page, a.last_page) for a in doc.articles]
    with tempfile.TemporaryDirectory(prefix="kelisim-split-") as tmp:
        try:
            # at the usual priority whatever the file's: this transaction holds SQLite's write lock meanwhile,
            # and a starved child would make every other writer wait (or fail with "database is locked")
            parts = run_limited(split_pdf, (path, ranges, Path(tmp)), archive.limits)
        except UploadError as exc:
            doc.warnings.append(exc.message)
            parts = [None] * len(ranges)
        for span, part in zip(doc.articles, parts):
            pages = doc.pages[span.first_page - 1: span.last_page]
            art_md = _article_metadata(md_vol, span, pages)
            art = _publication(session, art_md, pages, "article", span.title or title, status, user_id, printed)
            art.extra = {k: v for k, v in (art.extra or {}).items() if k != "genre"}   # a volume's article is a paper
            art.volume = vol
            art.parent_id = volume_pub.id
            art.source_file_id = sf.id
            art.pdf_page_start, art.pdf_page_end = span.first_page, span.last_page
            art.page_start, art.page_end = span.printed_first, span.printed_last
            art.isbn = vol.isbn
            references.store_references(session, art, span.references, new=True)
            if part is not None:
                sha = sha256_of(part)
                existing = session.scalars(select(StoredFile).where(StoredFile.sha256 == sha)).first()
                art.article_file = existing or _store_file(archive, session, part, sha,
                                                           f"{Path(fallback_title).stem}-{len(ids)}.pdf",
                                                           "application/pdf", len(pages), user_id, written)
            session.flush()
            ids.append(art.id)
    return ids


def ingest_file(archive, path: Path, original_name: str | None = None, publish: bool = False,
                user_id: int | None = None, index_now: bool = True, record_id: int | None = None,
                on_progress=None, limits: Limits | None = None) -> IngestOutcome:
    """Take one file in. Never raises for bad input: the outcome carries a person-safe message.

    One transaction per file: the stored file's row, its publications (with pages, authorships, a volume
    with its articles), the index tasks and the processing record commit together or not at all. The
    bytes are put in the store before that commit; if the process dies in between, the file is an
    orphan that ``manage.py check --repair`` removes (a re-run finds no row and stores it again).
    The index work is recorded with the records; ``index_now=False`` leaves it for the caller (a batch
    indexes once at the end). ``record_id`` names an existing ProcessingRecord (a web upload) that
    receives the outcome instead of a new record; ``on_progress(event)`` hears the extraction's progress;
    ``limits`` replaces the archive's extraction limits (a long upload's lower CPU priority).
    """
    path = Path(path)
    name = clean_display_name(original_name or path.name)
    try:
        sha = sha256_of(path)
    except OSError as exc:
        logger.warning("cannot read %s: %s", path, exc)
        return IngestOutcome(name, "error", error="The file could not be read.")
    with archive.db.session() as s:
        existing = _existing_publications(s, sha)
        if existing is not None:
            existing = _visible_to(s, user_id, existing)
            try:
                archive.files.put(path, sha)    # heals a stored copy that is missing or damaged
            except OSError:
                logger.warning("could not re-store %s", sha, exc_info=True)
            rec = records.write_outcome(s, name, "duplicate", "The same file is already in the archive.", user_id=user_id,
                          publication_ids=existing, record_id=record_id)
            s.commit()
            return IngestOutcome(name, "duplicate", existing, record_id=rec.id)
    try:
        doc = process_file(path, limits or archive.limits, on_progress=on_progress)
    except UploadError as exc:
        logger.info("rejected %s: %s (%s)", name, exc.code, exc.detail)
        with archive.db.session() as s:
            rec = records.write_outcome(s, name, "error", exc.user_message, exc.code, user_id, record_id=record_id,
                                        details={"messages": [list(template_of(exc.message))]})
            s.commit()
            return IngestOutcome(name, "error", error=exc.user_message, record_id=rec.id)
    status = "published" if publish else "draft"
    written: list[str] = []
    try:
        with archive.db.session() as s:
            ensure_topics(s)            # once per file: the vocabulary exists before topics are suggested
            sf = _store_file(archive, s, path, sha, name, doc.mime, len(doc.pages), user_id, written)
            if doc.is_volume and doc.articles:
                ids = _create_volume(archive, s, path, doc, sf, status, user_id, name, written)
            else:
                pub = _publication(s, doc.metadata, doc.pages, "article", Path(name).stem, status, user_id)
                pub.source_file_id = sf.id
                s.flush()
                references.store_references(s, pub, doc.references, new=True)
                ids = [pub.id]
            if publish:
                references.link_published(s, ids)
                indexing.enqueue(s, ids)
            methods: dict[str, int] = {}
            for p in doc.pages:
                methods[p.method] = methods.get(p.method, 0) + 1
            rec = records.write_outcome(s, name, "ok", "; ".join(doc.warnings), user_id=user_id, publication_ids=ids,
                          stored_file_id=sf.id, details={"methods": methods, "warnings": [str(w) for w in doc.warnings],
                                                          "messages": [list(template_of(w)) for w in doc.warnings],
                                                          "volume": doc.is_volume},
                          record_id=record_id)
            s.commit()
            record_id = rec.id
    except IntegrityError:
        # Another process stored the same bytes a moment ago: that copy wins.
        for sha_w in written:
            if sha_w != sha:
                archive.files.remove(sha_w)
        with archive.db.session() as s:
            existing = _visible_to(s, user_id, _existing_publications(s, sha) or [])
        return IngestOutcome(name, "duplicate", existing)
    except BaseException:
        for sha_w in written:
            archive.files.remove(sha_w)
        raise
    if publish and index_now:
        try:
            indexing.process_index_tasks(archive)
        except Exception:  # noqa: BLE001 - the upload stands; the index catches up later
            logger.exception("indexing after ingest failed; left pending")
    return IngestOutcome(name, "ok", ids, warnings=doc.warnings, record_id=record_id, pages=len(doc.pages),
                         ocr_pages=sum(p.method == "ocr" for p in doc.pages),
                         repaired_pages=sum(p.method == "repaired" for p in doc.pages), is_volume=doc.is_volume)


def iter_input_files(paths: list[Path], recursive: bool = True) -> list[Path]:
    """Files named directly, plus files inside named folders (sorted, hidden files skipped); missing paths dropped."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            it = p.rglob("*") if recursive else p.glob("*")
            out.extend(sorted(f for f in it if f.is_file() and not f.name.startswith(".")))
        elif p.exists():
            out.append(p)
    return out
