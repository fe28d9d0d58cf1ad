"""Search latency over an existing archive: median / p95 of run_search (query + load + snippets).

Usage: ARCHIVE_DATA_DIR=/path/to/data .venv/bin/python bench/search_latency.py [--rounds 5]
(ingest something first, e.g. `manage.py ingest ../shared/corpus/pdf --publish`).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = ["озёрам", "ақындары", "межэтнические отношения", "язык", "Қазақстан", "Qazaqstan", "история",
           '"уровня озер"', "население старение", "тіл", "химия фенол", "мектеп", "author:Новик",
           "year:2010-2017 озеро", "поэзия тема", "несуществующееслово", "халық", "география", "кислота", "ұлт"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from archive import create_app
    from archive.search import run_search

    app = create_app()
    archive = app.extensions["archive"]
    with app.test_request_context(), archive.db.session() as s:
        t0 = time.perf_counter()
        run_search(archive, s, "прогрев")          # open the index, load dictionaries
        first = (time.perf_counter() - t0) * 1000
        times: list[float] = []
        totals = {}
        for _ in range(args.rounds):
            for q in QUERIES:
                t = time.perf_counter()
                r = run_search(archive, s, q)
                times.append((time.perf_counter() - t) * 1000)
                totals[q] = r.total
    times.sort()
    p = lambda f: times[min(len(times) - 1, int(f * len(times)))]  # noqa: E731
    print(f"archive: {archive.data_dir}  queries: {len(QUERIES)} × {args.rounds}")
    print(f"first query (cold): {first:.0f} ms")
    print(f"median {statistics.median(times):.1f} ms, p95 {p(0.95):.1f} ms, max {times[-1]:.1f} ms")
    for q, n in totals.items():
        print(f"  {n:4} hits  {q}")


if __name__ == "__main__":
    main()
