"""Where bridge links come from besides the glossary: topic labels and phrases, parallel keywords and abstracts."""
import pytest

from indexer.bridge import ParallelRecord, build_bridge, parallel_record, split_keywords, translate
from indexer.bridge.align import keyword_candidates, text_candidates
from indexer.bridge.sources import topic_candidates

RECORD_KEYWORDS = ["жастар қанаты", "этномәдени бірлестік", "мәдени мұра", "Абай",
                   "молодёжное крыло", "этнокультурное объединение", "культурное наследие", "Абай",
                   "youth wing", "cultural heritage"]


def _link(bridge, ru, kk):
    return next((lk for lk in bridge.links if lk.ru.text == ru and lk.kk.text == kk), None)


# --------------------------------------------------------------------------- keywords
@pytest.mark.parametrize("keywords, expected", [
    (RECORD_KEYWORDS, {"kk": ["жастар қанаты", "этномәдени бірлестік", "мәдени мұра", "Абай"],
                       "ru": ["молодёжное крыло", "этнокультурное объединение", "культурное наследие", "Абай"],
                       "en": ["youth wing", "cultural heritage"]}),
    # «тарих» and «мектеп» have no Kazakh letter: their neighbours say they are Kazakh.
    (["тарихи жады", "тарих", "мемлекеттік тіл", "историческая память", "история", "государственный язык"],
     {"kk": ["тарихи жады", "тарих", "мемлекеттік тіл"],
      "ru": ["историческая память", "история", "государственный язык"]}),
])
def test_a_flat_keyword_list_is_split_by_language(keywords, expected):
    assert split_keywords(keywords) == expected


def test_keywords_in_the_same_order_are_paired_except_names():
    rec = parallel_record(7, {}, {}, RECORD_KEYWORDS)
    cands = keyword_candidates(rec, lambda ru, kk: False)
    assert [(c.ru, c.kk, c.source, c.confidence) for c in cands] == [
        ("молодёжное крыло", "жастар қанаты", "parallel:7", 0.8),
        ("этнокультурное объединение", "этномәдени бірлестік", "parallel:7", 0.8),
        ("культурное наследие", "мәдени мұра", "parallel:7", 0.8)]


def test_keyword_lists_are_not_paired_when_counts_differ_or_a_known_link_says_the_order_differs():
    uneven = ParallelRecord("1", keywords={"ru": ["язык", "школа"], "kk": ["тіл", "мектеп", "оқушы"]})
    assert keyword_candidates(uneven, lambda ru, kk: False) == []
    swapped = ParallelRecord("2", keywords={"ru": ["язык", "школа"], "kk": ["мектеп", "тіл"]})
    known = {("язык", "тіл"), ("школа", "мектеп")}
    assert keyword_candidates(swapped, lambda ru, kk: (ru, kk) in known) == []


def test_a_keyword_pair_becomes_a_usable_link_that_names_its_publication():
    bridge = build_bridge([("молодёжь", "жастар")], [], [("45", {}, {}, RECORD_KEYWORDS)])
    link = _link(bridge, "молодёжное крыло", "жастар қанаты")
    assert link is not None and link.sources == ("parallel:45",) and link.confidence == 0.8
    assert "молодёжное крыло" in {t.target for t in translate(bridge, ["жастар", "қанаттары"]).terms}
    assert bridge.counts()["parallel"] == 3


# --------------------------------------------------------------------------- titles and abstracts
def test_cognates_in_aligned_sentences_are_linked():
    rec = ParallelRecord("3", abstracts={
        "ru": "Демократические институты развиваются медленно. Исследование основано на интервью.",
        "kk": "Демократиялық институттар баяу дамиды. Зерттеу сұхбаттарға негізделген."})
    cands = {(c.ru, c.kk): c for c in text_candidates([rec], lambda w, lang: False)}
    assert ("Демократические", "Демократиялық") in cands
    assert cands[("Демократические", "Демократиялық")].confidence == 0.7
    assert cands[("Демократические", "Демократиялық")].source == "parallel:3"


def test_words_that_always_meet_in_two_sentence_pairs_are_linked_and_one_meeting_is_not_enough():
    recs = [ParallelRecord("4", abstracts={"ru": "Молодёжные крылья растут.", "kk": "Жастар қанаттары өсуде."}),
            ParallelRecord("5", abstracts={"ru": "Новые крылья создаются.", "kk": "Жаңа қанаттар құрылуда."})]
    anchored = {("Молодёжные", "ru"), ("Жастар", "kk"), ("Новые", "ru"), ("Жаңа", "kk")}
    cands = {(c.ru.lower(), c.kk.lower()): c for c in text_candidates(recs, lambda w, lang: (w, lang) in anchored)}
    link = cands.get(("крылья", "қанаттары"))
    assert link is not None and link.confidence == 0.6 and link.source == "parallel:4,5"
    assert not text_candidates(recs[:1], lambda w, lang: (w, lang) in anchored)


def test_a_text_filed_under_the_wrong_language_is_not_aligned():
    title = "Межэтнические браки и смешанные семьи в Алматы"
    rec = ParallelRecord("6", titles={"ru": title, "kk": title})
    assert text_candidates([rec], lambda w, lang: False) == []


def test_glossary_words_anchor_the_alignment_and_are_not_linked_again():
    bridge = build_bridge([("язык", "тіл")], [], [ParallelRecord("8", abstracts={
        "ru": "Язык и демократические ценности.", "kk": "Тіл және демократиялық құндылықтар."})])
    assert _link(bridge, "Демократические", "демократиялық") or _link(bridge, "демократические", "демократиялық")
    assert not any(lk.ru.text.lower() == "язык" and "parallel:8" in lk.sources for lk in bridge.links)


# --------------------------------------------------------------------------- topic vocabulary
def test_topic_labels_and_phrases_become_links_with_their_confidence():
    topics = [("demography", "Демография", "Демография", "Demography",
               ("демографический", "перепись", "демографиялық", "халық санағы")),
              ("language-policy", "Языковая политика", "Тіл саясаты", "Language policy",
               ("языковая политика", "тіл саясаты", "двуязычие", "қостілділік"))]
    got = {(c.ru, c.kk): (c.source, c.confidence) for c in topic_candidates(topics)}
    assert got[("Языковая политика", "Тіл саясаты")] == ("topic:language-policy", 0.9)
    assert got[("демографический", "демографиялық")] == ("topic:demography", 0.7)       # cognates
    assert got[("перепись", "халық санағы")] == ("topic:demography", 0.6)             # the only pair left
    # Several pairs left: proposed at 0, they can only confirm a link another source has.
    assert got[("двуязычие", "қостілділік")] == ("topic:language-policy", 0.0)
    bridge = build_bridge([("двуязычие", "қостілділік")], topics)
    assert _link(bridge, "двуязычие", "қостілділік").sources == ("glossary", "topic:language-policy")
    assert _link(bridge, "языковая политика", "тіл саясаты") is None      # 0 alone creates nothing
    assert _link(bridge, "Демография", "Демография") is None              # same keys: nothing to bridge


def test_the_archives_topic_vocabulary_handed_over_as_tuples_builds_label_links():
    from archive.services.topics import VOCABULARY                      # the archive hands plain tuples over

    topics = [(t.slug, t.label_ru, t.label_kk, t.label_en, t.phrases) for t in VOCABULARY]
    bridge = build_bridge([], topics)
    for t in VOCABULARY:
        if t.label_ru.lower() != t.label_kk.lower():
            assert _link(bridge, t.label_ru, t.label_kk), t.slug
    assert bridge.counts()["topic"] == len(bridge) > len(VOCABULARY)


def test_a_rendered_bilingual_article_gives_parallel_links_through_the_upload_pipeline(tmp_path):
    # The path the archive takes: a PDF with Kazakh and Russian abstracts and keywords -> metadata -> record.
    import importlib.util

    from support import REPO
    from uploads.pipeline import extract_file

    spec = importlib.util.spec_from_file_location("make_xl", REPO / "scripts" / "make_crosslingual_content.py")
    make_xl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_xl)
    meta = make_xl.demo.parse_source(make_xl.SOURCES / "kk-2024-zhastar-qanattary.md")
    pdf = tmp_path / "article.pdf"
    with make_xl.parallel_sections(meta):
        make_xl.demo.render_article_pdf(meta, pdf)
    md = extract_file(pdf, allow_ocr=False).metadata
    assert set(md.abstracts) == {"kk", "ru"}
    rec = parallel_record(41, md.titles, md.abstracts, md.keywords)
    assert rec.keywords["ru"][0] == "молодёжное крыло" and rec.keywords["kk"][0] == "жастар қанаты"
    bridge = build_bridge([], [], [rec])
    assert _link(bridge, "молодёжное крыло", "жастар қанаты").sources == ("parallel:41",)
