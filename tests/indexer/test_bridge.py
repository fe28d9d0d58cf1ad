"""The Russian <-> Kazakh term bridge: glossary keys, query translation and query expansion."""
import subprocess
import sys

import pytest

from indexer.analysis import analyze
from indexer.bridge import (BridgedPhrase, BridgedWord, GlossaryError, build_bridge, describe_link, expand_query,
                            load_glossary, make_side, translate)
from indexer.query import Phrase, Word, parse_query
from support import REPO


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


@pytest.fixture(scope="module")
def bridge(glossary):
    return build_bridge(glossary)


def _targets(translation, lang=None):
    return {t.target for t in translation.terms if lang is None or t.target_lang == lang}


# --------------------------------------------------------------------------- the glossary
def test_glossary_has_a_few_hundred_entries_in_every_domain(glossary):
    assert len(glossary) >= 300
    domains = {e.domain for e in glossary}
    for d in ("interethnic", "language", "religion", "civic", "migration", "history", "assembly", "education",
              "youth", "media", "law"):
        assert sum(e.domain == d for e in glossary) >= 10, d
    assert all(e.en for e in glossary)
    assert len({(e.ru.lower(), e.kk.lower()) for e in glossary}) == len(glossary)      # no duplicate pairs


def test_every_glossary_entry_yields_the_index_keys_of_its_text_in_both_languages(glossary):
    # A document whose text is the entry itself is indexed under analyze()'s keys: the side must reach them.
    missing = []
    for e in glossary:
        for text, lang in ((e.ru, "ru"), (e.kk, "kk")):
            side = make_side(text, lang)
            if side is None:
                missing.append((text, lang, "no keys"))
                continue
            by_pos: dict[int, set[str]] = {}
            for t in analyze(text, lang, latin_keys=False):
                by_pos.setdefault(t.pos, set()).add(t.key)
            stored = [by_pos[p] for p in sorted(by_pos)]
            if len(stored) != side.width or any(not (s & k) for s, k in zip(stored, side.keys)):
                missing.append((text, lang, stored, side.keys))
    assert missing == []


@pytest.mark.parametrize("lemma, lang, text", [
    ("тіл", "kk", "Мемлекеттік тілін үйрену"),            # тілін is its own stem
    ("көші-қон", "kk", "көші-қонның салдары"),           # hyphenated: the whole word, inflected
    ("жастар", "kk", "жастарымызға арналған"),
    ("желі", "kk", "әлеуметтік желілерде"),
    ("национально-культурный центр", "ru", "национально-культурного центра"),
    ("средства массовой информации", "ru", "средствах массовой информации"),
])
def test_a_sides_keys_reach_inflected_forms_in_documents(lemma, lang, text):
    side = make_side(lemma, lang)
    stored = {t.key for t in analyze(text, lang, latin_keys=False)}
    assert all(keys & stored for keys in side.keys)


def test_a_glossary_line_without_both_languages_is_refused_with_its_line_number(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("domain\tru\tkk\ten\nlanguage\tязык\tтіл\tlanguage\nlanguage\tязык\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"g\.tsv, line 3: expected 4 tab-separated columns"):
        load_glossary(path)


# --------------------------------------------------------------------------- translation
@pytest.mark.parametrize("query, target, lang", [
    ("межэтническое согласие", "этносаралық келісім", "kk"),           # a phrase as a phrase
    ("этносаралық келісім", "межэтническое согласие", "ru"),
    ("etnosaralyq kelisim", "межэтническое согласие", "ru"),           # Kazakh in Latin letters
    ("Qazaqstan halqy Assambleiasy", "Ассамблея народа Казахстана", "ru"),
    ("молодёжи", "жастар", "kk"),                                      # any form of the word
    ("жастарымызға", "молодёжь", "ru"),
    ("трёхъязычия", "үштілділік", "kk"),
    ("АНК", "ҚХА", "kk"),
    ("қандастар", "репатриант", "ru"),
    ("кирилл жазуы", "кириллица", "ru"),                               # no Kazakh letter, still Kazakh
])
def test_query_words_and_phrases_get_their_counterparts(bridge, query, target, lang):
    tr = translate(bridge, query.split())
    assert target in _targets(tr, lang)
    assert lang in tr.target_languages


def test_a_phrase_is_translated_with_its_words_and_the_result_says_which(bridge):
    tr = translate(bridge, ["межэтническое", "согласие"])
    assert {"этносаралық келісім", "этносаралық", "келісім"} <= _targets(tr)
    assert tr.bridged_words == ("межэтническое", "согласие")
    assert {t.target for t in tr.for_word("согласие")} >= {"этносаралық келісім", "келісім"}
    phrase = next(t for t in tr.terms if t.target == "этносаралық келісім")
    assert phrase.source == ("межэтническое", "согласие") and phrase.sources == ("glossary",)
    assert phrase.weight == 0.5 and phrase.confidence == 1.0


@pytest.mark.parametrize("query", ["и", "және", "2020", "в 1995 году", "Абай", "Вера Иванова", "Иванова Вера"])
def test_function_words_numbers_and_names_are_never_translated(bridge, query):
    tr = translate(bridge, query.split())
    assert not any(w in tr.bridged_words for w in ("и", "және", "2020", "1995", "Вера", "Абай", "в"))


def test_a_russian_word_is_not_read_as_a_kazakh_one_unless_the_query_is_kazakh(bridge):
    assert translate(bridge, ["сын"]).terms == []                      # Russian «сын» (son), not kk «сын»
    assert "литературная критика" in _targets(translate(bridge, ["әдеби", "сын"]))
    assert translate(bridge, ["саны"]).terms == []                     # «саны» is not a form of «сабақ»


def test_a_weaker_confidence_makes_a_weaker_alternative_and_low_ones_are_not_used():
    bridge = build_bridge([("язык", "тіл")], [("language", "Языковая политика", "Тіл саясаты", "Language policy",
                                                ("языковая ситуация", "тілдік ахуал"))])
    tr = translate(bridge, ["языковая", "ситуация"])
    pair = next(t for t in tr.terms if t.target == "тілдік ахуал")
    assert pair.confidence == 0.6 and pair.weight == 0.3 and pair.sources == ("topic:language",)
    assert translate(bridge, ["языковая", "ситуация"], min_confidence=0.7).terms == []


# --------------------------------------------------------------------------- query expansion
def _clauses(q):
    return [[(type(c).__name__, c.text if isinstance(c, Word) else " ".join(c.words), c.field) for c in g]
            for g in q.groups]


def test_expansion_adds_counterparts_to_the_groups_of_the_words_they_translate(bridge):
    parsed = parse_query("межэтническое согласие")
    out = expand_query(bridge, parsed)
    assert parsed.groups == [[Word("межэтническое")], [Word("согласие")]]            # the original is untouched
    g1, g2 = _clauses(out.query)
    assert g1[0] == ("Word", "межэтническое", None) and g2[0] == ("Word", "согласие", None)
    assert ("BridgedPhrase", "этносаралық келісім", None) in g1 and ("BridgedPhrase", "этносаралық келісім", None) in g2
    assert ("BridgedWord", "этносаралық", None) in g1 and ("BridgedWord", "келісім", None) in g2
    phrase = next(c for c in out.query.groups[0] if isinstance(c, BridgedPhrase))
    assert phrase.weight == 0.5 and phrase.lang == "kk" and len(phrase.keys) == 2 and "келісім" in phrase.keys[1]
    assert out.translation.target_languages == ("kk",)


def test_a_quoted_phrase_is_translated_only_as_a_whole(bridge):
    out = expand_query(bridge, parse_query('"тіл саясаты"'))
    assert _clauses(out.query) == [[("Phrase", "тіл саясаты", None), ("BridgedPhrase", "языковая политика", None)]]
    out = expand_query(bridge, parse_query("«тіл мектебі»"))          # both words known, the phrase is not
    assert _clauses(out.query) == [[("Phrase", "тіл мектебі", None)]]


def test_or_groups_fields_prefixes_and_exclusions(bridge):
    out = expand_query(bridge, parse_query("школа OR университет title:религия языков* -мечеть"))
    groups = _clauses(out.query)
    assert groups[0][:2] == [("Word", "школа", None), ("Word", "университет", None)]
    assert ("BridgedWord", "мектеп", None) in groups[0]
    assert groups[1] == [("Word", "религия", "title"), ("BridgedWord", "дін", "title")]
    assert groups[2] == [("Word", "языков", None)]                     # prefix words are not bridged
    assert out.query.excluded == [Word("мечеть")]                      # exclusions are not bridged


def test_bridged_clauses_are_words_and_phrases_for_engines_that_do_not_know_them(bridge):
    out = expand_query(bridge, parse_query("миграция молодёжи"))
    extra = [c for g in out.query.groups for c in g[1:]]
    assert extra and all(isinstance(c, (BridgedWord, BridgedPhrase)) for c in extra)
    assert all(isinstance(c, (Word, Phrase)) for c in extra)


def test_a_query_without_counterparts_comes_back_unchanged(bridge):
    parsed = parse_query("озёрам диоксинам")
    out = expand_query(bridge, parsed)
    assert out.query.groups == parsed.groups and not out.translation


# --------------------------------------------------------------------------- for manage.py bridge
def test_counts_by_source_and_the_links_of_one_word(glossary):
    bridge = build_bridge(glossary, [("public-accord", "Общественное согласие и толерантность",
                                      "Қоғамдық келісім және төзімділік", "Public accord and tolerance", ())])
    counts = bridge.counts()
    assert counts["glossary"] == len(glossary) and counts["topic"] == 1 and counts["parallel"] == 0
    assert counts["total"] == len(bridge) == len(glossary) + 1 and counts["usable"] == counts["total"]
    links = bridge.links_of("келісім")
    pairs = {(lk.ru.text, lk.kk.text) for lk in links}
    assert ("согласие", "келісім") in pairs and ("межэтническое согласие", "этносаралық келісім") in pairs
    assert links[0].confidence == 1.0
    line = describe_link(next(lk for lk in links if lk.kk.text == "келісім"))
    assert line == "согласие <-> келісім (accord)  confidence 1.00  [glossary]"
    assert bridge.links_of("kelisim") and bridge.links_of("") == []


def test_a_stored_bridge_loads_back_with_the_same_links_and_translations(bridge, tmp_path):
    from indexer.bridge.store import BridgeStore

    store = BridgeStore(tmp_path / "bridge")
    assert store.pointer() is None and store.stat() is None and store.read_records() is None
    with store.locked():
        store.write_bridge("abc", bridge)
        store.point("7", "abc", "src")
        store.write_records({5: [{"ru": "Язык", "kk": "Тіл"}, {}, []]})
    loaded = store.load("abc")
    assert loaded.links == bridge.links
    q = parse_query("межэтническое согласие")
    assert expand_query(loaded, q).translation == expand_query(bridge, q).translation
    pointer = store.pointer()
    assert (pointer.generation, pointer.digest, pointer.sources) == ("7", "abc", "src") and pointer.stat == store.stat()
    assert store.read_records() == {5: [{"ru": "Язык", "kk": "Тіл"}, {}, []]}
    with store.locked():
        store.write_bridge("def", build_bridge([("язык", "тіл")]))
        store.point("8", "def", "src")
        store.point("9", "def", "src")
    assert not store.has_bridge("abc") and store.has_bridge("def")          # no longer named: removed


def test_the_bridge_imports_no_web_orm_archive_or_uploads_code():
    code = ("import sys; import indexer.bridge, indexer.whoosh_backend; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'archive', 'flask_babel', 'uploads')); print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
