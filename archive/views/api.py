"""JSON API. Field names are a contract: other tools depend on them."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, request, url_for

from ..core import db_session, get_archive
from ..http import last_modified
from ..i18n import _, public_base_url
from ..models import Person, Publication, Topic, Volume
from ..ids import MAX_ID
from ..openapi import openapi_document
from ..representations import file_links, publication_json, publication_url
from ..search import SearchHit, SearchPage, run_search
from ..services.browse import (PageOf, current_person, get_person, people_listing, person_profile,
                               person_publications, scope_page, topic_counts, topic_scope, volume_list, volume_page,
                               year_counts, year_scope)
from ..services import references
from ..services.citations import has_pdf
from ..services.topics import topic_by_slug
from .common import filters_from_args, int_arg, load_publication, translate_arg

bp = Blueprint("api", __name__, url_prefix="/api")


def hit_json(pub: Publication, score: float | None = None, snippet: str | None = None) -> dict:
    """The stable record shape shared by search hits and single publications."""
    return publication_json(pub, public_base_url(), score, snippet)


def search_hit_json(hit: SearchHit) -> dict:
    """A search hit: the record, its score and passage, the page it is on (physical and as printed), and
    whether it matched only some of the words."""
    out = hit_json(hit.publication, hit.score, hit.snippet_html)
    out.update({"page": hit.page, "printed_page": hit.printed_page or None, "partial": bool(hit.partial),
                "translated": bool(hit.translated)})
    return out


def translation_json(r: SearchPage) -> dict:
    """What the term bridge added: whether it was on, how many matches came only from it, and each
    translated word or phrase with its counterpart."""
    return {"enabled": r.bridge, "found": r.translated, "languages": list(r.translated_languages),
            "terms": [{"words": list(t.source), "from": t.source_lang, "to": t.target_lang, "counterpart": t.target,
                       "confidence": round(t.confidence, 3)} for t in r.translation.terms]}


@bp.get("/search")
def search():
    q = request.args.get("q", "")
    page = int_arg("page", 1, 1, 1000)
    limit = int_arg("limit", 10, 1, 100)
    sort = request.args.get("sort", "relevance")
    if sort not in ("relevance", "newest", "oldest"):
        sort = "relevance"
    r = run_search(get_archive(), db_session(), q, page=page, limit=limit, filters=filters_from_args(), sort=sort,
                   translate=translate_arg())
    return jsonify({
        "query": q, "total": r.total, "page": page, "limit": limit, "relaxed": r.relaxed,
        "suggestion": r.suggestion,
        "hits": [search_hit_json(h) for h in r.hits],
        "facets": dict(r.facets),
        "notices": [_(n) for n in r.notices], "partial_from": r.partial_from,
        "facets_approximate": r.facets_approximate, "translation": translation_json(r),
    })


@bp.get("/publications/<int:pub_id>")
def publication(pub_id: int):
    if pub_id > MAX_ID:
        return _not_found()
    pub = load_publication(pub_id)
    if pub.status == "withdrawn":
        # A tombstone: what the record was and why it went, nothing of its content or files (410 Gone).
        resp = jsonify({"id": pub.id, "url": hit_json(pub)["url"], "status": "withdrawn", "title": pub.title,
                        "withdrawn_at": pub.withdrawn_at.isoformat() if pub.withdrawn_at else None,
                        "reason": pub.withdrawal_reason or None})
        resp.status_code = 410
        return resp
    out = hit_json(pub)
    out.update({
        "status": pub.status,
        "titles": pub.titles, "abstracts": pub.abstracts, "keywords": pub.keywords,
        "udc": pub.udc or None, "bbk": pub.bbk or None, "isbn": pub.isbn or None, "doi": pub.doi or None,
        "authors_detail": [{"id": a.person.id, "name": a.person.name, "as_printed": a.name_as_printed,
                            "affiliation": a.affiliation or None} for a in pub.authorships],
        "files": file_links(pub, public_base_url(), has_pdf(pub)),
    })
    if pub.status == "published":
        s = db_session()
        base = public_base_url()
        out["references"] = [references.json_of(r, base) for r in references.references_of(s, pub.id)]
        out["cited_by"] = [{"id": c.id, "url": publication_url(base, c.id), "title": c.title, "year": c.year}
                           for c in references.cited_by(s, pub.id)]
    return last_modified(jsonify(out), pub.updated_at)


# --- browsing ------------------------------------------------------------------------------------
# Every list answers {"total", "page", "limit", "items"}; page and limit are clamped (page >= 1, limit 1..100).
# Detail endpoints (a person, a volume, a topic, a year) carry their own fields plus that paged "items" list of
# publications in the ``hit_json`` shape (a volume's items are its articles, in page order).
# Only published records appear; an unknown (or not public) id is a JSON 404 {"error": ...}.

MAX_PAGE = 10_000


def _not_found(message: str = "Not Found"):
    return jsonify(error=message), 404


def _paging() -> tuple[int, int]:
    return int_arg("page", 1, 1, MAX_PAGE), int_arg("limit", 20, 1, 100)


def _page_of(items: list, page: int, limit: int) -> dict:
    return {"total": len(items), "page": page, "limit": limit, "items": items[(page - 1) * limit: page * limit]}




def _topic_json(topic: Topic, count: int | None = None) -> dict:
    out = {"slug": topic.slug, "labels": {"ru": topic.label_ru, "kk": topic.label_kk, "en": topic.label_en},
           "url": url_for("api.topic", slug=topic.slug, _external=True)}
    if count is not None:
        out["count"] = count
    return out


def _person_json(person: Person, count: int | None = None) -> dict:
    out = {"id": person.id, "name": person.name, "name_latin": person.name_latin or None,
           "url": url_for("browse.person", person_id=person.id, _external=True),
           "api_url": url_for("api.person", person_id=person.id, _external=True)}
    if count is not None:
        out["publications"] = count
    return out


def _volume_json(vol: Volume, articles: int | None = None) -> dict:
    out = {"id": vol.id, "title": vol.title, "event": vol.event_title or None, "place": vol.place or None,
           "year": vol.year, "dates": vol.dates_text or None, "isbn": vol.isbn or None,
           "publisher": vol.publisher or None, "editors": list(vol.editors or []),
           "url": url_for("browse.volume", volume_id=vol.id, _external=True),
           "api_url": url_for("api.volume", volume_id=vol.id, _external=True)}
    if articles is not None:
        out["article_count"] = articles
    return out


def _listing_json(listing: PageOf, limit: int) -> dict:
    return {"total": listing.total, "page": listing.page, "limit": limit,
            "items": [hit_json(p) for p in listing.items]}


@bp.get("/people")
def people():
    page, limit = _paging()
    listing = people_listing(db_session(), page, limit, get_archive())
    return jsonify({"total": listing.total, "page": page, "limit": limit,
                    "items": [_person_json(p, n) for p, n in listing.items]})


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    s = db_session()
    p = get_person(s, person_id) if person_id <= MAX_ID else None
    if p is None:
        return _not_found("No such person")
    if p.merged_into_id is not None:
        target = current_person(s, p, {})
        if target.id != p.id:
            qs = request.query_string.decode("latin-1")
            return redirect(url_for("api.person", person_id=target.id) + (f"?{qs}" if qs else ""), 301)
    profile = person_profile(s, p)
    if profile is None:
        return _not_found("No such person")
    page, limit = _paging()
    pubs = person_publications(s, profile, None, page, limit)
    out = _person_json(p)
    out.update({
        "names": profile.names, "degree": p.degree or None, "position": p.position or None,
        "institution": p.institution or None, "bio": p.bio or None, "press_contact": (p.press_contact or None) if p.press_contact_agreed else None,
        "is_member": bool(p.is_member),
        "topics": [_topic_json(t, n) for t, n in profile.topics],
        "total": pubs.total, "page": page, "limit": limit, "items": [hit_json(x) for x in pubs.items],
    })
    return jsonify(out)


@bp.get("/volumes")
def volumes():
    page, limit = _paging()
    vols = volume_list(db_session(), get_archive(), page, limit)
    return jsonify({"total": vols.total, "page": page, "limit": limit,
                    "items": [_volume_json(v, n) for v, n in vols.items]})


@bp.get("/volumes/<int:volume_id>")
def volume(volume_id: int):
    vp = volume_page(db_session(), volume_id) if volume_id <= MAX_ID else None
    if vp is None:
        return _not_found("No such volume")
    page, limit = _paging()
    articles = [hit_json(p) for p in vp.articles]
    out = _volume_json(vp.volume, len(articles))
    out["book"] = hit_json(vp.book) if vp.book else None
    out.update(_page_of(articles, page, limit))
    return jsonify(out)


@bp.get("/topics")
def topics():
    page, limit = _paging()
    return jsonify(_page_of([_topic_json(t, n) for t, n in topic_counts(db_session(), get_archive())], page, limit))


@bp.get("/topics/<slug>")
def topic(slug: str):
    s = db_session()
    t = topic_by_slug(s, slug)
    if t is None:
        return _not_found("No such topic")
    page, limit = _paging()
    listing = scope_page(s, topic_scope(s, t, get_archive()), page, limit)
    out = _topic_json(t, listing.total)
    out.update(_listing_json(listing, limit))
    return jsonify(out)


@bp.get("/years")
def years():
    page, limit = _paging()
    counts = year_counts(db_session(), get_archive())
    out = _page_of([{"year": y, "count": n, "url": url_for("api.year", year=y, _external=True)}
                    for y, n in sorted(counts.items(), reverse=True)], page, limit)
    out["counts"] = {str(y): n for y, n in sorted(counts.items())}
    return jsonify(out)


@bp.get("/years/<int:year>")
def year(year: int):
    page, limit = _paging()
    if year > MAX_ID:
        return _not_found("No publications in that year")
    s = db_session()
    listing = scope_page(s, year_scope(s, year, get_archive()), page, limit)
    if not listing.total and not listing.items:
        return _not_found("No publications in that year")
    out = {"year": year, **_listing_json(listing, limit)}
    return jsonify(out)


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(request.url_root))
