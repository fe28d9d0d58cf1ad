"""PDF generators the uploader's tests share (``pdfs`` fixture): short-line books, scans, blank pages."""
from __future__ import annotations

from pathlib import Path

import pytest

from support import FONT

# Short real lines, as a register, a catalogue or a book of plates has them: each far below what the old
# judge needed (12 characters, 5 letters) to believe a page had text.
SHORT_LINES = ["Итоги", "Кіріспе", "Тарау", "Раздел", "Жалғасы", "Обзор", "Мазмұны", "Ескерту"]


def _canvas(path: Path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    return canvas.Canvas(str(path), pagesize=A4, invariant=1), A4


class PdfMaker:
    """Writes the test PDFs; every text is generated here, nothing is copied from the corpus."""

    @staticmethod
    def line(i: int) -> str:
        """The short line of page ``i``."""
        return f"{i}. {SHORT_LINES[i % len(SHORT_LINES)]}"

    def short_lines(self, path: Path, pages: int) -> Path:
        """``pages`` A4 pages, each with one short line of real text (reportlab, DejaVu)."""
        c, _ = _canvas(path)
        for i in range(1, pages + 1):
            c.setFont("DejaVuSerif", 11)
            c.drawString(72, 770, self.line(i))
            c.showPage()
        c.save()
        return path

    def mixed(self, path: Path, kinds: list[str]) -> Path:
        """One page per kind: "scan" (a page-sized picture of text plus a stray page number in the text
        layer), "line" (one short line), "blank" (nothing) or "logo" (a small picture and one short line)."""
        from PIL import Image, ImageDraw, ImageFont
        from reportlab.lib.utils import ImageReader

        scan = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(scan)
        font = ImageFont.truetype(FONT, 40)
        for row in range(12):
            draw.text((100, 150 + 110 * row), "Межэтнические отношения в городе", font=font, fill=0)
        logo = Image.new("L", (120, 60), 90)
        c, (w, h) = _canvas(path)
        for i, kind in enumerate(kinds, start=1):
            c.setFont("DejaVuSerif", 11)
            if kind == "scan":
                c.drawImage(ImageReader(scan), 0, 0, width=w, height=h)
                c.drawString(w / 2, 30, str(i))
            elif kind == "line":
                c.drawString(72, 770, self.line(i))
            elif kind == "logo":
                c.drawImage(ImageReader(logo), 72, 700, width=120, height=60)
                c.drawString(72, 770, self.line(i))
            c.showPage()
        c.save()
        return path


@pytest.fixture
def pdfs() -> PdfMaker:
    return PdfMaker()
