"""The JSON shapes of records, shared by the API and ``manage.py search --json``.

Field names are a contract: other tools depend on them. Addresses are built from the site's public base
URL (``PUBLIC_BASE_URL``, else the request's host), so the CLI needs no request to describe a record.
"""
from __future__ import annotations

from typing import Optional

from .models import Publication


def publication_url(base: str, pub_id: int) -> str:
    """The landing page of a publication."""
    return f"{base}/p/{pub_id}"


def publication_json(pub: Publication, base: str, score: Optional[float] = None,
                     snippet: Optional[str] = None) -> dict:
    """The stable record shape shared by search hits and single publications."""
    out = {
        "id": pub.id,
        "url": publication_url(base, pub.id),
        "title": pub.title,
        "authors": [a.person.name for a in pub.authorships],
        "year": pub.year,
        "language": pub.language or None,
        "kind": pub.kind,
        "collection": {"id": pub.volume.id, "title": pub.volume.title} if pub.volume else None,
        "pages": pub.pages_label,
        "source_file": pub.source_file.original_name if pub.source_file else None,
    }
    if score is not None:
        out["score"] = round(score, 4)
        out["snippet"] = snippet or ""
    return out


def file_links(pub: Publication, base: str, has_pdf: bool) -> dict:
    """Where the publication's files are downloaded."""
    return {
        "original": f"{base}/p/{pub.id}/original" if pub.source_file else None,
        "pdf": f"{base}/p/{pub.id}/article.pdf" if has_pdf else None,
    }
