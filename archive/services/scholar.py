"""Google Scholar (Highwire Press) tags and schema.org JSON-LD for a publication's landing page."""
from __future__ import annotations

from typing import Sequence

from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from ..models import Publication
from .citations import has_pdf, landing_url, pdf_url


def _author(person) -> str:
    return f"{person.surname}, {person.given}".strip(", ") if person.surname else person.name


def scholar_tags(pub: Publication, base_url: str, references: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(name, content) pairs in Scholar's order; never an empty tag; absolute URLs from ``base_url``;
    ``references`` are the ``citation_reference`` values of its reference list, last."""
    if pub.status != "published":
        return []
    tags: list[tuple[str, str]] = [("citation_title", pub.title)]
    for a in pub.authorships:
        tags.append(("citation_author", _author(a.person)))
        if a.affiliation:
            tags.append(("citation_author_institution", a.affiliation))
    if pub.year:
        tags.append(("citation_publication_date", str(pub.year)))
    vol = pub.volume
    if vol is not None and pub.kind != "volume":
        tags.append(("citation_conference_title", vol.event_title or vol.title))
        if pub.page_start:
            tags.append(("citation_firstpage", str(pub.page_start)))
        if pub.page_end:
            tags.append(("citation_lastpage", str(pub.page_end)))
    if has_pdf(pub):
        tags.append(("citation_pdf_url", pdf_url(pub, base_url)))
    if pub.language:
        tags.append(("citation_language", pub.language))
    if pub.keywords:
        tags.append(("citation_keywords", "; ".join(pub.keywords)))
    abstract = (pub.abstracts or {}).get(pub.language) or next(iter((pub.abstracts or {}).values()), "")
    if abstract:
        tags.append(("citation_abstract", abstract))
    isbn = pub.isbn or (vol.isbn if vol else "")
    if isbn:
        tags.append(("citation_isbn", isbn))
    if vol is not None and vol.publisher:
        tags.append(("citation_publisher", vol.publisher))
    if pub.doi:
        tags.append(("citation_doi", pub.doi))
    if pub.published_at:
        tags.append(("citation_online_date", pub.published_at.strftime("%Y/%m/%d")))
    tags += [("citation_reference", r) for r in references]
    return [(k, " ".join(v.split())) for k, v in tags if v and v.strip()]


def json_ld(pub: Publication, base_url: str) -> Markup:
    """schema.org ScholarlyArticle (or Book for volumes) as JSON, safe to embed in a <script> data block."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Book" if pub.kind == "volume" else "ScholarlyArticle",
        "name": pub.title,
        "headline": pub.title[:110],
        "url": landing_url(pub, base_url),
        "author": [{"@type": "Person", "name": a.person.name} for a in pub.authorships],
    }
    if pub.year:
        data["datePublished"] = str(pub.year)
    if pub.language:
        data["inLanguage"] = pub.language
    if pub.keywords:
        data["keywords"] = ", ".join(pub.keywords)
    abstract = next(iter((pub.abstracts or {}).values()), "")
    if abstract:
        data["abstract"] = abstract
    if pub.volume is not None and pub.kind != "volume":
        data["isPartOf"] = {"@type": "Book", "name": pub.volume.title,
                            **({"isbn": pub.volume.isbn} if pub.volume.isbn else {})}
        if pub.pages_label:
            data["pagination"] = pub.pages_label
    if has_pdf(pub):
        data["encoding"] = {"@type": "MediaObject", "encodingFormat": "application/pdf",
                            "contentUrl": pdf_url(pub, base_url)}
    # Inside <script> the HTML parser still looks for "</script" and "<!--" (which hides the rest of the
    # page), so "<", ">", "&" and "'" are written as \u escapes: the JSON means the same, no markup is left.
    return htmlsafe_json_dumps(data, ensure_ascii=False)
