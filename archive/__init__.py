"""Kelisim Archive: the web app and the domain (models, services, search bridge)."""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from . import auth, cli, cli_members, cli_ops, errors, http, i18n, logs, security, templating, ui
from .config import data_dir, ensure_secret_key, load_config
from .core import Archive, close_db_session, count_requests, db_session, get_archive
from .views import api, browse, dashboard, export, feeds, main, members, oai, people_admin
from .views import auth as auth_views

logger = logging.getLogger(__name__)

__all__ = ["create_app", "get_archive", "db_session"]

BLUEPRINTS = (auth_views.bp, members.bp, main.bp, api.bp, export.bp, feeds.bp, oai.bp, browse.bp, people_admin.bp,
              dashboard.bp)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: config layers, database, store, search, blueprints, error pages."""
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
    load_config(app, test_config)
    folder = data_dir(app)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)     # database, files and secret: the owner's only
    ensure_secret_key(app)
    app.extensions["archive"] = Archive(app.config, folder)
    app.extensions["archive_factory"] = create_app      # gunicorn workers build their own app after the fork

    logs.init_app(app)
    _static_caching(app)
    i18n.init_app(app)
    templating.init_app(app)
    ui.init_app(app)
    security.init_app(app)       # before the routes (bounded int ids) and before CSRF (bounds come first)
    csrf = CSRFProtect(app)
    csrf.exempt(oai.bp)          # OAI-PMH harvesters POST without a session: the protocol is read-only
    auth.init_app(app)
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    security.limit_views(app)
    errors.init_app(app)
    http.init_app(app)
    for module in (cli, cli_ops, cli_members):
        module.register(app)
    app.teardown_appcontext(close_db_session)
    count_requests(app)          # its hook goes first of all (before security's bounds)

    return app


STATIC_MAX_AGE = 365 * 24 * 3600


def _static_caching(app: Flask) -> None:
    """Static files carry a content hash (``?v=``) in their URL and are cached for a year, immutably.

    A changed file gets a new hash, so browsers and proxies never serve a stale stylesheet; an address
    without the hash (old bookmarks) is cached for an hour only.
    """
    hashes: dict[str, str] = {}
    folder = Path(app.static_folder or "")

    def version(filename: str) -> str:
        if filename not in hashes or app.debug:
            try:
                hashes[filename] = hashlib.sha256((folder / filename).read_bytes()).hexdigest()[:12]
            except OSError:
                hashes[filename] = ""
        return hashes[filename]

    @app.url_defaults
    def _add_version(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            v = version(values["filename"])
            if v:
                values["v"] = v

    def max_age(filename):
        return STATIC_MAX_AGE if request.args.get("v") else 3600

    app.get_send_file_max_age = max_age

    @app.after_request
    def _immutable(resp):
        if request.endpoint == "static" and request.args.get("v") and resp.status_code == 200:
            resp.cache_control.immutable = True
            resp.cache_control.public = True
        return resp
