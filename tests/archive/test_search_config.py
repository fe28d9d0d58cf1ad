"""Choosing the search backend from the config: the postgres backend's connection string and its errors."""
import pytest

from archive.core import Archive, search_dsn


@pytest.mark.parametrize("config, app_url, expected", [
    ({}, "postgresql+psycopg://arch:s%40cret@db.example:5433/archive?sslmode=require",
     "postgresql://arch:s%40cret@db.example:5433/archive?sslmode=require"),
    ({"SEARCH_DATABASE_URL": "postgres://search@db2/fts"}, "sqlite:///x.sqlite3", "postgresql://search@db2/fts"),
    ({"SEARCH_DATABASE_URL": "postgresql+psycopg://search@db2/fts"}, "postgresql+psycopg://a@db/app",
     "postgresql://search@db2/fts"),
    ({"SEARCH_DATABASE_URL": "host=db2 dbname=fts user=search"}, "", "host=db2 dbname=fts user=search"),
])
def test_search_dsn_is_libpq_form(config, app_url, expected):
    assert search_dsn(config, app_url) == expected


@pytest.mark.parametrize("config, app_url", [({}, "sqlite:////tmp/archive.sqlite3"),
                                             ({"SEARCH_DATABASE_URL": "mysql://x@y/z"}, "sqlite:///a"),
                                             ({"SEARCH_DATABASE_URL": "not a url"}, "")])
def test_search_dsn_without_postgresql_says_what_to_set(config, app_url):
    with pytest.raises(ValueError, match="needs a PostgreSQL database: set SEARCH_DATABASE_URL"):
        search_dsn(config, app_url)


def test_postgres_backend_on_sqlite_archive_stops_at_start(tmp_path):
    with pytest.raises(ValueError, match="SEARCH_DATABASE_URL"):
        Archive({"SEARCH_BACKEND": "postgres", "DATABASE_URL": ""}, tmp_path)


def test_postgres_backend_uses_the_archive_database_by_default(tmp_path):
    from indexer.postgres_backend import PostgresBackend

    archive = Archive({"SEARCH_BACKEND": "postgres", "DATABASE_URL": "postgresql://arch@db.example/archive"}, tmp_path)
    try:
        backend = archive.search                  # opening connects nothing yet
        assert isinstance(backend, PostgresBackend)
        assert backend.dsn == "postgresql://arch@db.example/archive"
    finally:
        archive.close()


def test_environment_selects_postgres_search(monkeypatch, tmp_path):
    from flask import Flask

    from archive.config import load_config

    monkeypatch.setenv("ARCHIVE_SEARCH_BACKEND", "postgres")
    monkeypatch.setenv("ARCHIVE_SEARCH_DATABASE_URL", "postgresql://s@h/d")
    app = Flask("probe", instance_path=str(tmp_path))
    load_config(app)
    assert (app.config["SEARCH_BACKEND"], app.config["SEARCH_DATABASE_URL"]) == ("postgres", "postgresql://s@h/d")


@pytest.mark.parametrize("raw, expected", [("0", False), ("1", True), ("false", False), ("no", False),
                                           ("off", False), ("true", True), ("yes", True), ("on", True)])
def test_environment_booleans_read_as_booleans(monkeypatch, tmp_path, raw, expected):
    from flask import Flask

    from archive.config import load_config

    monkeypatch.setenv("ARCHIVE_JOBS_IMMEDIATE", raw)
    monkeypatch.setenv("ARCHIVE_EXTRACT_TIMEOUT_S", "45")
    app = Flask("probe", instance_path=str(tmp_path))
    load_config(app)
    assert app.config["JOBS_IMMEDIATE"] is expected
    assert app.config["EXTRACT_TIMEOUT_S"] == 45


def test_environment_value_that_cannot_be_read_names_the_variable(monkeypatch, tmp_path):
    from flask import Flask

    from archive.config import ConfigError, load_config

    monkeypatch.setenv("ARCHIVE_EXTRACT_TIMEOUT_S", "soon")
    with pytest.raises(ConfigError, match="ARCHIVE_EXTRACT_TIMEOUT_S"):
        load_config(Flask("probe", instance_path=str(tmp_path)))


def test_cli_says_what_to_set_without_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from support import REPO

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ARCHIVE_SEARCH_DATABASE_URL")}
    env.update(ARCHIVE_DATA_DIR=str(tmp_path), ARCHIVE_SEARCH_BACKEND="postgres")
    out = subprocess.run([sys.executable, "manage.py", "search", "x"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1
    assert "Error: SEARCH_BACKEND=postgres needs a PostgreSQL database" in out.stderr
    assert "Traceback" not in out.stderr


def test_tantivy_counts_facets_aside_only_while_its_process_answers_one_request(tmp_path):
    """The count runs in a thread of its own for a lone request; with others in progress (their hooks run, their
    teardown not yet), in the request's own thread: a dict at once. A request stopped by an earlier hook is
    counted out again all the same."""
    from archive import create_app

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t", "SEARCH_BACKEND": "tantivy",
                      "RATELIMIT_ENABLED": False})
    archive = app.extensions["archive"]
    from indexer.backend import PendingFacets
    from indexer.documents import IndexDocument
    from indexer.query import parse_query

    try:
        backend = archive.search
        backend.update([IndexDocument(id=1, language="ru", titles={"ru": "Миграция"}, year=2015)])
        assert backend.count_aside == archive.serving_one
        seen = []

        def search() -> None:
            r = backend.search(parse_query("миграция"))
            seen.append((archive.serving_one(), isinstance(r.facets, PendingFacets), r.facets["year"]))
            backend._result_cache.clear()

        first = app.test_request_context("/")
        first.push()
        app.preprocess_request()
        search()
        second = app.test_request_context("/")
        second.push()
        app.preprocess_request()
        search()
        second.pop()
        search()
        first.pop()
        assert seen == [(True, True, {"2015": 1}), (False, False, {"2015": 1}), (True, True, {"2015": 1})]
        assert archive._serving == 0
        assert app.test_client().get("/search?q=" + "x" * 100_000).status_code in (200, 400, 414)
        assert archive._serving == 0
    finally:
        archive.close()
