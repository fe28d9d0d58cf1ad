"""Configuration in layers: defaults → instance ``config.py`` → ``ARCHIVE_*`` environment → test mapping.

Every setting the archive reads is in ``DEFAULTS`` with a one-line comment; its default's type is the
setting's type. ``ARCHIVE_FOO=value`` environment variables are read by Flask's ``from_prefixed_env``
(values are parsed as JSON when they can be: ``0``, ``true``, ``120``), then every setting is coerced to
its type by ``typed_settings`` so ``ARCHIVE_JOBS_IMMEDIATE=0`` is off and ``=no`` is off too; a value that
cannot be read stops start-up with a ``ConfigError`` naming the variable.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

# name: (default, comment) — the comment is the documentation (docs/deploy.md links here).
SETTINGS: dict[str, tuple[Any, str]] = {
    "SECRET_KEY": ("", "signs sessions and forms; empty: generated once into the data folder"),
    "SITE_NAME": ("Kelisim Archive", "name shown in feeds, OAI Identify and page titles"),
    "PUBLIC_BASE_URL": ("", "e.g. https://archive.example.kz; used in feeds, sitemaps, tags, OAI"),
    "TRUSTED_HOSTS": ([], "host names the site answers to, others get 400 (empty: PUBLIC_BASE_URL's host and "
                          "localhost; both empty: any, with a warning at start)"),
    "DATA_DIR": ("", "the one folder everything is written to; empty: the Flask instance folder"),
    "DATABASE_URL": ("", "empty: SQLite file in the data folder; postgresql://user@host/db for PostgreSQL"),
    "SEARCH_BACKEND": ("whoosh", "whoosh | tantivy | postgres (docs/search.md)"),
    "SEARCH_DATABASE_URL": ("", "postgres search backend's database; empty: DATABASE_URL when PostgreSQL"),
    "SEARCH_PAGE_SIZE": (10, "results per search page"),
    "SEARCH_BRIDGE": (True, "a Russian query also finds Kazakh texts and the reverse, through the term bridge "
                      "(docs/crosslingual.md); a reader turns it off for one search with xl=0"),
    "INDEX_PROCESSES": (0, "analysis (and Whoosh segment-writing) processes for reindex; 0: one per CPU"),
    "EXTRACT_TIMEOUT_S": (300, "seconds one file's extraction may take before it is stopped"),
    "EXTRACT_MEMORY_MB": (1536, "memory one file's extraction may use before it is stopped"),
    "EXTRACT_MAX_PAGES": (3000, "pages one file may have"),
    "OCR_ENABLED": (True, "run Tesseract on pages without usable text"),
    "OCR_MAX_PAGES": (300, "pages of one file that OCR reads at most (the rest get a warning)"),
    "EXTRACT_LONG_PAGES": (40, "a file of this many pages or more (known before it is queued) is a long extraction, "
                               "like every file that needs OCR: its child runs at EXTRACT_LONG_PRIORITY"),
    "EXTRACT_LONG_PRIORITY": ("low", "CPU priority of long extractions, so small files uploaded meanwhile go "
                                     "first: low (nice +10), idle (also Linux SCHED_IDLE: only on a machine that "
                                     "runs nothing else, as the wall-clock limits can run out) or normal"),
    "MAX_CONTENT_LENGTH": (200 * 1024 * 1024, "bytes one upload request may carry"),
    "BABEL_DEFAULT_LOCALE": ("ru", "interface language when nothing names one (ru, kk, en)"),
    "LANGUAGES": (["ru", "kk", "en"], "interface languages"),
    "SESSION_COOKIE_HTTPONLY": (True, "the session cookie is not readable by scripts"),
    "SESSION_COOKIE_SAMESITE": ("Lax", "the session cookie is not sent by cross-site POSTs"),
    "SESSION_COOKIE_SECURE": (False, "send the session cookie over https only (on when PUBLIC_BASE_URL is https)"),
    "ADMIN_EMAIL": ("", "contact in OAI Identify"),
    "OAI_ADMIN_EMAIL": ("", "OAI Identify's adminEmail; empty: ADMIN_EMAIL"),
    "OAI_REPOSITORY_NAME": ("", "OAI Identify's repositoryName; empty: SITE_NAME"),
    "OAI_PAGE_SIZE": (100, "records per OAI-PMH list response (then a resumption token)"),
    "OAI_SETS": (True, "offer OAI sets (per volume and kind)"),
    "FEED_SIZE": (50, "entries per Atom feed"),
    "SITEMAP_MAX_URLS": (10_000, "URLs per sitemap file (then a sitemap index of parts; at most 50,000)"),
    "JOBS_IMMEDIATE": (False, "run background jobs inside the calling process (tests, tiny setups)"),
    "JOBS_REDIS_URL": ("", "Redis URL for the job queue (several machines); empty: SQLite in the data folder"),
    "JOBS_QUEUE_NAME": ("kelisim", "the job queue's name on Redis"),
    "JOBS_RETRY_DELAY_S": (60, "seconds before a failed job is tried again (then twice as long)"),
    "LOG_FORMAT": ("", "json | text; empty: ARCHIVE_LOG_FORMAT, else json"),
    "LOG_LEVEL": ("", "DEBUG | INFO | WARNING…; empty: ARCHIVE_LOG_LEVEL, else INFO"),
    "SLOW_REQUEST_MS": (1000, "a request that takes longer is logged at WARNING as a slow request, with the CPU "
                        "time its thread used (a small share: it waited, for a lock, the disk or a core); 0: never"),
    "RATELIMIT_STORAGE_URI": ("memory://", "where rate-limit counters live (redis://… for several workers)"),
    "RATELIMIT_SEARCH": ("60 per minute", "searches, exports and feeds of one address"),
    "RATELIMIT_LOGIN": ("10 per minute", "sign-in attempts of one address"),
    "RATELIMIT_ENABLED": (True, "apply the rate limits (search, export, feeds, sign-in attempts) and the "
                          "search turns (SEARCH_CONCURRENCY, SEARCH_WAITING); off for benchmarks and load tests"),
    "RATELIMIT_GUESSES": ("5 per 15 minutes", "wrong passwords for one account from one address, and wrong "
                          "current passwords of one signed-in person, before a wait (always on)"),
    "SEARCH_CONCURRENCY": (1, "searches one worker process runs at once; its other threads keep serving pages"),
    "SEARCH_WAITING": (2, "searches one worker process lets wait for their turn (below its threads, so pages "
                       "still find a thread); more are asked to retry (503)"),
    "SEARCH_QUEUE_S": (10, "seconds a search waits for its turn before the reader is asked to retry (503)"),
    "PROXY_COUNT": (0, "reverse proxies in front that set X-Forwarded-For/-Proto (rate limits need the "
                    "reader's address); 0: none, the app is reached directly"),
    "MAX_QUERY_STRING": (6000, "bytes a request's query string may have (longer: 414; the server reads 8190)"),
    "MAX_QUERY_PARAMS": (50, "query parameters a request may have (more: 400)"),
    "SESSION_LIFETIME_DAYS": (31, "a sign-in ends this many days after it began"),
    "SESSION_IDLE_DAYS": (14, "a sign-in unused this many days ends"),
}
DEFAULTS: dict[str, Any] = {name: default for name, (default, _comment) in SETTINGS.items()}


class ConfigError(ValueError):
    """A setting that cannot work (the message says which and what to set)."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _coerce(name: str, value: Any, default: Any) -> Any:
    """``value`` read as the type of ``default`` (environment strings included)."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            pass
    elif isinstance(default, list):
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [v.strip() for v in str(value).split(",") if v.strip()]
    elif isinstance(default, str):
        return "" if value is None else str(value)
    else:
        return value
    raise ConfigError(f"The setting {name} (ARCHIVE_{name}) cannot be read as "
                      f"{type(default).__name__}: {value!r}")


def typed_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every known setting of ``config`` coerced to its type; ``ConfigError`` for a value that cannot be."""
    return {name: _coerce(name, config[name], DEFAULTS[name]) for name in DEFAULTS if name in config}


def setting(config: Mapping[str, Any], name: str) -> Any:
    """One setting, typed (its default when absent)."""
    default = DEFAULTS[name]
    return _coerce(name, config.get(name, default), default)


def load_config(app, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from the layers, then type every known setting."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ARCHIVE")
    if os.environ.get("DATABASE_URL") and not os.environ.get("ARCHIVE_DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]        # the common unprefixed name
    if test_config:
        app.config.update(test_config)
        if test_config.get("TESTING") and "RATELIMIT_ENABLED" not in test_config:
            # A test app is one reader making many requests: limits only where a test asks for them.
            app.config["RATELIMIT_ENABLED"] = False
    app.config.update(typed_settings(app.config))


def data_dir(app) -> Path:
    """The one folder everything the archive writes lives in."""
    return Path(app.config.get("DATA_DIR") or app.instance_path)


def ensure_secret_key(app) -> None:
    """Use the configured secret; otherwise create one once in the data folder (never in the repo)."""
    if app.config.get("SECRET_KEY"):
        return
    path = data_dir(app) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = path.read_text().strip()
