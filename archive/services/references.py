"""Reference lists of publications: stored at ingest, linked to the archive's works, confirmed or removed in review.

A publication's entries are ``PublicationReference`` rows (raw text and parsed fields, from
``uploads.references``). Linking looks candidates up in ``work_keys`` (keys of every published work: its
``work_key``s and the skeletons of its title words), scores them with ``match_score`` and links the best one
only at ``LINK_THRESHOLD`` or above. It runs when a draft's references are stored (against what is already
published), and on publishing in both directions: the new work's entries → existing works, and existing
unlinked entries that may cite the new work → it. A person's decision ("confirmed", "removed") is never
changed by automatic linking; ``relink`` recomputes the automatic links of the whole archive.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Iterable, Optional

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from uploads.references import (LINK_THRESHOLD, Reference, ReferenceList, find_reference_lists, match_score,
                                normalise_title, work_key)
from uploads.references.matching import skeleton

from ..errors import NotFoundError, UserValueError
from ..i18n import _
from ..models import Authorship, Publication, PublicationReference, WorkKey, utcnow
from ..permissions import Actor
from . import audit, citations
from .publications import children_of, get_editable

logger = logging.getLogger(__name__)

CANDIDATES = 25               # works scored per entry: those sharing the most title words
MAX_ENTRIES = 400             # per publication; a longer "list" is extraction gone wrong
_LINKED = ("auto", "confirmed")


# --- keys ------------------------------------------------------------------------------------------------

def _word_skeletons(text: str) -> list[str]:
    """Skeletons of the words of ``text`` worth looking up (three letters of skeleton or more)."""
    out = []
    for w in normalise_title(text).split():
        s = skeleton(w)
        if len(s) >= 3 and s not in out:
            out.append(s)
    return out


def title_variants(pub: Publication) -> list[str]:
    """The titles a work may be cited by: its title and its titles in other languages (a subtitle left out
    in a citation is ``match_score``'s business: cutting titles here would cut «… г. Саратова» too)."""
    out: list[str] = []
    for t in [pub.title, *(pub.titles or {}).values()]:
        t = (t or "").strip()
        if t and t not in out:
            out.append(t)
    return out


def _surnames(pub: Publication) -> list[str]:
    return [a.person.surname or (a.name_as_printed or a.person.name).split(" ")[0] for a in pub.authorships]


def keys_of(pub: Publication) -> set[str]:
    """Lookup keys of a work: ``k:`` + work_key per title variant × (year, no year) × surname (or none), and
    ``w:`` + each title word's skeleton."""
    keys: set[str] = set()
    surnames = _surnames(pub)[:10] or [""]
    for title in title_variants(pub):
        for year in {pub.year, None}:
            for surname in surnames + [""]:
                keys.add("k:" + work_key(title, year, surname)[:298])
        keys.update("w:" + s[:298] for s in _word_skeletons(title))
    return keys


def refresh_work_keys(session: Session, pub: Publication) -> None:
    """Keys of a published work written anew; a work that is not published has none (it is never a target)."""
    session.execute(delete(WorkKey).where(WorkKey.publication_id == pub.id))
    if pub.status == "published":
        session.add_all(WorkKey(publication_id=pub.id, key=k) for k in sorted(keys_of(pub)))
    session.flush()


def _head_key(ref: Reference) -> str:
    words = _word_skeletons(ref.title)
    return words[0][:100] if words else ""


# --- storing ---------------------------------------------------------------------------------------------

def store_references(session: Session, pub: Publication, lists: list[ReferenceList], new: bool = False) -> int:
    """Replace a publication's entries with those of ``lists`` and link them to published works; returns the count.

    Re-extraction keeps a person's decisions: an entry with the same raw text keeps its confirmed or removed link.
    ``new``: the publication was just created (ingest), so there is nothing to replace.
    """
    if not lists and new:
        return 0
    kept: dict[str, PublicationReference] = {}
    if not new:
        kept = {r.raw: r for r in session.scalars(select(PublicationReference)
                                                  .where(PublicationReference.publication_id == pub.id))
                if r.link_status != "auto"}
        session.execute(delete(PublicationReference).where(PublicationReference.publication_id == pub.id))
        session.flush()
    # Plain values, linked first and written in one INSERT: a volume brings hundreds of entries at once.
    rows: list[SimpleNamespace] = []
    for lst in lists:
        for entry in lst.entries:
            if len(rows) >= MAX_ENTRIES:
                break
            row = SimpleNamespace(
                publication_id=pub.id, position=len(rows) + 1, list_heading=(lst.heading or "")[:200],
                raw=entry.raw, authors=list(entry.authors), title=entry.title, container=entry.container,
                year=entry.year, pages=entry.pages[:100], doi=entry.doi[:300], url=entry.url,
                parse_status=entry.parse_status, head_key=_head_key(entry), link_status="auto",
                target_publication_id=None, score=None)
            old = kept.get(entry.raw)
            if old is not None:
                row.link_status, row.target_publication_id, row.score = (old.link_status,
                                                                         old.target_publication_id, old.score)
            rows.append(row)
    if rows:
        _relink_rows(session, rows)       # type: ignore[arg-type] - the same attributes as the mapped rows
        session.execute(insert(PublicationReference), [vars(r) for r in rows])
    return len(rows)


def reread_articles(session: Session, volume: Publication, articles: list[Publication]) -> None:
    """After a volume's split changed: the reference lists of ``articles`` read again from the volume's pages
    (each up to the page the next article starts on, as the uploader reads them), people's decisions kept."""
    siblings = sorted(children_of(session, volume), key=lambda a: (a.pdf_page_start or 0, a.id))
    texts = {p.number: p.text for p in volume.pages}
    for art in articles:
        if not art.pdf_page_start or not art.pdf_page_end:
            continue
        later = [a for a in siblings if (a.pdf_page_start or 0) > art.pdf_page_start or
                 ((a.pdf_page_start or 0) == art.pdf_page_start and a.id > art.id)]
        nxt = later[0] if later else None
        last = max(art.pdf_page_end, nxt.pdf_page_start or 0) if nxt else art.pdf_page_end
        pages = [texts.get(n, "") for n in range(art.pdf_page_start, last + 1)]
        store_references(session, art, find_reference_lists(pages, art.title, nxt.title if nxt else ""))
    published = [a.id for a in articles if a.status == "published"]
    if published:
        link_published(session, published)      # a new or changed article of a public volume: its keys too


def reread_all(session: Session) -> int:
    """Every publication's reference lists read again from its stored page texts (after an upgrade that brought
    them, or a better reader), people's decisions kept; link them with ``relink`` after. Returns the entries."""
    n = 0
    for pub in session.scalars(select(Publication).where(Publication.parent_id.is_(None))
                               .options(selectinload(Publication.pages)).order_by(Publication.id)):
        if pub.kind == "volume":
            articles = children_of(session, pub)
            reread_articles(session, pub, articles)
            n += sum(len(references_of(session, a.id)) for a in articles)
        else:
            n += store_references(session, pub, find_reference_lists([p.text for p in pub.pages]))
    return n


# --- linking ---------------------------------------------------------------------------------------------

def as_reference(row: PublicationReference) -> Reference:
    """The stored entry as the parser's ``Reference`` (what ``match_score`` reads)."""
    return Reference(raw=row.raw, authors=list(row.authors or []), title=row.title, container=row.container,
                     year=row.year, pages=row.pages, doi=row.doi, url=row.url, parse_status=row.parse_status)


@dataclass(frozen=True)
class Work:
    """What linking needs of a published work, read once per linking run."""

    id: int
    titles: tuple[str, ...]
    year: Optional[int]
    surnames: tuple[str, ...]
    words: int                    # title words of its shortest variant (for the shared-words filter)


@dataclass
class LinkRun:
    """What one linking run has read: works by publication id, and the publications of each lookup key
    (fetched for a whole batch of entries at once: one query, not one per entry)."""

    works: dict[int, Work] = field(default_factory=dict)
    keys: dict[str, list[int]] = field(default_factory=dict)


def _load_works(session: Session, ids: list[int], run: LinkRun) -> None:
    missing = [i for i in ids if i not in run.works]
    if not missing:
        return
    for pub in session.scalars(select(Publication).where(Publication.id.in_(missing), Publication.status == "published")
                               .options(selectinload(Publication.authorships).selectinload(Authorship.person))):
        titles = tuple(title_variants(pub))
        run.works[pub.id] = Work(pub.id, titles, pub.year, tuple(_surnames(pub)),
                                 min((len(_word_skeletons(t)) for t in titles), default=0))


def _lookup_keys(row: PublicationReference) -> tuple[list[str], list[str]]:
    """The entry's title word skeletons and the work_keys to look up."""
    words = _word_skeletons(row.title or row.raw.split("//")[0])
    keys = ["w:" + s[:298] for s in words]
    if row.title:
        keys += ["k:" + work_key(row.title, y, s)[:298] for y in {row.year, None}
                 for s in {(row.authors or [""])[0].split(" ")[0], ""}]
    return words, keys


def _prefetch(session: Session, rows: Iterable[PublicationReference], run: LinkRun) -> None:
    wanted = sorted({k for r in rows for k in _lookup_keys(r)[1]} - run.keys.keys())
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for k in chunk:
            run.keys[k] = []
        for key, pub_id in session.execute(select(WorkKey.key, WorkKey.publication_id).where(WorkKey.key.in_(chunk))):
            run.keys[key].append(pub_id)


def _candidates(session: Session, row: PublicationReference, run: LinkRun) -> list[Work]:
    """Published works that share a key with the entry, those sharing the most title words first; a work
    sharing fewer than half the words of the shorter title cannot reach the threshold and is not scored."""
    words, keys = _lookup_keys(row)
    if any(k not in run.keys for k in keys):
        _prefetch(session, [row], run)
    hits: dict[int, int] = {}
    for k in keys:
        for pub_id in run.keys[k]:
            if pub_id != row.publication_id:
                hits[pub_id] = hits.get(pub_id, 0) + 1
    found = sorted(hits.items(), key=lambda x: (-x[1], x[0]))[:CANDIDATES]
    _load_works(session, [i for i, _n in found], run)
    out = []
    for pub_id, n in found:
        work = run.works.get(pub_id)
        if work is not None and 2 * n >= min(len(words), work.words):
            out.append(work)
    return out


def best_match(session: Session, row: PublicationReference,
               run: Optional[LinkRun] = None) -> tuple[Optional[Work], float]:
    """The best-scoring published work for the entry and its score (None below ``LINK_THRESHOLD``)."""
    ref = as_reference(row)
    best, best_score = None, 0.0
    for work in _candidates(session, row, run or LinkRun()):
        score = max(match_score(ref, title, work.year, list(work.surnames)) for title in work.titles)
        if score > best_score or (score == best_score and best is not None and work.id < best.id):
            best, best_score = work, score
    return (best, best_score) if best_score >= LINK_THRESHOLD else (None, best_score)


def link_reference(session: Session, row: PublicationReference, run: Optional[LinkRun] = None) -> bool:
    """(Re)compute an automatic link; a person's decision stays. True when the link changed."""
    if row.link_status != "auto":
        return False
    target, score = best_match(session, row, run)
    new_id = target.id if target is not None else None
    changed = new_id != row.target_publication_id
    row.target_publication_id, row.score = new_id, (round(score, 4) if target is not None else None)
    return changed


def _touch(session: Session, pub_ids: set[int]) -> None:
    """The citing and cited records changed (their pages, API and OAI records show the links): new datestamps."""
    if pub_ids:
        session.execute(update(Publication).where(Publication.id.in_(sorted(pub_ids))).values(updated_at=utcnow()))


def _relink_rows(session: Session, rows: Iterable[PublicationReference]) -> int:
    """Link each row again; records whose links changed get a new datestamp. Returns the links changed."""
    touched: set[int] = set()
    changed = 0
    rows = list(rows)
    run = LinkRun()
    with session.no_autoflush:            # the lookups read work_keys only; the links go with the next flush
        _prefetch(session, [r for r in rows if r.link_status == "auto"], run)
        for row in rows:
            old = row.target_publication_id
            if link_reference(session, row, run):
                changed += 1
                touched.update(i for i in (row.publication_id, old, row.target_publication_id) if i is not None)
    _touch(session, touched)
    return changed


def link_published(session: Session, ids: Iterable[int]) -> int:
    """After publishing: keys for the works, their entries linked, and entries elsewhere that may cite them
    linked again. Returns the number of links that changed."""
    pubs = list(session.scalars(select(Publication).where(Publication.id.in_(list(ids)))
                                .options(selectinload(Publication.authorships).selectinload(Authorship.person))))
    for pub in pubs:
        refresh_work_keys(session, pub)
    heads: set[str] = set()
    for pub in pubs:
        for title in title_variants(pub):
            words = _word_skeletons(title)
            if words:
                heads.add(words[0][:100])
    own = list(session.scalars(select(PublicationReference).where(
        PublicationReference.publication_id.in_([p.id for p in pubs]))))
    others: list[PublicationReference] = []
    if heads:
        # entries whose title starts like one of the new works': the only ones the new work can win
        others = list(session.scalars(select(PublicationReference).where(
            PublicationReference.head_key.in_(sorted(heads)), PublicationReference.link_status == "auto")))
    return _relink_rows(session, {r.id: r for r in own + others}.values())


def unlink_unpublished(session: Session, ids: Iterable[int]) -> None:
    """After withdrawing: the works lose their keys and their automatic incoming links."""
    ids = list(ids)
    if not ids:
        return
    session.execute(delete(WorkKey).where(WorkKey.publication_id.in_(ids)))
    touched: set[int] = set()
    for row in session.scalars(select(PublicationReference).where(
            PublicationReference.target_publication_id.in_(ids), PublicationReference.link_status == "auto")):
        row.target_publication_id, row.score = None, None
        touched.add(row.publication_id)
    session.flush()
    _touch(session, touched)


@dataclass
class RelinkReport:
    works: int = 0
    entries: int = 0
    linked: int = 0
    changed: int = 0


def relink(session: Session) -> RelinkReport:
    """Keys of every work written anew and every automatic link recomputed (decisions of people stay)."""
    report = RelinkReport()
    session.execute(delete(WorkKey))
    pubs = session.scalars(select(Publication).where(Publication.status == "published")
                           .options(selectinload(Publication.authorships).selectinload(Authorship.person)))
    for pub in pubs:
        session.add_all(WorkKey(publication_id=pub.id, key=k) for k in sorted(keys_of(pub)))
        report.works += 1
    session.flush()
    rows = list(session.scalars(select(PublicationReference).order_by(PublicationReference.id)))
    report.changed = _relink_rows(session, rows)
    report.entries = len(rows)
    report.linked = sum(r.target_publication_id is not None and r.link_status in _LINKED for r in rows)
    return report


# --- decisions in review -----------------------------------------------------------------------------------

def _editable_reference(session: Session, user: Actor, pub_id: int, ref_id: int) -> PublicationReference:
    get_editable(session, user, pub_id)
    row = session.get(PublicationReference, ref_id)
    if row is None or row.publication_id != pub_id:
        raise NotFoundError(_("No such reference."))
    return row


def confirm_link(session: Session, user: Actor, pub_id: int, ref_id: int) -> PublicationReference:
    """A person confirms the entry's link: automatic linking will not change it."""
    row = _editable_reference(session, user, pub_id, ref_id)
    if row.target_publication_id is None:
        raise UserValueError(_("This reference is not linked to a work of the archive."))
    row.link_status = "confirmed"
    _touch(session, {pub_id, row.target_publication_id})
    audit.publication_event(session, user, "reference.confirm", pub_id, reference=row.id,
                            target=row.target_publication_id)
    session.flush()
    return row


def remove_link(session: Session, user: Actor, pub_id: int, ref_id: int) -> PublicationReference:
    """A person removes the entry's link: it stays unlinked, whatever automatic linking finds later."""
    row = _editable_reference(session, user, pub_id, ref_id)
    old = row.target_publication_id
    row.link_status, row.target_publication_id, row.score = "removed", None, None
    _touch(session, {pub_id} | ({old} if old else set()))
    audit.publication_event(session, user, "reference.remove", pub_id, reference=row.id, target=old)
    session.flush()
    return row


# --- reading ---------------------------------------------------------------------------------------------

def _live_link():
    return and_(PublicationReference.link_status.in_(_LINKED), PublicationReference.target_publication_id.isnot(None))


def references_of(session: Session, pub_id: int) -> list[PublicationReference]:
    """A publication's entries in order, with their targets loaded."""
    return list(session.scalars(select(PublicationReference).where(PublicationReference.publication_id == pub_id)
                                .options(selectinload(PublicationReference.target))
                                .order_by(PublicationReference.position)))


def public_target(row: PublicationReference) -> Optional[Publication]:
    """The work an entry links to, when the link stands and the work is published."""
    if row.link_status in _LINKED and row.target is not None and row.target.status == "published":
        return row.target
    return None


def cited_by(session: Session, pub_id: int) -> list[Publication]:
    """Published works of the archive whose reference lists cite this one (each once), newest first."""
    citing = (select(PublicationReference.publication_id).where(
        PublicationReference.target_publication_id == pub_id, _live_link()))
    return list(session.scalars(select(Publication).where(Publication.id.in_(citing), Publication.status == "published")
                                .order_by(Publication.year.desc().nulls_last(), Publication.id.desc())))


def cited_counts(session: Session, pub_ids: Iterable[int]) -> dict[int, int]:
    """How many published works cite each of ``pub_ids`` (absent: none)."""
    ids = list(pub_ids)
    if not ids:
        return {}
    q = (select(PublicationReference.target_publication_id,
                func.count(func.distinct(PublicationReference.publication_id)))
         .join(Publication, Publication.id == PublicationReference.publication_id)
         .where(PublicationReference.target_publication_id.in_(ids), _live_link(), Publication.status == "published")
         .group_by(PublicationReference.target_publication_id))
    return {t: n for t, n in session.execute(q)}


def unparsed_lists(session: Session) -> list[tuple[int, int, int]]:
    """(publication id, entries, unparsed entries) for every publication whose list is half or more unparsed."""
    unparsed = func.sum(case((PublicationReference.parse_status == "unparsed", 1), else_=0))
    q = (select(PublicationReference.publication_id, func.count(PublicationReference.id), unparsed)
         .group_by(PublicationReference.publication_id).order_by(PublicationReference.publication_id))
    return [(p, n, int(u or 0)) for p, n, u in session.execute(q) if n and 2 * int(u or 0) >= n]


def relation_urls(session: Session, pub_ids: Iterable[int], base_url: str) -> dict[int, list[str]]:
    """For each of ``pub_ids``, the landing pages of the published works its references link to, in the list's
    order (for ``dc:relation``); one statement for a harvest's whole page (absent: none)."""
    ids = list(pub_ids)
    if not ids:
        return {}
    ref = PublicationReference
    q = (select(ref.publication_id, Publication.id)
         .join(Publication, Publication.id == ref.target_publication_id)
         .where(ref.publication_id.in_(ids), _live_link(), Publication.status == "published")
         .group_by(ref.publication_id, Publication.id).order_by(ref.publication_id, func.min(ref.position)))
    out: dict[int, list[str]] = {}
    for source, target in session.execute(q):
        out.setdefault(source, []).append(f"{base_url}/p/{target}")
    return out


def json_of(row: PublicationReference, base_url: str) -> dict:
    """An entry as the API shows it."""
    target = public_target(row)
    return {"position": row.position, "raw": row.raw, "authors": list(row.authors or []), "title": row.title,
            "container": row.container, "year": row.year, "pages": row.pages, "doi": row.doi, "url": row.url,
            "parse_status": row.parse_status,
            "target": ({"id": target.id, "url": f"{base_url}/p/{target.id}", "link_status": row.link_status}
                       if target is not None else None)}


def citation_reference(row: PublicationReference) -> str:
    """The ``citation_reference`` meta value (Highwire style: ``citation_title=…; citation_author=…; …``);
    the raw text when nothing was parsed."""
    def clean(v: str) -> str:
        return " ".join(str(v).replace(";", ",").split())

    parts = [("citation_author", a) for a in (row.authors or [])]
    parts += [("citation_title", row.title), ("citation_journal_title", row.container),
              ("citation_publication_date", str(row.year) if row.year else ""), ("citation_doi", row.doi)]
    fields = [f"{k}={clean(v)}" for k, v in parts if v and clean(v)]
    if not row.title or row.parse_status == "unparsed":
        return clean(row.raw)
    return "; ".join(fields)



# --- export ----------------------------------------------------------------------------------------------

def _page_range(pages: str) -> tuple[str, str]:
    first, _sep, last = (pages or "").partition("-")
    return first.strip(), last.strip()


def _ris_entry(row: PublicationReference) -> str:
    lines = [("TY", "JOUR" if row.container else ("BOOK" if row.title else "GEN"))]
    lines += [("AU", a) for a in row.authors or []]
    lines += [("TI", row.title or row.raw), ("T2", row.container), ("PY", str(row.year or ""))]
    first, last = _page_range(row.pages)
    lines += [("SP", first), ("EP", last), ("DO", row.doi), ("UR", row.url), ("N1", row.raw)]
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {' '.join(value.split())}\r\n" for tag, value in lines if value or tag == "ER")


def _bibtex_entry(row: PublicationReference, key: str) -> str:
    fields = [("author", " and ".join(row.authors or [])), ("title", row.title or row.raw),
              ("journal" if row.container else "note", row.container), ("year", str(row.year or "")),
              ("pages", (row.pages or "").replace("-", "--")), ("doi", row.doi), ("url", row.url)]
    body = ",\n".join(f"  {k} = {{{citations.bibtex_escape(v)}}}" for k, v in fields if v)
    return f"@{'article' if row.container else 'misc'}{{{key},\n{body}\n}}\n"


def _csl_entry(row: PublicationReference, key: str) -> dict:
    item: dict = {"id": key, "type": "article-journal" if row.container else "book", "title": row.title or row.raw}
    if row.authors:
        item["author"] = [{"literal": a} for a in row.authors]
    for name, value in (("container-title", row.container), ("page", row.pages), ("DOI", row.doi), ("URL", row.url)):
        if value:
            item[name] = value
    if row.year:
        item["issued"] = {"date-parts": [[row.year]]}
    item["note"] = row.raw
    return item


def export_references(rows: list[PublicationReference], fmt: str, base_url: str, owner_id: int) -> str:
    """A publication's reference list in a citation format (``ris``, ``bib``, ``json`` or ``txt``): an entry
    linked to an archive work is written from that work's own record, the others from their parsed fields."""
    keys = [f"kelisim{owner_id}ref{r.position}" for r in rows]
    targets = [public_target(r) for r in rows]
    if fmt == "ris":
        return "".join(citations.ris(t, base_url) if t else _ris_entry(r) for r, t in zip(rows, targets))
    if fmt == "bib":
        return "\n".join(citations.bibtex(t, base_url, key=k) if t else _bibtex_entry(r, k)
                         for r, t, k in zip(rows, targets, keys))
    if fmt == "json":
        items = [{**citations.csl_json(t, base_url), "id": k, "note": r.raw} if t else _csl_entry(r, k)
                 for r, t, k in zip(rows, targets, keys)]
        return json.dumps(items, ensure_ascii=False, indent=2)
    return "".join(f"{r.position}. {r.raw}\n" for r in rows)
