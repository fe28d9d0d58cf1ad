"""Russian lemmas from pymorphy3 behind an LRU cache, with a surname rule and abbreviation guard."""
from __future__ import annotations

import logging
import threading

from .cache import word_cache

logger = logging.getLogger(__name__)

_PROPER = frozenset({"Geox", "Name", "Surn", "Patr", "Orgn", "Trad"})
_morph = None
_morph_lock = threading.Lock()


def _analyzer():
    global _morph
    if _morph is None:
        with _morph_lock:
            if _morph is None:
                import pymorphy3  # imported lazily: loading the dictionaries takes ~0.15 s

                _morph = pymorphy3.MorphAnalyzer(lang="ru")
    return _morph


@word_cache(maxsize=200_000)
def russian_lemma(word: str, capitalised: bool = False) -> str:
    """The lemma (ё folded to е) of a lower-cased Russian word; surnames keep their masculine form.

    The word keeps its ё when it has one: pymorphy3 reads ё better than е ("озёрам" vs "озерам").
    """
    try:
        parses = _analyzer().parse(word)
    except ValueError:
        # pymorphy3 asks unicodedata for every letter's name; letters without one (Tangut, Nushu) raise.
        return word.replace("ё", "е")
    if not parses:
        return word
    if capitalised:
        # Шайкемелева -> шайкемелев rather than the noun "шайкемелево": prefer a surname parse.
        for p in parses:
            if "Surn" in p.tag:
                inflected = p.inflect({"masc", "sing", "nomn"})
                return (inflected.word if inflected else p.normal_form).replace("ё", "е")
    else:
        # A word written in lower case is not a proper name: "озёрам" is "озеро", not the town Озёры.
        for p in parses:
            if not (_PROPER & p.tag.grammemes):
                return p.normal_form.replace("ё", "е")
    return parses[0].normal_form.replace("ё", "е")
