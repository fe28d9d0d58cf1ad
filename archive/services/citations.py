"""Citations of a publication: GOST R 7.0.100-2018, GOST 7.1-2003, BibTeX, RIS, CSL-JSON and Dublin Core.

Pure functions: they read a ``Publication`` whose ``authorships`` (with ``person``) and ``volume`` are loaded
and never touch the database, Flask or the network. Absolute URLs are built from the ``base_url`` argument
(the caller passes ``PUBLIC_BASE_URL`` or the request host); without one, URLs are left out.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Optional, Sequence

from lxml import etree

from ..models import Person, Publication, Volume
from ..xmlsafe import set_attr, sub, xml_text

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

ISO639_3 = {"ru": "rus", "kk": "kaz", "en": "eng"}
BIBTEX_LANGUAGE = {"ru": "russian", "kk": "kazakh", "en": "english"}

# Words of the bibliographic description that depend on the language of the document (pagination,
# "and others", "no year", the conference subtitle). Kazakh documents follow the same GOST pattern.
_WORDS: dict[str, dict[str, str]] = {
    "ru": {"pages": "С.", "et_al": "[и др.]", "no_year": "[б. г.]", "conf": "материалы конф.",
           "eds": "отв. ред.", "year": "г."},
    "kk": {"pages": "Б.", "et_al": "[және т.б.]", "no_year": "[ж. ж.]", "conf": "конф. материалдары",
           "eds": "жауапты ред.", "year": "ж."},
    "en": {"pages": "P.", "et_al": "[et al.]", "no_year": "[s. a.]", "conf": "conference proceedings",
           "eds": "ed.", "year": ""},
}
_MONTHS_RU = ("янв.", "февр.", "марта", "апр.", "мая", "июня", "июля", "авг.", "сент.", "окт.", "нояб.", "дек.")
# GOST 7.12 abbreviations of month names in printed dates ("20 ноября 2019" → "20 нояб. 2019")
_MONTH_ABBR = {"января": "янв.", "февраля": "февр.", "апреля": "апр.", "августа": "авг.", "сентября": "сент.",
               "октября": "окт.", "ноября": "нояб.", "декабря": "дек."}

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia",
    # Kazakh letters
    "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}
_KEY_STOP = {"о", "об", "и", "в", "во", "на", "к", "с", "со", "по", "для", "из", "от", "у", "за", "не",
             "және", "мен", "пен", "бен", "the", "a", "an", "of", "on", "in", "and", "for", "to"}


# --------------------------------------------------------------------------- small helpers


def _clean(text: Optional[str]) -> str:
    """Whitespace collapsed to single spaces (titles from PDFs carry line breaks)."""
    return re.sub(r"\s+", " ", text or "").strip()


def _lang(pub: Publication) -> str:
    return pub.language if pub.language in _WORDS else "ru"


def _words(pub: Publication) -> dict[str, str]:
    return _WORDS[_lang(pub)]


def _end(text: str) -> str:
    """Text ending in a full stop, without doubling one already there ("ред." stays "ред.")."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!", "…")) else text + "."


def transliterate(text: str) -> str:
    """Russian/Kazakh Cyrillic to plain ASCII (for BibTeX keys); other letters lose their accents."""
    out = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    return "".join(out)


@dataclass(frozen=True)
class Name:
    """A person's name split for citations."""

    surname: str
    given: str

    @property
    def initials(self) -> str:
        """ "М.П." or "Айгерім Болатқызы" → "М. П." / "А. Б." (hyphenated names keep the hyphen)."""
        parts = [p for p in re.split(r"[\s.]+", self.given) if p]
        out = []
        for p in parts:
            out.append("-".join(f"{seg[0].upper()}." for seg in p.split("-") if seg))
        return " ".join(out)

    @property
    def full_given(self) -> str:
        """Given names as printed, with initials spaced ("М.П." → "М. П.")."""
        if re.fullmatch(r"(?:\w{1,2}\.\s*)+", self.given.strip()):
            return self.initials
        return _clean(self.given)

    def heading(self) -> str:
        """ "Иванова, М. П." (the heading of a GOST record)."""
        return f"{self.surname}, {self.initials}" if self.initials else self.surname

    def responsibility(self) -> str:
        """ "М. П. Иванова" (the statement of responsibility)."""
        return f"{self.initials} {self.surname}" if self.initials else self.surname

    def inverted(self) -> str:
        """ "Фамилия, Имя Отчество" (Dublin Core, BibTeX, RIS)."""
        return f"{self.surname}, {self.full_given}" if self.full_given else self.surname


def person_name(person: Person) -> Name:
    """The surname and given names of a person (from the parsed parts, else from the display name)."""
    surname, given = _clean(person.surname), _clean(person.given)
    if not surname:
        parts = _clean(person.name).split(" ", 1)
        surname, given = parts[0], parts[1] if len(parts) > 1 else ""
    return Name(surname, given)


def _text_name(raw: str) -> Name:
    """A Name from a free-text form such as a volume editor "Сериков А.Б."."""
    parts = _clean(raw).split(" ", 1)
    return Name(parts[0], parts[1] if len(parts) > 1 else "")


def authors_of(pub: Publication) -> list[Name]:
    """The authors in byline order."""
    return [person_name(a.person) for a in pub.authorships if a.person is not None]


def landing_url(pub: Publication, base_url: str = "") -> str:
    """Absolute URL of the landing page ("" without a base URL)."""
    return f"{base_url.rstrip('/')}/p/{pub.id}" if base_url else ""


def has_pdf(pub: Publication) -> bool:
    """Whether the archive serves a PDF of this publication (its own file or a PDF original)."""
    if pub.article_file_id is not None:
        return True
    if pub.parent_id is not None:
        return False          # an article cut from a volume: never point at the whole book
    sf = pub.source_file
    return sf is not None and sf.mime == "application/pdf"


def pdf_url(pub: Publication, base_url: str = "") -> str:
    """Absolute URL of the publication's PDF, or "" when there is none."""
    return f"{base_url.rstrip('/')}/p/{pub.id}/article.pdf" if base_url and has_pdf(pub) else ""


def _in_volume(pub: Publication) -> bool:
    return pub.kind != "volume" and pub.volume is not None


def _is_conference(vol: Optional[Volume]) -> bool:
    return vol is not None and bool(vol.event_title or vol.dates_text or vol.date_start)


def _pages_range(pub: Publication, sep: str = "–") -> str:
    if pub.page_start and pub.page_end and pub.page_end != pub.page_start:
        return f"{pub.page_start}{sep}{pub.page_end}"
    return str(pub.page_start) if pub.page_start else ""


def _year(pub: Publication) -> Optional[int]:
    if pub.year:
        return pub.year
    return pub.volume.year if pub.volume is not None and pub.volume.year else None


def _keywords(pub: Publication) -> list[str]:
    return [_clean(str(k)) for k in (pub.keywords or []) if _clean(str(k))]


def _abstract(pub: Publication) -> str:
    abstracts = pub.abstracts or {}
    return _clean(abstracts.get(pub.language) or next(iter(abstracts.values()), ""))


def _entry_date(pub: Publication) -> Optional[date]:
    """The day of a commentary, event or report (``extra["date"]``, ISO), if known."""
    try:
        return date.fromisoformat(str((pub.extra or {}).get("date") or ""))
    except ValueError:
        return None


def _cited_url(pub: Publication, base_url: str = "") -> str:
    """Media commentary is cited at its outlet's address when known; everything else at its landing page."""
    if pub.kind == "commentary":
        link = _clean((pub.extra or {}).get("url"))
        if link.startswith(("http://", "https://")):
            return link
    return landing_url(pub, base_url)


def _genre(pub: Publication) -> str:
    """A stand-alone document's genre (thesis, standard, book…), "" when unknown or inside a volume."""
    return "" if _in_volume(pub) else str((pub.extra or {}).get("genre") or "")


def _journal(pub: Publication) -> str:
    """The journal a stand-alone article appeared in, when known."""
    return _clean((pub.extra or {}).get("journal"))


def _school(pub: Publication) -> str:
    """Where a thesis was defended: the first author's affiliation as printed."""
    for a in pub.authorships:
        if _clean(a.affiliation):
            return _clean(a.affiliation)
    return ""


def _title(pub: Publication) -> str:
    return _clean(pub.title) or _clean(next(iter((pub.titles or {}).values()), "")) or f"#{pub.id}"


# --------------------------------------------------------------------------- GOST


def _event_dates(vol: Volume, year_word: str) -> str:
    """ "12–14 мая 2020 г." from the printed dates, else from the date fields."""
    text = _clean(vol.dates_text)
    if text:
        text = re.sub(r"\s*[–—-]\s*", "–", text)
        text = re.sub(r"\s*(?:г|года|ж|жыл)\.?$", "", text).strip()
        text = re.sub(r"\b(" + "|".join(_MONTH_ABBR) + r")\b", lambda m: _MONTH_ABBR[m.group(1)], text)
        if year_word and re.search(r"\d{4}$", text):
            text = f"{text} {year_word}"
        return text
    if vol.date_start:
        d0, d1 = vol.date_start, vol.date_end or vol.date_start
        tail = f" {year_word}" if year_word else ""
        if d0 == d1:
            return f"{d0.day} {_MONTHS_RU[d0.month - 1]} {d0.year}{tail}"
        if (d0.year, d0.month) == (d1.year, d1.month):
            return f"{d0.day}–{d1.day} {_MONTHS_RU[d0.month - 1]} {d0.year}{tail}"
        return f"{d0.day} {_MONTHS_RU[d0.month - 1]} – {d1.day} {_MONTHS_RU[d1.month - 1]} {d1.year}{tail}"
    return ""


def _volume_title_part(vol: Volume, words: dict[str, str]) -> str:
    """ "Название : материалы конф. (Алматы, 20 нояб. 2019 г.)" — title and other title information."""
    out = _clean(vol.title)
    if _is_conference(vol):
        out += f" : {words['conf']}"
        where = ", ".join(x for x in (_clean(vol.place), _event_dates(vol, words["year"])) if x)
        if where:
            out += f" ({where})"
    return out


def _publication_area(place: str, publisher: str, year: Optional[int], words: dict[str, str]) -> str:
    """ "Алматы : Издательство, 2019" (GOST publication area); "" when nothing is known but the year."""
    place, publisher = _clean(place), _clean(publisher)
    when = str(year) if year else words["no_year"]
    if place and publisher:
        return f"{place} : {publisher}, {when}"
    if place:
        return f"{place}, {when}"
    if publisher:
        return f"{publisher}, {when}"
    return str(year) if year else ""


def _responsibility(names: list[Name], words: dict[str, str]) -> str:
    """Statement of responsibility: up to four authors; five or more → the first + "[и др.]"."""
    if len(names) >= 5:
        return f"{names[0].responsibility()} {words['et_al']}"
    return ", ".join(n.responsibility() for n in names)


def _gost(pub: Publication, base_url: str, accessed: Optional[date], dash: str, modern: bool) -> str:
    words = _words(pub)
    names = authors_of(pub)
    sep = f". {dash} "
    title = _title(pub)
    head = f"{names[0].heading()} " if 1 <= len(names) <= 3 else ""
    vol = pub.volume
    url = _cited_url(pub, base_url)
    if pub.kind == "volume" and vol is not None:
        body = _volume_title_part(vol, words)
        if not modern and url:
            body += " [Электронный ресурс]"
        editors = [_text_name(e) for e in (vol.editors or []) if _clean(str(e))]
        if editors:
            body += f" / {words['eds']} " + ", ".join(e.responsibility() for e in editors)
        parts = [body]
        if modern and url:
            parts.append("Текст : электронный")
        area = _publication_area(vol.place, vol.publisher, _year(pub), words)
        if area:
            parts.append(area)
        isbn = _clean(vol.isbn or pub.isbn)
        if isbn:
            parts.append(f"ISBN {isbn}")
        head = ""
    else:
        body = title
        if not modern and url:
            body += " [Электронный ресурс]"
        if names:
            body += f" / {_responsibility(names, words)}"
        parts = []
        host = ""
        if _in_volume(pub):
            host = _volume_title_part(vol, words)
        elif _clean((pub.extra or {}).get("outlet")):
            host = _clean(pub.extra["outlet"])
        if modern:
            parts.append(body)
            if url:
                parts.append("Текст : электронный")
            if host:
                parts[-1] += f" // {host}"
        else:
            parts.append(f"{body} // {host}" if host else body)
        if _in_volume(pub):
            area = _publication_area(vol.place, vol.publisher, _year(pub), words)
        else:
            extra = pub.extra or {}
            area = _publication_area(extra.get("place", ""), extra.get("publisher", ""), _year(pub), words)
        if area:
            parts.append(area)
        day = _entry_date(pub)
        if day is not None and pub.kind == "commentary":
            parts.append(f"{day.day} {_MONTHS_RU[day.month - 1]}")     # a newspaper item: "2024. – 15 марта"
        pages = _pages_range(pub)
        if pages:
            parts.append(f"{words['pages']} {pages}")
    if pub.doi:
        parts.append(f"DOI {_clean(pub.doi)}")
    if url:
        when = f" (дата обращения: {accessed.strftime('%d.%m.%Y')})" if accessed else ""
        parts.append(f"URL: {url}{when}" if modern else f"Режим доступа: {url}{when}")
    return _end(head + sep.join(p for p in parts if p))


def gost_r_7_0_100(pub: Publication, base_url: str = "", accessed: Optional[date] = None) -> str:
    """A bibliographic reference per GOST R 7.0.100-2018 (en dash; "Текст : электронный" and URL with a base URL)."""
    return _gost(pub, base_url, accessed, "–", modern=True)


def gost_7_1(pub: Publication, base_url: str = "", accessed: Optional[date] = None) -> str:
    """A bibliographic reference per GOST 7.1-2003 (em dash; "[Электронный ресурс]" and "Режим доступа")."""
    return _gost(pub, base_url, accessed, "—", modern=False)


# --------------------------------------------------------------------------- BibTeX

_BIB_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bibtex_escape(text: str) -> str:
    """Text safe inside a BibTeX braced value (LaTeX specials and braces escaped, whitespace collapsed)."""
    return "".join(_BIB_SPECIAL.get(ch, ch) for ch in _clean(text))


def bibtex_key(pub: Publication) -> str:
    """ "ivanova2019mezhetnicheskoe": first author's surname, year, first significant title word, in ASCII."""
    names = authors_of(pub)
    who = re.sub(r"[^a-z0-9]", "", transliterate(names[0].surname)) if names else ""
    if not who and pub.kind == "volume" and pub.volume is not None and pub.volume.editors:
        who = re.sub(r"[^a-z0-9]", "", transliterate(_text_name(str(pub.volume.editors[0])).surname))
    word = ""
    for w in re.findall(r"\w+", _title(pub).lower()):
        if w not in _KEY_STOP and not w.isdigit():
            word = re.sub(r"[^a-z0-9]", "", transliterate(w))
            if word:
                break
    year = _year(pub)
    key = f"{who}{year or ''}{word}"
    return key or f"kelisim{pub.id}"


ISSUER = "Научно-экспертная группа Ассамблеи народа Казахстана"     # who issues recommendations and notes


def _bib_type(pub: Publication) -> str:
    """The BibTeX entry type, chosen so that its required fields are there (a style never misses one):
    a paper in a volume, a journal article with its journal, a thesis with its school, a book with its
    publisher; a document that is none of these for sure is ``@misc``."""
    vol = pub.volume
    if pub.kind == "article":
        if _in_volume(pub):
            return "inproceedings"
        genre = _genre(pub)
        if _journal(pub):
            return "article"
        if genre in ("dissertation", "thesis") and _school(pub) and _year(pub) and pub.authorships:
            return "phdthesis" if genre == "dissertation" else "mastersthesis"
        if genre == "book" and pub.authorships and _year(pub) and _clean((pub.extra or {}).get("publisher")):
            return "book"
        if genre == "book":
            return "booklet"
        return "misc"
    if pub.kind == "volume":
        if _is_conference(vol) and _year(pub):
            return "proceedings"
        return "book" if vol is not None and _clean(vol.publisher) and _year(pub) and (vol.editors or pub.authorships) \
            else "booklet"
    if pub.kind == "report" and pub.authorships and _year(pub):
        return "techreport"
    return "misc"


def bibtex(pub: Publication, base_url: str = "", key: Optional[str] = None) -> str:
    """A BibTeX entry (@inproceedings/@article/@proceedings/@book/@misc)."""
    kind = _bib_type(pub)
    vol = pub.volume
    fields: list[tuple[str, str]] = []
    names = authors_of(pub)
    if names:
        fields.append(("author", " and ".join(n.inverted() for n in names)))
    fields.append(("title", _title(pub)))
    if kind == "inproceedings" and vol is not None:
        fields.append(("booktitle", _clean(vol.title)))
    if kind == "article":
        fields.append(("journal", _journal(pub)))
    if kind in ("phdthesis", "mastersthesis"):
        fields.append(("school", _school(pub)))
        if pub.extra and _genre(pub) == "thesis":
            fields.append(("type", "Выпускная квалификационная работа" if pub.language != "en" else "Thesis"))
    if kind == "techreport":
        fields.append(("institution", ISSUER))
        report_type = str((pub.extra or {}).get("report_type") or "")
        if report_type:
            fields.append(("type", {"recommendation": "Рекомендации",
                                    "analytical_note": "Аналитическая записка"}.get(report_type, report_type)))
    if kind == "book" and pub.kind == "article" and _clean((pub.extra or {}).get("publisher")):
        fields.append(("publisher", _clean(pub.extra["publisher"])))
    if kind == "misc" and _genre(pub) == "standard":
        fields.append(("note", "Стандарт" if pub.language != "en" else "Standard"))
    if kind in ("inproceedings", "proceedings", "book", "booklet") and vol is not None:
        editors = [_text_name(str(e)).inverted() for e in (vol.editors or []) if _clean(str(e))]
        if editors:
            fields.append(("editor", " and ".join(editors)))
        if _clean(vol.event_title):
            fields.append(("eventtitle", _clean(vol.event_title)))
        if _clean(vol.publisher) and kind != "booklet":
            fields.append(("publisher", _clean(vol.publisher)))
        if _clean(vol.place):
            fields.append(("address", _clean(vol.place)))
    if kind == "misc" and _clean((pub.extra or {}).get("outlet")):
        fields.append(("howpublished", _clean(pub.extra["outlet"])))
    year = _year(pub)
    if year:
        fields.append(("year", str(year)))
    pages = _pages_range(pub, "--")
    if pages and pub.kind != "volume":
        fields.append(("pages", pages))
    isbn = _clean(pub.isbn or (vol.isbn if vol is not None else ""))
    if isbn:
        fields.append(("isbn", isbn))
    day = _entry_date(pub)
    if day is not None and kind == "misc":
        fields.append(("date", day.isoformat()))
    if pub.doi:
        fields.append(("doi", _clean(pub.doi)))
    url = _cited_url(pub, base_url)
    if url:
        fields.append(("url", url))
    if pub.language in BIBTEX_LANGUAGE:
        fields.append(("language", BIBTEX_LANGUAGE[pub.language]))
    kws = _keywords(pub)
    if kws:
        fields.append(("keywords", ", ".join(kws)))
    abstract = _abstract(pub)
    if abstract:
        fields.append(("abstract", abstract))
    kind, fields = _complete_or_misc(kind, fields)
    body = ",\n".join(f"  {name} = {{{bibtex_escape(value)}}}" for name, value in fields)
    return f"@{kind}{{{key or bibtex_key(pub)},\n{body}\n}}\n"


# The fields each entry type must have (BibTeX's standard styles; pybtex's plain style refuses an entry
# without them). "author|editor": either.
_BIB_REQUIRED = {
    "article": ("author", "title", "journal", "year"),
    "book": ("author|editor", "title", "publisher", "year"),
    "booklet": ("title", "year"),
    "inproceedings": ("author", "title", "booktitle", "year"),
    "proceedings": ("title", "year"),
    "phdthesis": ("author", "title", "school", "year"),
    "mastersthesis": ("author", "title", "school", "year"),
    "techreport": ("author", "title", "institution", "year"),
}


def _complete_or_misc(kind: str, fields: list[tuple[str, str]]) -> tuple[str, list[tuple[str, str]]]:
    """``(kind, fields)`` when every required field of the type is there and non-empty; else ``@misc`` with
    the container moved to ``howpublished`` (a reference manager still shows where it appeared)."""
    have = {name for name, value in fields if _clean(value)}
    missing = [f for f in _BIB_REQUIRED.get(kind, ()) if not any(alt in have for alt in f.split("|"))]
    if not missing:
        return kind, [(n, v) for n, v in fields if _clean(v)]
    container = next((v for n, v in fields if n in ("booktitle", "journal") and _clean(v)), "")
    kept = [(n, v) for n, v in fields if _clean(v) and n not in ("booktitle", "journal", "school", "institution")]
    if container and "howpublished" not in have:
        kept.insert(2 if len(kept) >= 2 else len(kept), ("howpublished", container))
    return "misc", kept


def unique_keys(pubs: Iterable[Publication]) -> list[str]:
    """BibTeX keys for a list, made unique with "a", "b", … suffixes (as reference managers do)."""
    seen: dict[str, int] = {}
    keys = []
    for pub in pubs:
        k = bibtex_key(pub)
        n = seen.get(k, 0)
        seen[k] = n + 1
        keys.append(k if n == 0 else f"{k}{_suffix(n)}")
    return keys


def _suffix(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(97 + r) + out
    return out


# --------------------------------------------------------------------------- RIS


_RIS_GENRE = {"dissertation": "THES", "thesis": "THES", "standard": "STAND", "book": "BOOK", "manuscript": "MANSCPT"}


def _ris_type(pub: Publication) -> str:
    """The RIS reference type: a paper in a volume, a journal article only with its journal, else by genre."""
    if pub.kind == "article":
        if _in_volume(pub):
            return "CPAPER"
        if _journal(pub):
            return "JOUR"
        return _RIS_GENRE.get(_genre(pub), "GEN")
    if pub.kind == "volume":
        return "CONF" if _is_conference(pub.volume) else "BOOK"
    return {"report": "RPRT", "commentary": "NEWS"}.get(pub.kind, "GEN")


def ris(pub: Publication, base_url: str = "") -> str:
    """A RIS record (TY … ER), CRLF line ends as the format asks."""
    lines: list[tuple[str, str]] = [("TY", _ris_type(pub))]
    vol = pub.volume
    for n in authors_of(pub):
        lines.append(("AU", n.inverted()))
    lines.append(("TI", _title(pub)))
    if _in_volume(pub):
        lines.append(("T2", _clean(vol.title)))
        if _clean(vol.event_title):
            lines.append(("T3", _clean(vol.event_title)))
    elif _clean((pub.extra or {}).get("journal") or (pub.extra or {}).get("outlet")):
        lines.append(("T2", _clean(pub.extra.get("journal") or pub.extra.get("outlet"))))
    if pub.kind == "article" and not _in_volume(pub) and _genre(pub) in ("dissertation", "thesis") and _school(pub):
        lines.append(("PB", _school(pub)))
    if pub.kind == "report":
        lines.append(("PB", ISSUER))
    if vol is not None:
        for e in vol.editors or []:
            if _clean(str(e)):
                lines.append(("A2", _text_name(str(e)).inverted()))     # RIS editors (secondary authors)
        if _clean(vol.place):
            lines.append(("CY", _clean(vol.place)))
        if _clean(vol.publisher):
            lines.append(("PB", _clean(vol.publisher)))
    year = _year(pub)
    if year:
        lines.append(("PY", str(year)))
    day = _entry_date(pub)
    if day is not None:
        lines.append(("DA", day.strftime("%Y/%m/%d")))
    if pub.page_start and pub.kind != "volume":
        lines.append(("SP", str(pub.page_start)))
        if pub.page_end:
            lines.append(("EP", str(pub.page_end)))
    if pub.language:
        lines.append(("LA", pub.language))
    for kw in _keywords(pub):
        lines.append(("KW", kw))
    abstract = _abstract(pub)
    if abstract:
        lines.append(("AB", abstract))
    isbn = _clean(pub.isbn or (vol.isbn if vol is not None else ""))
    if isbn:
        lines.append(("SN", isbn))
    if pub.doi:
        lines.append(("DO", _clean(pub.doi)))
    url = _cited_url(pub, base_url)
    if url:
        lines.append(("UR", url))
    pdf = pdf_url(pub, base_url)
    if pdf:
        lines.append(("L1", pdf))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_clean(value)}\r\n" for tag, value in lines)


# --------------------------------------------------------------------------- CSL-JSON


_CSL_GENRE = {"dissertation": "thesis", "thesis": "thesis", "standard": "standard", "book": "book",
              "manuscript": "manuscript"}


def _csl_type(pub: Publication) -> str:
    """The CSL item type: a journal article only with its journal (else by genre, or a generic article)."""
    if pub.kind == "article":
        if _in_volume(pub):
            return "paper-conference"
        if _journal(pub):
            return "article-journal"
        return _CSL_GENRE.get(_genre(pub), "article")
    return {"volume": "book", "report": "report", "commentary": "article-newspaper", "event": "event"}.get(
        pub.kind, "document")


def _csl_name(n: Name) -> dict[str, str]:
    return {"family": n.surname, "given": n.full_given} if n.full_given else {"literal": n.surname}


def csl_json(pub: Publication, base_url: str = "") -> dict[str, Any]:
    """A CSL-JSON item (dict) for citeproc processors and reference managers."""
    vol = pub.volume
    item: dict[str, Any] = {"id": bibtex_key(pub) if not pub.id else f"kelisim-{pub.id}", "type": _csl_type(pub),
                            "title": _title(pub)}
    names = authors_of(pub)
    if names:
        item["author"] = [_csl_name(n) for n in names]
    if vol is not None:
        editors = [_csl_name(_text_name(str(e))) for e in (vol.editors or []) if _clean(str(e))]
        if editors:
            item["editor"] = editors
        if _in_volume(pub):
            item["container-title"] = _clean(vol.title)
        if _clean(vol.event_title):
            item["event"] = _clean(vol.event_title)          # the CSL 1.0 variable processors read
        if _clean(vol.place):
            item["publisher-place"] = _clean(vol.place)
            if _is_conference(vol):
                item["event-place"] = _clean(vol.place)
        if _clean(vol.publisher):
            item["publisher"] = _clean(vol.publisher)
    elif _clean((pub.extra or {}).get("journal") or (pub.extra or {}).get("outlet")):
        item["container-title"] = _clean(pub.extra.get("journal") or pub.extra.get("outlet"))
    if pub.kind == "report":
        item["publisher"] = ISSUER
    if item["type"] == "thesis" and _school(pub):
        item["publisher"] = _school(pub)
    year = _year(pub)
    day = _entry_date(pub)
    if day is not None:
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    elif year:
        item["issued"] = {"date-parts": [[year]]}
    pages = _pages_range(pub, "-")
    if pages and pub.kind != "volume":
        item["page"] = pages
    isbn = _clean(pub.isbn or (vol.isbn if vol is not None else ""))
    if isbn:
        item["ISBN"] = isbn
    if pub.doi:
        item["DOI"] = _clean(pub.doi)
    url = _cited_url(pub, base_url)
    if url:
        item["URL"] = url
    if pub.language:
        item["language"] = pub.language
    kws = _keywords(pub)
    if kws:
        item["keyword"] = ", ".join(kws)
    abstract = _abstract(pub)
    if abstract:
        item["abstract"] = abstract
    return item


# --------------------------------------------------------------------------- Dublin Core


def dc_type(pub: Publication) -> str:
    """The info:eu-repo publication type (conferenceObject, article, book, report, other)."""
    if pub.kind == "article":
        if _in_volume(pub):
            return "info:eu-repo/semantics/conferenceObject"
        genre = {"dissertation": "doctoralThesis", "thesis": "bachelorThesis", "book": "book"}.get(_genre(pub))
        return "info:eu-repo/semantics/" + (genre or "article")
    return "info:eu-repo/semantics/" + {"volume": "book", "report": "report"}.get(pub.kind, "other")


def dc_source(pub: Publication) -> str:
    """The host item of an article in a volume, as one line (GOST pattern), or ""."""
    if not _in_volume(pub):
        return ""
    words = _words(pub)
    vol = pub.volume
    parts = [_volume_title_part(vol, words)]
    area = _publication_area(vol.place, vol.publisher, _year(pub), words)
    if area:
        parts.append(area)
    pages = _pages_range(pub)
    if pages:
        parts.append(f"{words['pages']} {pages}")
    return ". – ".join(parts)


def dublin_core(pub: Publication, base_url: str = "", relations: Sequence[str] = ()) -> etree._Element:
    """The ``oai_dc:dc`` element (OAI-PMH ``oai_dc`` / OpenAIRE v3 flavour) of a publication; ``relations``
    are the landing pages of the archive works its reference list cites (``dc:relation``)."""
    root = etree.Element(f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", OAI_DC_SCHEMA)

    def add(name: str, value: Any, lang: str = "") -> None:
        text = _clean(xml_text(value)) if value is not None else ""
        if text:
            el = sub(root, f"{{{DC_NS}}}{name}", text)
            if lang:
                set_attr(el, f"{{{XML_NS}}}lang", lang)

    titles = {k: v for k, v in (pub.titles or {}).items() if _clean(v)}
    main = _title(pub)
    add("title", main, pub.language if pub.language else "")
    for lang, t in titles.items():
        if _clean(t) != main:
            add("title", t, lang)
    for n in authors_of(pub):
        add("creator", n.inverted())
    if pub.kind == "volume" and pub.volume is not None:
        for e in pub.volume.editors or []:
            add("contributor", _text_name(str(e)).inverted())
    for kw in _keywords(pub):
        add("subject", kw, pub.language)
    for lang, text in (pub.abstracts or {}).items():
        add("description", text, lang)
    if pub.volume is not None:
        add("publisher", pub.volume.publisher)
    year = _year(pub)
    if year:
        add("date", year)
    add("type", dc_type(pub))
    if has_pdf(pub):
        add("format", "application/pdf")
    add("identifier", landing_url(pub, base_url))
    add("identifier", pdf_url(pub, base_url))
    if pub.doi:
        add("identifier", f"https://doi.org/{_clean(pub.doi)}")
    isbn = _clean(pub.isbn or (pub.volume.isbn if pub.volume is not None else ""))
    if isbn and pub.kind == "volume":
        add("identifier", f"ISBN {isbn}")
    add("source", dc_source(pub))
    add("language", ISO639_3.get(pub.language, ""))
    for url in relations:
        add("relation", url)
    add("rights", "info:eu-repo/semantics/openAccess")
    return root


def dublin_core_xml(pub: Publication, base_url: str = "") -> bytes:
    """The ``oai_dc:dc`` element as a UTF-8 XML document."""
    return etree.tostring(dublin_core(pub, base_url), xml_declaration=True, encoding="UTF-8", pretty_print=True)
