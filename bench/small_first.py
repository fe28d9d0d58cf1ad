"""A one-page DOCX extracted while the 385-page volume and the 11-page scan are (issue 15), by CPU priority.

    .venv/bin/python bench/small_first.py [--rounds 3] [--priorities normal idle]

Each round, for each priority in turn: the volume's and the scan's extractions start in their limited child
processes (``uploads.pipeline.process_file``) at that priority, and 2 s later the DOCX's at the normal one,
as the worker runs them (the long ones are stopped after 20 s); the seconds the DOCX took are printed (no server, no database: only the CPU the
children compete for). Alternating the priorities within each round keeps the machine's other load alike for
both. Needs ``../shared/corpus``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from _common import CORPUS

VOLUME = CORPUS / "collections" / "ru_sterlitamak_mathphys_2021_vol1.pdf"
SCAN = CORPUS / "scanned" / "ru_gost_7_80_2000_scan.pdf"
LONG_S = 20.0


def _docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    for line in ("Ким С.В.", "ТРЁХЪЯЗЫЧИЕ В ШКОЛАХ АЛМАТЫ: ОДНА СТРАНИЦА НАБЛЮДЕНИЙ",
                 "Аннотация. Короткая заметка о языковой политике в школах Алматы, 2024 год.",
                 "Ключевые слова: трёхъязычие, школа, Алматы."):
        doc.add_paragraph(line)
    doc.save(path)
    return path


def one_round(priority: str, docx: Path) -> float:
    """Seconds the DOCX's extraction took with the long ones running at ``priority``."""
    from uploads.errors import UploadError
    from uploads.limits import Limits
    from uploads.pipeline import process_file

    # the long ones are stopped by their time limit once the DOCX surely had its turn
    long_limits = Limits(priority=priority, seconds=LONG_S)

    def long_one(path: Path) -> None:
        try:
            process_file(path, long_limits)
        except UploadError:
            pass

    threads = [threading.Thread(target=long_one, args=(f,), daemon=True) for f in (VOLUME, SCAN)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    t0 = time.perf_counter()
    process_file(docx, Limits())
    seconds = time.perf_counter() - t0
    for t in threads:
        t.join()
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--priorities", nargs="+", default=["normal", "idle"])
    args = ap.parse_args()
    from uploads.limits import warm_up

    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        docx = _docx(Path(tmp) / "note.docx")
        seen: dict[str, list[float]] = {p: [] for p in args.priorities}
        for r in range(args.rounds):
            for p in args.priorities:
                seen[p].append(one_round(p, docx))
                print(f"round {r + 1}: long extractions at {p:6}: DOCX extracted in {seen[p][-1]:.2f} s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    for p, xs in seen.items():
        print(f"{p:6}: median {statistics.median(xs):.2f} s, each {', '.join(f'{x:.2f}' for x in xs)}")


if __name__ == "__main__":
    main()
