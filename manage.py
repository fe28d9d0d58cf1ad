#!/usr/bin/env python3
"""Kelisim Archive management: init, ingest, search, reindex, serve, demo, create-user (see --help).

The commands live in ``archive.command``, imported only when this file runs as the program: a child process
started with "forkserver" or "spawn" runs this file again (as ``__mp_main__``) and must not load the web
application for nothing."""

if __name__ == "__main__":
    from archive.command import cli

    cli()
