"""Result pages a reader can trust, on every backend: one work one result, articles before their volume,
printed page numbers, some-words matches marked, notices for cut queries, bounded work on hostile input."""
from __future__ import annotations

import unicodedata

import pytest

from archive.models import Publication
from archive.search import run_search
from archive.services.ingest import ingest_file
from support import DEMO, backend_app

BACKENDS = ["whoosh", "tantivy", "postgres"]


@pytest.fixture(params=BACKENDS)
def archive(request, data_dir, monkeypatch):
    """An archive on the SQLite database with the given search backend (postgres: a schema of its own)."""
    monkeypatch.delenv("ARCHIVE_DATA_DIR", raising=False)
    with backend_app(data_dir, request.param, "search_results", EXTRACT_TIMEOUT_S=120) as app:
        yield app.extensions["archive"]


def search(archive, text, **kw):
    with archive.db.session() as s:
        return run_search(archive, s, text, **kw)


def test_pdf_and_docx_of_one_work_are_one_result(archive):
    docx = ingest_file(archive, DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.docx", publish=True)
    pdf = ingest_file(archive, DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.pdf", publish=True)
    with archive.db.session() as s:
        assert s.get(Publication, pdf.publication_ids[0]).duplicate_of_id == docx.publication_ids[0]
    r = search(archive, "идентичность")
    assert [h.publication.id for h in r.hits if not h.partial] == docx.publication_ids
    assert r.total == 1 and sum(r.facets["year"].values()) == 1


def test_articles_of_a_volume_are_the_hits_not_the_volume(archive):
    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    volume_id, *article_ids = out.publication_ids
    with archive.db.session() as s:
        title_words = s.get(Publication, article_ids[0]).title
    # Every word of an article's title: its table-of-contents line no longer makes the volume a hit.
    r = search(archive, title_words)
    strict = [h.publication.id for h in r.hits if not h.partial]
    assert strict[0] == article_ids[0] and volume_id not in strict
    # The volume's own front matter still finds the volume, once, with a passage of its own pages.
    r = search(archive, "Предисловие")
    vol = [h for h in r.hits if h.publication.id == volume_id]
    assert len(vol) == 1 and all(sn.page <= 5 for sn in vol[0].snippets)


def test_a_volume_page_indexed_without_its_contents_lines_is_not_read_by_windows(archive):
    """A volume's table of contents is indexed without the lines that list its articles: that page's token spans
    are offsets into the indexed text, not the stored one, so it is not marked for reading by windows (its other
    pages, indexed as stored, are)."""
    from archive.services.indexing import documents_for

    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    volume_id = out.publication_ids[0]
    with archive.db.session() as s:
        doc, = documents_for(s, [s.get(Publication, volume_id)])
        stored = {p.number: p.text for p in s.get(Publication, volume_id).pages}
    indexed = dict(doc.pages)
    assert doc.rewritten_pages and doc.rewritten_pages == {n for n, text in indexed.items() if text != stored[n]}
    assert set(indexed) - doc.rewritten_pages            # pages indexed as stored
    found, kept = archive.search.forms.spans_kept([(volume_id, n) for n in indexed], ["сборник", "диалог", "и"])
    assert {n for _v, n in found} == set(indexed) and {n for _v, n in kept} == set(indexed) - doc.rewritten_pages


def test_snippets_carry_the_printed_page(archive):
    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    article_id = out.publication_ids[1]
    r = search(archive, "межконфессионального диалога")
    hit = next(h for h in r.hits if h.publication.id == article_id)
    with archive.db.session() as s:
        art = s.get(Publication, article_id)
        first, last = art.page_start, art.page_end
    assert hit.snippets and all(first <= int(sn.printed) <= last for sn in hit.snippets)
    assert hit.printed_page == hit.snippets[0].printed and hit.page == hit.snippets[0].page
    assert hit.printed_page != str(hit.page)          # printed 5-7, physical 1-3 in the article's own PDF


def test_snippets_read_only_the_pages_that_may_hold_the_query(archive, monkeypatch):
    """The index's page filters choose the pages read: a hit's other pages are neither read nor searched. An
    article's passages are the ones reading every page gives (its matching pages are few here); a volume's come
    from the same pages or fewer: its table of contents, left out of the index, gives none now."""
    import archive.search as search_mod

    ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    read: list[tuple[int, ...]] = []
    real = search_mod.snippets_from_forms

    def spy(form_keys, pages, *a, **kw):
        read.append(tuple(n for n, _t in pages))
        return real(form_keys, pages, *a, **kw)

    def passages(text):
        search_mod._snippet_caches.clear()
        read.clear()
        hits = search(archive, text).hits
        return {h.publication.id: (h.publication.kind, [(sn.page, sn.html) for sn in h.snippets]) for h in hits}

    monkeypatch.setattr(search_mod, "snippets_from_forms", spy)
    fewer = 0
    for text in ("толерантность", "межконфессионального диалога", "Алматы", "предисловие"):
        chosen = passages(text)
        chosen_read = list(read)
        with monkeypatch.context() as m:        # as an index without page filters: every page read
            m.setattr(type(archive.search.forms), "page_candidates", lambda self, docs, keys: {})
            every = passages(text)
        assert chosen.keys() == every.keys() and any(sn for _k, sn in chosen.values()), text
        for pid, (kind, sn) in chosen.items():
            if kind == "volume":
                assert set(sn) <= set(every[pid][1]), text
            else:
                assert sn == every[pid][1], text
        fewer += sum(len(a) < len(b) for a, b in zip(chosen_read, read))
    assert fewer


def _passages_and_reads(archive, monkeypatch, text):
    """Every hit's passages (page, printed, html) for ``text`` and the pages read for them (publication id x
    PAGE_SPAN + number, of a page read whole or of its passage's stretch; "every page" for a publication read
    whole), from a cold cache."""
    import archive.search as search_mod

    with monkeypatch.context() as m:
        reads = _page_reads(m)
        search_mod._snippet_caches.clear()
        hits = search(archive, text).hits
    read = [p if kind in ("pages", "windows") else ("every page", p) for kind, pages in reads for p in pages]
    return {h.publication.id: [(sn.page, sn.printed, sn.html) for sn in h.snippets] for h in hits}, read


def _page_reads(m) -> list[tuple[str, tuple[int, ...]]]:
    """Every read of page text from now on (``m``: a monkeypatch): ("pages", publication id x PAGE_SPAN +
    number of each page read), ("windows", the same of each page of which a passage's stretch was read) or
    ("every page", ids of the publications read whole)."""
    import archive.search as search_mod

    read: list[tuple[str, tuple[int, ...]]] = []
    real = search_mod._rows

    def spy(session, template, *values):
        if template is search_mod._PAGES:
            read.append(("every page", tuple(values[0])))
        elif template is search_mod._PAGES_AT:
            read.append(("pages", tuple(values[1])))
        elif template is search_mod._PAGE_WINDOWS:
            rows = values[0]
            read.append(("windows", tuple(rows[i] * search_mod.PAGE_SPAN + rows[i + 1] for i in range(0, len(rows), 4))))
        return real(session, template, *values)

    m.setattr(search_mod, "_rows", spy)
    return read


def _analysed_at_query_time(m):
    """As an index without recorded spans or forms: the candidate pages are read and analysed (``make_snippets``:
    the index's own analysis, run again)."""
    from indexer.forms import FormStore

    m.setattr(FormStore, "spans_kept", lambda self, pages, keys: ({}, {}))
    m.setattr(FormStore, "form_keys", lambda self, keys: {})


def test_passages_from_recorded_spans_are_those_analysing_the_text_gives(archive, monkeypatch):
    """The index records where each page's words are (``forms.page_spans``): the passages chosen from those
    spans are the ones analysing the candidate pages again gives, marks and all, and only the pages shown are
    read. A page whose text changed after it was indexed no longer fits its spans: it is searched instead."""

    ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    ingest_file(archive, DEMO / "kk-2019-assambleya-tarihy-kelisim.pdf", publish=True)
    from archive.search import PAGE_SPAN
    from indexer.forms import FormStore

    with archive.db.session() as s:
        kinds = dict(s.query(Publication.id, Publication.kind))
        pages = {p.id: len(p.pages) for p in s.query(Publication)}
    fewer = 0
    for text in ("толерантность", "межконфессионального диалога", "Алматы", "предисловие", "религия диалог",
                 "этносаралық келісім", "qoğam", "межэтнических отношений в Алматы"):
        spans, spans_read = _passages_and_reads(archive, monkeypatch, text)
        with monkeypatch.context() as m:
            _analysed_at_query_time(m)
            searched, searched_read = _passages_and_reads(archive, monkeypatch, text)
        # A volume's table of contents and its articles' pages are left out of the index, and every page read
        # gives other candidates: its passages are the index's own (test_articles_of_a_volume_are_the_hits...).
        volumes = {pid for pid in spans if kinds[pid] == "volume"}
        assert {p: sn for p, sn in spans.items() if p not in volumes} == \
            {p: sn for p, sn in searched.items() if p not in volumes}, text
        assert any(spans.values()) and any(isinstance(r, tuple) for r in searched_read), text
        # The pages shown were read, and far fewer than the hits have.
        shown = {pid * PAGE_SPAN + sn[0] for pid, passages in spans.items() for sn in passages}
        assert shown <= set(spans_read), text
        fewer += len(spans_read) < sum(pages[pid] for pid in spans) / 2
    assert fewer >= 5
    # The text of a shown page changes in the database while the index still holds the old page.
    pid, passages = next((pid, sn) for pid, sn in spans.items() if sn)
    page = passages[0][0]
    with archive.db.session() as s:
        row = s.get(Publication, pid).pages[page - 1]
        assert row.number == page
        row.text = "Вставка в начало страницы. " + row.text
        s.commit()
    moved, _read = _passages_and_reads(archive, monkeypatch, "межэтнических отношений в Алматы")
    with monkeypatch.context() as m:        # as an index without spans: the candidate pages searched for forms
        m.setattr(FormStore, "spans_kept", lambda self, pages, keys: ({}, {}))
        searched, _read = _passages_and_reads(archive, monkeypatch, "межэтнических отношений в Алматы")
    assert moved[pid] == searched[pid]
    import re as _re
    marked = {m.lower() for _n, _p, html in moved[pid] for m in _re.findall(r"<mark>([^<]*)</mark>", html)}
    assert marked and marked <= {"межэтнических", "межэтнические", "отношений", "отношения", "в", "алматы"}, marked


def test_of_a_page_whose_spans_fit_its_stored_text_only_the_passage_is_read(archive, monkeypatch):
    """Where normalising a page moved no character, its recorded spans are offsets into the stored text: only
    the stretch its passage shows is read (``substr``), and the passages are those reading the whole page gives."""
    import archive.search as search_mod
    from indexer.forms import FormStore

    ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    ingest_file(archive, DEMO / "kk-2019-assambleya-tarihy-kelisim.pdf", publish=True)
    real = FormStore.spans_kept

    def run(text):
        with monkeypatch.context() as m:
            reads = _page_reads(m)
            search_mod._snippet_caches.clear()
            hits = search(archive, text).hits
        return {h.publication.id: [(sn.page, sn.printed, sn.html) for sn in h.snippets] for h in hits}, reads

    for text in ("межэтнических отношений в Алматы", "этносаралық келісім", "Ассамблея", "qoğam"):
        got, reads = run(text)
        with monkeypatch.context() as m:         # as an index that did not record it: the pages read whole
            m.setattr(FormStore, "spans_kept", lambda self, pages, keys: (real(self, pages, keys)[0], {}))
            whole, whole_reads = run(text)
        assert any(got.values()) and got == whole, text
        assert {kind for kind, _p in reads} == {"windows"} and {kind for kind, _p in whole_reads} == {"pages"}, text
        assert sorted(p for _k, ps in reads for p in ps) == sorted(p for _k, ps in whole_reads for p in ps), text


def test_a_hit_matched_only_in_its_title_reads_only_its_first_page(archive, monkeypatch):
    """Page filters saying no page holds the query (a title match): the opening of the first page is shown, and
    that one page is all that is read, not every page of the publication."""
    import archive.search as search_mod

    from archive.services.indexing import enqueue, process_index_tasks
    from indexer.snippets import plain_snippet

    out = ingest_file(archive, DEMO / "ru-2020-yazykovaya-politika-trekhyazychie.pdf", publish=True)
    pid = out.publication_ids[0]
    with archive.db.session() as s:
        pub = s.get(Publication, pid)
        pub.title, pub.abstracts = "Бегемотология", {}
        first = pub.pages[0].text
        assert len(pub.pages) > 1
        enqueue(s, [pid])
        s.commit()
    process_index_tasks(archive)
    read = _page_reads(monkeypatch)
    search_mod._snippet_caches.clear()
    hit = search(archive, "бегемотология").hits[0]
    assert hit.publication.id == pid and not hit.snippets
    assert hit.snippet_html == plain_snippet(first)
    assert read == [("pages", (pid * search_mod.PAGE_SPAN + 1,))]


def _commentary(archive, **fields) -> int:
    """A published media commentary (no pages: its quote is its text), indexed."""
    from archive.services.indexing import enqueue, process_index_tasks

    with archive.db.session() as s:
        pub = Publication(kind="commentary", status="published", language="ru", year=2024, **fields)
        s.add(pub)
        s.flush()
        enqueue(s, [pub.id])
        s.commit()
        pid = pub.id
    process_index_tasks(archive)
    return pid


def test_the_result_page_reads_its_hits_as_rows_equal_to_the_records(archive):
    """The result page (``names_only``) reads each hit as a plain row (``HitRecord``), not as an ORM object:
    what it holds equals the publication's own, and the snippets and names are those the records give, for an
    article of a volume (printed pages, its volume), the volume itself and a commentary without pages."""
    import archive.search as search_mod
    from archive.search import HitRecord

    ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    _commentary(archive, title="Комментарий агентству", abstracts={},
                extra={"quote": "Толерантность начинается с межконфессионального диалога.", "outlet": "Казинформ"})
    kinds, in_volume = set(), 0
    for text in ("толерантность", "межконфессионального диалога", "Предисловие"):
        search_mod._snippet_caches.clear()
        records = search(archive, text)
        search_mod._snippet_caches.clear()
        rows = search(archive, text, names_only=True)
        assert [h.publication.id for h in rows.hits] == [h.publication.id for h in records.hits], text
        for row, rec in zip(rows.hits, records.hits):
            got, pub = row.publication, rec.publication
            assert isinstance(got, HitRecord) and isinstance(pub, Publication)
            for name in ("kind", "title", "language", "year", "page_start", "page_end", "pages_label", "abstracts",
                         "extra"):
                assert getattr(got, name) == getattr(pub, name), (text, pub.id, name)
            assert (got.volume and (got.volume.id, got.volume.title)) == \
                (pub.volume and (pub.volume.id, pub.volume.title))
            assert (row.snippets, row.snippet_html, row.page, row.printed_page, row.authors) == \
                (rec.snippets, rec.snippet_html, rec.page, rec.printed_page, rec.authors), (text, pub.id)
            kinds.add(got.kind)
            in_volume += bool(got.volume and got.pages_label)
    assert {"article", "volume", "commentary"} <= kinds and in_volume


def test_known_item_query_with_one_absent_word_fills_the_page_marked_partial(archive):
    pdf = ingest_file(archive, DEMO / "ru-2020-yazykovaya-politika-trekhyazychie.pdf", publish=True)
    ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    r = search(archive, "трехъязычие языковая политика гиппопотам")
    assert r.hits and r.hits[0].publication.id == pdf.publication_ids[0]
    assert all(h.partial for h in r.hits) and r.partial_from == 0


def test_next_identical_query_sees_an_updated_publication(archive):
    from archive.services.indexing import enqueue, process_index_tasks

    out = ingest_file(archive, DEMO / "ru-2020-yazykovaya-politika-trekhyazychie.pdf", publish=True)
    pid = out.publication_ids[0]
    assert search(archive, "бегемотология").total == 0
    assert search(archive, "бегемотология").total == 0           # cached
    with archive.db.session() as s:
        s.get(Publication, pid).title = "Бегемотология и языковая политика"
        enqueue(s, [pid])
        s.commit()
    process_index_tasks(archive)
    r = search(archive, "бегемотология")
    assert [h.publication.id for h in r.hits] == [pid]


def test_cut_query_says_what_was_left_out(archive):
    ingest_file(archive, DEMO / "ru-2020-yazykovaya-politika-trekhyazychie.pdf", publish=True)
    r = search(archive, "политика " + "ы" * 80)
    assert r.notices == ["Words longer than 50 characters were left out of the search."]
    assert r.total >= 1
    r = search(archive, " ".join(["политика"] * 200))
    assert "Only the first 32 words of your query were searched." in r.notices
    assert "Only the first 1,000 characters of your query were searched." in r.notices


def test_notices_are_shown_in_the_readers_language(client):
    """The notices are N_() strings of indexer/query.py: babel.cfg extracts them, so the catalogs translate them
    (they had fallen out of the catalogs as obsolete, and Russian and Kazakh readers read them in English)."""
    q = {"q": "политика " + "ы" * 80}
    assert "Слова длиннее 50 символов не учитывались при поиске." in client.get("/search", query_string=q).text
    assert "50 таңбадан ұзын сөздер іздеуге алынбады." in client.get("/kk/search", query_string=q).text
    assert "Words longer than 50 characters were left out" in client.get("/en/search", query_string=q).text


def _every_category() -> str:
    seen: dict[str, str] = {}
    for cp in range(0x30000):
        cat = unicodedata.category(chr(cp))
        if cat not in seen and cat != "Cs":
            seen[cat] = chr(cp)
    return " ".join(seen.values()) + " \ud800"           # and a lone surrogate, which cannot be encoded


HOSTILE = ["ж" * 1000, "qwertyuiop" * 100, " ".join(f"слово{i}" for i in range(200)),
           " ".join("ы" * 49 for _ in range(40)), '"' + " ".join(["а"] * 300) + '"', _every_category(),
           " OR ".join(["межэтнич*"] * 100), "author:" + "я" * 999]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_costs_bounded_work(archive, monkeypatch, text):
    import indexer.analysis as analysis
    import indexer.speller as speller
    from indexer.query import MAX_CLAUSES, MAX_WORD_CHARS

    ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    analysed = {"calls": 0, "chars": 0}
    examined = {"n": 0}
    real_keys, real_distance = analysis._keys_for, speller.Levenshtein.distance

    def counting_keys(word, lang):
        analysed["calls"] += 1
        analysed["chars"] += len(word)
        return real_keys(word, lang)

    class CountingLevenshtein:
        @staticmethod
        def distance(*a, **kw):
            examined["n"] += 1
            return real_distance(*a, **kw)

    analysis._keys_for.cache_clear()
    monkeypatch.setattr(analysis, "_keys_for", counting_keys)
    monkeypatch.setattr(speller, "Levenshtein", CountingLevenshtein)
    r = search(archive, text)
    assert r.page == 1 and isinstance(r.notices, list)
    # Every analysed word is at most MAX_WORD_CHARS long and there are at most MAX_CLAUSES of them; each is
    # read a bounded number of ways (two languages, a few Latin readings, hyphen parts).
    assert analysed["chars"] <= MAX_CLAUSES * MAX_WORD_CHARS * 40, analysed
    assert examined["n"] <= speller.MAX_CORRECTED_WORDS * speller.MAX_PROBES * speller.MAX_CANDIDATES * 2, examined
    if len(text) > 1000 or any(len(w) > MAX_WORD_CHARS for w in text.split()):
        assert r.notices


def test_suggestion_work_does_not_grow_with_the_vocabulary(archive, monkeypatch):
    import indexer.speller as speller

    ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    examined = {"n": 0}
    real = speller.Levenshtein.distance

    class CountingLevenshtein:
        @staticmethod
        def distance(*a, **kw):
            examined["n"] += 1
            return real(*a, **kw)

    monkeypatch.setattr(speller, "Levenshtein", CountingLevenshtein)
    r = search(archive, "межэтнчиеские")
    assert r.suggestion and "межэтнический" in r.suggestion
    assert examined["n"] < 50            # the terms sharing a deletion with the word, not the vocabulary
