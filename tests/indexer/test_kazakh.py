"""Tests for the rule-based Kazakh stemmer (indexer.analysis.kazakh)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from indexer.analysis import kazakh
from indexer.analysis.kazakh import (
    KAZAKH_LETTERS,
    has_kazakh_letters,
    kazakh_stem,
    kazakh_stopwords,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "text"
HAS_WORDLIST = bool(kazakh._wordlist()[0])
needs_wordlist = pytest.mark.skipif(not HAS_WORDLIST, reason="hunspell-kk word list not installed")


@pytest.mark.parametrize(
    "forms",
    [
        ("ақын", "ақындары", "ақынның", "ақындар"),
        ("халық", "халқы", "халқының"),
        ("қазақстан", "қазақстанның", "қазақстандағы", "қазақстанда"),
        ("келісім", "келісімі", "келісімнің"),
        ("білім", "білімі", "білімнің"),
        ("кітап", "кітабы", "кітаптар", "кітабының"),
        ("бала", "балалар", "балаларына", "баланың", "баласы"),
        ("қала", "қаласы", "қалалар", "қаласының"),
        ("орын", "орны", "орнында"),
        ("ауыз", "аузы"),
        ("мектеп", "мектепке", "мектептер"),
        ("адам", "адамдар", "адамдардың", "адамға", "адамнан"),
        ("жол", "жолмен", "жолы"),
        ("ресурс", "ресурстар"),
        ("модель", "моделі"),
    ],
)
@needs_wordlist
def test_forms_share_the_lemma_key(forms: tuple[str, ...]) -> None:
    """Every inflected form lands on the key of its lemma."""
    keys = {f: kazakh_stem(f) for f in forms}
    assert len(set(keys.values())) == 1, keys


@pytest.mark.parametrize(
    "forms",
    [
        ("бала", "балалар", "баланың", "балаларға"),
        ("адам", "адамдар", "адамның", "адамға", "адамнан"),
        ("мектеп", "мектепке", "мектептер"),
        ("халық", "халқы"),
        ("кітап", "кітабы"),
    ],
)
def test_forms_share_key_by_rules_alone(forms: tuple[str, ...]) -> None:
    """Unambiguous forms conflate without the word list too."""
    try:
        import os

        os.environ["KELISIM_KK_NO_WORDLIST"] = "1"
        kazakh._wordlist.cache_clear()
        kazakh_stem.cache_clear()
        assert len({kazakh_stem(f) for f in forms}) == 1
    finally:
        os.environ.pop("KELISIM_KK_NO_WORDLIST", None)
        kazakh._wordlist.cache_clear()
        kazakh_stem.cache_clear()


@pytest.mark.parametrize(
    "word, key",
    [("келісім", "келісім"), ("білім", "білім"), ("ғылым", "ғылым"), ("халқы", "халық"),
     ("кітабы", "кітап"), ("ақ", "ақ"), ("су", "су"), ("қазақстан", "қазақстан")],
)
def test_exact_keys(word: str, key: str) -> None:
    """Derivational -ым/-ім is kept, short words survive, voicing and elision are undone."""
    assert kazakh_stem(word) == key


@needs_wordlist
@pytest.mark.parametrize("a, b", [("жыл", "жол"), ("қала", "қалам"), ("бала", "бас"), ("ақын", "ақ")])
def test_distinct_lemmas_stay_apart(a: str, b: str) -> None:
    """Different words do not share a key."""
    assert kazakh_stem(a) != kazakh_stem(b)


def test_hyphenated_word_stems_last_part() -> None:
    """Only the last part of a hyphenated word is inflected."""
    assert kazakh_stem("оңтүстік-шығысы") == "оңтүстік-" + kazakh_stem("шығыс")


def test_kazakh_letters() -> None:
    """The Kazakh-only letter test."""
    assert KAZAKH_LETTERS == set("әғқңөұүһі")
    assert has_kazakh_letters("Қазақстан")
    assert has_kazakh_letters("білім")
    assert not has_kazakh_letters("бала")
    assert not has_kazakh_letters("Казахстан")


def test_stopwords_are_function_words() -> None:
    """Stop words contain conjunctions and postpositions but no content words."""
    stop = kazakh_stopwords()
    assert {"және", "немесе", "үшін", "туралы", "бұл"} <= stop
    assert not {"жер", "су", "заң", "ит", "бас", "келісім", "қазақстан"} & stop
    assert all(w == w.lower() and "ё" not in w for w in stop)


def _pairs() -> list[tuple[str, str, str]]:
    path = CORPUS / "kk_ud_ktb_form_lemma.tsv"
    if not path.is_file():
        pytest.skip("shared corpus not available")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        form, lemma, upos, _ = line.split("\t")
        form, lemma = form.lower().replace("ё", "е"), lemma.lower().replace("ё", "е")
        if upos in ("NOUN", "PROPN", "ADJ", "VERB") and form != lemma:
            rows.append((form, lemma, upos))
    return rows


@needs_wordlist
def test_ud_nominal_forms_on_lemma_key() -> None:
    """UD Kazakh-KTB: inflected nouns/proper nouns/adjectives reach their lemma's key (measured 85.5 %)."""
    rows = [r for r in _pairs() if r[2] != "VERB"]
    share = sum(kazakh_stem(f) == kazakh_stem(lem) for f, lem, _ in rows) / len(rows)
    assert share >= 0.83


@needs_wordlist
def test_ud_all_forms_on_lemma_key() -> None:
    """UD Kazakh-KTB: nouns, verbs, adjectives, proper nouns together (measured 66.3 %)."""
    rows = _pairs()
    share = sum(kazakh_stem(f) == kazakh_stem(lem) for f, lem, _ in rows) / len(rows)
    assert share >= 0.63


@needs_wordlist
def test_ud_lemma_collisions_are_rare() -> None:
    """Few distinct UD lemmas share a key (measured 11.5 %)."""
    lemmas = sorted({lem for _, lem, _ in _pairs()})
    keys = Counter(kazakh_stem(lem) for lem in lemmas)
    share = sum(1 for lem in lemmas if keys[kazakh_stem(lem)] > 1) / len(lemmas)
    assert share <= 0.14
