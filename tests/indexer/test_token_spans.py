"""Token spans recorded at index time (``indexer.forms.page_spans``) and their store: every layout branch (wide
starts, long words), a key's CRC-32 never matched across two occurrences, what a search reads back, replacement
and removal with the document, and unreadable rows."""
from __future__ import annotations

import itertools
import logging
import sqlite3
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.forms import _FIND_KEYS_MAX, PAGE_KEY, SPAN_CAPPED, FormStore, page_filter, page_spans, spans_of

KEYS = st.sampled_from(["язык", "тіл", "политика", "саясат", "~til", "a", "ё"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(KEYS, st.integers(0, 200_000), st.integers(1, 600)), max_size=60),
       st.sets(KEYS, max_size=4))
def test_spans_give_back_every_occurrence_of_the_keys_asked(occurrences, asked):
    occurrences.sort(key=lambda o: o[1])
    keys = [k for k, _s, _n in occurrences]
    blob = page_spans(keys, [s for _k, s, _n in occurrences], [n for _k, _s, n in occurrences])
    want = sorted((s, s + min(n, SPAN_CAPPED), k) for k, s, n in occurrences if k in asked)
    assert spans_of(blob, asked) == want


MANY_KEYS = st.sampled_from([f"слово{i}" for i in range(40)] + ["~til", "ё", "a"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(MANY_KEYS, st.integers(0, 200_000), st.integers(1, 600)), max_size=80),
       st.sets(MANY_KEYS, min_size=_FIND_KEYS_MAX + 1, max_size=43))
def test_many_keys_asked_at_once_give_back_every_occurrence_too(occurrences, asked):
    """Past ``_FIND_KEYS_MAX`` keys (a prefix stands for up to 64) the page's CRC-32s are matched in one numpy pass
    instead of a find per key: the same spans."""
    occurrences.sort(key=lambda o: o[1])
    keys = [k for k, _s, _n in occurrences]
    blob = page_spans(keys, [s for _k, s, _n in occurrences], [n for _k, _s, n in occurrences])
    want = sorted((s, s + min(n, SPAN_CAPPED), k) for k, s, n in occurrences if k in asked)
    assert spans_of(blob, asked) == want


def _key_with_crc_bytes(want: bytes, at: int) -> str:
    """A key whose CRC-32 (little-endian) has ``want`` at byte ``at``."""
    return next(k for k in (f"w{i}" for i in itertools.count())
                if zlib.crc32(k.encode()).to_bytes(4, "little")[at:at + len(want)] == want)


def test_a_key_is_not_found_across_two_neighbouring_occurrences():
    # The last two bytes of one key's CRC-32 and the first two of the next one's spell the asked key's.
    target = zlib.crc32("политика".encode()).to_bytes(4, "little")
    before, after = _key_with_crc_bytes(target[:2], 2), _key_with_crc_bytes(target[2:], 0)
    blob = page_spans([before, after, "политика"], [0, 10, 20], [5, 5, 8])
    assert spans_of(blob, {"политика"}) == [(20, 28, "политика")]
    assert spans_of(page_spans([before, after], [0, 10], [5, 5]), {"политика"}) == []


def test_a_page_with_many_distinct_keys_and_long_words():
    keys = [f"k{i}" for i in range(70_000)] + ["k5"]
    starts = list(range(0, 3 * len(keys), 3))
    lengths = [2] * (len(keys) - 1) + [1000]
    blob = page_spans(keys, starts, lengths)
    assert spans_of(blob, {"k5", "k69999"}) == [(15, 17, "k5"), (209997, 209999, "k69999"),
                                                 (starts[-1], starts[-1] + SPAN_CAPPED, "k5")]
    assert spans_of(blob, {"absent"}) == []
    many = {f"k{i}" for i in range(0, 70_000, 7_000)} | {"k5"}      # past _FIND_KEYS_MAX: the numpy pass
    assert spans_of(blob, many) == sorted([(3 * i, 3 * i + 2, f"k{i}") for i in range(0, 70_000, 7_000)]
                                          + [(15, 17, "k5"), (starts[-1], starts[-1] + SPAN_CAPPED, "k5")])


@pytest.mark.parametrize("where", ["file", "memory"])
def test_the_store_reads_replaces_and_drops_a_documents_spans(tmp_path, where):
    store = FormStore(tmp_path if where == "file" else None)

    def page(n, words):
        keys = [w for w in words.split()]
        starts, at = [], 0
        for w in keys:
            starts.append(at)
            at += len(w) + 1
        return (n, page_filter(keys), page_spans(keys, starts, [len(w) for w in keys]))

    store.set_pages({7: [page(1, "язык и политика"), page(2, "политика")], 8: [page(1, "язык")]})
    got = store.spans([(7, 1), (7, 2), (8, 1), (9, 1)], ["политика"])
    assert got == {(7, 1): [(7, 15, "политика")], (7, 2): [(0, 8, "политика")], (8, 1): []}
    store.set_pages({7: [page(1, "только политика")]})          # the document again, one page now
    assert store.spans([(7, 1), (7, 2)], ["политика"]) == {(7, 1): [(7, 15, "политика")]}
    store.drop_pages([7])
    assert store.spans([(7, 1), (8, 1)], ["язык"]) == {(8, 1): [(0, 4, "язык")]}
    store.clear()
    assert store.spans([(8, 1)], ["язык"]) == {}


def test_an_unreadable_row_is_as_if_not_recorded(tmp_path, caplog):
    store = FormStore(tmp_path)
    keys = ["язык", "политика"]
    store.set_pages({3: [(1, page_filter(keys), page_spans(keys, [0, 5], [4, 8])),
                         (2, page_filter(keys), page_spans(keys, [0, 5], [4, 8]))]})
    with sqlite3.connect(tmp_path / "forms.sqlite") as conn:
        conn.execute("UPDATE page_spans SET spans = substr(spans, 1, length(spans) - 1) WHERE id = ?",
                     (3 * PAGE_KEY + 1,))
        conn.execute("UPDATE page_spans SET spans = x'00' || substr(spans, 2) WHERE id = ?", (3 * PAGE_KEY + 2,))
    with caplog.at_level(logging.WARNING, logger="indexer.forms"):
        assert store.spans([(3, 1), (3, 2)], ["язык"]) == {}
    assert "unreadable token spans" in caplog.text


@pytest.mark.parametrize("text, kept, same", [
    ("Межэтнические отношения в Алматы", True, True),
    ("Aлматы и Астана: Latin A inside a Cyrillic word", True, False),    # fixed letter for letter
    ("Межэт\u00adнические отношения", False, False),                   # a soft hyphen: normalising drops it
    ("Краи\u0306 и область", False, False),                           # и + breve: composed into й
    ("текст\x00с нулём", False, False),                                # a NUL: the database's text functions stop
])
def test_a_page_records_whether_its_spans_are_offsets_into_its_stored_text(tmp_path, text, kept, same):
    from indexer.documents import IndexDocument, _packed_terms
    from indexer.forms import _POSITIONS_KEPT, _TEXT_SAME

    _terms, _forms, pages, _fresh = _packed_terms(IndexDocument(id=5, pages=((1, text), (2, "второй лист"))))
    assert [(bool(spans[0] & _POSITIONS_KEPT), bool(spans[0] & _TEXT_SAME)) for _n, _f, spans in pages] == \
        [(kept, same), (True, True)]
    store = FormStore(tmp_path)
    store.set_pages({5: pages})
    found, kept_pages = store.spans_kept([(5, 1), (5, 2), (6, 1)], ["отношение", "лист", "алматы", "край", "текст"])
    assert set(found) == {(5, 1), (5, 2)}
    assert kept_pages == ({(5, 1): same, (5, 2): True} if kept else {(5, 2): True})
    assert store.spans([(5, 1), (5, 2)], ["лист"]) == found_only(found, "лист")


def found_only(found, key):
    return {p: [m for m in ms if m[2] == key] for p, ms in found.items()}


def test_each_threads_connection_to_the_store_keeps_a_small_page_cache(tmp_path):
    """A worker's threads each keep a connection; at SQLite's default cache (2 MB) they held ~9 MB of a Whoosh
    worker (3,000 articles). Each connection, in every thread, asks for ``CACHE_KIB``."""
    import threading

    from indexer import forms

    store = FormStore(tmp_path)
    store.add([("город", "города")])
    seen = []
    worker = threading.Thread(target=lambda: seen.append(store._conn().execute("PRAGMA cache_size").fetchone()[0]))
    worker.start()
    worker.join()
    mine = store._conn().execute("PRAGMA cache_size").fetchone()[0]
    assert forms.CACHE_KIB < 2000 and seen == [mine] == [-forms.CACHE_KIB]
    assert store.forms(["город"]) == {"город": {"города"}}
