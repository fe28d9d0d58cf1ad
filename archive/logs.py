"""Structured logs: one JSON object per line (python-json-logger), or plain text for a terminal.

``LOG_FORMAT`` (``ARCHIVE_LOG_FORMAT``) is ``json`` or ``text``; ``LOG_LEVEL`` is a level name.
Every request is logged once by ``archive.request`` with its method, path, status, duration, the CPU time
its thread used (with that of the work it handed to other threads, such as tantivy's facet counts) and a request
id (the proxy's ``X-Request-Id`` when it sends one, else a new one, returned in the response): at INFO, or at
WARNING as ``slow request`` when it took longer than ``SLOW_REQUEST_MS``, so a server logging warnings only still
names its slow answers. No query strings or client addresses are logged: a search is a reader's business.
"""
from __future__ import annotations

import logging
import os
import time
import uuid

from flask import Flask, g, request

from indexer.backend import aside_cpu, aside_meter_start

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"
request_logger = logging.getLogger("archive.request")


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             timestamp=False)
    return logging.Formatter(TEXT_FORMAT)


def log_settings(config=None) -> tuple[str, str]:
    """(format, level) from the app config, else the environment; json by default outside a terminal."""
    config = config or {}
    fmt = str(config.get("LOG_FORMAT") or os.environ.get("ARCHIVE_LOG_FORMAT") or "json").lower()
    level = str(config.get("LOG_LEVEL") or os.environ.get("ARCHIVE_LOG_LEVEL") or "INFO").upper()
    return ("json" if fmt == "json" else "text"), level


def setup_logging(config=None) -> None:
    """Send every logger's records to stderr in the configured format (servers and the worker)."""
    fmt, level = log_settings(config)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class QuietGunicorn(logging.Filter):
    """Drops gunicorn's "Listening at:" line when it names no socket: the master has none where each worker listens on
    its own (``archive.serve``), which says where it listens in a line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (record.msg == "Listening at: %s (%s)" and args and not args[0])


def gunicorn_logconfig(config=None) -> dict:
    """gunicorn's own loggers (errors; the access log is ours) in the same format."""
    fmt, level = log_settings(config)
    fmt_cfg = ({"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS,
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
               if fmt == "json" else {"format": TEXT_FORMAT})
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"main": fmt_cfg},
            "filters": {"quiet": {"()": QuietGunicorn}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["quiet"],
                                    "stream": "ext://sys.stderr"}},
            "root": {"level": level, "handlers": ["stderr"]},
            "loggers": {"gunicorn.error": {"level": level, "handlers": [], "propagate": True},
                        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True}}}


def init_app(app: Flask) -> None:
    """Time every request and log it once, with a request id."""
    slow_ms = float(app.config.get("SLOW_REQUEST_MS") or 0)

    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_cpu = time.thread_time()
        aside_meter_start()
        rid = request.headers.get("X-Request-Id", "")
        g.request_id = rid if 0 < len(rid) <= 64 and rid.replace("-", "").isalnum() else uuid.uuid4().hex

    @app.after_request
    def _log(resp):
        started = g.get("request_started")
        if started is not None:
            duration = (time.perf_counter() - started) * 1000
            slow = 0 < slow_ms < duration
            resp.headers.setdefault("X-Request-Id", g.request_id)
            request_logger.log(logging.WARNING if slow else logging.INFO, "slow request" if slow else "request", extra={
                "request_id": g.request_id, "method": request.method, "path": request.path,
                "endpoint": request.endpoint or "", "status": resp.status_code, "duration_ms": round(duration, 1),
                "cpu_ms": round((time.thread_time() - g.request_cpu + aside_cpu()) * 1000, 1),
                "bytes": resp.calculate_content_length() or 0})
        return resp
