"""Tests for Kazakh script conversion (indexer.analysis.translit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analysis.translit import (
    cyrillic_to_latin,
    fold_latin_key,
    latin_to_cyrillic,
    looks_like_kazakh_latin,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "text"


@pytest.mark.parametrize(
    "cyr, lat",
    [
        ("Қазақстан", "Qazaqstan"),
        ("білім", "bılım"),
        ("үйіне", "üiıne"),
        ("сый", "syi"),
        ("бұрыңғы", "būryñğy"),
        ("шаһарының", "şaharynyñ"),
        ("жаңғыру", "jañğyru"),
        ("ҚАЗАҚСТАН", "QAZAQSTAN"),
        ("Іле", "Ile"),
        ("Ильяс", "İlias"),
    ],
)
def test_cyrillic_to_latin_2021(cyr: str, lat: str) -> None:
    """The 2021 table (і -> ı, и/й -> i, ы -> y, ш -> ş, ң -> ñ ...), case pattern kept."""
    assert cyrillic_to_latin(cyr) == lat


@pytest.mark.parametrize(
    "word",
    ["Қазақстан", "білім", "үйіне", "сый", "қалайын", "бұрыңғы", "жаңғыру", "келісім", "ҚАЗАҚСТАН",
     "Әдебиет", "мұғалімдердің", "өңірлерінің"],
)
def test_round_trip(word: str) -> None:
    """Cyrillic -> 2021 Latin -> Cyrillic is exact for native words."""
    assert latin_to_cyrillic(cyrillic_to_latin(word)) == word


@pytest.mark.parametrize(
    "lat, cyr",
    [
        ("Qazaqstan", "Қазақстан"),
        ("Kazakhstan", "Қазақстан"),
        ("qazakhstan", "қазақстан"),
        ("Zhambyl", "Жамбыл"),
        ("Abai", "Абай"),
        ("Ədebiet", "Әдебиет"),
        ("ƏDEBIET", "ӘДЕБІЕТ"),
        ("bala", "бала"),
        ("Khan", "Хан"),
    ],
)
def test_latin_to_cyrillic(lat: str, cyr: str) -> None:
    """2021 Latin, informal ASCII (kh, zh, ai ...) and Latin schwa."""
    assert latin_to_cyrillic(lat) == cyr


@pytest.mark.parametrize(
    "spellings",
    [
        ("Қазақстан", "Qazaqstan", "Kazakhstan", "qazakhstan", "Kazakstan", "QAZAQSTAN"),
        ("Жамбыл", "Jambyl", "Zhambyl"),
        ("Шаһар", "şahar", "shahar"),
        ("Әдебиет", "Ädebiet", "Ədebiet", "adebiet"),
        ("Теңге", "teñge", "tenge"),
        ("Қасым", "Qasym", "Kassym", "Kasym"),
    ],
)
def test_fold_key_collides_for_spellings(spellings: tuple[str, ...]) -> None:
    """Common spellings of one word share a fold key."""
    assert len({fold_latin_key(s) for s in spellings}) == 1


@pytest.mark.parametrize("a, b", [("жол", "жыл"), ("бала", "бас"), ("шаш", "сас"), ("жер", "зер")])
def test_fold_key_keeps_words_apart(a: str, b: str) -> None:
    """Different words keep different keys."""
    assert fold_latin_key(a) != fold_latin_key(b)


def test_fold_key_is_ascii() -> None:
    """Keys are plain lowercase ASCII."""
    for w in ("Қазақстан", "Ədebiet", "şahar", "ЮНЕСКО", "щётка"):
        key = fold_latin_key(w)
        assert key.isascii() and key == key.lower()


@pytest.mark.parametrize("word", ["Qazaqstan", "qazaq", "bılım", "Ädebiet", "Ədebiet", "jañğyru", "Kazakhstan"])
def test_looks_like_kazakh_latin(word: str) -> None:
    """2021 letters, schwa or a q without u mark Kazakh Latin."""
    assert looks_like_kazakh_latin(word)


@pytest.mark.parametrize("word", ["the", "question", "search", "archive", "shop", "check", "Nature", "kitchen"])
def test_english_is_not_kazakh_latin(word: str) -> None:
    """Plain English words are not taken for Kazakh."""
    assert not looks_like_kazakh_latin(word)


def test_round_trip_rate_on_ud_forms() -> None:
    """At least 90 % of UD Kazakh forms survive Cyrillic -> Latin -> Cyrillic (measured 91 %+)."""
    path = CORPUS / "kk_ud_ktb_form_lemma.tsv"
    if not path.is_file():
        pytest.skip("shared corpus not available")
    forms = {line.split("\t")[0].lower() for line in path.read_text(encoding="utf-8").splitlines()[1:]}
    forms = {f for f in forms if f.isalpha()}
    ok = sum(latin_to_cyrillic(cyrillic_to_latin(f)) == f for f in forms)
    assert ok / len(forms) >= 0.90
