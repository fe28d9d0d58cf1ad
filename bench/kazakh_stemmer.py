"""Measure the Kazakh stemmer and transliteration on the shared gold data.

Run from the repository root: ``python bench/kazakh_stemmer.py``. Needs ../shared/corpus (skips if absent)
and reads /usr/share/hunspell/kk_KZ.dic when installed.
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.analysis import kazakh  # noqa: E402
from indexer.analysis.translit import cyrillic_to_latin, fold_latin_key, latin_to_cyrillic  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "text"
UPOS = ("NOUN", "VERB", "ADJ", "PROPN")


def norm(word: str) -> str:
    """Lowercase and fold ё the way the analyzer does."""
    return word.lower().replace("ё", "е")


def load_pairs() -> list[tuple[str, str, str, int]]:
    """Rows (form, lemma, upos, count) of the UD Kazakh-KTB form/lemma table."""
    rows = []
    with (CORPUS / "kk_ud_ktb_form_lemma.tsv").open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            form, lemma, upos, count = line.rstrip("\n").split("\t")
            rows.append((norm(form), norm(lemma), upos, int(count)))
    return rows


def set_wordlist(on: bool) -> None:
    """Switch the hunspell-kk word list on or off and clear the caches."""
    if on:
        os.environ.pop("KELISIM_KK_NO_WORDLIST", None)
    else:
        os.environ["KELISIM_KK_NO_WORDLIST"] = "1"
    kazakh._wordlist.cache_clear()
    kazakh.kazakh_stem.cache_clear()


def ud_report(rows: list[tuple[str, str, str, int]], label: str) -> None:
    """Print lemma-key agreement overall, per UPOS and per half (dev / held-out by lemma hash)."""
    stem = kazakh.kazakh_stem
    infl = [r for r in rows if r[2] in UPOS and r[0] != r[1]]
    ok = Counter()
    tot = Counter()
    for form, lemma, upos, count in infl:
        half = "dev" if zlib.crc32(lemma.encode()) % 2 == 0 else "held-out"
        hit = stem(form) == stem(lemma)
        for key in ("all", upos, half, "all (token-weighted)"):
            w = count if key.endswith("weighted)") else 1
            tot[key] += w
            ok[key] += w * hit
    print(f"\n[{label}] UD Kazakh-KTB inflected forms (form != lemma) on their lemma's key:")
    for key in ("all", "all (token-weighted)", "dev", "held-out", *UPOS):
        if tot[key]:
            print(f"  {key:22s} {ok[key]:5d}/{tot[key]:<5d} {100 * ok[key] / tot[key]:5.1f} %")
    nouns = [r for r in infl if r[2] in ("NOUN", "PROPN", "ADJ")]
    n_ok = sum(stem(f) == stem(lem) for f, lem, _, _ in nouns)
    print(f"  {'NOUN+PROPN+ADJ':22s} {n_ok:5d}/{len(nouns):<5d} {100 * n_ok / len(nouns):5.1f} %")
    lemmas = sorted({lem for _, lem, upos, _ in rows if upos in UPOS})
    by_key = defaultdict(set)
    for lem in lemmas:
        by_key[stem(lem)].add(lem)
    coll = sum(len(v) for v in by_key.values() if len(v) > 1)
    print(f"  distinct lemmas sharing a key with another lemma: {coll}/{len(lemmas)}"
          f" ({100 * coll / len(lemmas):.1f} %); e.g. "
          + ", ".join("/".join(sorted(v)) for v in list(v for v in by_key.values() if len(v) > 1)[:6]))


def cse_report() -> None:
    """Print agreement with the CSE gold stems and how many CSE stems are left intact."""
    stem = kazakh.kazakh_stem
    gold = [norm(s) for s in (CORPUS / "kk_cse_truestems.txt").read_text(encoding="utf-8").split()]
    text = (CORPUS / "kk_cse_stemming_sample.txt").read_text(encoding="utf-8")
    tokens = [norm(t.strip(".,")) for t in text.split() if t.strip(".,")]
    ok = exact = 0
    for tok in tokens:
        g = max((g for g in gold if tok.startswith(g)), key=len, default=tok)
        ok += stem(tok) == stem(g)
        exact += stem(tok) == kazakh._restore(g)
    print(f"  CSE sample ({len(tokens)} tokens): key(form) == key(gold stem) {ok}/{len(tokens)};"
          f" key == gold stem (devoiced) {exact}/{len(tokens)}")
    stems = [norm(s) for s in (CORPUS / "kk_cse_stems.txt").read_text(encoding="utf-8-sig").split()]
    stems = [s for s in stems if s.isalpha()]
    kept = sum(stem(s) == kazakh._restore(s) for s in stems)
    print(f"  CSE stem list: {kept}/{len(stems)} stems left intact ({100 * kept / len(stems):.1f} %)")


def hunspell_words() -> list[str]:
    """Lowercased hunspell-kk entries (empty if not installed)."""
    set_wordlist(True)
    return list(kazakh._wordlist()[1])


def translit_report(rows: list[tuple[str, str, str, int]], words: list[str]) -> None:
    """Print Cyrillic->Latin->Cyrillic round trips and fold-key collision rates."""
    print("\nTransliteration:")
    ud = sorted({f for f, *_ in rows if f.isalpha()})
    for label, items in (("UD forms", ud), ("hunspell-kk words", words)):
        if not items:
            continue
        rt = sum(latin_to_cyrillic(cyrillic_to_latin(w)) == w for w in items)
        same = sum(fold_latin_key(w) == fold_latin_key(cyrillic_to_latin(w)) for w in items)
        keys = Counter(fold_latin_key(w) for w in items)
        shared = sum(1 for w in items if keys[fold_latin_key(w)] > 1)
        print(f"  {label}: round trip {rt}/{len(items)} ({100 * rt / len(items):.1f} %);"
              f" fold(cyr) == fold(latin) {100 * same / len(items):.1f} %;"
              f" words sharing a fold key with another word {100 * shared / len(items):.1f} %"
              f" ({len(items) - len(keys)} merges)")
    fails = Counter()
    for w in words:
        back = latin_to_cyrillic(cyrillic_to_latin(w))
        if back != w:
            fails[next((a for a, b in zip(w, back) if a != b), "?")] += 1
    if fails:
        print("  round-trip failures by first differing letter:", dict(fails.most_common(8)))


def speed_report(words: list[str]) -> None:
    """Print stemming throughput with a cold and a warm cache."""
    set_wordlist(True)
    kazakh._wordlist()
    sample = words[:20000]
    kazakh.kazakh_stem.cache_clear()
    t = time.perf_counter()
    for w in sample:
        kazakh.kazakh_stem(w)
    cold = len(sample) / (time.perf_counter() - t)
    t = time.perf_counter()
    for _ in range(5):
        for w in sample:
            kazakh.kazakh_stem(w)
    warm = 5 * len(sample) / (time.perf_counter() - t)
    print(f"\nThroughput on {len(sample)} distinct words: cold {cold:,.0f} words/s, cached {warm:,.0f} words/s")


def main() -> int:
    """Run every measurement."""
    if not (CORPUS / "kk_ud_ktb_form_lemma.tsv").is_file():
        print(f"corpus not found at {CORPUS}; nothing to measure")
        return 0
    rows = load_pairs()
    words = hunspell_words()
    print(f"hunspell-kk word list: {len(words)} entries" if words else "hunspell-kk word list: not installed")
    for on in (False, True):
        if on and not words:
            continue
        set_wordlist(on)
        label = "rules + hunspell-kk" if on else "rules only"
        ud_report(rows, label)
        cse_report()
    translit_report(rows, words)
    if words:
        speed_report(words)
    return 0


if __name__ == "__main__":
    sys.exit(main())
