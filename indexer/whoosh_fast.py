"""Ranked Whoosh searches of words, scored a posting list at a time with numpy.

Whoosh scores a query by walking its matchers one posting at a time in Python (``id()``, ``score()``, ``next()``
and a field length read for every posting of every term): at 3,000 articles of 3,000 words a frequent word's
search spent ~90 % of its time there. Most searches are words (each an OR of its keys over the text fields)
ANDed together, with their filters; for such a query tree this module reads each term's postings a block at a
time from Whoosh's own files and computes the same BM25F scores over whole arrays:

* a term in a field: ``boost * idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * length / mean length))``, with
  Whoosh's own idf and mean length (its searcher's), its stored term frequencies and its stored field lengths;
* an OR: the sum of its parts' scores per document, added in the parts' order (as Whoosh's array union adds them);
* an AND: the documents of every part, the sum of their scores; an AND-MAYBE: the first part's documents, plus
  the second's score where it matches too;
* a phrase: the documents where its words stand one after another (their positions decoded from the posting
  values), scored as the sum of its words' scores.

The hits, their order (score, then document number, as Whoosh's collector keeps them), the total and the facets are
Whoosh's: tests/indexer/test_whoosh_fast.py searches an index of several segments with deleted documents both ways,
and 1,000 queries of the benchmark's mix gave the same answers (docs/performance.md). An AND of three or more parts
may add their scores in another order than Whoosh's matcher tree: a score can differ in its last bit, which
reorders only documents whose scores differ by that much. Anything else (prefixes, phrases with slop, sorting,
every document) is left to Whoosh (``evaluate`` raises ``Unsupported``).
"""
from __future__ import annotations

from itertools import accumulate
from pickle import loads  # nosec B403: Whoosh's own posting values, as Whoosh itself reads them
from typing import Optional

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.formats import Positions
from whoosh.scoring import BM25F
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import _length_byte_cache

_LENGTHS = np.asarray(_length_byte_cache, dtype=np.float64)     # a stored length byte -> the length it stands for
_NULL = type(wq.NullQuery)
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

Scored = tuple[np.ndarray, np.ndarray]       # document numbers (ascending, unique) and their scores


class Unsupported(Exception):
    """A part of the query this module does not score (Whoosh does)."""


class FastScorer:
    """What one Whoosh searcher (one index generation) needs for array scoring: its segments (document number
    offset, reader, deleted documents) and, read once each, the field lengths of every document."""

    def __init__(self, searcher) -> None:
        weighting = searcher.weighting
        if type(weighting) is not BM25F:
            raise Unsupported("another weighting")
        self.searcher = searcher
        self.weighting = weighting
        self.segments = []
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            deleted = sorted(reader.deleted_docs_set) if reader.has_deletions() else []
            self.segments.append((offset, reader, np.asarray(deleted, dtype=np.int64) if deleted else None))
        self._lengths: dict[tuple[int, str], np.ndarray] = {}

    # -- the parts of a query
    def evaluate(self, node) -> Scored:
        """(document numbers, scores) of a query tree of terms, ORs, ANDs and AND-MAYBEs; Unsupported else."""
        kind = type(node)
        if node.boost <= 0:
            # Whoosh's array union drops a document whose summed score is not above 0; its binary one keeps it
            raise Unsupported("a weight of 0")
        if kind is wq.Term:
            out = self._term(node.fieldname, node.text)
        elif kind is wq.Or:
            out = self._union([self.evaluate(s) for s in node.subqueries])
        elif kind is wq.And:
            out = self._intersection([self.evaluate(s) for s in node.subqueries])
        elif kind is wq.AndMaybe:
            out = self._and_maybe(self.evaluate(node.a), self.evaluate(node.b))
        elif kind is wq.Phrase:
            out = self._phrase(node)
        elif kind is _NULL:
            return _EMPTY
        else:
            raise Unsupported(kind.__name__)
        if node.boost != 1.0:
            out = (out[0], out[1] * node.boost)
        return out

    def _term(self, field: str, text: str) -> Scored:
        searcher = self.searcher
        fieldobj = searcher.schema[field]
        try:
            btext = fieldobj.to_bytes(text)
        except ValueError:
            return _EMPTY
        ids_parts, score_parts = [], []
        for n, (offset, reader, deleted) in enumerate(self.segments):
            if (field, btext) not in reader:
                continue
            ids, tf = _postings(reader._terms.matcher(field, btext, fieldobj.format, scorer=None))
            if deleted is not None:
                keep = ~np.isin(ids, deleted)
                ids, tf = ids[keep], tf[keep]
            if not len(ids):
                continue
            score_parts.append(self._bm25(field, text, tf, self._field_lengths(n, reader, field)[ids]))
            ids_parts.append(ids + offset)
        if not ids_parts:
            return _EMPTY
        return np.concatenate(ids_parts), np.concatenate(score_parts)

    def _bm25(self, field: str, text: str, tf: np.ndarray, fl: np.ndarray) -> np.ndarray:
        """whoosh.scoring.bm25 of a term's postings, term for term: the same operations in the same order, with
        the whole index's idf and mean field length (as Whoosh's scorer asks its parent searcher)."""
        w = self.weighting
        b = w._field_B.get(field, w.B)
        k1 = w.K1
        idf = self.searcher.idf(field, text)
        avgfl = self.searcher.avg_field_length(field) or 1
        return idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))

    def _phrase(self, node) -> Scored:
        """The documents where the phrase's words stand one after another, in order, scored as Whoosh scores a
        phrase: the sum of its words' BM25F scores, added as its binary tree of intersections adds them.

        Whoosh checks each document its words share through a matcher of spans per word and document (~70 us a
        document: a phrase of two frequent words, with ~600 such documents at 3,000 articles, took ~45 ms); here
        each word's positions are decoded from its posting values and the phrase holds where some start ``p`` has
        word ``i`` at ``p + i`` for every ``i``: Whoosh's rule for a phrase of slop 1 (each word's span at
        distance 1 from the span of those before it)."""
        if node.slop != 1 or len(node.words) < 2:
            raise Unsupported("a phrase with slop, or of one word")
        searcher = self.searcher
        field = node.fieldname
        if field not in searcher.schema:
            return _EMPTY
        fieldobj = searcher.schema[field]
        fmt = fieldobj.format
        if not fmt or not fmt.supports("positions") or fmt.fixed_value_size() is not None:
            raise Unsupported("a field without positions")          # Whoosh's own error, then
        try:
            words = [fieldobj.to_bytes(word) for word in node.words]
        except ValueError:
            return _EMPTY
        decode = _positions if type(fmt) is Positions else fmt.decode_positions
        ids_parts, score_parts = [], []
        for n, (offset, reader, deleted) in enumerate(self.segments):
            if any((field, word) not in reader for word in words):
                continue                        # Whoosh's phrase matches nothing in a segment missing a word
            lists = [_postings(reader._terms.matcher(field, word, fmt, scorer=None), values=True) for word in words]
            docs = lists[0][0]
            for ids, _tf, _values in lists[1:]:
                docs = np.intersect1d(docs, ids, assume_unique=True)
            if deleted is not None and len(docs):
                docs = docs[~np.isin(docs, deleted, assume_unique=True)]
            if not len(docs):
                continue
            at = [np.searchsorted(ids, docs) for ids, _tf, _values in lists]
            values = [[vs[j] for j in a.tolist()] for (_ids, _tf, vs), a in zip(lists, at)]
            found = np.zeros(len(docs), dtype=bool)
            for j in range(len(docs)):
                starts = set(decode(values[0][j]))
                for i in range(1, len(words)):
                    starts.intersection_update([p - i for p in decode(values[i][j])])
                    if not starts:
                        break
                found[j] = bool(starts)
            if not found.any():
                continue
            docs = docs[found]
            fl = self._field_lengths(n, reader, field)[docs]
            parts = [self._bm25(field, word, tf[a[found]], fl)
                     for word, (_ids, tf, _values), a in zip(node.words, lists, at)]
            score_parts.append(_tree_sum(parts))
            ids_parts.append(docs + offset)
        if not ids_parts:
            return _EMPTY
        return np.concatenate(ids_parts), np.concatenate(score_parts)

    def _field_lengths(self, n: int, reader, field: str) -> np.ndarray:
        found = self._lengths.get((n, field))
        if found is None:
            found = np.zeros(reader.doc_count_all(), dtype=np.float64)
            column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if column is not None and column._count:
                stored = np.frombuffer(column._dbfile.get(column._basepos, column._count * column._fixedlen),
                                       dtype=np.uint8)
                found[:len(stored)] = _LENGTHS[stored]
            self._lengths[(n, field)] = found
        return found

    @staticmethod
    def _union(parts: list[Scored]) -> Scored:
        parts = [p for p in parts if len(p[0])]
        if not parts:
            return _EMPTY
        if len(parts) == 1:
            return parts[0]
        ids = np.concatenate([p[0] for p in parts])
        docs, at = np.unique(ids, return_inverse=True)
        # bincount adds the weights in their order: each document's parts in the order of the OR, from 0.0
        return docs, np.bincount(at, weights=np.concatenate([p[1] for p in parts]), minlength=len(docs))

    @staticmethod
    def _intersection(parts: list[Scored]) -> Scored:
        if not parts:
            return _EMPTY
        docs, scores = parts[0]
        for other_docs, other_scores in parts[1:]:
            docs, here, there = np.intersect1d(docs, other_docs, assume_unique=True, return_indices=True)
            scores = scores[here] + other_scores[there]
        return docs, scores

    @staticmethod
    def _and_maybe(base: Scored, maybe: Scored) -> Scored:
        docs, scores = base
        if not len(docs) or not len(maybe[0]):
            return base
        _both, here, there = np.intersect1d(docs, maybe[0], assume_unique=True, return_indices=True)
        scores = scores.copy()
        scores[here] += maybe[1][there]
        return docs, scores


def _postings(m, values: bool = False) -> tuple:
    """(document numbers, term frequencies) of one segment's postings of a term: a block at a time from Whoosh's
    own block reader (its ids delta-coded per block), else (postings kept inline) one at a time. With ``values``
    also each posting's value (its positions, encoded), in a list."""
    if type(m) is W3LeafMatcher:
        ids_parts, tf_parts, value_parts = [], [], []
        while not m._atend:
            if m._data is None:
                m._read_data()
            raw_ids, weights = m._data[0], m._data[1]
            ids = np.asarray(raw_ids, dtype=np.int64)
            ids_parts.append(ids if m._byteids else np.cumsum(ids))
            count = len(ids)
            if weights is None:
                tf_parts.append(np.ones(count, dtype=np.float64))
            elif isinstance(weights, float):
                # as Whoosh's own reader widens it: a 32-bit float
                tf_parts.append(np.full(count, np.float32(weights), dtype=np.float64))
            else:
                tf_parts.append(np.asarray(weights, dtype=np.float64))
            if values:
                value_parts.extend(m._data[2])   # a format of values of varying size: kept as written
            m._next_block()
        out: tuple = (np.concatenate(ids_parts), np.concatenate(tf_parts))
        return out + (value_parts,) if values else out
    ids, tf, vs = [], [], []
    while m.is_active():
        ids.append(m.id())
        tf.append(m.weight())
        if values:
            vs.append(m.value())
        m.next()
    out = (np.asarray(ids, dtype=np.int64), np.asarray(tf, dtype=np.float64))
    return out + (vs,) if values else out


def _positions(value: bytes) -> "accumulate[int]":
    """``whoosh.formats.Positions.decode_positions``: the count, then the pickled gaps (their closing byte left
    off), summed into positions."""
    if not value.endswith(b"."):
        value += b"."
    return accumulate(loads(value[_INT_SIZE:]))  # nosec B301: Whoosh's own index file


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """The sum of ``parts`` as ``make_binary_tree`` pairs them (the first half, then the second): the order
    Whoosh's tree of intersection matchers adds its words' scores in."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def top(docs: np.ndarray, scores: np.ndarray, start: int, stop: int) -> list[tuple[int, float]]:
    """(document number, score) of places [start, stop) by score, then document number (Whoosh's collector keeps
    the lower number of two equal scores first)."""
    if stop <= start or not len(docs):
        return []
    k = min(stop, len(docs))
    if k < len(docs):
        # the k best by score (a bound: every document scoring at least the k-th best's, ties included)
        cut = np.partition(-scores, k - 1)[k - 1]
        sel = np.nonzero(-scores <= cut)[0]
    else:
        sel = np.arange(len(docs))
    order = sel[np.lexsort((docs[sel], -scores[sel]))][start:k]
    return [(int(d), float(s)) for d, s in zip(docs[order], scores[order])]


def allowed(docs: np.ndarray, scores: np.ndarray, allow: Optional[np.ndarray], deny: Optional[np.ndarray]) -> Scored:
    """The documents in ``allow`` (sorted; None: every one) and not in ``deny`` (None: none)."""
    keep = None
    if allow is not None:
        keep = np.isin(docs, allow, assume_unique=True)
    if deny is not None and len(deny):
        out = ~np.isin(docs, deny, assume_unique=True)
        keep = out if keep is None else keep & out
    if keep is None:
        return docs, scores
    return docs[keep], scores[keep]
