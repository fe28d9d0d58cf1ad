"""The migrations build exactly the tables the models describe (SQLite and PostgreSQL), and a migration that
adds derived columns fills them for the rows already there."""
import pytest
from sqlalchemy import create_engine, text

from archive.collation import initial, sort_name
from archive.migrate import upgrade
from archive.models import Base
from support import reset_database, scratch_pg_url

pytestmark = pytest.mark.own_databases


def _fresh_pg() -> str:
    url = scratch_pg_url("schema")
    reset_database(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'archive.db'}" if request.param == "sqlite" else _fresh_pg()


def _engine(url: str):
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def test_migrated_tables_are_those_the_models_describe(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(db_url)
    eng = _engine(db_url)
    try:
        with eng.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    finally:
        eng.dispose()
    assert diff == []


def test_people_already_there_get_their_index_letter_and_sort_name(db_url):
    names = ["Әбдіхалықұлы Н.С.", "Абдрахманова Р.Т.", "Ivanov A.B.", "東京", ""]
    upgrade(db_url, "0007")
    eng = _engine(db_url)
    try:
        with eng.begin() as conn:
            for name in names:
                conn.execute(text("INSERT INTO people (name, surname, given, name_latin, name_key, degree, position, "
                                  "institution, bio, press_contact, press_contact_agreed, is_member, created_at, "
                                  "updated_at) VALUES (:n, '', '', '', '', '', '', '', '', '', false, false, "
                                  "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"n": name})
        upgrade(db_url)
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT name, index_letter, sort_name FROM people ORDER BY sort_name, id")).all()
    finally:
        eng.dispose()
    assert [(n, letter, key) for n, letter, key in rows] == sorted(
        ((n, initial(n), sort_name(n)) for n in names), key=lambda r: r[2])
    assert [r[0] for r in rows][:3] == ["Абдрахманова Р.Т.", "Әбдіхалықұлы Н.С.", "Ivanov A.B."]


def _row(conn, table: str, **given) -> int:
    """Insert a row of ``table`` as the database has it now: ``given`` and a plain value for each other column that
    must have one; its id."""
    import datetime

    from sqlalchemy import inspect as reflect

    values = dict(given)
    for col in reflect(conn).get_columns(table):
        if col["name"] in values or col["nullable"] or col.get("default") is not None or col["name"] == "id":
            continue
        kind = str(col["type"]).upper()
        values[col["name"]] = (datetime.datetime(2026, 1, 1) if "TIME" in kind else False if "BOOL" in kind
                               else 0 if "INT" in kind or "FLOAT" in kind or "REAL" in kind
                               else "{}" if "JSON" in kind else "")
    names = ", ".join(values)
    marks = ", ".join(f":{n}" for n in values)
    returning = " RETURNING id" if "id" in {c["name"] for c in reflect(conn).get_columns(table)} else ""
    result = conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({marks}){returning}"), values)  # noqa: S608
    return result.scalar() if returning else 0


def _filled_by_migration(db_url: str, before: str, add, query: str) -> list:
    """Rows ``add(conn)`` writes into a database migrated to ``before``, then read back by ``query`` after the
    migrations from there to the head."""
    upgrade(db_url, before)
    eng = _engine(db_url)
    try:
        with eng.begin() as conn:
            add(conn)
        upgrade(db_url)
        with eng.connect() as conn:
            return list(conn.execute(text(query)).all())
    finally:
        eng.dispose()


def test_topic_links_already_there_get_their_publications_year(db_url):
    pubs: dict = {}

    def add(conn) -> None:
        topic = _row(conn, "topics", slug="demography", label_ru="Демография")
        pubs.update({year: _row(conn, "publications", title=f"p{year}", year=year, status="published")
                     for year in (2019, 2024, None)})
        for pub in pubs.values():
            _row(conn, "publication_topics", publication_id=pub, topic_id=topic)

    links = dict(_filled_by_migration(db_url, "0009", add, "SELECT publication_id, year FROM publication_topics"))
    assert links == {pub: year for year, pub in pubs.items()}


def test_people_already_there_get_their_surname_key(db_url):
    from archive.names import person_surname_key

    people = [("Байжанұлы Қайрат", "Байжанұлы"), ("Байжанов Қ.", "Байжанов"), ("Ivanov A.B.", ""),
              ("А.Б. Иванов", ""), ("", "")]

    def add(conn) -> None:
        for name, surname in people:
            _row(conn, "people", name=name, surname=surname)

    keys = dict(_filled_by_migration(db_url, "0011", add, "SELECT name, surname_key FROM people"))
    assert keys == {name: person_surname_key(name, surname) for name, surname in people}
    assert keys["Байжанұлы Қайрат"] == keys["Байжанов Қ."] and keys["Ivanov A.B."] == keys["А.Б. Иванов"] != ""


def test_topic_links_already_there_get_their_publications_time(db_url):
    import datetime

    when = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
    pubs: dict = {}

    def add(conn) -> None:
        topic = _row(conn, "topics", slug="demography", label_ru="Демография")
        pubs.update({"published": _row(conn, "publications", title="p", status="published", published_at=when),
                     "draft": _row(conn, "publications", title="d", status="draft", published_at=None)})
        for pub in pubs.values():
            _row(conn, "publication_topics", publication_id=pub, topic_id=topic)

    links = dict(_filled_by_migration(db_url, "0012", add,
                                      "SELECT publication_id, published_at FROM publication_topics"))
    stamp = links[pubs["published"]]
    stamp = datetime.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    assert stamp.replace(tzinfo=stamp.tzinfo or datetime.timezone.utc) == when
    assert links[pubs["draft"]] is None
