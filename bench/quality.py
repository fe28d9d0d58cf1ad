"""Per corpus PDF: problems found per page by uploads.quality, and whether repair fixed them.

Run: .venv/bin/python bench/quality.py [--pdfminer]
"""
from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, page_texts  # noqa: E402

from uploads.quality import judge_page, needs_ocr, repair_page  # noqa: E402

logger = logging.getLogger(__name__)


def _fmt(c: Counter[str]) -> str:
    return ", ".join(f"{k}:{v}" for k, v in sorted(c.items())) or "-"


def main() -> int:
    """Print the judged problems, the repairs and the pages still needing OCR for every corpus PDF."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pdfminer", action="store_true", help="extract text with pdfminer.six (slow)")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}")
        return 1
    files = sorted(CORPUS.glob("pdf/*.pdf")) + sorted(CORPUS.glob("scanned/*.pdf")) + sorted(CORPUS.glob("collections/*.pdf"))
    print(f"extractor: {'pdfminer' if args.pdfminer else 'pypdfium2'}")
    print(f"{'file':48s} {'pages':>5s} {'flagged':>7s} {'repaired':>8s} {'need OCR':>8s}  problems found -> left after repair")
    totals = Counter()
    for path in files:
        pages = page_texts(path, args.pdfminer)
        found: Counter[str] = Counter()
        left: Counter[str] = Counter()
        flagged = repaired = ocr = 0
        for text in pages:
            problems = judge_page(text)
            found.update(problems)
            flagged += bool(problems)
            _, remaining, did = repair_page(text)
            left.update(remaining)
            repaired += did and bool(problems)
            ocr += needs_ocr(remaining)
        totals.update(pages=len(pages), flagged=flagged, repaired=repaired, ocr=ocr)
        print(f"{path.parent.name + '/' + path.name:48s} {len(pages):5d} {flagged:7d} {repaired:8d} {ocr:8d}  "
              f"{_fmt(found)} -> {_fmt(left)}")
    print(f"{'total':48s} {totals['pages']:5d} {totals['flagged']:7d} {totals['repaired']:8d} {totals['ocr']:8d}")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(main())
