"""Keys and scores for linking reference entries to works in the archive (pure functions).

Titles and surnames are compared through a *skeleton*: Cyrillic (Russian and Kazakh) is transliterated
to Latin, diacritics are dropped, the digraphs of the common transliteration systems are folded
("zh"/"ж" → z, "kh"/"х" → h, "ts"/"ц" → c, "shch"/"щ" → s, ...), and vowels are removed. "Ядерная оптика",
"Yadernaya optika" and "Jadernaja optika" share one skeleton, as do "Құнанбаев" and "Qunanbaev"; case,
ё/е, punctuation and hyphenation never matter.

``match_score`` weighs title similarity by year and author agreement; ``LINK_THRESHOLD`` is the score at
which an entry may be linked. It is set for precision: an exact title alone, or a title with a wrong year
or a different first author, stays below it.
"""
from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import lru_cache

from .fields import parse_entry
from .model import Reference

__all__ = ["LINK_THRESHOLD", "match_score", "normalise_title", "skeleton", "title_similarity", "work_key"]

LINK_THRESHOLD = 0.8

_CYR = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "z", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "c", "ш": "s", "щ": "s", "ъ": "", "ы": "i", "ь": "",
    "э": "e", "ю": "u", "я": "a", "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
    "һ": "h", "і": "i", "ї": "i", "є": "e", "ў": "u", "ґ": "g",
}
_LATIN_EXTRA = {"ı": "i", "ł": "l", "ø": "o", "ß": "ss", "đ": "d", "ə": "a", "æ": "ae", "œ": "oe"}
# Digraphs of the transliteration systems, longest first; each folds to the letter _CYR gives.
_DIGRAPHS = (("shch", "s"), ("sch", "s"), ("sh", "s"), ("ch", "c"), ("zh", "z"), ("kh", "h"), ("ts", "c"),
             ("tz", "c"), ("cz", "c"), ("ph", "f"), ("ck", "k"), ("dz", "z"))
_DIGRAPH_RE = re.compile("|".join(a for a, _ in _DIGRAPHS))
_DIGRAPH_MAP = dict(_DIGRAPHS)
_SINGLE = str.maketrans({"w": "v", "q": "k", "x": "ks", "j": "", "y": "", "a": "", "e": "", "i": "", "o": "",
                         "u": "", "'": "", "’": "", "ʼ": "", "`": ""})
_WORD_RE = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)?")
_KAZAKH_LATIN_RE = re.compile("[qäğıñöşūü]")       # letters of the Kazakh Latin alphabets only
_TRAILING_NOTE_RE = re.compile(r"\s*\([^()]{3,}\)\s*$")
_HYPHEN_BREAK_RE = re.compile(r"(?<=[^\W\d_])[-\u00ad]\s+(?=[^\W\d_])")


def _latin(word: str, kazakh: bool = False) -> str:
    w = word.lower()
    if kazakh:
        w = w.replace("j", "ж")     # Kazakh Latin: j is ж (in Russian transliteration it stands for й)
    w = "".join(_CYR.get(c, c) for c in w)
    w = "".join(_LATIN_EXTRA.get(c, c) for c in w)
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 16)     # linking scores each entry against many works: the same words come back
def skeleton(word: str, kazakh: bool | None = None) -> str:
    """Script- and transliteration-independent consonant skeleton of one word ("Жақсылық" → "zksls");
    ``kazakh`` reads a Latin word by the Kazakh alphabet (j = ж), by default when the word has a letter
    only that alphabet uses ("Jūmabaev")."""
    if kazakh is None:
        kazakh = bool(_KAZAKH_LATIN_RE.search(word.lower()))
    w = _latin(word, kazakh)
    if w.isdigit():
        return w
    w = _DIGRAPH_RE.sub(lambda m: _DIGRAPH_MAP[m.group(0)], w).translate(_SINGLE)
    return re.sub(r"(.)\1+", r"\1", w)


def normalise_title(title: str) -> str:
    """Lower case, ё→е, line-break hyphens joined, punctuation dropped, single spaces."""
    t = _HYPHEN_BREAK_RE.sub("", unicodedata.normalize("NFKC", title)).lower().replace("ё", "е")
    return " ".join(_WORD_RE.findall(t))


def _tokens(title: str) -> list[str]:
    """Skeletons of the title's words; one-letter words and those with an empty skeleton are dropped."""
    return list(_title_tokens(title))


@lru_cache(maxsize=1 << 14)
def _title_tokens(title: str) -> tuple[str, ...]:
    out = []
    norm = normalise_title(title)
    kazakh = bool(_KAZAKH_LATIN_RE.search(norm))
    for w in norm.split():
        if len(w) < 2 and not w.isdigit():
            continue
        s = skeleton(w, kazakh)
        if s:
            out.append(s)
    return tuple(out)


def work_key(title: str, year: int | None, first_surname: str) -> str:
    """Exact-lookup key "title skeleton|year|surname skeleton": equal keys are the same work for certain;
    near misses need ``match_score``."""
    # words joined: "эколого-химическая" and "экологохимическая" give one key
    return f"{''.join(_tokens(title))}|{year or ''}|{skeleton(first_surname) if first_surname else ''}"


def _subtitle_follows(title: str, n_words: int) -> bool:
    """Whether the title's words after the first ``n_words`` open a subtitle (":", ".", "–", "(")
    rather than continue the title ("…прудов г. Волгограда")."""
    title = unicodedata.normalize("NFKC", title)
    words = list(_WORD_RE.finditer(title))
    kept = [i for i, m in enumerate(words) if len(m.group(0)) >= 2 or m.group(0).isdigit()]
    if len(kept) <= n_words:
        return False
    last = kept[n_words - 1]          # the next word, even a one-letter "г.", decides
    gap = title[words[last].end(): words[last + 1].start()]
    return bool(re.search(r"[:.;(–—]|\s-\s", gap))


def title_similarity(a: str, b: str) -> float:
    """0..1: how alike two titles are, whatever their script, case, punctuation and hyphenation.

    Near 1 only for the same title: word skeletons equal (or equal once glued together), one title the
    other plus a subtitle, or the letters nearly identical (a typo, a word split differently). Titles
    that share most of their words but not all ("К теории двумерных уравнений…" / "О явных решениях
    двумерных уравнений…") fall steeply (the cube of the word Dice coefficient): such pairs are typically
    two papers of the same authors.
    """
    ta, tb = _tokens(a), _tokens(b)
    if not ta or not tb:
        return 0.0
    ja, jb = "".join(ta), "".join(tb)
    if ta == tb or ja == jb:
        return 1.0
    if not set(ta) & set(tb) and min(len(ta), len(tb)) > 1:
        return 0.0            # not one word in common (even glued words share a neighbour): quick exit
    sm = SequenceMatcher(None, ta, tb, autojunk=False)
    same = sum(block.size for block in sm.get_matching_blocks())
    score = (2 * same / (len(ta) + len(tb))) ** 3
    (short, short_text), (long_, long_text) = sorted(((ta, a), (tb, b)), key=lambda x: len(x[0]))
    if len(short) >= 3 and long_[: len(short)] == short and _subtitle_follows(long_text, len(short)):
        score = max(score, 0.95 if len(long_) <= 2 * len(short) else 0.85)
    if len(ta) != len(tb) and min(len(ja), len(jb)) >= 15:
        # words split or glued differently ("частноинтегральных" / "частно-интегральных"); a word *replaced*
        # by a similar one keeps the count ("открытого" / "закрытого") and gets no such credit
        letters = SequenceMatcher(None, ja, jb, autojunk=False).ratio()
        if letters >= 0.95:
            score = max(score, letters)
    return score


def _surname_skeletons(names: list[str]) -> list[str]:
    out = []
    for n in names:
        words = [w for w in _WORD_RE.findall(n) if len(w) > 2 or not w[:1].isupper()]
        # "Иванов И.И." / "И.И. Иванов" / "Иванов Иван": the longest word is the surname more often than not
        if words:
            out.append(skeleton(max(words, key=len) if len(words) > 1 and not n.split()[0].rstrip(",").isalpha()
                                else words[0]))
    return [s for s in out if s]


def match_score(entry: Reference | str, candidate_title: str, candidate_year: int | None,
                candidate_surnames: list[str] | None) -> float:
    """0..1: how sure we are that ``entry`` cites the work; link at ``LINK_THRESHOLD`` or above.

    title similarity × (0.5 + 0.25·year agreement + 0.25·author agreement), where agreement is 1 (same
    year / a shared surname, the first author's counting), 0.5 when one side does not say, 0.1 for
    years one apart, 0 otherwise. When no side names authors, a title of fewer than two words scores 10 %
    lower, so a bare "Введение" of the same year is not linked.
    """
    ref = parse_entry(entry) if isinstance(entry, str) else entry
    tsim = title_similarity(ref.title, candidate_title) if ref.title else 0.0
    bare = _TRAILING_NOTE_RE.sub("", ref.title)
    if bare != ref.title and tsim < 1.0:
        # "Шаһзаман мырзаға (Ш.Жияшевтің … мақаласына жауабы)": a bibliographer's note after the title
        tsim = max(tsim, 0.98 * title_similarity(bare, candidate_title))
    if not ref.title or ref.parse_status == "unparsed":
        # no title isolated: look for the candidate's words at the head of the entry (before "//")
        head = ref.raw.split("//")[0]
        ct = _tokens(candidate_title)
        if len(ct) >= 3:
            ht = _tokens(head)
            sm = SequenceMatcher(None, ct, ht, autojunk=False)
            same = sum(b.size for b in sm.get_matching_blocks())
            tsim = max(tsim, 0.95 * same / len(ct))
    if tsim <= 0:
        return 0.0
    if ref.year is None or candidate_year is None:
        ys = 0.5
    else:
        ys = {0: 1.0, 1: 0.1}.get(abs(ref.year - candidate_year), 0.0)
    mine = _surname_skeletons(ref.authors)
    theirs = _surname_skeletons(list(candidate_surnames or []))
    if not mine or not theirs:
        aus = 0.5
    elif mine[0] in theirs or theirs[0] in mine:
        aus = 1.0
    elif set(mine) & set(theirs):
        aus = 0.8
    else:
        aus = 0.0
    score = tsim * (0.5 + 0.25 * ys + 0.25 * aus)
    if aus == 0.5 and len(_tokens(candidate_title)) < 2:
        score *= 0.9
    return round(min(score, 1.0), 4)
