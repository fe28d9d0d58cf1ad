"""Sending stored files to people: which file, where its bytes are, under which name and type."""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..models import StoredFile


@dataclass(frozen=True)
class Download:
    """A stored file ready to send: its bytes' path, media type, the name offered, its hash (the ETag)."""

    path: Path
    mime: str
    name: str
    etag: str


def download_of(archive, sf: Optional[StoredFile], name: str = "") -> Optional[Download]:
    """The stored file as a ``Download``, or None when there is no such file or its bytes are missing."""
    if sf is None:
        return None
    path = archive.files.path_for(sf.sha256)
    if not path.exists():
        return None
    name = name or sf.original_name
    mime = sf.mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Download(path, mime, name, sf.sha256)
