"""Kelisim Archive: the web app and the domain (models, services, search bridge)."""
from __future__ import annotations

import logging
import os

from flask import Flask, g, request

from .config import DEFAULTS, data_dir, ensure_secret_key, from_environment

logger = logging.getLogger(__name__)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: config layers, database, store, search, blueprints, error pages."""
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment())
    if os.environ.get("ARCHIVE_DATA_DIR"):
        app.config["DATA_DIR"] = os.environ["ARCHIVE_DATA_DIR"]
    if test_config:
        app.config.update(test_config)
    folder = data_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    ensure_secret_key(app)

    from .core import Archive

    app.extensions["archive"] = Archive(app.config, folder)

    from . import errors, i18n, logs
    from .views import api, browse, dashboard, export, feeds, main, oai, people_admin

    logs.init_app(app)
    _static_caching(app)
    i18n.init_app(app)
    from flask_wtf.csrf import CSRFProtect

    from . import auth, jobs
    from .views import auth as auth_views
    from .views import members

    csrf = CSRFProtect(app)
    csrf.exempt(oai.bp)          # OAI-PMH harvesters POST without a session: the protocol is read-only
    auth.init_app(app)
    jobs.init_app(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(members.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(export.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(oai.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(people_admin.bp)
    app.register_blueprint(dashboard.bp)
    errors.init_app(app)

    from .cli import register

    register(app)
    from .cli_members import register as register_members

    register_members(app)

    @app.teardown_appcontext
    def _close_session(_exc):
        s = g.pop("db_session", None)
        if s is not None:
            s.close()

    @app.after_request
    def _security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        resp.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return resp

    from . import ui
    ui.init_app(app)
    return app


STATIC_MAX_AGE = 365 * 24 * 3600


def _static_caching(app: Flask) -> None:
    """Static files carry a content hash (``?v=``) in their URL and are cached for a year, immutably.

    A changed file gets a new hash, so browsers and proxies never serve a stale stylesheet; an address
    without the hash (old bookmarks) is cached for an hour only.
    """
    import hashlib
    from pathlib import Path

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


def get_archive(app=None):
    """The ``Archive`` of the current (or given) app."""
    from flask import current_app

    return (app or current_app).extensions["archive"]


def db_session():
    """The request's database session (closed at teardown)."""
    if "db_session" not in g:
        g.db_session = get_archive().db.Session()
    return g.db_session
