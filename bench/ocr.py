"""OCR speed on the scanned corpus files: seconds per page for the first few pages of each.

Run: /work/main/.venv/bin/python bench/ocr.py [--pages 3] [--dpi 300]
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from uploads.extract.ocr import ocr_pdf_pages, tesseract_available  # noqa: E402

logger = logging.getLogger(__name__)
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"


def main() -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--langs", default="rus+kaz+eng")
    args = ap.parse_args()
    if not tesseract_available(args.langs):
        sys.exit(f"tesseract with {args.langs} is not available")
    files = sorted((args.corpus / "scanned").glob("*.pdf"))
    if not files:
        sys.exit(f"no scanned PDFs under {args.corpus}")
    total_pages, total_s = 0, 0.0
    for f in files:
        pages = list(range(1, args.pages + 1))
        t0 = time.perf_counter()
        res = ocr_pdf_pages(f, pages, langs=args.langs, dpi=args.dpi)
        dt = time.perf_counter() - t0
        chars = sum(len(t) for t in res.values())
        total_pages += len(res)
        total_s += dt
        print(f"{f.name:40} {len(res)} pages  {dt / max(1, len(res)):5.1f} s/page  {chars} chars")
    print(f"overall: {total_s / max(1, total_pages):.1f} s/page over {total_pages} pages "
          f"(dpi {args.dpi}, langs {args.langs})")


if __name__ == "__main__":
    main()
