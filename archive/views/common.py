"""Helpers shared by the HTML and JSON views."""
from __future__ import annotations

from flask import abort, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from indexer.backend import Filters

from .. import db_session
from ..models import Authorship, Publication


def int_arg(name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
    """An integer query argument clamped to [lo, hi]; junk gives the default."""
    try:
        return max(lo, min(hi, int(request.args.get(name, default))))
    except (TypeError, ValueError):
        return default


def filters_from_args() -> Filters:
    """Facet selections from the URL (repeated parameters combine)."""
    def ints(name: str) -> tuple[int, ...]:
        return tuple(int(v) for v in request.args.getlist(name) if v.isdigit())

    y0 = request.args.get("from", "")
    y1 = request.args.get("to", "")
    return Filters(year_from=int(y0) if y0.isdigit() else None, year_to=int(y1) if y1.isdigit() else None,
                   langs=tuple(v for v in request.args.getlist("lang") if v in ("ru", "kk", "en")),
                   kinds=tuple(v for v in request.args.getlist("kind") if v.isalpha()),
                   collections=ints("volume"), topics=tuple(request.args.getlist("topic")),
                   persons=ints("person"))


def load_publication(pub_id: int) -> Publication:
    """A publication readers may see (published or withdrawn, as a tombstone), or 404."""
    pub = db_session().scalars(
        select(Publication).where(Publication.id == pub_id)
        .options(selectinload(Publication.authorships).selectinload(Authorship.person),
                 selectinload(Publication.volume), selectinload(Publication.source_file))).first()
    if pub is None or pub.status not in ("published", "withdrawn"):
        abort(404)
    return pub


def publication_url(pub: Publication, external: bool = False) -> str:
    return url_for("main.publication", pub_id=pub.id, _external=external)
