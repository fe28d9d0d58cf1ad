"""Measure uploads.metadata.extract_metadata against the shared test corpus.

Run: /work/main/.venv/bin/python bench/metadata.py [--corpus DIR] [--verbose]
"""
from __future__ import annotations

import argparse
import difflib
import io
import json
import logging
import re
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from uploads.metadata import extract_metadata  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
MAX_PAGES = 12
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


# ------------------------------------------------------------------------------------------
# Scoring helpers
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


_UPL = "А-ЯЁӘҒҚҢӨҰҮҺІA-Z"
_LOL = "а-яёәғқңөұүһіa-z"
_GOLD_NAME = re.compile(
    rf"(?:[{_UPL}]\.\s?(?:[{_UPL}]\.)?\s?([{_UPL}][{_LOL}]+(?:-[{_UPL}][{_LOL}]+)?))"
    rf"|(?:([{_UPL}][{_LOL}]+(?:-[{_UPL}][{_LOL}]+)?)\s(?:[{_UPL}]\.\s?[{_UPL}]?\.?))"
    rf"|(?:^|[,;]\s*|\s{{2,}})([{_UPL}][{_LOL}]+)\s[{_UPL}][{_LOL}]+\s[{_UPL}][{_LOL}]+(?:вич|вна|чна|ична|ұлы|қызы)"
)


def gold_surnames(s: str) -> set[str]:
    """Surnames in a gold author string (independent of the code under test)."""
    out: set[str] = set()
    if not s:
        return out
    for m in _GOLD_NAME.finditer(s):
        if re.search(r"им\.\s*$", s[: m.start()]):
            continue
        name = m.group(1) or m.group(2) or m.group(3)
        if name:
            out.add(name.lower().replace("ё", "е"))
    if not out:
        # "Куркулов Ербол, Сатов Серікболсын (9 сынып)" / "Абай Құнанбаев": take the word that looks like a surname.
        for part in re.split(r",|\s+и\s+|\s+және\s+", re.sub(r"\([^)]*\)", "", s)):
            words = re.findall(rf"[{_UPL}][{_LOL}]+", part)
            sur = [w for w in words if re.search(r"(ов|ев|ин|ова|ева|ина|ұлы|қызы|ко|ий|ая)$", w)]
            if sur:
                out.add(sur[0].lower())
    return out


def pred_surnames(md) -> set[str]:
    """Surnames the extractor returned."""
    return {(a.surname or a.name).lower().replace("ё", "е") for a in md.authors if (a.surname or a.name)}


class Score:
    """Per-field counters."""

    def __init__(self) -> None:
        self.n = {"title": 0, "authors": 0, "year": 0}
        self.ok = {"title": 0, "authors": 0, "year": 0}
        self.false_year = 0
        self.no_year_gold = 0
        self.false_authors = 0
        self.no_authors_gold = 0

    def add(self, field: str, ok: bool) -> None:
        self.n[field] += 1
        self.ok[field] += int(ok)

    def line(self, label: str) -> str:
        parts = []
        for f in ("title", "authors", "year"):
            if self.n[f]:
                parts.append(f"{f} {self.ok[f]}/{self.n[f]} = {100.0 * self.ok[f] / self.n[f]:.0f}%")
        extra = []
        if self.no_year_gold:
            extra.append(f"year given where gold has none: {self.false_year}/{self.no_year_gold}")
        if self.no_authors_gold:
            extra.append(f"authors given where gold has none: {self.false_authors}/{self.no_authors_gold}")
        return f"{label}: " + "; ".join(parts) + (("  (" + "; ".join(extra) + ")") if extra else "")


# ------------------------------------------------------------------------------------------
# Extraction
# ------------------------------------------------------------------------------------------


def pdf_pages(path: Path, max_pages: int = MAX_PAGES) -> tuple[list[str], list[tuple[str, float]], dict]:
    """Page texts (pdfminer), (line, font size) pairs of page 1 and the /Info dict."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar, LTTextContainer, LTTextLine

    pages: list[str] = []
    font_lines: list[tuple[str, float]] = []
    for pno, layout in enumerate(extract_pages(str(path), maxpages=max_pages)):
        parts = []
        for el in layout:
            if isinstance(el, LTTextContainer):
                parts.append(el.get_text())
                if pno == 0:
                    for line in el:
                        if isinstance(line, LTTextLine):
                            sizes = [c.size for c in line if isinstance(c, LTChar)]
                            if sizes:
                                font_lines.append((line.get_text().strip(), max(set(sizes), key=sizes.count)))
        pages.append("\n".join(parts))
    info: dict = {}
    try:
        from pypdf import PdfReader

        meta = PdfReader(str(path)).metadata or {}
        info = {k: str(v) for k, v in meta.items()}
    except Exception:  # noqa: BLE001 - a broken /Info must not stop the bench
        pass
    return pages, font_lines, info


def docx_pages(path: Path) -> list[str]:
    """The paragraphs of a DOCX as one page."""
    import docx

    d = docx.Document(str(path))
    return ["\n".join(p.text for p in d.paragraphs)]


# ------------------------------------------------------------------------------------------
# ru_scijournals
# ------------------------------------------------------------------------------------------


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


def render_article_pdf(art: dict, variant: int) -> bytes:
    """Lay out one article as a one/two-page PDF with reportlab and DejaVu fonts."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
    from xml.sax.saxutils import escape

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONT_DIR / "DejaVuSerif.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONT_DIR / "DejaVuSerif-Bold.ttf")))
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


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------


def run(corpus: Path, verbose: bool = False, n_rendered: int = 12) -> dict[str, Score]:
    """Run all measurements and print a report; returns the scores by section."""
    manifest = json.loads((corpus / "MANIFEST.json").read_text(encoding="utf-8"))
    scores = {"pdf": Score(), "docx": Score(), "sci-text": Score(), "sci-pdf": Score()}
    t0 = time.time()
    for e in manifest:
        kind = e["kind"]
        if kind not in ("article", "docx"):
            continue
        path = corpus / e["file"]
        if kind == "docx":
            pages, fonts, info = docx_pages(path), None, None
            sc = scores["docx"]
        else:
            pages, fonts, info = pdf_pages(path)
            sc = scores["pdf"]
        md = extract_metadata(pages, language_hint=e.get("language", ""), pdf_info=info, font_lines=fonts)
        marks = []
        if e.get("title"):
            ok = title_ok(md.title, e["title"])
            sc.add("title", ok)
            marks.append("T" if ok else "t")
        if e.get("authors"):
            g, p = gold_surnames(e["authors"]), pred_surnames(md)
            ok = bool(g) and g == p
            sc.add("authors", ok)
            marks.append("A" if ok else "a")
        else:
            sc.no_authors_gold += 1
            sc.false_authors += int(bool(md.authors))
        if e.get("year"):
            ok = md.year == e["year"]
            sc.add("year", ok)
            marks.append("Y" if ok else "y")
        else:
            sc.no_year_gold += 1
            sc.false_year += int(md.year is not None)
        if verbose:
            print(f"{''.join(marks):4} {e['file']}")
            print(f"     title: {md.title!r}\n      gold: {e.get('title')!r}")
            print(f"   authors: {[a.name for a in md.authors]}  gold: {e.get('authors')!r}")
            print(f"      year: {md.year}  gold: {e.get('year')}  lang={md.language} udc={md.udc!r} "
                  f"kw={len(md.keywords)} abs={list(md.abstracts)}")

    arts = scijournal_articles(corpus)
    field_hits = {"abstract": [0, 0], "keywords": [0, 0]}
    for i, art in enumerate(arts):
        # (a) the tagged text itself, laid out as a first page
        page = "\n".join([art["title"], art["author"], "", "Аннотация. " + art["abstract"] if art["abstract"] else "",
                          art["keywords"], "", art["body"]])
        for label, pages, fonts in [("sci-text", [page], None)] + (
            [("sci-pdf", *_rendered(art, i))] if i < n_rendered else []
        ):
            md = extract_metadata(pages, font_lines=fonts)
            sc = scores[label]
            t_ok = title_ok(md.title, art["title"])
            sc.add("title", t_ok)
            g, p = gold_surnames(art["author"]), pred_surnames(md)
            a_ok = bool(g) and g == p
            if g:
                sc.add("authors", a_ok)
            if label == "sci-text":
                if art["abstract"]:
                    field_hits["abstract"][1] += 1
                    got = md.abstracts.get("ru", "")
                    field_hits["abstract"][0] += int(difflib.SequenceMatcher(
                        None, norm_title(got)[:400], norm_title(art["abstract"])[:400]).ratio() >= 0.9)
                if art["keywords"]:
                    field_hits["keywords"][1] += 1
                    gold_kw = re.sub(r"^[^:]*:\s*", "", art["keywords"])
                    field_hits["keywords"][0] += int(bool(md.keywords) and norm_title(md.keywords[0]) in norm_title(gold_kw))
            if verbose and (not t_ok or not a_ok):
                print(f"{label} {art['file']}#{art['id']}: title={md.title[:90]!r}\n      gold={art['title'][:90]!r}"
                      f"\n    authors={[a.name for a in md.authors]} gold={art['author'][:90]!r} -> {sorted(g)}")

    print(f"Corpus: {corpus}   ({time.time() - t0:.1f} s)")
    print(scores["pdf"].line("MANIFEST PDFs (article kind, pdfminer text + font sizes + /Info)"))
    print(scores["docx"].line("MANIFEST DOCX (python-docx paragraphs)"))
    print(scores["sci-text"].line(f"ru_scijournals tagged text ({len(arts)} articles)"))
    print(scores["sci-pdf"].line(f"ru_scijournals rendered to PDF by reportlab ({min(n_rendered, len(arts))} articles)"))
    for k, (ok, n) in field_hits.items():
        if n:
            print(f"ru_scijournals {k}: {ok}/{n} = {100.0 * ok / n:.0f}%")
    return scores


def _rendered(art: dict, i: int) -> tuple[list[str], list[tuple[str, float]]]:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(render_article_pdf(art, i))
        tmp.flush()
        pages, fonts, _info = pdf_pages(Path(tmp.name))
    return pages, fonts


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--rendered", type=int, default=12, help="how many ru_scijournals articles to render to PDF")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    if not (args.corpus / "MANIFEST.json").exists():
        sys.exit(f"corpus not found: {args.corpus}")
    run(args.corpus, args.verbose, args.rendered)


if __name__ == "__main__":
    main()
