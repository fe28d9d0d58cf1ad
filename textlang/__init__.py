"""The one language detector of the archive: Russian, Kazakh or English for a text or a paragraph.

A package of its own because both ``uploads`` (metadata) and ``indexer`` (analysis) need the same answer for the
same sentence and may not import each other; it depends on nothing of the project.
"""
from __future__ import annotations

import functools
import itertools
import logging
import re
import threading

logger = logging.getLogger(__name__)

__all__ = ["detect_language", "LANGUAGES"]

LANGUAGES = ("ru", "kk", "en")

# Letters of Kazakh Cyrillic that Russian does not have (і and һ included: in Russian text they only come from
# Ukrainian or Belarusian words, which the archive does not hold). Latin schwa stands in for ә in legacy fonts.
_KK_CYR = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ\u0259\u018f")
# Letters of the Latin Kazakh alphabets (2018 and 2021) that English does not use.
# Kazakh letters that no other Cyrillic alphabet of the archive's neighbours uses for these sounds (і is
# Ukrainian and Belarusian too); ї є ґ are Ukrainian only.
_KK_STRONG = frozenset("әғқңөұүӘҒҚҢӨҰҮ\u0259\u018f")
_UK_ONLY = frozenset("їєґЇЄҐ")
_KK_LAT = frozenset("äğıñöūüşÄĞÑÖŪÜŞ")
_WORD = re.compile(r"[^\W\d_]+")
_MIN_LETTERS = 12      # fewer letters than this: no answer (default)
_SAMPLE = 8000         # characters counted; py3langid sees the first 4000
# Share of Cyrillic words that contain a Kazakh letter: about 0.4-0.6 in Kazakh prose, 0 in Russian prose and
# rarely above 0.2 in Russian text quoting Kazakh names. Between the two bounds py3langid decides.
_KK_WORDS_SURE = 0.35
_KK_WORDS_NONE = 0.0
# A paragraph of at least this many Cyrillic words with at most one in twenty holding a Kazakh letter is Russian
# quoting a Kazakh name or term: py3langid said so for every such paragraph of the shared corpus (none is Kazakh),
# and asking it was most of its calls in an index build of mixed Russian and Kazakh articles.
_QUOTING_WORDS = 20
_KK_WORDS_QUOTED = 0.05
# Share of Cyrillic words with і ї є ґ from which a text with no Kazakh letter is Ukrainian (about 0.2-0.3 in
# Ukrainian prose).
_UK_WORDS_SURE = 0.1

_lock = threading.Lock()
_identifier = None


def _langid():
    """A private py3langid identifier restricted to ru/kk/en (no global state of the library is touched)."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier  # the model ships in the wheel

                ident = LanguageIdentifier.from_model_file(MODEL_FILE)
                ident.set_languages(list(LANGUAGES))
                _identifier = ident
    return _identifier


def warm_up() -> None:
    """Load the identifier's model now (the extraction forkserver does it once for every child)."""
    _langid()


_CYR_CHAR = re.compile("[\u0400-\u04ff\u0259\u018f]")
_KK_STRONG_CHAR = re.compile("[" + "".join(sorted(_KK_STRONG)) + "]")
_UK_ONLY_CHAR = re.compile("[" + "".join(sorted(_UK_ONLY)) + "]")
_UK_WORD_CHAR = re.compile("[" + "".join(sorted(_UK_ONLY | set("іІ"))) + "]")
_KK_CYR_CHAR = re.compile("[" + "".join(sorted(_KK_CYR)) + "]")


def _is_cyrillic(word: str) -> bool:
    return _CYR_CHAR.search(word) is not None


def _classify(sample: str) -> str:
    try:
        lang, _score = _langid().classify(sample[:4000])
    except Exception:  # pragma: no cover - a library failure must not break an upload or a reindex
        logger.exception("py3langid failed")
        return ""
    return lang if lang in LANGUAGES else ""


def _latin_language(words: list[str]) -> str:
    """"kk" for Latin-script Kazakh (Qazaqstan, Respublikasy, ä/ğ/ı/ñ/ö/ū/ü/ş), else "en"."""
    letters = sum(len(w) for w in words)
    special = sum(1 for w in words for ch in w if ch in _KK_LAT)
    # q is rare in English outside "qu"; Latin Kazakh writes қ as q everywhere.
    q_words = sum(1 for w in words if re.search(r"q(?!u)", w, re.IGNORECASE))
    if special >= 2 and special / max(letters, 1) >= 0.01:
        return "kk"
    if q_words >= 2 and q_words / max(len(words), 1) >= 0.1:
        return "kk"
    return "en"


def _kazakh_by_letters(cyr_words: list[str]) -> tuple[str | None, float]:
    """("kk" | "" | None, share of words with a Kazakh letter): None when the letters alone do not decide."""
    # Regular expressions, not loops over characters: this runs for every paragraph of an index build.
    joined = " ".join(cyr_words)
    strong = _KK_STRONG_CHAR.search(joined) is not None
    if not strong and _UK_ONLY_CHAR.search(joined):
        # Ukrainian (і, ї, є, ґ in many words, no Kazakh letter): none of the archive's languages. A Russian
        # text that quotes a Ukrainian reference or running footer has them in a few words only.
        uk_words = len(list(filter(_UK_WORD_CHAR.search, cyr_words)))
        if uk_words / max(len(cyr_words), 1) >= _UK_WORDS_SURE:
            return "", 0.0
    kk_words = len(list(filter(_KK_CYR_CHAR.search, cyr_words))) if _KK_CYR_CHAR.search(joined) else 0
    share = kk_words / max(len(cyr_words), 1)
    if (share >= _KK_WORDS_SURE and kk_words >= 2) or (kk_words == 1 and len(cyr_words) <= 3):
        return "kk", share  # clearly Kazakh, or a heading of two or three words, one of them Kazakh-only
    return None, share


def _cyrillic_language(text: str, cyr_words: list[str], cyr: int, lat: int, model: bool = True) -> str:
    """Kazakh or Russian (or English) for a text written mostly in Cyrillic; "" for Ukrainian."""
    decided, share = _kazakh_by_letters(cyr_words)
    if decided is not None:
        return decided
    if cyr > lat and (share <= _KK_WORDS_NONE
                      or (share <= _KK_WORDS_QUOTED and len(cyr_words) >= _QUOTING_WORDS)):
        # Without a Kazakh letter every answer of py3langid gives "ru" (see below); with one word in twenty of a long
        # paragraph, py3langid answered "ru" on the whole corpus (``_QUOTING_WORDS``). It is not asked: most Russian
        # paragraphs of an index build end here, and the classifier was a third of their analysis.
        return "ru"
    if not model:
        return ""        # the letters do not decide and the classifier is not to be asked
    lang = _classify(text[:_SAMPLE])
    if lang == "kk" and share <= _KK_WORDS_NONE:
        return "ru"      # py3langid's Kazakh without a single Kazakh letter: Russian (or Kyrgyz) text
    if lang == "en" and cyr > lat:
        return "kk" if share >= 0.2 else "ru"
    return lang or ("ru" if cyr >= lat else "en")


# A letter that is not Cyrillic, or a Cyrillic letter Russian does not use: without one, a text is Russian (or
# too short to tell). One search decides most paragraphs of an index build.
_NOT_PLAIN_RUSSIAN = re.compile("[^\\W\\d_\u0400-\u04ff\u0259\u018f]|["
                                + "".join(sorted(_KK_CYR | _UK_ONLY)) + "]")


# At least ``_MIN_LETTERS`` letters (as many as ``_WORD``'s matches hold), found without listing every word: the
# search stops at the twelfth letter.
_ENOUGH_LETTERS = re.compile(r"(?:[^\W\d_][\W\d_]*){%d}" % _MIN_LETTERS)


@functools.lru_cache(maxsize=4096)
def detect_language(text: str, default: str = "", model: bool = True) -> str:
    """"ru", "kk" or "en" for ``text``; ``default`` when there are too few letters to tell.

    With ``model`` False the classifier is never asked (nor loaded: ~100 MB and ~0.5 s a process): a Cyrillic text
    its letters leave undecided (Kazakh letters in some words, too few to be sure) gets "". For what a web page
    shows (a passage's ``lang`` attribute: undecided, it is the surrounding language's), where loading the model
    stalled a worker's first such page."""
    if not text:
        return default
    sample = text[:_SAMPLE]
    if _NOT_PLAIN_RUSSIAN.search(sample) is None:
        # Every letter Cyrillic and none of Kazakh or Ukrainian: what the general path below answers then
        # (tests/textlang compares the two), without a search per word.
        return "ru" if _ENOUGH_LETTERS.search(sample) else default
    return _detect(sample, default, model)


def _detect(text: str, default: str, model: bool = True) -> str:
    """The general path of ``detect_language`` (``text``: its first ``_SAMPLE`` characters)."""
    words = _WORD.findall(text)
    # filter and map, not comprehensions: no Python code per word (this runs for most paragraphs of a Kazakh
    # article in an index build).
    search = _CYR_CHAR.search
    cyr_words = list(filter(search, words))
    lat_words = list(itertools.filterfalse(search, words)) if len(cyr_words) < len(words) else []
    cyr = sum(map(len, cyr_words))
    lat = sum(map(len, lat_words))
    if cyr + lat < _MIN_LETTERS:
        return default
    if lat > cyr * 1.5:
        return _latin_language(lat_words)
    return _cyrillic_language(text, cyr_words, cyr, lat, model)
