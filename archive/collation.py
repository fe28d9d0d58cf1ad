"""Alphabetical order of names in the Kazakh Cyrillic alphabet (which contains the Russian one), Latin after."""
from __future__ import annotations

import unicodedata

# The Kazakh Cyrillic alphabet (2021 order of the 42 letters, Russian letters in their usual places).
ALPHABET = "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ"
LATIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_CYR_RANK = {ch: i for i, ch in enumerate(ALPHABET.lower())}
# Letters of neighbouring alphabets that readers expect next to a Kazakh/Russian letter.
_CYR_ALIASES = {"ї": "і", "є": "е", "ў": "у", "ґ": "г"}
_LATIN_BASE = 100      # Latin letters come after every Cyrillic letter
_OTHER_BASE = 200      # letters of other scripts after Latin
_SPACE = -20           # a word break sorts before any letter ("Ли Виктор" before "Лиев")
_DIGIT_BASE = -10      # digits before letters

SortKey = tuple[int, tuple[int, ...], tuple[int, ...], str]


def _latin_base(ch: str) -> tuple[str, int]:
    """The base Latin letter of ``ch`` ("ä" -> "a") and a tiebreak (1 for a letter with a diacritic)."""
    base = "i" if ch == "ı" else unicodedata.normalize("NFD", ch)[0]
    return base, int(base != ch)


def _char_rank(ch: str) -> tuple[int, int] | None:
    """Primary rank and accent tiebreak of one lowercase character; None for characters that are ignored."""
    if ch in _CYR_RANK:
        return _CYR_RANK[ch], 0
    if ch in _CYR_ALIASES:
        return _CYR_RANK[_CYR_ALIASES[ch]], 1
    if ch.isspace() or ch in ".-\u2010\u2011":
        return _SPACE, 0
    if ch.isdigit():
        return _DIGIT_BASE + unicodedata.digit(ch, 0), 0
    if not ch.isalpha():
        return None
    base, accent = _latin_base(ch)
    if "a" <= base <= "z":
        return _LATIN_BASE + ord(base) - ord("a"), accent
    return _OTHER_BASE + ord(ch), 0


def script_group(name: str) -> int:
    """0 for a name that starts with a Cyrillic letter, 1 for Latin, 2 for anything else."""
    for ch in unicodedata.normalize("NFC", name).lower():
        r = _char_rank(ch)
        if r is None or r[0] < 0:
            continue
        return 0 if r[0] < _LATIN_BASE else 1 if r[0] < _OTHER_BASE else 2
    return 2


def sort_key(name: str) -> SortKey:
    """A key that orders names as in the alphabet А Ә Б … Ю Я, then Latin names, then the rest."""
    text = " ".join(unicodedata.normalize("NFC", name or "").split()).lower()
    primary: list[int] = []
    accents: list[int] = []
    for ch in text:
        r = _char_rank(ch)
        if r is None:
            continue              # apostrophes, quotes, brackets
        if r[0] == _SPACE and (not primary or primary[-1] == _SPACE):
            continue
        primary.append(r[0])
        accents.append(r[1])
    while primary and primary[-1] == _SPACE:
        primary.pop()
        accents.pop()
    return script_group(name), tuple(primary), tuple(accents), name


SORT_NAME_LENGTH = 640         # the stored key: 1 + 4 × 120 + 4 + 120 characters at most
_SORT_RANKS = 120              # letters of a name the stored key orders by (ties: the row id)


def sort_name(name: str) -> str:
    """``sort_key(name)`` as a string of digits and a-f whose plain (byte) order is the key's order, for a
    database index: the script group, each letter's rank in four hex digits, "0000" (lower than any rank:
    a name before its longer continuations), then the accent marks."""
    group, primary, accents, _name = sort_key(name)
    ranks = "".join(f"{min(r - _SPACE + 1, 0xFFFF):04x}" for r in primary[:_SORT_RANKS])
    return f"{group}{ranks}0000{''.join(str(a) for a in accents[:_SORT_RANKS])}"


def initial(name: str) -> str:
    """The index letter of a name: its first Cyrillic letter (uppercase), a Latin A-Z, or "#"."""
    for ch in unicodedata.normalize("NFC", name or "").strip().lower():
        r = _char_rank(ch)
        if r is None or r[0] < 0:
            continue
        if r[0] < _LATIN_BASE:
            return ALPHABET[r[0]]
        if r[0] < _OTHER_BASE:
            return LATIN[r[0] - _LATIN_BASE]
        return "#"
    return "#"


def index_letters() -> list[str]:
    """Every letter of the alphabetical index, in order: Cyrillic, then Latin."""
    return list(ALPHABET) + list(LATIN)
