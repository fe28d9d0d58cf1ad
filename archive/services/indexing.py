"""Keeping the index in step with the database: tasks recorded in the DB, applied after commit."""
from __future__ import annotations

import logging
import time
from typing import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from indexer.documents import IndexDocument, ParallelAnalyzer, build_collections, strip_listed_titles

from ..models import Authorship, IndexTask, Person, Publication
from ..sanitize import plain_text
from . import bridge as term_bridge

logger = logging.getLogger(__name__)

BATCH = 200


def index_text(pub: Publication) -> str:
    """The kind-specific words readers search for: the quote, outlet, place, programme, addressee."""
    extra = pub.extra or {}
    parts = [extra.get("quote"), extra.get("outlet"), extra.get("place"), extra.get("addressee")]
    if extra.get("programme"):
        parts.append(plain_text(str(extra["programme"])))
    return "\n\n".join(str(p).strip() for p in parts if p and str(p).strip())


def document_for(pub: Publication, covered_pages: frozenset[int] = frozenset(),
                 listed_titles: tuple[str, ...] = ()) -> IndexDocument:
    """The frozen index record for a publication (plain data; the index never sees the ORM).

    ``covered_pages`` are a volume's pages that belong to its articles: they are indexed with the
    articles, so a search lands on the article rather than on the whole book. ``listed_titles`` are its
    articles' titles: the table-of-contents lines that list them are left out of the volume's own pages,
    so an article's words find the article, not the volume that lists it.
    """
    names: list[str] = []
    for a in pub.authorships:
        names.append(a.name_as_printed or a.person.name)
        names.append(a.person.name)
        names.extend(v.name for v in a.person.variants)
        if a.person.name_latin:
            names.append(a.person.name_latin)
    if pub.kind == "volume" and pub.volume is not None:
        names.extend(pub.volume.editors or [])         # a volume's editors are its people
    titles = dict(pub.titles or {})
    if pub.title and pub.title not in titles.values():
        titles[pub.language or "ru"] = pub.title
    abstracts = dict(pub.abstracts or {})
    own = index_text(pub)
    if own:
        # A commentary's quote, an event's programme and place, a report's addressee: searched with the abstract.
        lang = pub.language or "ru"
        abstracts[lang] = f"{abstracts[lang]}\n\n{own}" if abstracts.get(lang) else own
    pages = stored = tuple((p.number, p.text) for p in pub.pages if p.number not in covered_pages)
    rewritten: frozenset[int] = frozenset()
    if listed_titles:
        pages = tuple((n, strip_listed_titles(text, list(listed_titles))) for n, text in stored)
        rewritten = frozenset(n for (n, text), (_n, old) in zip(pages, stored) if text != old)
    return IndexDocument(
        id=pub.id,
        language=pub.language or "ru",
        titles=titles,
        abstracts=abstracts,
        keywords=tuple(pub.keywords or ()),
        authors=tuple(dict.fromkeys(n for n in names if n)),
        person_ids=tuple(a.person_id for a in pub.authorships),
        pages=pages,
        year=pub.year,
        kind=pub.kind,
        collection_id=pub.volume_id,
        topics=tuple(t.slug for t in pub.topics),
        added=pub.published_at or pub.created_at,
        group_id=pub.duplicate_of_id,          # one work, one result: copies share their first copy's id
        rewritten_pages=rewritten,
    )


def enqueue(session: Session, publication_ids: Iterable[int], action: str = "update") -> None:
    """Record index work in the same transaction as the change it follows."""
    for pid in publication_ids:
        session.add(IndexTask(publication_id=pid, action=action))


def enqueue_public(session: Session, pubs: Iterable[Publication]) -> None:
    """Index work for changed records that readers can see (drafts are not in the index)."""
    ids = [p.id for p in pubs if p.status != "draft"]
    if ids:
        enqueue(session, ids)


def _volume_parts(session: Session, volume_ids: list[int]) -> dict[int, tuple[frozenset[int], tuple[str, ...]]]:
    """For each volume: the pages its articles cover, and its articles' titles."""
    pages: dict[int, set[int]] = {v: set() for v in volume_ids}
    titles: dict[int, list[str]] = {v: [] for v in volume_ids}
    if volume_ids:
        rows = session.execute(select(Publication.parent_id, Publication.pdf_page_start, Publication.pdf_page_end,
                                      Publication.title).where(Publication.parent_id.in_(volume_ids)))
        for parent, first, last, title in rows:
            if first and last:
                pages[parent].update(range(first, last + 1))
            if title:
                titles[parent].append(title)
    return {v: (frozenset(pages[v]), tuple(titles[v])) for v in volume_ids}


def documents_for(session: Session, pubs: list[Publication]) -> list[IndexDocument]:
    """The index records of publications, volumes with their articles' pages and titles left out."""
    parts = _volume_parts(session, [p.id for p in pubs if p.kind == "volume"])
    return [document_for(p, *parts.get(p.id, (frozenset(), ()))) for p in pubs]


def _load(session: Session, ids: list[int]) -> list[Publication]:
    return list(session.scalars(
        select(Publication).where(Publication.id.in_(ids))
        .options(selectinload(Publication.authorships).selectinload(Authorship.person)
                 .selectinload(Person.variants),
                 selectinload(Publication.pages), selectinload(Publication.topics),
                 selectinload(Publication.volume))))


def process_index_tasks(archive, limit: int | None = None) -> int:
    """Apply pending index tasks in batches; returns how many publications were (re)indexed or removed.

    Safe to run at any time and from any process: the index writer is exclusive, tasks are deleted only
    after the index commit, and a publication's current status decides whether it is indexed.
    """
    done = 0
    changed: dict[int, list | None] = {}        # parallel records of what was indexed, for the term bridge
    try:
        done = _apply_index_tasks(archive, limit, changed)
    finally:
        if changed:
            _refresh_bridge(archive, changed)
    return done


def _refresh_bridge(archive, changed: dict | None = None) -> None:
    """The stored term bridge brought in step with what was just indexed; a failure leaves the last one
    (searches keep using it) and is logged, never undoes the index write."""
    try:
        term_bridge.refresh_bridge(archive, changed)
    except Exception:  # noqa: BLE001 - searches keep the last bridge; the next index write or the worker retries
        logger.exception("the term bridge could not be refreshed; searches keep the last one")


def _apply_index_tasks(archive, limit: int | None, changed: dict) -> int:
    done = 0
    while limit is None or done < limit:
        with archive.db.session() as s:
            tasks = list(s.scalars(select(IndexTask).order_by(IndexTask.id).limit(BATCH)))
            if not tasks:
                break
            ids = sorted({t.publication_id for t in tasks})
            pubs = {p.id: p for p in _load(s, ids)}
            to_update = documents_for(s, [p for p in pubs.values() if p.status == "published"])
            to_remove = [pid for pid in ids if pid not in pubs or pubs[pid].status != "published"]
            task_ids = [t.id for t in tasks]
            records = {pid: term_bridge.record_of(pubs[pid]) if pid in pubs else None for pid in ids}
        try:
            archive.search.remove(to_remove)
            archive.search.update(to_update)
            changed.update(records)
        except Exception as exc:
            logger.exception("index update failed; %d tasks stay pending", len(task_ids))
            with archive.db.session() as s:
                for t in s.scalars(select(IndexTask).where(IndexTask.id.in_(task_ids))):
                    t.attempts += 1
                    t.last_error = str(exc)[:500]
                s.commit()
            raise
        with archive.db.session() as s:
            s.execute(delete(IndexTask).where(IndexTask.id.in_(task_ids)))
            s.commit()
        done += len(ids)
    return done


def index_after_commit(archive) -> None:
    """Apply the index work a committed change recorded; a failure leaves it pending, never undoes the change
    (``manage.py index-pending``, the worker's minute task and ``check --repair`` catch up)."""
    try:
        process_index_tasks(archive)
    except Exception:  # noqa: BLE001 - the change stands; the index catches up later
        logger.exception("indexing after a change failed; left pending")


PARALLEL_MIN_DOCS = 200     # below this a rebuild is quicker than starting analysis processes


def rebuild_index(archive, progress=None, processes: int | None = None) -> tuple[int, float]:
    """Empty the index and index every published publication from the database; returns (count, seconds).

    Analysis runs in ``processes`` child processes (default: the ``INDEX_PROCESSES`` setting, 0 = one
    per CPU) while this process loads publications and writes the index, for archives of at least
    ``PARALLEL_MIN_DOCS`` publications.
    """
    t0 = time.perf_counter()
    with archive.db.session() as s:
        # The tasks this rebuild makes redundant: those recorded before it starts. SQLite reuses the ids of
        # deleted rows, so a task recorded later may get an id below this one: its time tells it apart.
        last_task, last_at = s.execute(select(func.max(IndexTask.id), func.max(IndexTask.created_at))).one()
    archive.search.clear()
    with archive.db.session() as s:
        ids = list(s.scalars(select(Publication.id).where(Publication.status == "published").order_by(Publication.id)))
    if processes is None:
        processes = int(archive.config.get("INDEX_PROCESSES", 0) or 0) or None
    if len(ids) < PARALLEL_MIN_DOCS:
        processes = 1

    def documents():
        for i in range(0, len(ids), BATCH):
            with archive.db.session() as s:
                yield from documents_for(s, _load(s, ids[i:i + BATCH]))

    n = 0
    batch: list = []
    # Every batch written, or the rebuild fails. A backend may write in child processes too (Whoosh).
    with build_collections(), ParallelAnalyzer(processes, once=True) as analyzer, \
            archive.search.bulk(analyzer.processes) as write:
        for doc in analyzer.analyzed(documents()):
            batch.append(doc)
            if len(batch) >= BATCH:
                write(batch)
                n += len(batch)
                batch = []
                if progress:
                    progress(n, len(ids))
        if batch:
            write(batch)
            n += len(batch)
            if progress:
                progress(n, len(ids))
    archive.search.rebuilt()
    _refresh_bridge(archive)               # every published publication's parallel record, read once
    with archive.db.session() as s:
        # Tasks recorded after the rebuild started stay: they may describe newer changes.
        if last_task is not None:
            s.execute(delete(IndexTask).where(IndexTask.id <= last_task, IndexTask.created_at <= last_at))
            s.commit()
    return n, time.perf_counter() - t0
