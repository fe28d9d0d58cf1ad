"""The browse pages of an existing archive, in process (the app's test client): mean milliseconds per page.

    ARCHIVE_SEARCH_BACKEND=tantivy .venv/bin/python bench/browse_pages.py /tmp/auth_new/n30000_w100_a30000/http_sqlite

For each path: a first request (after a change of the index it counts; its time is printed apart), 2 more to
warm up, then the mean of ``--repeat``. The archive: a data folder with ``archive.sqlite3`` and ``index/``, e.g.
one ``bench/http_serve.py`` built (``--size 30000 --authors 30000``), brought to this tree's migrations first; to
compare two commits, run it from each tree on its own copy of the database (an older tree needs the copy's
``alembic_version`` set back to its own head).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = ["/", "/authors", "/years", "/topics", "/volumes", "/api/people", "/api/years", "/api/topics"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("paths", nargs="*", default=PATHS)
    ap.add_argument("--repeat", type=int, default=10)
    a = ap.parse_args()
    from archive import create_app
    from archive.migrate import upgrade

    app = create_app({"SECRET_KEY": "bench", "DATA_DIR": a.data_dir, "RATELIMIT_ENABLED": False,
                      "SEARCH_BACKEND": os.environ.get("ARCHIVE_SEARCH_BACKEND", "tantivy")})
    upgrade(app.extensions["archive"].db.url)          # this tree's indexes (a bench database: no one else's)
    client = app.test_client()
    print(f"| path | first ms | mean ms of {a.repeat} | status | bytes |\n|---|---:|---:|---:|---:|")
    for path in a.paths:
        t0 = time.perf_counter()
        client.get(path)
        first = (time.perf_counter() - t0) * 1000
        for _ in range(2):
            client.get(path)
        t0 = time.perf_counter()
        for _ in range(a.repeat):
            r = client.get(path)
        mean = (time.perf_counter() - t0) / a.repeat * 1000
        print(f"| `{path}` | {first:.1f} | {mean:.1f} | {r.status_code} | {len(r.data):,} |")


if __name__ == "__main__":
    main()
