#!/usr/bin/env python3
"""Kelisim Archive management: init, ingest, search, reindex, serve, demo, create-user (see --help)."""
from flask.cli import FlaskGroup

from archive import create_app


def _create_app(*_args, **_kwargs):
    from archive.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:          # a setting that cannot work: say which, no traceback
        import click

        raise click.ClickException(str(exc)) from exc


class _ArchiveGroup(FlaskGroup):
    """Commands that meet a full disk, a read-only data folder or an unreachable database say so plainly."""

    def invoke(self, ctx):
        from archive.errors import cli_fault_guard

        with cli_fault_guard():
            return super().invoke(ctx)


cli = _ArchiveGroup(create_app=_create_app, add_default_commands=False,
                    help="Kelisim Archive: publications and proceedings in Russian and Kazakh.")

if __name__ == "__main__":
    cli()
