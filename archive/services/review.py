"""Review of drafts: the metadata a member or an editor corrects (title, authors, year, language, abstracts).

Every operation takes a session, the acting user (anything with ``id`` and ``role``) and plain values,
checks permission, records an ``AuditEvent`` and any index work in the same transaction, and leaves
the commit to the caller. A volume's split lives in ``splits``; publishing in ``publishing``.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Mapping, Optional

from sqlalchemy.orm import Session

from uploads.types import Author

from ..errors import UserValueError
from ..ids import parse_id
from ..i18n import _
from ..models import Authorship, Publication
from ..permissions import Actor
from ..sanitize import clean_html
from . import audit, indexing, references
from .duplicates import title_key
from .people import adopt_display_name, find_or_create_person
from .publications import get_editable, publications_of_people

logger = logging.getLogger(__name__)

LANGUAGES = ("ru", "kk", "en")
MAX_AUTHORS = 60
MAX_AUTHOR_NAME = 200       # a name longer than this is not a name (and its surname would not fit the column)
_SPACES = re.compile(r"\s+")


# --- metadata --------------------------------------------------------------------------------------

def parse_authors(text: str) -> list[Author]:
    """Author lines "Surname Given names" (one per line) → ``Author`` values."""
    out: list[Author] = []
    for line in (text or "").splitlines():
        name = _SPACES.sub(" ", line).strip()
        if not name:
            continue
        if len(name) > MAX_AUTHOR_NAME:
            raise UserValueError(_("An author's name is too long (at most %(n)d characters): “%(name)s…”.",
                                   n=MAX_AUTHOR_NAME, name=name[:40]))
        surname, _sep, given = name.partition(" ")
        out.append(Author(name=name, surname=surname, given=given))
    if len(out) > MAX_AUTHORS:
        raise UserValueError(_("At most %(n)d authors per publication.", n=MAX_AUTHORS))
    return out


def parse_keywords(text: str) -> list[str]:
    """Keywords separated by new lines or semicolons, duplicates dropped."""
    words = (_SPACES.sub(" ", w).strip()[:200] for w in re.split(r"[;\n]", text or ""))
    return list(dict.fromkeys(w for w in words if w))[:50]


def parse_year(value: str) -> Optional[int]:
    """A four-digit year, None when empty; ``UserValueError`` for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    year = parse_id(value)
    if year is None or not 1000 <= year <= 2100:
        raise UserValueError(_("The year must be a four-digit number such as 2019."))
    return year


def set_authors(session: Session, pub: Publication, authors: list[Author]) -> list[int]:
    """Replace the by-line (people resolved through the people service: name variants are one person).

    A person's name as a reader sees it follows the correction: when the name typed here is the same person
    written at least as fully ("Ляхов Л.Н." for "Ляхов Л.Н"), it becomes the person's display name. Returns
    the ids of people renamed so (their other publications need re-indexing).
    """
    affiliations = {a.name_as_printed: a.affiliation for a in pub.authorships}
    pub.authorships.clear()
    session.flush()            # positions are unique: old rows must be gone before new ones go in
    seen: set[int] = set()
    renamed: list[int] = []
    for author in authors:
        person = find_or_create_person(session, author)
        if person.id in seen:
            continue
        seen.add(person.id)
        if adopt_display_name(person, author):
            renamed.append(person.id)
        pub.authorships.append(Authorship(person=person, position=len(pub.authorships) + 1,
                                          name_as_printed=author.name,
                                          affiliation=author.affiliation or affiliations.get(author.name, "")))
    return renamed


def update_metadata(session: Session, user: Actor, pub_id: int, values: Mapping[str, str]) -> Publication:
    """Title, authors, year, language, abstracts (sanitised) and keywords of one publication."""
    pub = get_editable(session, user, pub_id)
    title = _SPACES.sub(" ", values.get("title", "")).strip()
    if not title:
        raise UserValueError(_("The title cannot be empty."))
    if len(title) > 2000:
        raise UserValueError(_("The title is too long (at most 2000 characters)."))
    language = (values.get("language") or "").strip()
    if language and language not in LANGUAGES:
        raise UserValueError(_("Unknown language; choose Russian, Kazakh or English."))
    year = parse_year(values.get("year", ""))
    authors = parse_authors(values.get("authors", ""))
    keywords = parse_keywords(values.get("keywords", ""))
    abstracts = dict(pub.abstracts or {})
    for lang in LANGUAGES:
        key = f"abstract_{lang}"
        if key in values:
            text = clean_html(values.get(key, ""))[:20000]
            if text:
                abstracts[lang] = text
            else:
                abstracts.pop(lang, None)

    changes: dict[str, Any] = {}

    def change(field: str, old: Any, new: Any) -> None:
        if old != new:
            changes[field] = [str(old)[:200] if old is not None else None, str(new)[:200] if new is not None else None]

    change("title", pub.title, title)
    change("language", pub.language, language)
    change("year", pub.year, year)
    change("keywords", "; ".join(pub.keywords or []), "; ".join(keywords))
    change("abstracts", pub.abstracts or {}, abstracts)
    old_authors = [a.name_as_printed or a.person.name for a in pub.authorships]
    change("authors", "; ".join(old_authors), "; ".join(a.name for a in authors))
    if not changes:
        return pub
    old_title = pub.title
    pub.title = title
    pub.title_key = title_key(title)
    titles = {k: v for k, v in (pub.titles or {}).items() if v != old_title}
    titles[language or pub.language or "ru"] = title
    pub.titles = titles
    pub.language = language
    pub.year = year
    pub.keywords = keywords
    pub.abstracts = abstracts
    if "authors" in changes:
        renamed = set_authors(session, pub, authors)
        if renamed:
            indexing.enqueue_public(session, publications_of_people(session, renamed))
    if pub.kind == "volume" and pub.volume is not None:
        pub.volume.title = title
        pub.volume.year = year
    audit.publication_event(session, user, "publication.edit", pub.id, changes=changes)
    if pub.status == "published" and changes.keys() & {"title", "year", "authors"}:
        session.flush()
        references.link_published(session, [pub.id])      # it may be cited by other titles now
    indexing.enqueue_public(session, [pub])
    session.flush()
    return pub
