"""Where bridge links come from: the curated glossary file and the topic vocabulary's labels and phrases."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..analysis import normalize_text, tokenize
from .forms import has_kazakh_letters, known_russian

logger = logging.getLogger(__name__)

GLOSSARY_PATH = Path(__file__).resolve().parent.parent / "data" / "bridge_glossary.tsv"

GLOSSARY_CONFIDENCE = 1.0
TOPIC_LABEL_CONFIDENCE = 0.9
TOPIC_PHRASE_CONFIDENCE = 0.7     # a Russian and a Kazakh phrase of one topic that are cognates
TOPIC_PAIR_CONFIDENCE = 0.6       # the only Russian and the only Kazakh phrase a topic has left unpaired


class GlossaryError(ValueError):
    """A glossary line that cannot be read (its line number and the reason are in the message)."""


@dataclass(frozen=True)
class GlossaryEntry:
    """One curated pair: Russian and Kazakh lemma forms (a word or a phrase), an English gloss, a domain."""

    ru: str
    kk: str
    en: str = ""
    domain: str = ""


@dataclass(frozen=True)
class TopicLabels:
    """A topic of the archive's vocabulary as plain data: labels in three languages and its signal phrases."""

    slug: str
    label_ru: str
    label_kk: str
    label_en: str = ""
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A proposed link before keys are computed: texts, where it came from and how sure that source is."""

    ru: str
    kk: str
    en: str
    source: str
    confidence: float


def load_glossary(path: str | Path | None = None) -> list[GlossaryEntry]:
    """Entries of the glossary TSV (columns domain, ru, kk, en; '#' comments; a header line)."""
    path = Path(path) if path else GLOSSARY_PATH
    entries: list[GlossaryEntry] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#") or line.startswith("domain\t"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) != 4 or not cols[1] or not cols[2]:
            raise GlossaryError(f"{path.name}, line {n}: expected 4 tab-separated columns "
                                f"(domain, ru, kk, en) with ru and kk filled in")
        entries.append(GlossaryEntry(ru=cols[1], kk=cols[2], en=cols[3], domain=cols[0]))
    return entries


def glossary_candidates(entries: Iterable[GlossaryEntry | Sequence[str]]) -> list[Candidate]:
    """Glossary entries (or plain (ru, kk[, en]) tuples) as link candidates."""
    out: list[Candidate] = []
    for e in entries:
        if isinstance(e, GlossaryEntry):
            ru, kk, en = e.ru, e.kk, e.en
        else:
            ru, kk, en = (tuple(e) + ("",))[:3]
        out.append(Candidate(ru, kk, en, "glossary", GLOSSARY_CONFIDENCE))
    return out


def phrase_language(phrase: str) -> str:
    """"kk" or "ru" for a short vocabulary phrase: Kazakh letters, else words pymorphy3 does not know."""
    words = [t.text for t in tokenize(normalize_text(phrase))]
    if any(has_kazakh_letters(w) for w in words):
        return "kk"
    if words and all(known_russian(w) or w.isupper() for w in words):
        return "ru"
    return "kk"


def _cognate(a: str, b: str) -> bool:
    """Same borrowed root: a shared beginning of at least 5 letters and most of the shorter word."""
    a, b = a.lower(), b.lower()
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= 5 and n >= 0.6 * min(len(a), len(b))


def cognate_phrases(ru: str, kk: str) -> bool:
    """Two phrases of the same length whose words are cognates one by one."""
    rw = [t.text for t in tokenize(normalize_text(ru))]
    kw = [t.text for t in tokenize(normalize_text(kk))]
    return len(rw) == len(kw) and all(_cognate(a, b) for a, b in zip(rw, kw))


def topic_candidates(topics: Iterable[TopicLabels | Sequence]) -> list[Candidate]:
    """Links from the topic vocabulary: its labels, and the phrases that can be paired with confidence.

    A topic lists its Russian and Kazakh signal phrases in one unordered tuple, so a phrase pair is only
    proposed when the two are cognates, or when exactly one phrase of each language is left; phrase pairs
    the glossary also has are confirmed later, when candidates with the same keys are merged.
    """
    out: list[Candidate] = []
    for t in topics:
        if not isinstance(t, TopicLabels):
            slug, ru, kk, en, *rest = tuple(t) + ((),)
            t = TopicLabels(slug, ru, kk, en, tuple(rest[0]) if rest and rest[0] else ())
        source = f"topic:{t.slug}"
        if t.label_ru and t.label_kk:
            out.append(Candidate(t.label_ru, t.label_kk, t.label_en, source, TOPIC_LABEL_CONFIDENCE))
        phrases = list(dict.fromkeys(p for p in t.phrases if p.strip()))
        ru_side = [p for p in phrases if phrase_language(p) == "ru"]
        kk_side = [p for p in phrases if phrase_language(p) == "kk"]
        paired_ru: set[str] = set()
        paired_kk: set[str] = set()
        for r in ru_side:
            for k in kk_side:
                if k not in paired_kk and cognate_phrases(r, k):
                    out.append(Candidate(r, k, "", source, TOPIC_PHRASE_CONFIDENCE))
                    paired_ru.add(r)
                    paired_kk.add(k)
                    break
        left_ru = [r for r in ru_side if r not in paired_ru]
        left_kk = [k for k in kk_side if k not in paired_kk]
        if len(left_ru) == 1 and len(left_kk) == 1:
            out.append(Candidate(left_ru[0], left_kk[0], "", source, TOPIC_PAIR_CONFIDENCE))
        # Every other same-topic pair is also proposed, below any query threshold: it only confirms a
        # pair that another source (the glossary, a parallel text) already has.
        for r in left_ru:
            for k in left_kk:
                if not (len(left_ru) == 1 and len(left_kk) == 1):
                    out.append(Candidate(r, k, "", source, 0.0))
    return out
