"""The running archive's parts, built once per process from the app config."""
from __future__ import annotations

import threading
from pathlib import Path

from indexer.backend import SearchBackend, open_backend
from uploads.limits import Limits

from .db import Database, database_url
from .storage import FileStore


class Archive:
    """Database, file store, search backend and extraction limits of one archive (one data folder)."""

    def __init__(self, config: dict, data_dir: Path) -> None:
        self.config = config
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(database_url(config.get("DATABASE_URL", ""), self.data_dir))
        self.files = FileStore(self.data_dir / "files")
        self.index_path = self.data_dir / "index"
        self._search: SearchBackend | None = None
        self._search_lock = threading.Lock()
        self.limits = Limits(seconds=float(config.get("EXTRACT_TIMEOUT_S", 300)),
                             memory_mb=int(config.get("EXTRACT_MEMORY_MB", 1536)),
                             max_pages=int(config.get("EXTRACT_MAX_PAGES", 3000)),
                             ocr=bool(config.get("OCR_ENABLED", True)))

    @property
    def search(self) -> SearchBackend:
        """The search backend, opened on first use (one per process)."""
        if self._search is None:
            with self._search_lock:
                if self._search is None:
                    self._search = open_backend(self.config.get("SEARCH_BACKEND", "whoosh"), self.index_path)
        return self._search

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
        self.db.dispose()
