"""Sending stored files to people: which file, where its bytes are, under which name and type."""
from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from indexer.analysis.translit import cyrillic_to_latin

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


def article_file(pub) -> Optional[StoredFile]:
    """The file that holds just this publication (its cut PDF), else its original."""
    return pub.article_file or pub.source_file


_NOT_SAFE = re.compile(r"[^A-Za-z0-9._ ()+-]+")


def ascii_name(name: str) -> str:
    """A plain-ASCII form of a file name for the legacy ``filename=`` parameter: Cyrillic and Kazakh letters
    transliterated ("Статья №1 (итог).pdf" → "Statia No1 (itog).pdf"), anything else dropped."""
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 8:
        stem, ext = name, ""
    latin = " ".join(cyrillic_to_latin(w) for w in stem.replace("№", "No").split())
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii")
    latin = " ".join(_NOT_SAFE.sub("", latin).split()).strip(" .") or "file"
    ext = _NOT_SAFE.sub("", unicodedata.normalize("NFKD", ext).encode("ascii", "ignore").decode("ascii"))
    return f"{latin}.{ext}" if ext else latin


def content_disposition(name: str, attachment: bool) -> str:
    """``Content-Disposition`` with a transliterated ASCII ``filename`` and the exact UTF-8 ``filename*``."""
    kind = "attachment" if attachment else "inline"
    fallback = ascii_name(name).replace('"', "")
    if fallback == name:
        return f'{kind}; filename="{fallback}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
