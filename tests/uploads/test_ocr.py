"""Tests for uploads.extract.ocr (skipped when tesseract or the shared corpus is missing)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from uploads.errors import UploadError
from uploads.extract import ocr

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
SCAN = CORPUS / "scanned" / "ru_gost_7_80_2000_scan.pdf"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

needs_tesseract = pytest.mark.skipif(not ocr.tesseract_available(), reason="tesseract with rus+kaz+eng not installed")


def test_missing_language_reports_unavailable() -> None:
    assert ocr.tesseract_available("rus+nosuchlang") is False


def test_missing_tesseract_raises_upload_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ocr, "_tesseract_binary", lambda: None)
    img = tmp_path / "x.png"
    img.write_bytes(b"not really an image")
    with pytest.raises(UploadError) as exc:
        ocr.ocr_image(img)
    assert "OCR" in exc.value.user_message
    assert exc.value.code == "ocr_unavailable"


@needs_tesseract
@pytest.mark.skipif(not SCAN.exists(), reason="shared corpus not present")
def test_ocr_scanned_gost_page() -> None:
    result = ocr.ocr_pdf_pages(SCAN, [1, 99])
    assert set(result) == {1}
    text = result[1].upper()
    for word in ("ГОСТ", "БИБЛИОГРАФИЧЕСКАЯ", "ЗАПИСЬ", "ЗАГОЛОВОК", "СТАНДАРТ"):
        assert word in text, word


@needs_tesseract
@pytest.mark.skipif(not FONT.exists(), reason="DejaVuSans font not installed")
def test_ocr_rendered_kazakh_image(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    lines = ["Қазақ тілі – мемлекеттік тіл.", "Ғылым мен білім өмірдің негізі.", "Әңгіме үйде өтті."]
    font = ImageFont.truetype(str(FONT), 48)
    img = Image.new("L", (1400, 80 + 90 * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 90 * i), line, font=font, fill=0)
    path = tmp_path / "kk.png"
    img.save(path)
    text = ocr.ocr_image(path, langs="kaz+rus+eng")
    kk_letters = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
    found = {c for c in text if c in kk_letters}
    assert len(found) >= 4, text
    assert "Қазақ" in text or "қазақ" in text.lower()
