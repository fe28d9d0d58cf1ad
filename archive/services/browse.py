"""Queries behind the browse pages, the expert finder and the browse API: plain functions on a session."""
from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Optional, TypeVar

from sqlalchemy import func, literal, or_, select, true, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from indexer.backend import Filters
from indexer.snippets import Snippet

from ..collation import index_letters, initial, sort_key
from ..ids import parse_id
from ..models import Authorship, Person, Publication, PublicationTopic, Topic, Volume, unindexed
from ..search import SearchHit, SearchPage, run_search, snippets_of
from .publications import published_count, with_people
from .topics import SPECS

logger = logging.getLogger(__name__)
T = TypeVar("T")

LANGS = ("ru", "kk", "en")
PER_PAGE = 50
EXPERT_HITS = 400          # how many search hits the expert finder weighs (4 pages of 100)
RECENCY_YEARS = 5.0        # a publication this many years old counts half


# --- queries -------------------------------------------------------------------------------------

_Original = aliased(Publication)
# A probable duplicate of a published publication (the DOCX beside its PDF) is listed once, as the original;
# it stays reachable by its own address and through search. The original is looked up by its key, row by row:
# "NOT IN (every published id)" had each statement gather all of them first (a hashed list on PostgreSQL, a
# temporary table on SQLite), work that grew with the archive however few rows the statement read.
# PostgreSQL planned the EXISTS as a hashed subplan too (all published ids read once a statement, 21 ms at 40,000
# on a page of 50): an OFFSET keeps it the lookup by key it is (PostgreSQL does not turn such a subquery into a
# hashable IN).
_NOT_A_COPY = or_(
    Publication.duplicate_of_id.is_(None),
    ~select(_Original.id).where(_Original.id == Publication.duplicate_of_id, _Original.status == "published")
    .offset(0).exists())
PUBLISHED = (Publication.status == "published") & _NOT_A_COPY
# The same test for publications reached by key (a page of people's authorships): never through the status index
# (``unindexed``: SQLite walked every published publication that way for a page of 200 people's counts, 72 ms at
# 30,000 people; 5 ms from their authorships).
PUBLISHED_BY_KEY = (unindexed(Publication.status) == "published") & _NOT_A_COPY


@dataclass
class VolumePage:
    """A volume as readers see it: its book-level record and its published articles in page order."""

    volume: Volume
    book: Optional[Publication]
    articles: list[Publication]


def volume_page(session: Session, volume_id: int) -> Optional[VolumePage]:
    """The published records of a volume, or None when it has none (unknown or not public)."""
    vol = session.get(Volume, volume_id)
    if vol is None:
        return None
    pubs = list(session.scalars(with_people(select(Publication).where(PUBLISHED, Publication.volume_id == vol.id))
                                .order_by(Publication.pdf_page_start.is_(None), Publication.pdf_page_start,
                                          Publication.id)))
    if not pubs:
        return None
    book = next((p for p in pubs if p.kind == "volume"), None)
    return VolumePage(vol, book, [p for p in pubs if p.kind != "volume"])


LABEL_TTL = 30.0           # seconds a facet value's label is reused: a renamed person or volume shows this late at most
LABELS_KEPT = 4096         # labels kept per database (value, language)
_labels: "weakref.WeakKeyDictionary[Any, OrderedDict[tuple[str, str, str], tuple[float, Optional[str]]]]" = \
    weakref.WeakKeyDictionary()
_labels_lock = threading.Lock()


def entity_labels(session: Session, name: str, values: list[str], locale: str,
                  now: Optional[float] = None) -> dict[str, str]:
    """Readable labels of facet values that name records: people, volumes, topics.

    Every search page asks for the labels of its facets' values, mostly the same few hundred: each is kept for
    ``LABEL_TTL`` seconds (per database and page language), so a page usually makes no query for them (three
    before, ~1 ms of a 10 ms page). ``now``: the monotonic clock's time (tests give their own)."""
    now = time.monotonic() if now is None else now
    bind = session.get_bind()
    found: dict[str, str] = {}
    missing: list[str] = []
    with _labels_lock:
        cache = _labels.setdefault(bind, OrderedDict())
        for v in values:
            kept = cache.get((name, locale, v))
            if kept is None or now - kept[0] >= LABEL_TTL:
                missing.append(v)
            elif kept[1] is not None:
                found[v] = kept[1]
    if not missing:
        return found
    fresh = _entity_labels(session, name, missing, locale)
    found.update(fresh)
    with _labels_lock:
        for v in missing:
            cache[(name, locale, v)] = (now, fresh.get(v))
            cache.move_to_end((name, locale, v))
        while len(cache) > LABELS_KEPT:
            cache.popitem(last=False)
    return found


def _entity_labels(session: Session, name: str, values: list[str], locale: str) -> dict[str, str]:
    # Only the label columns: no record objects are built.
    ids = [i for i in map(parse_id, values) if i is not None]
    if name == "persons" and ids:
        return {str(i): n for i, n in session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))}
    if name == "collection" and ids:
        return {str(i): t for i, t in session.execute(select(Volume.id, Volume.title).where(Volume.id.in_(ids)))}
    if name == "topics" and values:
        rows = session.execute(select(Topic.slug, Topic.label_ru, Topic.label_kk, Topic.label_en)
                               .where(Topic.slug.in_(values)))
        return {slug: Topic.pick_label(locale, ru, kk, en) for slug, ru, kk, en in rows}
    return {}


def get_person(session: Session, person_id: int) -> Optional[Person]:
    """The person with this id (merged records included), or None."""
    return session.get(Person, person_id)


@dataclass
class PageOf:
    """One page of a list and what a pager needs."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass
class Scope:
    """What one listing (a year, a language, a kind, a topic) walks, newest first: the rows ``select`` reads
    (publications, joined to the topic's links for a topic), ordered by ``year`` descending (years unknown last),
    then ``key`` descending, from an index that begins with the equalities in ``within``; ``total`` is the number of
    published publications in it (kept per index generation)."""

    within: list[Any]             # the listing's equalities (the index's leading columns)
    year: Any                     # the year column the index holds
    key: Any                      # the publication id column the index holds
    select: Any                   # select(Publication) with the joins, of published publications
    total: int


def year_scope(session: Session, year: int, archive=None) -> Scope:
    return Scope([Publication.year == year], Publication.year, Publication.id, _published(),
                 year_counts(session, archive).get(year, 0))


def field_scope(session: Session, name: str, value: str, archive=None) -> Scope:
    """A language's (``name="language"``) or a kind's listing."""
    column = getattr(Publication, name)
    counts = counted(archive, name, lambda: dict(session.execute(
        select(column, func.count()).where(PUBLISHED).group_by(column)).all()))
    return Scope([column == value], Publication.year, Publication.id, _published(), int(counts.get(value, 0)))


def topic_scope(session: Session, topic: Topic, archive=None) -> Scope:
    link = PublicationTopic
    return Scope([link.topic_id == topic.id], link.year, link.publication_id,
                 _published().join(link, link.publication_id == Publication.id),
                 dict((t.id, n) for t, n in topic_counts(session, archive)).get(topic.id, 0))


def _published():
    # Reached through the listing's index: the status is tested per row, never through the status index (SQLite,
    # without statistics, would walk every published publication by it).
    return with_people(select(Publication).where(PUBLISHED_BY_KEY))


@dataclass
class ListingPage:
    """One page of a listing, with the cursors its links carry. ``page`` is the page's number as the link said
    (a label: the cursor is what places the page), kept within what ``has_prev``/``has_next`` allow."""

    items: list[Publication]
    total: int
    page: int
    per_page: int
    first_id: Optional[int]
    last_id: Optional[int]
    has_prev: bool
    has_next: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def listing_page(session: Session, scope: Scope, after: Optional[int] = None, before: Optional[int] = None,
                 page: int = 1, per_page: Optional[int] = None) -> ListingPage:
    """A page of ``scope``'s publications after (or before) the one with id ``after`` (``before``), newest first.

    Every statement reads at most a page and one row from the listing's index, wherever the page lies: a cursor,
    never an offset, and no count (``scope.total`` is kept per index generation)."""
    per_page = per_page or PER_PAGE
    y, k = scope.year, scope.key
    # The order: known years (year desc, id desc), then unknown ones (id desc). From a cursor, its own year is read
    # by id alone (year = y and id < i), then the years past it: each statement a range of the index (a row value
    # "(year, id) < (y, i)" was not one on SQLite, where the id is the rowid: it read the cursor's whole year).
    Mark = tuple[Optional[int], int]             # (year, id) of the publication a walk starts after

    def located(pub_id: Optional[int]) -> Optional[Mark]:
        if not pub_id:
            return None
        row = session.execute(select(y, k).where(*scope.within, k == pub_id).limit(1)).first()
        return None if row is None else (row[0], row[1])

    def stretches(at: Optional[Mark], forward: bool) -> list[tuple[list[Any], tuple[Any, ...]]]:
        known, unknown = y.is_not(None), y.is_(None)
        if at is None:
            return [([known], (y.desc(), k.desc())), ([unknown], (k.desc(),))] if forward else []
        year, pub_id = at
        if year is None:
            return ([([unknown, k < pub_id], (k.desc(),))] if forward
                    else [([unknown, k > pub_id], (k,)), ([known], (y, k))])
        if forward:
            return [([y == year, k < pub_id], (k.desc(),)), ([known, y < year], (y.desc(), k.desc())),
                    ([unknown], (k.desc(),))]
        return [([y == year, k > pub_id], (k,)), ([known, y > year], (y, k))]

    def walk(at: Optional[Mark], forward: bool, limit: int) -> list[Publication]:
        found: list[Publication] = []
        for conds, order in stretches(at, forward):
            if len(found) >= limit:
                break
            found += session.scalars(scope.select.where(*scope.within, *conds).order_by(*order)
                                     .limit(limit - len(found))).unique()
        return found

    anchor = located(after or before)
    backward = anchor is not None and not after
    pubs = walk(anchor, forward=not backward, limit=per_page + 1)
    if backward and not pubs:
        return listing_page(session, scope, per_page=per_page)          # nothing before it: the first page
    more = len(pubs) > per_page
    pubs = pubs[:per_page]
    if backward:
        pubs.reverse()
    if not pubs:
        return ListingPage([], scope.total, 1, per_page, None, None, False, False)
    if backward:
        has_prev, has_next = more, bool(walk(located(pubs[-1].id), forward=True, limit=1))
    else:
        has_prev = anchor is not None and bool(walk(located(pubs[0].id), forward=False, limit=1))
        has_next = more
    pages = max(1, -(-scope.total // per_page))
    page = 1 if not has_prev else (max(pages, 2) if not has_next else min(max(page, 2), max(pages - 1, 2)))
    return ListingPage(pubs, scope.total, page, per_page, pubs[0].id, pubs[-1].id, has_prev, has_next)


def scope_page(session: Session, scope: Scope, page: int, per_page: int = PER_PAGE) -> PageOf:
    """Page ``page`` of ``scope`` by its number (the API's ``page``/``limit``): the same index walked from an
    offset (bounded by the API's greatest page) in the same two stretches, known years then unknown ones."""
    y, k = scope.year, scope.key
    offset = (page - 1) * per_page
    unknown = session.scalar(select(func.count()).select_from(
        scope.select.where(*scope.within, y.is_(None)).with_only_columns(k).subquery())) or 0
    known = max(0, scope.total - unknown)
    items: list[Publication] = []
    if offset < known:
        items += session.scalars(scope.select.where(*scope.within, y.is_not(None)).order_by(y.desc(), k.desc())
                                 .offset(offset).limit(per_page)).unique()
    if len(items) < per_page and unknown:
        items += session.scalars(scope.select.where(*scope.within, y.is_(None)).order_by(k.desc())
                                 .offset(max(0, offset - known)).limit(per_page - len(items))).unique()
    return PageOf(items, scope.total, page, per_page)


AUTHORS_PER_PAGE = 200        # names on one page of the alphabetical index (a small archive: everyone)
_LETTERS_ORDER = {letter: i for i, letter in enumerate(index_letters() + ["#"])}


def _has_published_work():
    return (select(Authorship.id).join(Publication, Publication.id == Authorship.publication_id)
            .where(Authorship.person_id == Person.id, PUBLISHED_BY_KEY).exists())


def _publication_counts(session: Session, person_ids: list[int]) -> dict[int, int]:
    """Published publications of each person (a DOCX and its PDF once)."""
    if not person_ids:
        return {}
    return dict(session.execute(
        select(Authorship.person_id, func.count(func.distinct(Publication.id)))
        .join(Publication, Publication.id == Authorship.publication_id)
        .where(PUBLISHED_BY_KEY, Authorship.person_id.in_(person_ids)).group_by(Authorship.person_id)).all())


@dataclass
class AuthorPage:
    """One page of the alphabetical index of people with published work."""

    groups: list[tuple[str, list[tuple[Person, int]]]]   # (index letter, [(person, publications)]) in order
    letter: str                  # the letter chosen ("" for the whole index)
    first_id: int | None         # the ids a link to the page before / after starts from
    last_id: int | None
    has_prev: bool
    has_next: bool
    present: set[str]            # letters with at least one person (the alphabet links only these)


def author_page(session: Session, letter: str = "", after: int | None = None, before: int | None = None,
                per_page: int | None = None, archive=None) -> AuthorPage:
    """People with published work in Kazakh/Russian alphabetical order (``sort_name``), ``per_page`` from after
    (or before) the person with id ``after`` (``before``), of one index letter when ``letter`` is given.

    Every statement reads one page of people from an index, whatever the size of the archive: no count of
    everyone, no offset, the letters present asked one EXISTS each (kept per index generation of ``archive``)."""
    letter = letter if letter in _LETTERS_ORDER else ""
    per_page = per_page or AUTHORS_PER_PAGE
    base = [Person.merged_into_id.is_(None), _has_published_work()]
    if letter:
        base.append(Person.index_letter == letter)
    key = tuple_(Person.sort_name, Person.id)

    def past(person: Person, later: bool):
        mark = tuple_(literal(person.sort_name), literal(person.id))
        return key > mark if later else key < mark

    def any_past(person: Person, later: bool) -> bool:
        return session.scalar(select(Person.id).where(*base, past(person, later)).limit(1)) is not None

    anchor = session.get(Person, after or before) if (after or before) else None
    backward = anchor is not None and not after
    conds = base + ([past(anchor, later=not backward)] if anchor is not None else [])
    order = (Person.sort_name.desc(), Person.id.desc()) if backward else (Person.sort_name, Person.id)
    people = list(session.scalars(select(Person).where(*conds).order_by(*order).limit(per_page + 1)))
    if backward and not people:
        return author_page(session, letter, per_page=per_page, archive=archive)   # nothing before it: the first page
    more = len(people) > per_page
    people = people[:per_page]
    if backward:
        people.reverse()
    counts = _publication_counts(session, [p.id for p in people])
    groups: dict[str, list[tuple[Person, int]]] = defaultdict(list)
    for person in people:
        groups[person.index_letter or initial(person.name)].append((person, counts.get(person.id, 0)))
    return AuthorPage(sorted(groups.items(), key=lambda kv: _LETTERS_ORDER.get(kv[0], len(_LETTERS_ORDER))),
                      letter, people[0].id if people else None, people[-1].id if people else None,
                      has_prev=more if backward else bool(people) and any_past(people[0], later=False),
                      has_next=bool(people) and any_past(people[-1], later=True) if backward else more,
                      present=counted(archive, "letters", lambda: letters_present(session)))


def letters_present(session: Session) -> set[str]:
    """The index letters some person with published work is filed under: one EXISTS per letter, each
    answered from the (index_letter, sort_name) index at the first such person."""
    branches = [select(literal(letter)).where(
        select(Person.id).where(Person.index_letter == letter, Person.merged_into_id.is_(None),
                                _has_published_work()).exists()) for letter in _LETTERS_ORDER]
    return set(session.scalars(union_all(*branches)))


def people_listing(session: Session, page: int, per_page: int, archive=None) -> PageOf:
    """People with published work in alphabetical order, one page of ``(person, publications)`` (the API); their
    number kept per index generation of ``archive`` (``counted``)."""
    conds = [Person.merged_into_id.is_(None), _has_published_work()]
    total = counted(archive, "people", lambda: session.scalar(select(func.count()).select_from(Person)
                                                              .where(*conds)) or 0)
    people = list(session.scalars(select(Person).where(*conds).order_by(Person.sort_name, Person.id)
                                  .offset((page - 1) * per_page).limit(per_page)))
    counts = _publication_counts(session, [p.id for p in people])
    return PageOf([(p, counts.get(p.id, 0)) for p in people], total, page, per_page)


def person_topics(session: Session, person_ids: Iterable[int]) -> dict[int, list[tuple[Topic, int]]]:
    """Topics of each person's published publications, most frequent first (from their authorships by key)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Authorship.person_id, Topic, func.count(func.distinct(Publication.id)))
        .join(Publication, Publication.id == Authorship.publication_id)
        .join(PublicationTopic, PublicationTopic.publication_id == Publication.id)
        .join(Topic, Topic.id == PublicationTopic.topic_id)
        .where(PUBLISHED_BY_KEY, Authorship.person_id.in_(ids))
        .group_by(Authorship.person_id, Topic.id)).all()
    out: dict[int, list[tuple[Topic, int]]] = defaultdict(list)
    for pid, topic, n in rows:
        out[pid].append((topic, n))
    for lst in out.values():
        lst.sort(key=lambda tn: (-tn[1], tn[0].slug))
    return out


# The person page's sections, each read a page at a time: their works, their media commentary, the events they
# took part in. How many a page shows.
PERSON_SECTIONS = ("works", "commentary", "events")
PERSON_PER_PAGE = {"works": 20, "commentary": 10, "events": 10}
_SECTION_OF_KIND = {"commentary": "commentary", "event": "events"}     # every other kind: "works"


def _section_kinds(section: Optional[str]):
    if section is None:
        return true()
    kinds = [k for k, name in _SECTION_OF_KIND.items() if name == section]
    return Publication.kind.in_(kinds) if kinds else Publication.kind.not_in(list(_SECTION_OF_KIND))


def _person_published(person_id: int, *columns):
    # From the person's authorships by key (see PUBLISHED_BY_KEY): the work grows with the person, not the archive.
    return (select(*columns).select_from(Authorship).join(Publication, Publication.id == Authorship.publication_id)
            .where(PUBLISHED_BY_KEY, Authorship.person_id == person_id))


@dataclass
class Profile:
    """Everything the person page shows but their publications, and how many of those each section holds."""

    person: Person
    names: list[str]
    topics: list[tuple[Topic, int]]
    counts: dict[str, int]        # section (PERSON_SECTIONS) → published publications in it

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def person_profile(session: Session, person: Person) -> Optional[Profile]:
    """The person's public page data; None when nothing about them is public."""
    counts = dict.fromkeys(PERSON_SECTIONS, 0)
    for kind, n in session.execute(_person_published(person.id, Publication.kind, func.count())
                                   .group_by(Publication.kind)):
        counts[_SECTION_OF_KIND.get(kind, "works")] += int(n)
    if not sum(counts.values()) and not person.is_member:
        return None
    names = [person.name]
    for n in [person.name_latin, *sorted((v.name for v in person.variants), key=sort_key)]:
        if n and n not in names:
            names.append(n)
    return Profile(person, names, person_topics(session, [person.id]).get(person.id, []), counts)


def person_publications(session: Session, profile: Profile, section: Optional[str], page: int = 1,
                        per_page: Optional[int] = None) -> PageOf:
    """A page of the person's published publications in one section (``None``: every section), newest first, years
    unknown last. The offset is bounded by the person's own publications (a page past the last is empty)."""
    total = profile.counts[section] if section else profile.total
    per_page = per_page or PERSON_PER_PAGE[section or "works"]
    offset = (page - 1) * per_page
    items = list(session.scalars(with_people(
        _person_published(profile.person.id, Publication).where(_section_kinds(section))
        .order_by(Publication.year.is_(None), Publication.year.desc(), Publication.id.desc())
        .offset(offset).limit(per_page)))) if offset < total else []
    return PageOf(items, total, page, per_page)


def person_sections(session: Session, profile: Profile, pages: dict[str, int]) -> dict[str, PageOf]:
    """The person page's sections that hold anything, each at the page asked for (past its last: the last)."""
    out = {}
    for name in PERSON_SECTIONS:
        if profile.counts[name]:
            last = -(-profile.counts[name] // PERSON_PER_PAGE[name])
            out[name] = person_publications(session, profile, name, min(pages.get(name, 1), last))
    return out


_counted: "weakref.WeakKeyDictionary[Any, dict[str, tuple[str, Any]]]" = weakref.WeakKeyDictionary()
_counted_lock = threading.Lock()


def counted(archive, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, a count over every published publication, made once per search index generation of
    ``archive`` (``None``: every time).

    Whatever changes such a count (publishing, withdrawing, a year, a topic, a volume, a duplicate mark) is
    indexed after its commit, which starts a new generation: the next page counts again, once, and the pages
    between read the kept counts (the value is shared: callers never change it). Until the index has the change
    the counts are those of the search page too."""
    if archive is None:
        return compute()
    try:
        generation = archive.search.generation()
    except Exception:  # noqa: BLE001 - no index to ask: count every time, as before
        logger.debug("no search index generation; counting without keeping the counts", exc_info=True)
        return compute()
    with _counted_lock:
        kept = _counted.get(archive, {}).get(name)
    if kept is not None and kept[0] == generation:
        return kept[1]
    value = compute()
    with _counted_lock:
        _counted.setdefault(archive, {})[name] = (generation, value)
    return value


def published_total(session: Session, archive=None) -> int:
    """How many publications readers can find (the home page), kept per index generation (``counted``)."""
    return counted(archive, "published", lambda: published_count(session))


def year_counts(session: Session, archive=None) -> dict[int, int]:
    """Published publications per year (the same counting as the search page's year facet); kept per index
    generation of ``archive`` (``counted``)."""
    def compute() -> dict[int, int]:
        rows = session.execute(select(Publication.year, func.count())
                               .where(PUBLISHED, Publication.year.is_not(None)).group_by(Publication.year))
        return {int(y): int(n) for y, n in rows}
    return dict(counted(archive, "years", compute))


@dataclass
class Bar:
    year: int
    count: int
    x: float
    y: float
    height: float
    label: bool


@dataclass
class Chart:
    """Geometry of the per-year bar chart, rendered as inline SVG by the template (no script)."""

    bars: list[Bar]
    width: float
    height: float
    bar_width: float
    top: int
    base: float = 0.0


def year_chart(counts: dict[int, int], height: float = 160.0, bar_width: float = 22.0, gap: float = 6.0) -> Chart:
    """Bars for every year from the first to the last (empty years included, so gaps show)."""
    if not counts:
        return Chart([], 0, 0, bar_width, 0)
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    top = max(counts.values())
    headroom = 14               # room for the count above the tallest bar
    plot = height - 20          # room for the year labels under the bars
    step = max(1, -(-len(years) // 15))   # label at most ~15 years
    bars = []
    for i, y in enumerate(years):
        n = counts.get(y, 0)
        h = round((plot - headroom) * n / top, 1) if top else 0
        bars.append(Bar(y, n, gap + i * (bar_width + gap), round(plot - h, 1), h,
                        (i % step == 0) or y == last))
    return Chart(bars, gap + len(years) * (bar_width + gap), height, bar_width, top, plot)


def topic_counts(session: Session, archive=None) -> list[tuple[Topic, int]]:
    """Every topic with the number of its published publications (vocabulary order, then slug); the counts kept
    per index generation of ``archive`` (``counted``)."""
    counts = counted(archive, "topics", lambda: dict(session.execute(
        select(PublicationTopic.topic_id, func.count())
        .join(Publication, Publication.id == PublicationTopic.publication_id)
        .where(PUBLISHED).group_by(PublicationTopic.topic_id)).all()))
    order = {slug: i for i, slug in enumerate(SPECS)}
    topics = sorted(session.scalars(select(Topic)), key=lambda t: (order.get(t.slug, len(order)), t.slug))
    return [(t, counts.get(t.id, 0)) for t in topics]


def volume_list(session: Session, archive=None, page: int = 1, per_page: int = PER_PAGE) -> PageOf:
    """One page of the volumes with published content, with their number of published articles, newest first
    (then by title). Which volumes, their order and their counts are kept per index generation of ``archive``
    (``counted``); a page reads only its own volumes' rows, so it costs the same however many volumes there are."""
    def compute() -> list[tuple[int, int]]:
        with_content = select(Publication.volume_id).where(PUBLISHED, Publication.volume_id.is_not(None))
        arts = dict(session.execute(
            select(Publication.volume_id, func.count()).where(PUBLISHED, Publication.kind != "volume",
                                                              Publication.volume_id.is_not(None))
            .group_by(Publication.volume_id)).all())
        rows = session.execute(select(Volume.id, Volume.year, Volume.title).where(Volume.id.in_(with_content)))
        ordered = sorted(rows, key=lambda r: (-(r.year or 0), sort_key(r.title), r.id))
        return [(int(r.id), int(arts.get(r.id, 0))) for r in ordered]
    order = counted(archive, "volumes", compute)
    shown = order[(page - 1) * per_page: page * per_page]
    vols = {v.id: v for v in session.scalars(select(Volume).where(Volume.id.in_([v for v, _n in shown])))}
    return PageOf([(vols[v], n) for v, n in shown if v in vols], len(order), page, per_page)


# --- the expert finder ---------------------------------------------------------------------------

PAGE_ABBR = {"ru": "С.", "kk": "Б.", "en": "P."}


def recency_weight(year: Optional[int], today: Optional[date] = None) -> float:
    """1 for this year's work, 1/2 at five years old, 1/3 at ten; unknown years count as ten years old."""
    now = (today or date.today()).year
    age = max(0, now - year) if year else 10
    return 1.0 / (1.0 + age / RECENCY_YEARS)


def printed_page(pub: Publication, page: int) -> int:
    """The page number as printed in the volume (or the page of the publication itself)."""
    return pub.page_start + page - 1 if pub.page_start else page


def citation(pub: Publication, page: Optional[int] = None) -> str:
    """A one-line reference: "Author. Title // Volume. Year. P. N"."""
    authors = ", ".join(a.name_as_printed or a.person.name for a in pub.authorships)
    parts = [f"{authors}. {pub.title}" if authors else pub.title]
    line = " // ".join([parts[0]] + ([pub.volume.title] if pub.volume and pub.kind != "volume" else []))
    if pub.year:
        line += f". {pub.year}"
    if page is not None:
        line += f". {PAGE_ABBR.get(pub.language, 'С.')} {printed_page(pub, page)}"
    return line


@dataclass
class Passage:
    publication: Publication
    page: Optional[int]          # page within the publication (the anchor #page-N), None without a snippet
    html: str                    # escaped text with <mark>
    citation: str


@dataclass
class Expert:
    person: Person
    score: float
    publications: list[Any] = field(default_factory=list)     # the matching ones (``HitRecord``s)
    passages: list[Passage] = field(default_factory=list)

    @property
    def latest_year(self) -> Optional[int]:
        return max((p.year for p in self.publications if p.year), default=None)


def find_experts(archive, session: Session, text: str, filters: Filters = Filters(), limit: int = 20,
                 passages: int = 3, today: Optional[date] = None, translate: bool = True) -> list[Expert]:
    """People ranked by how much and how recently they wrote on ``text``: sum of search score × recency.

    Through the term bridge (``translate``) a Russian query also weighs the Kazakh-writing experts' work.
    The ``EXPERT_HITS`` hits are weighed from plain rows (their authors read in one statement); records and
    snippets are made only for the passages shown, the strongest hits of the ranked people.
    """
    if not text.strip() and filters == Filters():
        return []
    hits: list[SearchHit] = []
    first: Optional[SearchPage] = None
    page = 1
    while len(hits) < EXPERT_HITS:
        result = run_search(archive, session, text, page=page, limit=100, filters=filters, facets=False,
                            snippets=False, names_only=True, translate=translate)
        first = first or result
        hits.extend(result.hits)
        if page >= result.pages or not result.hits:
            break
        page += 1
    if not hits:
        return []
    authors: dict[int, list[int]] = defaultdict(list)
    title_keys: dict[int, str] = {}
    merged: dict[int, int] = {}
    for pub_id, person_id, merged_into, title_key in session.execute(
            select(Authorship.publication_id, Authorship.person_id, Person.merged_into_id, Publication.title_key)
            .join(Person, Person.id == Authorship.person_id)
            .join(Publication, Publication.id == Authorship.publication_id)
            .where(Authorship.publication_id.in_([h.publication.id for h in hits]))
            .order_by(Authorship.publication_id, Authorship.position)):
        authors[pub_id].append(person_id)
        title_keys[pub_id] = title_key or str(pub_id)
        if merged_into is not None:
            merged[person_id] = merged_into
    cache: dict[int, Person] = {}
    scores: dict[int, float] = defaultdict(float)
    works: dict[int, list[Any]] = defaultdict(list)
    found: dict[int, list[tuple[float, SearchHit]]] = defaultdict(list)
    seen_titles: dict[int, set[str]] = defaultdict(set)
    for hit in hits:
        pub = hit.publication
        weight = hit.score * recency_weight(pub.year, today)
        for person_id in authors.get(pub.id, ()):
            if person_id in merged:
                person_id = current_person(session, session.get(Person, person_id), cache).id
            # The same paper twice (a DOCX and its PDF) is one piece of work.
            if title_keys[pub.id] in seen_titles[person_id]:
                continue
            seen_titles[person_id].add(title_keys[pub.id])
            scores[person_id] += weight
            works[person_id].append(pub)
            found[person_id].append((weight, hit))
    # The first ``limit`` by score, and whoever ties with the last of them: only their names are read and sorted.
    by_score = sorted(scores, key=lambda pid: -scores[pid])
    cut = by_score[:limit]
    cut += [pid for pid in by_score[limit:] if scores[pid] == scores[cut[-1]]]
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(cut)))}
    ranked = sorted((Expert(people[pid], scores[pid], works[pid]) for pid in cut if pid in people),
                    key=lambda e: (-e.score, sort_key(e.person.name)))[:limit]
    strongest = {e.person.id: sorted(found[e.person.id], key=lambda wh: -wh[0])[:passages + 2] for e in ranked}
    shown = {hit.publication.id for top in strongest.values() for _w, hit in top}
    records = {p.id: p for p in session.scalars(with_people(select(Publication).where(Publication.id.in_(shown))))}
    made = snippets_of(archive, session, first, records) if first is not None else {}
    for expert in ranked:
        expert.passages = _best_passages([(w, records[h.publication.id], *made.get(h.publication.id, ((), "")))
                                          for w, h in strongest[expert.person.id] if h.publication.id in records],
                                         passages)
    return ranked


def current_person(session: Session, person: Person, cache: dict[int, Person]) -> Person:
    """The person a merged record now points to."""
    if person.merged_into_id is None:
        return person
    if person.id not in cache:
        target, hops = person, 0
        while target.merged_into_id is not None and hops < 10:
            target = session.get(Person, target.merged_into_id) or target
            hops += 1
        cache[person.id] = target
    return cache[person.id]


def _best_passages(weighted: list[tuple[float, Publication, tuple[Snippet, ...], str]], n: int) -> list[Passage]:
    """The best snippet of each of the strongest publications first, then second-best snippets."""
    ordered = sorted(weighted, key=lambda w: -w[0])
    out: list[Passage] = []
    for rank in range(3):
        for _w, pub, found, lead_html in ordered:
            if len(out) >= n:
                return out
            snips = sorted(found, key=lambda s: -s.score)
            if rank < len(snips):
                sn = snips[rank]
                out.append(Passage(pub, sn.page, sn.html, citation(pub, sn.page)))
            elif rank == 0 and not snips and lead_html:
                out.append(Passage(pub, None, lead_html, citation(pub)))
    return out


def topic_query(slug: str) -> str:
    """A search query that finds a vocabulary topic's phrases (any of them)."""
    spec = SPECS.get(slug)
    if spec is None:
        return ""
    return " OR ".join(f'"{p}"' for p in dict.fromkeys(spec.phrases))


def member_list(session: Session) -> list[Person]:
    """Members of the group, alphabetically."""
    people = session.scalars(select(Person).where(Person.is_member.is_(True), Person.merged_into_id.is_(None)))
    return sorted(people, key=lambda p: sort_key(p.name))


# --- views ---------------------------------------------------------------------------------------
