"""Configuration in layers: defaults → instance ``config.py`` → ``ARCHIVE_*`` environment → test mapping."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "SITE_NAME": "Kelisim Archive",
    "PUBLIC_BASE_URL": "",                  # e.g. https://archive.example.kz (used in feeds, sitemaps, tags)
    "DATABASE_URL": "",                     # empty: SQLite file in the data folder
    "SEARCH_BACKEND": "whoosh",             # whoosh | tantivy | postgres (docs/search.md)
    "SEARCH_DATABASE_URL": "",
    "INDEX_PROCESSES": 0,                   # analysis processes for reindex; 0: one per CPU              # postgres backend; empty: DATABASE_URL when that is PostgreSQL
    "EXTRACT_TIMEOUT_S": 300,
    "EXTRACT_MEMORY_MB": 1536,
    "EXTRACT_MAX_PAGES": 3000,
    "OCR_ENABLED": True,
    "MAX_CONTENT_LENGTH": 200 * 1024 * 1024,
    "SEARCH_PAGE_SIZE": 10,
    "BABEL_DEFAULT_LOCALE": "ru",
    "LANGUAGES": ["ru", "kk", "en"],
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "ADMIN_EMAIL": "",
}

class ConfigError(ValueError):
    """A setting that cannot work (the message says which and what to set)."""


_INT_KEYS = {"INDEX_PROCESSES", "EXTRACT_TIMEOUT_S", "EXTRACT_MEMORY_MB", "EXTRACT_MAX_PAGES", "MAX_CONTENT_LENGTH", "SEARCH_PAGE_SIZE"}
_BOOL_KEYS = {"OCR_ENABLED", "SESSION_COOKIE_SECURE"}


def from_environment(environ: dict[str, str] | None = None) -> dict:
    """``ARCHIVE_FOO=bar`` → ``{"FOO": "bar"}`` (typed for known keys); ``DATABASE_URL`` and ``ARCHIVE_DATA_DIR`` too."""
    env = os.environ if environ is None else environ
    out: dict = {}
    for k, v in env.items():
        if not k.startswith("ARCHIVE_"):
            continue
        key = k[len("ARCHIVE_"):]
        if key in _INT_KEYS:
            out[key] = int(v)
        elif key in _BOOL_KEYS:
            out[key] = v.strip().lower() in ("1", "true", "yes", "on")
        else:
            out[key] = v
    if env.get("DATABASE_URL"):
        out["DATABASE_URL"] = env["DATABASE_URL"]
    return out


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
