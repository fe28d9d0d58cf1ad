"""User text -> a small query tree that every backend can translate. Never raises on user input."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 32
MAX_WORD_CHARS = 50          # longer "words" are pasted junk; analysing them costs up to a second each
MAX_PHRASE_WORDS = 12
MAX_PREFIX_KEYS = 64         # index keys a ``word*`` stands for at most: the most frequent (as Elasticsearch's 50)
MAX_QUERY_PREFIX_KEYS = 128  # ... and all the query's prefixes together: 32 prefixes of 64 keys took Whoosh 0.4-0.7 s


def N_(message: str) -> str:
    """Mark a notice for translation; the archive translates it when it shows it (``indexer`` has no web)."""
    return message


# Notices a reader sees when the query was cut (English msgids; the archive's catalogs translate them).
NOTICE_TRUNCATED = N_("Only the first 1,000 characters of your query were searched.")
NOTICE_TOO_MANY_WORDS = N_("Only the first 32 words of your query were searched.")
NOTICE_LONG_WORD = N_("Words longer than 50 characters were left out of the search.")
NOTICE_LONG_PHRASE = N_("Only the first 12 words of a phrase were searched.")
NOTICE_PREFIX_CUT = N_("A word ending in * begins too many words: only the most frequent of them were searched.")

FIELD_ALIASES = {
    "author": "authors", "authors": "authors", "автор": "authors", "авторы": "authors", "автор:": "authors",
    "title": "title", "название": "title", "тақырып": "title", "заглавие": "title",
    "abstract": "abstract", "аннотация": "abstract", "keywords": "keywords", "keyword": "keywords",
    "year": "year", "год": "year", "жыл": "year",
    "topic": "topic", "тема": "topic", "lang": "lang", "язык": "lang", "тіл": "lang",
    "kind": "kind", "type": "kind", "тип": "kind",
}
TEXT_FIELDS = ("title", "abstract", "keywords", "authors", "body")
LANG_ALIASES = {"ru": "ru", "rus": "ru", "русский": "ru", "орыс": "ru", "russian": "ru",
                "kk": "kk", "kz": "kk", "kaz": "kk", "қазақ": "kk", "казахский": "kk", "kazakh": "kk",
                "en": "en", "eng": "en", "english": "en", "английский": "en", "ағылшын": "en"}


@dataclass(frozen=True)
class Word:
    """A word to match in ``field`` (None = every text field); ``prefix`` for ``word*``."""

    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Consecutive words."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class BridgedWord(Word):
    """A weaker alternative for a query word, put there by the term bridge (``indexer/bridge``): its
    counterpart in the other language, the index ``keys`` of every form of it, and a ``weight`` below 1.

    Every backend compiles it like a word, but over ``keys`` with its field boosts times ``weight``; as a
    ``Word`` it still runs (at full weight, keys from the text) where a caller does not know it."""

    keys: frozenset[str] = frozenset()
    weight: float = 0.5
    lang: str = ""


@dataclass(frozen=True)
class BridgedPhrase(Phrase):
    """A weaker alternative phrase: consecutive words, each matching any key of its position in ``keys``."""

    keys: tuple[frozenset[str], ...] = ()
    weight: float = 0.5
    lang: str = ""


@dataclass(frozen=True)
class PrefixWord(Word):
    """``word*`` as the index ``keys`` it stands for: the search (``CachedSearch``) finds the most frequent keys
    beginning so in the speller's sorted vocabulary, at most ``MAX_PREFIX_KEYS``, and every backend then searches
    it like a word over those keys (a field without a key is skipped), never expanding the prefix itself."""

    keys: frozenset[str] = frozenset()


Clause = Word | Phrase
BRIDGED = (BridgedWord, BridgedPhrase)
KEYED = (BridgedWord, BridgedPhrase, PrefixWord)    # clauses that bring their keys (a field is asked for those it has)


def engine_prefix(c: Clause) -> bool:
    """A ``word*`` the engine expands itself (one whose prefix the speller cannot hold: digits, Latin keys)."""
    return isinstance(c, Word) and c.prefix and not isinstance(c, PrefixWord)


def original_clauses(group: list[Clause]) -> list[Clause]:
    """The reader's own clauses of a group, without the bridge's alternatives."""
    return [c for c in group if not isinstance(c, BRIDGED)]


@dataclass
class ParsedQuery:
    """``groups`` are ANDed; the clauses inside one group are ORed. ``excluded`` must not match."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    langs: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    text: str = ""
    notices: list[str] = field(default_factory=list)     # what was cut from the query, for the reader

    def notice(self, message: str) -> None:
        """Record a notice once."""
        if message not in self.notices:
            self.notices.append(message)

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to match (filters alone still list documents)."""
        return not self.groups

    @property
    def has_filters(self) -> bool:
        return bool(self.year_from or self.year_to or self.langs or self.kinds or self.topics)

    @property
    def bridged(self) -> bool:
        """Whether the term bridge added alternatives in the other language."""
        return any(isinstance(c, BRIDGED) for g in self.groups for c in g)

    def without_bridge(self) -> "ParsedQuery":
        """The reader's own query: this one without the bridge's alternatives (itself when it has none)."""
        if not self.bridged:
            return self
        return replace(self, groups=[g for g in (original_clauses(g) for g in self.groups) if g])

    def positive_words(self) -> list[str]:
        """Every word the user typed and wants to find (for highlighting and suggestions)."""
        out: list[str] = []
        for group in self.groups:
            for c in original_clauses(group):
                out.extend(c.words if isinstance(c, Phrase) else [c.text])
        return out


# A token: optional '-', optional field:, then a quoted phrase (closing quote optional) or a bare word.
_TOKEN = re.compile(r'(-?)(?:([^\W\d_]+):)?(?:"([^"]*)"?|«([^»]*)»?|(\S+))', re.UNICODE)
_WORD_CHARS = re.compile(r"[^\W_]+(?:[-\u2010\u2011'][^\W_]+)*\*?", re.UNICODE)
_YEAR_RANGE = re.compile(r"^(\d{4})?\s*(?:-|–|\.\.)\s*(\d{4})?$|^(\d{4})$")


def _words(text: str) -> list[str]:
    return _WORD_CHARS.findall(text)


def words_of(text: str) -> list[str]:
    """The words of a plain text (a title, a keyword), as the query parser reads them; no query syntax."""
    return [w.rstrip("*") for w in _WORD_CHARS.findall(text or "") if len(w) <= MAX_WORD_CHARS]


def _short_words(q: ParsedQuery, text: str) -> list[str]:
    """The words of ``text`` up to ``MAX_WORD_CHARS`` long; a longer one is dropped with a notice."""
    out = []
    for w in _words(text):
        if len(w) > MAX_WORD_CHARS:
            q.notice(NOTICE_LONG_WORD)
        else:
            out.append(w)
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_query(text: str) -> ParsedQuery:
    """Parse the reader's query; unknown syntax degrades to plain words, never an exception."""
    # Control characters (NUL above all, which PostgreSQL refuses in text) are spaces in a query.
    text = text or ""
    cut = len(text) > MAX_QUERY_CHARS
    text = _CONTROL.sub(" ", text[:MAX_QUERY_CHARS])
    q = ParsedQuery(text=text)
    if cut:
        q.notice(NOTICE_TRUNCATED)
    pending_or = False
    negate_next = False
    n = 0
    for m in _TOKEN.finditer(text.replace("(", " ").replace(")", " ")):
        minus, fname, quoted, guillemet, bare = m.groups()
        phrase_text = quoted if quoted is not None else guillemet
        if bare is not None and not fname:
            if bare in ("OR", "ИЛИ", "НЕМЕСЕ", "|", "||"):
                pending_or = bool(q.groups)
                continue
            if bare in ("AND", "И", "ЖӘНЕ", "&", "&&", "+"):
                continue
            if bare in ("NOT", "НЕ"):
                negate_next = True
                continue
        negate = bool(minus) or negate_next
        negate_next = False
        fld = FIELD_ALIASES.get(fname.lower()) if fname else None
        value = phrase_text if phrase_text is not None else (bare or "")
        if fname and fld is None:
            value = f"{fname} {value}"          # "foo:bar" that is not a field: keep both words
        if fld in ("year", "lang", "kind", "topic"):
            _apply_filter(q, fld, value.strip())
            continue
        clauses: list[Clause] = []
        if phrase_text is not None:
            ws = [w.rstrip("*") for w in _short_words(q, phrase_text)]
            if len(ws) > MAX_PHRASE_WORDS:
                q.notice(NOTICE_LONG_PHRASE)
            if len(ws) > 1:
                clauses.append(Phrase(tuple(ws[:MAX_PHRASE_WORDS]), fld))
            elif ws:
                clauses.append(Word(ws[0], fld))
        else:
            for w in _short_words(q, value):
                prefix = w.endswith("*") and len(w) > 3
                clauses.append(Word(w.rstrip("*"), fld, prefix))
        for c in clauses:
            n += 1
            if n > MAX_CLAUSES:
                q.notice(NOTICE_TOO_MANY_WORDS)
                break
            if negate:
                q.excluded.append(c)
            elif pending_or and q.groups:
                q.groups[-1].append(c)
            else:
                q.groups.append([c])
            pending_or = False
    return q


def _apply_filter(q: ParsedQuery, fld: str, value: str) -> None:
    if fld == "year":
        m = _YEAR_RANGE.match(value)
        if m:
            a, b, single = m.groups()
            if single:
                q.year_from = q.year_to = int(single)
            else:
                q.year_from = int(a) if a else None
                q.year_to = int(b) if b else None
    elif fld == "lang":
        lang = LANG_ALIASES.get(value.lower())
        if lang and lang not in q.langs:
            q.langs.append(lang)
    elif fld == "kind" and value:
        q.kinds.append(value.lower())
    elif fld == "topic" and value:
        q.topics.append(value.lower())
