"""Citation downloads: one publication or a whole search result list as BibTeX, RIS, CSL-JSON, DC XML or GOST."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Callable
from flask import Blueprint, Response, abort, request
from lxml import etree

from ..core import db_session, get_archive
from ..i18n import public_base_url
from ..models import Publication
from ..search import run_search
from ..services import citations, references
from .common import filters_from_args, load_publication, translate_arg

bp = Blueprint("export", __name__)

FORMATS: dict[str, str] = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}
MAX_EXPORT = 1000
_PAGE = 100


def _download(body: str | bytes, fmt: str, filename: str) -> Response:
    resp = Response(body, mimetype=None, content_type=FORMATS[fmt])
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


def _render(pubs: list[Publication], fmt: str, base: str) -> str | bytes:
    """Several publications in one file of the given format."""
    if fmt == "bib":
        keys = citations.unique_keys(pubs)
        return "\n".join(citations.bibtex(p, base, key=k) for p, k in zip(pubs, keys))
    if fmt == "ris":
        return "\r\n".join(citations.ris(p, base) for p in pubs)
    if fmt == "json":
        return json.dumps([citations.csl_json(p, base) for p in pubs], ensure_ascii=False, indent=2)
    if fmt == "xml":
        root = etree.Element("records")
        for p in pubs:
            root.append(citations.dublin_core(p, base))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    today = datetime.now(timezone.utc).date()
    return "".join(f"{i}. {citations.gost_r_7_0_100(p, base, accessed=today)}\n" for i, p in enumerate(pubs, 1))


def _single(pub: Publication, fmt: str, base: str) -> str | bytes:
    """One publication in the given format."""
    render: dict[str, Callable[[], str | bytes]] = {
        "bib": lambda: citations.bibtex(pub, base),
        "ris": lambda: citations.ris(pub, base),
        "json": lambda: json.dumps(citations.csl_json(pub, base), ensure_ascii=False, indent=2),
        "xml": lambda: citations.dublin_core_xml(pub, base),
        "txt": lambda: citations.gost_r_7_0_100(pub, base, accessed=datetime.now(timezone.utc).date()) + "\n",
    }
    return render[fmt]()


@bp.get("/p/<int:pub_id>/cite.<fmt>")
def cite(pub_id: int, fmt: str):
    """One publication's citation as a download; withdrawn publications answer 410 Gone."""
    if fmt not in FORMATS:
        abort(404)
    pub = load_publication(pub_id)
    if pub.status != "published":
        abort(410)
    return _download(_single(pub, fmt, public_base_url()), fmt, f"kelisim-{pub.id}.{fmt}")


@bp.get("/p/<int:pub_id>/references.<fmt>")
def reference_list(pub_id: int, fmt: str):
    """A publication's reference list as a citation file (RIS, BibTeX, CSL-JSON, or the entries as printed)."""
    if fmt not in ("ris", "bib", "json", "txt"):
        abort(404)
    pub = load_publication(pub_id)
    if pub.status != "published":
        abort(410)
    rows = references.references_of(db_session(), pub.id)
    if not rows:
        abort(404)
    return _download(references.export_references(rows, fmt, public_base_url(), pub.id), fmt,
                     f"kelisim-{pub.id}-references.{fmt}")


@bp.get("/search/export.<fmt>")
def search_export(fmt: str):
    """The whole result list of a search (up to 1000 publications) in one citation file."""
    if fmt not in FORMATS:
        abort(404)
    q = request.args.get("q", "")
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest", "oldest"):
        sort = "relevance"
    filters = filters_from_args()
    pubs: list[Publication] = []
    seen: set[int] = set()
    page = 1
    while len(pubs) < MAX_EXPORT:
        result = run_search(get_archive(), db_session(), q, page=page, limit=_PAGE, filters=filters, sort=sort,
                            facets=False, snippets=False, translate=translate_arg())
        for hit in result.hits:
            if hit.publication.id not in seen and len(pubs) < MAX_EXPORT:
                seen.add(hit.publication.id)
                pubs.append(hit.publication)
        if page * _PAGE >= result.total or not result.hits:
            break
        page += 1
    return _download(_render(pubs, fmt, public_base_url()), fmt, f"kelisim-search.{fmt}")
