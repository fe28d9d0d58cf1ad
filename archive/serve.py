"""gunicorn as the production server behind ``manage.py serve``."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for k, v in self.options.items():
            self.cfg.set(k, v)

    def load(self):
        from archive import create_app

        return create_app()


def run_gunicorn(host: str, port: int, workers: int = 2, threads: int = 4, config=None) -> None:
    """Run gunicorn in this process (blocks). Each worker builds its own app after the fork.

    Requests are logged once by the app (``archive.request``, structured); gunicorn's access log is off.
    """
    from archive.logs import gunicorn_logconfig, setup_logging

    setup_logging(config)
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
               "timeout": 120, "graceful_timeout": 20, "accesslog": None, "preload_app": False,
               "logconfig_dict": gunicorn_logconfig(config)}).run()
