"""gunicorn as the production server behind ``manage.py serve``."""
from __future__ import annotations

import contextlib
import gc
import inspect
import logging
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import gunicorn.http.wsgi
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.http import message, parser

from .logs import gunicorn_logconfig, setup_logging


logger = logging.getLogger(__name__)

_NON_ASCII = re.compile(rb"[\x80-\xff]")
# What a new worker searches for before it serves (query, interface language): every analyser (Russian, Kazakh in
# both alphabets), the index's searcher, the speller (a misspelled word), the term bridge, the search page's
# template and each interface language's catalogue load then, not in the first readers' requests (0.24-0.30 s the
# first search of each worker, on the 3,000-article archive).
WARM_UP_SEARCHES = (("межэтнические отношения", "ru"), ("қазақ тілі мен мәдениеті", "kk"),
                    ("qazaq tili men mádenieti", "en"), ("толерантнсоть", "ru"))


class _Request(message.Request):
    """gunicorn's request, lenient in one way browsers and ``curl`` need: raw UTF-8 bytes in the request
    target (``GET /search?q=Алматы``) are percent-encoded, as a browser would have sent them, instead of
    being refused with gunicorn's own 400 page. Nothing else about the line is relaxed."""

    def parse_request_line(self, line_bytes):
        method, sp1, rest = bytes(line_bytes).partition(b" ")
        target, sp2, version = rest.rpartition(b" ")
        if sp1 and sp2 and _NON_ASCII.search(target):
            target = _NON_ASCII.sub(lambda m: b"%%%02X" % m.group()[0], target)
            line_bytes = method + b" " + target + b" " + version
        return super().parse_request_line(line_bytes)


# gunicorn writes "Server: gunicorn" into every answer and has no setting for it; naming the server and
# its version helps nobody but someone matching it against a list of known flaws.
SERVER_HEADER = "kelisim"


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict, factory: Callable[[], Flask]) -> None:
        self.options = options
        self.factory = factory
        super().__init__()

    def load_config(self) -> None:
        for k, v in self.options.items():
            self.cfg.set(k, v)
        gunicorn.http.wsgi.SERVER = SERVER_HEADER

    def load(self):
        """The worker's app, warmed up (``warm_up``). What it holds from here on (its modules, the morphology
        dictionaries, the index's searcher: ~140k objects) is moved out of the garbage
        collector's reach: each full collection otherwise walks all of them, a 70-90 ms pause in whichever
        request triggers it."""
        app = self.factory()
        took = warm_up(app)
        if took is not None:
            logger.info("worker warmed up in %.2f s", took)
        gc.collect()
        gc.freeze()
        return app


def warm_up(app: Flask) -> float | None:
    """Render the search page for ``WARM_UP_SEARCHES`` in the app, outside any request: the view itself, not its
    rate limit or search gate (nothing is logged as a request or counted against an address); the seconds taken,
    or None when it failed (logged: the first readers then load what it would have, and the worker serves as
    usual)."""
    view = getattr(app, "view_functions", {}).get("main.search")
    if view is None:
        return None                      # an app without the search page
    view = inspect.unwrap(view)
    t0 = time.perf_counter()
    for q, hl in WARM_UP_SEARCHES:
        try:
            with app.test_request_context("/search", query_string={"q": q, "hl": hl}):
                view()
        except Exception as exc:  # noqa: BLE001 - a worker that could not warm up still serves
            logger.warning("warming up the search page failed (%s: %s); its first readers wait instead",
                           type(exc).__name__, exc)
            return None
    return time.perf_counter() - t0


class PortInUse(OSError):
    """The address ``serve`` was asked to listen on is taken (another server runs there)."""


def claim_port(host: str, port: int) -> None:
    """Fail with ``PortInUse`` when something already listens on ``host:port``.

    The workers bind with ``SO_REUSEPORT`` (``run_gunicorn``), which lets a socket share a port with any other
    ``SO_REUSEPORT`` socket of the same user: a second archive started on the port of a running one would
    otherwise split the connections with it without a word. A plain bind fails where anything listens."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)     # as gunicorn: a closed server's port is free
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(exc.errno, f"{host}:{port} is in use (is another server running there?)") from None
            raise


def run_gunicorn(host: str, port: int, workers: int = 2, threads: int = 4, config=None,
                 factory: Callable[[], Flask] | None = None) -> None:
    """Run gunicorn in this process (blocks). Each worker builds its own app after the fork with ``factory``
    (the app factory that built the calling app).

    The caller checks the port first (``claim_port``: the workers' ``SO_REUSEPORT`` sockets would share a port in
    use). Requests are logged once by the app (``archive.request``, structured); gunicorn's access log is off.
    """
    if factory is None:
        raise ValueError("run_gunicorn needs the app factory")
    setup_logging(config)
    parser.RequestParser.mesg_class = _Request
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
               "timeout": 120, "graceful_timeout": 20, "accesslog": None, "preload_app": False,
               # Each worker binds a listening socket of its own (gunicorn >= 23 with ``reuse_port``) and the kernel
               # spreads new connections over them by a hash of each. On one socket shared by all, every idle
               # worker was woken for a connection and the one that last went to sleep took it: a burst of
               # keep-alive connections (eight browsers' or load clients') could all land on one worker, served on
               # one core while the other idled (measured: 195 searches/s where a spread run gives ~410, one run
               # in four). The CLI's ``claim_port`` keeps a second server off a port in use.
               "reuse_port": True,
               # A worker's socket is made at its fork, before its app is loaded: connections the kernel gives a
               # booting worker wait for it (0.5-1.5 s). Made once loaded instead (tried 2026-12-05), a reload (HUP:
               # the old workers stop at once) left no socket until a new worker was ready: connections were refused.
               # gunicorn >= 25.1 opens a control socket at one path per user ($XDG_RUNTIME_DIR or ~/.gunicorn/
               # gunicorn.ctl): a second server of the same user (another archive, a test) takes that path over, and
               # "gunicornc reload" or "worker kill" would then reach whichever started last. Signals remain (HUP
               # reloads, TERM stops; docs/deploy.md).
               "control_socket_disable": True,
               # gunicorn's own "Listening at:" line names the master's sockets, of which there are none then
               # (``logs.QuietGunicorn`` drops it)
               "when_ready": lambda server: server.log.info(
                   "Listening at: http://%s:%s (a socket for each worker)", f"[{host}]" if ":" in host else host,
                   port),
               # the longest request line gunicorn reads: longer query strings than MAX_QUERY_STRING then
               # reach the app, which refuses them with a page a person can read
               "limit_request_line": 8190,
               "logconfig_dict": gunicorn_logconfig(config)}, factory).run()


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies, whatever kills it (SIGKILL or
    the OOM killer skip the parent's ``finally``), so no job worker is left running alone."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG


@contextlib.contextmanager
def manage_child(enabled: bool, *args: str) -> Iterator[None]:
    """``manage.py ARGS`` as a child process for as long as the block runs (a job worker beside the server,
    the slow lane beside the quick one); nothing when not ``enabled``."""
    proc = None
    if enabled:
        manage = Path(__file__).resolve().parent.parent / "manage.py"
        proc = subprocess.Popen([sys.executable, str(manage), *args],  # nosec B603 - our own script, fixed args
                                preexec_fn=_die_with_parent)
    try:
        yield
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
