"""Query translation: a query's words and phrases with confident counterparts get them as weaker alternatives.

``translate(bridge, words)`` works on a plain list of query words; ``expand_query(bridge, parsed)`` adds the
counterparts to a ``ParsedQuery`` as ``BridgedWord`` / ``BridgedPhrase`` clauses in the groups of the words they
translate (a group's clauses are ORed, so a Kazakh document matching only the counterpart still satisfies the
group). Both clause types subclass ``Word`` / ``Phrase``: an engine that does not know them still runs the query
(the counterpart at full weight, keys from ``word_keys``); an engine that does uses ``keys`` and ``weight``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

from ..analysis import normalize_text
from ..analysis.cache import word_cache
from ..query import BridgedPhrase, BridgedWord, Clause, ParsedQuery, Phrase, Word, original_clauses
from .core import MIN_CONFIDENCE, Bridge, Match, kazakh_query
from .forms import content_word, has_kazakh_letters, is_latin

DEFAULT_WEIGHT = 0.5          # a counterpart's boost relative to the reader's own word
MAX_ALTERNATIVES = 6          # alternatives kept per query group (the strongest)
_PERSON = frozenset({"Name", "Surn", "Patr"})


@dataclass(frozen=True)
class BridgedTerm:
    """One translation: which query words, from and into which language, the counterpart and its keys."""

    source: tuple[str, ...]
    source_lang: str
    target_lang: str
    target: str
    target_words: tuple[str, ...]
    keys: tuple[frozenset[str], ...]          # per target word
    weight: float
    confidence: float
    sources: tuple[str, ...]

    def clause(self, field_: str | None = None) -> BridgedWord | BridgedPhrase:
        """The query clause that searches the counterpart (in ``field_``, None = every text field)."""
        if len(self.keys) == 1:
            return BridgedWord(self.target, field_, False, self.keys[0], self.weight, self.target_lang)
        return BridgedPhrase(self.target_words, field_, self.keys, self.weight, self.target_lang)


@dataclass
class Translation:
    """What the bridge added to a query, for the results page («также найдено на казахском»)."""

    terms: list[BridgedTerm] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def target_languages(self) -> tuple[str, ...]:
        """Languages the query was bridged into ("kk", "ru"), in the order first used."""
        return tuple(dict.fromkeys(t.target_lang for t in self.terms))

    @property
    def bridged_words(self) -> tuple[str, ...]:
        """The reader's words that got a counterpart."""
        return tuple(dict.fromkeys(w for t in self.terms for w in t.source))

    def for_word(self, word: str) -> list[BridgedTerm]:
        """The counterparts of one query word (as a word or inside a phrase)."""
        return [t for t in self.terms if word in t.source]


@dataclass
class BridgedQuery:
    """The expanded query (a new ``ParsedQuery``; the original is not changed) and what was added."""

    query: ParsedQuery
    translation: Translation


@word_cache(maxsize=10_000)
def _person_name(word: str) -> bool:
    from .forms import _morph

    parses = _morph().parse(word.lower())
    return bool(parses) and bool(_PERSON & parses[0].tag.grammemes)


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def looks_like_name(words: Sequence[str], position: int) -> bool:
    """Is ``words[position]`` a person's name? Readers type queries in lower case: a capitalised word after
    the first is a name, and so is a capitalised first word followed by another capitalised word (Вера
    Иванова) or one pymorphy3 reads as a first name, surname or patronymic."""
    w = normalize_text(words[position])
    if not _capitalised(w):
        return False
    if position > 0:
        return True
    if len(words) > 1 and _capitalised(normalize_text(words[1])):
        return True
    return not has_kazakh_letters(w) and not is_latin(w) and _person_name(w)


def _allowed(m: Match, words: Sequence[str]) -> bool:
    """Never translate function words or numbers alone, nor names (unless the term itself is capitalised)."""
    span = words[m.start:m.end]
    if not any(content_word(w) for w in span):
        return False
    if m.end - m.start == 1 and not content_word(span[0]):
        return False
    side_words = m.link.side(m.lang).words
    for p in range(len(span)):
        if looks_like_name(words, m.start + p) and not (p < len(side_words) and _capitalised(side_words[p])):
            return False
    return True


def _term(m: Match, words: Sequence[str], weight: float) -> BridgedTerm:
    target = m.link.other(m.lang)
    return BridgedTerm(tuple(words[m.start:m.end]), m.lang, target.lang, target.text, target.words, target.keys,
                       round(weight * min(m.link.confidence, 1.0), 3), m.link.confidence, m.link.sources)


def translate(bridge: Bridge, words: Sequence[str], weight: float = DEFAULT_WEIGHT,
              min_confidence: float = MIN_CONFIDENCE) -> Translation:
    """Counterparts of query words and of runs of them that the bridge knows as phrases."""
    words = list(words)
    terms: dict[tuple, BridgedTerm] = {}
    for m in bridge.matches(words, min_confidence):
        if _allowed(m, words):
            t = _term(m, words, weight)
            terms.setdefault((t.source, t.target_lang, t.keys), t)
    return Translation(list(terms.values()))


def _plain_word(c: Clause) -> bool:
    return isinstance(c, Word) and not isinstance(c, BridgedWord) and not c.prefix


def expand_query(bridge: Bridge, q: ParsedQuery, weight: float = DEFAULT_WEIGHT,
                 min_confidence: float = MIN_CONFIDENCE, kazakh_context: bool | None = None) -> BridgedQuery:
    """``q`` with every confident counterpart added, as a weaker alternative, to the group of the words it
    translates. A phrase the bridge knows is added as a phrase to each of its words' groups, alongside the
    word-by-word counterparts; a quoted phrase is translated only as a whole. Excluded words are not
    bridged (``-религия`` keeps Kazakh documents about religion)."""
    groups = [list(g) for g in q.groups]
    added: list[list[Clause]] = [[] for _ in groups]
    terms: dict[tuple, BridgedTerm] = {}
    all_words = q.positive_words()
    if kazakh_context is None:
        kazakh_context = kazakh_query(all_words)

    def add(gi: int, t: BridgedTerm, fld: str | None) -> None:
        terms.setdefault((t.source, t.target_lang, t.keys), t)
        added[gi].append(t.clause(fld))

    # Runs of one-word groups on the same field: phrases may span them ("межэтническое согласие").
    i = 0
    while i < len(groups):
        if not (len(groups[i]) == 1 and _plain_word(groups[i][0])):
            i += 1
            continue
        j = i
        while j + 1 < len(groups) and len(groups[j + 1]) == 1 and _plain_word(groups[j + 1][0]) \
                and groups[j + 1][0].field == groups[i][0].field:
            j += 1
        run = list(range(i, j + 1))
        words = [groups[g][0].text for g in run]
        for m in bridge.matches(words, min_confidence, kazakh_context):
            if _allowed(m, words):
                t = _term(m, words, weight)
                for g in run[m.start:m.end]:
                    add(g, t, groups[i][0].field)
        i = j + 1
    # Groups with several clauses (OR) and quoted phrases: each clause on its own, phrases only whole.
    for gi, group in enumerate(groups):
        if len(group) == 1 and _plain_word(group[0]):
            continue
        for c in group:
            if isinstance(c, (BridgedWord, BridgedPhrase)):
                continue                # an already expanded query is not expanded again
            words = list(c.words) if isinstance(c, Phrase) else [c.text] if _plain_word(c) else []
            for m in bridge.matches(words, min_confidence, kazakh_context):
                if m.start == 0 and m.end == len(words) and _allowed(m, words):
                    add(gi, _term(m, words, weight), c.field)
    new_groups: list[list[Clause]] = []
    for group, extra in zip(groups, added):
        best = sorted(dict.fromkeys(extra), key=lambda c: -c.weight)[:MAX_ALTERNATIVES]
        new_groups.append(group + best)
    return BridgedQuery(replace(q, groups=new_groups), Translation(list(terms.values())))


__all__ = ["BridgedPhrase", "BridgedWord", "BridgedQuery", "BridgedTerm", "DEFAULT_WEIGHT", "Translation",
           "expand_query", "original_clauses", "translate"]
