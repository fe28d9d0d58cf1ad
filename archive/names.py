"""Keys that compare people's names across scripts and surname forms, computed where a person is written.

"Иванов", "Ivanov" and "Иванова" → "ivanov|m" / "ivanov|f"; "Байжанұлы" and "Байжанов" → "baizhan|m". The
people table keeps each person's key (``Person.surname_key``, set in ``models._index_fields``), so the editors'
list of possible duplicates reads people a surname group at a time instead of every person on each request.
"""
from __future__ import annotations

import re

from indexer.analysis.translit import fold_latin_key

# Kazakh patronymic surnames and their Russian-style twins: Байжанұлы ~ Байжанов, Ермекқызы ~ Ермекова.
_MALE_ENDINGS = ("ұлы", "улы", "uly", "ūly", "ov", "ev", "ов", "ев")
_FEMALE_ENDINGS = ("қызы", "кызы", "qyzy", "kyzy", "ova", "eva", "ова", "ева")
_KK_ENDINGS = frozenset({"ұлы", "улы", "uly", "ūly", "қызы", "кызы", "qyzy", "kyzy"})
_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.\s*){1,3}$")

SURNAME_KEY_LENGTH = 200


def fold(word: str) -> str:
    """A script-neutral key: ё→е, then the lossy Latin key (Иванов, Ivanov → "ivanov")."""
    return fold_latin_key(word.lower().replace("ё", "е"))


def surname_key(surname: str) -> tuple[str, str]:
    """The comparable key of a surname ("байжан|m" for Байжанұлы and Байжанов) and the ending cut off."""
    low = surname.strip().lower().replace("ё", "е")
    for gender, endings in (("m", _MALE_ENDINGS), ("f", _FEMALE_ENDINGS)):
        for end in sorted(endings, key=len, reverse=True):
            if low.endswith(end) and len(low) - len(end) >= 3:
                return f"{fold(low[: -len(end)])}|{gender}", "kk" if end in _KK_ENDINGS else "ru"
    return fold(low), ""


def split_printed(name: str) -> tuple[str, str]:
    """Surname and given names of a printed name, initials first ("А.Б. Иванов") or last ("Иванов А.Б.")."""
    words = name.split()
    if len(words) >= 2 and _INITIALS.match(words[0]) and not _INITIALS.match(words[-1]):
        return words[-1], " ".join(words[:-1])
    return (words[0], " ".join(words[1:])) if words else ("", "")


def person_surname(name: str, surname: str, given: str) -> tuple[str, str]:
    """A person's surname and given names: the stored fields, else read from the display name."""
    return (surname, given) if surname else split_printed(name)


def person_surname_key(name: str, surname: str) -> str:
    """The key a person is grouped by among possible duplicates ("" when there is no surname to compare)."""
    return surname_key(person_surname(name, surname, "")[0])[0][:SURNAME_KEY_LENGTH]
