"""Property tests for the analyzers: any text is analysed without an error, normalisation is idempotent,
and Kazakh Cyrillic -> 2021 Latin -> Cyrillic keeps the word where ``translit`` promises it does."""
from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings, strategies as st

from indexer.analysis import (LATIN_PREFIX, analyze, is_stopword, normalize_text, split_paragraphs, tokenize,
                              word_keys)
from indexer.analysis.kazakh import kazakh_stem, kazakh_stems
from indexer.analysis.language import detect_language
from indexer.analysis.normalize import fold_token
from indexer.analysis.russian import russian_lemma
from indexer.analysis.translit import (cyrillic_to_latin, fold_latin_key, latin_readings, latin_to_cyrillic,
                                       looks_like_kazakh_latin)

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters and marks that meet in real pages: Russian and Kazakh Cyrillic, Latin look-alikes and the 2021 letters,
# Latin schwa, combining accents, soft hyphens, bidi controls, Arabic and Hebrew, digits and query punctuation.
_MIXED_ALPHABET = ("аәбвгғдеёжзиійкқлмнңоөпрстуұүфхһцчшщъыьэюяАӘБҒҚҢӨҰҮІЁЙ"
                   "ABCEHKMOPTXYaceiopxyqwäğıñöşūüçəƏİ"
                   "\u0301\u0306\u0308\u0307\u0483\u00ad\u200b\u200d\u200f\u202e\u2066\ufeff"
                   "\u0627\u05d0\u4e2d\U00017000 \t\n\r\x00\x07-\u2010\u2011'*\"«»:()0123456789")
# Any Unicode text (hypothesis leaves out lone surrogates, which a str from a decoded file never holds),
# text over the alphabet above, and "huge tokens": one long run of letters with no break.
texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=_MIXED_ALPHABET, max_size=120),
    st.builds(lambda c, n: c * n, st.sampled_from(["а", "қ", "A", "ə", "x\u0301", "-", "\u00ad"]),
              st.integers(1, 5000)),
)


@PROPS
@given(texts)
@example("e\u00ad\u0301")          # a soft hyphen between a letter and its accent used to survive one NFC pass
@example("Кy\u0306")               # Latin y -> Cyrillic у, which then composes with the breve into ў
@example("кə\u0308")               # Latin schwa -> Cyrillic ә, which then composes with the diaeresis into ӛ
@example("Кy\u0306x")              # ... and the composition joins "x" to the word, making it mixed again
def test_normalize_text_is_idempotent_and_nfc(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "\u00ad" not in once


@PROPS
@given(texts)
@example("Aлматы Almaty _Kz1б a_б")
def test_mixed_words_found_from_latin_letters_as_the_pattern_finds_them(text: str) -> None:
    from indexer.analysis import normalize

    assert normalize._fix_mixed_words(text) == normalize._MIXED_WORD.sub(normalize._fix_mixed, text)


@PROPS
@given(st.lists(st.text(alphabet="аеёбвқәiİKk-", min_size=1, max_size=5), min_size=1, max_size=4),
       st.text(alphabet="аеёбвқәiİKkАЕЁБВҚӘ _-,.\n", max_size=200))
@example(["ел"], "ЁЛ ЕЛ ёл ел_ел ела")
def test_forms_found_in_lower_case_text_as_the_case_blind_pattern_finds_them(forms, text) -> None:
    from indexer.snippets import _form_spans, forms_pattern

    found = frozenset(fold_token(f) for f in forms)
    for page in (text, text.upper()):
        assert list(_form_spans(found, page)) == [(m.start(), m.end()) for m in forms_pattern(found).finditer(page)]


@PROPS
@given(texts, st.sampled_from(["ru", "kk", "en"]))
def test_analyze_never_fails_and_offsets_point_into_the_text(text: str, lang: str) -> None:
    normal = normalize_text(text)
    tokens = list(tokenize(normal))
    for tok in tokens:
        assert normal[tok.start:tok.end] == tok.text
    terms = analyze(text, lang)
    for term in terms:
        assert term.key and 0 <= term.pos < len(tokens)
        assert (term.start, term.end) == (tokens[term.pos].start, tokens[term.pos].end)
    short = analyze(text, lang, latin_keys=False)
    assert all(not t.key.startswith(LATIN_PREFIX) for t in short)
    assert {t.key for t in short} <= {t.key for t in terms}


@PROPS
@given(texts)
@example("𗀀A")                     # a Tangut letter has no unicodedata name: pymorphy3 raised ValueError
@example("а\U00017000")
def test_query_side_analysis_never_fails(text: str) -> None:
    keys = word_keys(text)
    assert all(isinstance(k, str) and k for k in keys)
    is_stopword(text)
    paragraphs = split_paragraphs(text)
    for start, para in paragraphs:
        assert text[start:start + len(para)] == para and para.strip()
    assert detect_language(text, "x") in ("ru", "kk", "en", "x")
    low = fold_token(normalize_text(text))
    kazakh_stem(low)
    assert kazakh_stems(low)
    russian_lemma(low)


@PROPS
@given(texts)
@example("шch")            # a Cyrillic letter folded next to Latin ones made a digraph the next fold changed
@example("веснушчатый")
def test_transliteration_never_fails(text: str) -> None:
    latin_to_cyrillic(text)
    cyrillic_to_latin(text)
    latin_readings(text)
    looks_like_kazakh_latin(text)
    key = fold_latin_key(text)
    assert fold_latin_key(key) == key or not key.isascii()


# --- Kazakh Cyrillic <-> 2021 Latin -------------------------------------------------------------------------

# The module's native letters, without һ (2021 writes both х and һ as h, so h reads back as х).
_NATIVE = "аәбвгғдежзиійкқлмнңоөпрстуұүфхчшы"
_VOWELS = set("аәеиоөуұүыі")               # translit reads i after these (у included: a glide) as й
_DIACRITIC_LETTERS = set("әғңөұүшчі")          # letters whose 2021 spelling carries a diacritic (ä ğ ñ ö ū ü ş ç ı)
# Cyrillic pairs whose Latin spelling is an informal ASCII digraph (s+h = sh, y+u = yu ...): a word that has
# only қ as its 2021 mark and one of these is read as informal ASCII, which translit documents as a guess.
_INFORMAL_PAIRS = ("сх", "цх", "зх", "кх", "гх", "ыу", "ыа", "ыо")


def _native_word_round_trips(cased_word: str) -> bool:
    """The documented domain of the exact round trip (translit's module docstring and docs/kazakh-analysis.md):
    и and й are both written i, and i is read back as й after a vowel and as и elsewhere; io/iu/ia are ё/ю/я;
    şç is щ; a word without a 2021 diacritic is read as informal ASCII. The capital of ı (і) is a plain I, so
    a capital І carries no mark."""
    word = cased_word.lower()
    marks = [ch for ch, orig in zip(word, cased_word) if not (ch == "і" and orig.isupper())]
    for i, ch in enumerate(word):
        prev = word[i - 1] if i else ""
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if ch == "и" and prev in _VOWELS:
            return False
        if ch == "й" and prev not in _VOWELS:
            return False
        if ch in "ий" and nxt in "оуа":
            return False
    if "шч" in word:
        return False
    if set(marks) & _DIACRITIC_LETTERS:
        return True
    return "қ" in word and not any(p in word for p in _INFORMAL_PAIRS)


native_words = st.text(alphabet=_NATIVE, min_size=1, max_size=14)
cased = st.sampled_from([str.lower, str.upper, lambda w: w[:1].upper() + w[1:]])


@settings(max_examples=1000, deadline=None)
@given(st.builds(lambda w, case: case(w), native_words, cased).filter(_native_word_round_trips))
@example("Іле")
@example("ҚАЙЫҢ")
def test_cyrillic_latin_round_trip_is_exact_for_native_words(word: str) -> None:
    assert latin_to_cyrillic(cyrillic_to_latin(word)) == word


@settings(max_examples=1000, deadline=None)
@given(native_words.filter(lambda w: _native_word_round_trips(w + "ә")))
def test_2021_reading_is_offered_for_words_without_diacritics(word: str) -> None:
    """Without a 2021 mark the best guess may be the informal one, but the 2021 reading is always offered."""
    assert word in latin_readings(cyrillic_to_latin(word))


# Cyrillic clusters (ъ and ь are not written) whose 2021 spelling reads as a digraph (с+х = "sh"): their key
# follows the informal reading on purpose (Асхат = Askhat, the passport spelling), so they are left out.
_DIGRAPH_CLUSTERS = ("сх", "цх", "зх", "гх", "сһ", "цһ", "зһ", "гһ", "шч")


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=_NATIVE + "һёцщъьэюя", min_size=1, max_size=14).filter(
    lambda w: not any(c in w.replace("ъ", "").replace("ь", "") for c in _DIGRAPH_CLUSTERS)), cased)
def test_fold_key_joins_cyrillic_and_its_2021_spelling(word: str, case) -> None:
    """The cross-script key is the reliable match: Cyrillic and its 2021 Latin spelling share it."""
    word = case(word)
    assert fold_latin_key(word) == fold_latin_key(cyrillic_to_latin(word))
