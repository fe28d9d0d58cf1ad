"""Every search backend (a real index in a temp folder, or real PostgreSQL): inflected forms, phrases,
fields, filters, facets, fallback. The same tests run against Whoosh, tantivy and PostgreSQL (when a
server answers at TEST_PG_SEARCH_URL, else TEST_DATABASE_URL, else TEST_PG_URL, else the local ``test``
database)."""
import os
from dataclasses import replace
import uuid

import pytest

from indexer.backend import Filters, open_backend
from indexer.documents import IndexDocument
from indexer.query import parse_query
from indexer.snippets import make_snippets

DOCS = [
    IndexDocument(id=1, language="ru", titles={"ru": "Межэтнические отношения в Алматы"}, year=2019,
                  authors=("Иванов А.Б.", "Иванов Алексей Борисович"), person_ids=(10,),
                  pages=((1, "Большое Алматинское озеро и другие горные озёра привлекают людей."),
                         (2, "Межэтническое согласие укрепляется через языковую политику.")), topics=("interethnic",)),
    IndexDocument(id=2, language="kk", titles={"kk": "Қазақ ақындары және тіл саясаты"}, year=2021,
                  authors=("Сейтқали А.Б.",), person_ids=(11,),
                  pages=((1, "Абай сияқты ақынның шығармалары Қазақстанда кеңінен оқылады."),)),
    IndexDocument(id=3, language="ru", titles={"ru": "Миграция и молодёжь"}, year=2015, kind="report",
                  pages=((1, "Молодёжь и миграция в крупных городах Казахстана."),)),
]


def pg_search_url() -> str:
    """The PostgreSQL server for the postgres backend tests."""
    for name in ("TEST_PG_SEARCH_URL", "TEST_DATABASE_URL", "TEST_PG_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql://", "postgres://")):
            return url
    return "postgresql://root@127.0.0.1:5432/test"


def _pg_answers(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception:
        return False


PG_URL = pg_search_url()
PG_UP = _pg_answers(PG_URL)
needs_pg = pytest.mark.skipif(not PG_UP, reason=f"no PostgreSQL server at {PG_URL}")
BACKENDS = ["whoosh", "tantivy", pytest.param("postgres", marks=needs_pg)]


def _open(kind, tmp_path, **options):
    if kind == "postgres":
        # A schema of its own per test: runs in parallel and the archive tests' DROP SCHEMA public stay apart.
        options = {"dsn": PG_URL, "schema": f"test_search_{uuid.uuid4().hex[:12]}", **options}
    b = open_backend(kind, tmp_path / "ix", **options)
    b.kind = kind
    return b


def _dispose(b):
    if b.kind == "postgres":
        import psycopg
        from psycopg import sql

        b.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(b.schema)))
    else:
        b.close()


@pytest.fixture(params=BACKENDS)
def kind(request):
    return request.param


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    b = _open(request.param, tmp_path)
    b.update(DOCS)
    yield b
    _dispose(b)


def ids(backend, text, **kw):
    """Ids of the hits that match every word (most-words matches that fill a short page left out)."""
    return [h.id for h in backend.search(parse_query(text), **kw).hits if not h.partial]


def test_inflected_russian_form_finds_other_forms(backend):
    assert ids(backend, "озёрам") == [1]
    assert ids(backend, "межэтническими") == [1]


def test_a_bridged_query_asks_for_no_page_of_its_own_when_the_readers_words_fill_it(backend):
    """Ranked in tiers, the page of a bridged query is the reader's own words' page whenever they fill it: the
    bridged query is asked for its total and facets only, never ranked for a page (on PostgreSQL at 100k that
    ranking was a third of a frequent word's page, and thrown away)."""
    from indexer.bridge import build_bridge, expand_query, load_glossary

    query = expand_query(build_bridge(load_glossary()), parse_query("языковая политика")).query
    assert query.without_bridge() is not query
    own = backend.search(query.without_bridge(), limit=1)
    calls = []
    inner = backend._search

    def spy(q, flt, page, limit, sort, facets, any_word=False, hits=True):
        calls.append((q.without_bridge() is not q, hits))
        return inner(q, flt, page, limit, sort, facets, any_word, hits)
    backend._search = spy
    res = backend.search(query, limit=1)
    assert [h.id for h in own.hits] == [h.id for h in res.hits] == [1]
    assert res.total == 2 and res.translated == 1 and res.facets["lang"] == {"kk": 1, "ru": 1}
    assert (True, False) in calls and (True, True) not in calls
    # Past the reader's own matches the bridge's fill the page, as before.
    assert [h.id for h in backend.search(query, page=2, limit=1).hits] == [2]


def test_postgres_reads_the_page_beside_the_counts_in_their_snapshot(pg):
    """Alone in its process, a search reads its page on a helper thread's connection while its own counts, in the
    snapshot its transaction exported: a document committed after that snapshot is not on the page. With another
    search running in the process, one connection does both."""
    import threading

    threads = []
    inner = pg._page_in

    def spy(*args):
        threads.append(threading.current_thread().name)
        return inner(*args)
    pg._page_in = spy
    assert ids(pg, "озеро") == [1]
    assert len(threads) == 1 and threads[0].startswith("kelisim-search-page")
    threads.clear()
    pg._busy += 1                      # another search in flight
    try:
        assert ids(pg, "озёра горные") == [1] and threads == []
    finally:
        pg._busy -= 1

    def page_in_an_older_snapshot(conn):
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            pg.update([IndexDocument(id=8, language="ru", titles={"ru": "Озеро"}, pages=((1, "Озеро Иссык."),))])
            w, rank_q = pg._where(conn, parse_query("озеро"), Filters(), any_word=False)
            return pg._run(lambda other: inner(other, snapshot, w, rank_q, "relevance", 1, 10))
    assert [h.id for h in pg._run(page_in_an_older_snapshot)] == [1]
    assert sorted(ids(pg, "озеро")) == [1, 8]


def test_postgres_reads_the_page_on_its_own_connection_when_no_second_one_is_had(pg, caplog):
    from indexer.backend import SearchIndexError

    def refused(*args):
        raise SearchIndexError("the search database cannot be reached")
    pg._page_in = refused
    assert ids(pg, "озеро") == [1]
    assert "failed (the search database cannot be reached); reading it on the search's own" in caplog.text


def test_postgres_counts_without_a_page_when_no_hits_are_wanted(pg):
    full = pg._search(parse_query("озеро"), Filters(), 1, 10, "relevance", True)
    bare = pg._search(parse_query("озеро"), Filters(), 1, 10, "relevance", True, hits=False)
    assert [h.id for h in full.hits] == [1] and bare.hits == []
    assert (bare.total, bare.facets) == (full.total, full.facets)


def test_equal_scores_come_in_id_order_whatever_the_order_written(tmp_path, kind):
    """Documents that score the same for a query come in id order on every backend, as they were written in
    another order over several commits (segments): the same page after every rebuild."""
    b = _open(kind, tmp_path)
    try:
        for i in (40, 10, 30, 20):
            b.update([IndexDocument(id=i, language="ru", titles={"ru": "Отчёт о работе"},
                                    pages=((1, "Совещание экспертной группы по вопросам согласия."),))])
        hits = b.search(parse_query("совещание экспертов")).hits
        assert len({h.score for h in hits}) == 1
        assert [h.id for h in hits] == [10, 20, 30, 40]
    finally:
        _dispose(b)


def test_inflected_kazakh_form_finds_other_forms(backend):
    assert ids(backend, "ақындары") == [2]
    assert ids(backend, "Қазақстанның") == [2]


def test_all_words_required_then_fallback_to_any(backend):
    r = backend.search(parse_query("миграция молодёжь"))
    assert [h.id for h in r.hits if not h.partial] == [3] and not r.relaxed
    r = backend.search(parse_query("миграция озеро"))
    assert set(h.id for h in r.hits) == {1, 3} and r.relaxed


def test_phrase_needs_adjacent_words(backend):
    assert ids(backend, '"языковой политики"') == [1]
    assert ids(backend, '"политика языковая"') == []


def test_exclusion_and_fields(backend):
    assert ids(backend, "миграция -молодёжь") == []
    assert ids(backend, "author:Иванов") == [1]
    assert ids(backend, "title:отношениями") == [1]
    assert ids(backend, "title:озеро") == []


def test_filters_and_facets(backend):
    r = backend.search(parse_query(""), Filters(year_from=2016))
    assert sorted(h.id for h in r.hits) == [1, 2]
    assert r.facets["year"] == {"2019": 1, "2021": 1}
    assert ids(backend, "lang:kk") == [2]
    assert ids(backend, "", filters=Filters(kinds=("report",))) == [3]
    assert ids(backend, "", filters=Filters(persons=(10,))) == [1]


def test_title_match_outranks_body_match(backend):
    extra = IndexDocument(id=4, language="ru", titles={"ru": "Городская среда"},
                          pages=((1, "Межэтнические отношения упомянуты один раз."),))
    backend.update([extra])
    assert ids(backend, "межэтнические отношения")[0] == 1


def test_update_replaces_and_remove_deletes(backend):
    backend.update([IndexDocument(id=3, language="ru", titles={"ru": "Новое название"})])
    assert ids(backend, "миграция") == []
    backend.remove([1])
    assert ids(backend, "озеро") == []
    assert backend.doc_ids() == {2, 3}


def test_is_empty_until_a_document_is_indexed_and_again_once_none_is_left(kind, tmp_path):
    """One number, whatever the index's size: what ``serve`` and ``search`` ask before they warn of an index that
    holds nothing the database publishes."""
    b = _open(kind, tmp_path)
    try:
        assert b.is_empty()
        b.update(DOCS)
        assert not b.is_empty()
        b.remove([1, 2])
        assert not b.is_empty()
        b.remove([3])
        assert b.is_empty()
    finally:
        _dispose(b)


def test_latin_script_query_finds_cyrillic_kazakh(backend):
    assert 2 in ids(backend, "Qazaqstanda")


def test_snippets_mark_original_forms_with_page_numbers():
    q = parse_query("озёрам")
    from indexer.backend import query_keys

    snips = make_snippets(query_keys(q), DOCS[0].pages)
    assert snips[0].page == 1
    assert "<mark>озёра</mark>" in snips[0].html


def test_snippets_escape_html():
    from indexer.backend import query_keys

    snips = make_snippets(query_keys(parse_query("согласие")), [(1, "<script>alert(1)</script> согласие")])
    assert "<script>" not in snips[0].html and "&lt;script&gt;" in snips[0].html


def test_function_words_are_optional_but_phrases_keep_them(backend):
    # "и" appears in doc 1 and 3; "в" in 1 and 3 — neither is required next to content words.
    assert ids(backend, "миграция в молодёжь") == [3]
    assert ids(backend, "ақындары және тіл") == [2]
    assert ids(backend, "и") != []                       # alone, a function word is still searched


@pytest.mark.parametrize("typo, fixed", [("межэтничиские", "межэтнический"), ("миграцыя", "миграция"),
                                         ("ақнның", "ақын")])
def test_did_you_mean_from_index_vocabulary(backend, typo, fixed):
    r = backend.search(parse_query(typo))
    assert r.total == 0 or r.suggestion is not None
    assert r.suggestion and fixed in r.suggestion


def test_no_suggestion_when_words_are_known(backend):
    assert backend.search(parse_query("озеро")).suggestion is None


SAME_ANSWER_QUERIES = ["озёрам", "миграция молодёжь", "миграция озеро", '"языковой политики"', "author:Иванов",
                       "title:отношениями", "миграция -молодёжь", "lang:kk", "year:2016-2022", "ақындары және тіл",
                       "межэтничиские", "озер*", "Qazaqstanda", "", "и", "молодёжь OR ақын", "keywords:озеро",
                       "O'Brien", "межэтнические отношения -озеро"]


@needs_pg
@pytest.mark.parametrize("text", SAME_ANSWER_QUERIES)
def test_postgres_answers_like_whoosh(tmp_path, text):
    answers = {}
    for kind in ("whoosh", "postgres"):
        b = _open(kind, tmp_path / kind)
        try:
            b.update(DOCS)
            r = b.search(parse_query(text))
            answers[kind] = (sorted(h.id for h in r.hits), r.total, r.relaxed, r.facets, r.keys, r.suggestion)
        finally:
            _dispose(b)
    assert answers["postgres"] == answers["whoosh"]


@pytest.fixture
def pg(tmp_path):
    if not PG_UP:
        pytest.skip(f"no PostgreSQL server at {PG_URL}")
    b = _open("postgres", tmp_path)
    b.update(DOCS)
    yield b
    _dispose(b)


def test_postgres_phrase_found_past_the_last_tsvector_position(pg):
    # 20 000 words of filler: PostgreSQL positions stop at 16383, the passages table keeps the phrase.
    filler = " ".join(["озеро"] * 20_000)
    long_doc = IndexDocument(id=7, language="ru", titles={"ru": "Том"},
                             pages=((1, filler + ". Языковая политика и молодёжь."),))
    pg.update([long_doc])
    assert sorted(ids(pg, '"языковой политики"')) == [1, 7]
    assert ids(pg, '"политика языковая"') == []
    assert 7 in ids(pg, '"политика и молодёжь"')
    assert 7 not in ids(pg, '"озеро молодёжь"')
    # The phrase beside other words, in an OR group and excluded: the passages' documents join each test.
    assert ids(pg, 'том "политика и молодёжь"') == [7]
    assert 7 in ids(pg, '"политика и молодёжь" OR согласие') and 7 not in ids(pg, '"озеро молодёжь" OR согласие')
    assert 7 not in ids(pg, 'озеро -"политика и молодёжь"') and 7 in ids(pg, 'озеро -"озеро молодёжь"')


def test_postgres_phrase_is_one_tsquery_unless_passages_hold_it(pg):
    """A phrase no passage holds (the usual case: only long bodies have passages) is a plain tsvector test in the
    query's one tsquery (RUM ranks it in the index); one that a long body's passages hold also matches their
    documents by id."""
    from indexer.backend import Filters

    filler = " ".join(["озеро"] * 20_000)
    pg.update([IndexDocument(id=7, language="ru", titles={"ru": "Том"},
                             pages=((1, filler + ". Языковая политика и молодёжь."),))])

    def where(text):
        w, _rank = pg._run(lambda conn: pg._where(conn, parse_query(text), Filters(), any_word=False))
        return w, w.sql().as_string(None)
    w, rendered = where('"горные озёра" согласие')
    assert w.one_tsquery and "ANY" not in rendered and 7 not in w.params
    w, rendered = where('"политика и молодёжь" согласие')
    assert not w.one_tsquery and "d.id = ANY(" in rendered and [7] in w.params


def test_postgres_second_copies_are_found_from_a_partial_index_an_older_install_gets(pg, tmp_path):
    """Whether any second copy is indexed comes from a partial index (not a scan of every row, after every
    write); tables made before that index get it when a backend next opens them."""
    from psycopg import sql

    index = sql.Identifier(pg.schema, pg.prefix + "documents_secondary")
    pg._run(lambda conn: conn.execute(sql.SQL("DROP INDEX {}").format(index)))
    again = open_backend("postgres", tmp_path / "ix2", dsn=PG_URL, schema=pg.schema)
    try:
        assert again._secondaries(again.generation()) == 0
        assert again._run(lambda conn: conn.execute("SELECT to_regclass(%s)", (index.as_string(conn),))
                          .fetchone()[0]) is not None
        again.update([PDF_COPY])
        assert again._secondaries(again.generation()) == 1
        def plan(conn):                          # the index serves the question (this table is too small to
            with conn.transaction():             # make the planner prefer it unasked)
                conn.execute("SET LOCAL enable_seqscan = off")
                return [r[0] for r in conn.execute(sql.SQL(
                    "EXPLAIN SELECT EXISTS (SELECT 1 FROM {} WHERE secondary)").format(again._t("documents")))]
        lines = again._run(plan)
        assert any("documents_secondary" in line for line in lines) and not any("Seq Scan" in x for x in lines)
    finally:
        again.close()


def test_postgres_tsvector_literal_caps_positions_and_escapes_quotes():
    from indexer.analysis import Term
    from indexer.postgres_backend import MAX_POS, MAX_POSITIONS, document_vectors, quote_lexeme

    body = [Term("и", i, 0, 1) for i in range(0, 40_000, 2)] + [Term("o'brien\\x", 30_001, 0, 1)]
    main, passages = document_vectors({"title": [Term("o'brien\\x", 0, 0, 1)], "body": body})
    assert quote_lexeme("o'brien\\x") == "'o''brien\\\\x'"
    assert "'o''brien\\\\x':1A," + str(MAX_POS) in main
    positions = main.split("'и':")[1].split(" ")[0].split(",")
    assert len(positions) == MAX_POSITIONS and max(int(p) for p in positions) <= MAX_POS
    assert passages and all(":0" not in p.replace(":0,", "") for p in passages)


@needs_pg
def test_postgres_lexemes_with_quotes_and_backslashes_round_trip():
    import psycopg

    from indexer.analysis import Term
    from indexer.postgres_backend import clause_tsquery, document_vectors, quote_lexeme
    from indexer.query import Word

    key = "o'brien\\x"
    tsv, _ = document_vectors({"title": [Term(key, 0, 0, 1)]})
    with psycopg.connect(PG_URL) as conn:
        row = conn.execute("SELECT (SELECT lexeme FROM unnest(%s::tsvector)), %s::tsvector @@ %s::tsquery, "
                           "%s::tsvector @@ %s::tsquery",
                           (tsv, tsv, quote_lexeme(key) + ":A", tsv, quote_lexeme(key) + ":D")).fetchone()
        assert row == (key, True, False)
        # A query word with an apostrophe becomes a valid tsquery (no syntax error, no re-normalisation).
        q = clause_tsquery(Word("O'Brien"))
        assert conn.execute("SELECT %s::tsquery::text", (q,)).fetchone()[0].count("'o''brien'") == 1


def test_postgres_rebuild_leaves_no_dead_rows_and_fresh_statistics(pg):
    """``clear`` deletes (readers keep their snapshot); ``rebuilt`` vacuums and analyses what it left."""
    import time

    import psycopg

    def stats():
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            return conn.execute("SELECT n_dead_tup, last_vacuum IS NOT NULL, last_analyze IS NOT NULL "
                                "FROM pg_stat_user_tables WHERE schemaname = %s AND relname = %s",
                                (pg.schema, pg.prefix + "documents")).fetchone()

    pg.clear()
    pg.update(DOCS)
    pg.rebuilt()
    for _ in range(50):                   # the statistics collector reports a moment later
        dead, vacuumed, analysed = stats()
        if vacuumed and analysed:
            break
        time.sleep(0.1)
    assert (dead, vacuumed, analysed) == (0, True, True)
    assert pg.search(parse_query("озеро")).total == 1


def test_postgres_busy_writer_fails_cleanly_and_readers_go_on(pg):
    import psycopg

    from indexer.backend import SearchIndexError

    pg.writer_timeout = 0.3
    with psycopg.connect(PG_URL) as other:              # another writer holds the lock in its transaction
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (pg._lock_key,))
        with pytest.raises(SearchIndexError, match="busy"):
            pg.update([IndexDocument(id=9, language="ru", titles={"ru": "Озеро"})])
        assert ids(pg, "озёрам") == [1]
    pg.update([IndexDocument(id=9, language="ru", titles={"ru": "Озеро"})])
    assert sorted(ids(pg, "озёрам")) == [1, 9]


def test_postgres_tables_come_back_after_being_dropped(pg):
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_URL, autocommit=True) as conn:     # what the archive tests' DROP SCHEMA does
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(pg.schema)))
    assert ids(pg, "озёрам") == []
    pg.update(DOCS)
    assert ids(pg, "озёрам") == [1]


def test_did_you_mean_typo_in_first_letter(backend):
    assert backend.search(parse_query("виграция")).suggestion == "миграция"
    assert backend.suggest(parse_query("межэтничиские озеро")) == "межэтнический озеро"


def test_did_you_mean_follows_updates_and_removals(backend):
    assert backend.search(parse_query("миграцыя")).suggestion == "миграция"
    backend.remove([3])
    assert backend.search(parse_query("миграцыя")).suggestion is None
    backend.update([DOCS[2], DOCS[2]])
    assert backend.search(parse_query("миграцыя")).suggestion == "миграция"


def test_did_you_mean_sees_words_added_by_another_process(backend, tmp_path):
    # A second handle on the same index stands for another process (a worker, the CLI) that wrote.
    other = _open(backend.kind, tmp_path, **({"schema": backend.schema} if backend.kind == "postgres" else {}))
    try:
        other.update([IndexDocument(id=9, language="ru", titles={"ru": "Этнография казахов"})])
    finally:
        other.close()
    assert backend.search(parse_query("этнографея")).suggestion == "этнография"


def test_speller_rebuilds_when_its_files_are_missing(backend, tmp_path):
    import shutil

    if backend.speller.folder is not None:
        shutil.rmtree(backend.speller.folder)
    fresh = _open(backend.kind, tmp_path, **({"schema": backend.schema} if backend.kind == "postgres" else {}))
    try:
        assert fresh.search(parse_query("миграцыя")).suggestion == "миграция"
    finally:
        fresh.close()


# Three words beginning "мигр" in 3, 2 and 1 documents (their keys: миграция, мигрант, мигрировать).
PREFIX_DOCS = [IndexDocument(id=20 + i, language="ru", titles={"ru": f"Заметка {i}"}, pages=((1, text),))
               for i, text in enumerate(["Миграция и снова миграция.", "Миграция населения.", "Миграцию изучают.",
                                         "Мигранты в городах.", "Мигрантов много.", "Мигрировать трудно."])]


def test_a_prefix_stands_for_its_most_frequent_keys_and_says_when_it_was_cut(backend, monkeypatch):
    """``word*`` is searched as the keys it begins in the speller's vocabulary, the most frequent first, at most
    ``MAX_PREFIX_KEYS`` (an engine expanded it to every term it begins, a cost that grew with the vocabulary)."""
    import indexer.backend as backend_mod
    from indexer.query import NOTICE_PREFIX_CUT, PrefixWord

    backend.update(PREFIX_DOCS)
    q = parse_query("мигр*")
    r = backend.search(q, limit=20)
    assert sorted(h.id for h in r.hits) == [3, 20, 21, 22, 23, 24, 25] and q.notices == []
    assert {"миграция", "мигрант", "мигрировать"} <= r.keys          # what the snippets mark
    monkeypatch.setattr(backend_mod, "MAX_PREFIX_KEYS", 2)
    q = parse_query("мигр*")
    assert sorted(ids(backend, "мигр*", limit=20)) == [3, 20, 21, 22, 23, 24]   # the rarest word's document is left out
    r = backend.search(q, limit=20)
    assert q.notices == [NOTICE_PREFIX_CUT] and "мигрировать" not in r.keys
    # The engine is asked for those keys, never for the prefix itself.
    seen, real = [], type(backend)._search
    monkeypatch.setattr(type(backend), "_search", lambda self, query, *a, **kw: seen.append(query) or
                        real(self, query, *a, **kw))
    backend.search(parse_query("мигр* -миграц*"), page=2)
    clauses = [c for g in seen[0].groups for c in g] + list(seen[0].excluded)
    assert [type(c) for c in clauses] == [PrefixWord, PrefixWord]
    assert clauses[0].keys == {"миграция", "мигрант"} and clauses[1].keys == {"миграция"}


def test_a_querys_prefixes_share_one_budget_of_keys(backend, monkeypatch):
    """More prefixes in one query than ``MAX_QUERY_PREFIX_KEYS`` / ``MAX_PREFIX_KEYS``: each gets an equal part of
    the budget (32 prefixes of 64 frequent keys each took Whoosh 0.4-0.7 s on 3,000 articles)."""
    import indexer.backend as backend_mod
    from indexer.query import NOTICE_PREFIX_CUT

    backend.update(PREFIX_DOCS)
    seen, real = [], type(backend)._search
    monkeypatch.setattr(type(backend), "_search", lambda self, query, *a, **kw: seen.append(query) or
                        real(self, query, *a, **kw))
    monkeypatch.setattr(backend_mod, "MAX_QUERY_PREFIX_KEYS", 4)
    q = parse_query("мигр* мигра*")                   # two prefixes: 2 keys each
    backend.search(q, limit=20)
    assert [len(c.keys) for g in seen[0].groups for c in g] == [2, 2] and q.notices == [NOTICE_PREFIX_CUT]
    seen.clear()
    q = parse_query("мигр*")                          # one prefix: all of its 3 keys (under MAX_PREFIX_KEYS)
    backend.search(q, limit=20)
    assert [len(c.keys) for g in seen[0].groups for c in g] == [3] and q.notices == []


def test_a_prefix_finds_a_word_written_after_the_speller_was_built(backend):
    backend.update([IndexDocument(id=30, language="ru", titles={"ru": "Этнография казахов"})])   # into the delta
    assert ids(backend, "этногр*") == [30]
    assert ids(backend, "этнограф* казах*") == [30]


def test_the_speller_finds_a_prefix_in_steps_that_do_not_grow_with_the_vocabulary():
    from indexer.speller import Speller

    letters = "абвгдежзиклмнопрстуфхцчшщыэюя"

    def word(i: int) -> str:             # a term of letters only (the speller holds no digits)
        return "при" + "".join(letters[i // len(letters) ** p % len(letters)] for p in range(4))

    for n in (1_000, 100_000):
        sp = Speller.build([(word(i), i % 97) for i in range(n)] + [("абв", 1), ("яяя", 1)])
        calls = {"n": 0}
        term = sp.term
        sp.term = lambda i: calls.__setitem__("n", calls["n"] + 1) or term(i)
        found, total = sp.with_prefix("при", 64)
        assert total == n and len(found) == 64 and all(t.startswith("при") for t, _df in found)
        assert sorted(df for _t, df in found) == sorted(i % 97 for i in range(n))[-64:]     # the most frequent
        assert calls["n"] <= 2 * 18 + 64, calls          # two binary searches (2^17 > 100,002 terms), the 64 named


@pytest.mark.parametrize("sort, expected", [("newest", [2, 1, 3]), ("oldest", [3, 1, 2])])
def test_sort_by_year(backend, sort, expected):
    assert ids(backend, "", sort=sort) == expected
    assert ids(backend, "и", sort=sort) == [i for i in expected if i != 2]


def test_postgres_huge_document_fits_one_tsvector():
    from indexer.analysis import Term
    from indexer.postgres_backend import MAX_TSVECTOR_BYTES, document_vectors

    # 120 000 distinct body words: positions go first, then the rarest body-only keys; titles stay.
    body = [Term(f"слово{i:06d}", i, 0, 1) for i in range(120_000)]
    main, passages = document_vectors({"title": [Term("слово000007", 0, 0, 1)], "body": body})
    assert len(main.encode("utf-8")) < MAX_TSVECTOR_BYTES * 1.2
    assert "'слово000007':1A" in main
    assert len(passages) == -(-120_000 // (2048 - 16))


def test_whoosh_searcher_in_use_survives_a_commit_by_another_writer(tmp_path):
    """A reader thread holding the searcher while another commit lands must not get ReaderClosed
    (seen under load: a search's "did you mean" ran on a searcher the next request had closed)."""
    b = open_backend("whoosh", tmp_path / "ix")
    b.update(DOCS[:1])
    held = b._get_searcher()
    b.update(DOCS[1:2])
    fresh = b._get_searcher()
    assert fresh is not held
    assert list(held.reader().terms_from("body", "")), "the held searcher was closed under its reader"
    assert held.doc_count() == 1 and fresh.doc_count() == 2
    b.close()


def test_control_characters_in_query_and_filters_are_harmless(backend):
    # PostgreSQL refuses NUL in text parameters; every backend must treat it as nothing.
    assert ids(backend, "озёрам\x00") == [1]
    backend.search(parse_query("тіл"), Filters(langs=("\x00",), kinds=("\x00",), topics=("\x00",)))


def _reopen(backend, tmp_path):
    """A second handle on the same index: another process (a worker, the CLI)."""
    return _open(backend.kind, tmp_path, **({"schema": backend.schema} if backend.kind == "postgres" else {}))


def test_cached_result_is_fresh_after_an_update_by_any_process(backend, tmp_path):
    assert ids(backend, "этнография") == []
    assert ids(backend, "этнография") == []                  # now cached
    other = _reopen(backend, tmp_path)
    try:
        other.update([IndexDocument(id=7, language="ru", titles={"ru": "Этнография Алматы"})])
    finally:
        other.close()
    assert ids(backend, "этнография") == [7]
    backend.update([IndexDocument(id=7, language="ru", titles={"ru": "Другое название"})])
    assert ids(backend, "этнография") == []
    backend.remove([1])
    assert ids(backend, "озеро") == []


def test_cached_result_cannot_be_changed_by_its_reader(backend):
    r = backend.search(parse_query("миграция"))
    r.hits.clear()
    r.facets["year"]["1900"] = 5
    again = backend.search(parse_query("миграция"))
    assert [h.id for h in again.hits] == [3] and "1900" not in again.facets["year"]


PDF_COPY = IndexDocument(id=4, language="ru", titles={"ru": "Миграция и молодёжь"}, year=2015, kind="report",
                         group_id=3, pages=((1, "Молодёжь и миграция в крупных городах Казахстана."),))


def test_two_copies_of_one_work_are_one_result(backend):
    backend.update([PDF_COPY])
    r = backend.search(parse_query("миграция молодёжь"))
    assert [h.id for h in r.hits if not h.partial] == [3]
    assert r.total == 1 and r.facets["kind"] == {"report": 1} and r.facets["year"] == {"2015": 1}
    r = backend.search(parse_query(""), filters=Filters(kinds=("report",)))
    assert [h.id for h in r.hits] == [3] and r.total == 1


def test_second_copy_shows_when_only_it_matches(backend):
    backend.update([replace(PDF_COPY, pages=((1, "Этнография городов."),))])
    assert ids(backend, "этнография") == [4]
    assert ids(backend, "миграция молодёжь") == [3]


def test_short_page_is_filled_with_most_words_matches_marked_partial(backend):
    r = backend.search(parse_query("миграция молодёжь озеро"))
    assert r.hits and all(h.partial for h in r.hits) and r.relaxed and r.partial_from == 0
    backend.update([IndexDocument(id=5, language="ru", titles={"ru": "Горное озеро"})])
    r = backend.search(parse_query("озеро алматы"))
    assert [(h.id, h.partial) for h in r.hits] == [(1, False), (5, True)]
    assert r.partial_from == 1 and r.total == 2 and not r.relaxed
    # Page 2 of one hit per page: the fill goes on past the all-words hits, never repeating them.
    assert [(h.id, h.partial) for h in backend.search(parse_query("озеро алматы"), page=2, limit=1).hits] == [(5, True)]


def test_fill_leaves_out_documents_matching_only_function_words(backend):
    r = backend.search(parse_query("миграция в молодёжь"))
    assert [h.id for h in r.hits] == [3] and r.partial_from is None


@needs_pg
def test_postgres_without_rum_falls_back_to_gin_with_one_log_line(tmp_path, caplog):
    b = _open("postgres", tmp_path)
    b.rum_extension = "rum_missing_on_purpose"
    try:
        with caplog.at_level("WARNING", logger="indexer.postgres_backend"):
            b.update(DOCS)
        assert not b.rum
        lines = [r for r in caplog.records if "rum_missing_on_purpose" in r.getMessage()]
        assert len(lines) == 1 and "GIN" in lines[0].getMessage()
        assert ids(b, "озёрам") == [1] and ids(b, "миграция молодёжь") == [3]
    finally:
        _dispose(b)


@needs_pg
def test_postgres_ranks_through_rum_when_installed(pg):
    assert pg.rum
    r = pg.search(parse_query("молодёжь"))
    assert [h.id for h in r.hits] == [3]
    r = pg.search(parse_query("межэтническое OR миграция"))
    assert {h.id for h in r.hits} == {1, 3}


@needs_pg
def test_postgres_facets_from_a_bounded_sample_say_so(pg, monkeypatch):
    import indexer.postgres_backend as pgb

    monkeypatch.setattr(pgb, "FACET_SAMPLE", 1)
    r = pg.search(parse_query(""))
    assert r.facets_approximate and r.total == 1 and sum(r.facets["kind"].values()) < 3
    monkeypatch.setattr(pgb, "FACET_SAMPLE", 5000)
    pg.update([DOCS[0]])                       # a new generation: the cached answer is not reused
    r = pg.search(parse_query(""))
    assert not r.facets_approximate and r.total == 3


def test_snippets_from_recorded_forms_need_no_analysis(backend, monkeypatch):
    from indexer import analysis
    from indexer.snippets import snippets_from_forms

    keys = backend.search(parse_query("озёрам")).keys
    form_keys = backend.forms.form_keys(keys)
    assert {"озеро", "озера", "озерам"} <= set(form_keys) and form_keys["озера"] == {"озеро"}

    def no_analysis(*a, **kw):
        raise AssertionError("snippets analysed text at query time")

    monkeypatch.setattr(analysis, "_keys_for", no_analysis)
    found = snippets_from_forms(form_keys, DOCS[0].pages)
    assert found[0].page == 1 and "<mark>озеро</mark>" in found[0].html and "<mark>озёра</mark>" in found[0].html


def test_recorded_forms_highlight_like_the_analyser(backend):
    from indexer.snippets import snippets_from_forms

    for text in ("межэтническими отношениями", "Қазақстанның ақындары", "молодёжь миграция", "kazakhstan"):
        keys = backend.search(parse_query(text)).keys
        for d in DOCS:
            # Same passages and marks (scores may differ: the analyser also counts a body word's Latin key).
            assert ([(sn.page, sn.html) for sn in snippets_from_forms(backend.forms.form_keys(keys), d.pages)]
                    == [(sn.page, sn.html) for sn in make_snippets(keys, d.pages, d.language)])


@pytest.mark.parametrize("forms,text", [
    ({"озеро", "озера"}, "Озеро, ОЗЁРА и подозеро; озерам озеро_"),   # any case, ё; not inside a word
    ({"а-б", "б"}, "ха-б б"),           # a match refused inside a word hides none that starts within it
    ({"тіл"}, "İSTANBUL тіл ТІЛ"),      # İ lower-cases to two characters: the slow path, same answer
    ({"тіл", "тілі"}, "тілі_тіл 2тіл тіл2"),
])
def test_form_spans_are_the_matches_of_the_case_insensitive_pattern(forms, text):
    from indexer.snippets import _form_spans, forms_pattern

    expected = [(m.start(), m.end()) for m in forms_pattern(frozenset(forms)).finditer(text)]
    assert expected and list(_form_spans(frozenset(forms), text)) == expected


def test_page_filters_name_the_pages_that_may_hold_the_query(backend):
    """Each body page's key filter is written with the index: a page holding a query key is always a candidate,
    the page holding more of the keys comes first, and a replaced, removed or cleared document loses its own."""
    keys = backend.search(parse_query("озёрам")).keys
    assert backend.forms.page_candidates([1, 2, 3], keys) == {1: [1], 2: [], 3: []}
    both = backend.search(parse_query("озеро согласие")).keys
    assert backend.forms.page_candidates([1], both) == {1: [1, 2]}
    doc = replace(DOCS[0], pages=((1, "Только горы."), (2, "Озеро и согласие."), (3, "Согласие.")))
    backend.update([doc])
    assert backend.forms.page_candidates([1], both) == {1: [2, 3]}
    backend.remove([1])
    assert backend.forms.page_candidates([1, 2], keys) == {2: []}
    backend.clear()
    assert backend.forms.page_candidates([2], keys) == {}


def test_page_filter_never_misses_a_key_and_rarely_claims_one():
    from indexer.forms import may_hold, page_filter

    rng = __import__("random").Random(5)
    words = ["".join(rng.choice("абвгдежзиклмнопрстуфхцчшщыэюяәғқңөұүі") for _ in range(rng.randint(3, 12)))
             for _ in range(4000)]
    false = asked = 0
    for size in (1, 40, 250, 700):
        held = set(rng.sample(words, size))
        f = page_filter(held)
        assert all(may_hold(f, k) for k in held) and len(f) * 8 >= 8 * size
        others = [w for w in words if w not in held][:1000]
        false += sum(may_hold(f, k) for k in others)
        asked += len(others)
    assert false / asked < 0.08                     # about one in twenty by design


@pytest.mark.parametrize("kept", [200_000, 40])
def test_page_filter_sets_exactly_the_bits_probe_names(kept, monkeypatch):
    """The stored format: the bits of each key's ``_probe`` (two per key), nothing else, at the size the key count
    asks for (filters written by an older build stay readable); also when the process's cache of key hashes
    is full and starts again (``kept``: its size) in the middle of a page."""
    from indexer import forms
    from indexer.forms import _BLOOM_MIN_BITS, _probe, page_filter

    monkeypatch.setattr(forms, "_HASHES_KEPT", kept)
    monkeypatch.setattr(forms, "_key_hashes", {})
    rng = __import__("random").Random(9)
    for size in (0, 1, 31, 32, 33, 300, 1500):
        keys = {"".join(rng.choice("абвгдеёжзәғқ~qazx") for _ in range(rng.randint(1, 14))) for _ in range(size)}
        n = _BLOOM_MIN_BITS // 8
        while n < len(keys):
            n *= 2
        expected = bytearray(n)
        for k in keys:
            for i, m in _probe(k, n):
                expected[i] |= m
        assert page_filter(list(keys) + list(keys)[:5]) == bytes(expected)


def test_a_rebuild_through_bulk_answers_as_updates_do(backend, tmp_path):
    """The rebuild's writer (``bulk``: one batch at a time, on tantivy several batches a commit) leaves the same
    answers, forms, page filters and suggestions as plain updates."""
    built = _open(backend.kind, tmp_path / "bulk")
    try:
        with built.bulk(2) as write:
            for d in DOCS:
                write([d])
        built.rebuilt()
        for text in ("озёрам", "миграция молодёжь", '"языковой политики"', "ақындары", "миграцыя"):
            a, b = backend.search(parse_query(text)), built.search(parse_query(text))
            assert [(h.id, h.partial) for h in a.hits] == [(h.id, h.partial) for h in b.hits], text
            assert a.suggestion == b.suggestion and a.facets == b.facets, text
            assert built.forms.form_keys(a.keys) == backend.forms.form_keys(a.keys), text
            assert built.forms.page_candidates([1, 2, 3], a.keys) == backend.forms.page_candidates([1, 2, 3], a.keys)
    finally:
        _dispose(built)


def test_tantivy_bulk_commits_every_stretch_lets_other_writers_in_and_rolls_back_the_last(tmp_path, monkeypatch):
    import indexer.tantivy_backend as tb

    monkeypatch.setattr(tb, "BULK_COMMIT_DOCS", 2)
    b = _open("tantivy", tmp_path)
    other = _open("tantivy", tmp_path)          # another process's handle on the same folder
    other.writer_timeout = 1.0
    extra = replace(DOCS[2], id=7, titles={"ru": "Вставка между отрезками"})
    try:
        with pytest.raises(RuntimeError):
            with b.bulk(2) as write:
                write([DOCS[0]])
                assert b.doc_ids() == set()                 # not committed yet
                write([DOCS[1]])
                assert b.doc_ids() == {1, 2}                # a stretch of two: committed, its lock let go
                other.update([extra])                       # so another writer gets in between stretches
                write([DOCS[2]])
                raise RuntimeError("the database went away")
        assert b.doc_ids() == {1, 2, 7}                     # the third document, after the commit, rolled back
        assert ids(b, "вставка") == [7] and ids(b, "озёрам") == [1]
        assert b.forms.page_candidates([1, 3], b.search(parse_query("миграция")).keys) == {1: []}
        other.update([DOCS[2]])                             # the lock was let go after the rollback too
        assert b.doc_ids() == {1, 2, 3, 7}
    finally:
        other.close()
        _dispose(b)


def test_forms_are_forgotten_by_clear(backend):
    backend.clear()
    assert backend.forms.forms({"озеро"}) == {} and backend.forms.form_keys({"озеро"}) == {}


def test_page_two_reuses_the_facet_counts_of_page_one(backend, monkeypatch):
    asked = []
    real = backend._search

    def spy(query, filters, page, limit, sort, facets, any_word=False):
        asked.append((page, facets))
        return real(query, filters, page, limit, sort, facets, any_word)

    monkeypatch.setattr(backend, "_search", spy)
    first = backend.search(parse_query(""), page=1, limit=1)
    second = backend.search(parse_query(""), page=2, limit=1)
    assert first.facets == second.facets and first.facets["year"]
    assert (2, False) in asked and (2, True) not in asked


def test_concurrent_searches_with_facets_never_fail(backend):
    import threading

    failures = []

    def run(i):
        try:
            for j in range(15):
                backend.__dict__.get("_result_cache", {}).clear()
                backend.search(parse_query(["озеро", "миграция молодёжь", "", "ақын OR тіл"][(i + j) % 4]))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_whoosh_search_walks_the_matches_once_and_reuses_filter_sets(tmp_path, monkeypatch):
    """Total, hits and facets from one scored pass (Whoosh's own top-N collector walks every match twice more, to
    count them and for the facets); a filter's documents are worked out once per searcher, not per search."""
    from whoosh.searching import Searcher

    docs = [replace(DOCS[0], id=i, year=2010 + i % 5, language="ru" if i % 3 else "kk",
                    pages=((1, "Межэтническое согласие и языковая политика. " * (1 + i % 4)),))
            for i in range(1, 41)]
    b = open_backend("whoosh", tmp_path / "ix")
    b.update(docs)
    flt = Filters(year_from=2012, langs=("ru",))
    q = parse_query("межэтническое согласие")
    searcher = b._get_searcher()
    whole = searcher.search(b._build(q), limit=None, filter=b._filter_query(q, flt))
    expected = set(whole.docs())
    # Every match scored and ranked (Whoosh's block-skipping top-N collector misses some of the best here: its
    # block quality bounds are below some of their scores)
    whoosh_top = [int(hit["id"]) for hit in whole][:10]
    calls = {"n": 0}
    real = Searcher.docs_for_query

    def counting(self, *a, **kw):
        calls["n"] += 1
        return real(self, *a, **kw)

    monkeypatch.setattr(Searcher, "docs_for_query", counting)
    r1 = b._search(q, flt, page=1, limit=5, sort="relevance", facets=True)
    first = calls["n"]
    r2 = b._search(q, flt, page=2, limit=5, sort="relevance", facets=True)
    assert calls["n"] == first == 1          # the filter's documents, once; never the query's matches again
    assert r1.total == r2.total == len(expected) > 10
    assert sum(r1.facets["year"].values()) == len(expected) == r1.facets["lang"]["ru"]
    assert [h.id for h in r1.hits + r2.hits] == whoosh_top
    for _ in range(2):                       # a filter nothing passes: no hits (Whoosh reads an empty set as none)
        none = b._search(q, Filters(year_from=2031), page=1, limit=5, sort="relevance", facets=True)
        assert none.total == 0 and not none.hits
    b.close()


@pytest.mark.parametrize("text,one,field_tests", [
    ("озеро согласие", True, 0),
    ("озеро OR согласие", True, 0),
    ("author:Иванов озеро", True, 1),          # the field's own vector is tested beside the one tsquery
    ('"горные озёра"', True, 0),                # no passage holds it (only long bodies have passages)
    ('"горные озёра" согласие', True, 0),
])
def test_postgres_words_are_one_tsquery_where_they_can_be(pg, text, one, field_tests):
    """Plain words (and a field word alone in its group) go to PostgreSQL as ONE ``tsv @@`` test, which the
    planner estimates from one query's statistics and the RUM index scans in rank order; answers are the same."""
    from indexer.backend import Filters

    w, rank_q = pg._run(lambda conn: pg._where(conn, parse_query(text), Filters(year_from=2000), any_word=False))
    rendered = w.sql().as_string(None)
    assert w.one_tsquery is one and rank_q
    if one:
        assert rendered.count("d.tsv @@") == 1 and rendered.count("_tsv\" @@") == field_tests
        assert "d.year + 0 >=" in rendered          # the year index never drives a words query
    hits = [h.id for h in pg.search(parse_query(text)).hits]
    assert hits and hits == [h.id for h in pg.search(parse_query(text), Filters(year_from=1900)).hits]


@pytest.mark.parametrize("text,forced", [("озеро согласие", "off"), ("author:Иванов озеро", "off"),
                                         ('"горные озёра" OR согласие', "off"), ("", "on")])
def test_postgres_plain_word_queries_never_scan_the_table(pg, monkeypatch, text, forced):
    """Plain words and phrases no passage holds (one tsquery) never read the table sequentially (every row's
    TOASTed tsvector); a phrase a long body's passages hold (tested by id beside the tsvector) and queries without
    words keep the planner's choice (forced, such queries took 0.4 s a statement on the 269-row corpus archive)."""
    from indexer.backend import Filters

    seen = _settings_seen(pg, monkeypatch, "enable_seqscan")
    pg.search(parse_query(text), Filters(year_from=1990))
    assert seen and seen[0] == forced              # the query as asked (a some-words retry may follow)


def _settings_seen(pg, monkeypatch, setting: str) -> list[str]:
    """The value of ``setting`` in each search's transaction, as its counts are read (filled as searches run)."""
    seen = []
    real = type(pg)._counts

    def spy(self, conn, w, facets):
        seen.append(conn.execute(f"SHOW {setting}").fetchone()[0])
        return real(self, conn, w, facets)

    monkeypatch.setattr(type(pg), "_counts", spy)
    return seen


def test_postgres_search_statements_are_never_jit_compiled(pg, monkeypatch):
    """A search's connections have JIT off (the server's default is on): a statement costed over jit_above_cost,
    such as one whose only plan is the scan a words query turns off, is not compiled for tens of milliseconds."""
    seen = _settings_seen(pg, monkeypatch, "jit")
    assert [h.id for h in pg.search(parse_query("озеро")).hits]
    assert seen == ["off"]


def test_search_connection_options_add_jit_off_to_those_given(monkeypatch):
    from indexer.postgres_backend import search_options

    monkeypatch.delenv("PGOPTIONS", raising=False)
    assert search_options("postgresql://u@h/db?options=-csearch_path%3Dsearch") == "-csearch_path=search -c jit=off"
    assert search_options("host=h dbname=db options='-c work_mem=8MB'") == "-c work_mem=8MB -c jit=off"
    assert search_options("postgresql://u@h/db") == "-c jit=off"
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=5s")      # libpq's own, unless the string gives some
    assert search_options("postgresql://u@h/db") == "-c statement_timeout=5s -c jit=off"
    assert search_options("postgresql://u@h/db?options=-cwork_mem%3D8MB") == "-cwork_mem=8MB -c jit=off"


def test_postgres_keeps_the_search_path_of_the_connection_string_beside_jit_off(tmp_path):
    """``options=-csearch_path=…`` in the connection string (docs/search.md: the tables in a schema of their own)
    holds on every search connection with JIT off beside it: the tables are made and read there. The RUM
    extension may sit in another schema, out of that path: its operator class and ordering operator are named
    with it."""
    import psycopg
    from psycopg import sql

    if not PG_UP:
        pytest.skip(f"no PostgreSQL server at {PG_URL}")
    schema = f"test_path_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS rum")      # in the server's default schema (public)
        except psycopg.Error:
            pass                                                      # not installed, or made by another test now
    sep = "&" if "?" in PG_URL else "?"
    b = open_backend("postgres", tmp_path / "ix", dsn=f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    b.kind, b.schema = "postgres", schema                            # for _dispose: drops the schema
    try:
        b.update(DOCS)
        assert b._run(lambda conn: conn.execute("SELECT current_setting('search_path'), current_setting('jit')")
                      .fetchone()) == (schema, "off")
        assert b._run(lambda conn: conn.execute("SELECT to_regclass(%s) IS NOT NULL", (
            sql.Identifier(schema, "search_documents").as_string(conn),)).fetchone()[0])
        assert ids(b, "озеро") and ids(b, "горные озёра")          # ranked by RUM's distance, where it is installed
    finally:
        _dispose(b)


def test_postgres_bulk_write_into_an_empty_table_builds_the_rum_index_once_at_the_end(pg, tmp_path, monkeypatch):
    """A rebuild writes into the emptied table without the RUM index (kept up row by row it cost ~10 ms a
    document) and builds it once at the end; a GIN index serves searches meanwhile, also for a process that opens
    the tables then. The vocabulary's document frequencies are counted over the batches and written at the end.
    The RUM index and the vocabulary come back however the block ends, and ``rebuilt`` does not build it again."""
    import psycopg
    from psycopg import sql

    if not pg.rum:
        pytest.skip("no RUM index (postgresql-15-rum not installed)")
    names = (pg._rum_index(), pg._t("documents_tsv_bulk"))

    def indexes():
        return pg._run(lambda conn: tuple(conn.execute("SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT "
                                                       "NULL", [n.as_string(conn) for n in names]).fetchone()))
    def vocabulary():
        return pg._run(lambda conn: dict(conn.execute(sql.SQL("SELECT term, df FROM {}").format(pg._t("terms")))))
    queries = ("озеро", '"горные озёра"', "тіл саясаты", "миграция молодёжь")
    expected = {q: [(h.id, round(h.score, 4)) for h in pg.search(parse_query(q)).hits] for q in queries}
    counted = vocabulary()
    assert counted and max(counted.values()) > 1
    with pg.bulk() as write:                       # rows in the table: the RUM index is kept up as before
        assert indexes() == (True, False)
        write(DOCS[:1])
        assert vocabulary() == counted             # and the vocabulary with each batch
    pg.clear()
    with pg.bulk() as write:
        assert indexes() == (False, True)
        write(DOCS[:2])
        assert vocabulary() == {}                  # counted over the batches, written at the end
        other = open_backend("postgres", tmp_path / "ix2", dsn=PG_URL, schema=pg.schema)
        try:
            assert other.search(parse_query("озеро")).total == 1 and other.rum    # its RUM queries, on GIN
        finally:
            other.close()
        write(DOCS[2:])
    assert indexes() == (True, False) and vocabulary() == counted
    reindexed = []
    real = psycopg.Connection.execute

    def spy(self, query, *args, **kw):
        text = query.as_string(self) if hasattr(query, "as_string") else str(query)
        reindexed.extend([text] if text.startswith("REINDEX") else [])
        return real(self, query, *args, **kw)
    monkeypatch.setattr(psycopg.Connection, "execute", spy)
    pg.rebuilt()
    assert reindexed == []                         # built by the bulk write, not once more
    pg.clear()
    with pg.bulk() as write:
        write(DOCS)
    pg.remove([DOCS[-1].id])                       # a write after the bulk one: its row is dead in the RUM index
    pg.update(DOCS[-1:])
    pg.rebuilt()
    assert len(reindexed) == 1                     # so it is built afresh
    pg._result_cache.clear()
    assert {q: [(h.id, round(h.score, 4)) for h in pg.search(parse_query(q)).hits] for q in queries} == expected
    pg.clear()
    with pytest.raises(RuntimeError):
        with pg.bulk() as write:
            write(DOCS[:1])
            raise RuntimeError("the rebuild failed")
    assert indexes() == (True, False) and ids(pg, "озеро") == [1]
    pg.update(DOCS[1:])                            # what the failed rebuild wrote was counted too
    assert vocabulary() == counted
    pg.clear()
    pg._run(pg._set_rum_aside)                     # a rebuild that died before its end: the next rebuilt mends it
    assert indexes() == (False, True)
    pg.rebuilt()
    assert indexes() == (True, False)


def test_postgres_rum_index_survives_a_word_whose_rows_were_all_deleted(pg):
    """postgrespro/rum#183 (RUM 1.3.15): once VACUUM empties a word's posting list, an index scan for that word
    reads uninitialised memory (a segfault restarting the server, or "could not open file ... target block").
    Autovacuum stays off the documents table, and ``rebuilt`` rebuilds the RUM index before it vacuums: the
    issue's own reproduction, on the backend's table, then finds nothing instead of failing."""
    import psycopg
    from psycopg import sql

    if not pg.rum:
        pytest.skip("no RUM index (postgresql-15-rum not installed)")
    table = sql.Identifier(pg.schema, pg.prefix + "documents")
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        options = conn.execute("SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)",
                               (table.as_string(conn),)).fetchone()[0]
        assert "autovacuum_enabled=false" in options
        conn.execute(sql.SQL(
            "INSERT INTO {} (id, tsv, authors_tsv, keywords_tsv, lang, kind, topics, persons) "
            "SELECT 1000 + g, to_tsvector('simple', 'doomedterm payload ' || g), '', '', '{{ru}}', 'article', "
            "'{{}}', '{{}}' FROM generate_series(1, 5000) g").format(table))
        conn.execute(sql.SQL("DELETE FROM {} WHERE id >= 1000").format(table))
    pg.rebuilt()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        n = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE tsv @@ to_tsquery('simple', 'doomedterm')")
                         .format(table)).fetchone()[0]
    assert n == 0
    assert pg.search(parse_query("озеро")).total == 1


def test_tantivy_generation_reads_meta_json_again_only_when_it_changed(tmp_path, monkeypatch):
    """A search asks the generation several times: one ``stat`` answers while meta.json is unchanged and old
    enough; a commit (a new file), even one within the file system's clock tick, gives a new generation."""
    import indexer.tantivy_backend as tb

    b = _open("tantivy", tmp_path)
    try:
        reads = []
        real_open = open
        monkeypatch.setattr(tb, "open", lambda *a, **k: reads.append(a[0]) or real_open(*a, **k), raising=False)
        b.update(DOCS[:1])
        first = b.generation()
        b.update(DOCS[1:2])                      # a commit right after the last: within the racy window
        reads.clear()
        second = b.generation()
        assert second != first
        assert b.generation() == second and len(reads) == 2     # a file written just now is read every time
        later = tb.time.time_ns() + 10 * tb._RACY_NS
        monkeypatch.setattr(tb.time, "time_ns", lambda: later)  # meta.json is now old
        assert b.generation() == b.generation() == second and len(reads) == 2     # the stat answers
        b.update(DOCS[2:3])                      # a commit replaces meta.json: its stat changes
        third = b.generation()
        assert third not in (first, second) and len(reads) == 3
        assert b.generation() == third and len(reads) == 3
        assert [h.id for h in b.search(parse_query("согласие")).hits]    # the searcher follows the generation
    finally:
        _dispose(b)


def test_tantivy_counts_facets_beside_the_ranking(tmp_path, monkeypatch):
    """The facets are counted in another thread: the search returns its page while they are still being counted,
    and the first read waits for them; a copy (a cached answer) shares no dict with them."""
    import threading

    import indexer.tantivy_backend as tb

    b = _open("tantivy", tmp_path)
    go, counting = threading.Event(), threading.Event()
    real = tb._facet_counts

    def held(searcher, q):
        counting.set()
        assert go.wait(10)
        return real(searcher, q)

    monkeypatch.setattr(tb, "_facet_counts", held)
    try:
        b.update(DOCS)
        r = b.search(parse_query(""), Filters(year_from=2016))
        assert sorted(h.id for h in r.hits) == [1, 2] and r.total == 2     # the page, the count still held
        assert counting.wait(10) and not r.facets._future.done()
        go.set()
        assert r.facets["year"] == {"2019": 1, "2021": 1} and dict(r.facets)["lang"] == {"kk": 1, "ru": 1}
        r.facets["year"]["1900"] = 5
        again = b.search(parse_query(""), Filters(year_from=2016))          # the cached answer
        assert again.facets["year"] == {"2019": 1, "2021": 1}
    finally:
        go.set()
        _dispose(b)


def test_tantivy_facet_count_that_fails_raises_where_read(tmp_path, monkeypatch):
    import indexer.tantivy_backend as tb

    def broken(searcher, q):
        raise tb.SearchIndexError("the count failed")

    b = _open("tantivy", tmp_path)
    monkeypatch.setattr(tb, "_facet_counts", broken)
    try:
        b.update(DOCS)
        r = b.search(parse_query("миграция"))
        assert [h.id for h in r.hits] == [3]
        with pytest.raises(tb.SearchIndexError, match="the count failed"):
            r.facets.get("year")
        assert b.search(parse_query("миграция"), facets=False).facets == {}
    finally:
        _dispose(b)


def test_tantivy_facet_count_that_failed_once_is_made_again_where_read(tmp_path, monkeypatch):
    """A passing failure of the count in its thread is not kept with the cached result: the reader counts again."""
    import indexer.tantivy_backend as tb

    real, calls = tb._facet_counts, []

    def flaky(searcher, q):
        calls.append(1)
        if len(calls) == 1:
            raise tb.SearchIndexError("a passing failure")
        return real(searcher, q)

    b = _open("tantivy", tmp_path)
    monkeypatch.setattr(tb, "_facet_counts", flaky)
    try:
        b.update(DOCS)
        r = b.search(parse_query("миграция"))
        assert r.facets["kind"] == {"report": 1} and len(calls) == 2
        again = b.search(parse_query("миграция"))               # the cached answer, its failed count with it
        assert again.facets["year"] == {"2015": 1} and len(calls) == 3
    finally:
        _dispose(b)


def test_tantivy_facet_threads_are_made_again_in_a_forked_process(tmp_path):
    """A worker forked from a process that had counted facets has none of its threads: it makes its own."""
    from concurrent.futures import ThreadPoolExecutor

    b = _open("tantivy", tmp_path)
    try:
        b.update(DOCS)
        assert b.search(parse_query("")).facets["kind"] == {"article": 2, "report": 1}
        pid, pool = b._facet_pool
        assert pid == os.getpid()
        stale = ThreadPoolExecutor(1)
        stale.shutdown()                       # a pool that can take no work, as the parent's is in a child
        b._facet_pool = (pid + 1, stale)       # made by another process
        assert b.search(parse_query("миграция")).facets["kind"] == {"report": 1}
        assert b._facet_pool[0] == os.getpid() and b._facet_pool[1] is not stale
        pool.shutdown()
        own = b._facet_pool[1]
        b.close()                              # its threads end; a search after it makes new ones
        assert b._facet_pool is None and own._shutdown
        assert b.search(parse_query("миграция")).facets["year"] == {"2015": 1}
    finally:
        _dispose(b)
