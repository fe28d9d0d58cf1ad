"""Character-level normalisation applied to every text before tokenising, and to every token."""
from __future__ import annotations

import re
import unicodedata

# Latin letters that look like Cyrillic ones. Inside a word that is otherwise Cyrillic they are
# almost always typing or OCR accidents ("Aлматы" with a Latin A), so they are mapped back.
_LOOKALIKES = str.maketrans({
    "A": "А", "a": "а", "B": "В", "C": "С", "c": "с", "E": "Е", "e": "е", "H": "Н", "K": "К",
    "M": "М", "O": "О", "o": "о", "P": "Р", "p": "р", "T": "Т", "X": "Х", "x": "х", "y": "у",
    "Y": "У", "I": "І", "i": "і", "\u0259": "ә", "\u018f": "Ә", "\u04bb": "һ",
})
_CYR = "\u0400-\u04ff"
# A word mixing Cyrillic and Latin letters (at least one of each).
_MIXED_WORD = re.compile(rf"\b(?=\w*[{_CYR}])(?=\w*[A-Za-z\u0259\u018f])\w+\b")
# A Latin letter followed, inside one word, by a Cyrillic one; searched in the text and in the text reversed, it
# finds whether any word mixes the two scripts, starting only at Latin letters (few in a Cyrillic page), where
# _MIXED_WORD tries two look-aheads at every word: the rewrite runs only on the pages that need it.
_LATIN_THEN_CYRILLIC = re.compile(rf"[A-Za-z\u0259\u018f]\w*?[{_CYR}]")
_SCHWA_WORD = re.compile(r"\w*[\u0259\u018f]\w*")
_SOFT_HYPHEN = "\u00ad"
_COMBINING = re.compile("[\u0300-\u036f]")


def _fix_mixed(m: re.Match[str]) -> str:
    word = m.group(0)
    fixed = word.translate(_LOOKALIKES)
    # Only accept the fix when it leaves no Latin letters behind; otherwise the word is genuinely mixed.
    return fixed if not re.search(r"[A-Za-z]", fixed) else word


def _fix_schwa(m: re.Match[str]) -> str:
    word = m.group(0)
    # A Latin schwa inside a Cyrillic word is a legacy-font stand-in for Cyrillic ә.
    if re.search(rf"[{_CYR}]", word) or not re.search(r"[A-Za-z]", word):
        return word.replace("\u0259", "ә").replace("\u018f", "Ә")
    return word


def normalize_text(text: str) -> str:
    """NFC, soft hyphens removed, Latin schwa and Latin look-alikes inside Cyrillic words made Cyrillic."""
    if not text:
        return ""
    # Soft hyphens go first: one between a letter and a combining mark would keep them apart through NFC.
    text = unicodedata.normalize("NFC", text.replace(_SOFT_HYPHEN, ""))
    for _ in range(4):
        before = text
        if "\u0259" in text or "\u018f" in text:
            text = _SCHWA_WORD.sub(_fix_schwa, text)
        if _LATIN_THEN_CYRILLIC.search(text) or _LATIN_THEN_CYRILLIC.search(text[::-1]):
            text = _MIXED_WORD.sub(_fix_mixed, text)
        # A letter made Cyrillic may compose with a following mark (у + U+0306 -> ў), which can join two
        # words into a new mixed one; repeat until the text is stable (rarely more than once). Every
        # composition of a Latin or Cyrillic letter uses a mark from U+0300-U+036F. Nothing rewritten: the
        # text is still the NFC it was made above.
        if text == before or not _COMBINING.search(text) or unicodedata.is_normalized("NFC", text):
            break
        text = unicodedata.normalize("NFC", text)
    return text


def fold_token(token: str) -> str:
    """Lower-case and fold ё to е (never й to и)."""
    return token.lower().replace("ё", "е")
