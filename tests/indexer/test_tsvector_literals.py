"""The PostgreSQL backend's tsvector literals (``document_vectors``) against their definition.

The definition below is the code as it was before the body was written a key at a time: a (position, weight)
pair per token, sorted and de-duplicated per key. The literal and the passages must stay identical, on texts
written here (every field, unusable keys, a body out of order, positions past 16383, a key with more positions
than a tsvector keeps, a document too large for one tsvector), on synthetic articles and on corpus texts.
"""
from __future__ import annotations

from collections import Counter

import pytest

from support import CORPUS, corpus_text_documents

from indexer.analysis import PackedTerms, Term
from indexer.documents import analyzed
from indexer.postgres_backend import (FIELD_ORDER, FIELD_WEIGHTS, LAST_REAL_POS, MAX_LEXEME_BYTES, MAX_POS,
                                      MAX_POSITIONS, MAX_TSVECTOR_BYTES, OVERLAP, WINDOW, document_vectors,
                                      quote_lexeme)


# ----------------------------------------------------------------------------- the definition (unchanged)
def _old_usable(key):
    return bool(key) and len(key.encode("utf-8")) <= MAX_LEXEME_BYTES


def _old_literal(entries, per_lexeme=MAX_POSITIONS):
    parts = []
    for key in sorted(entries):
        seen = {}
        for pos, weight in entries[key]:
            seen.setdefault(pos, weight)
        positions = sorted(seen.items())
        positions = positions[:per_lexeme] if per_lexeme else [pw for pw in positions if pw[1] != "D"]
        text = ",".join(f"{p}{'' if w == 'D' else w}" for p, w in positions)
        parts.append(quote_lexeme(key) + (":" + text if text else ""))
    return " ".join(parts)


def _old_bytes(entries, per_lexeme):
    if not per_lexeme:
        return sum(len(k.encode("utf-8")) + 6 + 2 * sum(1 for _, w in v if w != "D") for k, v in entries.items())
    return sum(len(k.encode("utf-8")) + 8 + 2 * min(len(v), per_lexeme) for k, v in entries.items())


def _old_passages(body):
    step = WINDOW - OVERLAP
    windows = {}
    for key, pos in body:
        first = max(0, (pos - WINDOW) // step + 1)
        for w in range(first, pos // step + 1):
            rel = pos - w * step
            if 0 <= rel < WINDOW:
                windows.setdefault(w, {}).setdefault(key, []).append((rel + 1, "D"))
    return [_old_literal(windows[w]) for w in sorted(windows)]


def _old_document_vectors(fields):
    entries = {}
    offset = body_offset = 0
    for name in FIELD_ORDER:
        weight = FIELD_WEIGHTS[name]
        if name == "body":
            body_offset = offset
        top = offset
        for key, pos in [(t[0], t[1]) for t in fields.get(name) or []]:
            if not _old_usable(key):
                continue
            p = offset + pos + 1
            top = max(top, p)
            entries.setdefault(key, []).append((p if p <= LAST_REAL_POS else MAX_POS, weight))
        offset = top + 1
    per_lexeme = MAX_POSITIONS
    while per_lexeme and _old_bytes(entries, per_lexeme) > MAX_TSVECTOR_BYTES:
        per_lexeme //= 4
    if not per_lexeme and _old_bytes(entries, 0) > MAX_TSVECTOR_BYTES:
        body_only = sorted((k for k, v in entries.items() if all(w == "D" for _, w in v)),
                           key=lambda k: (len(entries[k]), k))
        size = _old_bytes(entries, 0)
        for k in body_only:
            if size <= MAX_TSVECTOR_BYTES:
                break
            size -= len(k.encode("utf-8")) + 6
            del entries[k]
    body = [(t[0], t[1]) for t in fields.get("body") or [] if _old_usable(t[0])]
    passages = []
    if body:
        last = body_offset + max(p for _k, p in body) + 1
        crowded = max(Counter(k for k, _p in body).values()) > MAX_POSITIONS
        if last > LAST_REAL_POS or crowded or per_lexeme < MAX_POSITIONS:
            passages = _old_passages(body)
    return _old_literal(entries, per_lexeme), passages


# ----------------------------------------------------------------------------- the comparison
def _assert_same(fields):
    assert document_vectors(fields) == _old_document_vectors(fields)
    packed = {name: PackedTerms.of(terms) for name, terms in fields.items()}
    assert document_vectors(packed) == _old_document_vectors(fields)


def _terms(words, start=0, step=1):
    return [Term(w, start + i * step, 0, 1) for i, w in enumerate(words)]


LONG_KEY = "ж" * (MAX_LEXEME_BYTES // 2 + 1)          # one byte over the limit

WRITTEN = {
    "every field": {"title": _terms(["тіл", "саясат", "тіл"]) + _terms(["til", "sajasat"]),
                    "authors": _terms(["иванов", "а"]), "keywords": _terms(["миграция"]),
                    "abstract": _terms(["о", "тіл", "и", "миграция"]),
                    "body": _terms(["тіл", "саясат", "и", "о", "тіл", "новый"], step=2)},
    "only a body": {"body": _terms(["а", "б", "а", "в"])},
    "empty fields": {"title": [], "authors": [], "body": []},
    "nothing": {},
    "unusable keys": {"title": _terms(["", "заголовок", LONG_KEY]), "body": _terms([LONG_KEY, "а", "", "б", "а"]),
                      "abstract": _terms([LONG_KEY])},
    "only unusable body keys": {"title": _terms(["а"]), "body": _terms([LONG_KEY, ""])},
    "quotes and backslashes": {"title": _terms(["o'brien\\x"]), "body": _terms(["o'brien\\x", "it's"])},
    "a body out of order": {"body": [Term("а", 5, 0, 1), Term("б", 2, 0, 1), Term("а", 1, 0, 1)]},
    "a word of several keys": {"body": [Term("бала", 0, 0, 1), Term("~bala", 0, 0, 1), Term("бал", 0, 0, 1),
                                        Term("бала", 3, 0, 1)]},
    "past the last position": {"title": _terms(["и", "редкое"]),
                               "body": _terms(["и", "да", "нет"] * 7000) + [Term("редкое", 30_001, 0, 1),
                                                                            Term("конец", 30_002, 0, 1)]},
    "crowded": {"body": _terms(["и", "слово"] * 400)},
    "a title key crowded in the body": {"title": _terms(["и"]), "body": _terms(["и", "слово"] * 400)},
    "too large for one tsvector": {"title": _terms(["слово000007"]),
                                   "body": _terms([f"слово{i:06d}" for i in range(120_000)])},
    "too many positions for one tsvector": {"abstract": _terms(["к"]),
                                           "body": _terms([f"к{i % 4000}" for i in range(16_000)])},
}


@pytest.mark.parametrize("name", list(WRITTEN))
def test_written_fields_give_the_defined_literals(name):
    _assert_same(WRITTEN[name])


def test_the_written_cases_reach_every_branch():
    """The cases above are what they say: the literals hold clamped positions, capped keys, passages."""
    literal, passages = document_vectors(WRITTEN["past the last position"])
    assert f"'редкое':2A,{MAX_POS}" in literal and f"'конец':{MAX_POS}" in literal and passages
    literal, passages = document_vectors(WRITTEN["crowded"])
    assert len(literal.split("'и':")[1].split(" ")[0].split(",")) == MAX_POSITIONS and passages
    literal, passages = document_vectors(WRITTEN["a title key crowded in the body"])
    assert literal.startswith("'и':1A,6,8,") and passages
    literal, _ = document_vectors(WRITTEN["unusable keys"])
    assert LONG_KEY not in literal and "'а'" in literal
    literal, passages = document_vectors(WRITTEN["too large for one tsvector"])
    assert len(literal.encode("utf-8")) < MAX_TSVECTOR_BYTES * 1.2 and passages
    assert document_vectors(WRITTEN["nothing"]) == ("", [])


def _analysed(doc):
    return analyzed(doc)[0]


@pytest.mark.corpus
def test_synthetic_articles_give_the_defined_literals():
    if not (CORPUS / "text").is_dir():
        pytest.skip("shared corpus absent")
    from bench.synth import Synth, to_index_document

    synth = Synth(seed=3, words=1500, page_words=300)
    for i in range(30):
        _assert_same(_analysed(to_index_document(synth.article(i))))


@pytest.mark.corpus
def test_corpus_texts_give_the_defined_literals():
    for doc in corpus_text_documents():
        _assert_same(_analysed(doc))
