"""Per-article PDFs cut from a volume with pypdf."""
from __future__ import annotations

from pathlib import Path

from .errors import UploadError


def split_pdf(src: Path, ranges: list[tuple[int, int]], out_dir: Path) -> list[Path]:
    """Write pages ``first..last`` (1-based, inclusive) of ``src`` for each range; returns the new files."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    out: list[Path] = []
    try:
        reader = PdfReader(str(src))
        n = len(reader.pages)
        for i, (first, last) in enumerate(ranges):
            writer = PdfWriter()
            for p in range(max(1, first), min(n, last) + 1):
                writer.add_page(reader.pages[p - 1])
            dest = Path(out_dir) / f"part-{i:04d}.pdf"
            with open(dest, "wb") as fh:
                writer.write(fh)
            out.append(dest)
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise UploadError("The volume could be read but not cut into per-article PDFs.", "split-failed",
                          repr(exc)) from exc
    return out
