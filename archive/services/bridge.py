"""The Russian ↔ Kazakh term bridge as the archive holds it: the curated glossary, the topic vocabulary and
the parallel titles, abstracts and keywords of published publications (``indexer/bridge``, docs/crosslingual.md).

Built once per process and looked at again only when the search index changed (its fingerprint is the index
generation, read once per search whatever the archive's size); it is built anew only when the parallel records themselves differ from those of a
bridge already built (publishing a Russian-only article changes the fingerprint, not the bridge). Building takes
a second or two, a lookup well under a millisecond.
"""
from __future__ import annotations

import logging
import threading
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.bridge import Bridge, build_bridge, load_glossary, parallel_record

from ..models import Publication
from .topics import VOCABULARY

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_cache: dict[str, tuple[tuple, Bridge]] = {}
_built: dict[str, Bridge] = {}          # repr of the parallel records -> the bridge built from them
_BUILT_KEPT = 4
builds = 0                               # bridges built by this process (tests check a search does not build)


def _bilingual(pub: Publication) -> bool:
    """Whether a publication carries metadata in both Russian and Kazakh (titles, abstracts or keywords)."""
    langs = {k for k, v in (pub.titles or {}).items() if v} | {k for k, v in (pub.abstracts or {}).items() if v}
    return {"ru", "kk"} <= langs


def _fingerprint(archive) -> str:
    """The search index's generation: it changes after every indexed change of published metadata (indexing
    follows each commit), and reading it costs the same at any archive size, unlike counting the published."""
    return archive.search.generation()


def topic_labels() -> list[tuple]:
    """The topic vocabulary as plain tuples for the bridge."""
    return [(t.slug, t.label_ru, t.label_kk, t.label_en, t.phrases) for t in VOCABULARY]


def parallel_records(session: Session) -> list:
    """Published publications with metadata in both languages, as the bridge's parallel records."""
    out = []
    for pub in session.scalars(select(Publication).where(Publication.status == "published").order_by(Publication.id)):
        if _bilingual(pub):
            out.append(parallel_record(pub.id, pub.titles, pub.abstracts, pub.keywords or []))
    return out


def current_bridge(archive, session: Session) -> Bridge:
    """The bridge for this archive, rebuilt when published metadata changed since it was built."""
    key = str(archive.data_dir)
    stamp = _fingerprint(archive)
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        records = parallel_records(session)
        fingerprint = repr(records)
        bridge = _built.get(fingerprint)
        if bridge is None:
            global builds
            bridge = build_bridge(load_glossary(), topic_labels(), records)
            builds += 1
            _built[fingerprint] = bridge
            while len(_built) > _BUILT_KEPT:
                _built.pop(next(iter(_built)))
            logger.info("term bridge built: %d links", len(bridge))
        _cache[key] = (stamp, bridge)
        return bridge


def cached_bridge(archive) -> Optional[Bridge]:
    """The last bridge built in this process (None before the first search)."""
    found = _cache.get(str(archive.data_dir))
    return found[1] if found else None
