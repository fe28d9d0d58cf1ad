"""Property tests for the query parser: any string becomes a bounded ``ParsedQuery`` without an error."""
from __future__ import annotations

from hypothesis import example, given, settings, strategies as st

from indexer.analysis import word_keys
from indexer.query import MAX_CLAUSES, MAX_QUERY_CHARS, Phrase, Word, parse_query

# Pieces of the query syntax, glued together in any order (with words in three scripts and junk between).
_PIECES = ["author:", "автор:", "title:", "year:", "год:", "lang:", "тіл:", "kind:", "topic:", "foo:", "-", "--",
           '"', "«", "»", "(", ")", "*", "OR", "ИЛИ", "НЕМЕСЕ", "AND", "NOT", "НЕ", "|", "&&", "+", "2015", "-2020",
           "..", "–", "99999", "kk", "ru", "озёрам", "ақындары", "Qazaqstan", "межэтнич*", "a*", "x-y", "'", "_",
           " ", " ", "\t", "\n", "\x00", "\u200f", "\u0301", "\U00017000"]
queries = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
    st.lists(st.sampled_from(_PIECES), max_size=60).map(" ".join),
    st.builds(lambda w, n: " ".join([w] * n), st.sampled_from(["слово", "a", "-x", '"a b"']), st.integers(0, 400)),
)


def _clauses(q):
    return [c for g in q.groups for c in g] + list(q.excluded)


@settings(max_examples=300, deadline=None)
@given(queries)
@example("year:2015-")
@example('author:"')
@example("-" * 2000)
def test_any_string_parses_into_a_bounded_query(text: str) -> None:
    q = parse_query(text)
    assert len(q.text) <= MAX_QUERY_CHARS
    clauses = _clauses(q)
    assert len(clauses) <= MAX_CLAUSES
    assert all(g for g in q.groups)
    for c in clauses:
        assert isinstance(c, (Word, Phrase))
        words = c.words if isinstance(c, Phrase) else (c.text,)
        assert words and all(w and not w.endswith("*") for w in words)
        for w in words:
            word_keys(w)        # every word the parser hands on is analysable
    assert set(q.langs) <= {"ru", "kk", "en"}
    for y in (q.year_from, q.year_to):
        assert y is None or 0 <= y <= 9999
    assert q.is_empty == (not q.groups)
    assert q.positive_words() == [w for g in q.groups for c in g
                                  for w in (c.words if isinstance(c, Phrase) else [c.text])]
