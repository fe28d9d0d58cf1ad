"""The members' and editors' own pages read what they show from indexes (SQLite keeps no statistics here, so a
plan that gathers every row and sorts it grows with the archive: 190 ms for the review page at 30,000 records)."""
from __future__ import annotations

import pytest

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.models import Person, Publication, utcnow
from support import sqlite_plan, statements


@pytest.fixture(autouse=True)
def _sqlite_and_blueprints(archive, app):  # noqa: F811
    if archive.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans")
    from archive.views import people_admin

    if "people_admin" not in app.blueprints:
        app.register_blueprint(people_admin.bp)


@pytest.fixture
def records(archive, users):  # noqa: F811
    with archive.db.session() as s:
        for i in range(30):
            s.add(Publication(kind="article", status="published" if i % 3 else "draft", title=f"Работа {i}",
                              year=2000 + i % 20, published_at=utcnow(), created_by_id=users["member"]))
        s.add_all([Person(name=f"Сейітов {g}", surname="Сейітов", given=g) for g in ("А.", "Арман")])
        s.commit()


def _plan(archive, seen, marker: str) -> str:
    """The plan of the (first) statement holding ``marker``."""
    statement, params = next((st, p) for st, p in seen if marker in st)
    return sqlite_plan(archive.db.engine, statement, params)


@pytest.mark.parametrize("who, path, shown, marker, index, unwanted", [
    # the review page's recently public records: newest first from the datestamp index, not sorted
    ("editor", "/review", "Работа 1", "ORDER BY publications.updated_at DESC", "ix_publications_updated_at",
     "TEMP B-TREE"),
    # a member's dashboard: their own uploads from an index, not a scan of every publication
    ("member", "/dashboard", "Работа 1", "publications.created_by_id =", "ix_publications_created_by",
     "SCAN publications"),
    # the dashboard's totals: each count row's record looked up by its key, not every published id gathered
    ("member", "/dashboard", "Работа 1", "EXISTS (SELECT publications.id", "INTEGER PRIMARY KEY", "LIST SUBQUERY"),
    # possible duplicates: the surname groups from the key's index
    ("editor", "/review/people", "Сейітов Арман", "GROUP BY people.surname_key", "ix_people_surname_key",
     "TEMP B-TREE"),
])
def test_the_page_reads_from_an_index(archive, signed_in, records, who, path, shown, marker, index,  # noqa: F811
                                      unwanted):
    c = signed_in(who)
    with statements(archive.db.engine) as seen:
        page = c.get(path).get_data(as_text=True)
    assert shown in page
    plan = _plan(archive, seen, marker)
    assert index in plan and unwanted not in plan, plan
