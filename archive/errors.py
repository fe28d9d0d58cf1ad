"""Domain errors and the one table that maps them to HTTP answers."""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from uploads.errors import UploadError

logger = logging.getLogger(__name__)


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


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


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
        if _wants_json():
            return jsonify(error=exc.name), status
        return render_template("errors/error.html", status=status, message=None, name=exc.name), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.path)
        if _wants_json():
            return jsonify(error="Internal error; it has been logged."), 500
        return render_template("errors/error.html", status=500, message=None, name="Internal error"), 500
