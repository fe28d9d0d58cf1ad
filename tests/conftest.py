"""Shared fixtures: an app on a temporary data folder, its client and CLI runner, the shared corpus."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import CORPUS, DATA, DEMO, REPO, corpus_path, reset_database, pg_test_url  # noqa: F401


# The packages the import contract keeps away from the archive, and so from its database: their tests run the
# same on every database, so the PostgreSQL pass of scripts/test.sh does not repeat them (marker no_database).
NO_DATABASE_PACKAGES = ("indexer", "uploads", "textlang")


def pytest_collection_modifyitems(config, items):
    tests = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        if len(parts) > 1 and parts[0] in NO_DATABASE_PACKAGES:
            item.add_marker(pytest.mark.no_database)


def pytest_configure(config):
    # The PostgreSQL search backend keeps its tables in this worker's test database, also for tests that
    # build an archive on SQLite.
    if os.environ.get("ARCHIVE_SEARCH_BACKEND") == "postgres" and pg_test_url():
        os.environ["ARCHIVE_SEARCH_DATABASE_URL"] = pg_test_url()   # per xdist worker (not inherited)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def app(data_dir, monkeypatch):
    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    from archive import create_app
    from archive.migrate import upgrade

    config = {"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "test-secret",
              "EXTRACT_TIMEOUT_S": 120, "JOBS_IMMEDIATE": True,
              "RATELIMIT_ENABLED": False,     # tests about limits turn them on themselves
              "OCR_ENABLED": os.environ.get("ARCHIVE_TEST_OCR", "1") == "1"}
    if pg_test_url():
        config["DATABASE_URL"] = pg_test_url()
        reset_database(pg_test_url())   # a clean schema for every test
    application = create_app(config)
    archive = application.extensions["archive"]
    upgrade(archive.db.url)
    yield application
    archive.close()


@pytest.fixture
def archive(app):
    return app.extensions["archive"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
