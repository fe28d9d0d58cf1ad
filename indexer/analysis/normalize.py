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
_SCHWA_WORD = re.compile(r"\w*[\u0259\u018f]\w*")
_LATIN_RUN = re.compile(r"[A-Za-z\u0259\u018f]+")
_SOFT_HYPHEN = "\u00ad"
_COMBINING = re.compile("[\u0300-\u036f]")


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"          # what ``\w`` matches


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


def _fix_mixed_words(text: str) -> str:
    """``_MIXED_WORD.sub(_fix_mixed, text)``, found from the Latin letters: most pages have none, or only
    whole Latin words, and one scan for Latin letters costs a third of trying the pattern at every word."""
    out: list[str] = []
    done = 0                               # text[:done] is in ``out`` or unchanged up to there
    copied = 0
    n = len(text)
    for m in _LATIN_RUN.finditer(text):
        s, e = m.span()
        # A whole Latin word is not mixed; the pattern's look-ahead also counts a Cyrillic sign or mark
        # (U+0482-U+0489, not word characters) right after the word.
        if s < done or not ((s and _is_word_char(text[s - 1]))
                            or (e < n and (_is_word_char(text[e]) or "\u0400" <= text[e] <= "\u04ff"))):
            continue
        a, b = s, e
        while a and _is_word_char(text[a - 1]):
            a -= 1
        while b < n and _is_word_char(text[b]):
            b += 1
        done = b
        word = _MIXED_WORD.match(text, a)
        if word is not None and word.end() == b:
            fixed = _fix_mixed(word)
            if fixed != word.group(0):
                out.append(text[copied:a])
                out.append(fixed)
                copied = b
    if not out:
        return text
    out.append(text[copied:])
    return "".join(out)


def normalize_text(text: str) -> str:
    """NFC, soft hyphens removed, Latin schwa and Latin look-alikes inside Cyrillic words made Cyrillic."""
    if not text:
        return ""
    # Soft hyphens go first: one between a letter and a combining mark would keep them apart through NFC.
    text = unicodedata.normalize("NFC", text.replace(_SOFT_HYPHEN, ""))
    for _ in range(4):
        if "\u0259" in text or "\u018f" in text:
            text = _SCHWA_WORD.sub(_fix_schwa, text)
        text = _fix_mixed_words(text)
        # A letter made Cyrillic may compose with a following mark (у + U+0306 -> ў), which can join two
        # words into a new mixed one; repeat until the text is stable (rarely more than once). Every
        # composition of a Latin or Cyrillic letter uses a mark from U+0300-U+036F.
        if unicodedata.is_normalized("NFC", text) or not _COMBINING.search(text):   # the quick check first
            break
        text = unicodedata.normalize("NFC", text)
    return text


def positions_kept(raw: str, normalized: str | None = None) -> bool:
    """Whether ``normalize_text(raw)`` (``normalized``, when the caller has it) keeps every character where it is
    in ``raw``: no soft hyphen to drop, nothing to compose or decompose, so an offset into the normalised text
    is one into ``raw`` (the other fixes replace one letter with one). Without ``normalized`` this is the quick
    check that may say yes to a text whose fixed letter composes with the next mark (rare; a caller checks
    what it shows)."""
    if _SOFT_HYPHEN in raw or not unicodedata.is_normalized("NFC", raw):
        return False
    return normalized is None or len(normalized) == len(raw)


def fold_token(token: str) -> str:
    """Lower-case and fold ё to е (never й to и)."""
    return token.lower().replace("ё", "е")
