"""Kazakh script conversion: Cyrillic <-> 2021 Latin alphabet, informal ASCII Latin, and a cross-script key.

Source of the table: the Latin alphabet approved on 28 January 2021, as given in Wikipedia
"Kazakh alphabets" (its transliteration example reads "Būryñğy ötken zamanda, bır danyşpan kısı ...").
Native letters: а a, ә ä, б b, в v, г g, ғ ğ, д d, е e, ж j, з z, и i, й i, к k, қ q, л l, м m,
н n, ң ñ, о o, ө ö, п p, р r, с s, т t, у u, ұ ū, ү ü, ф f, х h, һ h, ч ç, ш ş, ы y, і ı.
Letters found only in Russian loans are not part of the 2021 alphabet and sources disagree about them;
this module picks spellings that invert cleanly: ц c, щ şç, ё io, ю iu, я ia, э e, ъ and ь dropped.
"""

from __future__ import annotations

import re
import unicodedata

from .cache import word_cache

_CYR2LAT = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ё": "io",
    "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "ū",
    "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "c", "ч": "ç", "ш": "ş", "щ": "şç", "ъ": "",
    "ы": "y", "і": "ı", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}
# 2021 Latin (plus the 2018 acute variant and Latin schwa) -> Cyrillic.
_LAT2CYR_2021 = {
    "şç": "щ", "io": "ё", "iu": "ю", "ia": "я",
    "a": "а", "ä": "ә", "ə": "ә", "á": "ә", "b": "б", "c": "ц", "ç": "ч", "d": "д", "e": "е",
    "f": "ф", "g": "г", "ğ": "ғ", "ǵ": "ғ", "h": "х", "ı": "і", "i": "и", "j": "ж", "k": "к",
    "l": "л", "m": "м", "n": "н", "ñ": "ң", "ń": "ң", "ŋ": "ң", "o": "о", "ö": "ө", "ó": "ө",
    "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ū": "ұ", "ü": "ү",
    "ú": "ү", "ý": "у", "v": "в", "w": "у", "x": "х", "y": "ы", "z": "з",
}
# Informal ASCII Latin -> Cyrillic (front-vowel reading; back-vowel words are adjusted by _BACK_SWAP).
_LAT2CYR_ASCII = {
    "shch": "щ", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "қ", "gh": "ғ", "yu": "ю", "ya": "я",
    "yo": "ё", "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х",
    "i": "і", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ",
    "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "у", "x": "х", "y": "ы", "z": "з",
}
_BACK_SWAP = {"і": "ы", "к": "қ", "г": "ғ"}
_DIACRITICS = set("äğıñöşūüçəáǵńóúýŋ")
_INFORMAL = re.compile("sh|ch|zh|kh|gh|yu|ya|yo|w|x")


def _tokenizer(table: dict[str, str]) -> re.Pattern[str]:
    """Regex matching the table's keys, longest first, or any single character."""
    return re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)) + "|.", re.S)


_TOKEN_2021, _TOKEN_ASCII = _tokenizer(_LAT2CYR_2021), _tokenizer(_LAT2CYR_ASCII)
_CYR_VOWELS = set("аәеёиоөуұүыіэюя")

# Cyrillic letter -> cross-script key letters (lossy on purpose: vowel pairs, к/қ/х, г/ғ, н/ң merge).
_FOLD_CYR = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "io",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "k", "һ": "k", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "",
    "ы": "i", "і": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}
# Latin -> key: digraphs first (through placeholders), then single letters.
_FOLD_LAT_DIGRAPHS = (("shch", "\x01"), ("şç", "\x01"), ("sh", "\x01"), ("ş", "\x01"), ("ch", "\x02"),
                      ("ç", "\x02"), ("zh", "\x03"), ("j", "\x03"), ("kh", "k"), ("gh", "g"))
_FOLD_LAT = str.maketrans({
    "ä": "a", "ə": "a", "á": "a", "ğ": "g", "ǵ": "g", "ı": "i", "y": "i", "ñ": "n", "ń": "n",
    "ŋ": "n", "ö": "o", "ó": "o", "q": "k", "h": "k", "x": "k", "ū": "u", "ü": "u", "ú": "u",
    "ý": "u", "w": "u", "c": "ts", "\x01": "sh", "\x02": "ch", "\x03": "zh",
})
_CYR_RUN = re.compile("([\u0400-\u04ff]+)")


def _case_like(src: str, out: str) -> str:
    """Apply the case pattern of `src` (lower, Title or UPPER) to `out`."""
    letters = [c for c in src if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return out.upper()
    if letters and letters[0].isupper():
        return out[:1].upper() + out[1:]
    return out


def _is_back(word: str) -> bool:
    """Guess the vowel harmony of an informal ASCII word: True for a back-vowel word."""
    if "q" in word or "gh" in word:
        return True
    return any(v in word for v in "aouy") and not any(v in word for v in "ei")


@word_cache(maxsize=50_000)
def latin_to_cyrillic(word: str) -> str:
    """Convert a Kazakh word in the 2021 Latin alphabet or informal ASCII Latin to Cyrillic."""
    src = unicodedata.normalize("NFC", word)
    low = src.lower()
    turkic = bool(set(low) & _DIACRITICS) or "İ" in src or ("q" in low and not _INFORMAL.search(low))
    return _convert(word, turkic)


# Russian names and words typed in Latin (Kazakhstan, Almaty, mezhetnicheskie): a plain romanisation.
_LAT2CYR_RU = {
    "shch": "щ", "sch": "щ", "sh": "ш", "ch": "ч", "zh": "ж", "kh": "х", "ts": "ц", "yu": "ю", "ya": "я",
    "yo": "ё", "ye": "е", "iy": "ий", "yy": "ый", "a": "а", "b": "б", "c": "ц", "d": "д", "e": "е", "f": "ф",
    "g": "г", "h": "х", "i": "и", "j": "й", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к",
    "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "в", "x": "кс", "y": "ы", "z": "з",
}
_TOKEN_RU = _tokenizer(_LAT2CYR_RU)


@word_cache(maxsize=50_000)
def latin_readings(word: str) -> tuple[str, ...]:
    """Plausible Cyrillic readings of a Latin word: the best Kazakh guess, the 2021-alphabet reading of
    a word without diacritics (tarihy -> тарихы), and a Russian romanisation (kazakhstan -> казахстан)."""
    low = unicodedata.normalize("NFC", word).lower()
    kazakh = latin_to_cyrillic(word).lower()
    readings = [kazakh, _convert(word, True).lower(),
                "".join(_LAT2CYR_RU.get(t, t) for t in _TOKEN_RU.findall(low))]
    if "у" in kazakh and not set(low) & _DIACRITICS:
        # ASCII "u" stands for у, ұ or ү: add the ұ and ү readings too.
        readings += [kazakh.replace("у", "ұ"), kazakh.replace("у", "ү")]
    return tuple(dict.fromkeys(r for r in readings if r))


def _convert(word: str, turkic: bool) -> str:
    """Latin -> Cyrillic with the 2021 table (``turkic``) or the informal ASCII table."""
    src = unicodedata.normalize("NFC", word)
    if turkic:  # 2021 alphabet: I is the capital of ı (і), İ the capital of i (и)
        src = src.replace("I", "ı").replace("İ", "i")
    low = src.lower()
    table, tokens = (_LAT2CYR_2021, _TOKEN_2021) if turkic else (_LAT2CYR_ASCII, _TOKEN_ASCII)
    back = not turkic and _is_back(low)
    out: list[str] = []
    for tok in tokens.findall(low):
        cyr = table.get(tok, tok)
        if tok == "i" and out and out[-1][-1:] in _CYR_VOWELS:
            cyr = "й"  # a glide after a vowel: syi -> сый, qalaiyn -> қалайын
        elif back:
            cyr = _BACK_SWAP.get(cyr, cyr)
        out.append(cyr)
    if not turkic and low.startswith("kh"):
        out[0] = "х"  # Khan, Khabar: word-initial kh is х, elsewhere it stands for қ (Kazakh)
    return _case_like(word, "".join(out))


def _upper_turkic(s: str) -> str:
    """Uppercase 2021 Latin: i -> İ, ı -> I."""
    return s.replace("i", "İ").upper()


@word_cache(maxsize=50_000)
def cyrillic_to_latin(word: str) -> str:
    """Convert a Cyrillic Kazakh word to the 2021 Latin alphabet (case pattern kept)."""
    out = "".join(_CYR2LAT.get(c, c) for c in word.lower())
    letters = [c for c in word if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return _upper_turkic(out)
    if letters and letters[0].isupper():
        return _upper_turkic(out[:1]) + out[1:]
    return out


def _fold_latin_run(w: str) -> str:
    """Fold a lowercase Latin run to key letters."""
    for a, b in _FOLD_LAT_DIGRAPHS:
        w = w.replace(a, b)
    return w.translate(_FOLD_LAT)


@word_cache(maxsize=100_000)
def fold_latin_key(word: str) -> str:
    """Lossy ASCII key under which Cyrillic, 2021-Latin and informal spellings of a word collide."""
    key = unicodedata.normalize("NFC", word).replace("İ", "i").lower().replace("i\u0307", "i")
    # Folded again until it stays: letters folded from Cyrillic can make a Latin digraph with their neighbours
    # (шч -> "shch", ш + Latin "ch"), which the Latin spelling of the same word folds further ("shch" -> "sh").
    for _ in range(4):
        parts = _CYR_RUN.split(key)
        again = "".join("".join(_FOLD_CYR.get(c, c) for c in part) if i % 2 else _fold_latin_run(part)
                        for i, part in enumerate(parts))
        again = re.sub(r"(.)\1+", r"\1", again)  # doubled letters: Қасым / Kassym
        again = again[:-1] if again.endswith("ng") else again  # informal final -ng for ң
        if again == key:
            break
        key = again
    return key


def looks_like_kazakh_latin(word: str) -> bool:
    """Conservative test: 2021-alphabet letters, Latin schwa, or a q not followed by u (qazaq, aqyn)."""
    w = word.lower()
    if set(w) & _DIACRITICS:
        return True
    return bool(re.search(r"q(?!u)", w)) or w.startswith(("kazakh", "qazaq"))
