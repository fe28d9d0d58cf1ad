"""Protections at the web edge: bounded ids and query strings, rate limits, counted password guesses,
trusted hosts, caching of host-built answers, response headers, and serving PDFs that may carry scripts.

``init_app`` wires what must exist before the routes (the bounded ``int`` converter, request bounds,
trusted hosts, the limiter); ``limit_views`` puts the rate limits on the views once they are registered.
Views call ``client_address``, ``guesses`` and ``sandbox_pdf``. docs/security.md explains each control.
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from functools import wraps
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_limiter import Limiter, RateLimitExceeded
from flask_wtf.csrf import CSRFError
from limits import parse as parse_limit
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from uploads.quality import strip_xml_forbidden

from .config import setting
from .ids import MAX_ID

logger = logging.getLogger(__name__)

# Views that run a search or build a file from one: each costs far more than a page, so one address may
# call them together at most RATELIMIT_SEARCH times.
SEARCH_ENDPOINTS = ("main.search", "api.search", "browse.experts", "export.cite", "export.search_export",
                    "feeds.new_atom", "feeds.volume_atom", "feeds.topic_atom", "feeds.person_atom",
                    "feeds.search_atom")
LOGIN_ENDPOINT = "auth.login"
# A PDF shown in the browser runs in an opaque origin with no rights: whatever a file carries cannot
# read the archive's cookies or pages, or send a form. Chromium's viewer still displays it (tested).
PDF_POLICY = "sandbox; default-src 'none'"
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` in every route, bounded by what a database INTEGER holds: ``/p/99999999999999999999``
    does not match and is a 404 like any unknown id, never an overflow deep in the database (500)."""

    def __init__(self, map, fixed_digits: int = 0, min: Optional[int] = None, max: Optional[int] = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def refusal(status: int, message: str, retry_after: Optional[int] = None) -> Response:
    """A person-safe refusal: the error page, or ``{"error": …}`` for the API and JSON clients."""
    if _wants_json():
        resp = jsonify(error=message)
    else:
        resp = Response(render_template("errors/error.html", status=status, message=message),
                        content_type="text/html; charset=utf-8")
    resp.status_code = status
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _plain(value: Any) -> Any:
    return strip_xml_forbidden(value) if isinstance(value, str) else value


class PlainParams(ImmutableMultiDict):
    """Query and form values without the characters XML 1.0 forbids (NUL, other C0 controls but tab, LF and CR,
    lone surrogates, U+FFFE/U+FFFF). No one types them; they come pasted from a broken PDF or from a script, and
    PostgreSQL refuses a NUL in any text (a 500 on a member's correction, a page position, a search), while SQLite
    stored it and broke the record's exports. Files are left as they are."""

    def __init__(self, mapping: Any = None) -> None:
        if not mapping:
            super().__init__()
            return
        super().__init__([(_plain(k), _plain(v)) for k, v in MultiDict(mapping).items(multi=True)])


class ArchiveRequest(Request):
    parameter_storage_class = PlainParams


def _bounded_request():
    """Refuse, before any work, a Host not trusted, and a query string longer or with more parameters than
    the site's forms make."""
    if isinstance(request.routing_exception, SecurityError):
        # No links can be built for an untrusted host, so the answer is plain text, not the error page.
        return Response("Unknown host name.\n", status=400, content_type="text/plain; charset=utf-8")
    config = current_app.config
    if len(request.environ.get("QUERY_STRING", "")) > setting(config, "MAX_QUERY_STRING"):
        return refusal(414, gettext("This address is too long. Shorten the search text and try again."))
    if sum(1 for _ in request.args.items(multi=True)) > setting(config, "MAX_QUERY_PARAMS"):
        return refusal(400, gettext("This address has too many parameters. Remove some filters and try again."))
    return None


def client_address() -> str:
    """The reader's address (the proxy's X-Forwarded-For when PROXY_COUNT says one is in front)."""
    return request.remote_addr or "unknown"


# --- rate limits -------------------------------------------------------------------------------------

def _limiter(app: Flask) -> Limiter:
    """Flask-Limiter on the app: counters in RATELIMIT_STORAGE_URI (memory, or Redis for several workers);
    if Redis is away the counters fall back to memory and the site keeps answering."""
    limiter = Limiter(key_func=client_address, headers_enabled=False, swallow_errors=True,
                      in_memory_fallback_enabled=True, key_prefix="kelisim")
    limiter.init_app(app)
    app.extensions["archive_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(_exc):
        wait = 60
        try:
            current = limiter.current_limit
            if current is not None:       # reset_at is rounded up a second: never past the window
                wait = max(1, min(current.limit.get_expiry(), math.ceil(current.reset_at - time.time())))
        except Exception:  # noqa: BLE001 - the counters' store is away: the default wait will do
            logger.warning("could not read the rate limit window", exc_info=True)
        return refusal(429, gettext("Too many requests from your address in a short time. Please wait "
                                    "%(n)d seconds and try again.", n=wait), wait)

    return limiter


def _csrf_refusal(_exc: CSRFError) -> Response:
    """Every form of every blueprint: a missing, stale or forged token is refused with the same page."""
    return refusal(400, gettext("The form has expired or was sent from elsewhere. Go back, reload the page "
                                "and try again."))


class SearchGate:
    """Turns for the process's expensive views: ``running`` at once, ``waiting`` more in line, the rest
    refused at once. A burst of costly searches then holds at most running + waiting of a worker's
    threads (a waiting request holds its thread too), and the others keep answering pages."""

    def __init__(self, running: int, waiting: int) -> None:
        self._inside = threading.BoundedSemaphore(max(1, running) + max(0, waiting))
        self._running = threading.BoundedSemaphore(max(1, running))

    def enter(self, timeout: float) -> bool:
        """Take a turn (waiting up to ``timeout`` seconds in line); False when there is no room."""
        if not self._inside.acquire(blocking=False):
            return False
        if self._running.acquire(timeout=timeout):
            return True
        self._inside.release()
        return False

    def leave(self) -> None:
        """Give the turn back."""
        self._running.release()
        self._inside.release()


def _in_turn(view: Callable) -> Callable:
    """Run ``view`` in its turn at the process's search gate; without one the reader is asked to come back
    in a few seconds (503 with Retry-After)."""
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        gate: SearchGate = current_app.extensions["archive_search_gate"]
        if not gate.enter(timeout=setting(current_app.config, "SEARCH_QUEUE_S")):
            return refusal(503, gettext("The archive is busy with many searches right now. Please try again "
                                        "in a few seconds."), retry_after=5)
        try:
            return view(*args, **kwargs)
        finally:
            gate.leave()
    return wrapped


def limit_views(app: Flask) -> None:
    """Rate limits on the registered views: searches, exports and feeds share one budget per address and
    take turns at the process's search gate; sign-in attempts (POST) have their own budget."""
    limiter: Limiter = app.extensions["archive_limiter"]
    app.extensions["archive_search_gate"] = SearchGate(setting(app.config, "SEARCH_CONCURRENCY"),
                                                       setting(app.config, "SEARCH_WAITING"))
    search = limiter.shared_limit(lambda: setting(current_app.config, "RATELIMIT_SEARCH"), scope="search")
    turns = setting(app.config, "RATELIMIT_ENABLED")          # one switch for budgets and turns (benchmarks)
    for endpoint in SEARCH_ENDPOINTS:
        view = app.view_functions[endpoint]
        # the budget is checked first (cheap), then the search takes its turn
        app.view_functions[endpoint] = search(_in_turn(view) if turns else view)
    login = limiter.limit(lambda: setting(current_app.config, "RATELIMIT_LOGIN"), methods=["POST"])
    app.view_functions[LOGIN_ENDPOINT] = login(app.view_functions[LOGIN_ENDPOINT])


class Guesses:
    """Wrong passwords counted per key in the rate-limit storage (always on, whatever RATELIMIT_ENABLED).

    Sign-in failures count per (account, address): a stranger elsewhere who types a person's e-mail with
    wrong passwords only makes their own address wait, never the person. The key for an unknown e-mail
    is built the same way, so the answers cannot tell which e-mails have accounts.
    """

    def __init__(self, storage_uri: str, limit: str) -> None:
        self._strategy = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._limit = parse_limit(limit)

    @staticmethod
    def login_key(email: str, address: str) -> tuple[str, str, str]:
        """The key of sign-in guesses: the e-mail (hashed, any case) from this address."""
        digest = hashlib.sha256((email or "").strip().lower().encode("utf-8", "replace")).hexdigest()[:32]
        return ("login", address, digest)

    def wait(self, *key: str) -> int:
        """Seconds until this key may guess again (0: now)."""
        try:
            if self._strategy.test(self._limit, *key):
                return 0
            reset, _remaining = self._strategy.get_window_stats(self._limit, *key)
        except Exception:  # noqa: BLE001 - counters away: the per-address limit still holds
            logger.warning("could not read the guess counter", exc_info=True)
            return 0
        return max(1, math.ceil(reset - time.time()))

    def failed(self, *key: str) -> None:
        """Count one wrong guess."""
        try:
            self._strategy.hit(self._limit, *key)
        except Exception:  # noqa: BLE001
            logger.warning("could not count a wrong guess", exc_info=True)

    def forget(self, *key: str) -> None:
        """Clear the count (the right password was given)."""
        try:
            self._strategy.clear(self._limit, *key)
        except Exception:  # noqa: BLE001
            logger.warning("could not clear the guess counter", exc_info=True)


def guesses() -> Guesses:
    """The app's guess counter."""
    return current_app.extensions["archive_guesses"]


# --- hosts, caching, headers -------------------------------------------------------------------------

def _trusted_hosts(app: Flask) -> None:
    """Flask's own TRUSTED_HOSTS check: the configured names, else PUBLIC_BASE_URL's host (and localhost for
    checks on the machine); with neither the site answers to any Host, which start-up warns about."""
    hosts = list(setting(app.config, "TRUSTED_HOSTS"))
    base = setting(app.config, "PUBLIC_BASE_URL").strip()
    if not hosts and base:
        name = urlsplit(base).hostname
        hosts = [name, "localhost", "127.0.0.1"] if name else []
    app.config["TRUSTED_HOSTS"] = hosts or None
    if not hosts:
        logger.warning("Neither PUBLIC_BASE_URL nor TRUSTED_HOSTS is set: the site answers to any Host header "
                       "and builds its absolute links from it. Set ARCHIVE_PUBLIC_BASE_URL (and, for more "
                       "names, ARCHIVE_TRUSTED_HOSTS) in production.")


def _headers(app: Flask) -> None:
    reflects_host = not setting(app.config, "PUBLIC_BASE_URL").strip()

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Without PUBLIC_BASE_URL absolute links come from the request's Host: a shared cache must never
        # keep such an answer for others (static files carry no host and stay public).
        if reflects_host and resp.cache_control.public and request.endpoint != "static":
            resp.cache_control.public = False
            resp.cache_control.private = True
        return resp


def sandbox_pdf(resp: Response) -> Response:
    """Mark a PDF answered inline so the browser shows it in a sandbox of its own (no scripts, no origin)."""
    resp.headers["Content-Security-Policy"] = PDF_POLICY
    return resp


def init_app(app: Flask) -> None:
    """Wire the protections that must exist before the routes are registered."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = ArchiveRequest
    proxies = setting(app.config, "PROXY_COUNT")
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    _trusted_hosts(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _bounded_request)    # first of all
    _limiter(app)
    app.extensions["archive_guesses"] = Guesses(setting(app.config, "RATELIMIT_STORAGE_URI"),
                                                setting(app.config, "RATELIMIT_GUESSES"))
    _headers(app)
    app.register_error_handler(CSRFError, _csrf_refusal)
