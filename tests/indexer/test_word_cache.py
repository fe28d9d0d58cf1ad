"""indexer.analysis.cache: word caches registered, and emptied only when past a limit."""
from indexer.analysis import cache
from indexer.analysis.cache import trim_word_caches, word_cache, word_cache_sizes


def test_trim_empties_only_the_caches_past_the_limit(monkeypatch):
    monkeypatch.setattr(cache, "_CACHES", [])
    calls = []

    @word_cache(maxsize=100)
    def double(x):
        calls.append(x)
        return 2 * x

    @word_cache(maxsize=100)
    def square(x):
        return x * x

    for i in range(10):
        double(i)
    square(1), square(2)
    assert word_cache_sizes() == {f"{__name__}.test_trim_empties_only_the_caches_past_the_limit.<locals>.double": 10,
                                  f"{__name__}.test_trim_empties_only_the_caches_past_the_limit.<locals>.square": 2}
    assert trim_word_caches(5) == 1
    assert list(word_cache_sizes().values()) == [0, 2]
    assert double(3) == 6 and calls.count(3) == 2        # computed again after the trim
    assert trim_word_caches(5) == 0


def test_the_analysis_caches_are_registered():
    import indexer.bridge.forms

    assert indexer.bridge.forms.probe_keys         # imported: registers the bridge's caches
    names = set(word_cache_sizes())
    for name in ("indexer.analysis._keys_for", "indexer.analysis.word_keys", "indexer.analysis.russian.russian_lemma",
                 "indexer.analysis.kazakh.kazakh_stems", "indexer.analysis.translit.fold_latin_key",
                 "indexer.bridge.forms.probe_keys"):
        assert name in names
