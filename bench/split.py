"""Boundary precision/recall/F1 of uploads.volumes.split_volume on the two real corpus volumes.

Run: .venv/bin/python bench/split.py [--pdfminer]
Expected article first pages come from tests/uploads/test_volumes.py (written from the volumes' TOCs).
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, REPO, page_texts  # noqa: E402

from uploads.volumes import find_toc, split_volume  # noqa: E402

logger = logging.getLogger(__name__)


def _expected() -> dict[str, list[int]]:
    """Load the expected boundaries kept as data in the volume tests."""
    spec = importlib.util.spec_from_file_location("_tv", REPO / "tests" / "uploads" / "test_volumes.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.EXPECTED


def scores(found: list[int], expected: list[int]) -> tuple[int, float, float, float]:
    """(true positives, precision, recall, F1) of first pages."""
    f, e = set(found), set(expected)
    tp = len(f & e)
    p = tp / len(f) if f else 0.0
    r = tp / len(e) if e else 0.0
    return tp, p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    """Print per-volume and overall boundary figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pdfminer", action="store_true", help="extract text with pdfminer.six (slow)")
    ap.add_argument("--no-toc", action="store_true", help="blank the TOC pages to measure the layout fallback")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}")
        return 1
    expected = _expected()
    tot_found = tot_exp = tot_tp = 0
    print(f"extractor: {'pdfminer' if args.pdfminer else 'pypdfium2'}{'  (TOC pages blanked)' if args.no_toc else ''}")
    print(f"{'volume':52s} {'pages':>5s} {'method':>6s} {'exp':>4s} {'found':>5s} {'P':>6s} {'R':>6s} {'F1':>6s} {'split s':>8s}")
    for rel, exp in expected.items():
        pages = page_texts(CORPUS / rel, args.pdfminer)
        if args.no_toc:
            toc = find_toc(pages)
            if toc:
                for i in range(toc[0] - 1, toc[1]):
                    pages[i] = ""
        t0 = time.perf_counter()
        _, spans = split_volume(pages)
        dt = time.perf_counter() - t0
        found = [s.first_page for s in spans]
        tp, p, r, f1 = scores(found, exp)
        method = spans[0].source if spans else "-"
        tot_found += len(set(found))
        tot_exp += len(set(exp))
        tot_tp += tp
        print(f"{Path(rel).name:52s} {len(pages):5d} {method:>6s} {len(set(exp)):4d} {len(set(found)):5d} "
              f"{p:6.3f} {r:6.3f} {f1:6.3f} {dt:8.3f}")
        missed = sorted(set(exp) - set(found))
        extra = sorted(set(found) - set(exp))
        if missed or extra:
            print(f"    missed: {missed[:20]}  extra: {extra[:20]}")
    p = tot_tp / tot_found if tot_found else 0.0
    r = tot_tp / tot_exp if tot_exp else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{'overall':52s} {'':5s} {'':6s} {tot_exp:4d} {tot_found:5d} {p:6.3f} {r:6.3f} {f1:6.3f}")
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(main())
