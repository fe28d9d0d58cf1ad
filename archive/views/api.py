"""JSON API. Field names are a contract: other tools depend on them."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from .. import db_session, get_archive
from ..models import Publication
from ..search import run_search
from .common import filters_from_args, int_arg, load_publication

bp = Blueprint("api", __name__, url_prefix="/api")


def hit_json(pub: Publication, score: float | None = None, snippet: str | None = None) -> dict:
    """The stable record shape shared by search hits and single publications."""
    out = {
        "id": pub.id,
        "url": url_for("main.publication", pub_id=pub.id, _external=True),
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


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    page = int_arg("page", 1, 1, 1000)
    limit = int_arg("limit", 10, 1, 100)
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest", "oldest"):
        sort = "relevance"
    r = run_search(get_archive(), db_session(), q, page=page, limit=limit, filters=filters_from_args(), sort=sort)
    return jsonify({
        "query": q, "total": r.total, "page": page, "limit": limit, "relaxed": r.relaxed,
        "suggestion": r.suggestion,
        "hits": [hit_json(h.publication, h.score, h.snippet_html) for h in r.hits],
        "facets": r.facets,
    })


@bp.get("/publications/<int:pub_id>")
def publication(pub_id: int):
    pub = load_publication(pub_id)
    out = hit_json(pub)
    out.update({
        "status": pub.status,
        "titles": pub.titles, "abstracts": pub.abstracts, "keywords": pub.keywords,
        "udc": pub.udc or None, "bbk": pub.bbk or None, "isbn": pub.isbn or None, "doi": pub.doi or None,
        "authors_detail": [{"id": a.person.id, "name": a.person.name, "as_printed": a.name_as_printed,
                            "affiliation": a.affiliation or None} for a in pub.authorships],
        "files": {
            "original": url_for("main.download_original", pub_id=pub.id, _external=True) if pub.source_file else None,
            "pdf": url_for("main.download_article", pub_id=pub.id, _external=True)
            if pub.article_file or (pub.source_file and pub.source_file.mime == "application/pdf") else None,
        },
    })
    return jsonify(out)
