"""Views and downloads: crawlers, editors and HEAD requests are not counted; sums per person and volume."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.models import Authorship, Person, Publication, StoredFile, UsageCount, Volume, utcnow
from archive.services import usage

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(autouse=True)
def _blueprint(app):  # noqa: F811
    from archive.views import dashboard

    if "dashboard" not in app.blueprints:
        app.register_blueprint(dashboard.bp)
    return app


@pytest.fixture
def world(archive):
    """A volume with its book record and two articles by Alpha (one with Beta), and a PDF on article 1."""
    with archive.db.session() as s:
        sha, _new = archive.files.put_bytes(b"%PDF-1.4\n% a tiny test file\n%%EOF\n")
        sf = StoredFile(sha256=sha, original_name="a1.pdf", size=30, mime="application/pdf")
        alpha, beta = Person(name="Альфа А.А."), Person(name="Бета Б.Б.")
        vol = Volume(title="Сборник")
        s.add_all([sf, alpha, beta, vol])
        s.flush()
        book = Publication(kind="volume", status="published", title="Сборник", volume_id=vol.id,
                           published_at=utcnow())
        s.add(book)
        s.flush()
        a1 = Publication(kind="article", status="published", title="Статья один", volume_id=vol.id,
                         parent_id=book.id, article_file_id=sf.id, published_at=utcnow(), year=2021)
        a2 = Publication(kind="article", status="published", title="Статья два", volume_id=vol.id,
                         parent_id=book.id, published_at=utcnow(), year=2022)
        other = Publication(kind="report", status="published", title="Отчёт", published_at=utcnow())
        s.add_all([a1, a2, other])
        s.flush()
        a1.authorships.append(Authorship(person=alpha, position=1, name_as_printed="Альфа А.А."))
        a1.authorships.append(Authorship(person=beta, position=2, name_as_printed="Бета Б.Б."))
        a2.authorships.append(Authorship(person=alpha, position=1, name_as_printed="Альфа А.А."))
        s.commit()
        return {"volume": vol.id, "book": book.id, "a1": a1.id, "a2": a2.id, "other": other.id,
                "alpha": alpha.id, "beta": beta.id}


def _counts(archive, pub_id):
    with archive.db.session() as s:
        return usage.totals_for_publication(s, pub_id)


def test_anonymous_reader_is_counted_crawler_and_head_are_not(app, archive, world):  # noqa: F811
    c = app.test_client()
    assert c.get(f"/p/{world['a1']}", headers={"User-Agent": BROWSER}).status_code == 200
    assert c.get(f"/p/{world['a1']}", headers={"User-Agent": BROWSER}).status_code == 200
    assert c.get(f"/p/{world['a1']}", headers={"User-Agent": GOOGLEBOT}).status_code == 200
    assert c.get(f"/p/{world['a1']}", headers={"User-Agent": ""}).status_code == 200
    assert c.head(f"/p/{world['a1']}", headers={"User-Agent": BROWSER}).status_code == 200
    assert _counts(archive, world["a1"]) == usage.Totals(views=2, downloads=0)
    r = c.get(f"/p/{world['a1']}/article.pdf", headers={"User-Agent": BROWSER})
    assert r.status_code == 200
    c.get(f"/p/{world['a1']}/article.pdf", headers={"User-Agent": GOOGLEBOT})
    # a PDF viewer's later range request is part of the same download
    assert c.get(f"/p/{world['a1']}/article.pdf", headers={"User-Agent": BROWSER, "Range": "bytes=10-20"}
                 ).status_code == 206
    assert _counts(archive, world["a1"]) == usage.Totals(views=2, downloads=1)
    page = c.get(f"/p/{world['a1']}", headers={"User-Agent": GOOGLEBOT}).get_data(as_text=True)
    assert "Views: 2" in page and "Downloads: 1" in page
    with archive.db.session() as s:      # one row per publication, day and kind; nothing else kept
        rows = list(s.scalars(select(UsageCount).where(UsageCount.publication_id == world["a1"])))
        assert sorted((r.kind, r.count) for r in rows) == [("download", 1), ("view", 2)]
        assert {c.name for c in UsageCount.__table__.columns} == {"id", "publication_id", "day", "kind", "count"}


def test_editors_and_admins_are_not_counted_members_are(app, archive, world, signed_in):  # noqa: F811
    for who in ("editor", "admin"):
        assert signed_in(who).get(f"/p/{world['a2']}", headers={"User-Agent": BROWSER}).status_code == 200
    assert _counts(archive, world["a2"]).views == 0
    signed_in("member").get(f"/p/{world['a2']}", headers={"User-Agent": BROWSER})
    assert _counts(archive, world["a2"]).views == 1


def test_counting_failure_never_breaks_the_page(app, archive, world, monkeypatch):  # noqa: F811
    def boom(*a, **kw):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(usage, "record", boom)
    assert app.test_client().get(f"/p/{world['a1']}", headers={"User-Agent": BROWSER}).status_code == 200


def test_record_upserts_and_sums_per_person_and_volume(archive, world):
    day = date(2025, 3, 1)
    with archive.db.session() as s:
        for _ in range(3):
            assert usage.record(s, world["a1"], "view", BROWSER, None, day=day)
        usage.record(s, world["a1"], "view", BROWSER, None, day=day + timedelta(days=1))
        usage.record(s, world["a1"], "download", BROWSER, None, day=day)
        usage.record(s, world["a2"], "view", BROWSER, None, day=day)
        usage.record(s, world["book"], "download", BROWSER, None, day=day)
        usage.record(s, world["other"], "view", BROWSER, None, day=day)
        assert not usage.record(s, world["a2"], "view", BROWSER, None, method="HEAD", day=day)
        with pytest.raises(ValueError):
            usage.record(s, world["a2"], "like", BROWSER, None)
        assert s.scalar(select(UsageCount.count).where(UsageCount.publication_id == world["a1"],
                                                       UsageCount.day == day, UsageCount.kind == "view")) == 3
        assert usage.totals_for_publication(s, world["a1"]) == usage.Totals(4, 1)
        assert usage.totals_for_person(s, world["alpha"]) == usage.Totals(5, 1)
        assert usage.totals_for_person(s, world["beta"]) == usage.Totals(4, 1)
        assert usage.totals_for_volume(s, world["volume"]) == usage.Totals(5, 2)
        assert usage.totals_for_person(s, world["alpha"], since=day + timedelta(days=1)) == usage.Totals(1, 0)


def test_record_retries_when_another_request_inserted_first(archive, world, monkeypatch):
    """The insert loses the race (unique clash): the counter is updated instead."""
    day = date(2025, 4, 1)
    with archive.db.session() as s:
        usage.record(s, world["a2"], "view", BROWSER, None, day=day)
    real_execute = None
    calls = {"n": 0}

    with archive.db.session() as s:
        real_execute = s.execute

        def execute(stmt, *a, **kw):
            calls["n"] += 1
            if calls["n"] == 1:          # the first update "misses" as if the row were not there yet
                class Miss:
                    rowcount = 0
                return Miss()
            return real_execute(stmt, *a, **kw)

        monkeypatch.setattr(s, "execute", execute)
        assert usage.record(s, world["a2"], "view", BROWSER, None, day=day)
    assert _counts(archive, world["a2"]).views == 2


def test_dashboard_shows_own_publications_and_top(app, archive, world, users, signed_in):  # noqa: F811
    from archive.models import User

    with archive.db.session() as s:
        s.get(User, users["member"]).person_id = world["alpha"]
        s.commit()
        today = usage.today()
        for _ in range(4):
            usage.record(s, world["other"], "view", BROWSER, None, day=today)
        usage.record(s, world["a1"], "view", BROWSER, None, day=today - timedelta(days=3))
        usage.record(s, world["a2"], "view", BROWSER, None, day=today - timedelta(days=90))
        data = usage.dashboard(s, s.get(User, users["member"]))
        assert [r.publication.id for r in data["top"]] == [world["other"], world["a1"]]
        assert {r["publication"].id for r in data["mine"]} == {world["a1"], world["a2"]}
        assert data["totals"] == usage.Totals(6, 0) and data["totals_30"] == usage.Totals(5, 0)
    assert app.test_client().get("/dashboard").status_code == 302          # sign in first
    html = signed_in("member").get("/dashboard").get_data(as_text=True)
    assert "Статья один" in html and "Статья два" in html and "Отчёт" in html
    assert "Most read in the last 30 days" in html


def test_person_and_volume_pages_show_their_sums(client, archive):
    from support import DEMO

    from archive.services.ingest import ingest_file

    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    article = out.publication_ids[1]
    ua = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}
    client.get(f"/p/{article}", headers=ua)
    client.get(f"/p/{article}/article.pdf", headers=ua)
    with archive.db.session() as s:
        from archive.models import Publication

        pub = s.get(Publication, article)
        person_id, volume_id = pub.authorships[0].person_id, pub.volume_id
    html = client.get(f"/authors/{person_id}?hl=en").get_data(as_text=True)
    assert "Views: 1 · Downloads: 1" in html
    html = client.get(f"/volumes/{volume_id}?hl=en").get_data(as_text=True)
    assert "Views: 1 · Downloads: 1" in html


def test_the_archive_wide_figures_are_summed_once_in_a_while(archive, world):
    """The dashboard's archive-wide top 10 and totals sum every usage row: summed again only after
    ARCHIVE_FIGURES_S seconds (per process and archive), while a member's own figures are read on each visit."""
    from support import statements

    with archive.db.session() as s:
        today = usage.today()
        since = today - timedelta(days=usage.DASHBOARD_DAYS - 1)
        usage.record(s, world["a1"], "view", BROWSER, None, day=today)
        first = usage.archive_figures(s, since, archive, now=1000.0)
        usage.record(s, world["a1"], "view", BROWSER, None, day=today)
        with statements(archive.db.engine) as seen:
            kept = usage.archive_figures(s, since, archive, now=1000.0 + usage.ARCHIVE_FIGURES_S - 1)
        assert kept is first and not [st for st, _ in seen if "usage_counts" in st]
        fresh = usage.archive_figures(s, since, archive, now=1000.0 + usage.ARCHIVE_FIGURES_S + 1)
        assert fresh.totals.views == first.totals.views + 1 and fresh.top[0] == (world["a1"], 2, 0)
        assert usage.archive_figures(s, since, None, now=0.0).totals == fresh.totals     # no archive: no keeping
