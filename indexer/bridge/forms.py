"""Index keys of a bridge term in one language, and the keys a query word brings to be matched against them.

A term's keys are computed by the archive's own analyzer (``indexer.analysis``), so a counterpart lands on
exactly what the index stores. Kazakh lemmas are also inflected here (plural, case, 3rd-person possessive) and
every form is analysed: the stemmer does not always bring a bare lemma and its inflected forms to one key
(``тіл`` / ``тілін``, ``желі`` / ``жел``), and the index holds whatever it produced for each form.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..analysis import LATIN_PREFIX, is_stopword, normalize_text, token_keys, tokenize, word_keys
from ..analysis.cache import word_cache
from ..analysis.kazakh import _BACK, _FRONT, _VOWELS, _cls
from ..analysis.normalize import fold_token
from ..analysis.translit import fold_latin_key

LANGS = ("ru", "kk")
KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_HYPHENS = re.compile(r"[-\u2010\u2011]")

_VOICE = {"к": "г", "қ": "ғ", "п": "б"}
# Suffix allomorphs by the stem's last sound: V vowel, R р/й/у/и, L л, N м/н/ң, Z ж/з, T other consonants.
# Each value is (back, front).
_CASES: dict[str, dict[str, tuple[str, str]]] = {
    "pl": {"V": ("лар", "лер"), "R": ("лар", "лер"), "L": ("дар", "дер"), "N": ("дар", "дер"),
           "Z": ("дар", "дер"), "T": ("тар", "тер")},
    "gen": {"V": ("ның", "нің"), "N": ("ның", "нің"), "R": ("дың", "дің"), "L": ("дың", "дің"),
            "Z": ("дың", "дің"), "T": ("тың", "тің")},
    "acc": {"V": ("ны", "ні"), "N": ("ды", "ді"), "R": ("ды", "ді"), "L": ("ды", "ді"), "Z": ("ды", "ді"),
            "T": ("ты", "ті")},
    "dat": {"V": ("ға", "ге"), "R": ("ға", "ге"), "L": ("ға", "ге"), "N": ("ға", "ге"), "Z": ("ға", "ге"),
            "T": ("қа", "ке")},
    "loc": {"V": ("да", "де"), "R": ("да", "де"), "L": ("да", "де"), "N": ("да", "де"), "Z": ("да", "де"),
            "T": ("та", "те")},
    "abl": {"V": ("дан", "ден"), "R": ("дан", "ден"), "L": ("дан", "ден"), "Z": ("дан", "ден"),
            "N": ("нан", "нен"), "T": ("тан", "тен")},
}


def _sound(ch: str) -> str:
    """The stemmer's sound class of a last letter; a voiced stop (loans: съезд) takes the voiceless suffixes."""
    return _cls(ch)[-1]


def _is_back(word: str) -> bool:
    for ch in reversed(word):
        if ch in _BACK:
            return True
        if ch in _FRONT:
            return False
    return True


def _suffix(word: str, kind: str) -> str:
    back, front = _CASES[kind][_sound(word[-1])]
    return back if _is_back(word) else front


def kazakh_forms(lemma: str) -> tuple[str, ...]:
    """Common inflected forms of a Kazakh noun or adjective: plural, the cases, 3rd-person possessive.

    Twelve forms: every suffix class the stemmer treats differently appears once (more forms cost start-up
    time and found no further key on the glossary)."""
    w = fold_token(lemma)
    if len(w) < 2 or not _CYRILLIC.search(w):
        return (w,)
    back = _is_back(w)
    forms = [w] + [w + _suffix(w, kind) for kind in ("pl", "gen", "acc", "dat", "loc", "abl")]
    if w[-1] in _VOWELS:
        poss = w + ("сы" if back else "сі")
    else:
        stem = w[:-1] + _VOICE[w[-1]] if w[-1] in _VOICE and len(w) > 3 else w
        poss = stem + ("ы" if back else "і")
    forms += [poss, poss + "н", poss + ("ның" if back else "нің"), poss + ("нда" if back else "нде")]
    plural = w + _suffix(w, "pl")
    forms += [plural + ("ы" if back else "і")]
    return tuple(dict.fromkeys(forms))


@functools.lru_cache(maxsize=1)
def _morph():
    from ..analysis.russian import _analyzer  # the analyzer the index uses, loaded once

    return _analyzer()


def _russian_hyphen_forms(word: str) -> tuple[str, ...]:
    """Every form of a hyphenated Russian word: its last part inflected (национально-культурного)."""
    head, _, last = fold_token(word).rpartition("-")
    parses = _morph().parse(last)
    if not parses:
        return (fold_token(word),)
    return tuple(dict.fromkeys([fold_token(word)] + [f"{head}-{f.word.replace('ё', 'е')}"
                                                      for f in parses[0].lexeme]))


@dataclass(frozen=True)
class WordKeys:
    """One word of a term: the keys to search it under, and the keys a query word must bring to be it."""

    search: frozenset[str]
    match: frozenset[str]


def _forms_of(word: str, lang: str) -> list[str]:
    if lang == "kk" and not word.isupper():
        if "-" in word:
            head, _, last = word.rpartition("-")
            return [f"{fold_token(head)}-{f}" for f in kazakh_forms(last)]
        return list(kazakh_forms(word))
    if lang == "ru" and "-" in word:
        return list(_russian_hyphen_forms(word))
    # Capitalised Russian words are read as possible surnames by the index (Родина -> родин): keep both.
    return [word, word.lower()] if lang == "ru" and not word.isupper() else [word]


@word_cache(maxsize=20_000)
def word_keys_in(word: str, lang: str) -> WordKeys:
    """The index keys of every form of ``word`` read as ``lang`` text, and the keys that identify it.

    Search keys: the lemma's own keys (whatever they are: the index holds the same ones) and the keys of its
    inflected forms, except stems shorter than the lemma's (сабағы -> "са") that would reach unrelated words.
    Match keys: the lemma's longest own key (for Kazakh: the stemmer may also give a short ambiguous stem,
    сабақ -> "са", that must not make «саны» a form of «сабақ»), the folded surface forms, their Latin keys.
    """
    word = _HYPHENS.sub("-", word)
    whole_only = "-" in word and not word.isupper()   # parts alone ("көш", "қон") say too little
    own = [k for k in token_keys(word, lang) if not k.startswith(LATIN_PREFIX)]
    if whole_only:
        own = own[:1]
    search: set[str] = set(own)
    shortest = min((len(k) for k in own), default=2)
    first = fold_token(word)[:2]
    forms = _forms_of(word, lang)
    for form in forms:
        got = token_keys(form, lang)
        if whole_only:
            got = got[:1]
        search.update(k for k in got if not k.startswith(LATIN_PREFIX) and k[:2] == first and len(k) >= shortest)
    primary = set(own) if lang == "ru" else {max(own, key=len)} if own else set()
    match = primary | {fold_token(f) for f in forms}
    if lang == "kk":
        # Latin input brings the folded keys of its Cyrillic readings' stems (word_keys).
        match |= {LATIN_PREFIX + fold_latin_key(k) for k in primary | {fold_token(word)}}
    return WordKeys(frozenset(search), frozenset(match))


@dataclass(frozen=True)
class Side:
    """One language's form of a bridge term: its text and, per word, its search keys and match keys."""

    lang: str
    text: str
    keys: tuple[frozenset[str], ...]               # what the index may hold for a form of each word
    match: tuple[frozenset[str], ...] = ()         # what a query word must bring to be read as that word

    @property
    def width(self) -> int:
        """Number of words."""
        return len(self.keys)

    @property
    def words(self) -> tuple[str, ...]:
        """The words of the text (as the query parser would split them)."""
        return tuple(t.text for t in tokenize(normalize_text(self.text)))

    def identity(self) -> tuple[frozenset[str], ...]:
        """What makes two sides the same term: their keys, whatever the surface form."""
        return self.keys


@word_cache(maxsize=20_000)
def make_side(text: str, lang: str) -> Side | None:
    """The side of ``text`` in ``lang`` ("ru" or "kk"); None when a word yields no key."""
    words = [t.text for t in tokenize(normalize_text(text))]
    if not words or lang not in LANGS:
        return None
    per_word = [word_keys_in(w, lang) for w in words]
    if not all(wk.search for wk in per_word):
        return None
    return Side(lang, " ".join(text.split()), tuple(wk.search for wk in per_word),
                tuple(wk.match for wk in per_word))


def is_latin(word: str) -> bool:
    """A word written in Latin letters only."""
    return bool(_LATIN.search(word)) and not _CYRILLIC.search(word)


def has_kazakh_letters(word: str) -> bool:
    """ә ғ қ ң ө ұ ү һ і: a word that can only be Kazakh."""
    return any(c in KK_LETTERS for c in word)


@functools.lru_cache(maxsize=1)
def _known_russian():
    return _morph().word_is_known


@word_cache(maxsize=50_000)
def known_russian(word: str) -> bool:
    """pymorphy3 knows the word as Russian (so a letter-neutral word like «сын» is not read as Kazakh)."""
    w = fold_token(word)
    return bool(_CYRILLIC.search(w)) and _known_russian()(w)


@word_cache(maxsize=50_000)
def probe_keys(word: str, lang: str) -> frozenset[str]:
    """Keys a query word brings when matched against ``lang`` terms (empty: it cannot be a ``lang`` word):
    its index keys in that language and its folded surface form."""
    w = normalize_text(word).replace("\u2010", "-").replace("\u2011", "-")
    if not w or w.isdigit():
        return frozenset()
    if is_latin(w):
        # Kazakh in the 2021 Latin alphabet or informal ASCII: its Cyrillic readings and its folded key.
        return word_keys(w) if lang == "kk" else frozenset()
    if lang == "ru" and has_kazakh_letters(w):
        return frozenset()
    keys = set(token_keys(w, lang)) | {fold_token(w)}
    if lang == "ru":
        keys |= set(token_keys(w.lower(), "ru"))
    return frozenset(k for k in keys if not k.startswith(LATIN_PREFIX) or is_latin(w))


def side_matches(side: Side, words: list[str], start: int = 0) -> bool:
    """Do ``words[start:start + side.width]`` match the side word by word?"""
    if start + side.width > len(words):
        return False
    return all(probe_keys(words[start + p], side.lang) & side.match[p] for p in range(side.width))


def side_contains(side: Side, words: list[str]) -> bool:
    """Do ``words`` match the whole side or a run of consecutive words inside it?"""
    n = len(words)
    return any(all(probe_keys(words[p], side.lang) & side.match[s + p] for p in range(n))
               for s in range(side.width - n + 1))


def content_word(word: str) -> bool:
    """A word the bridge may translate on its own: not a function word, not a number."""
    w = normalize_text(word)
    return bool(w) and not any(c.isdigit() for c in w) and not is_stopword(w)
