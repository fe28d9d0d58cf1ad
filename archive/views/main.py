"""Public pages: home, search results, publication, downloads."""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Blueprint, abort, make_response, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.http import parse_range_header

from .. import security
from ..core import db_session, get_archive, ping_database
from ..http import last_modified
from ..i18n import _, current_locale, public_base_url
from ..search import run_search
from ..services import browse, citations, files, publications, references, scholar, usage
from ..services.related import related_publications, translated_twins
from .common import (FACET_PARAMS, facet_urls, filters_from_args, int_arg, load_publication, translate_arg,
                     url_with)

logger = logging.getLogger(__name__)

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    s = db_session()
    return render_template("main/home.html", recent=publications.recent_published(s),
                           total=browse.published_total(s, get_archive()))


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    page = int_arg("page", 1, 1, 1000)
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest", "oldest"):
        sort = "relevance"
    limit = get_archive().config.get("SEARCH_PAGE_SIZE", 10)
    result = run_search(get_archive(), db_session(), q, page=page, limit=limit, filters=filters_from_args(),
                        sort=sort, translate=translate_arg(), names_only=True)
    args = urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "sort")])
    facets = _facet_view(result)
    # One address built for the five export formats: they differ in the format's extension only.
    sample = url_for("export.search_export", fmt="bib")
    stem = sample[:-3] if sample.endswith(".bib") else None
    return render_template("main/search.html", q=q, result=result, sort=sort, facets=facets,
                           active=_active_filters(facets), url_with=url_with,
                           export_url=lambda fmt: (stem + fmt if stem is not None
                                                      else url_for("export.search_export", fmt=fmt)) + "?" + args,
                           feed_url=url_for("feeds.search_atom") + ("?" + args if args else ""))


def _facet_labels(name: str, values: list[str]) -> dict[str, str]:
    """Readable labels for facet values: names of people, titles of volumes, topic labels."""
    if name == "lang":
        return {"ru": _("Russian"), "kk": _("Kazakh"), "en": _("English")}
    if name == "kind":
        return {"article": _("Articles"), "volume": _("Conference volumes"), "report": _("Reports"),
                "commentary": _("Media commentary"), "event": _("Events")}
    return browse.entity_labels(db_session(), name, values, current_locale())


def _facet_view(result) -> list[tuple[str, str, list[tuple[str, str, int, str]]]]:
    """(name, URL parameter, [(value, label, count, link)]) for every facet with values, most frequent first.
    The links are built here at once, not by a template call per value."""
    titles = {"year": _("Year"), "lang": _("Language"), "kind": _("Kind"), "persons": _("Authors"),
              "collection": _("Conferences and volumes"), "topics": _("Topics")}
    out = []
    for name in ("year", "topics", "persons", "collection", "lang", "kind"):
        counts = result.facets.get(name) or {}
        if not counts:
            continue
        labels = _facet_labels(name, list(counts))
        items = sorted(counts.items(), key=(lambda kv: -int(kv[0])) if name == "year" else (lambda kv: -kv[1]))
        param, shown = FACET_PARAMS[name], items[:12]
        out.append((titles[name], param, [(v, labels.get(v, v), n, url) for (v, n), url
                                          in zip(shown, facet_urls(param, [v for v, _n in shown]))]))
    return out


def _active_filters(facets) -> list[tuple[str, str, str]]:
    """(parameter, value, label) of the facet filters in the URL, each removable; the label is the facet's when
    it shows the value, else a language's name or the value itself."""
    pairs = [(k, v) for k in ("year", "from", "to", "lang", "kind", "volume", "topic", "person")
             for v in request.args.getlist(k) if v]
    if not pairs:
        return []
    labels = {(param, str(value)): label for _t, param, items in facets for value, label, *_rest in items}
    languages = _facet_labels("lang", [])
    return [(k, v, labels.get((k, v)) or (languages.get(v, v) if k == "lang" else v)) for k, v in pairs]


@bp.get("/p/<int:pub_id>")
def publication(pub_id: int):
    pub = load_publication(pub_id)
    s = db_session()
    pages = publications.pages_of(s, pub.id)
    articles = publications.published_articles_of(s, pub) if pub.kind == "volume" else []
    base = public_base_url()
    cite = {}
    if pub.status == "published":
        cite = {"gost": citations.gost_r_7_0_100(pub, base), "gost71": citations.gost_7_1(pub, base),
                "bibtex": citations.bibtex(pub, base), "ris": citations.ris(pub, base)}
    duplicate = publications.public_duplicate(s, pub)
    related, twins, refs, cited_by = [], [], [], []
    if pub.status == "published":
        _count_usage(pub.id, "view")
        twins = _twins(pub)
        related = [r for r in related_publications(s, pub) if r not in twins]
        refs, cited_by = references.references_of(s, pub.id), references.cited_by(s, pub.id)
    tags = scholar.scholar_tags(pub, base, [references.citation_reference(r) for r in refs])
    resp = make_response(render_template(
        "main/publication.html", pub=pub, pages=pages, articles=articles, cite=cite,
        tags=tags, json_ld=scholar.json_ld(pub, base), has_pdf=citations.has_pdf(pub),
        duplicate=duplicate, usage=_usage_totals(pub.id) if pub.status == "published" else None, related=related,
        twins=twins, refs=[(r, references.public_target(r)) for r in refs], cited_by=cited_by))
    if pub.status == "withdrawn":
        resp.headers["X-Robots-Tag"] = "noindex"      # a tombstone is not a page to list in search engines
    return last_modified(resp, pub.updated_at)


def _twins(pub) -> list:
    """The publication's work in the other language; a search failure leaves the list empty, never the page."""
    try:
        return translated_twins(get_archive(), db_session(), pub)
    except Exception:  # noqa: BLE001 - the related list is secondary to the publication itself
        logger.exception("could not look for translated twins of publication %s", pub.id)
        return []


def _count_usage(pub_id: int, kind: str) -> None:
    """Count a view or download in a session of its own; a failure is logged and never breaks the page."""
    try:
        with get_archive().db.session() as s:
            usage.record(s, pub_id, kind, request.headers.get("User-Agent", ""), current_user,
                         method=request.method)
    except Exception:  # noqa: BLE001 - counting is secondary to serving the reader
        logger.exception("could not count %s of publication %s", kind, pub_id)


def _usage_totals(pub_id: int):
    try:
        return usage.totals_for_publication(db_session(), pub_id)
    except Exception:  # noqa: BLE001
        logger.exception("could not read usage of publication %s", pub_id)
        return None


def _count_download(pub_id: int, resp) -> None:
    """A download counts once: not for a "not modified" answer, nor for the later ranges a PDF viewer asks."""
    if resp.status_code == 200 or (resp.status_code == 206 and resp.headers.get("Content-Range", "")
                                   .startswith("bytes 0-")):
        _count_usage(pub_id, "download")


def _send_stored(sf, download_name: str, inline: bool):
    """A stored file: shown inline (a PDF, in a sandbox of its own) or offered as a download."""
    dl = files.download_of(get_archive(), sf, download_name)
    if dl is None:
        abort(404)
    if request.headers.get("Range") and parse_range_header(request.headers["Range"]) is None:
        request.environ.pop("HTTP_RANGE", None)       # RFC 9110: a Range that cannot be read is ignored
    resp = send_file(dl.path, mimetype=dl.mime, as_attachment=not inline, download_name=dl.name, max_age=3600,
                     conditional=True, etag=dl.etag)
    resp.headers["Content-Disposition"] = files.content_disposition(dl.name, attachment=not inline)
    return security.sandbox_pdf(resp) if inline else resp


@bp.get("/p/<int:pub_id>/original")
def download_original(pub_id: int):
    pub = load_publication(pub_id)
    if pub.status != "published" or pub.source_file is None:
        abort(404)
    # The uploaded file as it came (it may carry scripts): saved, never opened in the archive's origin.
    resp = _send_stored(pub.source_file, pub.source_file.original_name, inline=False)
    _count_download(pub.id, resp)
    return resp


@bp.get("/p/<int:pub_id>/article.pdf")
def download_article(pub_id: int):
    pub = load_publication(pub_id)
    if pub.status != "published" or not citations.has_pdf(pub):
        abort(404)
    sf = pub.article_file or pub.source_file
    resp = _send_stored(sf, f"kelisim-{pub.id}.pdf", inline=True)
    _count_download(pub.id, resp)
    return resp


@bp.get("/healthz")
def health():
    ping_database()
    return {"status": "ok"}
