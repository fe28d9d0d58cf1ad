"""The ``manage.py`` command group: the Flask CLI with the archive's app factory and plain fault messages.

Kept out of ``manage.py`` itself, which imports it only when it runs as the program: a child process started
with "forkserver" or "spawn" (the index analysis, an extraction) runs its parent's main file again, as
``__mp_main__``, before its first task, and importing Flask and the web application there cost each child
1.2 s of CPU."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup

from . import create_app
from .config import ConfigError
from .errors import cli_fault_guard


def _create_app(*_args, **_kwargs):
    try:
        return create_app()
    except ConfigError as exc:          # a setting that cannot work: say which, no traceback
        raise click.ClickException(str(exc)) from exc


class _ArchiveGroup(FlaskGroup):
    """Commands that meet a full disk, a read-only data folder or an unreachable database say so plainly."""

    def invoke(self, ctx):
        with cli_fault_guard():
            return super().invoke(ctx)


cli = _ArchiveGroup(create_app=_create_app, add_default_commands=False,
                    help="Kelisim Archive: publications and proceedings in Russian and Kazakh.")
