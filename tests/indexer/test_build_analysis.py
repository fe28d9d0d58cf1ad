"""The one-pass analysis of an index build (``indexer.documents._analyze_fields``) against its definition.

The definition below is the analysis as it was written before the build was made cheap: ``analyze`` and
``analyze_text`` per field, ``_collect`` for the (key, surface form) pairs, positions shifted per paragraph and
per page. Every field's keys and positions (what an engine stores: none keeps character offsets), the forms and
each body page's recorded token spans (``forms.page_spans``: the definition's offsets) must stay identical, on
texts written here
(mixed scripts, hyphens, abbreviations, Latin Kazakh, empty fields), on synthetic articles and on corpus texts.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

from support import CORPUS, corpus_text_documents

from indexer.analysis import PackedTerms, Term, analyze, normalize_text, term_columns, term_keys
from indexer.analysis.language import detect_language
from indexer.analysis.normalize import fold_token
from indexer.documents import IndexDocument, ParallelAnalyzer, _analyze_fields, _packed_terms, analyzed
from indexer.documents import analyze_text as _old_analyze_text
from indexer.forms import SPAN_CAPPED, may_hold, spans_of


# ----------------------------------------------------------------------------- the definition (unchanged)
# ``analyze_text`` (indexer.documents, public and unchanged) is the per-paragraph part of it.
def _old_collect(forms, terms, text):
    seen = {}
    for key, _pos, start, end in terms:
        form = seen.get((start, end))
        if form is None:
            form = seen[(start, end)] = fold_token(text[start:end])
        if form != key:
            forms.add((key, form))
    return terms


def _old_analyze_fields(doc, forms):
    lang = doc.language or "ru"
    title_terms = []
    for tl, title in doc.titles.items():
        text = normalize_text(title)
        title_terms.extend(_old_collect(forms, analyze(text, tl if tl in ("ru", "kk", "en") else lang), text))
    abstract_terms = []
    for al, abstract in doc.abstracts.items():
        abstract_terms.extend(_old_collect(forms, _old_analyze_text(abstract, al if al in ("ru", "kk", "en") else lang),
                                           normalize_text(abstract)))
    keyword_terms = []
    for kw in doc.keywords:
        text = normalize_text(kw)
        keyword_terms.extend(_old_collect(forms, analyze(text, detect_language(kw, lang) or lang), text))
    author_terms = []
    for name in doc.authors:
        text = normalize_text(name)
        author_terms.extend(_old_collect(forms, analyze(text, "ru"), text))
        author_terms.extend(_old_collect(forms, [t for t in analyze(text, "kk") if t.key.startswith("~")], text))
    body_terms = []
    pos_base = 0
    for _page_no, text in doc.pages:
        page_terms = _old_collect(forms, _old_analyze_text(text, lang, latin_keys=False), normalize_text(text))
        body_terms.extend(Term(t.key, t.pos + pos_base, t.start, t.end) for t in page_terms)
        if page_terms:
            pos_base += page_terms[-1].pos + 2
    return {"title": title_terms, "abstract": abstract_terms, "keywords": keyword_terms,
            "authors": author_terms, "body": body_terms}


def _postings(terms):
    return [(t[0], t[1]) for t in terms]


def _assert_same(doc):
    old_forms, new_forms = set(), set()
    old = _old_analyze_fields(doc, old_forms)
    pages = []
    new = _analyze_fields(doc, new_forms, pages)
    assert [n for n, _f, _s in pages] == [n for n, _t in doc.pages]
    for (_n, filter_, spans), (_n, text) in zip(pages, doc.pages):
        want = [(t.start, min(t.end, t.start + SPAN_CAPPED), t.key)
                for t in _old_analyze_text(text, doc.language or "ru", latin_keys=False)]
        keys = {k for _s, _e, k in want}
        assert spans_of(spans, keys) == sorted(want), (doc.id, _n)
        some = set(sorted(keys)[::3])
        assert spans_of(spans, some) == sorted(w for w in want if w[2] in some), (doc.id, _n)
        assert all(may_hold(filter_, k) for k in keys)
        assert spans_of(spans, {"нетакогоключа", "zzz"}) == []
    assert list(new) == list(old)
    for name in old:
        assert isinstance(new[name], PackedTerms)
        assert [tuple(p) for p in new[name]] == _postings(old[name]), (doc.id, name)
        assert len(new[name]) == len(old[name]) and new[name] == old[name]
    assert new_forms == old_forms, doc.id
    # What a child hands over survives pickling unchanged.
    packed, forms, _pages, _keys = pickle.loads(pickle.dumps(_packed_terms(doc), protocol=pickle.HIGHEST_PROTOCOL))
    assert {n: [tuple(p) for p in t] for n, t in packed.items()} == {n: _postings(t) for n, t in old.items()}
    assert set(forms) == old_forms


WRITTEN = [
    IndexDocument(id=1, language="ru", titles={"ru": "Языковая политика Казахстана", "kk": "Тіл саясаты"},
                  abstracts={"ru": "Об отношениях АНК-а и МОН-а.\n\nҚазақстанның ақындары туралы мақала, "
                                   "бұл абзац қазақ тілінде жазылған және ұзын.\n\nЕщё один абзац, ёлка."},
                  keywords=("миграция", "Qazaqstan tarihy", "социально-экономический"),
                  authors=("Иванов А.Б.", "Нұрланов Ержан", "Saparov Ermek"),
                  pages=((1, "Текст страницы с ЮНЕСКО-ның и АНКа, 2021 год.\n\n\n"),
                         (2, ""), (3, "  \n\n  "), (4, "Aлматы — Latin A inside; Ə schwa here: Əлем\u00adнің мəні."),
                         (5, "Қазақстан Республикасы Білім және ғылым министрлігі бекіткен бағдарлама "
                             "бойынша оқытылады.\n\nМежэтнические отношения в Алматы, 1990-е годы.\n"
                             "Kazakhstan's policy, English words, e-mail x-y-z ---"))),
    IndexDocument(id=2, language="kk", titles={"en": "A title", "xx": "Бірдеңе"}, abstracts={},
                  keywords=(), authors=(), pages=((1, "бала мектепке барды\n\nБала"),)),
    IndexDocument(id=3, language="", titles={}, abstracts={"ru": ""}, pages=()),
    # Combining marks: the normalised paragraph differs from the normalised page (forms read from the page).
    IndexDocument(id=4, language="ru", titles={"ru": "y\u0306ear Aлма\u0301ты"},
                  pages=((1, "Оy\u0306 y\u0306ear и Cа\u0301мара\n\nпоследний y\u0306 абзац"),)),
]


@pytest.mark.parametrize("doc", WRITTEN, ids=lambda d: str(d.id))
def test_written_texts_analyse_as_defined(doc):
    _assert_same(doc)


@pytest.mark.corpus
def test_synthetic_articles_analyse_as_defined():
    if not (CORPUS / "text").is_dir():
        pytest.skip("shared corpus absent")
    from bench.synth import Synth, to_index_document

    synth = Synth(seed=5, words=1200, page_words=300)
    for i in range(40):
        _assert_same(to_index_document(synth.article(i)))


@pytest.mark.corpus
def test_corpus_texts_analyse_as_defined():
    for doc in corpus_text_documents(("*.txt", "*.conllu"), cut=60_000):
        _assert_same(doc)


def test_packed_terms_behave_as_a_list_of_postings():
    terms = [Term("а", 0, 0, 1), Term("б", 2, 3, 5), Term("~b", 2, 3, 5)]
    packed = PackedTerms.of(terms)
    assert list(packed) == [("а", 0), ("б", 2), ("~b", 2)] and packed == terms and len(packed) == 3
    assert packed != [Term("а", 0, 0, 1), Term("б", 3, 3, 5), Term("~b", 2, 3, 5)]
    assert packed[1] == ("б", 2) and packed[1].key == "б" and packed[-1].pos == 2 and packed[1:] == [("б", 2), ("~b", 2)]
    with pytest.raises(IndexError):
        packed[3]
    assert [list(c) for c in term_columns(packed)] == [list(c) for c in term_columns(terms)] == [
        ["а", "б", "~b"], [0, 2, 2]]
    assert list(term_keys(packed)) == term_keys(terms) == ["а", "б", "~b"]
    assert pickle.loads(pickle.dumps(packed)) == packed and not PackedTerms()


def test_parallel_analyzer_hands_over_the_same_terms():
    with ParallelAnalyzer(2) as pa:
        docs = list(pa.analyzed(iter(WRITTEN)))
    for d, orig in zip(docs, WRITTEN):
        forms = set()
        old = _old_analyze_fields(orig, forms)
        terms, got_forms, _pages = analyzed(d)
        assert {n: [tuple(p) for p in t] for n, t in terms.items()} == {n: _postings(t) for n, t in old.items()}
        assert got_forms == frozenset(forms)


def test_a_build_collects_cycles_rarely_and_then_as_before():
    """The build's process and its analysing children use the build's collector thresholds; afterwards (after a
    failure too) the process has its own again."""
    import gc

    from indexer.documents import BUILD_GC_THRESHOLDS, build_collections

    before = gc.get_threshold()
    assert before[0] < BUILD_GC_THRESHOLDS[0]
    with build_collections():
        assert gc.get_threshold() == tuple(max(a, b) for a, b in zip(before, BUILD_GC_THRESHOLDS))
        with ParallelAnalyzer(2) as pa:
            assert list(pa.analyzed(iter(WRITTEN[:2])))        # the children are started
            assert pa._pool.submit(gc.get_threshold).result() == BUILD_GC_THRESHOLDS
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), build_collections():
        raise RuntimeError("a failed build")
    assert gc.get_threshold() == before


def test_parallel_analyzer_once_hands_every_pair_and_key_over_once():
    """A rebuild's analyzer hands a (key, form) pair and a speller key over with the first document of a child
    that has it: together they are those of every document analysed alone, and with one child nothing comes
    twice; the terms and page filters are unchanged."""
    from indexer.documents import speller_keys

    docs = [IndexDocument(id=i, language="ru", titles={"ru": f"Межэтнические отношения {i}"},
                          pages=((1, "Межэтническим отношениям посвящены статьи; отношения народов."),
                                 (2, f"Толерантность и диалог, {i} отношений.")))
            for i in range(12)] + list(WRITTEN)
    alone = [analyzed(d) for d in docs]
    expected = frozenset().union(*(forms for _t, forms, _p in alone))
    keys = {k for d, (terms, _f, _p) in zip(docs, alone) for k in speller_keys(d, terms)}
    with ParallelAnalyzer(2, once=True) as pa:
        got = list(pa.analyzed(iter(docs), chunksize=2))
    assert frozenset(pair for d in got for pair in d.forms) == expected
    assert {k for d in got for k in speller_keys(d, d.terms)} == keys
    for d, (terms, _forms, pages) in zip(got, alone):
        assert {n: list(t) for n, t in d.terms.items()} == {n: list(t) for n, t in terms.items()}
        assert d.page_filters == pages
    with ParallelAnalyzer(2, once=True) as pa:
        pa.processes, pool = 1, pa._pool                 # one child: what it handed over does not come again
        pa._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
        pool.shutdown()
        got = list(pa.analyzed(iter(docs), chunksize=2))
    # (Once per word-form cache: a title's and a body's caches may each hand the same pair over.)
    handed = [pair for d in got for pair in d.forms]
    assert set(handed) == expected and len(handed) < sum(len(f) for _t, f, _p in alone) / 2
    given = [k for d in got for k in d.new_keys]
    every = sum(len(list(speller_keys(d, t))) for d, (t, _f, _p) in zip(docs, alone))
    assert set(given) == keys and len(given) < every / 2
    # Documents 1-11 repeat document 0's words but for their number.
    assert got[0].forms and not any(d.forms for d in got[1:12])
    assert all(d.new_keys == {str(d.id)} for d in got[1:12]) and len(got[0].new_keys) > 5


def test_children_of_a_build_share_the_word_forms_they_analysed(tmp_path):
    """Through the build's word-form log a child takes the forms another analysed as handed over already: a second
    child meeting the same words hands over only its new ones, and every term is the same as analysed alone."""
    from indexer.documents import _packed_chunk

    log = str(tmp_path / "forms.log")
    first = [IndexDocument(id=1, language="ru", titles={"ru": "Межэтнические отношения"},
                           pages=((1, "Толерантность и межэтнический диалог народов Казахстана."),))]
    second = [IndexDocument(id=2, language="ru", titles={"ru": "Межэтнические отношения"},
                            pages=((1, "Толерантность, согласие и межэтнический диалог народов Казахстана."),))]
    ctx = multiprocessing.get_context("forkserver")
    handed = []
    for docs in (first, second):
        with ctx.Pool(1) as pool:                      # a child of its own for each
            handed.append(pool.apply(_packed_chunk, (docs, True, log)))
    (_terms1, forms1, _p1, keys1), = handed[0]
    (terms2, forms2, _p2, keys2), = handed[1]
    alone = _packed_terms(second[0])
    assert {n: list(t) for n, t in terms2.items()} == {n: list(t) for n, t in alone[0].items()}
    assert set(keys2) == {"согласие"} and "диалог" in keys1     # the one word form the first child had not met
    assert not set(forms2) & set(forms1) and forms1
    # Without the log the second child hands every key over again.
    with ctx.Pool(1) as pool:
        (_t, _f, _p, again), = pool.apply(_packed_chunk, (second, True, None))
    assert set(again) & set(keys1)


def test_the_word_form_log_stays_readable_when_another_child_appends_between_open_and_lock(tmp_path, monkeypatch):
    """Another child may append between this one's ``open`` and its lock: positions come from the file under the
    lock (a buffered file's count missed that append, and the next read started inside a frame)."""
    import fcntl
    import indexer.documents as documents

    log = str(tmp_path / "forms.log")
    theirs = [("ru", 1, "Согласие", ("согласие",))]
    real_flock = fcntl.flock
    appended = []

    def flock(f, op):
        if op == fcntl.LOCK_EX and documents._learned and not appended:   # the other child's frame, just before
            # this one locks to append its own

            with open(log, "ab") as other:
                other.write(pickle.dumps(theirs))
            appended.append(True)
        return real_flock(f, op)

    monkeypatch.setattr(documents.fcntl, "flock", flock)
    monkeypatch.setattr(documents, "_shared_log", [None, 0])
    monkeypatch.setattr(documents, "_entries", {})
    documents._exchange(log)
    documents._learned[:] = [("ru", 1, "Диалог", ("диалог",))]
    documents._exchange(log)                                 # its own frame after the other's
    with open(log, "ab") as other:
        other.write(pickle.dumps([("ru", 1, "Народов", ("народ",))]))
    documents._exchange(log)                                 # reads the third frame from a frame's start
    cache = documents._word_entries("ru", 1, True)
    assert cache == {"Согласие": (("согласие",), ()), "Народов": (("народ",), ())}
    assert not documents._learned


def _exchanging_child(log: str, seed: int) -> tuple[set[str], set[str]]:
    """Many tasks' worth of exchanges, frames of every size (pickle's framing starts at 64 KB); then, once both
    children are done, one more: (the forms this child learned, the forms its cache holds from the log)."""
    import random
    import time

    import indexer.documents as documents

    rng = random.Random(seed)
    mine = set()
    for i in range(150):
        for j in range(rng.choice([0, 1, 5, 50, 3000])):
            w = f"w{seed}_{i}_{j}_" + "д" * rng.randint(1, 12)
            documents._learned.append(("ru", 1, w, (w,)))
            mine.add(w)
        documents._exchange(log)
    open(f"{log}.done{seed}", "w").close()
    deadline = time.monotonic() + 60
    while not all(os.path.exists(f"{log}.done{k}") for k in (1, 2)) and time.monotonic() < deadline:
        time.sleep(0.01)
    documents._exchange(log)
    return mine, set(documents._word_entries("ru", 1, True))


def test_two_children_exchanging_at_once_read_every_frame_of_the_other(tmp_path):
    log = str(tmp_path / "forms.log")
    with multiprocessing.get_context("forkserver").Pool(2) as pool:
        (mine1, cached1), (mine2, cached2) = pool.starmap(_exchanging_child, [(log, 1), (log, 2)])
    assert mine2 <= cached1 and mine1 <= cached2 and not mine1 & cached1


def test_a_killed_analysing_child_stops_the_build_with_the_index_error_at_once():
    """A child that dies mid-build (the kernel's OOM killer, an operator's kill) fails the build at once with the
    index's own error, which ``manage.py`` turns into one line ("run reindex again"). Under ``multiprocessing.Pool``
    the task it held never came back and the build waited for ever: the consumer here runs in a thread with a
    deadline, so such a hang fails the test instead of the suite."""
    import signal
    import threading

    from indexer.errors import SearchIndexError

    def source():
        for i in range(3000):
            yield IndexDocument(id=i, language="ru", pages=((1, f"Слово {i}: межэтнические отношения. " * 40),))

    outcome: list = []
    with ParallelAnalyzer(2) as pa:
        out = pa.analyzed(source(), chunksize=4, ahead=8)
        assert next(out).id == 0
        for pid in list(pa._pool._processes):              # the executor's children
            os.kill(pid, signal.SIGKILL)

        def consume():
            try:
                outcome.append(sum(1 for _ in out))
            except Exception as exc:  # noqa: BLE001 - what the build would meet is the test's subject
                outcome.append(exc)

        t = threading.Thread(target=consume, daemon=True)
        t.start()
        t.join(60)
        assert not t.is_alive(), "the build waits for a dead child"
    assert isinstance(outcome[0], SearchIndexError) and "analysing process stopped" in str(outcome[0])


def test_parallel_analyzer_reads_only_a_bounded_way_ahead_of_a_slow_writer():
    """A writer slower than the analysis must not make the analyser read (and hold the analysis of) the whole
    archive: at most ``ahead`` tasks of ``chunksize`` documents are out beyond the one being written."""
    import time

    read = []

    def source():
        for i in range(400):
            read.append(i)
            yield IndexDocument(id=i, language="ru", pages=((1, f"Слово {i} и межэтнические отношения."),))

    with ParallelAnalyzer(2) as pa:
        out = pa.analyzed(source(), chunksize=4, ahead=3)
        first = next(out)
        time.sleep(0.5)                       # the writer is slow: the children finish what they were given
        assert first.id == 0 and first.page_filters and len(read) <= 4 * (3 + 1)
        rest = list(out)
    assert [d.id for d in rest] == list(range(1, 400)) and len(read) == 400
