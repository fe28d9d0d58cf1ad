"""The surface forms of every index key, recorded at index time, so snippets need no analysis at query time.

``озеро`` was indexed from ``озёра``, ``озере``, ``Озеро``...; a snippet for the key ``озеро`` only has to
find those words in the page text, which one compiled regular expression does in C. The forms live in a
small SQLite file in the index folder (``forms.sqlite``), written by whichever process indexes and read by
every process; it only grows (a form of a removed document is still a form of its key).
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable

logger = logging.getLogger(__name__)

MAX_FORMS_PER_KEY = 400      # a Kazakh stem has many suffixed forms; more than this is noise


class FormStore:
    """Key -> surface forms (lower-case, ё folded), shared by every backend and process."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / "forms.sqlite" if folder is not None else None
        self._local = threading.local()
        self._memory: dict[str, set[str]] = {}

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
            conn.execute("CREATE TABLE IF NOT EXISTS forms (key TEXT NOT NULL, form TEXT NOT NULL, "
                         "PRIMARY KEY (key, form)) WITHOUT ROWID")
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
        if not keys or self.empty():
            return {}
        out: dict[str, set[str]] = {k: {k} for k in keys if not k.startswith("~")}
        for key, forms in self.forms(keys).items():
            for f in forms:
                out.setdefault(f, set()).add(key)
        return out

    def clear(self) -> None:
        """Forget every form (the index was emptied)."""
        if self.path is None:
            self._memory.clear()
        elif self.path.exists():
            self._conn().execute("DELETE FROM forms")
