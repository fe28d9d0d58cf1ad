#!/usr/bin/env python
"""Regenerate the Kelisim Archive demo archive and the uploader's test fixtures.

Usage:
    python scripts/make_demo_content.py            # rewrite demo/files, demo/manifest.json, tests/data
    python scripts/make_demo_content.py --check    # regenerate into a temp dir and compare with the
                                                   # committed outputs (exit 1 on any difference)
    python scripts/make_demo_content.py --out DIR  # write the whole tree under DIR instead

All texts live in demo/sources/ (articles as *.md with a small front-matter header, the volume in
demo/sources/volume/, the probe queries in demo/sources/probes.json, fixture texts in
demo/sources/fixtures/). This script only does layout and packaging.

Determinism: reportlab runs in invariant mode with a fixed creation date per document, DOCX zip
entries get a fixed timestamp, pseudo-random fixtures use a fixed seed, and the encrypted
fixture uses RC4-128 with a fixed file identifier. --check compares extracted text (PDF/DOCX),
not bytes, so it also passes if a library upgrade changes the byte layout.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import io
import json
import random
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config

rl_config.invariant = 1  # fixed /ID and timestamps; must be set before documents are created

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT  # noqa: E402
from reportlab.lib.pagesizes import A4, A5  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.platypus import (  # noqa: E402
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "demo" / "sources"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# Relative output locations (under the output root, normally the repository root).
DEMO_FILES = Path("demo/files")
MANIFEST = Path("demo/manifest.json")
FIXTURES = Path("tests/data")

# Physical page N of the volume carries printed page N - VOLUME_PAGE_OFFSET: the cover is a
# separate leaf outside the book block, so the title page is printed page 1 (unnumbered).
VOLUME_PAGE_OFFSET = 1

DEMO_NOTE = "Kelisim Archive demo content: fictional authors, texts and imprint data."

LABELS = {
    "ru": {"abstract": "Аннотация.", "keywords": "Ключевые слова:", "references": "Литература",
           "abstract_en": "Abstract.", "keywords_en": "Keywords:", "notes": "Примечание"},
    "kk": {"abstract": "Аңдатпа.", "keywords": "Түйін сөздер:", "references": "Әдебиеттер",
           "abstract_en": "Abstract.", "keywords_en": "Keywords:", "notes": "Ескерту"},
}


# --------------------------------------------------------------------------------------------
# Fonts and styles
# --------------------------------------------------------------------------------------------

_FONTS_DONE = False


def register_fonts() -> None:
    global _FONTS_DONE
    if _FONTS_DONE:
        return
    for name, fname in [
        ("DejaVuSerif", "DejaVuSerif.ttf"),
        ("DejaVuSerif-Bold", "DejaVuSerif-Bold.ttf"),
        ("DejaVuSerif-Italic", "DejaVuSerif-Italic.ttf"),
        ("DejaVuSerif-BoldItalic", "DejaVuSerif-BoldItalic.ttf"),
        ("DejaVuSans", "DejaVuSans.ttf"),
        ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf"),
    ]:
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / fname)))
    pdfmetrics.registerFontFamily("DejaVuSerif", normal="DejaVuSerif", bold="DejaVuSerif-Bold",
                                  italic="DejaVuSerif-Italic", boldItalic="DejaVuSerif-BoldItalic")
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                  italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
    _FONTS_DONE = True


def make_styles(base: float) -> dict[str, ParagraphStyle]:
    """Paragraph styles scaled from a base body size (11 pt for A4 articles, 9.5 pt for A5)."""
    lead = base * 1.3
    s: dict[str, ParagraphStyle] = {}
    s["body"] = ParagraphStyle("body", fontName="DejaVuSerif", fontSize=base, leading=lead,
                               alignment=TA_JUSTIFY, firstLineIndent=base * 1.8)
    s["udc"] = ParagraphStyle("udc", parent=s["body"], firstLineIndent=0, alignment=TA_LEFT,
                              spaceAfter=base * 0.8)
    s["authors"] = ParagraphStyle("authors", parent=s["body"], fontName="DejaVuSerif-Bold",
                                  firstLineIndent=0, alignment=TA_CENTER)
    s["affil"] = ParagraphStyle("affil", parent=s["body"], fontName="DejaVuSerif-Italic",
                                fontSize=base * 0.9, leading=base * 1.15, firstLineIndent=0,
                                alignment=TA_CENTER)
    s["title"] = ParagraphStyle("title", parent=s["body"], fontName="DejaVuSerif-Bold",
                                fontSize=base * 1.25, leading=base * 1.6, firstLineIndent=0,
                                alignment=TA_CENTER, spaceBefore=base, spaceAfter=base)
    s["abstract"] = ParagraphStyle("abstract", parent=s["body"], fontSize=base * 0.9,
                                   leading=base * 1.15, leftIndent=base * 1.5,
                                   rightIndent=base * 1.5, firstLineIndent=0, spaceAfter=base * 0.35,
                                   alignment=TA_LEFT)
    s["heading"] = ParagraphStyle("heading", parent=s["body"], fontName="DejaVuSerif-Bold",
                                  firstLineIndent=0, alignment=TA_LEFT, spaceBefore=base * 0.7,
                                  spaceAfter=base * 0.3, keepWithNext=1)
    s["refhead"] = ParagraphStyle("refhead", parent=s["heading"], alignment=TA_CENTER)
    s["ref"] = ParagraphStyle("ref", parent=s["body"], fontSize=base * 0.88, leading=base * 1.12,
                              firstLineIndent=0, leftIndent=base * 1.4, bulletIndent=0,
                              alignment=TA_LEFT)
    s["note"] = ParagraphStyle("note", parent=s["ref"], fontSize=base * 0.8, leading=base * 1.0,
                               leftIndent=0)
    s["caption"] = ParagraphStyle("caption", parent=s["body"], firstLineIndent=0,
                                  alignment=TA_LEFT, fontSize=base * 0.9, leading=base * 1.15,
                                  spaceBefore=base * 0.4, spaceAfter=base * 0.3, keepWithNext=1)
    s["cell"] = ParagraphStyle("cell", parent=s["body"], fontSize=base * 0.82, leading=base * 1.0,
                               firstLineIndent=0, alignment=TA_LEFT)
    s["cellb"] = ParagraphStyle("cellb", parent=s["cell"], fontName="DejaVuSerif-Bold")
    s["received"] = ParagraphStyle("received", parent=s["body"], fontName="DejaVuSerif-Italic",
                                   fontSize=base * 0.85, firstLineIndent=0, alignment=TA_RIGHT,
                                   spaceBefore=base * 0.6)
    return s


# --------------------------------------------------------------------------------------------
# Source parsing
# --------------------------------------------------------------------------------------------

def parse_source(path: Path) -> dict:
    """Parse a source file: a '---' front-matter block of `key: value` lines (lists as '- item'
    lines under an empty `key:`), then sections introduced by '## name' lines."""
    text = path.read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n(.*)\Z", text, re.S)
    if not m:
        raise ValueError(f"{path}: missing front matter")
    meta: dict = {}
    key = None
    for line in m.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("- ") and key is not None:
            meta.setdefault(key, [])
            meta[key].append(line[2:].strip())
            continue
        k, _, v = line.partition(":")
        key = k.strip()
        v = v.strip()
        if v:
            meta[key] = v
    sections: dict[str, str] = {}
    current = None
    buf: list[str] = []
    for line in m.group(2).splitlines():
        if line.startswith("## "):
            if current:
                sections[current] = "\n".join(buf).strip()
            current, buf = line[3:].strip(), []
        else:
            buf.append(line)
    if current:
        sections[current] = "\n".join(buf).strip()
    meta["sections"] = sections
    meta["source"] = path.name
    return meta


def blocks(text: str) -> list[tuple[str, object]]:
    """Split a body into blocks: ('p', text), ('h', text), ('caption', text), ('table', rows)."""
    out: list[tuple[str, object]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln.strip() for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if all(ln.startswith("|") for ln in lines):
            rows = []
            for ln in lines:
                cells = [c.strip() for c in ln.strip("|").split("|")]
                if all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                    continue
                rows.append(cells)
            out.append(("table", rows))
        elif lines[0].startswith("### "):
            out.append(("h", lines[0][4:]))
            if len(lines) > 1:
                out.append(("p", " ".join(lines[1:])))
        elif re.match(r"(Таблица|Кесте) \d", lines[0]):
            out.append(("caption", " ".join(lines)))
        else:
            out.append(("p", " ".join(lines)))
    return out


def list_items(text: str) -> list[str]:
    items: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if re.match(r"\d+\.\s", line):
            items.append(re.sub(r"^\d+\.\s+", "", line))
        elif items:
            items[-1] += " " + line
        else:
            items.append(line)
    return items


def inline(text: str) -> str:
    """Escape for reportlab markup; then **bold**, *italic*, [^n] footnote marks."""
    t = escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"\*(.+?)\*", r"<i>\1</i>", t)
    t = re.sub(r"\[\^(\d+)\]", r"<super>\1</super>", t)
    return t


def plain(text: str) -> str:
    """The same text without markup, for DOCX runs and metadata."""
    t = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    t = re.sub(r"\*(.+?)\*", r"\1", t)
    return t


def display_title(meta: dict) -> str:
    return meta["title"].upper() if meta.get("title_upper") == "yes" else meta["title"]


def fixed_date(meta: dict) -> _dt.datetime:
    y, mo, d = (int(x) for x in meta.get("date", f"{meta['year']}-01-15").split("-"))
    return _dt.datetime(y, mo, d, 10, 0, 0)


def pdf_date_formatter(when: _dt.datetime):
    stamp = when.strftime("D:%Y%m%d%H%M%S+06'00'")
    return lambda *args: stamp


# --------------------------------------------------------------------------------------------
# Article flowables (shared by single articles and the volume)
# --------------------------------------------------------------------------------------------

def author_lines(meta: dict) -> tuple[str, list[str]]:
    """Author line markup and affiliation lines. An author written as 'Name [2]' gets a
    superscript affiliation number when the article has more than one affiliation."""
    affs = meta.get("affiliations", [])
    names = []
    for a in meta["authors"]:
        m = re.match(r"(.*?)\s*\[(\d+)\]$", a)
        name, idx = (m.group(1), m.group(2)) if m else (a, "1")
        names.append(escape(name) + (f"<super>{idx}</super>" if len(affs) > 1 else ""))
    aff_lines = []
    for i, a in enumerate(affs, 1):
        aff_lines.append((f"<super>{i}</super>" if len(affs) > 1 else "") + inline(a))
    return ", ".join(names), aff_lines


def printed_authors(meta: dict) -> list[str]:
    return [re.sub(r"\s*\[\d+\]$", "", a) for a in meta["authors"]]


def make_table(rows: list[list[str]], st: dict, width: float) -> Table:
    ncols = len(rows[0])
    first = width * (0.40 if ncols > 2 else 0.6)
    rest = (width - first) / (ncols - 1)
    data = [[Paragraph(inline(c), st["cellb"] if r == 0 else st["cell"])
             for c0, c in enumerate(row)] for r, row in enumerate(rows)]
    t = Table(data, colWidths=[first] + [rest] * (ncols - 1), hAlign="CENTER")
    t.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


class Rule(Flowable):
    """A short horizontal rule (separates footnote-like notes from the body)."""

    def __init__(self, width: float, space: float = 4):
        super().__init__()
        self.rule_width, self.space = width, space

    def wrap(self, aw, ah):
        return aw, self.space * 2

    def draw(self):
        self.canv.setLineWidth(0.5)
        self.canv.line(0, self.space, self.rule_width, self.space)


class PageMark(Flowable):
    """Zero-size flowable that records the physical page it lands on."""

    def __init__(self, key: str, registry: dict):
        super().__init__()
        self.key, self.registry = key, registry

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        self.registry[self.key] = self.canv.getPageNumber()


def article_story(meta: dict, st: dict, width: float) -> list:
    lang = meta["lang"]
    lab = LABELS[lang]
    sec = meta["sections"]
    story: list = [Paragraph(escape(meta["udc"]), st["udc"])]
    names, affs = author_lines(meta)
    story.append(Paragraph(names, st["authors"]))
    for a in affs:
        story.append(Paragraph(a, st["affil"]))
    story.append(Paragraph(inline(display_title(meta)), st["title"]))
    story.append(Paragraph(f"<b>{lab['abstract']}</b> " + inline(sec["abstract"]), st["abstract"]))
    story.append(Paragraph(f"<b>{lab['keywords']}</b> " + inline(sec["keywords"]), st["abstract"]))
    if "abstract_en" in sec:
        story.append(Spacer(1, 3))
        story.append(Paragraph(f"<b>{lab['abstract_en']}</b> " + inline(sec["abstract_en"]),
                               st["abstract"]))
        story.append(Paragraph(f"<b>{lab['keywords_en']}</b> " + inline(sec["keywords_en"]),
                               st["abstract"]))
    story.append(Spacer(1, st["body"].fontSize * 0.8))
    for kind, val in blocks(sec["body"]):
        if kind == "p":
            story.append(Paragraph(inline(val), st["body"]))
        elif kind == "h":
            story.append(Paragraph(inline(val), st["heading"]))
        elif kind == "caption":
            story.append(Paragraph(inline(val), st["caption"]))
        elif kind == "table":
            story.append(make_table(val, st, width * 0.92))
            story.append(Spacer(1, st["body"].fontSize * 0.6))
    if "notes" in sec:
        notes = [Rule(width * 0.3)]
        for i, n in enumerate(list_items(sec["notes"]), 1):
            notes.append(Paragraph(f"<super>{i}</super> " + inline(n), st["note"]))
        story.append(KeepTogether(notes))
    if "received" in meta:
        story.append(Paragraph(inline(meta["received"]), st["received"]))
    refs = list_items(sec["references"])
    story.append(CondPageBreak(st["body"].leading * 5))
    story.append(Paragraph(lab["references"], st["refhead"]))
    for i, r in enumerate(refs, 1):
        story.append(Paragraph(inline(r), st["ref"], bulletText=f"{i}."))
    return story


# --------------------------------------------------------------------------------------------
# Single articles: PDF
# --------------------------------------------------------------------------------------------

def render_article_pdf(meta: dict, out: Path) -> int:
    register_fonts()
    st = make_styles(11)
    compact = meta.get("compact") == "yes"
    if compact:
        # Fixtures: embed only DejaVuSerif and DejaVuSerif-Bold to keep the files small.
        for style in st.values():
            if style.fontName.endswith("Italic"):
                style.fontName = "DejaVuSerif"
    left, right, top, bottom = 25 * mm, 20 * mm, 20 * mm, 20 * mm
    pw, ph = A4
    width = pw - left - right
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf, pagesize=A4, leftMargin=left, rightMargin=right, topMargin=top, bottomMargin=bottom,
        title=plain(meta["title"]), author=", ".join(printed_authors(meta)),
        subject=meta.get("subject", DEMO_NOTE), creator="Kelisim Archive make_demo_content.py",
        keywords=plain(meta["sections"].get("keywords", "")), lang=meta["lang"], invariant=1,
        pageCompression=1)
    when = fixed_date(meta)

    def first_page(c, d):
        c.setDateFormatter(pdf_date_formatter(when))
        c.saveState()
        c.setFont("DejaVuSerif", 8)
        if meta.get("copyright"):
            c.drawString(left, 12 * mm, meta["copyright"])
        c.drawRightString(pw - right, 12 * mm, str(d.page))
        c.restoreState()

    def later_page(c, d):
        c.saveState()
        c.setFont("DejaVuSerif-Italic", 8)
        c.drawCentredString(left + width / 2, ph - 12 * mm, meta.get("running_title", ""))
        c.setLineWidth(0.4)
        c.line(left, ph - 13.5 * mm, pw - right, ph - 13.5 * mm)
        c.setFont("DejaVuSerif", 8)
        c.drawRightString(pw - right, 12 * mm, str(d.page))
        c.restoreState()

    frame = Frame(left, bottom, width, ph - top - bottom, id="body", leftPadding=0,
                  rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("first", [frame], onPage=first_page, autoNextPageTemplate="later"),
                          PageTemplate("later", [frame], onPage=later_page)])
    doc.build(article_story(meta, st, width))
    out.write_bytes(buf.getvalue())
    return doc.page


# --------------------------------------------------------------------------------------------
# Single articles: DOCX
# --------------------------------------------------------------------------------------------

def render_article_docx(meta: dict, out: Path) -> None:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    lab = LABELS[meta["lang"]]
    sec = meta["sections"]
    d = docx.Document()
    normal = d.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)

    def para(text="", align=None, bold=False, italic=False, size=None, indent=False):
        p = d.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(24)
        if text:
            add_runs(p, text, bold=bold, italic=italic, size=size)
        return p

    def add_runs(p, text, bold=False, italic=False, size=None):
        # Split on **bold**, *italic* and [^n] footnote marks.
        for part in re.split(r"(\*\*.+?\*\*|\*.+?\*|\[\^\d+\])", text):
            if not part:
                continue
            r_bold, r_italic, sup = bold, italic, False
            if part.startswith("**"):
                part, r_bold = part[2:-2], True
            elif part.startswith("[^"):
                part, sup = part[2:-1], True
            elif part.startswith("*"):
                part, r_italic = part[1:-1], True
            run = p.add_run(part)
            run.bold, run.italic = r_bold or None, r_italic or None
            if sup:
                run.font.superscript = True
            if size:
                run.font.size = Pt(size)

    para(meta["udc"])
    para(", ".join(printed_authors(meta)), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    for a in meta.get("affiliations", []):
        para(a, align=WD_ALIGN_PARAGRAPH.CENTER, italic=True, size=11)
    para(display_title(meta), align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=14)
    p = para()
    add_runs(p, lab["abstract"] + " ", bold=True, size=11)
    add_runs(p, sec["abstract"], size=11)
    p = para()
    add_runs(p, lab["keywords"] + " ", bold=True, size=11)
    add_runs(p, sec["keywords"], size=11)
    for kind, val in blocks(sec["body"]):
        if kind == "p":
            para(val, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
        elif kind == "h":
            para(val, bold=True)
        elif kind == "caption":
            para(val, italic=True, size=11)
        elif kind == "table":
            t = d.add_table(rows=len(val), cols=len(val[0]))
            t.style = "Table Grid"
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for r, row in enumerate(val):
                for c, cell in enumerate(row):
                    cp = t.cell(r, c).paragraphs[0]
                    add_runs(cp, cell, bold=(r == 0), size=10)
    if "notes" in sec:
        para("_" * 20)
        for i, n in enumerate(list_items(sec["notes"]), 1):
            p = para()
            add_runs(p, f"[^{i}] " + n, size=9)
    if "received" in meta:
        para(meta["received"], align=WD_ALIGN_PARAGRAPH.RIGHT, italic=True, size=10)
    para(lab["references"], align=WD_ALIGN_PARAGRAPH.CENTER, bold=True)
    for i, r in enumerate(list_items(sec["references"]), 1):
        para(f"{i}. {r}", size=11)

    when = fixed_date(meta)
    cp = d.core_properties
    cp.title = plain(meta["title"])
    cp.author = ", ".join(printed_authors(meta))
    cp.subject = DEMO_NOTE
    cp.keywords = plain(sec.get("keywords", ""))
    cp.language = meta["lang"]
    cp.last_modified_by = "Kelisim Archive make_demo_content.py"
    cp.comments = ""
    cp.revision = 1
    cp.created = when
    cp.modified = when
    cp.last_printed = when
    buf = io.BytesIO()
    d.save(buf)
    out.write_bytes(normalize_zip(buf.getvalue()))


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps so DOCX bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Conference volume
# --------------------------------------------------------------------------------------------

class ContentsRow(Flowable):
    """Contents entry: authors (italic) and title, dot leaders, printed page number on the
    baseline of the entry's last line."""

    def __init__(self, markup: str, page: str, style: ParagraphStyle, num_width: float = 0):
        super().__init__()
        self.style = ParagraphStyle("toc", parent=style, endDots=" .")
        self.markup, self.page = markup, page
        # Leave just enough room for the number so text extractors keep leaders and number
        # on one line.
        self.num_width = num_width or pdfmetrics.stringWidth(page, style.fontName,
                                                             style.fontSize) + 3

    def wrap(self, aw, ah):
        self.para = Paragraph(self.markup, self.style)
        self.width = aw
        _, self.height = self.para.wrap(aw - self.num_width, ah)
        return aw, self.height

    def draw(self):
        self.para.drawOn(self.canv, 0, 0)
        # Paragraph puts its first baseline fontSize below the top (paraFontSizeHeightOffset);
        # the number sits on the baseline of the last line, next to the dot leaders.
        n = len(self.para.blPara.lines)
        base_y = self.height - self.style.fontSize - (n - 1) * self.style.leading
        self.canv.setFont(self.style.fontName, self.style.fontSize)
        self.canv.drawRightString(self.width, base_y, self.page)


def render_volume_pdf(vol: dict, arts: list[dict], out: Path) -> dict:
    """Render the conference volume; returns page information for the manifest."""
    register_fonts()
    st = make_styles(9.5)
    sec = vol["sections"]
    pw, ph = A5
    left, right, top, bottom = 18 * mm, 16 * mm, 20 * mm, 18 * mm
    width = pw - left - right
    when = fixed_date(vol)
    cover_title = ParagraphStyle("ct", fontName="DejaVuSerif-Bold", fontSize=13, leading=17,
                                 alignment=TA_CENTER)
    center = ParagraphStyle("c", fontName="DejaVuSerif", fontSize=9.5, leading=12.5,
                            alignment=TA_CENTER)
    center_small = ParagraphStyle("cs", parent=center, fontSize=8.5, leading=11)
    center_b = ParagraphStyle("cb", parent=center, fontName="DejaVuSerif-Bold")
    imprint = ParagraphStyle("imp", fontName="DejaVuSerif", fontSize=8.5, leading=11,
                             alignment=TA_JUSTIFY)
    imprint_indent = ParagraphStyle("impi", parent=imprint, firstLineIndent=14)
    toc_style = ParagraphStyle("tocs", fontName="DejaVuSerif", fontSize=9.5, leading=12.5,
                               alignment=TA_LEFT, spaceAfter=7)
    toc_head = ParagraphStyle("toch", parent=cover_title, fontSize=11, spaceAfter=12)

    def lines_of(name):
        return [ln.strip() for ln in sec[name].splitlines() if ln.strip()]

    def cover_page(c, d):
        c.setDateFormatter(pdf_date_formatter(when))

    def front_page(c, d):
        pass  # unnumbered front matter (title page, imprint)

    def numbered(c, d):
        c.saveState()
        c.setFont("DejaVuSerif", 8.5)
        c.drawCentredString(pw / 2, 10 * mm, str(d.page - VOLUME_PAGE_OFFSET))
        c.restoreState()

    def article_page(c, d):
        numbered(c, d)
        c.saveState()
        c.setFont("DejaVuSans", 7)
        c.drawCentredString(pw / 2, ph - 12 * mm, vol["running_title"])
        c.setLineWidth(0.4)
        c.line(left, ph - 13.5 * mm, pw - right, ph - 13.5 * mm)
        c.restoreState()

    def build(toc_pages: dict) -> tuple[bytes, dict, int]:
        marks: dict = {}
        buf = io.BytesIO()
        doc = BaseDocTemplate(
            buf, pagesize=A5, leftMargin=left, rightMargin=right, topMargin=top,
            bottomMargin=bottom, title=plain(vol["title"]), author=vol["editors_meta"],
            subject=DEMO_NOTE, creator="Kelisim Archive make_demo_content.py",
            keywords=vol.get("keywords", ""), lang="ru", invariant=1, pageCompression=1)
        frame = Frame(left, bottom, width, ph - top - bottom, leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0)
        doc.addPageTemplates([
            PageTemplate("cover", [frame], onPage=cover_page),
            PageTemplate("front", [frame], onPage=front_page),
            PageTemplate("plain", [frame], onPage=numbered),
            PageTemplate("article", [frame], onPage=article_page),
        ])
        story: list = []
        # Physical page 1: bilingual cover.
        for ln in lines_of("cover_top"):
            story.append(Paragraph(inline(ln), center_b))
        story.append(Spacer(1, 28 * mm))
        story.append(Paragraph(inline(vol["title_kk_cover"]), cover_title))
        story.append(Spacer(1, 10 * mm))
        story.append(Paragraph(inline(vol["title_ru_cover"]), cover_title))
        story.append(Spacer(1, 45 * mm))
        story.append(Paragraph(inline(vol["cover_bottom"]), center_b))
        story += [NextPageTemplate("front"), PageBreak()]
        # Physical page 2: title page.
        for ln in lines_of("title_top"):
            story.append(Paragraph(inline(ln), center))
        story.append(Spacer(1, 24 * mm))
        story.append(Paragraph(inline(vol["title_page_heading"]), cover_title))
        story.append(Spacer(1, 4 * mm))
        for ln in lines_of("title_event"):
            story.append(Paragraph(inline(ln), center))
        story.append(Spacer(1, 18 * mm))
        for ln in lines_of("title_editors"):
            story.append(Paragraph(inline(ln), center))
        story.append(Spacer(1, 40 * mm))
        story.append(Paragraph(inline(vol["cover_bottom"]), center_b))
        story.append(PageBreak())
        # Physical page 3: imprint.
        for ln in lines_of("imprint_codes"):
            story.append(Paragraph(inline(ln), ParagraphStyle("l", parent=imprint, alignment=TA_LEFT)))
        story.append(Spacer(1, 5 * mm))
        for ln in lines_of("imprint_editorial"):
            story.append(Paragraph(inline(ln), imprint))
        story.append(Spacer(1, 4 * mm))
        for ln in lines_of("imprint_record"):
            ln = ln.replace("{pages}", toc_pages.get("_pages", "00"))
            story.append(Paragraph(inline(ln), imprint_indent))
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(inline(sec["imprint_annotation"]), imprint_indent))
        story.append(Spacer(1, 8 * mm))
        for ln in lines_of("imprint_bottom"):
            story.append(Paragraph(inline(ln), ParagraphStyle("r", parent=imprint, alignment=TA_RIGHT)))
        story += [NextPageTemplate("plain"), PageBreak()]
        # Physical page 4: contents.
        story.append(Paragraph("СОДЕРЖАНИЕ", toc_head))
        num_w = 0  # per row: width of its own number
        story.append(ContentsRow(inline(vol["foreword_title"]), toc_pages.get("foreword", "0"),
                                 toc_style, num_w))
        for i, a in enumerate(arts):
            markup = "<i>" + escape(", ".join(printed_authors(a))) + "</i><br/>" + inline(a["title"])
            story.append(ContentsRow(markup, toc_pages.get(f"a{i}", "0"), toc_style, num_w))
        story.append(ContentsRow(inline(vol["authors_title"]), toc_pages.get("authors", "0"),
                                 toc_style, num_w))
        story.append(PageBreak())
        # Physical page 5: foreword.
        story.append(PageMark("foreword", marks))
        story.append(Paragraph(inline(vol["foreword_title"]), toc_head))
        for kind, val in blocks(sec["foreword"]):
            story.append(Paragraph(inline(val), st["body"]))
        story.append(Spacer(1, 4 * mm))
        story.append(Paragraph(inline(vol["foreword_sign"]), st["received"]))
        story.append(NextPageTemplate("article"))
        for i, a in enumerate(arts):
            story.append(PageBreak())
            story.append(PageMark(f"a{i}", marks))
            story += article_story(a, st, width)
            story.append(PageMark(f"a{i}_end", marks))
        story += [NextPageTemplate("plain"), PageBreak()]
        story.append(PageMark("authors", marks))
        story.append(Paragraph(inline(vol["authors_title"]), toc_head))
        for item in list_items(sec["about_authors"]):
            story.append(Paragraph(inline(item), ParagraphStyle("aa", parent=imprint, spaceAfter=4)))
        story.append(Spacer(1, 10 * mm))
        for ln in lines_of("colophon"):
            story.append(Paragraph(inline(ln), center_small))
        doc.build(story)
        return buf.getvalue(), marks, doc.page

    def printed(marks, npages):
        out = {k: str(v - VOLUME_PAGE_OFFSET) for k, v in marks.items()}
        out["_pages"] = str(npages - VOLUME_PAGE_OFFSET)  # the cover is outside the book block
        return out

    _, marks1, n1 = build({})
    data, marks2, npages = build(printed(marks1, n1))
    if marks1 != marks2 or n1 != npages:
        raise RuntimeError(f"volume layout unstable between passes: {marks1} != {marks2}")
    out.write_bytes(data)
    info = {"pages": npages, "articles": []}
    for i, a in enumerate(arts):
        first, last = marks2[f"a{i}"], marks2[f"a{i}_end"]
        info["articles"].append({
            "title": plain(a["title"]), "authors": printed_authors(a), "language": a["lang"],
            "physical_first_page": first, "physical_last_page": last,
            "printed_first_page": first - VOLUME_PAGE_OFFSET,
            "printed_last_page": last - VOLUME_PAGE_OFFSET,
        })
    return info


# --------------------------------------------------------------------------------------------
# Demo archive
# --------------------------------------------------------------------------------------------

def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(str(path)).pages)


def build_demo(root: Path) -> dict:
    files_dir = root / DEMO_FILES
    if files_dir.exists():
        shutil.rmtree(files_dir)
    files_dir.mkdir(parents=True)
    entries = []
    for src in sorted((SOURCES / "articles").glob("*.md")):
        meta = parse_source(src)
        formats = [f.strip() for f in meta.get("formats", "pdf").split(",")]
        for fmt in formats:
            name = f"{meta['id']}.{fmt}"
            out = files_dir / name
            entry = {
                "file": name, "kind": "article", "format": fmt, "language": meta["lang"],
                "title": plain(meta["title"]), "title_as_printed": plain(display_title(meta)),
                "authors": printed_authors(meta), "year": int(meta["year"]),
                "source": f"demo/sources/articles/{src.name}",
            }
            if fmt == "pdf":
                render_article_pdf(meta, out)
                entry["pages"] = pdf_pages(out)
            else:
                render_article_docx(meta, out)
            if len(formats) > 1:
                entry["pair"] = [f"{meta['id']}.{f}" for f in formats if f != fmt][0]
            entries.append(entry)
    vol = parse_source(SOURCES / "volume" / "volume.md")
    arts = [parse_source(SOURCES / "volume" / name) for name in vol["articles"]]
    vname = f"{vol['id']}.pdf"
    info = render_volume_pdf(vol, arts, files_dir / vname)
    entries.append({
        "file": vname, "kind": "volume", "format": "pdf", "language": "ru+kk",
        "title": plain(vol["title"]), "title_kk": plain(vol["title_kk"]),
        "authors": vol["editors"], "editors": vol["editors"], "year": int(vol["year"]),
        "isbn": vol["isbn"], "pages": info["pages"], "printed_page_offset": VOLUME_PAGE_OFFSET,
        "contents_physical_page": 4, "articles": info["articles"],
        "source": "demo/sources/volume/",
    })
    probes = json.loads((SOURCES / "probes.json").read_text(encoding="utf-8"))
    manifest = {
        "description": "Kelisim Archive demo archive. Generated by scripts/make_demo_content.py "
                       "from demo/sources/; do not edit by hand. " + DEMO_NOTE,
        "files": entries,
        "probe_queries": probes["probes"],
    }
    (root / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                 encoding="utf-8")
    return manifest


# --------------------------------------------------------------------------------------------
# Test fixtures
# --------------------------------------------------------------------------------------------

def looping_pages_pdf() -> bytes:
    """A hand-written PDF whose /Pages node lists itself among its /Kids (a page-tree cycle)."""
    content = b"BT /F1 18 Tf 72 720 Td (Looping page tree) Tj ET\n"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objs) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def encrypt_pdf(data: bytes, password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password="kelisim-owner", algorithm="RC4-128")
    writer._ID = ArrayObject((writer._ID[0], writer._ID[0]))  # second half is random otherwise
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


FIXTURE_PASSWORD = "kelisim"


def build_fixtures(root: Path) -> None:
    fx = root / FIXTURES
    fx.mkdir(parents=True, exist_ok=True)
    fsrc = SOURCES / "fixtures"
    ru = parse_source(fsrc / "ru_article.md")
    n = render_article_pdf(ru, fx / "ru_article.pdf")
    if n != 1:
        raise RuntimeError(f"ru_article.pdf must be 1 page, got {n}")
    render_article_docx(parse_source(fsrc / "kk_article.md"), fx / "kk_article.docx")
    (fx / "empty.pdf").write_bytes(b"")
    valid = (fx / "ru_article.pdf").read_bytes()
    (fx / "truncated.pdf").write_bytes(valid[: len(valid) // 2])
    (fx / "html_named.pdf").write_bytes((fsrc / "html_named.html").read_bytes())
    (fx / "random_bytes.pdf").write_bytes(random.Random(20240501).randbytes(4096))
    enc_src = parse_source(fsrc / "encrypted.md")
    tmp = io.BytesIO()
    with tempfile.TemporaryDirectory() as td:
        p = Path(td) / "plain.pdf"
        render_article_pdf(enc_src, p)
        tmp.write(p.read_bytes())
    (fx / "encrypted.pdf").write_bytes(encrypt_pdf(tmp.getvalue(), FIXTURE_PASSWORD))
    (fx / "not_a_zip.docx").write_bytes((fsrc / "not_a_zip.txt").read_bytes())
    render_article_pdf(parse_source(fsrc / "xss_title.md"), fx / "xss_title.pdf")
    (fx / "looping_pages.pdf").write_bytes(looping_pages_pdf())


FIXTURE_NAMES = ["ru_article.pdf", "kk_article.docx", "empty.pdf", "truncated.pdf",
                 "html_named.pdf", "random_bytes.pdf", "encrypted.pdf", "not_a_zip.docx",
                 "xss_title.pdf", "looping_pages.pdf"]  # tests/data/README.md is hand-written


# --------------------------------------------------------------------------------------------
# --check: compare extracted text of regenerated outputs with the committed ones
# --------------------------------------------------------------------------------------------

def signature(path: Path) -> object:
    """What --check compares: per-page text for PDFs, paragraph/table text for DOCX, decrypted
    text for the encrypted fixture, raw bytes for deliberately broken fixtures and other files."""
    name = path.name
    data = path.read_bytes()
    if name == "encrypted.pdf":
        from pypdf import PdfReader
        r = PdfReader(io.BytesIO(data))
        r.decrypt(FIXTURE_PASSWORD)
        return ["encrypted", r.is_encrypted, [p.extract_text() for p in r.pages]]
    if name.endswith(".pdf") and data.startswith(b"%PDF") and name not in (
            "truncated.pdf", "looping_pages.pdf"):
        from pdfminer.high_level import extract_text
        from pypdf import PdfReader
        n = len(PdfReader(io.BytesIO(data)).pages)
        return ["pdf", n, [extract_text(io.BytesIO(data), page_numbers=[i]) for i in range(n)]]
    if name.endswith(".docx") and data.startswith(b"PK"):
        import docx
        d = docx.Document(io.BytesIO(data))
        paras = [p.text for p in d.paragraphs]
        cells = [[c.text for c in row.cells] for t in d.tables for row in t.rows]
        return ["docx", paras, cells]
    if name == "manifest.json":
        return json.loads(data)
    if name == "truncated.pdf":
        return ["truncated", len(data) > 0, data[:8]]
    return data


def all_outputs(root: Path) -> list[Path]:
    paths = sorted(p.relative_to(root) for p in (root / DEMO_FILES).iterdir())
    paths.append(MANIFEST)
    paths += [FIXTURES / n for n in FIXTURE_NAMES]
    return paths


def check() -> int:
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        build_demo(tmp)
        build_fixtures(tmp)
        new = all_outputs(tmp)
        old = all_outputs(ROOT) if (ROOT / DEMO_FILES).exists() else []
        problems = []
        if sorted(map(str, new)) != sorted(map(str, old)):
            problems.append(f"file lists differ: only new {sorted(set(map(str, new)) - set(map(str, old)))}, "
                            f"only committed {sorted(set(map(str, old)) - set(map(str, new)))}")
        for rel in new:
            if not (ROOT / rel).exists():
                problems.append(f"missing: {rel}")
                continue
            if signature(tmp / rel) != signature(ROOT / rel):
                problems.append(f"differs: {rel}")
    if problems:
        print("demo content is out of date; run: python scripts/make_demo_content.py")
        for p in problems:
            print("  " + p)
        return 1
    print(f"ok: {len(new)} outputs match their sources")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="regenerate into a temp dir and compare")
    ap.add_argument("--out", type=Path, default=ROOT, help="output root (default: repository)")
    ap.add_argument("--only", choices=["demo", "fixtures"], help="build only one section")
    args = ap.parse_args(argv)
    if args.check:
        return check()
    if args.only in (None, "demo"):
        m = build_demo(args.out)
        print(f"demo: {len(m['files'])} files, {len(m['probe_queries'])} probe queries")
    if args.only in (None, "fixtures"):
        build_fixtures(args.out)
        print(f"fixtures: {len(FIXTURE_NAMES)} files in {args.out / FIXTURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
