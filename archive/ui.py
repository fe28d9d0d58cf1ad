"""What the templates need beyond the views' values: language names and tags, dates, aliases, page sections.

Everything here reads the interface language from Flask-Babel and never changes data. ``init_app`` registers
the filters and globals, a context processor, and ``/favicon.ico`` (browsers ask for it on every page).
"""
from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any, Optional

from flask import Flask, current_app, request, send_from_directory, url_for
from markupsafe import Markup, escape

from indexer.analysis.language import detect_language
from indexer.analysis.translit import cyrillic_to_latin, looks_like_kazakh_latin

from .i18n import _, current_locale
from .sanitize import strip_tags

DEFAULT_SITE_NAME = "Kelisim Archive"
_KK_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_SHORT = 80          # names and titles: too short for statistics, the letters decide
# The section of the site navigation each browse page belongs to (the link marked as current).
_SECTIONS = {"browse.person": "browse.authors", "browse.year": "browse.years", "browse.topic": "browse.topics",
             "browse.volume": "browse.volumes", "browse.language": "", "browse.kind": ""}

# Month names as printed in Russian (genitive) and Kazakh dates; a prefix is enough (сәуірде, апреля).
_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "август": 8, "сентябр": 9,
    "октябр": 10, "ноябр": 11, "декабр": 12,
    "қаңтар": 1, "ақпан": 2, "наурыз": 3, "сәуір": 4, "мамыр": 5, "маусым": 6, "шілде": 7, "тамыз": 8,
    "қыркүйек": 9, "қазан": 10, "қараша": 11, "желтоқсан": 12,
}
_MONTH_WORD = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(r"(\d{1,2})(?:\s*[-–—]\s*(\d{1,2}))?\s+(" + _MONTH_WORD + r")[а-яәғқңөұүһі]*", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def locale() -> str:
    """The interface language: "ru", "kk" or "en"."""
    return current_locale()


def site_name() -> str:
    """The site's name in the interface language (a name set in the configuration is shown as set)."""
    configured = current_app.config.get("SITE_NAME") or DEFAULT_SITE_NAME
    return _("Kelisim Archive") if configured == DEFAULT_SITE_NAME else configured


def language_name(code: Optional[str]) -> str:
    """"ru" → "Russian" in the interface language; an unknown code is shown as it is."""
    names = {"ru": _("Russian"), "kk": _("Kazakh"), "en": _("English")}
    return names.get(code or "", code or "")


def text_language(text: Optional[str], default: str = "") -> str:
    """The language of a name, title or passage: "ru", "kk", "en", or ``default`` when it cannot be told.

    Short texts (names, titles) are judged by their letters: one Kazakh-only letter makes a name Kazakh, and
    Latin letters of the 2021 Kazakh alphabet make a Latin name Kazakh. Longer texts go to the indexer's
    detector, which weighs letter frequencies (a Russian page that mentions «Қазақстан» stays Russian), without
    its classifier: a text its letters leave undecided gets ``default`` (no ``lang`` attribute of its own), and a
    web worker never loads that model (~100 MB; its first load, 0.45 s of CPU, was the slowest search page of a
    run).
    """
    text = str(text or "")
    if len(text) <= _SHORT:
        return _short_language(text) or default
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if cyr + lat == 0:
        return default
    if cyr + lat > _SHORT:
        return detect_language(text, default, model=False) or default
    return _letters_language(text) or default


@functools.lru_cache(maxsize=8192)
def _short_language(text: str) -> str:
    """``_letters_language`` of a name or title, kept: a search page asks it of each of its ~20 authors' names."""
    return _letters_language(text)


def _letters_language(text: str) -> str:
    """The language of a text by its letters alone (see ``text_language``); "" when it has no letters."""
    cyr = len(_CYRILLIC.findall(text))
    lat = len(_LATIN.findall(text))
    if cyr + lat == 0:
        return ""
    if cyr >= lat:
        return "kk" if _KK_LETTERS.search(text) else "ru"
    return "kk" if any(looks_like_kazakh_latin(w) for w in text.split()) else "en"


def lang_attr(text: Any = None, within: Optional[str] = None, lang: Optional[str] = None) -> Markup:
    """`` lang="kk"`` for text whose language differs from the surrounding one (the page's by default).

    ``lang`` gives a known language (a publication's); otherwise it is told from the text itself.
    """
    if lang is None:
        plain = text.striptags() if isinstance(text, Markup) else str(text or "")
        lang = text_language(plain)
    if not lang or lang == (within or locale()):
        return Markup("")
    return Markup(' lang="%s"') % lang


def pub_meta(pub, names: Optional[list[str]] = None) -> Markup:
    """The line under a publication's title: authors · year · language · in its volume, pages. ``names``: the
    authors' names when the caller has them (search results load only those), else the publication's.

    (A Jinja macro until the search page measured it: ten hits cost ~1 ms through the macro machinery.)"""
    if names is None:
        names = [a.person.name for a in pub.authorships]
    here = locale()
    parts = []                       # joined by " · ": no separator before the first (a hit without authors)
    if names:
        parts.append(", ".join(f"<span{lang_attr(n, here)}>{escape(n)}</span>" for n in names))
    if pub.year:
        parts.append(str(escape(pub.year)))
    if pub.language:
        parts.append(str(escape(language_name(pub.language))))
    if pub.volume:
        title = pub.volume.title
        within, pp = escape(_("in")), escape(_("pp."))     # outside the f-strings: pybabel extracts them
        part = f"{within} <em{lang_attr(title, here)}>{escape(title)}</em>"
        if pub.pages_label:
            part += f", {pp} {escape(pub.pages_label)}"
        parts.append(part)
    out = '<span class="meta">' + " · ".join(parts)
    return Markup(out + "</span>")  # nosec B704: every value above is escaped


def facet_list(items: list[tuple[str, str, int, str]], param: str) -> Markup:
    """A facet's values as list items (``_facet_view``'s (value, label, count, link)): the link, with the language
    of a name or volume title that differs from the page's, and the count.

    (A Jinja loop until the search page measured it: its ~40 values cost ~0.35 ms, 1 ms at p95, in escaping.)"""
    here = locale()
    named = param in ("person", "volume")
    return Markup("\n".join(  # nosec B704: every value is escaped, the count is an int
        f'<li><a href="{escape(url)}"{lang_attr(label, here) if named else ""}>{escape(label)}</a> '
        f'<span class="n">{int(n)}</span></li>' for _value, label, n, url in items))


def hit_list(result) -> Markup:
    """The hits of a search results page (``SearchPage``) as a numbered list; hits with only some of the words
    follow a note, in a list of their own that goes on numbering. Each hit: its title (to the page of its best
    passage), ``pub_meta``, and its passages, each with its page as printed.

    (A Jinja loop until the search page measured it: its ~260 expressions and ~130 calls for ten hits cost
    ~1 ms, a sixth of the page.)"""
    here = locale()
    here_attr = escape(here)
    first = (result.page - 1) * result.limit
    page_word = escape(_("p."))
    # The publication page's address is the same but for the id: built once (the rule ends with the id).
    zero = url_for("main.publication", pub_id=0)
    prefix = zero[:-1] if zero.endswith("/0") else None
    out = [f'<ol class="results" start="{first + 1}">']
    after_partial = False
    for i, hit in enumerate(result.hits):
        pub = hit.publication
        url = escape(prefix + str(int(pub.id)) if prefix is not None else url_for("main.publication", pub_id=pub.id))
        if hit.partial and not after_partial:
            note = escape(_("These publications contain only some of the words:"))
            out.append(f'</ol>\n<p class="notice partial-note" id="partial">{note}</p>\n'
                       f'<ol class="results partial" start="{first + i + 1}">')
        after_partial = hit.partial
        anchor = f"#page-{int(hit.snippets[0].page)}" if hit.snippets else ""
        title_lang = escape(pub.language or text_language(pub.title, here))
        out.append(f'<li class="hit{" partial" if hit.partial else ""}">\n'
                   f'<a class="title" href="{url}{anchor}" lang="{title_lang}">{escape(pub.title)}</a><br>\n'
                   f'{pub_meta(pub, hit.authors)}')
        for sn in hit.snippets:
            # ``html``: the passage escaped, with its matches marked (indexer.snippets)
            out.append(f'<p class="snippet" lang="{escape(passage_language(pub, sn.html))}"><a class="page" '
                       f'href="{url}#page-{int(sn.page)}" lang="{here_attr}">{page_word} '
                       f'{escape(sn.printed or sn.page)}</a> {sn.html}</p>')
        if not hit.snippets:
            out.append(f'<p class="snippet" lang="{escape(passage_language(pub, hit.snippet_html))}">'
                       f'{hit.snippet_html}</p>')
        out.append("</li>")
    out.append("</ol>")
    return Markup("\n".join(out))  # nosec B704: every value is escaped but the passages, escaped where made


def passage_language(pub, text: Any) -> str:
    """The language of a passage (a page, a snippet) of ``pub``: the publication's own for a single text; told
    from the passage itself for a volume, whose articles may each be in another language."""
    own = getattr(pub, "language", None) or ""
    if own and getattr(pub, "kind", "") != "volume":
        return own
    plain = text.striptags() if isinstance(text, Markup) else strip_tags(str(text or ""))
    return text_language(plain, own or locale())


def person_aliases(person) -> list[str]:
    """Other forms of a person's name, each exactly as stored: the forms seen in documents and a Latin
    spelling an editor entered. The Latin form made automatically for search (Kazakh 2021 letters applied to
    any name, so "Nikolaeviç") is a search key, not a spelling anybody uses, and is left out."""
    out: list[str] = []
    seen = {person.name}
    generated = " ".join(cyrillic_to_latin(w) for w in (person.name or "").split())
    latin = (person.name_latin or "").strip()
    candidates = [v.name for v in sorted(person.variants, key=lambda v: v.id or 0)]
    if latin and latin != generated:
        candidates.insert(0, latin)
    for name in candidates:
        if name and name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _parse_dates(text: str) -> Optional[tuple[date, date]]:
    """(first day, last day) of a printed Russian or Kazakh date ("14–15 апреля 2023 г.", "2023 жылғы 14
    сәуір", "30 марта – 1 апреля 2023"); None for anything else."""
    year = _YEAR.search(text)
    found = list(_DAY_MONTH.finditer(text))
    if not year or not found or len(found) > 2:
        return None
    y = int(year.group(1))

    def month(word: str) -> int:
        word = word.lower()
        return next(n for prefix, n in sorted(_MONTHS.items(), key=lambda kv: -len(kv[0])) if word.startswith(prefix))

    try:
        first = found[0]
        start = date(y, month(first.group(3)), int(first.group(1)))
        if len(found) == 2:
            end = date(y, month(found[1].group(3)), int(found[1].group(2) or found[1].group(1)))
        else:
            end = date(y, start.month, int(first.group(2))) if first.group(2) else start
    except (ValueError, StopIteration):
        return None
    return (start, end) if end >= start else None


def format_span(start: date, end: Optional[date] = None) -> str:
    """A day or a span of days in the interface language ("14 апреля 2023 г.", "Apr 14 – 15, 2023")."""
    from babel.dates import format_interval
    from flask_babel import format_date

    if end is None or end == start:
        return format_date(start, "long")
    return format_interval(start, end, "yMMMMd", locale=locale())


def volume_dates(volume) -> Markup:
    """A volume's dates in the interface language, in a <time> element; printed text that cannot be read
    as dates is shown as printed, tagged with its own language."""
    start, end = getattr(volume, "date_start", None), getattr(volume, "date_end", None)
    if start is None and volume.dates_text:
        parsed = _parse_dates(volume.dates_text)
        if parsed:
            start, end = parsed
    if start is not None:
        return Markup('<time datetime="%s">%s</time>') % (start.isoformat(), format_span(start, end))
    if volume.dates_text:
        return Markup("<span%s>%s</span>") % (lang_attr(volume.dates_text), volume.dates_text)
    return Markup("")


def nav_section() -> str:
    """The endpoint of the site navigation link the current page belongs to ("" for none)."""
    endpoint = request.endpoint or ""
    return _SECTIONS.get(endpoint, endpoint)


def plain_excerpt(html: Optional[str], limit: int = 160) -> str:
    """Rich text as one plain line of at most ``limit`` characters (for a meta description)."""
    text = " ".join(strip_tags(html or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:—– ") + "…"


def favicon():
    """/favicon.ico: the icon browsers fetch by themselves, whatever the page says."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=7 * 24 * 3600)


def init_app(app: Flask) -> None:
    """Register the template helpers and /favicon.ico."""
    app.add_template_global(site_name)
    app.add_template_global(language_name)
    app.add_template_global(lang_attr)
    app.add_template_global(text_language)
    app.add_template_global(passage_language)
    app.add_template_global(pub_meta)
    app.add_template_global(facet_list)
    app.add_template_global(hit_list)
    app.add_template_global(person_aliases)
    app.add_template_global(volume_dates)
    app.add_template_global(format_span)
    app.add_template_global(nav_section)
    app.add_template_filter(plain_excerpt)
    app.add_template_filter(language_name)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
