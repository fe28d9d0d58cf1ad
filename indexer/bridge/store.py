"""The term bridge on disk, beside the index: built where indexing happens, only loaded by a search.

Files in ``folder`` (``<index>/bridge/``), written by whichever process indexes, read by every process:

- ``records.json``: the parallel records (publication id -> titles, abstracts, keywords) of the published
  bilingual publications, kept in step publication by publication by the indexing step;
- ``bridge-<digest>.json``: a built bridge (its links with their keys), named by the digest of everything it
  was built from (format, glossary, topic labels, parallel records), so equal inputs are never built twice;
- ``CURRENT``: which bridge goes with which index generation ({"generation", "digest", "sources"}).

Writers hold ``LOCK`` (``flock``) and replace files atomically; a reader stats ``CURRENT`` and loads a bridge
only when it names another one, so a search costs a ``stat`` and, after a change, the bridge's size — never
the archive's. Plain JSON (no pickle): the files are data, not code.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

from .core import Bridge, Link
from .forms import Side

logger = logging.getLogger(__name__)

FORMAT = 1          # bump when a stored link's meaning changes (keys from another analyzer): stored bridges go


@dataclass(frozen=True)
class Pointer:
    """What ``CURRENT`` says: the bridge ``digest`` made for index ``generation`` from ``sources``."""

    generation: str
    digest: str
    sources: str
    stat: tuple[int, int, int]          # the file's (inode, mtime ns, size): changes with every write


def digest_of(*parts: Any) -> str:
    """A short stable digest of JSON-able parts."""
    blob = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _side(side: Side) -> list:
    return [side.text, [sorted(k) for k in side.keys], [sorted(k) for k in side.match]]


def _unside(lang: str, data: list) -> Side:
    text, keys, match = data
    return Side(lang, text, tuple(frozenset(k) for k in keys), tuple(frozenset(k) for k in match))


def bridge_to_data(bridge: Bridge) -> list:
    """The bridge's links as plain JSON-able lists."""
    return [[_side(lk.ru), _side(lk.kk), lk.en, lk.confidence, list(lk.sources)] for lk in bridge.links]


def bridge_from_data(data: list) -> Bridge:
    """The bridge ``bridge_to_data`` wrote."""
    return Bridge([Link(_unside("ru", ru), _unside("kk", kk), en, float(conf), tuple(sources))
                   for ru, kk, en, conf, sources in data])


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class BridgeStore:
    """The bridge files of one index folder (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    # -- writer side (under ``locked()``)
    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes: one writer brings records, bridge and pointer in step at a time."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "LOCK", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def read_records(self) -> Optional[dict[int, list]]:
        """The stored parallel records (id -> [titles, abstracts, keywords]); None when missing or unreadable."""
        try:
            data = json.loads((self.folder / "records.json").read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            return {int(k): v for k, v in data["records"].items()}
        except (OSError, ValueError, KeyError, AttributeError, TypeError):
            return None

    def write_records(self, records: Mapping[int, list]) -> None:
        """Replace the stored parallel records."""
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "records": {str(k): records[k] for k in sorted(records)}}
        _write_atomic(self.folder / "records.json", json.dumps(data, ensure_ascii=False))

    def has_bridge(self, digest: str) -> bool:
        """Whether the bridge of ``digest`` is stored."""
        return (self.folder / f"bridge-{digest}.json").exists()

    def write_bridge(self, digest: str, bridge: Bridge) -> None:
        """Store a built bridge under its digest."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.folder / f"bridge-{digest}.json",
                      json.dumps({"format": FORMAT, "links": bridge_to_data(bridge)}, ensure_ascii=False))

    def point(self, generation: str, digest: str, sources: str) -> None:
        """Say that index ``generation`` goes with the bridge ``digest``; remove bridges no longer named
        (a reader that loaded one keeps it in memory)."""
        old = self.pointer()
        _write_atomic(self.folder / "CURRENT", json.dumps({"generation": generation, "digest": digest,
                                                           "sources": sources}))
        keep = {f"bridge-{digest}.json"} | ({f"bridge-{old.digest}.json"} if old else set())
        for path in self.folder.glob("bridge-*.json"):
            if path.name not in keep:
                path.unlink(missing_ok=True)

    # -- reader side
    def stat(self) -> Optional[tuple[int, int, int]]:
        """The pointer file's identity, None when there is none (one ``stat``)."""
        try:
            st = os.stat(self.folder / "CURRENT")
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def pointer(self) -> Optional[Pointer]:
        """What ``CURRENT`` says, None when it is missing or unreadable."""
        path = self.folder / "CURRENT"
        try:
            st = os.stat(path)
            data = json.loads(path.read_text(encoding="utf-8"))
            return Pointer(str(data["generation"]), str(data["digest"]), str(data.get("sources", "")),
                           (st.st_ino, st.st_mtime_ns, st.st_size))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def load(self, digest: str) -> Bridge:
        """The stored bridge of ``digest`` (OSError or ValueError when missing or damaged)."""
        data = json.loads((self.folder / f"bridge-{digest}.json").read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"bridge-{digest}.json: another format")
        return bridge_from_data(data["links"])
