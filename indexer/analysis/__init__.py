"""Our own token stream: tokens with character offsets and index keys, for any engine.

``analyze(text, lang)`` is used at index time, ``word_keys(word)`` at query time; both share the same
per-token chain, so a word form typed by a reader lands on the key its other forms were indexed under.
"""
from __future__ import annotations

import functools
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Iterable, Iterator, NamedTuple

from .cache import word_cache
from .normalize import fold_token, normalize_text
from .russian import russian_lemma

__all__ = ["Term", "Posting", "PackedTerms", "term_columns", "term_keys", "Token", "tokenize", "analyze", "word_keys", "normalize_text", "split_paragraphs",
           "is_stopword", "LATIN_PREFIX"]

# Words: letters/digits, optionally joined by hyphens ("социально-экономический", "АНК-а").
_WORD = re.compile(r"[^\W_]+(?:[-\u2010\u2011][^\W_]+)*")
_KK_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_ABBREV = re.compile(r"^[А-ЯЁӘҒҚҢӨҰҮҺІA-Z]{2,6}$")
# Abbreviations with a Russian case ending glued on (АНКа, МОНа): only for a known short list.
_ABBREV_INFLECTED = re.compile(r"^(АНК|МОН|ООН|СНГ|ЕАЭС|ЭКО|НЭГ|РК|РФ|ВУЗ|НИИ|КНБ|ОДКБ|ШОС)[а-яё]{1,3}$")
LATIN_PREFIX = "~"     # keys of the folded Latin form of Kazakh words live beside the Cyrillic ones


@dataclass(frozen=True, slots=True)
class Token:
    """A word in the original text: its surface form and character offsets."""

    text: str
    start: int
    end: int


class Term(NamedTuple):
    """An index key at a token position, with the character offsets of the word it came from.

    A named tuple, not a dataclass: an index build makes millions of them, and a tuple is made ~5× faster.
    """

    key: str
    pos: int
    start: int
    end: int


class Posting(NamedTuple):
    """An index key at a token position: what every engine stores of a term (none stores character offsets)."""

    key: str
    pos: int


class PackedTerms(Sequence):
    """One field's terms as a list of keys and a parallel ``array("i")`` of their positions.

    What an index build hands from the analysing child processes to the writer: it pickles as one list (the
    key strings are shared objects, which pickle stores once) and one byte string, and engines that take
    columns (``term_columns``) read it without an object per term. No character offsets: no engine stores
    them (each keeps positions for phrases), and an analysis without them finds its words with one ``findall``
    instead of a match object per word. As a sequence it yields ``Posting``s.
    """

    __slots__ = ("keys", "positions")

    def __init__(self, keys: list[str] | None = None, positions: array | None = None) -> None:
        self.keys = keys if keys is not None else []
        self.positions = positions if positions is not None else array("i")

    @classmethod
    def of(cls, terms: Iterable[Term | Posting]) -> "PackedTerms":
        out = cls()
        for t in terms:
            out.keys.append(t[0])
            out.positions.append(t[1])
        return out

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.keys)))]
        return Posting(self.keys[i], self.positions[i])     # IndexError as a list gives it

    def __iter__(self) -> Iterator[Posting]:
        return map(Posting, self.keys, self.positions)

    def __eq__(self, other) -> bool:
        if isinstance(other, PackedTerms):
            return self.keys == other.keys and self.positions == other.positions
        if isinstance(other, (list, tuple)):
            return list(self) == [Posting(t[0], t[1]) for t in other]
        return NotImplemented

    def __repr__(self) -> str:
        return f"PackedTerms({list(self)!r})"

    def __reduce__(self):
        return PackedTerms, (self.keys, self.positions)


def term_columns(terms: Sequence[Term | Posting]) -> tuple[Sequence[str], Sequence[int]]:
    """Keys and positions of ``terms`` as two parallel sequences (no per-term work when packed)."""
    if isinstance(terms, PackedTerms):
        return terms.keys, terms.positions
    return [t[0] for t in terms], [t[1] for t in terms]


def positions_by_key(keys: Sequence[str], positions: Sequence[int]) -> dict[str, list[int]]:
    """Each key of ``keys`` with its positions (from the parallel ``positions``), in their order."""
    grouped: dict[str, list[int]] = {}
    for key, pos in zip(keys, positions):
        at = grouped.get(key)
        if at is None:
            grouped[key] = [pos]
        else:
            at.append(pos)
    return grouped


def term_keys(terms: Sequence[Term | Posting]) -> Sequence[str]:
    """The keys of ``terms`` in order."""
    return terms.keys if isinstance(terms, PackedTerms) else [t[0] for t in terms]


def tokenize(text: str) -> Iterator[Token]:
    """Words of ``text`` with offsets (the text should already be ``normalize_text``-ed)."""
    for m in _WORD.finditer(text):
        yield Token(m.group(0), m.start(), m.end())


def _kazakh():
    from . import kazakh  # local import keeps start-up cheap and the module optional for tools

    return kazakh


def _translit():
    from . import translit

    return translit


@word_cache(maxsize=300_000)
def _keys_for(word: str, lang: str) -> tuple[str, ...]:
    """Index keys for one token (without hyphen splitting). ``lang`` is the text's language."""
    if word.isdigit():
        return (word,)
    if _ABBREV.match(word) and len(word) <= 6 and not word.isdigit():
        return (word.lower().replace("ё", "е"),)
    m = _ABBREV_INFLECTED.match(word)
    if m:
        return (m.group(1).lower(),)
    low = fold_token(word)
    if _CYRILLIC.search(low):
        if lang == "kk" or any(c in _KK_LETTERS for c in low):
            return _kazakh_keys(low)
        return (russian_lemma(word.lower(), word[:1].isupper() and not word.isupper()),)
    if _LATIN.search(low):
        tr = _translit()
        if tr.looks_like_kazakh_latin(word):
            return _kazakh_keys(fold_token(tr.latin_to_cyrillic(word)))
        return (low,)
    return (low,)


def _kazakh_keys(low: str) -> tuple[str, ...]:
    """Every stem of an ambiguous Kazakh word, each with its folded Latin key."""
    fold = _translit().fold_latin_key
    keys: list[str] = []
    for stem in _kazakh().kazakh_stems(low):
        keys += [stem, LATIN_PREFIX + fold(stem)]
    return tuple(dict.fromkeys(keys))


def token_keys(word: str, lang: str) -> tuple[str, ...]:
    """Keys for a token; hyphenated words give the whole word's key and each part's keys."""
    if "-" not in word and "\u2010" not in word and "\u2011" not in word:
        return _keys_for(word, lang)
    parts = [p for p in re.split(r"[-\u2010\u2011]", word) if p]
    if len(parts) == 2 and _ABBREV_INFLECTED.match(parts[0] + parts[1]):
        return _keys_for(parts[0] + parts[1], lang)        # АНК-а
    if parts and _ABBREV.match(parts[0]) and len(parts[-1]) <= 3 and parts[-1].islower():
        return _keys_for(parts[0], lang)                   # МОН-а, ЮНЕСКО-ның
    whole = fold_token(word).replace("\u2010", "-").replace("\u2011", "-")
    keys: list[str] = [whole]
    for p in parts:
        for k in _keys_for(p, lang):
            if k not in keys:
                keys.append(k)
    return tuple(keys)


def analyze(text: str, lang: str = "ru", latin_keys: bool = True) -> list[Term]:
    """Index terms of ``text`` in language ``lang`` ("ru", "kk" or "en"); positions count words.

    ``latin_keys=False`` leaves out the folded Latin keys of Kazakh words: long bodies skip them (they
    would add ~40 % of terms) and Latin queries reach body text through their Cyrillic readings instead.
    """
    terms: list[Term] = []
    append = terms.append
    # The warm path of an index build (every word form already cached): no Token objects, one tuple a key.
    for pos, m in enumerate(_WORD.finditer(normalize_text(text))):
        start, end = m.span()
        for key in token_keys(m.group(0), lang):
            if latin_keys or key[:1] != LATIN_PREFIX:
                append(Term(key, pos, start, end))
    return terms


@word_cache(maxsize=20_000)
def word_keys(word: str) -> frozenset[str]:
    """Every key a query word may have been indexed under, whatever the document's language."""
    word = normalize_text(word)
    keys: set[str] = set()
    for lang in ("ru", "kk"):
        keys.update(token_keys(word, lang))
    if _LATIN.search(word) and not _CYRILLIC.search(word):
        # A Latin word may be Kazakh in the 2021 alphabet or informal ASCII, or romanised Russian.
        for reading in _translit().latin_readings(word):
            keys.update(_kazakh_keys(fold_token(reading)))
            keys.add(russian_lemma(reading))
    else:
        # Folded Latin keys are for readers typing Latin; a Cyrillic word matches on its own keys.
        keys = {k for k in keys if not k.startswith(LATIN_PREFIX)}
    return frozenset(k for k in keys if k)


@functools.lru_cache(maxsize=1)
def _russian_stopwords() -> frozenset[str]:
    from pathlib import Path

    path = Path(__file__).with_name("data") / "ru_stopwords.txt"
    return frozenset(w.strip() for w in path.read_text(encoding="utf-8").splitlines()
                     if w.strip() and not w.startswith("#"))


def is_stopword(word: str) -> bool:
    """A Russian or Kazakh function word (и, в, және, мен...)."""
    low = fold_token(normalize_text(word))
    return low in _russian_stopwords() or low in _kazakh().kazakh_stopwords()


_PARA_SPLIT = re.compile(r"\n\s*\n")


def split_paragraphs(text: str) -> list[tuple[int, str]]:
    """Paragraphs of ``text`` with their start offsets (blank lines separate paragraphs)."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _PARA_SPLIT.finditer(text):
        out.append((start, text[start:m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [(s, p) for s, p in out if p.strip()]
