"""Caches of word analyses: as large as an index build wants, kept small in a process that serves readers.

An index build sees the same word forms again and again, so each analysis step keeps up to hundreds of thousands
of them (``functools.lru_cache``). A web worker sees readers' words instead: every new one stays, ~2 KB a word over
all the caches, so a worker that lives for weeks (or one fed random words) would grow by hundreds of MB before any
cache is full. ``trim_word_caches`` empties each cache that has grown past a serving process's share; the search
service calls it before each search, the job worker after its index catch-up every minute, and a rebuild
(``manage.py reindex``), which does neither, keeps its caches whole.
"""
from __future__ import annotations

import functools
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)

_CACHES: list = []


def word_cache(maxsize: int) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)``, and the cache registered for ``trim_word_caches``."""
    def decorate(fn: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        _CACHES.append(cached)
        return cached  # type: ignore[return-value]
    return decorate


def trim_word_caches(limit: int) -> int:
    """Empty every word cache holding more than ``limit`` entries; how many were emptied. Emptied rather than cut
    to its newest entries (``lru_cache`` has no such call): the words a reader asks again cost ~30 µs each to
    analyse anew."""
    emptied = 0
    for cached in _CACHES:
        if cached.cache_info().currsize > limit:
            cached.cache_clear()
            emptied += 1
    return emptied


def word_cache_sizes() -> dict[str, int]:
    """Entries in each word cache, by its function's qualified module name (for tests and benchmarks)."""
    return {f"{c.__module__}.{c.__qualname__}": c.cache_info().currsize for c in _CACHES}
