""""Did you mean" in time proportional to the query, not to the vocabulary: a symmetric-delete index.

Every indexed key (of at least ``MIN_TERM`` letters, no folded Latin ``~`` keys, no numbers) is stored
under the CRC-32 of each string obtained by deleting up to ``MAX_DISTANCE`` letters from its first
``PREFIX`` letters (SymSpell's prefix variant). Two words within two edits share such a deletion, so a
misspelled word looks up at most 29 hashes (binary search in a sorted array), and only the terms found
there — at most ``MAX_CANDIDATES`` — get an exact Levenshtein distance (rapidfuzz, C).

The structure lives in the index folder beside the index (``speller/``), shared by every backend and every
process: a base built from the whole vocabulary (numpy arrays, memory-mapped, so gunicorn workers share the
pages) plus an append-only delta of keys that later writes added. A write appends its new keys to the delta;
when the delta has grown to a quarter of the base, the base is rebuilt from the engine's vocabulary. Keys of
removed documents may linger until then: the backend checks a suggestion against the live index.
"""
from __future__ import annotations

import bisect
import fcntl
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
from rapidfuzz.distance import Levenshtein

logger = logging.getLogger(__name__)

MAX_DISTANCE = 2
PREFIX = 7                 # letters of a term that go into its deletions (SymSpell's prefix length)
MIN_TERM = 3               # shorter keys are never suggested
MAX_TERM = 40              # longer keys are never suggested (and longer words never corrected)
MAX_CANDIDATES = 400       # terms examined per probe at most, whatever the vocabulary
DELTA_REBUILD_SHARE = 0.25  # rebuild the base once the delta has this share of its terms
DELTA_REBUILD_MIN = 2000
PREFIX_SCAN = 50_000        # terms of one prefix whose frequencies are compared (numpy) at most


def _patterns(width: int = PREFIX, distance: int = MAX_DISTANCE) -> list[tuple[int, ...]]:
    """Kept column indices of every deletion of up to ``distance`` letters from ``width`` columns."""
    from itertools import combinations

    return [keep for n in range(width - distance, width + 1) for keep in combinations(range(width), n)]


_PATTERNS = _patterns()
# A random odd 64-bit multiplier per column: a row of code points hashes to sum(code * M[col]) mod 2**64.
_MULT = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                  0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB], dtype=np.uint64)[:PREFIX]


# Column indices of each deletion: kept letters moved left, the rest pointing at an all-zero column.
_GATHER = np.array([list(keep) + [PREFIX] * (PREFIX - len(keep)) for keep in _PATTERNS], dtype=np.intp)
_CHUNK = 8192


def _heads(words: list[str]) -> np.ndarray:
    """The first ``PREFIX`` letters of each word as code points, then zeros: shape (n, PREFIX + 1)."""
    text = "".join(w[:PREFIX].ljust(PREFIX + 1, "\0") for w in words)
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).reshape(-1, PREFIX + 1).astype(np.uint64)


def deletion_hashes(words: list[str]) -> np.ndarray:
    """Hashes of every deletion of up to two letters from each word's head: shape (n, len(_PATTERNS)).

    A deletion is its kept letters moved left and padded with zeros again, so deleting a letter and
    deleting padding never collide (no word contains NUL), and "ab" from "abc" equals "ab" from "axb".
    """
    out = np.empty((len(words), len(_PATTERNS)), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i in range(0, len(words), _CHUNK):
            heads = _heads(words[i:i + _CHUNK])
            h = (heads[:, _GATHER] * _MULT).sum(axis=2, dtype=np.uint64)
            out[i:i + _CHUNK] = (h >> np.uint64(32)).astype(np.uint32)
    return out


_SUGGESTIBLE = re.compile(r"^[^\d~]{%d,%d}$" % (MIN_TERM, MAX_TERM))


def suggestible(term: str) -> bool:
    """Whether an index key may be offered as a correction."""
    return _SUGGESTIBLE.match(term) is not None


@dataclass
class Candidate:
    """A term within reach of a probe: edit distance, document frequency."""

    term: str
    distance: int
    df: int


class Speller:
    """Terms with document frequencies, findable by deletion hashes; immutable once built."""

    def __init__(self, blob: bytes | np.ndarray, offsets: np.ndarray, dfs: np.ndarray, hashes: np.ndarray,
                 ids: np.ndarray) -> None:
        self._blob = blob
        self._offsets = offsets
        self.dfs = dfs
        self._hashes = hashes
        self._ids = ids
        self.examined = 0          # candidates given an exact distance by this object (for tests and benches)

    # -- building
    @classmethod
    def build(cls, vocabulary: Iterable[tuple[str, int]]) -> "Speller":
        """A speller over ``(term, df)`` pairs (terms that cannot be suggested are left out)."""
        best: dict[str, int] = {}
        for term, df in vocabulary:
            if suggestible(term):
                best[term] = max(best.get(term, 0), int(df))
        terms = sorted(best)
        encoded = [t.encode("utf-8") for t in terms]
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        if encoded:
            offsets[1:] = np.cumsum([len(e) for e in encoded])
        hashes = deletion_hashes(terms) if terms else np.zeros((0, len(_PATTERNS)), dtype=np.uint32)
        ids = np.repeat(np.arange(len(terms), dtype=np.uint32), hashes.shape[1])
        pairs = np.sort(hashes.ravel().astype(np.uint64) << np.uint64(32) | ids.astype(np.uint64))
        if len(pairs):
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]     # a short head repeats deletions
        return cls(b"".join(encoded), offsets, np.asarray([best[t] for t in terms], dtype=np.int64),
                   (pairs >> np.uint64(32)).astype(np.uint32), (pairs & np.uint64(0xFFFFFFFF)).astype(np.uint32))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def term(self, i: int) -> str:
        """The i-th term (terms are sorted)."""
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        return bytes(self._blob[a:b]).decode("utf-8")

    def __getitem__(self, i: int) -> str:
        """The i-th term: the speller is a sorted sequence of its terms (``bisect`` searches it)."""
        return self.term(i)

    def contains(self, term: str) -> bool:
        """Whether ``term`` is one of the terms (deletion zero is the term's own prefix)."""
        return any(self.term(int(i)) == term for i in self._ids_for(deletion_hashes([term])[0, -1]))

    def with_prefix(self, prefix: str, limit: int) -> tuple[list[tuple[str, int]], int]:
        """The ``limit`` most frequent terms beginning with ``prefix`` as ``(term, df)``, and how many begin so.

        Two binary searches find the prefix's range; its frequencies are compared in numpy, over at most
        ``PREFIX_SCAN`` terms (the range's alphabetical start), so the work never grows with the vocabulary."""
        lo = bisect.bisect_left(self, prefix)
        hi = bisect.bisect_left(self, prefix + "\U0010ffff", lo)
        dfs = np.asarray(self.dfs[lo:min(hi, lo + PREFIX_SCAN)])
        top = np.argsort(-dfs, kind="stable")[:limit] if len(dfs) <= limit else \
            np.argpartition(-dfs, limit - 1)[:limit]
        return [(self.term(lo + int(i)), int(dfs[i])) for i in top], hi - lo

    def _ids_for(self, h: np.uint32) -> np.ndarray:
        lo = int(np.searchsorted(self._hashes, h, side="left"))
        hi = int(np.searchsorted(self._hashes, h, side="right"))
        return self._ids[lo:hi]

    # -- looking up
    def candidates(self, probe: str, limit: int = MAX_CANDIDATES) -> list[Candidate]:
        """Terms within ``MAX_DISTANCE`` edits of ``probe``, nearest then most frequent first."""
        if not MIN_TERM - MAX_DISTANCE <= len(probe) <= MAX_TERM or not len(self):
            return []
        seen: set[int] = set()
        out: list[Candidate] = []
        for h in np.unique(deletion_hashes([probe])[0]):
            for i in self._ids_for(h):
                i = int(i)
                if i in seen:
                    continue
                seen.add(i)
                if len(seen) > limit:
                    break
                term = self.term(i)
                if abs(len(term) - len(probe)) > MAX_DISTANCE:
                    continue
                self.examined += 1
                dist = Levenshtein.distance(probe, term, score_cutoff=MAX_DISTANCE)
                if dist <= MAX_DISTANCE:
                    out.append(Candidate(term, dist, int(self.dfs[i])))
            if len(seen) > limit:
                break
        out.sort(key=lambda c: (c.distance, -c.df, c.term))
        return out

    # -- files
    def save(self, folder: Path) -> None:
        """Write the arrays into ``folder`` (created)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "blob.bin").write_bytes(bytes(self._blob))
        for name, arr in (("offsets", self._offsets), ("dfs", self.dfs), ("hashes", self._hashes), ("ids", self._ids)):
            np.save(folder / f"{name}.npy", arr)

    @classmethod
    def load(cls, folder: Path) -> "Speller":
        """Memory-map a saved speller (pages are shared by every process that reads it)."""
        blob_path = folder / "blob.bin"
        blob = np.memmap(blob_path, dtype=np.uint8, mode="r") if blob_path.stat().st_size else b""
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ("offsets", "dfs", "hashes", "ids")}
        return cls(blob, arrays["offsets"], arrays["dfs"], arrays["hashes"], arrays["ids"])


class _Delta:
    """Terms added since the base was built, indexed the same way in memory (small by construction)."""

    def __init__(self) -> None:
        self.terms: dict[str, int] = {}
        self.by_hash: dict[int, list[str]] = {}     # deletion hash -> terms
        self.sorted: list[str] = []                 # the terms in order, for prefixes
        self.read_bytes = 0

    def add(self, items: list[tuple[str, int]]) -> None:
        """Add ``(term, df)`` pairs (hashed together: one numpy pass for the batch)."""
        fresh = []
        for term, df in items:
            if term in self.terms:
                self.terms[term] = max(self.terms[term], df)
            else:
                self.terms[term] = df
                fresh.append(term)
        if not fresh:
            return
        self.sorted += sorted(fresh)
        self.sorted.sort()          # two sorted runs, the terms before and the batch: timsort merges them in one pass
        for term, row in zip(fresh, deletion_hashes(fresh).tolist()):
            for h in set(row):
                self.by_hash.setdefault(h, []).append(term)

    def candidates(self, probe: str, limit: int) -> list[Candidate]:
        out: list[Candidate] = []
        seen: set[str] = set()
        for h in set(deletion_hashes([probe])[0].tolist()):
            for term in self.by_hash.get(h, ()):
                if term in seen or len(seen) >= limit:
                    continue
                seen.add(term)
                if abs(len(term) - len(probe)) > MAX_DISTANCE:
                    continue
                dist = Levenshtein.distance(probe, term, score_cutoff=MAX_DISTANCE)
                if dist <= MAX_DISTANCE:
                    out.append(Candidate(term, dist, self.terms[term]))
        return out

    def with_prefix(self, prefix: str) -> list[tuple[str, int]]:
        """The terms beginning with ``prefix`` (at most ``PREFIX_SCAN``, in order) with their frequencies."""
        lo = bisect.bisect_left(self.sorted, prefix)
        hi = bisect.bisect_left(self.sorted, prefix + "\U0010ffff", lo)
        return [(t, self.terms[t]) for t in self.sorted[lo:min(hi, lo + PREFIX_SCAN)]]


class SpellerStore:
    """The speller of one index: files in ``folder``, kept in step by the writer, read by every process.

    ``vocabulary`` gives the engine's whole vocabulary as ``(term, df)`` (used to build the base).
    With ``folder`` None the speller lives in memory only.
    """

    def __init__(self, folder: Path | None, vocabulary: Callable[[], Iterator[tuple[str, int]]]) -> None:
        self.folder = folder
        self.vocabulary = vocabulary
        self._lock = threading.Lock()
        self._base: Speller | None = None
        self._base_name = ""
        self._delta = _Delta()

    # -- files
    def _pointer(self) -> Path:
        assert self.folder is not None
        return self.folder / "CURRENT"

    def _delta_path(self, name: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{name}.delta"

    def _flock(self):
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        fh = open(self.folder / "LOCK", "a+")
        fcntl.flock(fh, fcntl.LOCK_EX)
        return fh

    def _current_name(self) -> str:
        try:
            return self._pointer().read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    # -- writer side
    def rebuild(self) -> Speller:
        """Build the base from the engine's whole vocabulary (after a rebuild or when the delta is large)."""
        t0 = time.perf_counter()
        sp = Speller.build(self.vocabulary())
        if self.folder is None:
            with self._lock:
                self._base, self._delta = sp, _Delta()
            return sp
        fh = self._flock()
        try:
            old = self._current_name()
            name = f"base-{time.time_ns()}-{os.getpid()}"
            sp.save(self.folder / name)
            self._delta_path(name).touch()
            tmp = self.folder / f"CURRENT.{os.getpid()}"
            tmp.write_text(name, encoding="utf-8")
            os.replace(tmp, self._pointer())
            if old:
                shutil.rmtree(self.folder / old, ignore_errors=True)   # readers keep their mapping (POSIX)
                self._delta_path(old).unlink(missing_ok=True)
        finally:
            fh.close()
        logger.info("speller rebuilt: %d terms in %.1f s", len(sp), time.perf_counter() - t0)
        return sp

    def added(self, keys: Iterable[str]) -> None:
        """Record keys that a write may have added to the vocabulary (call after the commit)."""
        self._refresh()
        with self._lock:
            base, delta = self._base, self._delta
        known = self._known_terms(base)
        new = sorted({k for k in keys if k not in known and k not in delta.terms and suggestible(k)})
        if base is None or len(delta.terms) + len(new) > max(DELTA_REBUILD_MIN, DELTA_REBUILD_SHARE * len(base)):
            self.rebuild()
            return
        if not new:
            return
        if self.folder is None:
            with self._lock:
                self._delta.add([(k, 1) for k in new])
            return
        fh = self._flock()
        try:
            name = self._current_name()
            if name:
                with open(self._delta_path(name), "a", encoding="utf-8") as out:
                    out.write("".join(f"{k}\t1\n" for k in new))
        finally:
            fh.close()

    def _known_terms(self, base: Speller | None) -> frozenset[str]:
        """The base's terms as a set, for the writer's "is this key new?" (built once per base)."""
        if base is None:
            return frozenset()
        cached = getattr(self, "_known", None)
        if cached is None or cached[0] is not base:
            blob = bytes(base._blob)
            offs = base._offsets.tolist()
            cached = (base, frozenset(blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(len(base))))
            self._known = cached
        return cached[1]

    def cleared(self) -> None:
        """The index was emptied: start again from an empty vocabulary."""
        self.rebuild()

    # -- reader side
    def _refresh(self) -> None:
        """Follow the files: a new base when the pointer changed, the delta's new lines otherwise."""
        if self.folder is None:
            if self._base is None:
                self.rebuild()
            return
        for attempt in (0, 1):
            try:
                name = self._current_name()
                if not name:
                    raise FileNotFoundError(self._pointer())
                if name != self._base_name or self._base is None:
                    base = Speller.load(self.folder / name)
                    with self._lock:
                        self._base, self._base_name, self._delta = base, name, _Delta()
                break
            except (OSError, ValueError) as exc:
                if attempt:
                    logger.warning("speller files unreadable after a rebuild (%s); no suggestions", exc)
                    return
                self.rebuild()              # first use of an index built before the speller existed
        path = self._delta_path(self._base_name)
        with self._lock:
            delta = self._delta
            try:
                size = path.stat().st_size
            except OSError:
                return
            if size <= delta.read_bytes:
                return
            with open(path, "rb") as fh:
                fh.seek(delta.read_bytes)
                chunk = fh.read(size - delta.read_bytes)
            complete = chunk[:chunk.rfind(b"\n") + 1]       # a line being written stays for next time
            items = [(term, int(df or 1)) for term, _, df in
                     (line.partition("\t") for line in complete.decode("utf-8").splitlines()) if term]
            delta.add(items)
            delta.read_bytes += len(complete)

    def candidates(self, probe: str, limit: int = MAX_CANDIDATES) -> list[Candidate]:
        """Terms within two edits of ``probe`` from the base and the delta, nearest then most frequent."""
        self._refresh()
        with self._lock:
            base, delta = self._base, self._delta
        out = base.candidates(probe, limit) if base is not None else []
        out += delta.candidates(probe, limit)
        best: dict[str, Candidate] = {}
        for c in out:
            if c.term not in best or c.df > best[c.term].df:
                best[c.term] = c
        return sorted(best.values(), key=lambda c: (c.distance, -c.df, c.term))

    def with_prefix(self, prefix: str, limit: int) -> tuple[list[str], bool]:
        """The ``limit`` most frequent terms (base and delta) beginning with ``prefix``, and whether more do.

        Only prefixes the speller can hold (``suggestible``: no digit, no folded Latin key) have an answer."""
        if not suggestible(prefix):
            return [], False
        self._refresh()
        with self._lock:
            base, delta = self._base, self._delta
        found, n = base.with_prefix(prefix, limit) if base is not None else ([], 0)
        best = dict(found)
        for term, df in delta.with_prefix(prefix):
            if term not in best:
                n += 1
            best[term] = max(best.get(term, 0), df)
        ranked = sorted(best, key=lambda t: (-best[t], t))
        return ranked[:limit], n > limit

    @property
    def examined(self) -> int:
        """Candidates given an exact distance so far by the loaded base."""
        return self._base.examined if self._base is not None else 0


MAX_CORRECTED_WORDS = 8     # unknown words looked up per query at most
MAX_PROBES = 4              # spellings tried per word (its folded form and its keys)
MAX_VERIFIED = 3            # candidates checked against the live index per probe


def suggest(words: list[str], store: SpellerStore, known: Callable[[Iterable[str]], bool]) -> str | None:
    """``words`` with each one the index does not know replaced by the nearest indexed term, or None.

    ``known(keys)`` tells whether the live index has any of ``keys`` (it also weeds out terms of removed
    documents that the speller still lists). Work is bounded by the number of words, never the vocabulary.
    """
    from .analysis import word_keys
    from .analysis.normalize import fold_token, normalize_text

    out: list[str] = []
    changed = False
    looked_up = 0
    for w in words:
        if len(w) < 4 or len(w) > MAX_TERM or w.isdigit() or looked_up >= MAX_CORRECTED_WORDS:
            out.append(w)
            continue
        keys = word_keys(w)
        if known(keys):
            out.append(w)
            continue
        looked_up += 1
        probes = list(dict.fromkeys([fold_token(normalize_text(w))] + sorted(k for k in keys if suggestible(k))))
        best: Candidate | None = None
        for probe in probes[:MAX_PROBES]:
            verified = 0
            for c in store.candidates(probe):
                if best is not None and (c.distance, -c.df, c.term) >= (best.distance, -best.df, best.term):
                    break
                if verified >= MAX_VERIFIED:
                    break
                verified += 1
                if known((c.term,)):
                    best = c
                    break
        out.append(best.term if best else w)
        changed = changed or best is not None
    return " ".join(out) if changed else None
