"""People: finding the same person behind name variants when it is safe, creating them otherwise."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.analysis.translit import cyrillic_to_latin
from uploads.types import Author

from ..models import Person, PersonName

_SPLIT = re.compile(r"[\s.,]+")


def _initials(given: str) -> str:
    parts = [p for p in _SPLIT.split(given) if p]
    return " ".join(p[0].lower() for p in parts)


def name_key(surname: str, given: str) -> str:
    """A matching key: surname (ё→е, lower) + initials, e.g. "иванов а б"."""
    sur = surname.strip().lower().replace("ё", "е")
    ini = _initials(given)
    return f"{sur} {ini}".strip()


def split_name(author: Author) -> tuple[str, str]:
    """Surname and given names of an author, from the parsed parts or the printed name."""
    if author.surname:
        return author.surname.strip(), author.given.strip()
    parts = author.name.split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])


def find_or_create_person(session: Session, author: Author) -> Person:
    """The person with the same surname and initials (safe match), or a new one; records the name variant."""
    surname, given = split_name(author)
    key = name_key(surname, given)
    person = None
    if key:
        person = session.scalars(select(Person).where(Person.name_key == key, Person.merged_into_id.is_(None))
                                 .order_by(Person.id)).first()
        if person is None:
            pn = session.scalars(select(PersonName).where(PersonName.key == key)).first()
            person = pn.person if pn else None
    display = author.name.strip() or f"{surname} {given}".strip()
    if person is None:
        full = f"{surname} {given}".strip() or display
        person = Person(name=full, surname=surname, given=given, name_key=key,
                        name_latin=" ".join(cyrillic_to_latin(w) for w in full.split()))
        session.add(person)
        session.flush()
    elif len(given.replace(".", "").replace(" ", "")) > len(person.given.replace(".", "").replace(" ", "")):
        # A fuller form of the name ("Алексей Борисович" over "А.Б.") becomes the display name.
        person.given = given
        person.name = f"{surname} {given}".strip()
        person.name_latin = " ".join(cyrillic_to_latin(w) for w in person.name.split())
    if display and not any(v.name == display for v in person.variants):
        person.variants.append(PersonName(name=display, key=key))
    return person


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def adopt_display_name(person: Person, author: Author) -> bool:
    """Make the name a person typed (an editor's correction) the person's display name when it is the same
    person written at least as fully; returns whether the name changed."""
    surname, given = split_name(author)
    typed = " ".join(f"{surname} {given}".split())
    if not typed or typed == person.name or name_key(surname, given) != person.name_key:
        return False
    if _letters(typed) < _letters(person.name):
        return False                          # "Ляхов Л.Н." never replaces "Ляхов Леонид Николаевич"
    person.surname, person.given, person.name = surname, given, typed
    person.name_latin = " ".join(cyrillic_to_latin(w) for w in typed.split())
    return True
