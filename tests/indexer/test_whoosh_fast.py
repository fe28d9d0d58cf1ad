"""Whoosh's word searches scored with numpy (``indexer.whoosh_fast``) answer as Whoosh's own matchers do.

A real Whoosh index in a temporary folder, written in several commits (several segments) with documents replaced
and removed (deleted documents in the segments); every query is searched both ways (``fast_scoring``)."""
import math
import random
from collections import Counter

import numpy as np
import pytest

from indexer.backend import Filters, open_backend
from indexer.documents import IndexDocument
from indexer.query import parse_query
from indexer.whoosh_fast import _postings, top

RU = ("язык политика согласие народ культура молодёжь миграция город школа история общество традиция закон "
      "государство развитие отношение этнос семья религия диалог и в").split()
KK = ("тіл саясат келісім халық мәдениет жастар көші-қон қала мектеп тарих қоғам дәстүр заң мемлекет даму "
      "қарым-қатынас этнос отбасы дін сұхбат және мен").split()
TOPICS = ("language-policy", "tolerance", "migration", "youth")


def _documents(seed: int, count: int, first_id: int = 1) -> list[IndexDocument]:
    rng = random.Random(seed)
    docs = []
    for i in range(first_id, first_id + count):
        lang = "kk" if rng.random() < 0.4 else "ru"
        words = KK if lang == "kk" else RU
        pages = tuple((n, " ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) + ".")
                      for n in range(1, rng.randint(1, 4) + 1))
        docs.append(IndexDocument(
            id=i, language=lang, titles={lang: " ".join(rng.sample(words, 3)).capitalize()},
            authors=(rng.choice(("Иванов А.Б.", "Сейтқали А.", "Петрова Е.", "Әбенова Г.")),),
            person_ids=tuple(rng.sample(range(1, 30), rng.randint(0, 3))), pages=pages,
            year=rng.randint(2005, 2024), kind=rng.choice(("article", "article", "report", "commentary")),
            collection_id=rng.choice((None, 1, 2)), topics=tuple(rng.sample(TOPICS, rng.randint(0, 2))),
            group_id=i - 1 if i % 17 == 0 else None))
    return docs


@pytest.fixture(scope="module")
def whoosh(tmp_path_factory):
    b = open_backend("whoosh", tmp_path_factory.mktemp("wf") / "ix")
    b.update(_documents(1, 60))
    b.update(_documents(2, 60, first_id=61))             # a second segment
    b.update(_documents(3, 15, first_id=20))             # replaced: deleted documents in the first segment
    b.remove([5, 70, 71])
    yield b
    b.close()


QUERIES = ["язык", "политика согласие", "тіл саясат", "тілі", "народ культура история", "қала мектеп тарих қоғам",
           "язык -школа", "author:Иванов политика", "язык и культура", "тіл және мәдениет", "согласие OR келісім",
           "қарым-қатынас", "year:2010-2015 закон", "религия диалог семья этнос", "несуществующееслово",
           "язык несуществующееслово", '"язык политика"', '"тіл саясат"', '"народ и культура" история',
           '"согласие народ" -школа', '"язык несуществующееслово"', '"қарым-қатынас даму"', 'author:"Иванов А.Б."',
           '"закон государство развитие"']
FILTERS = [Filters(), Filters(year_from=2010, year_to=2018), Filters(langs=("kk",)), Filters(topics=("migration",)),
           Filters(kinds=("report",), persons=(3,)), Filters(exclude_ids=(1, 2, 3, 61)), Filters(year_from=1900,
                                                                                                  year_to=1901)]


def _both(b, q, flt, page, limit=5, any_word=False):
    b.fast_scoring = True
    fast = b._search(q, flt, page, limit, "relevance", True, any_word=any_word)
    b.fast_scoring = False
    try:
        slow = b._search(q, flt, page, limit, "relevance", True, any_word=any_word)
    finally:
        b.fast_scoring = True
    return fast, slow


@pytest.mark.parametrize("text", QUERIES)
def test_word_searches_answer_as_whooshs_own_matchers(whoosh, text):
    q = parse_query(text)
    used = whoosh._scored(whoosh._get_searcher(), whoosh._build(q)) is not None
    assert used, "the query's words were not scored with numpy"
    for flt in FILTERS:
        for page in (1, 2, 5):
            for any_word in (False, True):
                fast, slow = _both(whoosh, q, flt, page, any_word=any_word)
                assert [(h.id, h.group) for h in fast.hits] == [(h.id, h.group) for h in slow.hits], (flt, page)
                assert all(math.isclose(a.score, b.score, rel_tol=1e-12) for a, b in zip(fast.hits, slow.hits))
                assert (fast.total, fast.facets) == (slow.total, slow.facets), (flt, page)


def test_prefixes_and_sorted_searches_are_left_to_whoosh(whoosh):
    searcher = whoosh._get_searcher()
    assert whoosh._scored(searcher, whoosh._build(parse_query("полит*"))) is None
    newest = whoosh.search(parse_query("язык"), sort="newest", limit=200).hits
    assert [h.id for h in newest] and len(newest) == whoosh.search(parse_query("язык"), limit=200).total


def test_a_phrase_matches_where_whooshs_spans_do_and_scores_as_whoosh(whoosh):
    """Every phrase of two to four words of the index's own text, in every field, on its own: the documents and
    scores of Whoosh's phrase matcher, segment by segment (words repeated in a document, words at the start of
    a page, a document replaced or removed)."""
    from whoosh import query as wq

    from indexer.whoosh_fast import FastScorer

    searcher = whoosh._get_searcher()
    scorer = FastScorer(searcher)
    rng = random.Random(5)
    checked = matched = 0
    for field in ("body", "title"):
        for _ in range(60):
            doc = rng.choice(_documents(1, 60) + _documents(2, 60, first_id=61))
            text = doc.pages[0][1] if field == "body" else next(iter(doc.titles.values()))
            words = text.rstrip(".").split()
            size = rng.randint(2, min(4, len(words))) if len(words) >= 2 else 0
            if not size:
                continue
            at = rng.randrange(len(words) - size + 1)
            phrase = wq.Phrase(field, [_key(w, doc.language) for w in words[at:at + size]])
            for boost in (1.0, 0.5):
                phrase.boost = boost
                docs, scores = scorer.evaluate(phrase)
                want = dict(searcher.search(phrase, limit=None, scored=True).items())
                assert docs.tolist() == sorted(want), phrase
                assert all(math.isclose(s, want[d], rel_tol=1e-12) for d, s in zip(docs.tolist(), scores.tolist()))
            checked += 1
            matched += bool(len(docs))
    assert checked > 80 and matched > 40


def _key(word: str, lang: str) -> str:
    from indexer.analysis import token_keys

    return token_keys(word, lang)[0]


def test_facet_counts_are_the_matched_documents_values(whoosh):
    """Counted with numpy from the table read once per generation: the same as counting each matched document's
    values (the documents as written, the replaced and removed ones left out)."""
    live = {d.id: d for d in _documents(1, 60) + _documents(2, 60, first_id=61)}
    live.update({d.id: d for d in _documents(3, 15, first_id=20)})
    for gone in (5, 70, 71):
        live.pop(gone)
    res = whoosh.search(parse_query("язык"), limit=500)
    assert res.total == len(res.hits) > 5
    expected: Counter = Counter()
    for h in res.hits:
        d = live[h.id]
        expected.update([("year", str(d.year)), ("lang", d.language), ("kind", d.kind)]
                        + ([("collection", str(d.collection_id))] if d.collection_id else [])
                        + [("topics", t) for t in d.topics] + [("persons", str(p)) for p in d.person_ids])
    got = {(name, value): n for name, values in res.facets.items() for value, n in values.items()}
    assert got == dict(expected)
    for values in res.facets.values():        # most frequent first, then by value
        assert list(values.items()) == sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))


def test_postings_read_a_block_at_a_time_are_whooshs(whoosh):
    """Every term of every text field, in every segment: the document numbers and frequencies Whoosh's own
    matcher walks one posting at a time (long lists in blocks, short ones kept inline)."""
    seen = 0
    for sub, _offset in whoosh._get_searcher().leaf_searchers():
        reader = sub.reader()
        for field in ("title", "body", "authors"):
            fmt = reader.schema[field].format
            for term in reader.lexicon(field):
                ids, tf = _postings(reader._terms.matcher(field, term, fmt, scorer=None))
                m = reader._terms.matcher(field, term, fmt, scorer=None)
                want_ids, want_tf = [], []
                while m.is_active():
                    want_ids.append(m.id())
                    want_tf.append(m.weight())
                    m.next()
                assert ids.tolist() == want_ids and tf.tolist() == want_tf, (field, term)
                seen += 1
    assert seen > 100


def test_top_keeps_the_lower_document_number_of_equal_scores_and_pages():
    docs = np.array([3, 5, 8, 9, 12, 20])
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0, 1.0])
    assert top(docs, scores, 0, 2) == [(5, 2.0), (8, 2.0)]
    assert top(docs, scores, 2, 4) == [(12, 2.0), (3, 1.0)]
    assert top(docs, scores, 4, 10) == [(20, 1.0), (9, 0.5)]
    assert top(docs, scores, 6, 8) == [] and top(docs[:0], scores[:0], 0, 5) == []


def test_a_term_no_segment_holds_matches_nothing_and_a_weight_of_0_is_left_to_whoosh(whoosh):
    from whoosh import query as wq

    from indexer.whoosh_fast import FastScorer, Unsupported

    scorer = FastScorer(whoosh._get_searcher())
    word = scorer.evaluate(wq.Term("body", "язык"))
    assert len(word[0]) > 5
    for tree in (wq.Or([wq.Term("body", "язык"), wq.NullQuery, wq.Term("body", "несуществующее")]),
                 wq.AndMaybe(wq.Term("body", "язык"), wq.Term("title", "несуществующее"))):
        docs, scores = scorer.evaluate(tree)
        assert docs.tolist() == word[0].tolist() and scores.tolist() == word[1].tolist()
    assert not len(scorer.evaluate(wq.And([wq.Term("body", "язык"), wq.NullQuery]))[0])
    with pytest.raises(Unsupported):
        scorer.evaluate(wq.Or([wq.Term("body", "язык"), wq.Term("body", "политика", boost=0.0)]))
    with pytest.raises(Unsupported):
        scorer.evaluate(wq.Phrase("body", ["язык", "политика"], slop=2))
    assert not len(scorer.evaluate(wq.Phrase("body", ["язык", "несуществующее"]))[0])
