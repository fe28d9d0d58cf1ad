"""The search page's reads of its hits (records, authors, page text) on the suite's database: SQLite, and
PostgreSQL on its pass."""
import pytest
from sqlalchemy import exc as sa_exc

from archive.db import storage_fault
from archive.models import Authorship, Person, Publication, PublicationPage
from archive.search import _PAGES_AT, PAGE_SPAN, _rows, run_search
from archive.services.indexing import enqueue, process_index_tasks


def test_a_publication_with_a_large_id_gets_its_passages(archive, client):
    """Chosen pages are read by publication id x ``PAGE_SPAN`` + page number: that product must not overflow the
    database's integers (on PostgreSQL it did from publication 2,148 on, and every search showing such a hit
    failed)."""
    big = 3_000_000
    assert big * PAGE_SPAN > 2 ** 31 and f"* {PAGE_SPAN} +" in _PAGES_AT
    with archive.db.session() as s:
        author = Person(name="Омаров Ерлан")
        s.add(author)
        s.add(Publication(id=big, kind="article", status="published", language="ru", year=2024,
                          title="Об отношениях в городе", abstracts={"ru": "Заметка."}, extra={"note": "x"}))
        s.flush()
        s.add(Authorship(publication_id=big, person_id=author.id, position=0))
        s.add_all([PublicationPage(publication_id=big, number=1, text="Введение к заметке о городе."),
                   PublicationPage(publication_id=big, number=2, printed="17",
                                   text="Межэтнические отношения в Алматы складывались веками.")])
        enqueue(s, [big])
        s.commit()
    process_index_tasks(archive)
    with archive.db.session() as s:
        found = run_search(archive, s, "межэтнических отношений", names_only=True)
    hit = found.hits[0]
    assert hit.publication.id == big and (hit.page, hit.printed_page) == (2, "17")
    assert "<mark>Межэтнические</mark> <mark>отношения</mark>" in hit.snippets[0].html
    assert hit.authors == ["Омаров Ерлан"]
    assert (hit.publication.abstracts, hit.publication.extra) == ({"ru": "Заметка."}, {"note": "x"})
    page = client.get("/search", query_string={"q": "межэтнические"})
    assert page.status_code == 200 and "<mark>Межэтнические</mark>" in page.get_data(as_text=True)


def test_a_read_that_fails_in_the_driver_raises_sqlalchemys_error_and_leaves_the_session_usable(archive):
    """The reads run on the driver's own cursor; its errors still come as SQLAlchemy's (what ``storage_fault``
    and the 503 page judge), and the session goes on after a rollback."""
    with archive.db.session() as s:
        with pytest.raises(sa_exc.DBAPIError) as caught:
            _rows(s, "SELECT no_such_column FROM publications WHERE id IN ({ids})", [1, 2])
        assert type(caught.value.orig).__module__.split(".")[0] in ("sqlite3", "psycopg")
        assert "no_such_column" in str(caught.value.orig) and storage_fault(caught.value) is None
        s.rollback()
        assert _rows(s, "SELECT id FROM publications WHERE id IN ({ids})", [1, 2]) == []


def test_a_serving_process_keeps_its_word_caches_small_however_many_new_words_readers_send(archive, monkeypatch):
    """Each search empties the word-analysis caches that grew past ``SERVING_WORD_CACHE`` (they are sized for an
    index build, up to 300,000 words): a worker fed ever new words (a bot's random ones) stays the same size."""
    import random

    from archive import search as search_module
    from indexer.analysis.cache import word_cache_sizes

    monkeypatch.setattr(search_module, "SERVING_WORD_CACHE", 20)
    rng = random.Random(3)
    letters = "абвгдежзиклмнопрстуфхцчшэюяәғқңөұүі"
    with archive.db.session() as s:
        for _ in range(40):
            words = " ".join("".join(rng.choice(letters) for _ in range(8)) for _ in range(3))
            run_search(archive, s, words, names_only=True)
    sizes = word_cache_sizes()
    assert "indexer.analysis._keys_for" in sizes and "indexer.analysis.russian.russian_lemma" in sizes
    # after the last search's trim, that one search's words (3, each read as Russian and as Kazakh) at most
    assert max(sizes.values()) <= 20 + 12, sizes


def test_the_job_worker_empties_its_word_caches_every_minute(archive, monkeypatch):
    """The job worker analyses every file it reads and indexes, and never searches: its minute's index catch-up
    (``jobs.catch_up_index``) empties the word caches past ``SERVING_WORD_CACHE`` as a search does."""
    from archive import jobs
    from archive import search as search_module
    from indexer.analysis import word_keys
    from indexer.analysis.cache import word_cache_sizes

    monkeypatch.setattr(search_module, "SERVING_WORD_CACHE", 20)
    for i in range(50):
        word_keys("слово" + "абвгдежзик"[i % 10] * (1 + i // 10))
    assert word_cache_sizes()["indexer.analysis.word_keys"] >= 50
    jobs.catch_up_index(archive)
    assert max(word_cache_sizes().values()) <= 20
