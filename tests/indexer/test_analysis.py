"""The token stream: word forms land on one key, offsets point at the original words."""
import pytest

from indexer.analysis import analyze, normalize_text, tokenize, word_keys
from indexer.documents import IndexDocument, analyze_text, field_terms


def keys(text, lang="ru"):
    return [t.key for t in analyze(text, lang)]


@pytest.mark.parametrize("a, b", [
    ("озёрам", "озера"),
    ("озёрам", "озерах"),
    ("межэтнических", "межэтническими"),
    ("отношения", "отношениям"),
    ("люди", "человек"),
    ("языков", "язык"),
    ("Шайкемелева", "Шайкемелев"),
])
def test_russian_forms_share_a_key(a, b):
    assert word_keys(a) & word_keys(b)


@pytest.mark.parametrize("a, b", [
    ("ақындары", "ақын"),
    ("ақындары", "ақынның"),
    ("Қазақстанның", "Қазақстан"),
    ("тілдерін", "тіл"),
])
def test_kazakh_forms_share_a_key(a, b):
    assert word_keys(a) & word_keys(b)


def test_e_and_yo_are_one_letter_but_short_i_is_not():
    assert word_keys("ёлка") & word_keys("елка")
    from indexer.analysis.normalize import fold_token

    assert fold_token("Йод") == "йод"
    assert not (word_keys("йод") & word_keys("иод"))


def test_abbreviations_are_kept_whole():
    assert keys("МОН") == ["мон"]
    assert "анк" in keys("АНК-а")
    assert "анк" in keys("АНКа")


def test_hyphenated_word_findable_whole_and_by_parts():
    ks = keys("социально-экономический")
    assert "социально-экономический" in ks
    assert word_keys("экономического") & set(ks)


def test_offsets_point_at_original_words():
    text = "Межэтнические отношения в Алматы"
    for t in analyze(text):
        assert text[t.start:t.end].lower().replace("ё", "е").startswith(text[t.start:t.start + 1].lower())
    assert [text[t.start:t.end] for t in analyze(text)][:2] == ["Межэтнические", "отношения"]


def test_normalize_fixes_latin_lookalikes_and_schwa():
    assert normalize_text("Aлматы") == "Алматы"                  # Latin A inside a Cyrillic word
    assert normalize_text("мəдениет") == "мәдениет"               # Latin schwa in a Kazakh word
    assert normalize_text("Almaty") == "Almaty"                  # a Latin word stays Latin
    assert normalize_text("co\u00adгласие") == "cогласие".replace("c", "с")


@pytest.mark.parametrize("text,expected", [
    ("казахский язык и kazakh language", "казахский язык и kazakh language"),   # no word mixes: untouched
    ("тілдiң", "тілдің"),                        # Latin i after Cyrillic letters (the reversed-text check)
    ("Oзеро и oзера", "Озеро и озера"),          # Latin first (the forward check)
    ("ПДКi 3_13_ВБa", "ПДКі 3_13_ВБа"),           # letters of both scripts apart inside one word
    ("CO2 и H2O, 10x", "CO2 и H2O, 10x"),        # Latin beside digits only: not a mixed word
    ("Aлматы\nAlmaty", "Алматы\nAlmaty"),
])
def test_normalize_fixes_exactly_the_words_that_mix_scripts(text, expected):
    assert normalize_text(text) == expected


def test_tokenize_keeps_hyphenated_words_together():
    assert [t.text for t in tokenize("АНК-а и социально-экономический")] == ["АНК-а", "и", "социально-экономический"]


def test_mixed_document_paragraphs_use_their_own_language():
    text = ("Межэтнические отношения в Казахстане изучаются социологами и политологами.\n\n"
            "Бала мектепке барады, ол кітап оқиды және ана тілін жақсы біледі.")
    terms = analyze_text(text, "ru")
    kk_para_start = text.index("Бала")
    bala = [t for t in terms if t.start == kk_para_start]
    # "Бала" has no Kazakh-only letters: only paragraph-level detection routes it to the Kazakh stemmer.
    assert bala and bala[0].key == analyze("бала", "kk")[0].key


def test_field_terms_cover_all_fields():
    doc = IndexDocument(id=1, language="ru", titles={"ru": "Языковая политика"}, abstracts={"ru": "Об отношениях"},
                        keywords=("миграция",), authors=("Иванов А.Б.",), pages=((1, "Текст страницы"),))
    ft = field_terms(doc)
    assert set(ft) == {"title", "abstract", "keywords", "authors", "body"}
    assert all(ft[f] for f in ft)
