"""Sitemaps (and the sitemap index), robots.txt and the Atom feeds."""
from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from archive.models import Authorship, Publication, PublicationTopic, Topic, Volume, utcnow
from support import KK_ARTICLE, RU_ARTICLE, make_pdf, sqlite_plan, statements

BASE = "https://archive.example.kz"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


@pytest.fixture
def feeds_app(app):
    from archive.views import export, feeds, oai

    for module in (oai, feeds, export):
        if module.bp.name not in app.blueprints:
            app.register_blueprint(module.bp)
    app.config["PUBLIC_BASE_URL"] = BASE
    return app


@pytest.fixture
def client(feeds_app):
    return feeds_app.test_client()


@pytest.fixture
def loaded(archive, tmp_path: Path) -> dict[str, int]:
    from archive.services.ingest import ingest_file

    ids = {
        "ru": ingest_file(archive, make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf", publish=True),
        "kk": ingest_file(archive, make_pdf(tmp_path / "kk.pdf", KK_ARTICLE), "kk.pdf", publish=True),
        "gone": ingest_file(archive, make_pdf(tmp_path / "g.pdf", ["ОТОЗВАННАЯ СТАТЬЯ\nТекст отозванной статьи."]),
                            "g.pdf", publish=True),
        "draft": ingest_file(archive, make_pdf(tmp_path / "d.pdf", ["ЧЕРНОВИК\nЕщё не опубликован."]), "d.pdf"),
    }
    ids = {k: v.publication_ids[0] for k, v in ids.items()}
    with archive.db.session() as s:
        gone = s.get(Publication, ids["gone"])
        gone.status, gone.withdrawn_at = "withdrawn", utcnow()
        vol = Volume(title="Сборник <материалов> & тезисов", place="Алматы", year=2019)
        # The vocabulary is seeded at ingest; start the topic's assignments from a known state.
        topic = s.query(Topic).filter_by(slug="language-policy").one_or_none()
        if topic is None:
            topic = Topic(slug="language-policy", label_ru="Языковая политика", label_kk="Тіл саясаты",
                          label_en="Language policy")
        s.add_all([vol, topic])
        s.flush()
        s.query(PublicationTopic).filter_by(topic_id=topic.id).delete()
        ru = s.get(Publication, ids["ru"])
        ru.volume_id = vol.id
        s.add(PublicationTopic(publication_id=ids["kk"], topic_id=topic.id, suggested=False))
        s.add(PublicationTopic(publication_id=ids["ru"], topic_id=topic.id, suggested=True))
        ids["volume"] = vol.id
        ids["person"] = s.query(Authorship).filter_by(publication_id=ids["ru"]).one().person_id
        s.commit()
    return ids


def urls(root: etree._Element) -> list[str]:
    return [u.findtext(f"{SM}loc") for u in root.iter(f"{SM}url")]


def test_sitemap_lists_published_landing_pages_with_lastmod(client, loaded):
    r = client.get("/sitemap.xml")
    assert r.status_code == 200 and r.mimetype == "application/xml"
    root = etree.fromstring(r.data)
    assert root.tag == f"{SM}urlset"
    assert urls(root) == [f"{BASE}/", f"{BASE}/p/{loaded['ru']}", f"{BASE}/p/{loaded['kk']}"]
    assert all(RFC3339.fullmatch(u.findtext(f"{SM}lastmod")) for u in root.iter(f"{SM}url"))


def test_sitemap_index_past_the_limit(feeds_app, client, loaded):
    feeds_app.config["SITEMAP_MAX_URLS"] = 2
    root = etree.fromstring(client.get("/sitemap.xml").data)
    assert root.tag == f"{SM}sitemapindex"
    parts = [s.findtext(f"{SM}loc") for s in root.iter(f"{SM}sitemap")]
    assert parts == [f"{BASE}/sitemap-1.xml", f"{BASE}/sitemap-2.xml"]
    assert all(RFC3339.fullmatch(s.findtext(f"{SM}lastmod")) for s in root.iter(f"{SM}sitemap"))
    got = []
    for n in (1, 2):
        part = etree.fromstring(client.get(f"/sitemap-{n}.xml").data)
        assert part.tag == f"{SM}urlset" and 1 <= len(urls(part)) <= 2
        got += urls(part)
    assert got == [f"{BASE}/", f"{BASE}/p/{loaded['ru']}", f"{BASE}/p/{loaded['kk']}"]
    assert client.get("/sitemap-3.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_sitemap_text_is_escaped_and_dated_from_each_record(feeds_app, client, archive, loaded):
    """The urlset is written as text: the base URL escaped (and cleaned of what XML forbids), each lastmod the
    record's own last change in UTC."""
    feeds_app.config["PUBLIC_BASE_URL"] = "https://ex.org/a&b\x01<c>"
    root = etree.fromstring(client.get("/sitemap.xml").data)
    assert urls(root)[1] == f"https://ex.org/a&b<c>/p/{loaded['ru']}"
    with archive.db.session() as s:
        changed = s.get(Publication, loaded["kk"]).updated_at
    lastmod = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.iter(f"{SM}url")}
    assert lastmod[f"https://ex.org/a&b<c>/p/{loaded['kk']}"] == changed.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_sitemap_index_lastmod_follows_an_indexed_change(feeds_app, client, archive, loaded):
    """Each part's lastmod is kept per search index generation: a change, once indexed, shows."""
    from datetime import datetime

    from archive.services import indexing

    feeds_app.config["SITEMAP_MAX_URLS"] = 2

    def lastmods() -> list[str]:
        return [x.findtext(f"{SM}lastmod") for x in etree.fromstring(client.get("/sitemap.xml").data)
                .iter(f"{SM}sitemap")]

    before = lastmods()
    with archive.db.session() as s:
        s.get(Publication, loaded["kk"]).updated_at = datetime(2031, 5, 4, 3, 2, 1)
        indexing.enqueue(s, [loaded["kk"]])
        s.commit()
    indexing.index_after_commit(archive)
    after = lastmods()
    assert after[1] == "2031-05-04T03:02:01Z" and after[1] != before[1]
    # Part 1 holds the home page, whose lastmod is the archive's latest change.
    assert after[0] == "2031-05-04T03:02:01Z"


def test_sitemap_parts_are_id_ranges_a_record_keeps(feeds_app, client, archive, loaded):
    """Part n holds the published records with ids in [(n - 1) × limit, n × limit): publishing or withdrawing a
    record never moves another to a different part, a part without a published record is neither listed nor
    served, and absurd part numbers are 404."""
    feeds_app.config["SITEMAP_MAX_URLS"] = 2

    def part_of() -> dict[str, int]:
        index = etree.fromstring(client.get("/sitemap.xml").data)
        out = {}
        for sm in index.iter(f"{SM}sitemap"):
            n = int(re.search(r"sitemap-(\d+)\.xml$", sm.findtext(f"{SM}loc")).group(1))
            r = client.get(f"/sitemap-{n}.xml")
            assert r.status_code == 200
            out.update({u: n for u in urls(etree.fromstring(r.data))})
        return out

    ru, kk, gone = (f"{BASE}/p/{loaded[k]}" for k in ("ru", "kk", "gone"))
    limit = 2
    before = part_of()
    assert before[f"{BASE}/"] == 1
    assert before[ru] == loaded["ru"] // limit + 1 and before[kk] == loaded["kk"] // limit + 1
    assert gone not in before
    with archive.db.session() as s:                      # the withdrawn record comes back, the Russian one goes
        s.get(Publication, loaded["gone"]).status = "published"
        s.get(Publication, loaded["ru"]).status = "withdrawn"
        s.commit()
    from archive.services import indexing
    with archive.db.session() as s:
        indexing.enqueue(s, [loaded["gone"], loaded["ru"]])
        s.commit()
    indexing.index_after_commit(archive)
    after = part_of()
    assert ru not in after and after[gone] == loaded["gone"] // limit + 1 and after[kk] == before[kk]
    empty = [n for n in range(2, 8) if all(loaded[k] // limit + 1 != n for k in ("kk", "gone"))]
    assert empty and all(client.get(f"/sitemap-{n}.xml").status_code == 404 for n in empty)
    for n in (0, 2**62, 10**30):
        assert client.get(f"/sitemap-{n}.xml").status_code == 404


def test_a_sitemap_part_reads_its_id_range_from_the_primary_key(feeds_app, client, archive, loaded):
    """A part's records come from a range of the primary key, not an offset over every published record."""
    if archive.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    feeds_app.config["SITEMAP_MAX_URLS"] = 2
    with statements(archive.db.engine) as seen:
        assert client.get(f"/sitemap-{loaded['kk'] // 2 + 1}.xml").status_code == 200
    (statement, params), = [(st, p) for st, p in seen if "publications.id >=" in st]
    assert "OFFSET" not in statement.upper()
    plan = sqlite_plan(archive.db.engine, statement, params)
    assert "INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in plan and "ix_publications_status" not in plan, plan


def test_robots_allows_all_with_absolute_sitemap(client):
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert "User-agent: *" in text and "Disallow: /\n" not in text
    assert f"Sitemap: {BASE}/sitemap.xml" in text


def test_without_public_base_url_the_request_host_is_used(feeds_app, loaded):
    feeds_app.config["PUBLIC_BASE_URL"] = ""
    c = feeds_app.test_client()
    text = c.get("/robots.txt", base_url="https://mirror.example.org").get_data(as_text=True)
    assert "Sitemap: https://mirror.example.org/sitemap.xml" in text
    root = etree.fromstring(c.get("/sitemap.xml", base_url="https://mirror.example.org").data)
    assert all(u.startswith("https://mirror.example.org/") for u in urls(root))


def check_atom(resp) -> etree._Element:
    """What RFC 4287 requires of a feed and its entries."""
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    root = etree.fromstring(resp.data)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1 and root.findtext(f"{ATOM}{name}")
    assert RFC3339.fullmatch(root.findtext(f"{ATOM}updated"))
    selfs = [ln for ln in root.findall(f"{ATOM}link") if ln.get("rel") == "self"]
    assert len(selfs) == 1 and selfs[0].get("href").startswith(BASE + "/feeds/")
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    for e in root.findall(f"{ATOM}entry"):
        assert e.findtext(f"{ATOM}id").startswith(BASE + "/p/")
        assert e.findtext(f"{ATOM}title") and RFC3339.fullmatch(e.findtext(f"{ATOM}updated"))
        link = e.find(f"{ATOM}link")
        assert link.get("rel") == "alternate" and link.get("href") == e.findtext(f"{ATOM}id")
    return root


def entry_ids(root: etree._Element) -> list[str]:
    return [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]


def test_new_feed(client, loaded):
    root = check_atom(client.get("/feeds/new.atom"))
    assert root.findtext(f"{ATOM}id") == f"{BASE}/feeds/new.atom"
    assert sorted(entry_ids(root)) == sorted([f"{BASE}/p/{loaded['ru']}", f"{BASE}/p/{loaded['kk']}"])
    ru = next(e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}id").endswith(f"/p/{loaded['ru']}"))
    assert ru.findtext(f"{ATOM}author/{ATOM}name") == "Иванова, М. П."
    summary = ru.find(f"{ATOM}summary")
    assert "языковой политике" in summary.text and summary.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"


def test_new_feed_reads_the_newest_from_an_index(client, archive, loaded):
    """Newest first from the published_at index until the feed is full, not every published publication gathered
    by the status index and sorted (SQLite's plan without statistics: "USE TEMP B-TREE FOR ORDER BY")."""
    if archive.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    with statements(archive.db.engine) as seen:
        check_atom(client.get("/feeds/new.atom"))
    (statement, params), = [(st, p) for st, p in seen if "ORDER BY publications.published_at DESC" in st]
    plan = sqlite_plan(archive.db.engine, statement, params)
    assert "ix_publications_published_at" in plan and "TEMP B-TREE" not in plan, plan


def test_sitemap_reads_the_last_change_from_an_index(client, archive, loaded):
    """The home page's lastmod: the newest change read from the updated_at index, not max() over every published
    publication gathered by the status index."""
    if archive.db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan")
    with statements(archive.db.engine) as seen:
        client.get("/sitemap.xml")
    (statement, params), = [(st, p) for st, p in seen if "ORDER BY publications.updated_at DESC" in st]
    plan = sqlite_plan(archive.db.engine, statement, params)
    assert "ix_publications_updated_at" in plan and "ix_publications_status" not in plan, plan


def test_volume_topic_and_person_feeds(client, loaded):
    root = check_atom(client.get(f"/feeds/volume/{loaded['volume']}.atom"))
    assert entry_ids(root) == [f"{BASE}/p/{loaded['ru']}"]
    assert "Сборник <материалов> & тезисов" in root.findtext(f"{ATOM}title")          # escaped, parsed back
    root = check_atom(client.get("/feeds/topic/language-policy.atom"))
    assert entry_ids(root) == [f"{BASE}/p/{loaded['kk']}"]                                # suggested ones left out
    root = check_atom(client.get(f"/feeds/person/{loaded['person']}.atom"))
    assert entry_ids(root) == [f"{BASE}/p/{loaded['ru']}"]


@pytest.mark.parametrize("path", ["/feeds/volume/9999.atom", "/feeds/topic/nope.atom", "/feeds/person/9999.atom"])
def test_unknown_feed_targets_are_404(client, path):
    assert client.get(path).status_code == 404


def test_feeds_work_on_an_empty_archive(client):
    root = check_atom(client.get("/feeds/new.atom"))
    assert root.findall(f"{ATOM}entry") == []
    assert urls(etree.fromstring(client.get("/sitemap.xml").data)) == [f"{BASE}/"]


def test_topic_feed_is_its_newest_confirmed_published_records_read_from_the_links(feeds_app, client, archive, loaded):
    """The topic feed's entries are the topic's published records with a confirmed link, newest publication first,
    as before; the links keep their publication's time when it is published later (the feed reads it from them)
    and a migration fills it for links already there (test_schema). On SQLite the statement walks the new index
    and sorts nothing."""
    from datetime import timedelta

    base = utcnow()
    with archive.db.session() as s:
        topic = s.query(Topic).filter_by(slug="demography").one_or_none()
        if topic is None:
            topic = Topic(slug="demography", label_ru="Демография", label_kk="Демография", label_en="Demography")
            s.add(topic)
        pubs = [Publication(kind="article", status="draft", title=f"Статья {i}", language="ru") for i in range(12)]
        s.add_all(pubs)
        s.flush()
        s.query(PublicationTopic).filter_by(topic_id=topic.id).delete()
        s.add_all([PublicationTopic(publication_id=p.id, topic_id=topic.id, suggested=(i == 3))
                   for i, p in enumerate(pubs)])
        s.commit()                                  # linked as drafts: no publication time on the links yet
        for i, p in enumerate(pubs):
            if i != 5:                              # one stays a draft, one is withdrawn, one link only suggested
                p.status = "withdrawn" if i == 7 else "published"
                p.published_at = base - timedelta(hours=(i * 7) % 12)    # an order unlike their ids
        s.commit()
        expected = [p.id for p in sorted((p for i, p in enumerate(pubs) if p.status == "published" and i != 3),
                                         key=lambda p: (p.published_at, p.id), reverse=True)]
    assert len(expected) == 9
    feeds_app.config["FEED_SIZE"] = 5
    with statements(archive.db.engine) as seen:
        root = check_atom(client.get("/feeds/topic/demography.atom"))
    assert entry_ids(root) == [f"{BASE}/p/{i}" for i in expected[:5]]
    parsed = feedparser.parse(client.get("/feeds/topic/demography.atom").data)        # an outside reader agrees
    assert parsed.bozo == 0 and [e.id for e in parsed.entries] == entry_ids(root)
    if archive.db.engine.dialect.name == "sqlite":
        (statement, params), = [(st, p) for st, p in seen if "publication_topics.published_at DESC" in st]
        plan = sqlite_plan(archive.db.engine, statement, params)
        assert "ix_publication_topics_topic_published" in plan and "TEMP B-TREE" not in plan, plan
