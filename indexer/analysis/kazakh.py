"""Rule-based Kazakh suffix stripper (case -> possessive -> plural) with a word-list tie-breaker.

Written for this project (no third-party code). The optional word list is Debian's
``hunspell-kk`` dictionary (tri-licensed GPL-2+/LGPL-2.1+/MPL-1.1+), read at run time only.
"""

from __future__ import annotations

import functools
import re
import logging
import os
from bisect import bisect_left
from pathlib import Path
from typing import Iterator

from .cache import word_cache

logger = logging.getLogger(__name__)

KAZAKH_LETTERS = set("әғқңөұүһі")
_DATA = Path(__file__).resolve().parent / "data"
_DIC_PATHS = (Path("/usr/share/hunspell/kk_KZ.dic"), Path("/usr/share/myspell/kk_KZ.dic"),
              Path("/usr/share/myspell/dicts/kk_KZ.dic"))
MIN_STEM = 2
_TIE_SHARE = 0.4  # keep the longer of two tied known stems if it heads >= 40 % as many entries
_KNOWN_VERB_MIN_END = 3  # a word-list entry is cut to a verb root only by an ending of 3+ letters

_BACK, _FRONT = set("аоұыя"), set("әөүіеэ")
_VOWELS = set("аәеоөұүыіэюяё")
_DEVOICE = {"г": "к", "ғ": "қ", "б": "п"}
# Stems that lose their last vowel before a vowel-initial suffix (халық -> халқы).
_ELISION = {"халқ": "халық", "орн": "орын", "ауз": "ауыз", "мұрн": "мұрын", "ерн": "ерін",
            "қарн": "қарын", "мойн": "мойын", "қойн": "қойын", "даус": "дауыс",
            "әрп": "әріп", "ерк": "ерік", "бөрк": "бөрік", "нарқ": "нарық", "ғұрп": "ғұрып",
            "қалп": "қалып", "құлқ": "құлық", "көрк": "көрік", "ырқ": "ырық", "тұрқ": "тұрық",
            "кейп": "кейіп", "парқ": "парық", "сұрқ": "сұрық", "қауп": "қауіп", "көңл": "көңіл"}


def _cls(ch: str) -> str:
    """Sound classes of a stem's last letter: V vowel, R р/й/у/и, L л, N nasal, Z ж/з, T voiceless."""
    if ch in _VOWELS:
        return "V"
    if ch in "рйуи":
        return "R"
    if ch == "л":
        return "L"
    if ch in "мнң":
        return "N"
    if ch in "жз":
        return "Z"
    return "ZT" if ch in "бвгғд" else "T"  # loans: съезд+е, завод+тар


def _table(rows: str) -> tuple[tuple[str, str, str, str], ...]:
    """Parse 'suffix:classes:tag' rows; harmony (b/f/-) is read off the suffix's own vowel."""
    out = []
    for row in rows.split():
        suf, classes, tag = row.split(":")
        harm = "-" if tag == "g" or suf[0] in "мбп" else "b" if set(suf) & _BACK else "f" if set(suf) & _FRONT else "-"
        out.append((suf, classes, tag, harm))
    return tuple(sorted(out, key=lambda r: -len(r[0])))


# tag: c = ordinary case, n = pronominal case (needs a 3rd-person possessive before it),
# g = case allowed after a 3rd-person possessive too, 3 = 3rd-person possessive, p = other possessive, l = plural
_CASE = _table("""
ның:VN:g нің:VN:g дың:RLZ:c дің:RLZ:c тың:T:c тің:T:c
ны:V:c ні:V:c ды:RLNZ:c ді:RLNZ:c ты:T:c ті:T:c
ға:VRLNZ:c ге:VRLNZ:c қа:T:c ке:T:c да:VRLNZ:c де:VRLNZ:c та:T:c те:T:c
нан:N:c нен:N:c дан:VRLZ:c ден:VRLZ:c тан:T:c тен:T:c
мен:VRLN:g бен:ZN:g пен:T:g менен:VRLN:g бенен:ZN:g пенен:T:g
дағы:VRLNZ:c дегі:VRLNZ:c тағы:T:c тегі:T:c дай:VRLNZ:c дей:VRLNZ:c тай:T:c тей:T:c
н:V:n на:V:n не:V:n нда:V:n нде:V:n нан:V:n нен:V:n ндағы:V:n ндегі:V:n ндай:V:n ндей:V:n
""")
_POSS = _table("""
ы:RLNZT:3 і:RLNZT:3 сы:V:3 сі:V:3
ымыз:RLNZT:p іміз:RLNZT:p мыз:V:p міз:V:p ыңыз:RLNZT:p іңіз:RLNZT:p ңыз:V:p ңіз:V:p
""")
_PLUR = _table("лар:VR:l лер:VR:l дар:LNZ:l дер:LNZ:l тар:T:l тер:T:l")
_LAYERS = (_CASE, _POSS, _PLUR)


def _harmony(stem: str) -> str:
    """Return 'b'/'f' for the stem's last vowel; '-' (either) when it is у/и/ю or there is none."""
    for ch in reversed(stem):
        if ch in _BACK:
            return "b"
        if ch in _FRONT or ch == "ь":
            return "f"
        if ch in "уию":
            return "-"
    return "-"


def _fits(rest: str, suf: str, classes: str, harm: str) -> bool:
    """Can suffix `suf` follow `rest` (length, vowel harmony, last sound)?"""
    if len(rest) < MIN_STEM or not (set(rest) & (_VOWELS | set("уи"))):
        return False
    h = _harmony(rest)
    if harm != "-" and h != "-" and h != harm:
        return False
    last = rest[-1] if rest[-1] != "ь" else rest[-2]
    if suf[0] in "ыі" and last in _DEVOICE:  # кітаб+ы: voiced stop before a vowel
        last = _DEVOICE[last]
    return any(c in classes for c in _cls(last))


def _parses(word: str, layer: int = 0, need3: bool = False, no3: bool = False,
            n: int = 0) -> Iterator[tuple[str, int]]:
    """Yield (stem, number of suffixes) for every legal segmentation of `word`."""
    if not need3:
        yield word, n
    for i in range(layer, 3):
        for suf, classes, tag, harm in _LAYERS[i]:
            if not word.endswith(suf):
                continue
            if need3 and tag != "3" or no3 and tag == "3":
                continue
            rest = word[: -len(suf)]
            if not _fits(rest, suf, classes, harm):
                continue
            if tag == "n":
                yield from _parses(rest, 1, True, False, n + 1)
            elif tag == "c":
                yield from _parses(rest, 1, False, True, n + 1)
            else:
                yield from _parses(rest, i + 1, False, False, n + 1)


def _restore(stem: str) -> str:
    """Undo elision and final voicing so inflected and bare forms share a key."""
    stem = _ELISION.get(stem, stem).rstrip("ь")
    if stem[-1:] in _DEVOICE:
        stem = stem[:-1] + _DEVOICE[stem[-1]]
    return stem


@functools.lru_cache(maxsize=1)
def _wordlist() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """Load hunspell-kk once: (entries, sorted entries, verb roots); all empty if unavailable."""
    if os.environ.get("KELISIM_KK_NO_WORDLIST"):
        return frozenset(), (), frozenset()
    for path in _DIC_PATHS:
        if path.is_file():
            words, verbs = set(), set()
            with path.open(encoding="utf-8-sig") as fh:
                next(fh, None)  # entry count
                for line in fh:
                    w, _, flags = line.strip().partition("/")
                    w = w.lower().replace("ё", "е")
                    words.add(w)
                    if flags.startswith("M") and w[-1:] in "ую" and len(w) > 2:  # verb infinitive
                        verbs.add(w[:-1] if w[-1] == "у" else w[:-1] + "й")
            words.discard("")
            logger.debug("loaded %d Kazakh words from %s", len(words), path)
            return frozenset(words), tuple(sorted(words)), frozenset(verbs)
    logger.warning("hunspell-kk word list not found; Kazakh stemming uses rules only")
    return frozenset(), (), frozenset()


def _variants(rows: str) -> tuple[str, ...]:
    """Expand back-vowel endings into both harmonies and all initial-consonant alternants."""
    front = str.maketrans("аыұоғқ", "еіүөгк")
    out = set()
    for row in rows.split():
        for e in (row, row.translate(front)):
            out.add(e)
            for a, bs in (("д", "тн"), ("т", "д"), ("ғ", "қ"), ("г", "к"), ("б", "пм"), ("п", "бм"), ("м", "бп")):
                if e[0] == a:
                    out.update(b + e[1:] for b in bs)
    return tuple(sorted(out, key=len, reverse=True))


# Verb endings (tense/mood/participle/converb + person/case), negation, voice; back forms, expanded.
_VERB_END = _variants("""
ды дым дың дық дыңыз дыңдар ған ғанда ғаны ғанын ғаныңыз ғанына ғанында ғаннан ғандар ғандардың
ғандарды ғандай ғанға ғанмен ғандықтан ғалы а й ады йды амын аймын асың айсың амыз аймыз асыз айсыз
атын йтын атыны атынын атынына ар р с мас мақ мақшы у уы уын уына уында уынан уға уда уды удың уымыз
ушы ушылар ушылардың ып п ыпты пты ыпсыз са сам саң сақ саңыз сын йын айын йық айық ыңыз ңыз ыңдар
ғай ғайсыз ғым ғысы ғыңыз
""")
_VERB_BY_LAST: dict[str, tuple[str, ...]] = {}
for _e in _VERB_END:
    _VERB_BY_LAST[_e[-1]] = _VERB_BY_LAST.get(_e[-1], ()) + (_e,)
_VERB_NEG = ("ма", "ме", "ба", "бе", "па", "пе")
_VERB_VOICE = _variants("ыл л ын н ыс с дыр т ыт ғыз")


def _verb_roots(word: str, verbs: frozenset[str], min_end: int = 1) -> list[str]:
    """Known verb roots the word can be cut to: root [+voice] [+negation] + ending (>= min_end letters)."""
    found: list[str] = []
    for end in _VERB_BY_LAST.get(word[-1:], ()):
        if len(end) < min_end or not word.endswith(end) or len(word) - len(end) < MIN_STEM:
            continue
        base = word[: -len(end)]
        stack = [base] + [base[: -len(n)] for n in _VERB_NEG if base.endswith(n)]
        for b in list(stack):
            stack += [b[: -len(v)] for v in _VERB_VOICE if b.endswith(v) and len(b) - len(v) >= MIN_STEM]
        found += [r for r in stack if r in verbs or _restore(r) in verbs]
    return found


def _stem_word(word: str) -> str:
    """Stem one hyphen-free word."""
    return _stem_candidates(word)[0]


_PATRONYMIC = re.compile(r"^(.{3,}(?:ұлы|улы|қызы|кызы))(.*)$")
_PATRONYMIC_CASE = frozenset("ның нің на не нан нен нда нде мен нан ны ні н ға ге дың дің".split()) | {""}


def _stem_candidates(word: str) -> tuple[str, ...]:
    """The best stem first, then equally good readings that are also dictionary words (ақыны: ақы, ақын)."""
    m = _PATRONYMIC.match(word)
    if m and m.group(2) in _PATRONYMIC_CASE:
        return (m.group(1),)           # Байтұрсынұлының -> байтұрсынұлы: the patronymic stays whole
    cands = list(_parses(word))
    words, ordered, verbs = _wordlist()
    if not words:
        return (_restore(max(cands, key=lambda c: (c[1], -len(c[0])))[0]),)
    known = [c for c in cands if c[1] and _known(c[0], words)]
    if word in words:  # a bare accusative -ы+н/-і+н would cut ақын, мәтін, дін
        known = [c for c in known if word[len(c[0]):] not in ("ын", "ін")]
    if known:
        best_n = max(n for _, n in known)
        tied = sorted((s for s, n in known if n == best_n), key=len)
        stem = tied[0]
        if len(tied) > 1 and _prefix_count(tied[-1], ordered) >= _TIE_SHARE * _prefix_count(stem, ordered):
            stem = tied[-1]
        others = [_restore(t) for t in tied if t != stem and _restore(t) != _restore(stem)]
        return (_restore(stem), *others[:2])
    if word in words:
        roots = _verb_roots(word, verbs, _KNOWN_VERB_MIN_END)  # hunspell also lists айтып, алған
        return (_restore(max(roots, key=len) if roots else word),)
    roots = _verb_roots(word, verbs)
    if roots:
        return (_restore(max(roots, key=len)),)
    return (_restore(max(cands, key=lambda c: (c[1], -len(c[0])))[0]),)


def _prefix_count(prefix: str, ordered: tuple[str, ...]) -> int:
    """Number of word-list entries starting with `prefix`."""
    return bisect_left(ordered, prefix + "\uffff") - bisect_left(ordered, prefix)


def _known(stem: str, words: frozenset[str]) -> bool:
    """Is the stem (as written or restored) a word-list entry?"""
    return stem in words or _restore(stem) in words


@word_cache(maxsize=100_000)
def kazakh_stem(word: str) -> str:
    """Return the index key of a lowercased Cyrillic Kazakh word (case, possessive, plural stripped)."""
    head, sep, last = word.rpartition("-")
    if len(last) <= MIN_STEM:
        return word
    return head + sep + _stem_word(last)


@word_cache(maxsize=100_000)
def kazakh_stems(word: str) -> tuple[str, ...]:
    """Every index key of a lowercased Cyrillic Kazakh word: the best stem first, then equally likely ones."""
    head, sep, last = word.rpartition("-")
    if len(last) <= MIN_STEM:
        return (word,)
    return tuple(head + sep + stem for stem in _stem_candidates(last))


def has_kazakh_letters(word: str) -> bool:
    """True if the word contains a Kazakh-only Cyrillic letter (ә ғ қ ң ө ұ ү һ і)."""
    return any(ch in KAZAKH_LETTERS for ch in word.lower())


@functools.lru_cache(maxsize=1)
def kazakh_stopwords() -> frozenset[str]:
    """Return the Kazakh stop words from data/kk_stopwords.txt (lowercase, ё folded)."""
    path = _DATA / "kk_stopwords.txt"
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip().lower().replace("ё", "е")
        if line:
            words.add(line)
    return frozenset(words)
