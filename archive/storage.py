"""Stored files by content hash: ``files/<sha[:2]>/<sha>``; uploaded names are never used as paths."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class FileStore:
    """Content-addressed files under a root folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, sha: str) -> Path:
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ValueError("not a sha256")
        return self.root / sha[:2] / sha

    def exists(self, sha: str) -> bool:
        return self.path_for(sha).exists()

    def _intact(self, dest: Path, sha: str) -> bool:
        """Whether a file already at ``dest`` holds the right bytes (an orphan a crash left is re-used;
        a damaged one is replaced by the good copy in hand)."""
        if not dest.exists():
            return False
        if sha256_of(dest) == sha:
            return True
        logger.warning("stored file %s does not match its hash; replacing it with the incoming copy", sha)
        return False

    def put(self, src: Path, sha: str) -> bool:
        """Copy ``src`` into the store atomically; returns True when the file was newly written.

        Written to a temporary name, synced, then renamed: the store never holds a partial file under a
        hash name. If the process dies before its database commit, the file stays as an orphan that a
        re-run adopts or ``manage.py check --repair`` removes.
        """
        dest = self.path_for(sha)
        if self._intact(dest, sha):
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                shutil.copyfileobj(inp, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True

    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        """Store bytes; returns (sha256, newly written)."""
        sha = hashlib.sha256(data).hexdigest()
        dest = self.path_for(sha)
        if self._intact(dest, sha):
            return sha, False
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha, True

    def remove(self, sha: str) -> None:
        self.path_for(sha).unlink(missing_ok=True)
