"""People who may be one person under name variants: finding candidates, merging and splitting them.

Ingest already joins identical surname+initials keys (``people.py``). Here an editor decides about the
less certain cases: "Иванов А.Б." / "Ivanov A.B." / "Иванов Алексей Борисович", Kazakh -ұлы/-қызы beside
-ов/-ова surnames. The functions flush but do not commit; the caller commits and then applies the
index work they record.
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, contains_eager, selectinload

from indexer.analysis.translit import cyrillic_to_latin

from ..errors import NotFoundError, UserValueError
from ..models import Authorship, Person, PersonName, Publication, User
from ..names import fold, person_surname, split_printed, surname_key
from . import audit, indexing
from .people import name_key

logger = logging.getLogger(__name__)

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_SPLIT = re.compile(r"[\s.,]+")


@dataclass(frozen=True)
class NameParts:
    """A person's surname key and given-name parts, ready to compare."""

    surname: str
    surname_key: str
    ending: str                    # "kk" for a cut -ұлы/-қызы, "ru" for a cut -ов/-ова, "" otherwise
    given: tuple[tuple[str, str], ...]   # (initial key, full-name key or "") per given name


_DIGRAPHS = frozenset({"zh", "sh", "ch", "ts", "iu", "ia"})


def _given_parts(given: str) -> tuple[tuple[str, str], ...]:
    """(initial key, full-name key or "") for each given name; "Ж.", "Zh." and "J." share the key "zh"."""
    out: list[tuple[str, str]] = []
    for p in (p for p in _SPLIT.split(given) if p):
        head = fold(p[:2])
        ini = head if head in _DIGRAPHS else fold(p[:1])
        if not ini:
            continue
        is_initial = len(p) == 1 or (len(p) == 2 and head in _DIGRAPHS)
        out.append((ini, "" if is_initial else fold(p)))
    return tuple(out)


def name_parts(person: Person) -> NameParts:
    """Surname key and given parts of a person, from the stored fields or the display name."""
    surname, given = person_surname(person.name, person.surname, person.given)
    key, ending = surname_key(surname)
    return NameParts(surname, key, ending, _given_parts(given))


def initials_compatible(a: tuple[tuple[str, str], ...], b: tuple[tuple[str, str], ...]) -> bool:
    """"А.Б." fits "Алексей Борисович" and "А.", not "А.В."; full names must agree where both are given."""
    for (ia, fa), (ib, fb) in zip(a, b):
        if ia != ib or (fa and fb and fa != fb):
            return False
    return True


def _reason(a: Person, pa: NameParts, b: Person, pb: NameParts) -> str:
    latin_a = not _CYRILLIC.search(a.name)
    latin_b = not _CYRILLIC.search(b.name)
    bits = []
    if latin_a != latin_b:
        bits.append("same name in Latin transliteration")
    elif pa.ending != pb.ending:
        bits.append("Kazakh -ұлы/-қызы and -ов/-ова forms of one surname")
    elif pa.surname.lower() != pb.surname.lower() and "ё" in (pa.surname + pb.surname).lower():
        bits.append("same surname written with ё and е")
    elif pa.surname.lower() != pb.surname.lower():
        bits.append("similar spelling of the surname")
    else:
        bits.append("same surname")
    if len(pa.given) != len(pb.given) or any(bool(x[1]) != bool(y[1]) for x, y in zip(pa.given, pb.given)):
        bits.append("compatible initials")
    else:
        bits.append("same given names" if all(x[1] for x in pa.given) and pa.given else "same initials")
    return ", ".join(bits)


CANDIDATE_GROUPS = 25         # surname groups read at a time for the editors' possible duplicates
CANDIDATE_PAIRS = 50          # pairs on one page (a page ends where one person's pairs end) ...
CANDIDATE_READS = 4           # ... or after this many reads of CANDIDATE_GROUPS groups


@dataclass
class Candidates:
    """One page of possible duplicates: (older, newer, reason) pairs in surname-key order, each shown person's
    number of publications, and where the next page starts: after the group ``next_after`` or, when ``next_from``
    is set, within that group from the pairs of its person ``next_from`` (``next_after`` "": the last page)."""

    pairs: list[tuple[Person, Person, str]]
    publications: dict[int, int]
    next_after: str
    next_from: int = 0


_UNMERGED = (Person.merged_into_id.is_(None), Person.surname_key != "")


def _group_keys(session: Session, after: str, limit: int) -> list[str]:
    """Up to ``limit`` surname keys after ``after`` shared by two or more unmerged people, in key order, from the
    key's index."""
    key = Person.surname_key
    return list(session.scalars(select(key).where(*_UNMERGED, key > after).group_by(key).having(func.count() > 1)
                                .order_by(key).limit(limit)))


def _group_blocks(session: Session, key: str, start: int = 0
                  ) -> tuple[Iterator[tuple[int, list[tuple[Person, Person, str]]]], dict[int, int]]:
    """The possible duplicates among the unmerged people of one surname group, as (older person's id, their pairs)
    blocks in order of that id from ``start`` on, made as they are asked for (a page stops asking when full, so a
    big group costs the pairs shown, not every pair of it); and each person's number of publications."""
    people = list(session.scalars(select(Person).where(*_UNMERGED, Person.surname_key == key).order_by(Person.id)))
    works: dict[int, set[int]] = defaultdict(set)
    for person_id, pub_id in session.execute(select(Authorship.person_id, Authorship.publication_id)
                                             .where(Authorship.person_id.in_([p.id for p in people]))):
        works[person_id].add(pub_id)
    members = [(p, name_parts(p)) for p in people]

    def blocks() -> Iterator[tuple[int, list[tuple[Person, Person, str]]]]:
        for i, (a, pa) in enumerate(members):
            if a.id < start:
                continue
            block = [(a, b, _reason(a, pa, b, pb)) for b, pb in members[i + 1:]
                     # co-authors of one paper are two people
                     if initials_compatible(pa.given, pb.given) and not works[a.id] & works[b.id]]
            if block:
                yield a.id, block
    return blocks(), {p.id: len(works[p.id]) for p in people}


def candidate_page(session: Session, after: str = "", start: int = 0) -> Candidates:
    """Possible duplicates among people sharing a surname key (``Person.surname_key``), in key order after the group
    ``after`` (with ``start``: from that group's pairs whose older person has id ``start`` or more). The keys of
    groups of two or more people are read from the key's index ``CANDIDATE_GROUPS`` at a time, then each group's
    people and their authorships, until the page holds ``CANDIDATE_PAIRS`` pairs (a person's pairs are never split)
    or ``CANDIDATE_READS`` reads of keys are done. Before, every person and every authorship was read and compared
    on each request (1.7 s and 1.2 MB of HTML at 3,000 people with 30,000 publications)."""
    shown: list[tuple[Person, Person, str]] = []
    publications: dict[int, int] = {}
    cursor, resume = after, (after if start else None)
    for _read in range(CANDIDATE_READS):
        keys = ([resume] if resume else []) + _group_keys(session, cursor, CANDIDATE_GROUPS)
        if not keys:
            return Candidates(shown, publications, "")
        for k in keys:
            blocks, counts = _group_blocks(session, k, start if k == resume else 0)
            for older, block in blocks:                                     # in order of the older person
                if shown and len(shown) + len(block) > CANDIDATE_PAIRS:
                    return Candidates(shown, publications, k, older)
                shown += block
                publications.update((p.id, counts[p.id]) for pair in block for p in pair[:2])
            cursor = k
            if len(shown) >= CANDIDATE_PAIRS:
                break
        resume = None
        if len(shown) >= CANDIDATE_PAIRS:
            break
    return Candidates(shown, publications, cursor if _group_keys(session, cursor, 1) else "")


def candidate_duplicates(session: Session) -> Iterator[tuple[Person, Person, str]]:
    """Every possible duplicate, page after page (the CLI's and the tests' whole list)."""
    page = candidate_page(session)
    yield from page.pairs
    while page.next_after:
        page = candidate_page(session, page.next_after, page.next_from)
        yield from page.pairs


def _person(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"No person with id {person_id}.")
    return person


def _given_len(given: str) -> int:
    return len(given.replace(".", "").replace(" ", ""))


def merge_people(session: Session, keep_id: int, merge_id: int, user_id: int | None = None) -> Person:
    """Fold person ``merge_id`` into ``keep_id``: authorships, name variants, profile gaps; records an audit event."""
    if keep_id == merge_id:
        raise UserValueError("A person cannot be merged into themselves.")
    keep = _person(session, keep_id)
    gone = _person(session, merge_id)
    if keep.merged_into_id is not None or gone.merged_into_id is not None:
        raise UserValueError("One of these people has already been merged into another.")
    kept_pubs = {a.publication_id for a in keep.authorships}
    moved: list[int] = []
    dropped: list[int] = []
    for a in list(gone.authorships):
        if a.publication_id in kept_pubs:
            dropped.append(a.id)       # both names were on one paper as one author; keep one line
            session.delete(a)
        else:
            a.person = keep
            moved.append(a.id)
    names = {v.name for v in keep.variants}
    for v in list(gone.variants):
        if v.name in names:
            session.delete(v)
        else:
            gone.variants.remove(v)
            keep.variants.append(PersonName(name=v.name, key=v.key))
            names.add(v.name)
    if gone.name not in names:
        keep.variants.append(PersonName(name=gone.name, key=gone.name_key))
    # The fuller form of the name becomes the display name, as at ingest.
    if (_given_len(gone.given) > _given_len(keep.given) and gone.surname
            and surname_key(gone.surname)[0] == surname_key(keep.surname)[0]
            and (_CYRILLIC.search(gone.name) or not _CYRILLIC.search(keep.name))):
        keep.given, keep.surname = gone.given, gone.surname
        keep.name = f"{gone.surname} {gone.given}".strip()
        keep.name_key = name_key(gone.surname, gone.given)
        keep.name_latin = " ".join(cyrillic_to_latin(w) for w in keep.name.split())
    for attr in ("degree", "position", "institution", "bio", "press_contact", "name_latin"):
        if not getattr(keep, attr) and getattr(gone, attr):
            setattr(keep, attr, getattr(gone, attr))
    if keep.press_contact == gone.press_contact or not keep.press_contact:
        keep.press_contact_agreed = keep.press_contact_agreed or gone.press_contact_agreed
    keep.is_member = keep.is_member or gone.is_member
    gone.merged_into_id = keep.id
    session.execute(update(Person).where(Person.merged_into_id == gone.id, Person.id != keep.id)
                    .values(merged_into_id=keep.id))
    session.execute(update(User).where(User.person_id == gone.id).values(person_id=keep.id))
    audit.record(session, user_id, "person.merge", "person", keep.id, merged_id=gone.id, merged_name=gone.name,
                 moved_authorships=moved, dropped_authorships=dropped)
    session.flush()
    indexing.enqueue(session, _publication_ids(session, keep.id))
    logger.info("merged person %s into %s (%d authorships)", gone.id, keep.id, len(moved))
    return keep


def _publication_ids(session: Session, person_id: int) -> list[int]:
    return list(session.scalars(select(Authorship.publication_id).where(Authorship.person_id == person_id)
                                .distinct()))


def split_person(session: Session, person_id: int, authorship_ids: Iterable[int],
                 user_id: int | None = None) -> Person:
    """Move the chosen authorships of a person to a new person (named as printed on the first of them)."""
    person = _person(session, person_id)
    wanted = set(authorship_ids)
    chosen = [a for a in person.authorships if a.id in wanted]
    if not wanted or len(chosen) != len(wanted):
        raise UserValueError("Choose one or more publications of this person to split off.")
    printed = chosen[0].name_as_printed or person.name
    surname, given = split_printed(printed)
    full = f"{surname} {given}".strip() or printed
    new = Person(name=full, surname=surname, given=given, name_key=name_key(surname, given),
                 name_latin=" ".join(cyrillic_to_latin(w) for w in full.split()))
    session.add(new)
    session.flush()
    for a in chosen:
        a.person = new
    remaining = {a.name_as_printed for a in person.authorships if a.id not in wanted}
    for label in dict.fromkeys(a.name_as_printed for a in chosen if a.name_as_printed):
        s_, g_ = split_printed(label)
        new.variants.append(PersonName(name=label, key=name_key(s_, g_)))
        # A form now used only by the new person would make ingest match the old one again.
        if label not in remaining:
            for v in list(person.variants):
                if v.name == label:
                    person.variants.remove(v)
    audit.record(session, user_id, "person.split", "person", person.id, new_person_id=new.id,
                 authorships=sorted(wanted))
    session.flush()
    indexing.enqueue(session, [a.publication_id for a in chosen])
    logger.info("split %d authorships of person %s into %s", len(chosen), person.id, new.id)
    return new


AUTHORSHIPS_PER_PAGE = 100   # a person's publications on one page of the editors' person tool


def person_with_authorships(session: Session, person_id: int, page: int = 1, per_page: int = AUTHORSHIPS_PER_PAGE
                            ) -> tuple[Optional[Person], Optional[Person], list[Authorship], int]:
    """A person with name variants loaded, the person it was merged into (if any), one page of its authorships
    with their publications (newest year first, unknown years last, then by publication) and how many it has in
    all. A page at a time: a prolific author's hundreds of publications are not read and listed on every visit."""
    p = session.scalars(select(Person).where(Person.id == person_id).options(selectinload(Person.variants))).first()
    if p is None:
        return None, None, [], 0
    total = session.scalar(select(func.count()).select_from(Authorship).where(Authorship.person_id == person_id)) or 0
    rows = list(session.scalars(
        select(Authorship).join(Publication, Publication.id == Authorship.publication_id)
        .where(Authorship.person_id == person_id).options(contains_eager(Authorship.publication))
        .order_by(Publication.year.is_(None), Publication.year.desc(), Authorship.publication_id, Authorship.id)
        .offset((max(1, page) - 1) * per_page).limit(per_page)))
    return p, (session.get(Person, p.merged_into_id) if p.merged_into_id else None), rows, int(total)