"""Interface language: Russian, Kazakh, English (Flask-Babel).

The language is part of the address: ``/kk/search?q=…``, ``/en/p/12``. A small WSGI middleware moves
the prefix from the path into ``SCRIPT_NAME``, so every route stays defined once and every link that
``url_for`` builds keeps the reader's language. Addresses without a prefix still work (``?hl=``, then the
cookie of the last choice, then the browser's Accept-Language) and every page names its language
versions with ``<link rel="alternate" hreflang>``.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, has_request_context, request
from flask import url_for as flask_url_for
from flask.globals import _cv_app
from markupsafe import Markup
from flask_babel import Babel, get_locale, get_translations

LOCALES = ("ru", "kk", "en")
ENVIRON_KEY = "archive.url_locale"


def _(message: str, **variables: Any) -> str:
    """Translated inside a request; plain English (formatted) in the CLI and the worker, which have no locale."""
    if has_request_context():
        # Flask-Babel's gettext, with the request's translations looked up once.
        message = request_translations().ugettext(message)
    return message % variables if variables else message


def _babel_state():
    """Flask-Babel's per-request namespace (``g._flask_babel``: its locale, and what is kept here), or None.

    Read from the application context itself, not through the ``g`` proxy: a search page asks ~100 times (its
    strings and the language of its names), and each pass through the proxy cost ~1 us."""
    app_ctx = _cv_app.get(None)
    return app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None


def _kept(name: str, make):
    """``make()``, kept in the request's Flask-Babel namespace beside the locale it was made for: made again when
    that locale changes (``force_locale`` speaks another language for a while, ``refresh`` forgets it)."""
    state = _babel_state()
    if state is not None:
        known = state.__dict__
        cached = known.get(name)
        if cached is not None and cached[0] is known.get("babel_locale") is not None:
            return cached[1]
    value = make()
    state = _babel_state()                   # made by Flask-Babel on its first look-up of the request
    loc = getattr(state, "babel_locale", None)
    if loc is not None:
        setattr(state, name, (loc, value))
    return value


def request_translations():
    """The request's translations, looked up once per request and locale (Flask-Babel looks them up again for
    every string: a search page shows ~300, which cost ~1.5 ms that way)."""
    return _kept("kel_translations", get_translations)


def _l(message: str) -> str:
    """Mark a message for extraction (``pybabel -k _l``); it is translated where it is shown."""
    return message


def current_locale() -> str:
    """The interface language of this request ("ru" outside a request), kept for the request (``_kept``)."""
    if not has_request_context():
        return "ru"
    return _kept("kel_locale", _locale_code)


def _locale_code() -> str:
    return str(get_locale() or "ru")


class LocalePrefixMiddleware:
    """``/en/search`` → ``SCRIPT_NAME += "/en"``, ``PATH_INFO = "/search"``; the locale goes into the environ."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        for loc in LOCALES:
            prefix = "/" + loc
            if path == prefix or path.startswith(prefix + "/"):
                if path == prefix:                      # "/en" → the home page of that language
                    start_response("308 Permanent Redirect",
                                   [("Location", environ.get("SCRIPT_NAME", "") + prefix + "/"),
                                    ("Content-Length", "0")])
                    return [b""]
                environ[ENVIRON_KEY] = loc
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path[len(prefix):]
                break
        return self.wsgi_app(environ, start_response)


def url_locale() -> str | None:
    """The locale named by the address prefix, if any."""
    return request.environ.get(ENVIRON_KEY)


def select_locale() -> str:
    loc = url_locale()
    if loc:
        return loc
    hl = request.args.get("hl")
    if hl in LOCALES:
        return hl
    cookie = request.cookies.get("hl")
    if cookie in LOCALES:
        return cookie
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "ru")
    return request.accept_languages.best_match(LOCALES) or (default if default in LOCALES else "ru")


def template_gettext(__string: str, **variables: Any) -> Markup:
    """``_("...", name=value)`` in a template: the translation as Markup, ``%``-formatted with the variables
    escaped (what Jinja's new-style gettext returns in an autoescaped template; every template here is HTML)."""
    # Our own catalogs, as trusted as the template itself (Jinja's gettext marks them safe the same way).
    rv = Markup(request_translations().ugettext(__string))  # nosec B704
    return rv % variables if "%" in rv else rv


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "../translations")
    Babel(app, locale_selector=select_locale)
    # Flask-Babel's template callables, with the translations looked up once per request (same strings).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n))
    # ``_()`` itself, the templates' most called function (~55 strings a search page): the same result as Jinja's
    # new-style gettext in an autoescaped template, without its two context calls (8 -> 2 us a string).
    app.jinja_env.globals["_"] = template_gettext
    app.wsgi_app = LocalePrefixMiddleware(app.wsgi_app)

    @app.after_request
    def _remember(resp):
        chosen = url_locale() or request.args.get("hl")
        if chosen in LOCALES and request.cookies.get("hl") != chosen:
            resp.set_cookie("hl", chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if not url_locale():
            # Unprefixed pages depend on the cookie and the browser's languages.
            resp.vary.update(("Cookie", "Accept-Language"))
        return resp

    built: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        """``url_for`` for templates: static files are the same in every language, so they keep one address.

        The addresses every page links to (the navigation's, a static file's) are built once per language prefix
        (``SCRIPT_NAME``), not on every page: eleven ``url_for`` calls cost ~0.15 ms a page."""
        key = None
        if (not values or (endpoint == "static" and "_external" not in values)) and not app.debug:
            key = (endpoint, request.environ.get("SCRIPT_NAME", ""), *values.items())
            found = built.get(key)
            if found is not None:
                return found
        url = flask_url_for(endpoint, **values)
        loc = url_locale() if endpoint == "static" else None
        if loc and not values.get("_external"):
            url = url.replace(f"/{loc}/static/", "/static/", 1)
        if key is not None and len(built) < 1024:
            built[key] = url
        return url

    app.jinja_env.globals["url_for"] = url_for
    # For macro files: they are imported without the page's context (Jinja then builds each once, not per
    # page), so they ask for the locale instead of reading ``current_locale``.
    app.jinja_env.globals["ui_locale"] = current_locale

    @app.context_processor
    def _locale_ctx():
        return {"current_locale": current_locale(), "locales": LOCALES, "lang_url": lang_url}


def _base_script_root() -> str:
    """SCRIPT_NAME without the locale prefix (the app may itself be mounted below a path)."""
    root = request.script_root
    loc = url_locale()
    if loc and root.endswith("/" + loc):
        root = root[: -len(loc) - 1]
    return root


def lang_url(locale: str | None, external: bool = False) -> str:
    """The current page's address in another interface language (``None``: without a prefix)."""
    query = g.get("_lang_url_query")
    if query is None:        # the same for each of the page's ~7 language links: worked out once
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "hl"]
        query = g._lang_url_query = "?" + urlencode(args) if args else ""
    url = _base_script_root() + (f"/{locale}" if locale else "") + request.path + query
    if not external:
        return url
    return public_base_url() + url


def public_base_url() -> str:
    """The absolute site root: ``PUBLIC_BASE_URL`` when configured, else the request's host (no trailing slash)."""
    configured = (current_app.config.get("PUBLIC_BASE_URL") or "").strip()
    return (configured or request.host_url).rstrip("/")


def public_host() -> str:
    """The host name (no port) of the public site, for OAI identifiers and tag URIs."""
    return (urlsplit(public_base_url()).hostname or request.host.split(":")[0]).lower()
