"""textlang.detect_language: the one detector that uploads (metadata) and indexer (analysis) share."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import REPO
from textlang import detect_language


CASES = [
        # plain sentences
        ("В статье рассматриваются вопросы развития системы образования в регионе.", "ru"),
        ("Мақалада қазақ тіліндегі терминдердің қалыптасу жолдары қарастырылады.", "kk"),
        ("The article considers the development of the education system in the region.", "en"),
        ("Бұл жұмыста біз Ыбырай Алтынсариннің шығармаларын талдаймыз.", "kk"),
        # a Russian sentence that quotes Kazakh names: both old detectors said "kk"
        ("В статье рассматривается творчество Ахмета Байтұрсынұлы и Мағжана Жұмабаева.", "ru"),
        ("Институт ядерных проблем БГУ: 30 лет научных исследований", "ru"),
        # a short Kazakh heading: the metadata detector said "" (fewer than 15 letters counted)
        ("Абай Құнанбаев", "kk"),
        ("Алматы қаласы, 2016 жыл", "kk"),
        # Latin-script Kazakh (2021 alphabet, q for қ): both old detectors said "en"
        ("Qazaqstan Respublikasynyñ memlekettik tili — qazaq tili.", "kk"),
        ("Qazaq tili — memlekettik til, onyñ damuy bärimizdiñ mindetimiz.", "kk"),
        # English titles in capitals stay English
        ("THE USAGE OF THE LITERARY TEXT IN THE TEACHING OF A FOREIGN LANGUAGE", "en"),
        # a Kazakh sentence with an English clause is Kazakh
        ("Бұл мақала ағылшын тілінде жазылған: the article is written in English.", "kk"),
        # a Kazakh sentence whose only Kazakh-letter word is short still reads as Kazakh
        ("Эльбурс тауы беткейінде 2000 мм, Систан ойысында 50 — 60 мм.", "kk"),
        # too little text
        ("Абай", ""),
        ("", ""),
        ("12345 ... 67", ""),
]


@pytest.mark.parametrize("text, lang", CASES)
def test_detect_language_ru_kk_en_mixed_latin(text: str, lang: str) -> None:
    assert detect_language(text) == lang


_WITHOUT_MODEL = """
import json, sys
import textlang
answers = [textlang.detect_language(t, model=False) for t in json.load(sys.stdin)]
print(json.dumps({"answers": answers, "loaded": textlang._identifier is not None}))
"""


def test_without_the_model_an_undecided_text_gets_no_answer_and_the_model_is_never_loaded() -> None:
    """``model=False`` (what a web page shows): every answer the letters give is the classifier's too; a text they
    leave undecided gets "" (the caller's surrounding language), and the ~100 MB model stays unloaded."""
    import json

    texts = [t for t, _ in CASES]
    texts.append("Ассамблея провела встречу «Қоғамдық келісім» и обсудила планы на 2024 год в Алматы.")
    out = subprocess.run([sys.executable, "-c", _WITHOUT_MODEL], input=json.dumps(texts), capture_output=True,
                         text=True, cwd=REPO, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert not got["loaded"]
    with_model = [detect_language(t) for t in texts]
    assert all(a in ("", m) for a, m in zip(got["answers"], with_model)), list(zip(texts, got["answers"], with_model))
    undecided = {t for t, a in zip(texts, got["answers"]) if a == "" and detect_language(t) != ""}
    assert undecided == {texts[-1], "В статье рассматривается творчество Ахмета Байтұрсынұлы и Мағжана Жұмабаева.",
                         "Эльбурс тауы беткейінде 2000 мм, Систан ойысында 50 — 60 мм."}


def test_default_is_returned_when_too_short() -> None:
    assert detect_language("Абай", "kk") == "kk"
    assert detect_language("", "ru") == "ru"


def test_uploads_and_indexer_give_the_same_answer() -> None:
    from indexer.analysis.language import detect_language as indexer_detect
    from uploads.metadata import detect_language as metadata_detect

    for text in ("В статье рассматривается творчество Ахмета Байтұрсынұлы.", "Абай Құнанбаев",
                 "Qazaq tili — memlekettik til, onyñ damuy bärimizdiñ mindetimiz.", "Тіл саясаты"):
        assert metadata_detect(text) == indexer_detect(text) == detect_language(text)


def test_textlang_imports_nothing_of_the_project() -> None:
    code = ("import sys; import textlang; textlang.detect_language('Мақалада тіл саясаты қарастырылады.'); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'archive', 'uploads', 'indexer')); print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("rel, lang, minimum", [
    ("text/kk_ud_ktb_sentences.txt", "kk", 0.99),
    ("text/kk_primeminister_news_sentences.txt", "kk", 0.99),
])
def test_corpus_sentences(rel: str, lang: str, minimum: float) -> None:
    from support import corpus_path

    lines = [ln.strip() for ln in corpus_path(rel).read_text(encoding="utf-8").splitlines() if len(ln.strip()) > 40]
    sample = lines[:400]
    hits = sum(detect_language(s) == lang for s in sample)
    assert hits / len(sample) >= minimum


_ALPHABET = ("абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ" "әғқңөұүһіӘҒҚҢӨҰҮҺІəƏ"
             "їєґЇЄҐ" "abcqzXYZäğıñöūüş" "ԀԁѠѡӀӁ" "αβγ" "0123456789²Ⅻ" " ,.—_-\n«»()'")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=120), st.sampled_from(["", "ru", "kk"]))
def test_the_plain_russian_shortcut_answers_as_the_general_path(text: str, default: str) -> None:
    import textlang

    assert detect_language(text, default) == (textlang._detect(text[:textlang._SAMPLE], default) if text else default)


def test_the_plain_russian_shortcut_on_corpus_paragraphs() -> None:
    import textlang
    from support import CORPUS

    folder = CORPUS / "text"
    if not folder.is_dir():
        pytest.skip("shared corpus absent")
    n = shortcut = 0
    for path in sorted(folder.glob("*.txt"))[:12]:
        for para in path.read_text(encoding="utf-8", errors="replace").split("\n\n")[:300]:
            n += 1
            shortcut += textlang._NOT_PLAIN_RUSSIAN.search(para[:textlang._SAMPLE]) is None
            assert detect_language(para) == textlang._detect(para[:textlang._SAMPLE], ""), para[:200]
    assert n and shortcut          # the corpus has paragraphs of both paths


@pytest.mark.parametrize("sep", [" ", " 12, ", "—", "\n\n1.5 ", "_"])
@pytest.mark.parametrize("extra", [-2, -1, 0, 1])
def test_the_plain_russian_shortcut_counts_letters_at_the_threshold(sep: str, extra: int) -> None:
    import textlang

    n = textlang._MIN_LETTERS + extra
    words = ["абв"] * (n // 3) + (["г" * (n % 3)] if n % 3 else [])
    text = "1. " + sep.join(words) + sep + "2024."
    assert textlang._NOT_PLAIN_RUSSIAN.search(text) is None            # the shortcut's own path
    assert sum(map(len, textlang._WORD.findall(text))) == n
    want = "ru" if n >= textlang._MIN_LETTERS else "kk"
    assert detect_language(text, "kk") == textlang._detect(text, "kk") == want


_RU_WORDS = ("в статье рассматриваются вопросы межэтнического согласия и языковой политики в современном "
             "обществе а также роль общественных организаций и научного сообщества").split()


@pytest.mark.parametrize("words, kazakh, asked", [
    (20, 1, False),      # a long Russian paragraph quoting one Kazakh word: Russian, py3langid not asked
    (40, 2, False),
    (19, 1, True),       # shorter, or more Kazakh words: py3langid decides, as before
    (20, 2, True),
    (40, 3, True),
])
def test_a_long_russian_paragraph_quoting_a_kazakh_word_is_russian_by_its_letters(words, kazakh, asked,
                                                                                  monkeypatch) -> None:
    import textlang

    calls = []
    real = textlang._classify
    monkeypatch.setattr(textlang, "_classify", lambda sample: calls.append(sample) or real(sample))
    text = " ".join((_RU_WORDS * 3)[:words - kazakh] + ["Қазақстан", "Әуезов", "Құнанбаев"][:kazakh]) + "."
    assert detect_language(text, "kk") == "ru"
    assert bool(calls) == asked


def test_the_quoting_rule_changes_no_answer_on_the_corpus(monkeypatch) -> None:
    """The rule above answers what py3langid answers for every paragraph and line of the shared corpus's texts
    (Russian, Kazakh and the Kyrgyz abstracts among them)."""
    import textlang
    from support import CORPUS

    folder = CORPUS / "text"
    if not folder.is_dir():
        pytest.skip("shared corpus absent")
    texts = []
    for path in sorted(folder.glob("*.txt")):
        body = path.read_text(encoding="utf-8", errors="replace")
        texts += [t for t in body.split("\n\n") + body.splitlines() if len(t) > 40]
    with_rule = [textlang._detect(t[:textlang._SAMPLE], "") for t in texts]
    monkeypatch.setattr(textlang, "_QUOTING_WORDS", 10 ** 9)
    assert [textlang._detect(t[:textlang._SAMPLE], "") for t in texts] == with_rule
