"""Any string typed into the search box gives a page: the web search and the JSON API on a real archive."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from archive.services.ingest import ingest_file
from support import KK_ARTICLE, RU_ARTICLE, make_pdf

# The archive is built once per test function and only read by the examples, so the function-scoped
# fixtures are shared on purpose.
WEB = settings(max_examples=200, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_PIECES = ["author:", "title:", "year:", "lang:", "kind:", "topic:", "-", '"', "«", "*", "OR", "NOT", "(", ")",
           "2019", "-2020", "kk", "озёрам", "ақындары", "Qazaqstan", "Алматы", "межэтнич*", "<script>", "%", "&",
           "#", "?", "/", "\\", " ", "\x00", "\u202e", "\ufeff"]
queries = st.one_of(st.text(max_size=200),
                    st.lists(st.sampled_from(_PIECES), max_size=30).map("".join),
                    st.lists(st.sampled_from(_PIECES), max_size=30).map(" ".join))


@pytest.fixture
def loaded(archive, tmp_path):
    for name, pages in (("ru.pdf", RU_ARTICLE), ("kk.pdf", KK_ARTICLE)):
        out = ingest_file(archive, make_pdf(tmp_path / name, pages), name, publish=True)
        assert out.status == "ok", out.error
    return archive


@WEB
@given(q=queries, page=st.sampled_from(["1", "2", "0", "-1", "x", "99999999999"]))
@example(q="Алматы", page="1")
@example(q="<script>alert(1)</script>", page="1")
@example(q="\x00", page="1")
@example(q="a" * 5000, page="1")
def test_any_query_gives_a_search_page(client, loaded, q: str, page: str) -> None:
    r = client.get("/search", query_string={"q": q, "page": page})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'role="search"' in html
    if "<script>" in q:
        assert "&lt;script&gt;" in html     # the query is echoed into the search box, escaped
    assert "Traceback" not in html


@WEB
@given(q=queries)
@example(q="Алматы")
def test_any_query_gives_a_json_answer(client, loaded, q: str) -> None:
    r = client.get("/api/search", query_string={"q": q})
    assert r.status_code == 200
    body = r.get_json()
    assert isinstance(body, dict) and "Traceback" not in r.get_data(as_text=True)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["q", "lang", "year", "topic", "x y", "ключ", "&", "="]),
                                st.text(max_size=30)), max_size=8))
def test_facet_links_encode_arguments_as_urlencode_does(pairs) -> None:
    """The search page's facet links quote each part once (memoised): the same string ``urlencode`` gives."""
    from urllib.parse import urlencode

    from werkzeug.datastructures import MultiDict

    from archive.views.common import _urlencode

    args = MultiDict(pairs)
    assert _urlencode(args) == urlencode([(k, v) for k in args for v in args.getlist(k)])


_PARAMS = st.sampled_from(["q", "lang", "year", "topic", "page", "x y", "ключ", "&"])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(_PARAMS, st.text(max_size=12)), max_size=8),
       changes=st.dictionaries(_PARAMS.filter(lambda k: k.isidentifier()),
                               st.one_of(st.none(), st.text(max_size=8), st.integers(0, 3000),
                                         st.tuples(st.just("remove"), st.text(max_size=8))), max_size=3))
def test_facet_links_change_the_arguments_as_a_multidict_would(app, pairs, changes) -> None:
    """``url_with`` keeps the page's arguments as plain lists (a MultiDict copy per link cost ~30 us): its links
    must be the ones the MultiDict version built, argument order included."""
    from urllib.parse import urlencode

    from flask import url_for
    from werkzeug.datastructures import MultiDict

    from archive.views.common import url_with

    with app.test_request_context("/search?" + urlencode(pairs)):
        from flask import request

        args = MultiDict(request.args)
        args.pop("page", None)
        for name, value in changes.items():
            if value is None:
                args.pop(name, None)
            elif isinstance(value, tuple) and value[0] == "remove":
                args.setlist(name, [v for v in args.getlist(name) if v != value[1]])
            elif str(value) not in args.getlist(name):
                args.add(name, str(value))
        expected = url_for("main.search") + ("?" + urlencode([(k, v) for k in args for v in args.getlist(k)])
                                             if args else "")
        assert url_with(**changes) == expected
        assert url_with(**changes) == expected          # the per-request base is not changed by a link


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(_PARAMS, st.text(max_size=12)), max_size=8),
       name=_PARAMS.filter(lambda k: k.isidentifier()),
       values=st.lists(st.one_of(st.text(max_size=8), st.integers(0, 3000)), max_size=6))
def test_a_facets_links_are_the_ones_url_with_builds(app, pairs, name, values) -> None:
    """``facet_urls`` builds a facet's links at once (the other arguments quoted once): each must be the link
    ``url_with`` builds for that value, a value the page already holds and the argument's place included."""
    from urllib.parse import urlencode

    from archive.views.common import facet_urls, url_with

    with app.test_request_context("/search?" + urlencode(pairs)):
        assert facet_urls(name, values) == [url_with(**{name: v}) for v in values]
