"""Public pages: home, search results, publication, downloads."""
from __future__ import annotations

import logging
import mimetypes

from flask import Blueprint, abort, render_template, request, send_file
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import db_session, get_archive
from ..models import Authorship, Publication, PublicationPage
from ..search import run_search
from .common import FACET_PARAMS, filters_from_args, int_arg, load_publication, url_with

logger = logging.getLogger(__name__)

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    s = db_session()
    recent = list(s.scalars(
        select(Publication).where(Publication.status == "published", Publication.parent_id.is_(None)
                                  | (Publication.kind == "article"))
        .options(selectinload(Publication.authorships).selectinload(Authorship.person))
        .order_by(Publication.published_at.desc(), Publication.id.desc()).limit(10)))
    total = s.scalar(select(func.count()).select_from(Publication).where(Publication.status == "published"))
    return render_template("main/home.html", recent=recent, total=total)


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    page = int_arg("page", 1, 1, 1000)
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest", "oldest"):
        sort = "relevance"
    limit = get_archive().config.get("SEARCH_PAGE_SIZE", 10)
    result = run_search(get_archive(), db_session(), q, page=page, limit=limit, filters=filters_from_args(),
                        sort=sort)
    return render_template("main/search.html", q=q, result=result, sort=sort, facets=_facet_view(result),
                           active=_active_filters(), url_with=url_with)


def _facet_labels(name: str, values: list[str]) -> dict[str, str]:
    """Readable labels for facet values: names of people, titles of volumes, topic labels."""
    from flask_babel import get_locale, gettext as _

    from ..models import Person, Topic, Volume

    s = db_session()
    if name == "lang":
        return {"ru": _("Russian"), "kk": _("Kazakh"), "en": _("English")}
    if name == "kind":
        return {"article": _("Articles"), "volume": _("Conference volumes"), "report": _("Reports"),
                "commentary": _("Media commentary"), "event": _("Events")}
    ids = [int(v) for v in values if v.isdigit()]
    if name == "persons" and ids:
        return {str(p.id): p.name for p in s.scalars(select(Person).where(Person.id.in_(ids)))}
    if name == "collection" and ids:
        return {str(v.id): v.title for v in s.scalars(select(Volume).where(Volume.id.in_(ids)))}
    if name == "topics" and values:
        loc = str(get_locale() or "ru")
        return {t.slug: t.label(loc) for t in s.scalars(select(Topic).where(Topic.slug.in_(values)))}
    return {}


def _facet_view(result) -> list[tuple[str, str, list[tuple[str, str, int]]]]:
    """(name, URL parameter, [(value, label, count)]) for every facet with values, most frequent first."""
    from flask_babel import gettext as _

    titles = {"year": _("Year"), "lang": _("Language"), "kind": _("Kind"), "persons": _("Authors"),
              "collection": _("Conferences and volumes"), "topics": _("Topics")}
    out = []
    for name in ("year", "topics", "persons", "collection", "lang", "kind"):
        counts = result.facets.get(name) or {}
        if not counts:
            continue
        labels = _facet_labels(name, list(counts))
        items = sorted(counts.items(), key=(lambda kv: -int(kv[0])) if name == "year" else (lambda kv: -kv[1]))
        out.append((titles[name], FACET_PARAMS[name], [(v, labels.get(v, v), n) for v, n in items[:12]]))
    return out


def _active_filters() -> list[tuple[str, str]]:
    """(parameter, value) pairs of the facet filters in the URL, each removable."""
    return [(k, v) for k in ("year", "from", "to", "lang", "kind", "volume", "topic", "person")
            for v in request.args.getlist(k) if v]


@bp.get("/p/<int:pub_id>")
def publication(pub_id: int):
    pub = load_publication(pub_id)
    pages = list(db_session().scalars(select(PublicationPage).where(PublicationPage.publication_id == pub.id)
                                      .order_by(PublicationPage.number)))
    articles = []
    if pub.kind == "volume":
        articles = list(db_session().scalars(
            select(Publication).where(Publication.parent_id == pub.id, Publication.status == "published")
            .order_by(Publication.pdf_page_start)))
    from ..services import citations, scholar
    from .export import public_base_url

    base = public_base_url()
    cite = {}
    if pub.status == "published":
        cite = {"gost": citations.gost_r_7_0_100(pub, base), "gost71": citations.gost_7_1(pub, base),
                "bibtex": citations.bibtex(pub, base), "ris": citations.ris(pub, base)}
    duplicate = None
    if pub.duplicate_of_id:
        duplicate = db_session().get(Publication, pub.duplicate_of_id)
        if duplicate is not None and duplicate.status != "published":
            duplicate = None
    related = []
    if pub.status == "published":
        _count_usage(pub.id, "view")
        from ..services.related import related_publications

        related = related_publications(db_session(), pub)
    return render_template("main/publication.html", pub=pub, pages=pages, articles=articles, cite=cite,
                           tags=scholar.scholar_tags(pub, base), json_ld=scholar.json_ld(pub, base),
                           has_pdf=citations.has_pdf(pub), duplicate=duplicate,
                           usage=_usage_totals(pub.id) if pub.status == "published" else None, related=related)


def _count_usage(pub_id: int, kind: str) -> None:
    """Count a view or download in a session of its own; a failure is logged and never breaks the page."""
    try:
        from flask_login import current_user

        from ..services import usage

        with get_archive().db.session() as s:
            usage.record(s, pub_id, kind, request.headers.get("User-Agent", ""), current_user,
                         method=request.method)
    except Exception:  # noqa: BLE001 - counting is secondary to serving the reader
        logger.exception("could not count %s of publication %s", kind, pub_id)


def _usage_totals(pub_id: int):
    try:
        from ..services import usage

        return usage.totals_for_publication(db_session(), pub_id)
    except Exception:  # noqa: BLE001
        logger.exception("could not read usage of publication %s", pub_id)
        return None


def _count_download(pub_id: int, resp) -> None:
    """A download counts once: not for a "not modified" answer, nor for the later ranges a PDF viewer asks."""
    if resp.status_code == 200 or (resp.status_code == 206 and resp.headers.get("Content-Range", "")
                                   .startswith("bytes 0-")):
        _count_usage(pub_id, "download")


def _send_stored(sf, download_name: str):
    path = get_archive().files.path_for(sf.sha256)
    if not path.exists():
        abort(404)
    mime = sf.mime or mimetypes.guess_type(download_name)[0] or "application/octet-stream"
    return send_file(path, mimetype=mime, as_attachment=False, download_name=download_name, max_age=3600,
                     conditional=True, etag=sf.sha256)


@bp.get("/p/<int:pub_id>/original")
def download_original(pub_id: int):
    pub = load_publication(pub_id)
    if pub.status != "published" or pub.source_file is None:
        abort(404)
    resp = _send_stored(pub.source_file, pub.source_file.original_name)
    _count_download(pub.id, resp)
    return resp


@bp.get("/p/<int:pub_id>/article.pdf")
def download_article(pub_id: int):
    pub = load_publication(pub_id)
    from ..services.citations import has_pdf

    if pub.status != "published" or not has_pdf(pub):
        abort(404)
    sf = pub.article_file or pub.source_file
    resp = _send_stored(sf, f"kelisim-{pub.id}.pdf")
    _count_download(pub.id, resp)
    return resp


@bp.get("/healthz")
def health():
    db_session().execute(select(1))
    return {"status": "ok"}
