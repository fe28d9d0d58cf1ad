"""Metadata accuracy per field on real and rendered input, through the upload pipeline.

Run: /work/main/.venv/bin/python bench/metadata.py [-v] [--no-ocr] [--cache DIR] [--only SECTION ...]

Sections (truth is never taken from the code under test):
  corpus    the MANIFEST PDFs, scans and DOCX, read by ``uploads.pipeline.extract_file`` (first 12 and last 2 pages, with the
            file's /Info), truth in bench/data/corpus_truth.json (hand-checked)
  sci-text  ru_scijournals articles as tagged text; truth from the tags and bench/data/scijournals_truth.json
  sci-pdf   12 of them laid out with reportlab and read back through the pipeline
  unseen    40 articles of our own writing, rendered in varied layouts; truth kept by the generator below
  volumes   the two corpus volumes and the demo volume: front matter (title, place, event, year) and 35 articles
            (title, every author, printed pages, abstract) from bench/data/volumes_truth.json

Fields: title (normalised equal or difflib ratio >= 0.9), cut (a proposed title that is a beginning of the true
one), authors = every author's surname right and nothing more, first author, year (exact; "false" counts a year
where none is printed), abstract / keywords (found when printed, nothing when not), volume title (starts with the
truth), place (equal), event (contains the event's own name), printed pages (first and last).
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _p in (REPO_ROOT, REPO_ROOT / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from uploads.metadata import extract_metadata  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
DATA = REPO_ROOT / "bench" / "data"
MAX_PAGES = 12
TAIL_PAGES = 2          # the last pages too: the pipeline reads the whole file, and a colophon or dateline ends it
# Part of the cache key: a change to what the bench hands the pipeline (pages kept, /Info) invalidates the cache.
INPUTS_VERSION = b"head12+tail2+info"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SECTIONS = ("corpus", "sci-text", "sci-pdf", "unseen", "volumes")
FIELDS = ("title", "cut", "authors", "first author", "year", "abstract", "keywords", "volume title", "place",
          "event", "printed pages")


# ------------------------------------------------------------------------------------------
# Scoring
# ------------------------------------------------------------------------------------------


def norm_title(s: str) -> str:
    """Lower-case, drop punctuation and collapse spaces so that only the words are compared."""
    s = (s or "").lower().replace("ё", "е")
    s = re.sub(r"[^\w]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def title_ok(pred: str, gold: str) -> bool:
    """Title matches when the normalised strings are equal or their ratio is at least 0.9."""
    a, b = norm_title(pred), norm_title(gold)
    if not a or not b:
        return False
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= 0.9


def title_cut(pred: str, gold: str) -> bool:
    """A proposed title that stops early: a proper beginning of the true title, at least a word short."""
    a, b = norm_title(pred), norm_title(gold)
    return bool(a) and len(b.split()) > len(a.split()) and b.startswith(a) and not title_ok(pred, gold)


def surname_key(s: str) -> str:
    """Surnames compare in lower case with ё as е."""
    return re.sub(r"\s+", " ", (s or "").lower().replace("ё", "е")).strip()


def pred_surnames(md) -> list[str]:
    """Surnames the extractor returned, in order."""
    return [surname_key(a.surname or a.name) for a in md.authors if (a.surname or a.name)]


@dataclass
class Score:
    """ok / n per field for one section, and the misses for -v."""

    ok: dict[str, int] = field(default_factory=dict)
    n: dict[str, int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, ok: bool, note: str = "") -> None:
        self.n[name] = self.n.get(name, 0) + 1
        self.ok[name] = self.ok.get(name, 0) + int(ok)
        if not ok and note:
            self.misses.append(f"{name}: {note}")

    def ratio(self, name: str) -> float:
        return self.ok.get(name, 0) / self.n[name] if self.n.get(name) else 1.0

    def cell(self, name: str) -> str:
        if not self.n.get(name):
            return ""
        return f"{self.ok[name]}/{self.n[name]} {100.0 * self.ok[name] / self.n[name]:.0f}%"


def score_article(sc: Score, md, truth: dict, label: str) -> None:
    """Score one article's metadata against a truth record (title, authors, year, has_abstract, has_keywords)."""
    if truth.get("title"):
        sc.add("title", title_ok(md.title, truth["title"]), f"{label}: {md.title[:90]!r} != {truth['title'][:90]!r}")
        # "cut" counts titles that are NOT cut, so that 100 % is the goal like everywhere else
        sc.add("cut", not title_cut(md.title, truth["title"]), f"{label}: {md.title[:90]!r}")
    if "authors" in truth:
        gold = [surname_key(x) for x in (truth["authors"] or [])]
        got = pred_surnames(md)
        sc.add("authors", sorted(got) == sorted(gold), f"{label}: {got} != {gold}")
        if gold:
            sc.add("first author", bool(got) and got[0] == gold[0], f"{label}: {got[:1]} != {gold[:1]}")
    if "year" in truth:
        sc.add("year", md.year == truth["year"], f"{label}: {md.year} != {truth['year']}")
    if "has_abstract" in truth:
        sc.add("abstract", bool(md.abstracts) == truth["has_abstract"],
               f"{label}: {list(md.abstracts)} (printed: {truth['has_abstract']})")
    if "has_keywords" in truth:
        sc.add("keywords", bool(md.keywords) == truth["has_keywords"],
               f"{label}: {md.keywords[:2]} (printed: {truth['has_keywords']})")


# ------------------------------------------------------------------------------------------
# The upload pipeline, with its metadata inputs captured (and cached: OCR is slow)
# ------------------------------------------------------------------------------------------


def _pipeline_key(path: Path, ocr: bool) -> str:
    h = hashlib.sha256(path.read_bytes())
    for src in sorted((REPO_ROOT / "uploads").glob("*.py")) + sorted((REPO_ROOT / "uploads" / "extract").glob("*.py")):
        if src.name not in ("text.py", "volumes.py", "metadata.py"):   # what runs after the capture
            h.update(src.read_bytes())
    h.update(b"ocr" if ocr else b"no-ocr")
    h.update(INPUTS_VERSION)
    return h.hexdigest()[:24]


def _head_and_tail(path: Path, n: int, tail: int = TAIL_PAGES) -> Path:
    """A copy of the first ``n`` and the last ``tail`` pages with the file's own /Info (the bench reads article
    heads, not whole books; the pipeline would see the end and the /Info dates of the real file)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(path))
    writer = PdfWriter()
    total = len(reader.pages)
    keep = sorted(set(range(min(n, total))) | set(range(max(0, total - tail), total)))
    for i in keep:
        writer.add_page(reader.pages[i])
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if isinstance(k, str)})
    out = Path(tempfile.mkdtemp(prefix="kelisim-bench-")) / path.name
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def pipeline_inputs(path: Path, ocr: bool = True, cache: Path | None = None, max_pages: int = MAX_PAGES) -> dict:
    """What ``extract_file`` hands to ``extract_metadata`` for this file: pages, /Info, font lines."""
    key = _pipeline_key(path, ocr)
    cached = cache / f"{key}.json" if cache else None
    if cached and cached.exists():
        return json.loads(cached.read_text(encoding="utf-8"))
    import uploads.metadata as metadata_pkg
    from uploads.errors import UploadError
    from uploads.pipeline import extract_file

    captured: dict = {"pages": [], "pdf_info": {}, "font_lines": []}
    real = metadata_pkg.extract_metadata

    def spy(pages, language_hint="", pdf_info=None, font_lines=None):
        captured.update(pages=list(pages), pdf_info={str(k): str(v) for k, v in (pdf_info or {}).items()},
                        font_lines=[[t, float(s)] for t, s in (font_lines or [])])
        return real(pages, language_hint, pdf_info, font_lines)

    src = _head_and_tail(path, max_pages) if path.suffix.lower() == ".pdf" else path
    metadata_pkg.extract_metadata = spy
    try:
        extract_file(src, allow_ocr=ocr)
    except UploadError as exc:
        captured["error"] = exc.user_message if hasattr(exc, "user_message") else str(exc)
    finally:
        metadata_pkg.extract_metadata = real
        if src != path:     # the head-and-tail copy lives in a folder of its own
            shutil.rmtree(src.parent, ignore_errors=True)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(captured, ensure_ascii=False), encoding="utf-8")
    return captured


def metadata_of(inputs: dict):
    """extract_metadata on captured pipeline inputs."""
    fonts = [(t, s) for t, s in inputs.get("font_lines") or []] or None
    return extract_metadata(inputs.get("pages") or [], pdf_info=inputs.get("pdf_info") or None, font_lines=fonts)


# ------------------------------------------------------------------------------------------
# Sections: corpus documents, ru_scijournals
# ------------------------------------------------------------------------------------------


def run_corpus(corpus: Path, sc: Score, ocr: bool, cache: Path | None, verbose: bool) -> None:
    """MANIFEST documents through the pipeline against bench/data/corpus_truth.json."""
    truth = json.loads((DATA / "corpus_truth.json").read_text(encoding="utf-8"))["documents"]
    for row in truth:
        path = corpus / row["file"]
        if not path.exists():
            continue
        md = metadata_of(pipeline_inputs(path, ocr, cache))
        score_article(sc, md, row, row["file"])
        if verbose:
            print(f"  {row['file']}: {md.title[:80]!r} {[a.name for a in md.authors]} {md.year} "
                  f"abs={list(md.abstracts)} kw={len(md.keywords)}")


def scijournal_articles(corpus: Path) -> list[dict]:
    """Articles of the ru_scijournals files with their tagged gold values."""
    arts = []
    for f in sorted((corpus / "text").glob("ru_scijournals_*.txt")):
        chunks = re.split(r"^##### id_article=(\d+)\s*$", f.read_text(encoding="utf-8"), flags=re.M)
        for i in range(1, len(chunks), 2):
            body = chunks[i + 1]

            def tag(name: str, _b: str = body) -> list[str]:
                return [re.sub(r"\s+", " ", x).strip() for x in re.findall(rf"<{name}>(.*?)</{name}>", _b, re.S)]

            titles, authors = tag("title"), tag("author")
            if not titles:
                continue
            arts.append({
                "id": chunks[i], "file": f.name, "title": titles[0], "author": authors[0] if authors else "",
                "abstract": (tag("abstract") or [""])[0], "keywords": (tag("key_words") or [""])[0],
                "body": " ".join(tag("introduction") + tag("main"))[:3000],
            })
    return arts


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONT_DIR / "DejaVuSerif.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONT_DIR / "DejaVuSerif-Bold.ttf")))


def render_article_pdf(art: dict, variant: int) -> bytes:
    """Lay out one ru_scijournals article as a one/two-page PDF with reportlab and DejaVu fonts."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _register_fonts()
    body = ParagraphStyle("b", fontName="DejaVu", fontSize=10, leading=13)
    small = ParagraphStyle("s", parent=body, fontSize=9, leading=11)
    title = ParagraphStyle("t", fontName="DejaVu-Bold", fontSize=14, leading=17, alignment=1)
    head = ParagraphStyle("h", parent=small, alignment=2)
    story = []
    if variant % 2 == 0:
        story += [Paragraph("Научный журнал, 2019, № 2, с. 15–24", head), Spacer(1, 8)]
    if variant % 3 == 0:
        story += [Paragraph(escape(art["author"]), body), Spacer(1, 8), Paragraph(escape(art["title"]), title)]
    else:
        story += [Paragraph(escape(art["title"]), title), Spacer(1, 8), Paragraph(escape(art["author"]), body)]
    story.append(Spacer(1, 10))
    if art["abstract"]:
        prefix = "Аннотация. " if variant % 2 else ""
        story.append(Paragraph(escape(prefix + art["abstract"]), small))
    if art["keywords"]:
        story.append(Paragraph(escape(art["keywords"]), small))
    story += [Spacer(1, 10), Paragraph(escape(art["body"]), body)]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def _pdf_metadata(data: bytes, cache: Path | None):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "article.pdf"
        path.write_bytes(data)
        return metadata_of(pipeline_inputs(path, ocr=False, cache=cache))


def run_scijournals(corpus: Path, text_sc: Score, pdf_sc: Score, n_rendered: int, cache: Path | None) -> None:
    """Tagged text as a first page, and the first ``n_rendered`` laid out as PDFs."""
    authors = json.loads((DATA / "scijournals_truth.json").read_text(encoding="utf-8"))["authors"]
    for i, art in enumerate(scijournal_articles(corpus)):
        truth = {"title": art["title"], "authors": authors.get(art["id"], []),
                 "has_abstract": bool(art["abstract"]), "has_keywords": bool(art["keywords"])}
        page = "\n".join([art["title"], art["author"], "", "Аннотация. " + art["abstract"] if art["abstract"] else "",
                          art["keywords"], "", art["body"]])
        md = extract_metadata([page])
        score_article(text_sc, md, truth, f"{art['file']}#{art['id']}")
        if art["abstract"]:
            got = md.abstracts.get("ru", "")
            text_sc.add("abstract text", difflib.SequenceMatcher(
                None, norm_title(got)[:400], norm_title(art["abstract"])[:400]).ratio() >= 0.9, art["id"])
        if i < n_rendered:
            score_article(pdf_sc, _pdf_metadata(render_article_pdf(art, i), cache), truth, f"pdf {art['id']}")


# ------------------------------------------------------------------------------------------
# Unseen articles: written here, rendered in varied layouts; the generator keeps the truth
# ------------------------------------------------------------------------------------------

# (surname, given, patronymic) — printed in several forms by the by-line styles below
_RU = [("Иванов", "Андрей", "Петрович"), ("Смирнова", "Елена", "Александровна"), ("Соколов", "Дмитрий", "Игоревич"),
       ("Попова", "Ирина", "Николаевна"), ("Кузнецов", "Павел", "Сергеевич"), ("Васильева", "Ольга", "Юрьевна"),
       ("Морозов", "Олег", "Викторович"), ("Абрашина-Жадаева", "Нина", "Георгиевна"), ("Ким", "Роман", "Олегович")]
_KK = [("Сәрсенбаев", "Ержан", "Құрманғалиұлы"), ("Нұрланова", "Әйгерім", "Серікқызы"), ("Жұмабаев", "Нұрлан", "Асқарұлы"),
       ("Ахметова", "Гүлнар", "Болатқызы"), ("Омаров", "Қайрат", "Бекұлы"), ("Қасымова", "Дина", "Маратқызы"),
       ("Әбенов", "Дәурен", "Серікұлы"), ("Сейтқали", "Айгерім", "Болатқызы")]
# names whose patronymic is a separate word: (printed name, surname as it counts)
_PARTICLE = [("Алмаз Атай уулу", "Атай уулу"), ("Айгүл Жумабек кызы", "Жумабек кызы"),
             ("Сәрсенбаев Ержан Құрманғали ұлы", "Сәрсенбаев"), ("Нұрланова Әйгерім Серік қызы", "Нұрланова"),
             ("Бакыт Токтогул уулу", "Токтогул уулу")]
_AFFIL = [("Казахский национальный университет им. аль-Фараби", "Алматы", "КазНУ"),
          ("Евразийский национальный университет им. Л.Н. Гумилева", "Астана", "ЕНУ"),
          ("Карагандинский университет им. Е.А. Букетова", "Караганда", "КарУ"),
          ("Кыргызский национальный университет им. Ж. Баласагына", "Бишкек", "КНУ"),
          ("Институт истории и этнологии им. Ч.Ч. Валиханова", "Алматы", "ИИЭ")]
_TITLES_RU = [
    "Межэтнический диалог и городская идентичность в малых городах Центрального Казахстана",
    "Роль этнокультурных объединений в профилактике бытовых конфликтов: опыт Алматы и Шымкента",
    "«Тихая» миграция и языковая политика: к вопросу о трёхъязычии в школах региона",
    "Религиозная грамотность молодёжи и общественное согласие в полиэтничном мегаполисе",
    "Историческая память о депортациях народов в Казахстан в 1937–1944 годах",
    "Мониторинг качества воды малых рек Северного Казахстана и методы её очистки",
    "Правовое регулирование деятельности общественных объединений в Кыргызской Республике",
    "Цифровые архивы научных изданий: проблемы описания, поиска и долговременного хранения",
]
_TITLES_KK = [
    "Қазақ тілінің мемлекеттік мәртебесі және қоғамдық келісімді нығайту мәселелері",
    "Ахмет Байтұрсынұлының ағартушылық қызметі және ұлттық мектеп тарихы",
    "Көпэтносты қоғамдағы жастардың діни сауаттылығы мен төзімділік мәдениеті",
    "Қазақстан халқы Ассамблеясының тарихы: құрылуы, кезеңдері және бүгінгі міндеттері",
    "Этномәдени бірлестіктердің тілдік саясатты жүзеге асырудағы рөлі",
]
_BODY_RU = ("Актуальность темы определяется ростом городов и изменением их этнического состава. "
            "По данным, собранным Петровой А.А. и Ивановым Б.Б., число общественных объединений выросло вдвое. "
            "В работе использованы материалы интервью, статистика и архивные документы. ")
_BODY_KK = ("Тақырыптың өзектілігі қалалардың өсуімен және олардың этникалық құрамының өзгеруімен байланысты. "
            "Зерттеуде сұхбат материалдары, статистика және мұрағат құжаттары пайдаланылды. ")
_ABSTRACT_RU = ("В статье рассматриваются {topic}. На основе материалов полевых исследований показано, что "
                "согласованная работа государственных органов и общественных объединений снижает риски конфликтов.")
_ABSTRACT_KK = ("Мақалада {topic} қарастырылады. Далалық зерттеу материалдары негізінде мемлекеттік органдар мен "
                "қоғамдық бірлестіктердің келісілген жұмысы қақтығыс қаупін азайтатыны көрсетілді.")


def _initials(given: str, patronymic: str) -> str:
    return f"{given[0]}.{patronymic[0]}."


def _byline(style: int, people: list[tuple[str, str, str]], rng: random.Random) -> tuple[list[str], list[str]]:
    """Printed by-line lines in one of seven styles, and the surnames that count."""
    affs = rng.sample(_AFFIL, 2)
    sur = [p[0] for p in people]
    if style == 0:      # А.П. Иванов¹, Е.А. Смирнова² + numbered affiliations
        names = ", ".join(f"{_initials(g, p)} {s}<super>{k % 2 + 1}</super>" for k, (s, g, p) in enumerate(people))
        return [names, f"<super>1</super>{affs[0][0]}, {affs[0][1]}, Казахстан",
                f"<super>2</super>{affs[1][0]}, {affs[1][1]}"], sur
    if style == 1:      # Иванов А.П., Смирнова Е.А. + one affiliation line
        return [", ".join(f"{s} {_initials(g, p)}" for s, g, p in people), f"{affs[0][0]}, г. {affs[0][1]}"], sur
    if style == 2:      # full names, each with affiliation and e-mail
        out: list[str] = []
        for k, (s, g, p) in enumerate(people):
            out += [f"{s} {g} {p}", f"{affs[k % 2][0]}, {affs[k % 2][1]}", f"e-mail: author{k}@example.kz"]
        return out, sur
    if style == 3:      # one line: name, institution acronym, city — for every author (Lavrov style)
        return [" ".join(f"{_initials(g, p)}{s}, {a[2]}, {a[1]}" for (s, g, p), a in zip(people, affs * 3))], sur
    if style == 4:      # Kyrgyz/Kazakh patronymic particle as a separate word
        chosen = rng.sample(_PARTICLE, min(len(people), 2))
        return [", ".join(n for n, _ in chosen), f"{affs[0][0]}, {affs[0][1]}"], [s for _, s in chosen]
    if style == 5:      # with degrees and positions
        return ["; ".join(f"{s} {_initials(g, p)}, {rng.choice(['к.и.н., доцент', 'д.ф.н., профессор', 'PhD'])}"
                          for s, g, p in people), f"{affs[0][0]}, {affs[0][1]}, Казахстан"], sur
    # style 6: initials after the surname, "и" before the last
    names = [f"{s} {_initials(g, p)}" for s, g, p in people]
    line = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " и " + names[-1]
    return [line, f"{affs[0][0]} ({affs[0][1]})"], sur


def unseen_articles(n: int = 40, seed: int = 2026) -> list[dict]:
    """``n`` article specifications with their truth: language, title, by-line, layout knobs."""
    rng = random.Random(seed)
    arts = []
    for i in range(n):
        lang = "kk" if i % 3 == 2 else "ru"
        pool = _KK if lang == "kk" or i % 4 == 1 else _RU
        people = rng.sample(pool, rng.choice([1, 2, 2, 3]))
        style = i % 7
        byline, surnames = _byline(style, people, rng)
        title = rng.choice(_TITLES_KK if lang == "kk" else _TITLES_RU)
        year = rng.choice([None, 2019, 2021, 2023])
        arts.append({
            "i": i, "lang": lang, "title": title, "byline": byline, "authors": surnames, "year": year,
            "caps": i % 2 == 0, "narrow": i % 5 in (1, 3), "title_first": i % 4 != 3, "big_title": i % 3 != 1,
            "abstract": ("marked" if i % 4 in (0, 1) else "unmarked" if i % 4 == 2 else "none"),
            "keywords": i % 4 != 3, "udc": i % 2 == 1, "refs": i % 3 == 0,
        })
    return arts


def render_unseen(art: dict) -> bytes:
    """Lay out one generated article (journal header with or without year, УДК, title, by-line, abstract…)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    _register_fonts()
    kk = art["lang"] == "kk"
    body = ParagraphStyle("b", fontName="DejaVu", fontSize=10, leading=13)
    small = ParagraphStyle("s", parent=body, fontSize=9, leading=11)
    title_size = 14 if art["big_title"] else 10
    title = ParagraphStyle("t", fontName="DejaVu-Bold", fontSize=title_size, leading=title_size + 3, alignment=1)
    head = ParagraphStyle("h", parent=small, alignment=2)
    story = []
    journal = "ҚазҰУ Хабаршысы. Тарих сериясы" if kk else "Вестник Евразийского университета. Серия история"
    story.append(Paragraph(f"{journal}. {art['year']}. № 2" if art["year"] else journal, head))
    if art["udc"]:
        story.append(Paragraph(("ӘОЖ " if kk else "УДК ") + "94(574):316.7", small))
    story.append(Spacer(1, 6))
    t = art["title"].upper() if art["caps"] else art["title"]
    title_block = [Paragraph(escape(t), title), Spacer(1, 6)]
    by_block = [Paragraph(line if "<super>" in line else escape(line), body) for line in art["byline"]]
    story += (title_block + by_block) if art["title_first"] else (by_block + [Spacer(1, 6)] + title_block)
    story.append(Spacer(1, 8))
    topic = art["title"][0].lower() + art["title"][1:]
    if art["abstract"] != "none":
        text = (_ABSTRACT_KK if kk else _ABSTRACT_RU).format(topic=topic)
        marker = ("Аңдатпа. " if kk else "Аннотация. ") if art["abstract"] == "marked" else ""
        story.append(Paragraph(escape(marker + text), small))
    if art["keywords"]:
        kw = "Түйін сөздер: тіл, қоғам, келісім." if kk else "Ключевые слова: диалог, идентичность, город."
        story.append(Paragraph(kw, small))
    story.append(Spacer(1, 8))
    story.append(Paragraph("Кіріспе" if kk else "Введение", body))
    story += [Paragraph(escape((_BODY_KK if kk else _BODY_RU) * 3), body) for _ in range(3)]
    if art["refs"]:
        story.append(Paragraph("Әдебиеттер" if kk else "Список литературы", body))
        story.append(Paragraph("1. Омаров К.Б. Город и общество. – Алматы: Наука, 2009. – 201 с.", small))
        story.append(Paragraph("2. Петрова А.А., Иванов Б.Б. Миграция // Вестник КазНУ. – 2015. – № 3. – С. 5–9.", small))
    if art["year"] and art["i"] % 2:
        story.append(Paragraph(f"© {art['authors'][0]}, {art['year']}", small))
    buf = io.BytesIO()
    margin = 60 * mm if art["narrow"] else 20 * mm
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin).build(story)
    return buf.getvalue()


def run_unseen(sc: Score, n: int, cache: Path | None, verbose: bool) -> None:
    """Render every generated article, read it back through the pipeline and score it."""
    for art in unseen_articles(n):
        md = _pdf_metadata(render_unseen(art), cache)
        truth = {"title": art["title"], "authors": art["authors"], "year": art["year"],
                 "has_abstract": art["abstract"] != "none", "has_keywords": art["keywords"]}
        score_article(sc, md, truth, f"unseen {art['i']} ({art['lang']}, by-line style {art['i'] % 7})")
        if verbose:
            print(f"  unseen {art['i']}: {md.title[:70]!r} {[a.surname for a in md.authors]} {md.year}")


# ------------------------------------------------------------------------------------------
# Volumes
# ------------------------------------------------------------------------------------------


def _volume_pages(corpus: Path, ref: str) -> list[str]:
    from _common import page_texts  # noqa: PLC0415 - bench helper next to this file

    path = REPO_ROOT / "demo" / "files" / ref.split(":", 1)[1] if ref.startswith("demo:") else corpus / ref
    return page_texts(path) if path.exists() else []


def run_volumes(corpus: Path, sc: Score, verbose: bool) -> None:
    """Front matter of each volume and the labelled articles inside them."""
    from uploads.volumes import split_volume

    truth = json.loads((DATA / "volumes_truth.json").read_text(encoding="utf-8"))
    for vol in truth["volumes"]:
        pages = _volume_pages(corpus, vol["volume"])
        if not pages:
            continue
        info, spans = split_volume(pages)
        label = vol["volume"].rsplit("/", 1)[-1]
        got_t, want_t = norm_title(info.title), norm_title(vol["title"])
        sc.add("volume title", got_t.startswith(want_t), f"{label}: {info.title[:100]!r}")
        sc.add("place", info.place == vol["place"], f"{label}: {info.place!r} != {vol['place']!r}")
        sc.add("event", norm_title(vol["event"]) in norm_title(info.event_title), f"{label}: {info.event_title!r}")
        sc.add("year", info.year == vol["year"], f"{label}: {info.year} != {vol['year']}")
        by_first = {s.first_page: s for s in spans}
        for art in (a for a in truth["articles"] if a["volume"] == vol["volume"]):
            alabel = f"{label} p.{art['first_page']}"
            span = by_first.get(art["first_page"])
            sc.add("printed pages", bool(span) and (span.printed_first, span.printed_last)
                   == (art["printed_first"], art["printed_last"]),
                   f"{alabel}: {(span.printed_first, span.printed_last) if span else None}")
            last = span.last_page if span else art["first_page"] + 2
            md = extract_metadata(pages[art["first_page"] - 1:last])
            score_article(sc, md, {k: art[k] for k in ("title", "authors", "has_abstract")}, alabel)
            if verbose:
                print(f"  {alabel}: {md.title[:70]!r} {[a.surname for a in md.authors]} abs={list(md.abstracts)}")


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------


def print_table(scores: dict[str, Score]) -> None:
    """One row per field, one column per section, and the total."""
    cols = [s for s in SECTIONS if scores.get(s) and scores[s].n]
    print(f"{'field':14s}" + "".join(f"{c:>15s}" for c in cols) + f"{'all':>15s}")
    for f in FIELDS:
        cells = [scores[c].cell(f) for c in cols]
        if not any(cells):
            continue
        ok = sum(scores[c].ok.get(f, 0) for c in cols)
        n = sum(scores[c].n.get(f, 0) for c in cols)
        print(f"{f:14s}" + "".join(f"{x:>15s}" for x in cells) + f"{f'{ok}/{n} {100.0 * ok / n:.0f}%':>15s}")


def run(corpus: Path, verbose: bool = False, n_rendered: int = 12, ocr: bool = True, cache: Path | None = None,
        only: tuple[str, ...] = SECTIONS, n_unseen: int = 40) -> dict[str, Score]:
    """Run the sections and print the table; returns the scores by section."""
    scores = {s: Score() for s in SECTIONS}
    t0 = time.time()
    if "corpus" in only:
        run_corpus(corpus, scores["corpus"], ocr, cache, verbose)
    if "sci-text" in only or "sci-pdf" in only:
        run_scijournals(corpus, scores["sci-text"], scores["sci-pdf"], n_rendered if "sci-pdf" in only else 0, cache)
    if "unseen" in only:
        run_unseen(scores["unseen"], n_unseen, cache, verbose)
    if "volumes" in only:
        run_volumes(corpus, scores["volumes"], verbose)
    print(f"Corpus: {corpus}   ({time.time() - t0:.0f} s, OCR {'on' if ocr else 'off'})")
    print_table(scores)
    if verbose:
        for s in SECTIONS:
            for miss in scores[s].misses:
                print(f"  [{s}] {miss}")
    return scores


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--rendered", type=int, default=12, help="how many ru_scijournals articles to render to PDF")
    ap.add_argument("--unseen", type=int, default=40, help="how many generated articles to render")
    ap.add_argument("--no-ocr", action="store_true", help="do not OCR scans and unusable text layers")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kelisim-bench-metadata",
                    help="where pipeline inputs are kept between runs (keyed by file and extraction code)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("pdfminer", "pypdf"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if not (args.corpus / "MANIFEST.json").exists():
        sys.exit(f"corpus not found: {args.corpus}")
    run(args.corpus, args.verbose, args.rendered, not args.no_ocr, args.cache, tuple(args.only), args.unseen)


if __name__ == "__main__":
    main()
