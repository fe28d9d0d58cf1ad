"""A Whoosh rebuild written by child processes (indexer/whoosh_bulk.py) gives the index that ``update`` gives, keeps
what another writer commits meanwhile, and fails cleanly (no hang, no stray files) when a child fails or dies."""
from __future__ import annotations

import os
from dataclasses import replace

import pytest
from whoosh.index import open_dir

from indexer import whoosh_bulk
from indexer.analysis import word_keys
from indexer.backend import Filters, SearchIndexError
from indexer.documents import IndexDocument, ParallelAnalyzer
from indexer.query import parse_query
from indexer.whoosh_backend import WhooshBackend

WORDS = ("межэтнические отношения согласие языковая политика молодёжь миграция Алматы "
         "қазақ тілі ақындары мемлекеттік саясат этномәдени бірлестіктер").split()
QUERIES = ["межэтнических отношений", "тілі", "\"языковая политика\"", "молодёжи", "Qazaq", "согласие -миграция",
           "ақындары саясат"]


KEYS = sorted({k for w in WORDS for k in word_keys(w)})


def _docs(n: int, first: int = 1) -> list[IndexDocument]:
    out = []
    for i in range(first, first + n):
        body = " ".join(WORDS[(i * k + k * k) % len(WORDS)] for k in range(40 + i % 17))
        out.append(IndexDocument(id=i, language="kk" if i % 3 == 0 else "ru", titles={"ru": f"Статья {i} {WORDS[i % 9]}"},
                                 authors=(f"Автор {i % 5}",), person_ids=(i % 5,), year=2000 + i % 7,
                                 kind="report" if i % 4 == 0 else "article", topics=(f"t{i % 3}",),
                                 pages=((1, body), (2, WORDS[i % len(WORDS)] + " " + body[:200]))))
    return out


def _answers(b) -> dict:
    out = {}
    for q in QUERIES:
        r = b.search(parse_query(q), limit=50)
        # Equal scores may come in another order: Whoosh breaks ties by document number, which the segments change.
        out[q] = (sorted(((h.id, round(h.score, 6)) for h in r.hits), key=lambda h: (-h[1], h[0])), r.total, r.facets)
    filtered = b.search(parse_query("согласие"), Filters(year_from=2003), limit=50).hits
    out["filtered"] = sorted(((h.id, round(h.score, 6)) for h in filtered), key=lambda h: (-h[1], h[0]))
    return out


def _segments(path) -> list[int]:
    return [s.doc_count_all() for s in open_dir(str(path))._segments()]


def _leftovers(path) -> list[str]:
    return [name for name in os.listdir(path) if name.startswith(".bulk-")]


def _bulk_build(b, docs, batch=7):
    with ParallelAnalyzer(2, once=True) as analyzer, b.bulk(2) as write:
        chunk = []
        for d in analyzer.analyzed(docs):
            chunk.append(d)
            if len(chunk) == batch:
                write(chunk)
                chunk = []
        if chunk:
            write(chunk)


def test_bulk_writes_the_index_that_updates_write(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_TOKENS", 800)     # several segments from each child
    docs = _docs(60)
    one = WhooshBackend(tmp_path / "one")
    one.update(docs)
    bulk = WhooshBackend(tmp_path / "bulk")
    bulk.clear()
    _bulk_build(bulk, docs)
    assert len(_segments(tmp_path / "bulk")) >= 4 and sum(_segments(tmp_path / "bulk")) == 60
    assert bulk.doc_ids() == one.doc_ids() == set(range(1, 61))
    assert _answers(bulk) == _answers(one)
    assert any(hits for hits, _total, _facets in list(_answers(one).values())[:-1])
    # The speller and the page filters were kept in step by the caller.
    assert bulk.suggest(parse_query("межэтническиеее")) == one.suggest(parse_query("межэтническиеее"))
    assert bulk.forms.page_candidates(range(1, 61), KEYS) == one.forms.page_candidates(range(1, 61), KEYS)
    assert bulk.forms.forms(KEYS) == one.forms.forms(KEYS) != {}
    assert _leftovers(tmp_path / "bulk") == []


def test_after_a_bulk_build_the_speller_knows_every_word(tmp_path, monkeypatch):
    """Kept in step batch by batch, a bulk build's keys (each reported once) made the speller rebuild its base from
    a vocabulary the children had not committed yet: after a reindex of the 3,000-article benchmark archive it knew
    no word, so "did you mean" and prefixes found nothing. The speller is now built once, when the bulk ends."""
    from indexer import speller
    from indexer.speller import suggestible

    monkeypatch.setattr(whoosh_bulk, "SEGMENT_TOKENS", 800)
    monkeypatch.setattr(speller, "DELTA_REBUILD_MIN", 0)     # a base rebuild at every batch, as thousands of keys do
    b = WhooshBackend(tmp_path / "bulk")
    b.clear()
    _bulk_build(b, _docs(60))
    known = [k for k in KEYS if suggestible(k)]
    assert len(known) > 10 and all([c.term for c in b.speller.candidates(k)][:1] == [k] for k in known)
    assert b.search(parse_query("миграцыя")).suggestion == "миграция"
    assert b.search(parse_query("миграц*")).total == b.search(parse_query("миграция")).total > 0


def test_an_excluded_word_leaves_out_every_document_that_has_it(tmp_path, monkeypatch):
    """Whoosh's AndNot kept some documents with the excluded word, depending on where they lay in a segment
    (whoosh issue #419; 2 of 60 here, with several segments): the exclusion is the collector's mask instead."""
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_TOKENS", 800)
    for name in ("one", "bulk"):
        b = WhooshBackend(tmp_path / name)
        if name == "one":
            b.update(_docs(60))
        else:
            _bulk_build(b, _docs(60))
        def found(q):
            return {h.id for h in b.search(parse_query(q), limit=100).hits if not h.partial}
        assert found("согласие -миграция") == found("согласие") - found("миграция") != set()
        assert found("согласие") & found("миграция")


def test_bulk_replaces_older_copies_and_keeps_a_commit_made_meanwhile(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_bulk, "SEGMENT_TOKENS", 10 ** 9)   # the segments are finished only at the end
    path = tmp_path / "ix"
    b = WhooshBackend(path)
    b.update([replace(_docs(1, first=5)[0], titles={"ru": "Устаревшее заглавие"})])
    other = WhooshBackend(path)                       # another process's writer, e.g. a background task
    with b.bulk(2) as write:
        write(_docs(10))
        # A commit while the children hold unfinished segments: Whoosh deletes segment files its table of
        # contents does not name, in the index folder (not in the hidden one the children write in).
        other.update(_docs(1, first=500))
        write(_docs(10, first=11))
    assert b.doc_ids() == set(range(1, 21)) | {500}
    assert [h.id for h in b.search(parse_query("Устаревшее")).hits] == []
    assert 5 in [h.id for h in b.search(parse_query("Статья"), limit=50).hits]
    assert _leftovers(path) == []


def test_a_child_that_fails_stops_the_build_with_a_clear_error(tmp_path):
    b = WhooshBackend(tmp_path / "ix")
    bad = replace(_docs(1, first=99)[0], year="not a year")      # the child's int() fails
    with pytest.raises(SearchIndexError, match="child process"):
        with b.bulk(2) as write:
            write(_docs(5))
            write([bad])
    assert _leftovers(tmp_path / "ix") == []
    b.doc_ids()                                                   # the index still opens


def test_a_full_disk_in_a_child_stays_a_full_disk_for_the_caller(tmp_path, caplog):
    """What a child sends when its writing fails: the caller logs the traceback and raises with the OSError's
    number as the cause, which archive.errors tells a person as "disk full" (a traceback stays in the log)."""
    import errno

    b = WhooshBackend(tmp_path / "ix")
    with pytest.raises(SearchIndexError, match="the detail is in the log") as info:
        with b.bulk(2) as write:
            bulk = write.__self__
            bulk.results.put(("error", bulk.folders[0], (errno.ENOSPC, "No space left on device",
                                                         "Traceback (most recent call last): ..."), None))
            for i in range(50):
                write(_docs(1, first=i + 1))
    assert isinstance(info.value.__cause__, OSError) and info.value.__cause__.errno == errno.ENOSPC
    assert "Traceback (most recent call last)" in caplog.text
    assert _leftovers(tmp_path / "ix") == []


def test_a_child_killed_mid_build_is_noticed_not_waited_for(tmp_path):
    b = WhooshBackend(tmp_path / "ix")
    with pytest.raises(SearchIndexError, match="ended unexpectedly"):
        with b.bulk(2) as write:
            write(_docs(3))
            for child in write.__self__.children:
                child.kill()
                child.join()
            for i in range(20):                               # fills the queue nobody takes from any more
                write(_docs(3, first=100 + 3 * i))
    assert _leftovers(tmp_path / "ix") == []
    b.doc_ids()


def test_one_process_bulk_is_plain_updates(tmp_path):
    b = WhooshBackend(tmp_path / "ix")
    with b.bulk(1) as write:
        assert write == b.update
        write(_docs(3))
    assert b.doc_ids() == {1, 2, 3}


_KILLED_REBUILD = r"""
import os, sys
sys.path.insert(0, "tests/indexer")
from test_whoosh_bulk import _docs
from indexer import whoosh_bulk
from indexer.whoosh_backend import WhooshBackend
if __name__ == "__main__":
    whoosh_bulk.SEGMENT_TOKENS = 10 ** 9
    b = WhooshBackend(sys.argv[1])
    with b.bulk(2) as write:
        write(_docs(10))
        print(" ".join(str(c.pid) for c in write.__self__.children), flush=True)
        os.kill(os.getpid(), 9)
"""


def _running(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_children_of_a_killed_rebuild_end_and_its_folder_is_swept(tmp_path):
    """A rebuild killed outright (out of memory, kill -9) sends its children no end: they notice that it is gone
    and exit; the next rebuild removes the folder it left."""
    import subprocess
    import sys
    import time

    from support import REPO

    path = tmp_path / "ix"
    out = subprocess.run([sys.executable, "-c", _KILLED_REBUILD, str(path)], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == -9, out.stderr[-2000:]
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 30
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_running(p) for p in pids)
    assert len(_leftovers(path)) == 1
    b = WhooshBackend(path)
    with b.bulk(2) as write:
        write(_docs(3))
    assert _leftovers(path) == [] and b.doc_ids() == {1, 2, 3}


def _segment_contents(folder) -> dict:
    """Everything a search reads from an index of one segment: each term's statistics and postings (document,
    weight, value), each document's field lengths and stored fields, the field totals."""
    ix = open_dir(str(folder))
    with ix.reader() as r:
        fields = [name for name in ix.schema.names() if ix.schema[name].scorable]
        terms = {}
        for fieldname, tbytes in r.all_terms():
            info = r.term_info(fieldname, tbytes)
            m = r.postings(fieldname, tbytes)
            postings = []
            while m.is_active():
                postings.append((m.id(), m.weight(), m.value()))
                m.next()
            terms[fieldname, tbytes] = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                                        info.max_weight(), info.min_id(), info.max_id(), postings)
        lengths = {(n, f): r.doc_field_length(n, f) for n in range(r.doc_count_all()) for f in fields}
        # (a field no document has has no length column, and Whoosh's min/max then fail)
        totals = {f: (r.field_length(f), r.min_field_length(f), r.max_field_length(f)) for f in fields
                  if r.field_length(f)}
        stored = [r.stored_fields(n) for n in range(r.doc_count_all())]
    return {"terms": terms, "lengths": lengths, "totals": totals, "stored": stored}


def test_the_bulk_writer_writes_the_segment_whooshs_own_writer_writes(tmp_path):
    """The children's writer (grouped postings in memory, text fields from our terms) against Whoosh's writer on
    the same documents: every term's postings, weights, positions and statistics, every length and stored value."""
    from whoosh.filedb.filestore import FileStorage

    from indexer.documents import analyzed
    from indexer.whoosh_backend import _schema

    docs = _docs(80)
    # Long fields too: frequencies past 255 and lengths Whoosh stores as a rounded byte.
    docs.append(replace(docs[0], id=500, pages=((1, " ".join(WORDS * 40)),)))
    docs = [replace(d, terms=t, forms=f, page_filters=p) for d in docs for t, f, p in [analyzed(d)]]
    contents = []
    for name, writer_of, encode in (("whoosh", lambda ix: ix.writer(), ...),
                                    ("bulk", whoosh_bulk._bulk_writer_class(), None)):
        folder = tmp_path / name
        ix = FileStorage(str(folder)).create().create_index(_schema())
        w = writer_of(ix)
        for d in docs:
            fields = WhooshBackend._fields(d, d.terms) if encode is ... else WhooshBackend._fields(d, d.terms, encode=None)
            w.add_document(**fields)
        w.commit()
        contents.append(_segment_contents(folder))
    assert contents[0]["terms"] and max(p[1] for p in contents[0]["terms"].values()) == len(docs)
    for part in ("terms", "lengths", "totals", "stored"):
        assert contents[1][part] == contents[0][part], part


def test_positions_are_encoded_as_whoosh_encodes_them():
    from whoosh.formats import Positions

    import random

    rnd = random.Random(5)
    for n in (1, 2, 3, 17, 300):
        for _ in range(20):
            at = sorted(rnd.sample(range(100_000), n))
            assert whoosh_bulk._encode_positions(at) == Positions().encode(at)
