"""A bridged query on a real Whoosh index: the other language is found, after the reader's own."""
import pytest

from indexer.bridge import build_bridge, expand_query, load_glossary
from indexer.whoosh_backend import WhooshBackend
from indexer.documents import IndexDocument
from indexer.query import parse_query

DOCS = [
    IndexDocument(id=1, language="ru", titles={"ru": "Межэтнические отношения в городе"},
                  pages=((1, "Межэтническое согласие поддерживают соседи и этнокультурные объединения."),)),
    IndexDocument(id=2, language="kk", titles={"kk": "Этносаралық келісім және тіл саясаты"},
                  pages=((1, "Қазақстандағы этносаралық келісімнің негізі — мемлекеттік тілді үйрету."),)),
    IndexDocument(id=3, language="ru", titles={"ru": "Образование в регионе"},
                  pages=((1, "Отчёт о школах. В конце упомянут язык обучения."),)),
    IndexDocument(id=4, language="kk", titles={"kk": "Тіл және тіл үйрену"},
                  pages=((1, "Тіл туралы мақала: тілді үйренудің әдістері."),)),
    IndexDocument(id=5, language="ru", titles={"ru": "Политика и язык"},
                  pages=((1, "Политика государства и много языков: о политике и о языках."),)),
    IndexDocument(id=6, language="ru", titles={"ru": "Языковая политика Казахстана"},
                  pages=((1, "Языковой политики касаются законы о языках."),)),
]


@pytest.fixture(scope="module")
def bridge():
    return build_bridge(load_glossary())


@pytest.fixture(params=[True, False], ids=["tiers", "weights-only"])
def backend(request, tmp_path):
    be = WhooshBackend(tmp_path / "ix")
    be.tiers = request.param
    be.update(DOCS)
    yield be
    be.close()


def ids(result):
    return [h.id for h in result.hits]


def test_a_russian_query_finds_the_kazakh_document_after_the_russian_one(bridge, backend):
    plain = parse_query("межэтническое согласие")
    assert ids(backend.search(plain)) == [1]
    res = backend.search(expand_query(bridge, plain).query)
    assert set(ids(res)) == {1, 2} and res.total == 2 and not res.relaxed
    if backend.tiers:
        assert ids(res) == [1, 2]


@pytest.mark.parametrize("text", ["этносаралық келісім", "etnosaralyq kelisim"])
def test_a_kazakh_query_in_either_script_finds_the_russian_document(bridge, backend, text):
    parsed = parse_query(text)
    assert 1 not in ids(backend.search(parsed))
    assert 1 in ids(backend.search(expand_query(bridge, parsed).query))


def test_a_bridged_phrase_is_searched_as_a_phrase(bridge, backend):
    res = backend.search(expand_query(bridge, parse_query("«тіл саясаты»")).query)
    assert set(ids(res)) == {2, 6}          # 5 has «политика» and «языков» but never «языковая политика»


def test_the_readers_own_words_rank_first_only_with_tiers(bridge, tmp_path):
    # Document 3 mentions «язык» once in its body; document 4 has «тіл» in its title and body.
    query = expand_query(bridge, parse_query("язык")).query
    tiers = WhooshBackend(tmp_path / "a")
    weights = WhooshBackend(tmp_path / "b")
    weights.tiers = False
    for be in (tiers, weights):
        be.update(DOCS)
    own = ids(tiers.search(query.without_bridge(), limit=20))
    got = ids(tiers.search(query, limit=20))
    assert got[:len(own)] == own and 4 in got[len(own):]
    weighted = ids(weights.search(query, limit=20))
    assert weighted.index(4) < weighted.index(3)     # weight 0.5 alone lets a Kazakh title win over a Russian body
    for be in (tiers, weights):
        be.close()


def test_pages_of_a_tiered_result_follow_each_other(bridge, backend):
    query = expand_query(bridge, parse_query("язык")).query
    everything = ids(backend.search(query, limit=20))
    pages = ids(backend.search(query, page=1, limit=2)) + ids(backend.search(query, page=2, limit=2)) \
        + ids(backend.search(query, page=3, limit=2))
    assert pages == everything[:6] and len(set(everything)) == len(everything)


def test_did_you_mean_never_offers_the_bridges_counterparts(bridge, backend):
    res = backend.search(expand_query(bridge, parse_query("межэтническое соглосие")).query)
    assert res.suggestion is None or "келісім" not in res.suggestion
