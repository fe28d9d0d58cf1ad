"""The bridge: Russian <-> Kazakh links with their index keys, and the lookup of a query's words in them."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..analysis import normalize_text, tokenize
from .align import ParallelRecord, keyword_candidates, parallel_record, text_candidates
from .forms import (LANGS, Side, has_kazakh_letters, is_latin, known_russian, make_side, probe_keys,
                    side_contains, side_matches)
from .sources import Candidate, GlossaryEntry, TopicLabels, glossary_candidates, topic_candidates

logger = logging.getLogger(__name__)

MIN_CONFIDENCE = 0.6      # links below this are kept (and listed by the CLI) but never used for queries
SOURCE_KINDS = ("glossary", "topic", "parallel")


@dataclass(frozen=True)
class Link:
    """A Russian term and its Kazakh counterpart, where the pairing came from, and how sure it is."""

    ru: Side
    kk: Side
    en: str
    confidence: float
    sources: tuple[str, ...]          # "glossary", "topic:<slug>", "parallel:<publication id>"

    def side(self, lang: str) -> Side:
        """The side in ``lang``."""
        return self.ru if lang == "ru" else self.kk

    def other(self, lang: str) -> Side:
        """The side in the other language."""
        return self.kk if lang == "ru" else self.ru

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of source behind the link (glossary, topic, parallel)."""
        return tuple(dict.fromkeys(s.split(":", 1)[0] for s in self.sources))


@dataclass(frozen=True)
class Match:
    """Query words ``start``..``end`` (exclusive) read as the ``lang`` side of ``link``."""

    start: int
    end: int
    lang: str
    link: Link


class Bridge:
    """Links indexed by the keys of their first word in each language."""

    def __init__(self, links: Sequence[Link]) -> None:
        self.links: tuple[Link, ...] = tuple(links)
        self._first: dict[tuple[str, str], list[Link]] = defaultdict(list)
        for link in self.links:
            for lang in LANGS:
                for key in link.side(lang).match[0]:
                    self._first[(lang, key)].append(link)

    def __len__(self) -> int:
        return len(self.links)

    # -- lookup
    def word_langs(self, word: str, kazakh_context: bool = False) -> tuple[str, ...]:
        """Languages a query word may be read in: a Kazakh letter or Latin script means Kazakh; a word
        pymorphy3 knows is Russian unless the rest of the query is Kazakh; any other word may be either."""
        w = normalize_text(word)
        if has_kazakh_letters(w) or is_latin(w):
            return ("kk",)
        if known_russian(w) and not kazakh_context:
            return ("ru",)
        return LANGS

    def matches(self, words: Sequence[str], min_confidence: float = MIN_CONFIDENCE,
                kazakh_context: bool | None = None) -> list[Match]:
        """Every link whose side matches consecutive query words, longest first at each position."""
        words = list(words)
        if kazakh_context is None:
            kazakh_context = kazakh_query(words)
        out: list[Match] = []
        for i, w in enumerate(words):
            for lang in self.word_langs(w, kazakh_context):
                seen: set[int] = set()
                for key in probe_keys(w, lang):
                    for link in self._first.get((lang, key), ()):
                        if id(link) in seen or link.confidence < min_confidence:
                            continue
                        seen.add(id(link))
                        side = link.side(lang)
                        if side_matches(side, words, i):
                            out.append(Match(i, i + side.width, lang, link))
        out.sort(key=lambda m: (m.start, -(m.end - m.start), -m.link.confidence))
        return out

    def links_of(self, text: str) -> list[Link]:
        """Links whose Russian or Kazakh side is ``text`` or contains it (any form), most confident first."""
        words = [t.text for t in tokenize(normalize_text(text))]
        if not words:
            return []
        found = [link for link in self.links if any(side_contains(link.side(lang), words) for lang in LANGS)]
        return sorted(found, key=lambda lk: (-lk.confidence, lk.ru.width, lk.ru.text))

    # -- reporting
    def counts(self, min_confidence: float = 0.0) -> dict[str, int]:
        """Links by kind of source (a link with two kinds counts under both), their total, and how many
        are confident enough for queries."""
        out = {kind: 0 for kind in SOURCE_KINDS}
        for link in self.links:
            if link.confidence >= min_confidence:
                for kind in link.kinds:
                    out[kind] = out.get(kind, 0) + 1
        out["total"] = sum(1 for lk in self.links if lk.confidence >= min_confidence)
        out["usable"] = sum(1 for lk in self.links if lk.confidence >= MIN_CONFIDENCE)
        return out


def kazakh_query(words: Sequence[str]) -> bool:
    """A query that reads as Kazakh: a Kazakh letter, Latin script, or a Cyrillic word pymorphy3 does not know
    (then «кирилл» in «кирилл жазуы» may be Kazakh too)."""
    return any(has_kazakh_letters(w) or is_latin(w) or (not known_russian(w) and not w.isdigit())
               for w in (normalize_text(x) for x in words) if w)


def describe_link(link: Link) -> str:
    """One line for the CLI: «ru» ↔ «kk» (en), confidence, sources."""
    gloss = f" ({link.en})" if link.en else ""
    return f"{link.ru.text} <-> {link.kk.text}{gloss}  confidence {link.confidence:.2f}  [{', '.join(link.sources)}]"


class _Collector:
    """Candidates merged into links: same keys on both sides is one link; independent sources add up."""

    def __init__(self) -> None:
        self._links: dict[tuple, list] = {}
        self.rejected: list[tuple[Candidate, str]] = []

    def add(self, cand: Candidate, create: bool = True) -> bool:
        ru, kk = make_side(cand.ru, "ru"), make_side(cand.kk, "kk")
        if ru is None or kk is None:
            self.rejected.append((cand, "a side has a word without index keys"))
            return False
        if ru.keys == kk.keys:
            return False                # same keys already: the index finds both without a bridge
        ident = (ru.identity(), kk.identity())
        entry = self._links.get(ident)
        if entry is None:
            if not create or cand.confidence <= 0:
                return False
            entry = self._links[ident] = [ru, kk, cand.en, {}]
        if cand.en and not entry[2]:
            entry[2] = cand.en
        best = entry[3]
        best[cand.source] = max(best.get(cand.source, 0.0), cand.confidence)
        return True

    def knows(self, ru_text: str, kk_text: str) -> bool:
        ru, kk = make_side(ru_text, "ru"), make_side(kk_text, "kk")
        return ru is not None and kk is not None and (ru.identity(), kk.identity()) in self._links

    def links(self) -> list[Link]:
        out: list[Link] = []
        for ru, kk, en, sources in self._links.values():
            miss = 1.0
            for conf in sources.values():
                miss *= 1.0 - min(max(conf, 0.0), 1.0)
            out.append(Link(ru, kk, en, round(1.0 - miss, 3), tuple(sources)))
        return out


def build_bridge(glossary: Iterable[GlossaryEntry | Sequence[str]] = (),
                 topic_labels: Iterable[TopicLabels | Sequence] = (),
                 parallel: Iterable[ParallelRecord | Sequence] = ()) -> Bridge:
    """Build the bridge from plain data: glossary entries, topic labels, parallel records.

    ``glossary``: ``GlossaryEntry`` or (ru, kk[, en]) tuples (``load_glossary()`` reads the curated file).
    ``topic_labels``: ``TopicLabels`` or (slug, label_ru, label_kk, label_en, phrases) tuples.
    ``parallel``: ``ParallelRecord`` or (publication id, titles by lang, abstracts by lang, flat keyword list)
    tuples. Known links (glossary, topics) are added first: they anchor the alignment of parallel texts.
    """
    t0 = time.perf_counter()
    col = _Collector()
    for cand in glossary_candidates(glossary):
        col.add(cand)
    for cand in topic_candidates(topic_labels):
        col.add(cand, create=cand.confidence > 0)
    records = [r if isinstance(r, ParallelRecord) else parallel_record(*r) for r in parallel]
    for rec in records:
        for cand in keyword_candidates(rec, col.knows):
            col.add(cand)
    anchors = Bridge(col.links())

    def anchored(word: str, lang: str) -> bool:
        return any(m.end - m.start == 1 for m in anchors.matches([word], min_confidence=0.0,
                                                                  kazakh_context=lang == "kk")
                   if m.lang == lang)

    for cand in text_candidates(records, anchored):
        col.add(cand)
    bridge = Bridge(col.links())
    for cand, why in col.rejected[:20]:
        logger.warning("bridge: %s <-> %s (%s) skipped: %s", cand.ru, cand.kk, cand.source, why)
    logger.info("bridge: %d links built in %.2f s", len(bridge), time.perf_counter() - t0)
    return bridge
