"""Links from parallel texts: the titles, abstracts and keyword lists of one publication in two languages.

Keyword lists are the best-aligned source (same count, same order, most of the time): they are paired by
position unless a link already known (glossary, topic) says the order differs. Titles and abstracts get a
light alignment: sentences are paired when both texts have as many, and a Russian and a Kazakh word are
linked only when the evidence is strong: they are cognates in one sentence pair, or they meet in at least two
sentence pairs and nowhere apart (Dice >= 0.8) at similar relative positions.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from ..analysis import normalize_text, tokenize
from ..analysis.language import detect_language
from .forms import content_word, has_kazakh_letters, is_latin, known_russian, probe_keys
from .sources import Candidate, _cognate

KEYWORD_CONFIDENCE = 0.8        # a pair of keywords at the same place in two lists of the same length
COGNATE_CONFIDENCE = 0.7        # cognate words in one aligned sentence pair
COOCCURRENCE_CONFIDENCE = 0.6   # words that always meet, in two sentence pairs or more
MAX_KEYWORD_WORDS = 5
_SENTENCE = re.compile(r"(?<=[.!?…])\s+(?=[«\"(A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])")


@dataclass(frozen=True)
class ParallelRecord:
    """One publication's texts in several languages, as plain data: lang -> text or keyword list."""

    source_id: str
    titles: Mapping[str, str] = field(default_factory=dict)
    abstracts: Mapping[str, str] = field(default_factory=dict)
    keywords: Mapping[str, Sequence[str]] = field(default_factory=dict)


_KW_LANGS = ("kk", "ru", "en")
_SWITCH = 1.5          # cost of starting a new language run in a keyword list


def _keyword_costs(keyword: str) -> dict[str, float]:
    """How badly each language fits one keyword: Kazakh letters or Latin script are near certain; a keyword
    whose words the Russian dictionary knows leans Russian (weakly: it knows «тарих» too); a name or an
    unknown word says nothing."""
    words = [t.text for t in tokenize(normalize_text(keyword))]
    if words and all(is_latin(w) for w in words):
        return {"kk": 10.0, "ru": 10.0, "en": 0.0}
    if any(has_kazakh_letters(w) for w in words):
        return {"kk": 0.0, "ru": 10.0, "en": 10.0}
    if words and not _is_name(keyword) and all(known_russian(w) or w.isupper() for w in words):
        return {"kk": 1.0, "ru": 0.0, "en": 10.0}
    return {"kk": 0.0, "ru": 0.0, "en": 10.0}


def split_keywords(keywords: Sequence[str]) -> dict[str, list[str]]:
    """A publication's flat keyword list split by language. Lists come in runs (all Kazakh, then all
    Russian, then English): the cheapest labelling with few runs wins, so «тарих» or «Абай» inside a run
    of Kazakh keywords is Kazakh although nothing in the word itself says so."""
    if not keywords:
        return {}
    costs = [_keyword_costs(k) for k in keywords]
    best = {lang: (costs[0][lang], [lang]) for lang in _KW_LANGS}
    for c in costs[1:]:
        step = {}
        for lang in _KW_LANGS:
            # On a tie the run switches as late as possible: an ambiguous keyword stays in the run before it.
            prev = min(_KW_LANGS, key=lambda p: (best[p][0] + (0 if p == lang else _SWITCH), p == lang))
            total, path = best[prev]
            step[lang] = (total + (0 if prev == lang else _SWITCH) + c[lang], path + [lang])
        best = step
    labels = min(best.values(), key=lambda v: v[0])[1]
    out: dict[str, list[str]] = defaultdict(list)
    for k, lang in zip(keywords, labels):
        out[lang].append(k)
    return dict(out)


def parallel_record(source_id: str | int, titles: Mapping[str, str] | None = None,
                    abstracts: Mapping[str, str] | None = None, keywords: Sequence[str] = ()) -> ParallelRecord:
    """A record from what the archive stores: titles and abstracts by language, one flat keyword list."""
    return ParallelRecord(str(source_id), dict(titles or {}), dict(abstracts or {}), split_keywords(keywords))


def _is_name(keyword: str) -> bool:
    """Keywords are written in lower case; a capitalised one is a name (Алматы, Абай)."""
    first = keyword.strip()[:1]
    return first.isupper() and not keyword.strip().isupper()


def keyword_candidates(record: ParallelRecord, known: Callable[[str, str], bool]) -> list[Candidate]:
    """Russian and Kazakh keywords paired by position, when the two lists can be trusted to be parallel.

    ``known(ru, kk)`` tells whether a link already known pairs the two texts; a known link between
    keywords at different positions means the lists are not in the same order, and none is paired.
    """
    ru, kk = list(record.keywords.get("ru", ())), list(record.keywords.get("kk", ()))
    if len(ru) != len(kk) or len(ru) < 2:
        return []
    for i, r in enumerate(ru):
        for j, k in enumerate(kk):
            if i != j and known(r, k):
                return []
    source = f"parallel:{record.source_id}"
    out: list[Candidate] = []
    for r, k in zip(ru, kk):
        if _is_name(r) or _is_name(k) or any(c.isdigit() for c in r + k):
            continue
        if max(len(r.split()), len(k.split())) > MAX_KEYWORD_WORDS:
            continue
        out.append(Candidate(r, k, "", source, KEYWORD_CONFIDENCE))
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(normalize_text(text).strip()) if s.strip()]


def _content(sentence: str, lang: str, anchored: Callable[[str, str], bool]) -> list[tuple[str, str, float]]:
    """(key, surface word, relative position) of the words of a sentence that alignment may pair."""
    toks = [t.text for t in tokenize(sentence)]
    out: list[tuple[str, str, float]] = []
    for i, w in enumerate(toks):
        if not content_word(w) or len(w) < 3 or (i > 0 and w[:1].isupper()) or w.isupper():
            continue                    # names, abbreviations and function words are never aligned
        if anchored(w, lang):
            continue                    # a word a known link covers is an anchor, not a candidate
        keys = sorted(probe_keys(w, lang))
        if keys:
            out.append((min(keys, key=len), w, i / max(len(toks) - 1, 1)))
    return out


def _units(record: ParallelRecord) -> list[tuple[str, str]]:
    """(Russian, Kazakh) text pairs to align: titles, then abstracts sentence by sentence when possible."""
    units: list[tuple[str, str]] = []
    for texts in (record.titles, record.abstracts):
        ru, kk = texts.get("ru", ""), texts.get("kk", "")
        # A text filed under the wrong language (a Russian title kept as the Kazakh one) is no translation.
        if not ru or not kk or ru == kk or detect_language(kk, "kk") != "kk" or detect_language(ru, "ru") != "ru":
            continue
        rs, ks = _sentences(ru), _sentences(kk)
        units += list(zip(rs, ks)) if len(rs) == len(ks) else [(ru, kk)]
    return units


def text_candidates(records: Iterable[ParallelRecord], anchored: Callable[[str, str], bool]) -> list[Candidate]:
    """Word links from aligned titles and abstracts of every record (see the module docstring)."""
    pairs: dict[tuple[str, str], list[tuple[str, str, float, str]]] = defaultdict(list)
    freq_ru: dict[str, int] = defaultdict(int)
    freq_kk: dict[str, int] = defaultdict(int)
    for rec in records:
        for ru_text, kk_text in _units(rec):
            rws = _content(ru_text, "ru", anchored)
            kws = _content(kk_text, "kk", anchored)
            for key in {k for k, _w, _p in rws}:
                freq_ru[key] += 1
            for key in {k for k, _w, _p in kws}:
                freq_kk[key] += 1
            seen: set[tuple[str, str]] = set()
            for rk, rw, rp in rws:
                for kk_, kw, kp in kws:
                    if (rk, kk_) not in seen:
                        seen.add((rk, kk_))
                        pairs[(rk, kk_)].append((rw, kw, abs(rp - kp), rec.source_id))
    scored: list[tuple[float, str, str, Candidate]] = []
    for (rk, kk_), seen_in in pairs.items():
        rw, kw = seen_in[0][0], seen_in[0][1]
        n = len(seen_in)
        dice = 2 * n / (freq_ru[rk] + freq_kk[kk_])
        drift = sum(d for *_x, d, _s in seen_in) / n
        source = "parallel:" + ",".join(sorted({s for *_x, s in seen_in}))
        if _cognate(rw, kw) and drift <= 0.5:
            scored.append((2 + dice - drift, rk, kk_, Candidate(rw, kw, "", source, COGNATE_CONFIDENCE)))
        elif n >= 2 and dice >= 0.8 and drift <= 0.3:
            conf = min(COOCCURRENCE_CONFIDENCE + 0.05 * (n - 2), 0.75)
            scored.append((1 + dice - drift, rk, kk_, Candidate(rw, kw, "", source, conf)))
    # Competitive linking: each word takes its best partner only.
    out: list[Candidate] = []
    used_ru: set[str] = set()
    used_kk: set[str] = set()
    for _score, rk, kk_, cand in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if rk in used_ru or kk_ in used_kk:
            continue
        used_ru.add(rk)
        used_kk.add(kk_)
        out.append(cand)
    return out
