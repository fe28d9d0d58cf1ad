"""Tesseract OCR for scanned PDF pages and image uploads (runs the ``tesseract`` binary, no shell)."""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from uploads.errors import UploadError

logger = logging.getLogger(__name__)

__all__ = ["tesseract_available", "ocr_pdf_pages", "ocr_image", "OCR_MISSING_MESSAGE"]

OCR_MISSING_MESSAGE = "Text recognition (OCR) is not installed on this server; the scanned pages could not be read."
DEFAULT_LANGS = "rus+kaz+eng"
_MAX_PIXELS = 60_000_000  # refuse to render absurdly large pages (memory bound)

_lock = threading.Lock()
_available: dict[str, bool] = {}
_installed_langs: set[str] | None = None


def _tesseract_binary() -> str | None:
    return shutil.which("tesseract")


def _list_langs(binary: str) -> set[str]:
    """Languages the installed tesseract knows (``tesseract --list-langs``)."""
    try:
        out = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        logger.warning("tesseract --list-langs failed", exc_info=True)
        return set()
    langs = set()
    for line in (out.stdout + "\n" + out.stderr).splitlines():
        line = line.strip()
        if line and " " not in line and not line.endswith(":"):
            langs.add(line)
    return langs


def tesseract_available(langs: str = DEFAULT_LANGS) -> bool:
    """True when the tesseract binary is installed together with every language in ``langs`` (cached)."""
    with _lock:
        if langs in _available:
            return _available[langs]
        global _installed_langs
        binary = _tesseract_binary()
        ok = False
        if binary:
            if _installed_langs is None:
                _installed_langs = _list_langs(binary)
            wanted = {x for x in langs.split("+") if x}
            ok = bool(wanted) and wanted <= _installed_langs
            if not ok:
                logger.warning("tesseract lacks languages %s (has %s)", wanted - _installed_langs, sorted(_installed_langs))
        else:
            logger.warning("tesseract binary not found")
        _available[langs] = ok
        return ok


def _require(langs: str) -> str:
    binary = _tesseract_binary()
    if not binary or not tesseract_available(langs):
        raise UploadError(OCR_MISSING_MESSAGE, code="ocr_unavailable", detail=f"tesseract with {langs} not available")
    return binary


def _run_tesseract(binary: str, image: Path, langs: str, timeout_s: float) -> str:
    """Run tesseract on one image file and return its text."""
    env = dict(os.environ)
    env.setdefault("OMP_THREAD_LIMIT", "1")  # one page at a time, do not fan out over all cores
    try:
        proc = subprocess.run(
            [binary, str(image), "stdout", "-l", langs, "--psm", "3"],
            capture_output=True,
            timeout=timeout_s,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise UploadError(
            "Text recognition took too long on a page of this file.", code="ocr_timeout", detail=str(exc)
        ) from exc
    except OSError as exc:
        raise UploadError(OCR_MISSING_MESSAGE, code="ocr_unavailable", detail=str(exc)) from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")[-500:]
        raise UploadError("Text recognition failed on a page of this file.", code="ocr_failed", detail=err)
    return proc.stdout.decode("utf-8", "replace").replace("\f", "").strip()


def _render_page(pdf, index: int, dpi: int, out: Path) -> None:
    """Render one 0-based page of an open pypdfium2 document to a greyscale PNG."""
    page = pdf[index]
    try:
        w, h = page.get_size()
        scale = dpi / 72.0
        if w * h * scale * scale > _MAX_PIXELS:
            scale = (_MAX_PIXELS / (w * h)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            bitmap.to_pil().save(out)
        finally:
            bitmap.close()
    finally:
        page.close()


def ocr_pdf_pages(
    path: Path,
    page_numbers: list[int],
    langs: str = DEFAULT_LANGS,
    dpi: int = 300,
    timeout_s: float = 120,
    stop_at: float | None = None,
) -> dict[int, str]:
    """OCR the given 1-based pages of a PDF, one page at a time; returns {page number: text}.

    With ``stop_at`` (a ``time.monotonic()`` value) no page is started after that moment: the pages done so
    far are returned and the caller tells the person which were left. Progress goes to ``uploads.progress``.
    """
    binary = _require(langs)
    import pypdfium2 as pdfium

    from .. import progress

    path = Path(path)
    result: dict[int, str] = {}
    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pypdfium2 raises PdfiumError and friends
        raise UploadError("This PDF could not be opened for text recognition.", code="invalid", detail=str(exc)) from exc
    try:
        n = len(pdf)
        with tempfile.TemporaryDirectory(prefix="kelisim-ocr-") as tmp:
            img = Path(tmp) / "page.png"
            total = len(page_numbers)
            for done, number in enumerate(page_numbers):
                progress.report("ocr", done, total)
                if stop_at is not None and time.monotonic() >= stop_at:
                    logger.warning("OCR of %s stopped after %s of %s pages: time budget used", path.name, done, total)
                    break
                if number < 1 or number > n:
                    logger.warning("OCR: page %s out of range (1..%s) in %s", number, n, path.name)
                    continue
                try:
                    _render_page(pdf, number - 1, dpi, img)
                except Exception as exc:
                    logger.warning("OCR: could not render page %s of %s: %s", number, path.name, exc)
                    result[number] = ""
                    continue
                try:
                    result[number] = _run_tesseract(binary, img, langs, timeout_s)
                finally:
                    img.unlink(missing_ok=True)
            else:
                progress.report("ocr", total, total)
    finally:
        pdf.close()
    return result


def ocr_image(path: Path, langs: str = DEFAULT_LANGS, timeout_s: float = 120) -> str:
    """OCR one image file (PNG, JPEG, TIFF, ...) and return its text."""
    binary = _require(langs)
    path = Path(path)
    if not path.is_file():
        raise UploadError("The image file could not be found.", code="invalid", detail=str(path))
    return _run_tesseract(binary, path, langs, timeout_s)
