"""A passage rendered from the stretch of its page ``passage_window`` asks for (``PageWindow``, what a search
reads of a page whose token spans are offsets into its stored text) is the passage the whole page gives."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import normalize_text
from indexer.analysis.normalize import fold_token
from indexer.snippets import PageWindow, choose_passages, passage_window, snippets_from_spans

WORDS = st.sampled_from(["межэтнические", "отношения", "в", "Алматы", "<b>", "&", "тіл", "саясаты", "—",
                         "«Ассамблея»", "межконфессионального" * 3, "2023", "Қазақстан"])
SEPARATORS = st.sampled_from([" ", "  ", "\n", " \n ", "\t"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=160), st.data())
def test_a_passage_from_its_window_is_the_passage_from_the_whole_page(parts, data):
    text = "".join(w + sep for w, sep in parts)
    assert normalize_text(text) == text            # a page whose positions normalising keeps
    words = [(m.start(), m.end()) for m in re.finditer(r"\w+", text)]
    if not words:
        return
    picked = data.draw(st.lists(st.sampled_from(words), min_size=1, max_size=12, unique=True))
    matches = sorted((s, min(e, s + 255), fold_token(text[s:e])) for s, e in picked)
    chosen = choose_passages([(1, matches)])
    whole = snippets_from_spans(chosen, {1: text}, {})
    assert whole
    (_score, _page, s, e, _m, _x), = chosen
    a, b = passage_window(s, e)
    window = PageWindow(a, text[a:b + 1])           # as the database's substr gives it: one character more
    assert snippets_from_spans(chosen, {1: window}, {}) == whole
    assert snippets_from_spans(chosen, {1: window._replace(same=True)}, {}) == whole   # shown as read
    # A window read for another passage is not taken for this one.
    if a > 0:
        assert snippets_from_spans(chosen, {1: PageWindow(s + 1, text[s + 1:b + 1])}, {}) is None
