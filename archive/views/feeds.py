"""Sitemaps (with an index past ``SITEMAP_MAX_URLS`` URLs), robots.txt and Atom feeds of new publications."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from markupsafe import escape
from lxml import etree

from ..config import setting
from ..core import db_session, get_archive
from ..i18n import _, public_base_url
from ..search import run_search
from ..models import Publication
from ..services import feeds
from ..services.browse import counted, published_total
from ..services.citations import authors_of
from ..xmlsafe import set_attr, sub, xml_text
from .common import filters_from_args, translate_arg
from ..xmlsafe import sub as xml_sub

bp = Blueprint("feeds", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
ATOM_NS = "http://www.w3.org/2005/Atom"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SITEMAP_LIMIT = 50_000


def _utc(dt: Optional[datetime]) -> datetime:
    if dt is None:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def w3c(dt: Optional[datetime]) -> str:
    """RFC 3339 / W3C datetime in UTC ("2025-01-14T08:12:00Z"), as sitemaps and Atom want."""
    naive = dt if dt is not None and dt.tzinfo is None else _utc(dt).replace(tzinfo=None)   # stored naive: UTC
    return naive.isoformat(timespec="seconds") + "Z"


def _xml(root: etree._Element, mimetype: str) -> Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    resp = Response(body, content_type=f"{mimetype}; charset=utf-8")
    resp.headers["Cache-Control"] = "public, max-age=600"
    return resp


def _sitemap_limit() -> int:
    return max(1, min(SITEMAP_LIMIT, setting(current_app.config, "SITEMAP_MAX_URLS")))


# --------------------------------------------------------------------------- sitemaps


def _published_count() -> int:
    return published_total(db_session(), get_archive())


def _urlset(rows: list[tuple[int, datetime]], home: bool) -> Response:
    """The home page (``home``) and the records of ``rows`` (id, last change) as a sitemap. Written as text (a part
    is thousands of identical elements: through lxml, with each value checked for characters XML forbids, a part of
    30,000 URLs took 0.7 s); the only text from outside is the base URL, cleaned and escaped once, and the rest is
    digits and dates."""
    base = escape(xml_text(public_base_url()))
    lines: list[str] = []
    if home:
        latest = feeds.latest_change(db_session())
        lines.append(f"<url><loc>{base}/</loc><lastmod>{w3c(latest or datetime.now(timezone.utc))}</lastmod></url>")
    lines += [f"<url><loc>{base}/p/{int(pid)}</loc><lastmod>{w3c(updated)}</lastmod></url>" for pid, updated in rows]
    body = (f'<?xml version=\'1.0\' encoding=\'UTF-8\'?>\n<urlset xmlns="{SITEMAP_NS}">\n' + "\n".join(lines)
            + "\n</urlset>\n")
    resp = Response(body.encode("utf-8"), content_type="application/xml; charset=utf-8")
    resp.headers["Cache-Control"] = "public, max-age=600"
    return resp


@bp.get("/sitemap.xml")
def sitemap():
    """Every landing page in one file while they are at most ``SITEMAP_MAX_URLS``; past that a sitemap index of
    parts (``sitemap_part``). Which parts hold a published record, and their lastmod, are kept per search index
    generation (finding them reads every published record once)."""
    limit = _sitemap_limit()
    s = db_session()
    total = _published_count() + 1
    if total <= limit:
        return _urlset(feeds.published_rows(s, 0, total - 1), home=True)
    base = public_base_url()
    changes = counted(get_archive(), f"sitemap-parts:{limit}", lambda: feeds.last_changes_by_id_range(s, limit))
    latest = feeds.latest_change(s)
    root = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for k in sorted(set(changes) | {0}):
        # Part 1 holds the home page, whose lastmod is the archive's latest change.
        lastmod = latest if k == 0 else changes[k]
        sm = sub(root, f"{{{SITEMAP_NS}}}sitemap")
        sub(sm, f"{{{SITEMAP_NS}}}loc", f"{base}/sitemap-{k + 1}.xml")
        sub(sm, f"{{{SITEMAP_NS}}}lastmod", w3c(lastmod or datetime.now(timezone.utc)))
    return _xml(root, "application/xml")


@bp.get("/sitemap-<int:n>.xml")
def sitemap_part(n: int):
    """Part ``n`` (1-based) of the sitemap index: the published records with ids in [(n - 1) × limit, n × limit),
    part 1 with the home page in the place of id 0. A record keeps its part as others are published or withdrawn,
    and a part is read from the primary key over its range, whatever the archive's size (parts by position read
    every record before theirs). A part without a published record is 404, as the index does not list it."""
    limit = _sitemap_limit()
    if n < 1 or n * limit > 2**63 - 1:           # past any id a database can hold
        abort(404)
    rows = feeds.published_in_ids(db_session(), max(1, (n - 1) * limit), n * limit)
    if not rows and n != 1:
        abort(404)
    return _urlset(rows, home=n == 1)


@bp.get("/robots.txt")
def robots():
    """Crawling allowed everywhere; the sitemap by its absolute URL."""
    body = f"User-agent: *\nAllow: /\n\nSitemap: {public_base_url()}/sitemap.xml\n"
    return Response(body, content_type="text/plain; charset=utf-8")


# --------------------------------------------------------------------------- Atom


def _feed_size() -> int:
    return max(1, min(500, setting(current_app.config, "FEED_SIZE")))


def _atom(title: str, self_path: str, alternate: str, pubs: list[Publication]) -> Response:
    """An Atom 1.0 feed document (RFC 4287)."""
    base = public_base_url()
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})

    def sub(parent: etree._Element, name: str, text: Optional[str] = None, **attrs: str) -> etree._Element:
        return xml_sub(parent, f"{{{ATOM_NS}}}{name}", text, **attrs)

    site = current_app.config.get("SITE_NAME") or "Kelisim Archive"
    sub(root, "id", base + self_path)
    sub(root, "title", f"{title} — {site}" if title != site else site)
    updated = max((_utc(p.updated_at) for p in pubs), default=None)
    sub(root, "updated", w3c(updated or datetime.now(timezone.utc)))
    sub(root, "link", rel="self", type="application/atom+xml", href=base + self_path)
    sub(root, "link", rel="alternate", type="text/html", href=alternate)
    author = sub(root, "author")
    sub(author, "name", site)
    sub(author, "uri", base + "/")
    sub(root, "generator", site, uri=base + "/")
    for pub in pubs:
        entry = sub(root, "entry")
        url = f"{base}/p/{pub.id}"
        sub(entry, "id", url)
        t = sub(entry, "title", " ".join((pub.title or f"#{pub.id}").split()))
        if pub.language:
            set_attr(t, f"{{{XML_NS}}}lang", pub.language)
        sub(entry, "link", rel="alternate", type="text/html", href=url)
        sub(entry, "updated", w3c(pub.updated_at))
        if pub.published_at:
            sub(entry, "published", w3c(pub.published_at))
        for name in authors_of(pub):
            a = sub(entry, "author")
            sub(a, "name", name.inverted())
        abstracts = pub.abstracts or {}
        lang = pub.language if pub.language in abstracts else next(iter(abstracts), "")
        summary = " ".join((abstracts.get(lang) or "").split())
        if not summary and pub.volume is not None and pub.kind != "volume":
            summary = " ".join(pub.volume.title.split())
        if summary:
            s = sub(entry, "summary", summary, type="text")
            if lang:
                set_attr(s, f"{{{XML_NS}}}lang", lang)
        for kw in pub.keywords or []:
            if str(kw).strip():
                sub(entry, "category", term=" ".join(str(kw).split()))
    return _xml(root, "application/atom+xml")


@bp.get("/feeds/new.atom")
def new_atom():
    """The newest publications of the whole archive."""
    pubs = feeds.newest(db_session(), _feed_size())
    return _atom(current_app.config.get("SITE_NAME") or "Kelisim Archive", "/feeds/new.atom",
                 public_base_url() + "/", pubs)


@bp.get("/feeds/volume/<int:volume_id>.atom")
def volume_atom(volume_id: int):
    """The publications of one volume (collection)."""
    found = feeds.volume_feed(db_session(), volume_id, _feed_size())
    if found is None:
        abort(404)
    vol, pubs, page = found
    alternate = f"{public_base_url()}/p/{page}" if page else public_base_url() + f"/search?volume={volume_id}"
    return _atom(" ".join(vol.title.split()) or f"#{volume_id}", f"/feeds/volume/{volume_id}.atom", alternate, pubs)


@bp.get("/feeds/topic/<slug>.atom")
def topic_atom(slug: str):
    """The publications on one topic (editor-confirmed assignments only)."""
    found = feeds.topic_feed(db_session(), slug, _feed_size())
    if found is None:
        abort(404)
    topic, pubs = found
    return _atom(topic.label_ru or topic.slug, f"/feeds/topic/{topic.slug}.atom",
                 public_base_url() + f"/search?topic={topic.slug}", pubs)


@bp.get("/feeds/person/<int:person_id>.atom")
def person_atom(person_id: int):
    """The publications of one person (a merged person's feed moves to the surviving record)."""
    found = feeds.person_feed(db_session(), person_id, _feed_size())
    if found is None:
        abort(404)
    person, pubs = found
    if person.merged_into_id:
        return redirect(url_for("feeds.person_atom", person_id=person.merged_into_id), 301)
    return _atom(" ".join(person.name.split()), f"/feeds/person/{person_id}.atom",
                 public_base_url() + f"/search?person={person_id}", pubs)


@bp.get("/search.atom")
def search_atom():
    """Any search as a feed, newest first: an alert for new publications on a topic, a person, a word."""
    q = request.args.get("q", "")[:500]
    result = run_search(get_archive(), db_session(), q, page=1, limit=_feed_size(), filters=filters_from_args(),
                        sort="newest", facets=False, snippets=False, translate=translate_arg())
    pubs = [h.publication for h in result.hits]
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "sort")])
    title = " ".join(q.split()) or _("All publications")
    label = _("Search")
    return _atom(f"{label}: {title}", f"/search.atom?{query}" if query else "/search.atom",
                 public_base_url() + (f"/search?{query}" if query else "/search"), pubs)
