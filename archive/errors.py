"""Domain errors and the one table that maps them to HTTP answers."""
from __future__ import annotations

import logging
from contextlib import contextmanager

import click
from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from indexer.backend import SearchIndexError
from uploads.errors import UploadError

from .db import BUSY, FULL, READ_ONLY, UNAVAILABLE, storage_fault
from .i18n import _l

logger = logging.getLogger(__name__)



# Messages for conditions of the machine (the person can do nothing but wait or tell the administrator);
# translated where they are shown (web, and upload records) and printed as they are by the CLI.
FAULT_MESSAGES = {
    BUSY: _l("The archive is very busy right now and could not finish this in time. Nothing was lost; "
             "please try again in a minute."),
    UNAVAILABLE: _l("The archive's database cannot be reached right now (it may be restarting). Nothing was "
                    "lost; please try again in a minute."),
    FULL: _l("The archive's storage is full, so nothing was saved. Please tell the archive's administrator; "
             "once space has been freed, try again."),
    READ_ONLY: _l("The archive's data folder cannot be written to right now (it is read-only), so nothing was "
                  "saved. Please tell the archive's administrator; once it is writable again, try again."),
}
# 503 for waiting it out (with Retry-After), 507 Insufficient Storage for a full disk.
FAULT_STATUS = {BUSY: 503, UNAVAILABLE: 503, FULL: 507, READ_ONLY: 503}
RETRY_AFTER_S = 30


class UserValueError(Exception):
    """Bad input from a person; ``message`` is safe to show."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(UserValueError):
    status = 404


class PermissionDeniedError(UserValueError):
    status = 403


def fault_message(exc: BaseException) -> str | None:
    """The person-safe (untranslated) message for a full disk, read-only folder or unreachable/busy database."""
    kind = storage_fault(exc)
    return FAULT_MESSAGES[kind] if kind else None


@contextmanager
def cli_fault_guard():
    """Turn a full disk, read-only folder or unreachable database, or a search index that could not be written
    (busy, a writing process that failed: the detail is in the log), into a one-line CLI error (exit 1)."""
    try:
        yield
    except Exception as exc:
        message = fault_message(exc)
        if message is None and isinstance(exc, SearchIndexError):
            message = f"{exc}. The search index may be incomplete: run `manage.py reindex` again."
        if message is None:
            raise
        logger.debug("command failed on a storage fault", exc_info=True)
        raise click.ClickException(message) from exc


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _discard_db_session() -> None:
    """Drop the request's session: after a lost connection it cannot be used again (teardown would retry it)."""
    s = g.pop("db_session", None)
    if s is None:
        return
    try:
        s.rollback()
        s.close()
    except Exception:  # noqa: BLE001 - the connection is already gone; the pool replaces it
        logger.debug("closing a broken session failed", exc_info=True)


def _fault_page(kind: str):
    status = FAULT_STATUS[kind]
    message = gettext(FAULT_MESSAGES[kind])
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else {}
    if _wants_json():
        return jsonify(error=message, code=f"storage-{kind}"), status, headers
    if kind in (BUSY, UNAVAILABLE):
        # The page must not need the database: show it as to an anonymous reader.
        g._login_user = current_app.login_manager.anonymous_user()
    try:
        body = render_template("errors/error.html", status=status, message=message, fault=kind)
    except Exception:  # noqa: BLE001 - the last resort must not fail in turn
        logger.exception("rendering the %s page failed", kind)
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(message)}</p>"
    return body, status, headers


def init_app(app) -> None:
    """Register error handlers: person-safe messages, never a stack trace."""

    @app.errorhandler(UserValueError)
    def _user_error(exc: UserValueError):
        if _wants_json():
            return jsonify(error=exc.message), exc.status
        return render_template("errors/error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(UploadError)
    def _upload_error(exc: UploadError):
        if _wants_json():
            return jsonify(error=exc.user_message, code=exc.code), 422
        return render_template("errors/error.html", status=422, message=exc.user_message), 422

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        # The headers the error itself carries (Allow on 405, Content-Range on 416, Location…) stay.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            return jsonify(error=exc.name), status, headers
        return render_template("errors/error.html", status=status, message=None, name=exc.name), status, headers

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        kind = storage_fault(exc)
        if kind:
            logger.error("%s %s failed: storage %s (%s: %s)", request.method, request.path, kind,
                         exc.__class__.__name__, str(exc).splitlines()[0][:300] if str(exc) else "")
            _discard_db_session()
            return _fault_page(kind)
        logger.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify(error="Internal error; it has been logged."), 500
        return render_template("errors/error.html", status=500, message=None, name="Internal error"), 500
