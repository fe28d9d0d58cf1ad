"""Helpers shared by the HTML and JSON views."""
from __future__ import annotations

import functools
from urllib.parse import quote_plus

from flask import abort, g, request, url_for

from indexer.backend import Filters

from ..core import db_session
from ..ids import parse_id
from ..models import Publication
from ..services.publications import load_public


def int_arg(name: str, default: int, lo: int = 1, hi: int = 10_000) -> int:
    """An integer query argument clamped to [lo, hi]; junk gives the default."""
    try:
        return max(lo, min(hi, int(request.args.get(name, default))))
    except (TypeError, ValueError):
        return default


def translate_arg() -> bool:
    """Whether the reader wants the query's counterparts in the other language too (``xl=0``: not)."""
    return "0" not in request.args.getlist("xl")


def filters_from_args() -> Filters:
    """Facet selections from the URL (repeated parameters combine)."""
    def number(v: str) -> int | None:
        return parse_id(v, 999_999_999)

    def ints(name: str) -> tuple[int, ...]:
        return tuple(n for n in (number(v) for v in request.args.getlist(name)) if n is not None)

    y0 = number(request.args.get("from", "") or request.args.get("year", ""))
    y1 = number(request.args.get("to", "") or request.args.get("year", ""))
    return Filters(year_from=y0, year_to=y1,
                   langs=tuple(v for v in request.args.getlist("lang") if v in ("ru", "kk", "en")),
                   kinds=tuple(v for v in request.args.getlist("kind") if v.isalpha()),
                   collections=ints("volume"), topics=tuple(request.args.getlist("topic")),
                   persons=ints("person"))


def load_publication(pub_id: int) -> Publication:
    """A publication readers may see (published or withdrawn, as a tombstone), or 404."""
    pub = load_public(db_session(), pub_id)
    if pub is None:
        abort(404)
    return pub


def publication_url(pub: Publication, external: bool = False) -> str:
    return url_for("main.publication", pub_id=pub.id, _external=external)


FACET_PARAMS = {"year": "year", "lang": "lang", "kind": "kind", "collection": "volume", "topics": "topic",
                "persons": "person"}


def url_with(**changes) -> str:
    """The current search URL with query parameters added (value) or removed (None); page resets to 1.

    A search page builds a few of these (the pager, the active filters' remove links; its facet values go
    through ``facet_urls``): the page's own address and arguments are worked out once per request (as a dict of
    value lists, which copies cheaply), and each parameter is quoted once."""
    path, base_args = _url_base()
    args = dict(base_args)               # a list is replaced, never changed in place
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        elif isinstance(value, tuple) and value[0] == "remove":
            args[name] = [v for v in args.get(name, ()) if v != value[1]]
        elif str(value) not in args.get(name, ()):
            args[name] = [*args.get(name, ()), str(value)]
    return path + ("?" + _encode_lists(args) if args else "")


def facet_urls(name: str, values: list[str]) -> list[str]:
    """``url_with(**{name: value})`` for each of ``values``, the page's other arguments quoted once for all of
    them (a search page shows ~40 facet values; through ``url_with`` each link cost a template call and a copy)."""
    path, args = _url_base()
    keys = list(args)
    cut = keys.index(name) + 1 if name in args else len(keys)   # a new value follows the argument's own ones
    start = _encode_lists({k: args[k] for k in keys[:cut]})
    rest = _encode_lists({k: args[k] for k in keys[cut:]})
    same = path + ("?" + "&".join(p for p in (start, rest) if p) if args else "")
    held = args.get(name, ())
    out = []
    for value in values:
        v = str(value)
        out.append(same if v in held else
                   path + "?" + "&".join(p for p in (start, f"{_quote(name)}={_quote(v)}", rest) if p))
    return out


def _url_base() -> tuple[str, dict[str, list[str]]]:
    """The page's own address and its arguments but ``page`` (as value lists), worked out once per request."""
    base = g.get("_url_with_base")
    if base is None:
        lists: dict[str, list[str]] = {}
        for k, v in request.args.items(multi=True):
            if k != "page":
                lists.setdefault(k, []).append(v)
        base = g._url_with_base = (url_for(request.endpoint, **(request.view_args or {})), lists)
    return base


@functools.lru_cache(maxsize=256)       # a page's own few values; small, as readers' queries fill it too
def _quote(value: str) -> str:
    return quote_plus(value)


def _urlencode(args) -> str:
    """``urlencode`` of every (key, value) pair of a MultiDict, the same string, with each part quoted once."""
    return _encode_lists({k: args.getlist(k) for k in args})


def _encode_lists(args: dict[str, list[str]]) -> str:
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, values in args.items() for v in values)
