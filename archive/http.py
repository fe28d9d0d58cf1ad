"""HTTP as clients expect it: validators, CORS on what anyone may read, and the headers error answers carry.

- Every successful GET/HEAD answer that is not a file gets a strong ETag of its body and answers a matching
  ``If-None-Match`` with 304 (pages, API, OAI-PMH, sitemaps, feeds, exports); views that know when their
  record last changed add ``Last-Modified`` (``last_modified``).
- The read-only machine interfaces (API, OAI-PMH, exports, feeds, sitemaps) answer cross-origin requests
  without credentials (``Access-Control-Allow-Origin: *``), so a researcher's browser tool can read them.
- Error answers keep the headers the error carries: ``Allow`` on 405, ``Content-Range: bytes */N`` on 416.
- Pages, JSON, XML, feeds and exports are compressed (brotli, else gzip) when the client accepts it.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Optional

from flask import Flask, Response, request
from flask_compress import Compress

OPEN_BLUEPRINTS = frozenset({"api", "oai", "export", "feeds"})
COMPRESSED = ["text/html", "text/css", "text/plain", "text/xml", "application/json", "application/javascript",
              "application/xml", "application/atom+xml", "application/x-bibtex", "application/x-research-info-systems",
              "application/vnd.citationstyles.csl+json", "image/svg+xml"]
_OPEN_METHODS = "GET, HEAD, OPTIONS"


def last_modified(resp: Response, when: Optional[datetime]) -> Response:
    """Set ``Last-Modified`` (UTC, whole seconds) and answer a matching ``If-Modified-Since`` with 304."""
    if when is None:
        return resp
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    resp.last_modified = when.astimezone(timezone.utc).replace(microsecond=0)
    return resp


def _is_open() -> bool:
    return request.blueprint in OPEN_BLUEPRINTS or (request.endpoint or "").startswith(("feeds.", "export."))


def init_app(app: Flask) -> None:
    """Register the validators and the CORS headers, then compression (so validators see the plain body)."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 4)
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", 512)
    Compress(app)           # registered first, so its after_request runs last

    @app.after_request
    def _validators(resp: Response) -> Response:
        if request.method not in ("GET", "HEAD") or resp.status_code != 200 or resp.direct_passthrough \
                or resp.is_streamed:
            return resp
        if request.endpoint == "static":
            return resp
        if not resp.get_etag()[0]:
            resp.set_etag(hashlib.sha256(resp.get_data()).hexdigest()[:32])
        return resp.make_conditional(request)

    @app.after_request
    def _cors(resp: Response) -> Response:
        if _is_open() and request.method in ("GET", "HEAD", "OPTIONS"):
            resp.headers["Access-Control-Allow-Origin"] = "*"
            resp.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Content-Disposition, Retry-After"
            if request.method == "OPTIONS":
                resp.headers["Access-Control-Allow-Methods"] = _OPEN_METHODS
                resp.headers["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since, Range"
                resp.headers["Access-Control-Max-Age"] = "86400"
        return resp
