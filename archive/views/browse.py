"""Browsing the archive: authors, people, years, topics, volumes, languages, kinds, experts, members.

The queries live in the small functions at the top (they take a session and plain values, never
``request``); the views below only read arguments and render. Drafts never appear: every query is
limited to published publications.
"""
from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for

from ..collation import index_letters
from ..core import db_session, get_archive
from ..i18n import current_locale
from ..models import KINDS
from ..ids import MAX_ID
from ..services import references, usage
from ..services.browse import (LANGS, PERSON_SECTIONS, Scope, author_page, current_person, field_scope, find_experts,
                               get_person, listing_page, member_list, person_profile, person_sections, person_topics,
                               topic_counts, topic_query, topic_scope, volume_list, volume_page, year_chart,
                               year_counts, year_scope)
from ..services.topics import topic_by_slug
from .common import int_arg, translate_arg

logger = logging.getLogger(__name__)

bp = Blueprint("browse", __name__)

@bp.get("/authors")
def authors():
    # A page of names from a letter, or from after (before) a person: a cursor, never an offset.
    after, before = int_arg("after", 0, 0, MAX_ID) or None, int_arg("before", 0, 0, MAX_ID) or None
    listing = author_page(db_session(), request.args.get("letter", "")[:2], after=after, before=before,
                          archive=get_archive())
    return render_template("browse/authors.html", listing=listing, groups=listing.groups, letters=index_letters(),
                           present=listing.present)


@bp.get("/authors/<int:person_id>")
def person(person_id: int):
    s = db_session()
    p = get_person(s, person_id)
    if p is None:
        abort(404)
    if p.merged_into_id is not None:
        target = current_person(s, p, {})
        return redirect(url_for("browse.person", person_id=target.id), 301)
    profile = person_profile(s, p)
    if profile is None:
        abort(404)
    # Each section (works, media commentary, events) a page at a time, paged on its own (?works=2).
    sections = person_sections(s, profile, {name: int_arg(name, 1, 1, 10_000) for name in PERSON_SECTIONS})
    works = sections["works"].items if "works" in sections else []
    # The pages shown past the first, kept in every section's links (paging one keeps the others where they are).
    section_pages = {name: sp.page for name, sp in sections.items() if sp.page > 1}
    return render_template("browse/person.html", profile=profile, person=p, sections=sections,
                           section_pages=section_pages,
                           usage=usage.totals_for_person(s, p.id),
                           cited=references.cited_counts(s, [w.id for w in works]))


@bp.get("/years")
def years():
    counts = year_counts(db_session(), get_archive())
    return render_template("browse/years.html", chart=year_chart(counts),
                           counts=sorted(counts.items(), reverse=True))


def _listing(scope: Scope):
    # A page of a listing from after (before) a publication: a cursor, never an offset; "page" only labels it.
    return listing_page(db_session(), scope, after=int_arg("after", 0, 0, MAX_ID) or None,
                        before=int_arg("before", 0, 0, MAX_ID) or None, page=int_arg("page", 1, 1, 10_000))


@bp.get("/years/<int:year>")
def year(year: int):
    listing = _listing(year_scope(db_session(), min(year, MAX_ID), get_archive()))
    if not listing.total and not listing.items:
        abort(404)
    return render_template("browse/listing.html", listing=listing, heading=str(year), kind="year", value=year,
                           endpoint="browse.year", args={"year": year}, search_args={"from": year, "to": year})


@bp.get("/topics")
def topics():
    return render_template("browse/topics.html", topics=topic_counts(db_session(), get_archive()))


@bp.get("/topics/<slug>")
def topic(slug: str):
    s = db_session()
    t = topic_by_slug(s, slug)
    if t is None:
        abort(404)
    listing = _listing(topic_scope(s, t, get_archive()))
    return render_template("browse/listing.html", listing=listing, heading=t.label(current_locale()), kind="topic",
                           value=t, endpoint="browse.topic", args={"slug": slug}, search_args={"topic": slug})


@bp.get("/volumes")
def volumes():
    listing = volume_list(db_session(), get_archive(), int_arg("page", 1, 1, 10_000))
    if listing.page > listing.pages:
        abort(404)
    return render_template("browse/volumes.html", listing=listing)


@bp.get("/volumes/<int:volume_id>")
def volume(volume_id: int):
    s = db_session()
    vp = volume_page(s, volume_id)
    if vp is None:
        abort(404)
    return render_template("browse/volume.html", volume=vp.volume, book=vp.book, articles=vp.articles,
                           usage=usage.totals_for_volume(s, vp.volume.id))


@bp.get("/languages/<lang>")
def language(lang: str):
    if lang not in LANGS:
        abort(404)
    listing = _listing(field_scope(db_session(), "language", lang, get_archive()))
    return render_template("browse/listing.html", listing=listing, heading=lang, kind="language", value=lang,
                           endpoint="browse.language", args={"lang": lang}, search_args={"lang": lang})


@bp.get("/kinds/<kind>")
def kind(kind: str):
    if kind not in KINDS:
        abort(404)
    listing = _listing(field_scope(db_session(), "kind", kind, get_archive()))
    return render_template("browse/listing.html", listing=listing, heading=kind, kind="kind", value=kind,
                           endpoint="browse.kind", args={"kind": kind}, search_args={"kind": kind})


@bp.get("/experts")
def experts():
    q = request.args.get("q", "")[:500]
    slug = request.args.get("topic", "")
    s = db_session()
    t = topic_by_slug(s, slug)
    text = q if q.strip() else (topic_query(slug) if t is not None else "")
    found = find_experts(get_archive(), s, text, translate=translate_arg()) if text else []
    return render_template("browse/experts.html", q=q, topic=t, experts=found, searched=bool(text),
                           topics=topic_counts(s, get_archive()))


@bp.get("/members")
def members():
    s = db_session()
    people = member_list(s)
    return render_template("browse/members.html", people=people,
                           topics=person_topics(s, [p.id for p in people]))
