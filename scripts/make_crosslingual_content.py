#!/usr/bin/env python
"""Render the cross-lingual test articles (demo/sources/crosslingual/*.md) to PDF/DOCX.

Usage:
    python scripts/make_crosslingual_content.py                  # into bench/out/crosslingual-files (git-ignored)
    python scripts/make_crosslingual_content.py --out DIR        # into DIR

The texts are short Russian and Kazakh articles on the group's topics, written for the cross-lingual
benchmark (bench/crosslingual.py): most have one language only, two carry a parallel abstract and keyword
list in the other language (front matter ``alt_lang``; sections ``abstract_alt`` and ``keywords_alt``), the
kind of bilingual metadata the bridge aligns. Layout is the demo articles' (scripts/make_demo_content.py);
the outputs are deterministic and are not committed.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import make_demo_content as demo  # noqa: E402 - the demo renderer is a sibling script

SOURCES = ROOT / "demo" / "sources" / "crosslingual"
DEFAULT_OUT = ROOT / "bench" / "out" / "crosslingual-files"
ALT_LABELS = {"ru": ("Аннотация.", "Ключевые слова:"), "kk": ("Аңдатпа.", "Түйін сөздер:")}


@contextlib.contextmanager
def parallel_sections(meta: dict):
    """Print an ``alt_lang`` abstract and keyword list where the demo layout prints the English ones."""
    alt = meta.get("alt_lang")
    sec = meta["sections"]
    if not alt or "abstract_alt" not in sec:
        yield meta
        return
    labels = demo.LABELS[meta["lang"]]
    saved = dict(labels)
    labels["abstract_en"], labels["keywords_en"] = ALT_LABELS[alt]
    sec["abstract_en"], sec["keywords_en"] = sec["abstract_alt"], sec.get("keywords_alt", "")
    try:
        yield meta
    finally:
        labels.clear()
        labels.update(saved)
        sec.pop("abstract_en", None)
        sec.pop("keywords_en", None)


def render_all(out: Path) -> list[Path]:
    """Render every source to ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for src in sorted(SOURCES.glob("*.md")):
        meta = demo.parse_source(src)
        for fmt in [f.strip() for f in meta.get("formats", "pdf").split(",")]:
            target = out / f"{meta['id']}.{fmt}"
            with parallel_sections(meta):
                if fmt == "pdf":
                    demo.render_article_pdf(meta, target)
                elif fmt == "docx":
                    if meta.get("alt_lang"):
                        raise SystemExit(f"{src.name}: a parallel abstract is only laid out in PDF")
                    demo.render_article_docx(meta, target)
                else:
                    raise SystemExit(f"{src.name}: unknown format {fmt!r}")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder ({DEFAULT_OUT})")
    args = ap.parse_args(argv)
    for path in render_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
