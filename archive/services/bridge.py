"""The Russian ↔ Kazakh term bridge as the archive holds it: the curated glossary, the topic vocabulary and
the parallel titles, abstracts and keywords of published publications (``indexer/bridge``, docs/crosslingual.md).

Built where indexing happens, never in a search: after every index write (``process_index_tasks``,
``rebuild_index``) ``refresh_bridge`` updates the stored parallel records of the publications it indexed,
builds the bridge when they (or the glossary, the topics) changed, and stores it beside the index with the
index generation it goes with (``indexer.bridge.store``). A search only loads the stored bridge, once per
change, at a cost bounded by the bridge's size; when it is missing or older than the index the search uses the
last one it loaded (or none), says so once in the log, and never fails.
"""
from __future__ import annotations

import logging
import threading
from typing import Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.bridge import GLOSSARY_PATH, Bridge, build_bridge, load_glossary, parallel_record
from indexer.bridge.store import FORMAT, BridgeStore, digest_of

from ..models import Publication
from .topics import VOCABULARY

logger = logging.getLogger(__name__)

EMPTY = Bridge(())
_BUILT_KEPT = 4
_built: dict[str, Bridge] = {}          # digest -> bridge built by this process (equal inputs build once)
_build_lock = threading.Lock()
builds = 0                               # bridges built by this process (tests check a search does not build)

_read_lock = threading.Lock()
_loaded: dict[str, tuple] = {}           # index folder -> (generation, pointer stat, digest, bridge)
_said: set[tuple[str, str]] = set()      # (index folder, problem) already logged by this process


def _bilingual(titles: Optional[Mapping], abstracts: Optional[Mapping]) -> bool:
    """Whether a publication carries metadata in both Russian and Kazakh (titles or abstracts)."""
    langs = {k for k, v in (titles or {}).items() if v} | {k for k, v in (abstracts or {}).items() if v}
    return {"ru", "kk"} <= langs


def record_of(pub: Publication) -> Optional[list]:
    """A publication's parallel record as stored ([titles, abstracts, keywords]), None when it has none
    (not published, or not bilingual)."""
    if pub.status != "published" or not _bilingual(pub.titles, pub.abstracts):
        return None
    return [dict(pub.titles or {}), dict(pub.abstracts or {}), list(pub.keywords or [])]


def parallel_records(session: Session) -> dict[int, list]:
    """Every published bilingual publication's record: reads the whole archive's metadata, so only the
    indexing step calls it (a first refresh, a reindex), never a search."""
    out: dict[int, list] = {}
    rows = session.execute(select(Publication.id, Publication.titles, Publication.abstracts, Publication.keywords)
                           .where(Publication.status == "published").order_by(Publication.id))
    for pid, titles, abstracts, keywords in rows:
        if _bilingual(titles, abstracts):
            out[pid] = [dict(titles or {}), dict(abstracts or {}), list(keywords or [])]
    return out


def topic_labels() -> list[tuple]:
    """The topic vocabulary as plain tuples for the bridge."""
    return [(t.slug, t.label_ru, t.label_kk, t.label_en, t.phrases) for t in VOCABULARY]


def _sources() -> str:
    """The digest of what a bridge is built from besides the records: the glossary and the topic labels."""
    return digest_of(FORMAT, GLOSSARY_PATH.read_text(encoding="utf-8"), topic_labels())


def store_of(archive) -> BridgeStore:
    """The bridge files of the archive's index."""
    return BridgeStore(archive.index_path / "bridge")


def _build(digest: str, records: Mapping[int, list]) -> Bridge:
    global builds
    with _build_lock:
        bridge = _built.get(digest)
        if bridge is None:
            bridge = build_bridge(load_glossary(), topic_labels(),
                                  [parallel_record(pid, *records[pid]) for pid in sorted(records)])
            builds += 1
            _built[digest] = bridge
            while len(_built) > _BUILT_KEPT:
                _built.pop(next(iter(_built)))
            logger.info("term bridge built: %d links", len(bridge))
    return bridge


def refresh_bridge(archive, changed: Optional[Mapping[int, Optional[list]]] = None) -> bool:
    """Bring the stored bridge in step with the index (call after an index write, outside any search).

    ``changed`` maps the publications just indexed or removed to their record (``record_of``; None: none);
    without it, or when no records are stored yet, every published publication is read once. Returns whether
    a bridge was built or stored.
    """
    store = store_of(archive)
    with store.locked():
        records = store.read_records() if changed is not None else None
        if records is None:
            with archive.db.session() as s:
                fresh = parallel_records(s)
        else:
            fresh = dict(records)
            for pid, rec in changed.items():
                if rec is None:
                    fresh.pop(pid, None)
                else:
                    fresh[pid] = rec
        if fresh != records:
            store.write_records(fresh)
        sources = _sources()
        digest = digest_of(sources, [[pid, fresh[pid]] for pid in sorted(fresh)])
        made = False
        if not store.has_bridge(digest):
            store.write_bridge(digest, _build(digest, fresh))
            made = True
        generation = archive.search.generation()    # read after the index write this follows
        old = store.pointer()
        if old is None or (old.generation, old.digest) != (generation, digest):
            store.point(generation, digest, sources)
        return made


def ensure_bridge(archive) -> bool:
    """Refresh the stored bridge when it is missing, older than the index or built from another glossary
    (the worker at start and every minute, ``manage.py bridge``); returns whether it refreshed."""
    pointer = store_of(archive).pointer()
    if (pointer is not None and pointer.generation == archive.search.generation()
            and pointer.sources == _sources()):
        return False
    refresh_bridge(archive, changed={})
    return True


def _say_once(key: str, problem: str, message: str, *args) -> None:
    if (key, problem) not in _said:
        _said.add((key, problem))
        logger.warning(message, *args)


def current_bridge(archive) -> Bridge:
    """The stored bridge of this archive's index, loaded once per change (a ``stat`` per search otherwise).

    Missing, damaged or older than the index: the last bridge loaded (or an empty one), logged once.
    """
    store = store_of(archive)
    key = str(store.folder)
    generation = archive.search.generation()
    stat = store.stat()
    cached = _loaded.get(key)
    if cached is not None and cached[0] == generation and cached[1] == stat:
        return cached[3]
    with _read_lock:
        cached = _loaded.get(key)
        if cached is not None and cached[0] == generation and cached[1] == stat:
            return cached[3]
        last = cached[3] if cached is not None else EMPTY
        pointer = store.pointer()
        if pointer is None:
            _say_once(key, "missing", "no stored term bridge in %s (the indexing step stores it: manage.py "
                      "index-pending, reindex or the worker); searching with %s", key,
                      "the last one loaded" if cached else "none")
            return last
        if cached is not None and cached[2] == pointer.digest:
            bridge = last
        else:
            try:
                bridge = store.load(pointer.digest)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _say_once(key, "unreadable", "the stored term bridge %s could not be read (%s); searching with %s",
                          pointer.digest, exc, "the last one loaded" if cached else "none")
                return last
        if pointer.generation != generation:
            _say_once(key, "stale", "the stored term bridge was made for index generation %s, the index is at %s; "
                      "searching with it until the indexing step stores a new one", pointer.generation, generation)
        else:
            _said.difference_update({(key, "missing"), (key, "unreadable"), (key, "stale")})
        _loaded[key] = (generation, pointer.stat, pointer.digest, bridge)
        return bridge


def cached_bridge(archive) -> Optional[Bridge]:
    """The bridge this process last loaded for the archive (None before its first search)."""
    found = _loaded.get(str(store_of(archive).folder))
    return found[3] if found else None
