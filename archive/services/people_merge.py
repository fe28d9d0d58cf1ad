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
from typing import Iterable, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from indexer.analysis.translit import cyrillic_to_latin, fold_latin_key
from uploads.types import Author

from ..errors import NotFoundError, UserValueError
from ..models import Authorship, Person, PersonName, User
from . import audit, indexing
from .people import name_key, split_name

logger = logging.getLogger(__name__)

# Kazakh patronymic surnames and their Russian-style twins: Байжанұлы ~ Байжанов, Ермекқызы ~ Ермекова.
_MALE_ENDINGS = ("ұлы", "улы", "uly", "ūly", "ov", "ev", "ов", "ев")
_FEMALE_ENDINGS = ("қызы", "кызы", "qyzy", "kyzy", "ova", "eva", "ова", "ева")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.\s*){1,3}$")
_SPLIT = re.compile(r"[\s.,]+")


@dataclass(frozen=True)
class NameParts:
    """A person's surname key and given-name parts, ready to compare."""

    surname: str
    surname_key: str
    ending: str                    # "kk" for a cut -ұлы/-қызы, "ru" for a cut -ов/-ова, "" otherwise
    given: tuple[tuple[str, str], ...]   # (initial key, full-name key or "") per given name


def _fold(word: str) -> str:
    """A script-neutral key: ё→е, then the lossy Latin key (Иванов, Ivanov → "ivanov")."""
    return fold_latin_key(word.lower().replace("ё", "е"))


_KK_ENDINGS = frozenset({"ұлы", "улы", "uly", "ūly", "қызы", "кызы", "qyzy", "kyzy"})


def surname_key(surname: str) -> tuple[str, str]:
    """The comparable key of a surname ("байжан|m" for Байжанұлы and Байжанов) and the ending cut off."""
    low = surname.strip().lower().replace("ё", "е")
    for gender, endings in (("m", _MALE_ENDINGS), ("f", _FEMALE_ENDINGS)):
        for end in sorted(endings, key=len, reverse=True):
            if low.endswith(end) and len(low) - len(end) >= 3:
                return f"{_fold(low[: -len(end)])}|{gender}", "kk" if end in _KK_ENDINGS else "ru"
    return _fold(low), ""


_DIGRAPHS = frozenset({"zh", "sh", "ch", "ts", "iu", "ia"})


def _given_parts(given: str) -> tuple[tuple[str, str], ...]:
    """(initial key, full-name key or "") for each given name; "Ж.", "Zh." and "J." share the key "zh"."""
    out: list[tuple[str, str]] = []
    for p in (p for p in _SPLIT.split(given) if p):
        head = _fold(p[:2])
        ini = head if head in _DIGRAPHS else _fold(p[:1])
        if not ini:
            continue
        is_initial = len(p) == 1 or (len(p) == 2 and head in _DIGRAPHS)
        out.append((ini, "" if is_initial else _fold(p)))
    return tuple(out)


def split_printed(name: str) -> tuple[str, str]:
    """Surname and given names of a printed name, initials first ("А.Б. Иванов") or last ("Иванов А.Б.")."""
    words = name.split()
    if len(words) >= 2 and _INITIALS.match(words[0]) and not _INITIALS.match(words[-1]):
        return words[-1], " ".join(words[:-1])
    return split_name(Author(name=name))


def name_parts(person: Person) -> NameParts:
    """Surname key and given parts of a person, from the stored fields or the display name."""
    surname, given = person.surname, person.given
    if not surname:
        surname, given = split_printed(person.name)
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


def candidate_duplicates(session: Session) -> list[tuple[Person, Person, str]]:
    """Pairs of people (older first) who may be one person, with the reason, for an editor to confirm."""
    people = list(session.scalars(select(Person).where(Person.merged_into_id.is_(None))
                                  .options(selectinload(Person.authorships)).order_by(Person.id)))
    groups: dict[str, list[tuple[Person, NameParts]]] = defaultdict(list)
    for p in people:
        parts = name_parts(p)
        if parts.surname_key:
            groups[parts.surname_key].append((p, parts))
    out: list[tuple[Person, Person, str]] = []
    for members in groups.values():
        for i, (a, pa) in enumerate(members):
            pubs_a = {x.publication_id for x in a.authorships}
            for b, pb in members[i + 1:]:
                if pubs_a & {x.publication_id for x in b.authorships}:
                    continue            # co-authors of one paper are two people
                if initials_compatible(pa.given, pb.given):
                    out.append((a, b, _reason(a, pa, b, pb)))
    return out


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


def person_with_authorships(session: Session, person_id: int) -> tuple[Optional[Person], Optional[Person]]:
    """A person with name variants and authorships loaded, and the person it was merged into (if any)."""
    p = session.scalars(select(Person).where(Person.id == person_id)
                        .options(selectinload(Person.variants),
                                 selectinload(Person.authorships).selectinload(Authorship.publication))).first()
    if p is None:
        return None, None
    return p, (session.get(Person, p.merged_into_id) if p.merged_into_id else None)
