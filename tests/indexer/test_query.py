"""The query parser: syntax people type, and anything else, never raises."""
import pytest
from hypothesis import given, settings, strategies as st

from indexer.query import Phrase, Word, parse_query


def test_all_words_are_separate_required_groups():
    q = parse_query("межэтнические отношения")
    assert [[c.text for c in g] for g in q.groups] == [["межэтнические"], ["отношения"]]


def test_or_joins_neighbours_into_one_group():
    q = parse_query("Алматы OR Астана согласие")
    assert [[c.text for c in g] for g in q.groups] == [["Алматы", "Астана"], ["согласие"]]


def test_phrase_exclusion_prefix_and_fields():
    q = parse_query('"языковая политика" -миграция межэтнич* author:Иванов title:согласие')
    assert q.groups[0] == [Phrase(("языковая", "политика"))]
    assert q.excluded == [Word("миграция")]
    assert Word("межэтнич", None, True) in [g[0] for g in q.groups]
    assert Word("Иванов", "authors") in [g[0] for g in q.groups]
    assert Word("согласие", "title") in [g[0] for g in q.groups]


@pytest.mark.parametrize("text, y0, y1", [("year:2015-2020", 2015, 2020), ("год:2019", 2019, 2019),
                                          ("year:-2010", None, 2010), ("year:abc", None, None)])
def test_year_filters(text, y0, y1):
    q = parse_query(text)
    assert (q.year_from, q.year_to) == (y0, y1)


def test_lang_filter_aliases():
    assert parse_query("lang:kk тіл").langs == ["kk"]
    assert parse_query("язык:русский").langs == ["ru"]


@pytest.mark.parametrize("text", ['"unbalanced', "AND(", "😀😀", "x" * 5000, "-", '""', "OR OR", "title:",
                                  "author:\"", "((((", "\x00\x01", "year:99999-", "*"])
def test_odd_input_parses(text):
    parse_query(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_string_parses(text):
    q = parse_query(text)
    assert len(q.groups) <= 32
