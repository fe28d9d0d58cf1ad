"""The surface forms of every index key, recorded at index time, so snippets need no analysis at query time.

``озеро`` was indexed from ``озёра``, ``озере``, ``Озеро``...; a snippet for the key ``озеро`` only has to
find those words in the page text, which one compiled regular expression does in C. The forms live in a
small SQLite file in the index folder (``forms.sqlite``), written by whichever process indexes and read by
every process; they only grow (a form of a removed document is still a form of its key).

The same file keeps a Bloom filter of each body page's keys (``page_filter``), replaced with its document:
a search reads from the database only the pages of its hits that may hold the query. Beside it, each page's
token spans (``page_spans``): where every key's words are on the page, so a snippet is chosen without
searching the page text and only the passages shown are read.
"""
from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import struct
import sys
import threading
import zlib
from array import array
from pathlib import Path
from typing import Iterable, Mapping, Sequence

logger = logging.getLogger(__name__)

CACHE_KIB = 256              # SQLite page cache of each connection to the store (``_conn``)
MAX_FORMS_PER_KEY = 400      # a Kazakh stem has many suffixed forms; more than this is noise
_BLOOM_MIN_BITS = 256        # a page's key filter: a power of two, at least 8 bits per key (~5% false hits)
_key_hashes: dict[str, int] = {}   # key -> its two ``_hashes`` in one int: CRC-32 << 32 | Adler-32
_HASHES_KEPT = 200_000             # keys whose hashes a process keeps (then it starts again)


def _hash_of(key: str) -> int:
    b = key.encode("utf-8")
    return zlib.crc32(b) << 32 | (zlib.adler32(b) | 1)


def _hash64(key: str) -> int:
    """``_hashes(key)`` as one int (the CRC-32 in the high 32 bits), cached."""
    h = _key_hashes.get(key)
    if h is None:
        if len(_key_hashes) >= _HASHES_KEPT:
            _key_hashes.clear()
        h = _key_hashes[key] = _hash_of(key)
    return h


def _hashes(key: str) -> tuple[int, int]:
    """Two stable hashes of ``key`` (not ``hash()``: it differs between processes): its CRC-32 and its Adler-32
    made odd."""
    h = _hash64(key)
    return h >> 32, h & 0xFFFFFFFF


_SPANS_HEAD = struct.Struct("<BI")       # layout and flags (_WIDE_STARTS), key occurrences
_WIDE_STARTS = 1                         # starts stored in 4 bytes, not 2
_POSITIONS_KEPT = 2                      # the starts are offsets into the stored page text too (not only the
                                         # normalised one): a search may read just the part a passage shows
_TEXT_SAME = 4                           # ... and normalising the stored text changes nothing: it is shown as read
_SPANS_FORMAT = 0x20                      # the high four bits of the first byte: this layout
SPAN_CAPPED = 255                         # a word's length stored up to this
PAGE_KEY = 1 << 20                        # a page's row id in the spans table: document x PAGE_KEY + page


def page_records(keys: Sequence[str], starts: Sequence[int], lengths: Sequence[int],
                 kept: bool = False, same: bool = False) -> tuple[bytes, bytes]:
    """A body page's ``page_filter`` and ``page_spans`` at once, as an index build makes them for every page:
    its keys are hashed once, and the rest runs in numpy (no Python code per key or token)."""
    hashed = _hashed(keys)
    return _filter(hashed), _spans(hashed, starts, lengths, kept, same)


def _hashed(keys: Sequence[str]):
    """The keys' ``_hash64`` as a numpy array (numpy is loaded on the build side only, not by web workers)."""
    import numpy as np

    try:
        return np.fromiter(map(_key_hashes.__getitem__, keys), dtype=np.uint64, count=len(keys))
    except KeyError:                                  # keys not hashed yet in this process: those are hashed
        pass
    missing = set(keys).difference(_key_hashes)
    if len(_key_hashes) + len(missing) > _HASHES_KEPT:
        _key_hashes.clear()
        missing = set(keys)
    _key_hashes.update(zip(missing, map(_hash_of, missing)))
    return np.fromiter(map(_key_hashes.__getitem__, keys), dtype=np.uint64, count=len(keys))


def _filter(hashed) -> bytes:
    import numpy as np

    # At least 8 bits a distinct key (distinct hashes: two keys with both hashes equal set the same bits).
    ordered = np.sort(hashed)
    distinct = int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if len(hashed) else 0
    bits = _BLOOM_MIN_BITS
    while bits < 8 * distinct:
        bits *= 2
    mask = np.uint64(bits - 1)
    crcs = hashed >> np.uint64(32)
    on = np.zeros(bits, dtype=bool)
    on[crcs & mask] = True                                          # the two probes of ``_probe``
    on[(crcs + (hashed & np.uint64(0xFFFFFFFF))) & mask] = True
    return np.packbits(on, bitorder="little").tobytes()


def _spans(hashed, starts: Sequence[int], lengths: Sequence[int], kept: bool = False, same: bool = False) -> bytes:
    import numpy as np

    n = len(hashed)
    flags = (_SPANS_FORMAT | (_WIDE_STARTS if n and max(starts) > 0xFFFF else 0) | (_POSITIONS_KEPT if kept or same else 0)
             | (_TEXT_SAME if same else 0))
    return b"".join((_SPANS_HEAD.pack(flags, n), (hashed >> np.uint64(32)).astype("<u4").tobytes(),
                     array("I" if flags & _WIDE_STARTS else "H", starts).tobytes(), _lengths(lengths)))


def page_filter(keys: Iterable[str]) -> bytes:
    """A Bloom filter of a page's index keys: ``may_hold`` then never misses one, and says yes to a key
    the page lacks about one time in twenty (at least 8 bits a distinct key, two bits set per key)."""
    return _filter(_hashed(list(keys)))


def page_spans(keys: Sequence[str], starts: Sequence[int], lengths: Sequence[int], kept: bool = False,
               same: bool = False) -> bytes:
    """A page's token spans: where each key's words are on the page.

    ``keys[i]`` was indexed from the word at ``starts[i]`` (characters into the normalised page) of
    ``lengths[i]`` characters. Stored: a header, then per occurrence in page order its key's CRC-32, its word's
    start and its length (capped at 255: a longer word's end is found again when shown), each as a column. Not
    compressed: a search reads a few keys of ~60 pages, finding each key's occurrences with ``bytes.find`` on
    its CRC-32, without unpacking the rest (7 bytes a key occurrence). Two keys of a page may share a CRC-32
    (about one page in a million for a query key): what is shown is checked against the text. An index build
    makes them with the page's filter (``page_records``).

    ``kept``: the starts are offsets into the page text as stored, too (normalising it moved no character:
    ``analysis.normalize.positions_kept``); ``same``: normalising it changed nothing at all (so it is kept too).
    ``FormStore.spans_kept`` says which pages are such.
    """
    return _spans(_hashed(keys), starts, lengths, kept, same)


def _lengths(lengths: Sequence[int]) -> bytes:
    """Word lengths as bytes, capped at ``SPAN_CAPPED`` (a check per word only when one is longer)."""
    try:
        return bytes(lengths)
    except ValueError:
        return bytes(map(min, lengths, itertools.repeat(SPAN_CAPPED)))


_START16 = struct.Struct("<H").unpack_from
_START32 = struct.Struct("<I").unpack_from


def _needles(keys: Iterable[str]) -> list[tuple[str, bytes, int]]:
    """Each key with its CRC-32 as stored in ``page_spans`` (little-endian bytes) and as a number."""
    return [(k, h.to_bytes(4, "little"), h) for k in keys for h in (_hashes(k)[0],)]


def spans_of(blob: bytes, keys: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, key) of every word of the page whose ``page_spans`` is ``blob`` indexed under one of
    ``keys`` (or under another key with the same CRC-32), in page order; a capped length gives an end of
    start + ``SPAN_CAPPED``. ValueError for a blob of another layout or cut short."""
    return _spans_in(blob, _needles(keys))


_FIND_KEYS_MAX = 8     # keys searched for in a page's CRC-32s one by one; with more, only those the page holds
_SWAP = sys.byteorder != "little"


def _spans_in(blob: bytes, needles: list[tuple[str, bytes, int]]) -> list[tuple[int, int, str]]:
    """``spans_of`` with the keys' CRC-32s found once for every page a search reads (``_needles``)."""
    flags, n = _SPANS_HEAD.unpack_from(blob)
    if flags & 0xF0 != _SPANS_FORMAT:
        raise ValueError("token spans of another layout")
    crcs_at = _SPANS_HEAD.size
    sw = 4 if flags & _WIDE_STARTS else 2
    starts_at = crcs_at + 4 * n
    lengths_at = starts_at + sw * n
    if len(blob) != lengths_at + n:
        raise ValueError("token spans cut short")
    start = _START32 if sw == 4 else _START16
    out: list[tuple[int, int, str]] = []
    if len(needles) > _FIND_KEYS_MAX:
        # Many keys (a prefix's): only those whose CRC-32 the page holds are searched for (one set of its CRC-32s).
        crcs = array("I", blob[crcs_at:starts_at])
        if _SWAP:
            crcs.byteswap()
        held = set(crcs)
        needles = [nd for nd in needles if nd[2] in held]
    find = blob.find
    for k, crc, _n in needles:
        # Every place of the CRC-32 among the page's CRC-32s (not across two of them), in a plain loop: ~30
        # pages and a few keys a search, and a generator's resuming for each place cost as much as the finds.
        at = find(crc, crcs_at, starts_at)
        while at != -1:
            off = at - crcs_at
            if off & 3:
                at = find(crc, at + 1, starts_at)
                continue
            j = off >> 2
            s = start(blob, starts_at + sw * j)[0]
            out.append((s, s + blob[lengths_at + j], k))
            at = find(crc, at + 4, starts_at)
    out.sort()
    return out


def _probe(key: str, size: int) -> tuple[tuple[int, int], ...]:
    """The (byte, bit mask) pairs ``key`` sets in a filter of ``size`` bytes."""
    mask = size * 8 - 1
    h1, h2 = _hashes(key)
    return tuple((p >> 3, 1 << (p & 7)) for p in (h1 & mask, (h1 + h2) & mask))


def _doc_ids(doc: int) -> tuple[int, int]:
    """The first and last row id a document's pages can have in the spans table."""
    return int(doc) * PAGE_KEY, int(doc) * PAGE_KEY + PAGE_KEY - 1


def may_hold(page: bytes, key: str) -> bool:
    """Whether the page whose filter is ``page`` may hold ``key`` (False: it certainly does not)."""
    return all(page[i] & bit for i, bit in _probe(key, len(page)))


class FormStore:
    """Key -> surface forms (lower-case, ё folded), shared by every backend and process."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / "forms.sqlite" if folder is not None else None
        self._local = threading.local()
        self._memory: dict[str, set[str]] = {}
        self._memory_pages: dict[int, list[tuple[int, bytes, bytes | None]]] = {}
        self._warned_spans = False

    def _file_id(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)  # type: ignore[arg-type]
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        # A connection is reused while its file is the same one: an index folder deleted and built again (a
        # repair, a restore) gets a fresh connection instead of one to the removed file.
        if conn is not None and (getattr(self._local, "pid", None) != os.getpid()
                                 or getattr(self._local, "file", None) != self._file_id()):
            try:
                conn.close()
            except sqlite3.Error:
                pass
            conn = None
        if conn is None:
            assert self.path is not None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # A small page cache: each thread of a worker keeps a connection, and at SQLite's default (2 MB each)
            # they held ~9 MB of a Whoosh worker's memory on the 3,000-article archive. The rows read are spread
            # over the whole file (a page's spans), so a larger cache saved little; the OS caches the file anyway.
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            conn.execute("CREATE TABLE IF NOT EXISTS forms (key TEXT NOT NULL, form TEXT NOT NULL, "
                         "PRIMARY KEY (key, form)) WITHOUT ROWID")
            # Per document page, a filter of the keys its body text was indexed under (``page_filter``).
            conn.execute("CREATE TABLE IF NOT EXISTS pages (doc INTEGER NOT NULL, page INTEGER NOT NULL, "
                         "filter BLOB NOT NULL, PRIMARY KEY (doc, page)) WITHOUT ROWID")
            # ... and its token spans (``page_spans``), kept apart so that reading filters stays cheap; a rowid
            # table (document x PAGE_KEY + page) as the rows are a few kilobytes. Absent for a page indexed before
            # they were recorded.
            conn.execute("CREATE TABLE IF NOT EXISTS page_spans (id INTEGER PRIMARY KEY, spans BLOB NOT NULL)")
            self._local.conn, self._local.pid, self._local.file = conn, os.getpid(), self._file_id()
        return conn

    def add(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record ``(key, form)`` pairs (after the index commit; duplicates are ignored)."""
        pairs = sorted(set(pairs))
        if not pairs:
            return
        if self.path is None:
            for key, form in pairs:
                self._memory.setdefault(key, set()).add(form)
            return
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR IGNORE INTO forms (key, form) VALUES (?, ?)", pairs)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def forms(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """The known forms of each of ``keys`` (keys never indexed are absent)."""
        keys = sorted(set(keys))
        if self.path is None:
            return {k: set(self._memory[k]) for k in keys if k in self._memory}
        if not self.path.exists():
            return {}
        out: dict[str, set[str]] = {}
        conn = self._conn()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))          # only placeholders are formatted in; values are bound
            rows = conn.execute(f"SELECT key, form FROM forms WHERE key IN ({marks})", chunk)  # nosec B608
            for key, form in rows:
                found = out.setdefault(key, set())
                if len(found) < MAX_FORMS_PER_KEY:
                    found.add(form)
        return out

    def empty(self) -> bool:
        """Whether nothing was ever recorded (an index built before forms existed: snippets must analyse)."""
        if self.path is None:
            return not self._memory
        if not self.path.exists():
            return True
        return self._conn().execute("SELECT 1 FROM forms LIMIT 1").fetchone() is None

    def form_keys(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """Folded surface form -> the ``keys`` it was indexed under (each key is a form of itself too);
        empty when the store is empty."""
        keys = set(keys)
        found = self.forms(keys) if keys else {}
        if not found and (not keys or self.empty()):     # asked only when none of the keys has forms
            return {}
        out: dict[str, set[str]] = {k: {k} for k in keys if not k.startswith("~")}
        for key, forms in found.items():
            for f in forms:
                out.setdefault(f, set()).add(key)
        return out

    def set_pages(self, filters: Mapping[int, Sequence[tuple[int, bytes, bytes]]]) -> None:
        """Replace the page filters and token spans of each document in ``filters``, (page, filter, spans) per
        body page (after the index commit)."""
        if not filters:
            return
        if self.path is None:
            for doc, pages in filters.items():
                self._memory_pages[int(doc)] = list(pages)
            return
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("DELETE FROM pages WHERE doc = ?", [(int(d),) for d in filters])
            conn.executemany("DELETE FROM page_spans WHERE id BETWEEN ? AND ?", [_doc_ids(d) for d in filters])
            conn.executemany("INSERT INTO pages (doc, page, filter) VALUES (?, ?, ?)",
                             [(int(d), int(n), f) for d, pages in filters.items() for n, f, _sp in pages])
            conn.executemany("INSERT INTO page_spans (id, spans) VALUES (?, ?)",
                             [(int(d) * PAGE_KEY + int(n), sp) for d, pages in filters.items() for n, _f, sp in pages
                              if 0 <= int(n) < PAGE_KEY])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def drop_pages(self, docs: Iterable[int]) -> None:
        """Forget the page filters of removed documents."""
        docs = [int(d) for d in docs]
        if self.path is None:
            for d in docs:
                self._memory_pages.pop(d, None)
        elif docs and self.path.exists():
            self._conn().executemany("DELETE FROM pages WHERE doc = ?", [(d,) for d in docs])
            self._conn().executemany("DELETE FROM page_spans WHERE id BETWEEN ? AND ?", [_doc_ids(d) for d in docs])

    def page_candidates(self, docs: Iterable[int], keys: Iterable[str]) -> dict[int, list[int]]:
        """Per document of ``docs`` with recorded page filters: its pages that may hold one of ``keys``, those
        that may hold the most of them first, then in page order (an empty list: no page holds any).
        Documents without filters (indexed before they were recorded) are absent."""
        docs = sorted({int(d) for d in docs})
        keys = sorted(set(keys))
        rows: list[tuple[int, int, bytes]] = []
        if self.path is None:
            rows = [(d, n, f) for d in docs for n, f, _sp in self._memory_pages.get(d, ())]
        elif docs and self.path.exists():
            marks = ",".join("?" * len(docs))            # only placeholders are formatted in; values are bound
            rows = self._conn().execute(
                f"SELECT doc, page, filter FROM pages WHERE doc IN ({marks})", docs).fetchall()  # nosec B608
        scored: dict[int, list[tuple[int, int]]] = {}
        # Filter size -> each key's two (byte, bit) probes in such a filter: two bytes looked at a key and page
        # (reading a ~500-byte filter as an int and masking it cost three times as much, most of this call).
        probes: dict[int, list[tuple[tuple[int, int], ...]]] = {}
        for d, n, f in rows:
            size = len(f)
            pairs = probes.get(size)
            if pairs is None:
                pairs = probes[size] = [_probe(k, size) for k in keys]
            held = 0
            for (i, bit), (j, bit2) in pairs:
                if f[i] & bit and f[j] & bit2:
                    held += 1
            found = scored.setdefault(d, [])
            if held:
                found.append((-held, n))
        return {d: [n for _h, n in sorted(found)] for d, found in scored.items()}

    def spans(self, pages: Iterable[tuple[int, int]], keys: Iterable[str]) -> dict[tuple[int, int], list]:
        """(start, end, key) of the words indexed under ``keys`` on each (document, page) of ``pages``, in page
        order (``spans_of``); pages without recorded spans are absent."""
        return self.spans_kept(pages, keys)[0]

    def spans_kept(self, pages: Iterable[tuple[int, int]], keys: Iterable[str]
                   ) -> tuple[dict[tuple[int, int], list], dict[tuple[int, int], bool]]:
        """``spans`` and the pages of them whose offsets are into the stored page text too (``page_spans``'s
        ``kept``), each with whether that text is the normalised one (``same``)."""
        pairs = sorted({(int(d), int(n)) for d, n in pages})
        keyset = sorted(set(keys))
        kept: dict[tuple[int, int], bool] = {}
        if not pairs or not keyset:
            return {}, kept
        rows: list[tuple[int, int, bytes | None]] = []
        if self.path is None:
            rows = [(d, n, sp) for d in {d for d, _n in pairs} for n, _f, sp in self._memory_pages.get(d, ())]
        elif self.path.exists():
            conn = self._conn()
            ids = [d * PAGE_KEY + n for d, n in pairs if 0 <= n < PAGE_KEY]
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                marks = ",".join("?" * len(chunk))           # only placeholders are formatted in; values are bound
                rows += [(id_ // PAGE_KEY, id_ % PAGE_KEY, sp) for id_, sp in conn.execute(
                    f"SELECT id, CAST(spans AS BLOB) FROM page_spans WHERE id IN ({marks})", chunk)]  # nosec B608
        wanted = set(pairs)
        needles = _needles(keyset)
        out: dict[tuple[int, int], list] = {}
        for d, n, sp in rows:
            if sp is not None and (d, n) in wanted:
                try:
                    out[(d, n)] = _spans_in(sp, needles)
                    if sp[0] & _POSITIONS_KEPT:
                        kept[(d, n)] = bool(sp[0] & _TEXT_SAME)
                except (ValueError, struct.error):
                    # Another layout (an index written by other code) or a damaged row: as if not recorded, the
                    # page is searched instead; logged once per process.
                    if not self._warned_spans:
                        self._warned_spans = True
                        logger.warning("unreadable token spans in %s (document %d, page %d): such pages are "
                                       "searched instead until the next reindex", self.path, d, n)
        return out, kept

    def clear(self) -> None:
        """Forget every form and page filter (the index was emptied)."""
        if self.path is None:
            self._memory.clear()
            self._memory_pages.clear()
        elif self.path.exists():
            self._conn().execute("DELETE FROM forms")
            self._conn().execute("DELETE FROM pages")
            self._conn().execute("DELETE FROM page_spans")
