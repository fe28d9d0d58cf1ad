"""`manage.py demo` loads the project's own content; every probe query in demo/manifest.json finds
its expected files (the demo doubles as an end-to-end search fixture)."""
import json

import pytest
from sqlalchemy import select

from archive.models import Publication
from archive.search import run_search
from support import REPO, pg_test_url, reset_database

MANIFEST = json.loads((REPO / "demo" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    from archive import create_app

    url = pg_test_url()
    reset_database(url)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("demo")), "SECRET_KEY": "t",
                      "DATABASE_URL": url})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "error" not in result.output, result.output
    yield app
    app.extensions["archive"].close()


def _files_of(archive, session, pub: Publication) -> str:
    return pub.source_file.original_name if pub.source_file else ""


def test_demo_loads_every_file(demo_app):
    archive = demo_app.extensions["archive"]
    with archive.db.session() as s:
        names = {p.source_file.original_name for p in s.scalars(select(Publication)) if p.source_file}
    assert names == {f["file"] for f in MANIFEST["files"]}


@pytest.mark.parametrize("probe", MANIFEST["probe_queries"], ids=lambda p: f"{p['kind']}:{p['query']}")
def test_probe_query_finds_expected_files(demo_app, probe):
    archive = demo_app.extensions["archive"]
    with demo_app.test_request_context(), archive.db.session() as s:
        r = run_search(archive, s, probe["query"], limit=50)
        found = {h.publication.source_file.original_name for h in r.hits}
        # one work, one result: another file of a work that was found (its copy) counts as found
        ids = {h.publication.id for h in r.hits} | {h.publication.duplicate_of_id for h in r.hits}
        copies = s.scalars(select(Publication).where(Publication.duplicate_of_id.in_(ids) | Publication.id.in_(ids)))
        found |= {_files_of(archive, s, p) for p in copies}
    missing = set(probe["expected"]) - found
    assert not missing, f"{probe['query']!r} missed {missing}; found {found}"
