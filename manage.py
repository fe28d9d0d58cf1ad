#!/usr/bin/env python3
"""Kelisim Archive management: init, ingest, search, reindex, serve, demo, create-user (see --help)."""
from flask.cli import FlaskGroup

from archive import create_app


def _create_app(*_args, **_kwargs):
    return create_app()


cli = FlaskGroup(create_app=_create_app, add_default_commands=False,
                 help="Kelisim Archive: publications and proceedings in Russian and Kazakh.")

if __name__ == "__main__":
    cli()
