"""Judge, repair and clean the text of extracted pages (pure functions on strings).

``judge_page`` names what is wrong with a page's text layer, ``repair_page`` undoes the
reversible damage (CP1251-read-as-Latin-1, constant-offset shifted Cyrillic, Latin schwa and
look-alike letters inside Cyrillic words), ``needs_ocr`` says whether what is left calls for OCR
(``wants_ocr`` adds what the page shows), ``clean_pages`` removes running headers/footers and page
numbers, joins hyphenated words and normalises the text while keeping paragraph breaks, and
``strip_xml_forbidden`` drops the characters XML 1.0 cannot carry.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter

logger = logging.getLogger(__name__)

__all__ = [
    "PROBLEM_CODES",
    "OCR_PROBLEMS",
    "judge_page",
    "repair_page",
    "needs_ocr",
    "wants_ocr",
    "little_text",
    "clean_pages",
    "text_stats",
    "strip_xml_forbidden",
]

PROBLEM_CODES = (
    "empty",
    "cid",
    "private-use",
    "mojibake-cp1251",
    "shifted-cyrillic",
    "kazakh-ocr-without-kazakh",
    "soup",
    "replacement-chars",
)

# Problems that make the text layer unusable: such a page has to be OCR'd.
OCR_PROBLEMS = frozenset(PROBLEM_CODES)

# --------------------------------------------------------------------------- character classes

_CID_RE = re.compile(r"\(cid:\d+\)")
_KK_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Cyrillic letters used by other Cyrillic-script languages: their presence means "not Russian".
_OTHER_CYR = _KK_LETTERS | set("ўЎїЇєЄґҐђЂјЈљЉњЊћЋџЏѓЃќЌѕЅҳҲҷҶӣӢӯӮ")
# CP1251 Cyrillic bytes read as Latin-1: À-ÿ (А-я), ¨ (Ё), ¸ (ё), plus ª º ¯ ¿ ² ³ ¥ ´ (Ukr./Bel.).
_MOJI_CHARS = "\u00c0-\u00ff\u00a8\u00b8"
# UTF-8 Cyrillic read as CP1251: "РїСЂРё" (при), "Ð" pairs are handled by ftfy as well.
_UTF8_AS_CP1251_RE = re.compile("Р[°±Ііґµ¶·ёё№є»јЅѕї]|С[ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏ]")
_MOJI_RUN_RE = re.compile(f"[{_MOJI_CHARS}]{{3,}}")
_MOJI_FIX_RE = re.compile(f"(?<![A-Za-z])[{_MOJI_CHARS}\u00aa\u00ba\u00af\u00bf\u00b2\u00b3\u00a5\u00b4\u00b9\u00ab\u00bb\u0096\u0097\u0093\u0094\u0084\u0085]+(?![A-Za-z])")
# Shifted Cyrillic: А..я moved by -0x1D6 into U+023A..U+0279 (Latin Extended-B / IPA).
_SHIFT = 0x1D6
_SCHWA = "\u0259\u018f"
_RU_STOP = frozenset(
    "и в не на что с по к о из для как от это а у за же при то или так его он она они но бы "
    "был была были мы вы все его их также этот эта эти который которые которая может только".split()
)
# Frequent Kazakh words that contain no Kazakh-specific letter (and their OCR-mangled variants).
_KK_PLAIN = frozenset(
    "мен деп да де бар жок жоқ бул ол сен бiр б1р жэне пен бен кен деген туралы тек жан жер ел "
    "бас кун бала балалар бiз б1з сол осы мына ендi енд1 болып болса болды деп едi ед1 ма ме ба бе "
    "па пе екен емес жаксы жақсы калай кайда кім к1м ким не неге".split()
)
_WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", re.UNICODE)
_TOKEN_RE = re.compile(r"\S+")


def _is_cyr(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _is_pua(ch: str) -> bool:
    o = ord(ch)
    return 0xE000 <= o <= 0xF8FF or 0xF0000 <= o <= 0x10FFFD


def text_stats(text: str) -> dict[str, float]:
    """Character and word statistics of one page, used by ``judge_page`` (exposed for benches)."""
    t = _CID_RE.sub(" ", text)
    nonspace = [c for c in t if not c.isspace() and c not in "\ufffe\u00ad"]
    n = len(nonspace)
    cyr = sum(1 for c in nonspace if _is_cyr(c))
    letters = sum(1 for c in nonspace if c.isalpha())
    latin = sum(1 for c in nonspace if c.isascii() and c.isalpha())
    ctrl = sum(1 for c in nonspace if unicodedata.category(c) == "Cc")
    pua = sum(1 for c in nonspace if _is_pua(c))
    fffd = sum(1 for c in nonspace if c == "\ufffd")
    shifted = sum(1 for c in nonspace if "\u0220" <= c <= "\u0290" and c not in _SCHWA)
    kk = sum(1 for c in nonspace if c in _KK_LETTERS)
    other_cyr = sum(1 for c in nonspace if c in _OTHER_CYR)
    moji_runs = _MOJI_RUN_RE.findall(t)
    moji_letters = sum(len(r) for r in moji_runs)
    symbols = sum(1 for c in nonspace if not c.isalnum())
    digits = sum(1 for c in nonspace if c.isdigit())
    words = [w.lower() for w in _WORD_RE.findall(t)]
    cyr_words = [w for w in words if len(w) >= 1 and all(_is_cyr(c) for c in w)]
    ru_stop = sum(1 for w in cyr_words if w in _RU_STOP)
    kk_plain = sum(1 for w in cyr_words if w in _KK_PLAIN)
    # OCR damage inside Cyrillic words: digits 1/3/6/0, '*', '©', '$', '£' or Latin letters glued to Cyrillic.
    glued = len(re.findall(r"(?<=[а-яА-ЯёЁ])[13690*$£@©]|[13690*$£@©](?=[а-яА-ЯёЁ])", t))
    mixed = len(re.findall(r"(?<=[а-яА-ЯёЁ])[a-zA-Z]|[a-zA-Z](?=[а-яА-ЯёЁ])", t))
    tokens = _TOKEN_RE.findall(t)
    weird = sum(
        1
        for tok in tokens
        if len(tok) >= 4 and sum(1 for c in tok if c.isalpha()) >= 1
        and sum(1 for c in tok if c in "$%&'()*+<=>?@[]^{}|~\\#!\"/;:") >= 2
        and not re.search(r"https?:|www\.|@[\w.-]+\.\w+|\.\w", tok)
    )
    return {
        "n": n,
        "cid": len(_CID_RE.findall(text)),
        "letters": letters,
        "cyr": cyr,
        "latin": latin,
        "ctrl": ctrl,
        "pua": pua,
        "fffd": fffd,
        "shifted": shifted,
        "kk": kk,
        "other_cyr": other_cyr,
        "moji_letters": moji_letters,
        "moji_runs": len(moji_runs),
        "utf8_as_cp1251": len(_UTF8_AS_CP1251_RE.findall(t)),
        "symbols": symbols,
        "digits": digits,
        "words": len(words),
        "cyr_words": len(cyr_words),
        "long_cyr_words": sum(1 for w in cyr_words if len(w) >= 20),
        "ru_stop": ru_stop,
        "kk_plain": kk_plain,
        "glued": glued,
        "mixed": mixed,
        "tokens": len(tokens),
        "weird": weird,
    }


# --------------------------------------------------------------------------- judging


def judge_page(text: str) -> list[str]:
    """Return the problem codes found in one page's text (empty list = the text looks fine)."""
    s = text_stats(text)
    problems: list[str] = []
    n = s["n"]
    # Formulas in math fonts give a few (cid:NN) on good pages; a broken font gives mostly cid.
    if s["cid"] >= 3 and s["cid"] >= 0.4 * (s["words"] + s["cid"]):
        problems.append("cid")
    if _short(s):
        # Too little to judge. Letters ("Раздел 17", "Итоги") are real text and no problem; only a page
        # without letters (nothing, a bare page number) is "empty". Whether a short page is really a scan
        # with a stray text layer is the caller's question: it can see if the page carries a picture.
        if "cid" not in problems and s["letters"] == 0:
            problems.append("empty")
        return problems
    if s["pua"] >= 10 and s["pua"] > 0.10 * n:
        problems.append("private-use")
    if s["fffd"] >= 10 and s["fffd"] > 0.05 * n:
        problems.append("replacement-chars")
    letters = max(s["letters"], 1)
    if (s["moji_runs"] >= 3 and s["moji_letters"] > 0.15 * letters) or (
        s["utf8_as_cp1251"] >= 5 and s["utf8_as_cp1251"] > 0.1 * s["cyr_words"]
    ):
        problems.append("mojibake-cp1251")
    if s["shifted"] >= 20 and s["shifted"] > 0.3 * letters:
        problems.append("shifted-cyrillic")
    cyr_letters = max(s["cyr"], 1)
    kk_markers = s["kk_plain"] + s["glued"] + s["mixed"]
    if (
        s["cyr_words"] >= 15
        and s["cyr"] > 0.5 * letters
        and s["kk"] < 0.004 * cyr_letters
        and s["ru_stop"] < 0.12 * s["cyr_words"]
        and kk_markers >= max(5, 0.05 * s["cyr_words"])
    ):
        problems.append("kazakh-ocr-without-kazakh")
    rest = n - s["pua"] - s["fffd"]  # PUA and U+FFFD have codes of their own
    if rest >= 30:
        ctrl_ratio = s["ctrl"] / rest
        letter_ratio = s["letters"] / rest
        weird_ratio = s["weird"] / max(s["tokens"], 1)
        glued_words = s["long_cyr_words"] >= 5 and s["long_cyr_words"] > 0.05 * s["cyr_words"]
        if (
            ctrl_ratio > 0.05
            or weird_ratio > 0.25
            or (letter_ratio < 0.25 and s["words"] < 40)
            or glued_words  # word spaces lost: "Криворожскийтехническийуниверситет"
        ):
            problems.append("soup")
    return problems


def _short(s: dict[str, float]) -> bool:
    return s["n"] + s["cid"] < 12 or (s["letters"] < 5 and s["cid"] < 3 and s["n"] < 40)


def little_text(text: str) -> bool:
    """True when a page holds too little text to judge (a heading, a page number or nothing)."""
    if sum(1 for c in text if not c.isspace()) >= 40:
        return False
    return _short(text_stats(text))


def needs_ocr(problems: list[str]) -> bool:
    """True when the remaining problems make the text layer unusable (OCR the page instead)."""
    return any(p in OCR_PROBLEMS for p in problems)


def wants_ocr(text: str, problems: list[str], picture: bool | None) -> bool:
    """Whether a PDF page goes to OCR: its text layer is broken, or it holds little text and shows a picture.

    ``picture`` says whether the page draws a scan-sized image or a lot of vector paths (None: unknown).
    A page with a short real line and nothing else to see ("Раздел 17") is read from its text layer: OCR
    could only find the same line again, at about a second a page.
    """
    if any(p in OCR_PROBLEMS and p != "empty" for p in problems):
        return True
    if picture is None:
        return "empty" in problems
    return picture and ("empty" in problems or little_text(text))


# --------------------------------------------------------------------------- repairs


def _fix_mojibake_run(m: re.Match[str]) -> str:
    run = m.group(0)
    try:
        fixed = run.encode("latin-1").decode("cp1251")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run
    # Only accept when the result is (mostly) Cyrillic: a lone "é" in a French name stays.
    cyr = sum(1 for c in fixed if _is_cyr(c))
    if cyr >= 0.6 * sum(1 for c in fixed if c.isalpha()):
        return fixed
    return run


def _fix_mojibake(text: str) -> str:
    """Re-decode each run of Latin-1 characters that is really CP1251 Cyrillic."""
    return _MOJI_FIX_RE.sub(_fix_mojibake_run, text)


# Shifted block: build the reverse table. А..я (U+0410..U+044F) appear at U+023A..U+0279.
_UNSHIFT: dict[int, str] = {cp: chr(cp + _SHIFT) for cp in range(0x023A, 0x027A)}
# Letters after я come with offset +0x1D7 (the font skipped U+0450): ё ђ ѓ є ѕ і ї.
_UNSHIFT.update({cp: chr(cp + _SHIFT + 1) for cp in range(0x027A, 0x0281)})
# Upper-case Ё..Џ (U+0401..U+040F) sit at U+022B..U+0239.
_UNSHIFT.update({cp: chr(cp + _SHIFT) for cp in range(0x022B, 0x023A)})
_UNSHIFT[0x028B] = "№"


def _fix_shifted(text: str) -> str:
    """Move Cyrillic that was shifted by a constant offset back into the Cyrillic block."""
    out = []
    for ch in text:
        o = ord(ch)
        if o in _UNSHIFT:
            out.append(_UNSHIFT[o])
        elif 0x03 <= o <= 0x1F and ch not in "\t\n\r\x0b\x0c":
            # In the same fonts ASCII punctuation is shifted down by 0x1D ('.' -> U+0011).
            out.append(chr(o + 0x1D))
        else:
            out.append(ch)
    return "".join(out)


_LOOKALIKE = {
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і",
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "I": "І",
    "\u0259": "\u04d9", "\u018f": "\u04d8",
}
_LETTERS_RE = re.compile(r"[^\W\d_]+")


def _fix_lookalikes(text: str) -> str:
    """Replace Latin look-alike letters (and the Latin schwa) inside Cyrillic words by Cyrillic ones.

    A word is changed only when it has at least one Cyrillic letter and every Latin letter in it
    has a Cyrillic twin ("Cобиржонов", "əдісін"); words with other Latin letters ("сoli") are
    left alone. Latin i/I become Cyrillic і/І only on pages that already use Kazakh letters.
    """
    kazakh_page = sum(1 for c in text if c in _KK_LETTERS) >= 3 or "\u0259" in text

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        latin = [c for c in w if not _is_cyr(c)]
        if not latin:
            return w
        if len(latin) == len(w) and not (kazakh_page and all(c in _SCHWA for c in w)):
            return w
        if any(c not in _LOOKALIKE for c in latin):
            return w
        if not kazakh_page and any(c in "iI" for c in latin):
            return w
        return "".join(_LOOKALIKE.get(c, c) for c in w)

    return _LETTERS_RE.sub(fix, text)


def _ftfy_fix(text: str) -> str:
    try:
        import ftfy  # noqa: PLC0415  (optional dependency)
    except ImportError:  # pragma: no cover - ftfy is installed in the venv
        return text
    return ftfy.fix_text(
        text,
        unescape_html=False,
        fix_latin_ligatures=True,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        normalization="NFC",
    )


def repair_page(text: str) -> tuple[str, list[str], bool]:
    """Undo reversible damage; return (text, problems that remain, whether anything was repaired)."""
    problems = judge_page(text)
    base = unicodedata.normalize("NFC", text)
    fixed = text
    if "shifted-cyrillic" in problems:
        fixed = _fix_shifted(fixed)
    if "mojibake-cp1251" in problems:
        fixed = _fix_mojibake(fixed)
        if "mojibake-cp1251" in judge_page(fixed):
            # not CP1251-as-Latin-1: let ftfy try (UTF-8 read as CP1251, double encodings, ...)
            candidate = _ftfy_fix(fixed)
            if "mojibake-cp1251" not in judge_page(candidate):
                fixed = candidate
    fixed = _fix_lookalikes(fixed)
    fixed = unicodedata.normalize("NFC", fixed)
    if fixed == base:
        return base, problems, False
    remaining = judge_page(fixed)
    if len(remaining) > len(problems):
        logger.debug("repair made things worse (%s -> %s); keeping original", problems, remaining)
        return base, problems, False
    return fixed, remaining, True


# --------------------------------------------------------------------------- cleaning

_SOFT_HYPHENS = "\u00ad\ufffe"
_PAGE_NO_RE = re.compile(r"^\s*[-–—]?\s*(?:[Сс]\.\s*|[Pp]age\s+|[Бб]ет\s+)?\d{1,4}\s*[-–—]?\s*$")
_DIGITS_RE = re.compile(r"\d+")
_HYPHEN_END_RE = re.compile(r"([^\W_])[-\u2010\u2011]$")


def _norm_line_key(line: str) -> str:
    return _DIGITS_RE.sub("#", re.sub(r"\s+", " ", line.strip())).lower()


def _find_running_lines(pages_lines: list[list[str]]) -> set[str]:
    """Keys of lines that recur near the top or bottom of many pages (running headers/footers)."""
    n = len(pages_lines)
    if n < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages_lines:
        content = [ln for ln in lines if ln.strip()]
        if sum(1 for ln in content if not _is_page_number(ln)) < 2:
            # A line alone on its page ("Раздел 17") heads or foots nothing: it is the page's text.
            continue
        edge = content[:3] + content[-3:]
        keys = {_norm_line_key(ln) for ln in edge}
        counts.update(k for k in keys if k and k != "#")
    threshold = max(3, int(0.3 * n))
    return {k for k, c in counts.items() if c >= threshold and len(k) >= 3}


def _is_page_number(line: str) -> bool:
    return bool(_PAGE_NO_RE.match(line))


_COMPOUND_HEAD_RE = re.compile(r"(?:[ьилч]но|ско|ико|ого|ево|ово|еско)$")
_PARTICLE_TAILS = frozenset({"то", "либо", "нибудь", "таки", "ка", "де", "тко"})
_PARTICLE_HEADS = frozenset({"кое", "кой"})


def _join_hyphen(prev: str, nxt: str, vocab: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Join a line ending in "слово-" with the next line; None when the line does not end in a hyphen.

    The hyphen is dropped ("меж-" + "этнических") unless the document elsewhere spells the
    hyphenated form on one line, the next part starts with a capital or is a particle ("-то"),
    or the head is a typical compound stem ("социально-", "физико-", "эколого-") and the joined
    form does not occur elsewhere in the document.
    """
    m = _HYPHEN_END_RE.search(prev)
    if not m:
        return None
    nxt_s = nxt.lstrip()
    if not nxt_s:
        return None
    head_m = re.search(r"[^\W\d_]+$", prev[:-1])
    head = head_m.group(0) if head_m else ""
    tail_m = re.match(r"[^\W\d_]+", nxt_s)
    tail = tail_m.group(0) if tail_m else ""
    if not tail or not head:
        return prev + nxt_s  # "2010-" + "2011", "XX-" + "..." : keep the hyphen, no space
    if not tail[0].islower():
        return prev + nxt_s  # "Кирово-Чепецкий", "Ростов-на-Дону"
    hl, tl = head.lower(), tail.lower()
    if hl in _PARTICLE_HEADS or tl in _PARTICLE_TAILS:
        return prev + nxt_s
    hyphenated, joined = f"{hl}-{tl}", f"{hl}{tl}"
    if hyphenated in vocab and joined not in vocab:
        return prev + nxt_s
    if joined in vocab:
        return prev[:-1] + nxt_s
    if len(hl) >= 6 and len(tl) >= 4 and _COMPOUND_HEAD_RE.search(hl):
        return prev + nxt_s
    return prev[:-1] + nxt_s


_VOCAB_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


def _document_vocab(pages_lines: list[list[str]]) -> set[str]:
    """Lower-cased words (including hyphenated compounds) that occur inside lines, not at their ends."""
    vocab: set[str] = set()
    for lines in pages_lines:
        for ln in lines:
            s = ln.rstrip()
            if s.endswith(("-", "\u00ad", "\ufffe")):
                s = s[: s.rfind(" ") + 1] if " " in s else ""
            for w in _VOCAB_RE.findall(s):
                vocab.add(w.lower())
    return vocab


def _clean_page_lines(lines: list[str], running: set[str]) -> list[str]:
    out: list[str] = []
    content_idx = [i for i, ln in enumerate(lines) if ln.strip()]
    edge = set(content_idx[:3] + content_idx[-3:])
    for i, ln in enumerate(lines):
        if ln.strip() and i in edge:
            if _is_page_number(ln):
                continue
            if _norm_line_key(ln) in running:
                continue
        out.append(ln)
    return out


def _page_to_paragraphs(lines: list[str], vocab: set[str] | frozenset[str] = frozenset()) -> list[str]:
    paragraphs: list[str] = []
    cur = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            if cur:
                paragraphs.append(cur)
                cur = ""
            continue
        if not cur:
            cur = line
            continue
        if cur.endswith(tuple(_SOFT_HYPHENS)):
            cur = cur.rstrip(_SOFT_HYPHENS) + line
            continue
        joined = _join_hyphen(cur, line, vocab)
        if joined is not None:
            cur = joined
        else:
            cur = cur + " " + line
    if cur:
        paragraphs.append(cur)
    return paragraphs


def clean_pages(pages: list[str]) -> list[str]:
    """Drop running headers/footers and page numbers, join hyphenations, NFC, keep paragraph breaks."""
    pages_lines = [p.replace("\r\n", "\n").replace("\r", "\n").split("\n") for p in pages]
    running = _find_running_lines(pages_lines)
    vocab = _document_vocab(pages_lines)
    cleaned: list[str] = []
    for lines in pages_lines:
        kept = _clean_page_lines(lines, running)
        paras = _page_to_paragraphs(kept, vocab)
        text = "\n\n".join(paras)
        # soft hyphens that were not at a line end are invisible: drop them
        text = text.replace("\u00ad", "").replace("\ufffe", "")
        cleaned.append(unicodedata.normalize("NFC", text))
    return cleaned


# --------------------------------------------------------------------------- XML safety

# What XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE, U+FFFF): one such
# character in an exported record makes every XML export of it fail.
_XML_FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def has_xml_forbidden(text: str) -> bool:
    """Whether ``text`` holds a character XML 1.0 forbids."""
    return _XML_FORBIDDEN_RE.search(text) is not None


def strip_xml_forbidden(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids; everything else is kept as it is."""
    return _XML_FORBIDDEN_RE.sub("", text)
