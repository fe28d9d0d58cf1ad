"""Realistic synthetic Russian and Kazakh articles for the scale benchmarks, deterministic by seed.

Vocabulary and morphology come from the shared corpus (``../shared/corpus/text``, see its README): the
Russian scientific-journal texts and the Kazakh news sentences plus the KTB treebank sentences, read as
plain text (those files *are* the corpus's language data; no PDF extraction is needed for them). The
generator stitches real runs of 1-6 consecutive word forms taken at random offsets of that token stream
into sentences, so

* every word form is a real inflected form (case endings, Kazakh suffix chains) in its real neighbourhood,
  so phrase queries find real bigrams;
* word frequencies follow the corpus exactly in expectation (a uniform offset samples each token with its
  corpus frequency: the corpus's Zipf curve, head and tail);
* the vocabulary is the corpus's (about 27k Russian and 16k Kazakh forms): smaller than a real archive of
  100k articles would have, which flatters dictionary-size effects a little (noted in docs/performance.md).

Articles: a ru/kk mix (``ru_share`` 0.7 by default), titles, an abstract, keywords, 1-3 authors from a pool
of plausible Russian/Kazakh names (prolific authors are commoner: Zipf over the pool), years 1995-2025, the
archive's topic slugs, kinds, pages of ~400 words, ``words`` per article (default 3,000 as in issue #8).

Analysis cost: the indexer's analyzer caches keys per word form (``indexer.analysis._keys_for``, an LRU of
300k entries), and this vocabulary fits in it, so after warm-up the analysis cost per token is that of a real
pymorphy3-with-cache run over a corpus with this vocabulary (tokenising + normalising + a cache hit).

``python bench/synth.py --count 3 --words 600`` prints sample articles.
"""
from __future__ import annotations

import argparse
import functools
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CORPUS_TEXT = REPO.parent / "shared" / "corpus" / "text"
SOURCES = {
    "ru": ("ru_scijournals_25208.txt", "ru_scijournals_51003.txt", "ru_scijournals_51832.txt",
           "ru_scijournals_53910.txt"),
    "kk": ("kk_primeminister_news_sentences.txt", "kk_ud_ktb_sentences.txt"),
}
_WORD = re.compile(r"[а-яёәғқңөұүһіА-ЯЁӘҒҚҢӨҰҮҺІ]+(?:-[а-яёәғқңөұүһіА-ЯЁӘҒҚҢӨҰҮҺІ]+)*")
_KK_ONLY = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")

TOPICS = ("interethnic-relations", "language-policy", "religion", "migration", "civic-identity", "youth",
          "history", "assembly", "ethnocultural-associations", "education", "media", "demography",
          "public-accord")
KINDS = (("article", 80), ("report", 8), ("commentary", 8), ("event", 4))

RU_SURNAMES = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков",
               "Морозов", "Волков", "Алексеев", "Лаптев", "Семенов", "Егоров", "Павлов", "Степанов", "Николаев",
               "Орлов", "Андреев", "Макаров", "Захаров", "Зайцев", "Соловьев", "Борисов", "Яковлев", "Григорьев",
               "Романов", "Воробьев", "Сергеев", "Кравченко", "Шевченко", "Бондаренко", "Ткаченко", "Ким", "Пак",
               "Цой", "Шмидт", "Мюллер", "Гарипов")
KK_SURNAMES = ("Ахметов", "Байтұрсынов", "Жұмабаев", "Сейітов", "Нұрланов", "Омаров", "Әлиев", "Сәрсенбаев",
               "Тоқаев", "Қасымов", "Есенов", "Мұқанов", "Бекмұханов", "Оспанов", "Дүйсенбаев", "Ысқақов",
               "Жақсыбеков", "Абдрахманов", "Құнанбаев", "Төлеубаев", "Серікбаев", "Әбдіхалықов", "Шәкенов",
               "Исабеков", "Мамыров", "Қалиев", "Тұрсынов", "Әуезов", "Жансүгіров", "Сыздықов")
RU_GIVEN = ("Александр", "Алексей", "Андрей", "Виктор", "Владимир", "Дмитрий", "Евгений", "Игорь", "Михаил",
            "Николай", "Сергей", "Юрий", "Анна", "Елена", "Ирина", "Мария", "Наталья", "Ольга", "Светлана",
            "Татьяна", "Людмила", "Галина")
KK_GIVEN = ("Айгүл", "Айжан", "Әсел", "Гүлнар", "Дана", "Жанар", "Зарина", "Мәдина", "Сәуле", "Ақмарал",
            "Ерлан", "Нұрлан", "Серік", "Бауыржан", "Асқар", "Ержан", "Қайрат", "Мұрат", "Талғат", "Дәурен",
            "Ахмет", "Мағжан")
RU_PATRONYMIC = ("Александрович", "Сергеевич", "Викторович", "Иванович", "Петрович", "Николаевич",
                 "Александровна", "Сергеевна", "Викторовна", "Ивановна", "Петровна", "Николаевна")


@dataclass(frozen=True)
class SynthArticle:
    """One synthetic publication (plain data; ``bench/scale.py`` turns it into an IndexDocument or DB rows)."""

    n: int                                   # 0-based number in the run (ids are n + 1)
    language: str
    title: str
    abstract: str
    keywords: tuple[str, ...]
    authors: tuple[tuple[str, str], ...]     # (surname, given names) — name shown "Surname Given"
    year: int
    kind: str
    topics: tuple[str, ...]
    pages: tuple[str, ...]                   # page texts, page i+1

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.pages)


@functools.lru_cache(maxsize=None)
def corpus_tokens(lang: str, corpus_dir: str | None = None) -> tuple[str, ...]:
    """The word-form stream (lower-cased) of one language's corpus files, in file order."""
    folder = Path(corpus_dir) if corpus_dir else CORPUS_TEXT
    toks: list[str] = []
    for name in SOURCES[lang]:
        p = folder / name
        if not p.exists():
            raise FileNotFoundError(f"shared corpus file missing: {p}")
        text = p.read_text(encoding="utf-8", errors="replace")
        if lang == "ru":
            toks.extend(w.lower() for w in _WORD.findall(text))
        else:
            for line in text.splitlines():
                # the news file is "sentence" per line (sometimes with a tab-separated id): keep Kazakh lines
                words = _WORD.findall(line)
                if words and any(ch in _KK_ONLY for ch in line):
                    toks.extend(w.lower() for w in words)
    if len(toks) < 10_000:
        raise ValueError(f"too little {lang} text in the corpus ({len(toks)} tokens)")
    return tuple(toks)


class Synth:
    """Deterministic article factory: ``article(n)`` depends only on (seed, n), so runs can be split."""

    def __init__(self, seed: int = 1, ru_share: float = 0.7, words: int = 3000, page_words: int = 400,
                 authors: int = 3000, corpus_dir: str | None = None) -> None:
        self.seed, self.ru_share, self.words, self.page_words = seed, ru_share, words, page_words
        self.tokens = {lang: corpus_tokens(lang, corpus_dir) for lang in SOURCES}
        self.content = {lang: [w for w in sorted(set(t)) if len(w) >= 6] for lang, t in self.tokens.items()}
        rng = random.Random(seed * 7919)
        self.people: list[tuple[str, str]] = []
        for i in range(authors):
            if rng.random() < 0.55:
                self.people.append((rng.choice(RU_SURNAMES), f"{rng.choice(RU_GIVEN)} {rng.choice(RU_PATRONYMIC)}"))
            else:
                sur = rng.choice(KK_SURNAMES)
                self.people.append((sur, rng.choice(KK_GIVEN)))
        self._people_cum = _zipf_cum(len(self.people), 0.8)

    # -- text pieces
    def _run(self, rng: random.Random, lang: str, n: int) -> list[str]:
        toks = self.tokens[lang]
        out: list[str] = []
        while len(out) < n:
            k = min(n - len(out), rng.randint(1, 6))
            i = rng.randrange(len(toks) - k)
            out.extend(toks[i:i + k])
        return out

    def sentence(self, rng: random.Random, lang: str, n: int | None = None) -> str:
        words = self._run(rng, lang, n or rng.randint(7, 22))
        if len(words) > 8 and rng.random() < 0.5:
            j = rng.randint(3, len(words) - 3)
            words[j] += ","
        return words[0][:1].upper() + " ".join(words)[1:] + "."

    def _page(self, rng: random.Random, lang: str, n_words: int) -> str:
        paras, para, count = [], [], 0
        while count < n_words:
            s = self.sentence(rng, lang, min(rng.randint(7, 22), max(3, n_words - count)))
            para.append(s)
            count += s.count(" ") + 1
            if len(para) >= rng.randint(3, 7):
                paras.append(" ".join(para))
                para = []
        if para:
            paras.append(" ".join(para))
        return "\n\n".join(paras)

    # -- articles
    def article(self, n: int) -> SynthArticle:
        rng = random.Random(self.seed * 1_000_003 + n)
        lang = "ru" if rng.random() < self.ru_share else "kk"
        title = self.sentence(rng, lang, rng.randint(4, 10))[:-1]
        abstract = " ".join(self.sentence(rng, lang) for _ in range(rng.randint(2, 4)))
        keywords = tuple(dict.fromkeys(rng.choice(self.content[lang]) for _ in range(rng.randint(3, 6))))
        k = rng.choices((1, 2, 3), (50, 35, 15))[0]
        authors = tuple(dict.fromkeys(self.people[i] for i in
                                      (_pick_cum(rng, self._people_cum) for _ in range(k))))
        year = min(2025, 1995 + int(rng.triangular(0, 31, 26)))
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        topics = tuple(sorted(set(rng.sample(TOPICS, rng.choices((0, 1, 2, 3), (15, 45, 30, 10))[0]))))
        total = max(50, int(rng.gauss(self.words, self.words * 0.25)))
        pages = []
        left = total
        while left > 0:
            n_words = min(left, self.page_words)
            pages.append(self._page(rng, lang, n_words))
            left -= n_words
        return SynthArticle(n, lang, title, abstract, keywords, authors, year, kind, topics, tuple(pages))

    def articles(self, count: int, start: int = 0):
        for n in range(start, start + count):
            yield self.article(n)

    # -- queries
    def query_words(self, rng: random.Random, lang: str) -> list[str]:
        """1-4 words as a reader types them: content words drawn with corpus frequency (frequent ones commoner)."""
        toks = self.tokens[lang]
        out: list[str] = []
        while len(out) < rng.choices((1, 2, 3, 4), (35, 35, 20, 10))[0]:
            w = toks[rng.randrange(len(toks))]
            if len(w) >= 5 and w not in out:
                out.append(w)
        return out

    def query_phrase(self, rng: random.Random, lang: str) -> str:
        toks = self.tokens[lang]
        while True:
            i = rng.randrange(len(toks) - 3)
            run = toks[i:i + rng.choice((2, 2, 3))]
            if all(len(w) >= 3 for w in run):
                return '"' + " ".join(run) + '"'


def to_index_document(a: SynthArticle):
    """The IndexDocument the archive would build for this article (as archive.services.indexing does)."""
    from indexer.documents import IndexDocument

    return IndexDocument(id=a.n + 1, language=a.language, titles={a.language: a.title},
                         abstracts={a.language: a.abstract}, keywords=a.keywords,
                         authors=tuple(f"{s} {g}" for s, g in a.authors),
                         person_ids=(), pages=tuple((i + 1, t) for i, t in enumerate(a.pages)), year=a.year,
                         kind=a.kind, topics=a.topics)


def _zipf_cum(n: int, s: float) -> list[float]:
    acc, out = 0.0, []
    for r in range(1, n + 1):
        acc += 1.0 / r ** s
        out.append(acc)
    return out


def _pick_cum(rng: random.Random, cum: list[float]) -> int:
    import bisect

    return min(len(cum) - 1, bisect.bisect_left(cum, rng.random() * cum[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2)
    ap.add_argument("--words", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    s = Synth(seed=a.seed, words=a.words)
    for art in s.articles(a.count):
        print(f"#{art.n} [{art.language}] {art.year} {art.kind} {art.topics} — {art.title}")
        print("  by", "; ".join(f"{x} {y}" for x, y in art.authors), "| keywords:", ", ".join(art.keywords))
        print("  abstract:", art.abstract[:300])
        print(f"  {len(art.pages)} pages, {art.words} words; page 1: {art.pages[0][:400]}\n")


if __name__ == "__main__":
    main()
