"""Extraction speed and quality: PDFium text path vs pdfminer.six vs poppler's pdftotext, same run.

Part "corpus" prints pages/s on the shared corpus's text PDFs (single articles and the two volumes) for
  * pdftotext (reference, if installed),
  * uploads.extract.pdf.extract_pdf(engine="pdfium")   (default: PDFium text + pdfminer page-1 layout),
  * uploads.extract.pdf.extract_pdf(engine="pdfminer"),
the whole pipeline (extract_file: quality repair, cleaning, metadata, volume split; OCR off), and the
metadata accuracy (title, authors, year vs MANIFEST.json) reached through the pipeline with each engine.

Part "book" generates the issue-15 file (1,500 pages, one short line each; the generator of
tests/uploads/conftest.py) and times ``process_file`` on it as the archive calls it: limited child, OCR on,
default limits, progress events counted.

Part "precheck" times ``uploads.precheck`` on every corpus PDF/DOCX (best of 3 runs each).

Run: .venv/bin/python bench/ingest.py [--part all|corpus|book|precheck] [--book-pages 1500] [--corpus DIR] [--ocr]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

TEXT_BROKEN = {"ru_chasova_ligands_no_unicode.pdf", "ru_gost_7_88_2003_broken_font.pdf"}


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def book(pages: int) -> None:
    """Pages/s of ``process_file`` on a generated book of one short line per page (issue 15)."""
    import importlib.util
    import tempfile

    from uploads.limits import Limits
    from uploads.pipeline import process_file

    sys.path.insert(0, str(REPO / "tests"))
    spec = importlib.util.spec_from_file_location("uploads_test_pdfs", REPO / "tests" / "uploads" / "conftest.py")
    pdfs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pdfs)
    with tempfile.TemporaryDirectory(prefix="bench-book-") as tmp:
        path, t_gen = timed(pdfs.PdfMaker().short_lines, Path(tmp) / "book.pdf", pages)
        limits = Limits()
        print(f"book: {pages} pages of one short line, generated in {t_gen:.1f} s; process_file with {limits}")
        for run in ("first (starts the forkserver)", "second"):
            events: list[dict] = []
            doc, took = timed(process_file, path, limits, on_progress=events.append)
            methods = {m: sum(p.method == m for p in doc.pages) for m in sorted({p.method for p in doc.pages})}
            print(f"  {run:30} {took:6.2f} s  {len(doc.pages) / took:7.1f} pages/s  pages by method {methods}  "
                  f"{len(events)} progress events")


def prechecks(corpus: Path) -> None:
    """How long ``uploads.precheck`` takes on each corpus file (best of three) and what it estimates."""
    import uploads
    from uploads.errors import UploadError

    files = sorted(p for d in ("pdf", "collections", "scanned", "docx") for p in (corpus / d).glob("*.*"))
    times: list[float] = []
    print(f"{'file':55} {'ms':>7} {'pages':>5} {'OCR est.':>8} sampled")
    for f in files:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            try:
                check = uploads.precheck(f, 200 * 1024 * 1024)
                result = f"{check.page_count:5} {check.likely_ocr_pages:8} {check.sampled_pages}"
            except UploadError as exc:
                result = f"refused: {exc.code}"
            best = min(best, time.perf_counter() - t)
        times.append(best)
        print(f"{f.parent.name + '/' + f.name:55.55} {best * 1000:7.1f} {result}")
    times.sort()
    print(f"precheck over {len(times)} files: median {times[len(times) // 2] * 1000:.1f} ms, "
          f"max {times[-1] * 1000:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--ocr", action="store_true", help="also time OCR of the scanned files (slow)")
    ap.add_argument("--part", choices=["all", "corpus", "book", "precheck"], default="all")
    ap.add_argument("--book-pages", type=int, default=1500)
    args = ap.parse_args()
    if args.part in ("all", "book"):
        book(args.book_pages)
    if args.part == "book":
        return
    if not args.corpus.exists():
        print(f"corpus not found at {args.corpus}; nothing to measure")
        return
    if args.part in ("all", "precheck"):
        prechecks(args.corpus)
    if args.part == "precheck":
        return
    from uploads import pipeline
    from uploads.extract.pdf import extract_pdf
    from metadata import gold_surnames, pred_surnames, title_ok  # bench/metadata.py's scoring

    manifest = {m["file"]: m for m in json.loads((args.corpus / "MANIFEST.json").read_text())}
    files = sorted((args.corpus / "pdf").glob("*.pdf")) + sorted((args.corpus / "collections").glob("*.pdf"))
    files = [f for f in files if f.name not in TEXT_BROKEN]
    have_pdftotext = shutil.which("pdftotext") is not None
    tot = {"pages": 0, "pdftotext": 0.0, "pdfium": 0.0, "pdfminer": 0.0, "pipeline": 0.0}
    acc = {e: {"title": [0, 0], "authors": [0, 0], "year": [0, 0]} for e in ("pdfium", "pdfminer")}
    print(f"{'file':50} {'pages':>5} {'pdftotext':>9} {'pdfium':>8} {'pdfminer':>9} {'pipeline':>9}")
    for f in files:
        if have_pdftotext:
            _, t_ref = timed(subprocess.run, ["pdftotext", "-layout", str(f), "-"], capture_output=True, check=True)
        else:
            t_ref = float("nan")
        r, t_ium = timed(extract_pdf, f, engine="pdfium")
        _, t_min = timed(extract_pdf, f, engine="pdfminer")
        n = len(r.pages)
        _, t_pipe = timed(pipeline.extract_file, f, 3000, False)
        tot["pages"] += n
        tot["pdftotext"] += t_ref
        tot["pdfium"] += t_ium
        tot["pdfminer"] += t_min
        tot["pipeline"] += t_pipe
        print(f"{f.name[:50]:50} {n:5} {t_ref:8.2f}s {t_ium:7.2f}s {t_min:8.2f}s {t_pipe:8.2f}s")
        rel = f"{f.parent.name}/{f.name}"
        gold = manifest.get(rel)
        if gold and gold.get("kind") == "article":
            for engine in ("pdfium", "pdfminer"):
                original = pipeline.extract_pdf_engine
                pipeline.extract_pdf_engine = engine
                try:
                    md = pipeline.extract_file(f, 3000, False).metadata
                finally:
                    pipeline.extract_pdf_engine = original
                a = acc[engine]
                if gold.get("title"):
                    a["title"][0] += title_ok(md.title, gold["title"])
                    a["title"][1] += 1
                if gold.get("authors"):
                    g = gold_surnames(gold["authors"])
                    if g:
                        a["authors"][0] += bool(g & pred_surnames(md)) and len(pred_surnames(md)) <= len(g) + 1
                        a["authors"][1] += 1
                if gold.get("year"):
                    a["year"][0] += md.year == gold["year"]
                    a["year"][1] += 1
    p = tot["pages"]
    print()
    print(f"pages/s over {p} pages of {len(files)} text PDFs:")
    for k in ("pdftotext", "pdfium", "pdfminer", "pipeline"):
        rate = p / tot[k] if tot[k] else float("nan")
        ratio = (tot["pdftotext"] / tot[k]) if have_pdftotext and tot[k] else float("nan")
        print(f"  {k:10} {rate:8.1f} pages/s   ({ratio:5.2f} × pdftotext's speed)")
    print("\nmetadata through the pipeline (MANIFEST articles):")
    for engine, a in acc.items():
        print(f"  {engine:9} " + "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in a.items()))
    if args.ocr:
        from uploads.extract.ocr import ocr_pdf_pages

        for f in sorted((args.corpus / "scanned").glob("*.pdf"))[:2]:
            _, t = timed(ocr_pdf_pages, f, [1, 2, 3])
            print(f"OCR {f.name}: {t / 3:.1f} s/page")


if __name__ == "__main__":
    main()
