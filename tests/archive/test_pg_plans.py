"""PostgreSQL's plans for the browse and publication pages' statements: what is read by key stays read by key
when the archive is large (EXPLAIN on a database of its own with 6,000 publications and their statistics)."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, insert, select, text

from archive.migrate import upgrade
from archive.models import Publication, PublicationTopic, Topic
from support import reset_database, scratch_pg_url, statements

pytestmark = pytest.mark.own_databases

N = 6000


def _published_at(i: int) -> datetime:
    return datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=(i * 7919) % N)


@pytest.fixture(scope="module")
def pg_archive():
    from sqlalchemy.orm import Session

    url = scratch_pg_url("plans")
    reset_database(url)
    upgrade(url)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        topic = conn.execute(insert(Topic).values(slug="demography", label_ru="Д", label_kk="Д", label_en="D")
                             .returning(Topic.id)).scalar()
        conn.execute(insert(Publication), [
            {"id": i, "kind": "article", "status": "published", "title": f"t{i}", "language": "ru",
             "year": 1990 + i % 30, "duplicate_of_id": i - 1 if i % 40 == 0 else None, "titles": {}, "abstracts": {},
             "keywords": [], "extra": {}, "published_at": _published_at(i)} for i in range(1, N + 1)])
        conn.execute(insert(PublicationTopic), [{"publication_id": i, "topic_id": topic, "year": 1990 + i % 30,
                                                 "suggested": i % 2 == 0, "published_at": _published_at(i)}
                                                for i in range(1, N + 1, 3)])
        conn.execute(text("ANALYZE"))
    with Session(engine) as session:
        yield engine, session, session.get(Topic, topic)
    engine.dispose()


def _plans(engine, run) -> list[str]:
    with statements(engine) as seen:
        run()
    with engine.connect() as conn:
        return ["\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + st, p)) for st, p in seen
                if st.lstrip().startswith("SELECT")]


def test_a_duplicates_original_is_looked_up_by_key_not_gathered_into_a_hashed_list(pg_archive):
    """PostgreSQL turned the "not a copy of a published publication" test into a hashed subplan: every published
    id read once a statement (21 ms at 40,000 for a page of 50)."""
    from archive.services import browse, related

    engine, session, topic = pg_archive
    plans = _plans(engine, lambda: (
        browse.listing_page(session, browse.field_scope(session, "kind", "article")),
        browse.listing_page(session, browse.topic_scope(session, topic), after=3001),
        related.related_publications(session, session.get(Publication, 3001))))
    listed = [p for p in plans if "publications_1.id = publications.duplicate_of_id" in p or "SubPlan" in p]
    assert len(listed) >= 3, plans
    for plan in plans:
        assert "hashed SubPlan" not in plan and "Seq Scan on publications" not in plan, plan
    assert session.scalar(select(Publication.id).where(Publication.id == 40, browse.PUBLISHED)) is None


def test_a_topic_feed_reads_its_newest_links_from_an_index(pg_archive):
    """The topic feed: newest confirmed links walked from (topic, suggested, published_at), not every link of the
    topic gathered and sorted; the entries are the newest published records of the topic."""
    from archive.services import feeds

    engine, session, topic = pg_archive
    found = []
    plans = _plans(engine, lambda: found.append(feeds.topic_feed(session, "demography", 20)))
    plan = next(p for p in plans if "publication_topics" in p)
    assert "ix_publication_topics_topic_published" in plan and "Sort" not in plan, plan
    linked = [i for i in range(1, N + 1, 3) if i % 2]           # the confirmed links (all records published)
    expected = sorted(linked, key=lambda i: (_published_at(i), i), reverse=True)[:20]
    assert [p.id for p in found[0][1]] == expected
