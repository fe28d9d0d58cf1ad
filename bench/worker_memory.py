"""A search worker's own memory while readers send ever new words, with the word caches trimmed as served and,
for reference in the same run, without the trim.

Each run is a fresh process: the app on an archive folder (``--data``; by default the demo archive, made in a
temporary folder with ``manage.py init`` and ``manage.py demo``), warmed up as a gunicorn worker is
(``archive.serve.warm_up``, then ``gc.freeze``), then ``--searches`` search pages of two random words each (seeded:
Russian and Kazakh letters, so most words are new) through the app's test client. It prints the process's own memory
(``RssAnon`` of /proc/self/status) every fifth of the way and, at the end, the entries of each word cache
(``indexer.analysis.cache``). The reference run sets ``archive.search.SERVING_WORD_CACHE`` so high that nothing is
trimmed: the caches then keep up to their build sizes (300,000 words in the largest).

    .venv/bin/python bench/worker_memory.py [--searches 30000] [--data FOLDER]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._common import status_mb  # noqa: E402

LETTERS = "абвгдежзийклмнопрстуфхцчшщыэюяәғқңөұүһі"


def own_mb() -> int:
    """This process's own memory (RssAnon), MB."""
    return int(status_mb("RssAnon") or 0)


def child(searches: int, trim: bool) -> None:
    import gc
    import random
    import time

    from archive import create_app
    from archive import search as search_module
    from archive.serve import warm_up
    from indexer.analysis.cache import word_cache_sizes

    if not trim:
        search_module.SERVING_WORD_CACHE = 10 ** 9
    app = create_app()
    warm_up(app)
    gc.collect()
    gc.freeze()
    client = app.test_client()
    rng = random.Random(5)
    label = "trimmed" if trim else "not trimmed (reference)"
    print(f"{label}: searches 0, own memory {own_mb()} MB", flush=True)
    t0 = time.perf_counter()
    step = max(1, searches // 5)
    for i in range(1, searches + 1):
        words = " ".join("".join(rng.choice(LETTERS) for _ in range(rng.randint(5, 12))) for _ in range(2))
        if client.get("/search", query_string={"q": words}).status_code != 200:
            raise SystemExit(f"/search?q={words} did not answer 200")
        if i % step == 0 or i == searches:
            print(f"{label}: searches {i}, own memory {own_mb()} MB, {time.perf_counter() - t0:.1f} s", flush=True)
    sizes = word_cache_sizes()
    print(f"{label}: word cache entries: largest {max(sizes.values())}, all {sum(sizes.values())}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--searches", type=int, default=30_000)
    ap.add_argument("--data", help="an archive folder (default: the demo archive, made in a temporary folder)")
    ap.add_argument("--child", choices=["trimmed", "reference"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.searches, a.child == "trimmed")
        return
    with tempfile.TemporaryDirectory(prefix="kel-worker-memory-") as tmp:
        data = Path(a.data) if a.data else Path(tmp)
        env = dict(os.environ, ARCHIVE_DATA_DIR=str(data), ARCHIVE_SECRET_KEY="bench", ARCHIVE_RATELIMIT_ENABLED="0",
                   ARCHIVE_LOG_LEVEL="ERROR", ARCHIVE_PUBLIC_BASE_URL="http://127.0.0.1:8000")
        if not a.data:
            for cmd in (["init"], ["demo"]):
                subprocess.run([sys.executable, "manage.py", *cmd], cwd=REPO, env=env, check=True,
                               stdout=subprocess.DEVNULL)
        for kind in ("trimmed", "reference"):
            subprocess.run([sys.executable, __file__, "--child", kind, "--searches", str(a.searches)], cwd=REPO,
                           env=env, check=True)


if __name__ == "__main__":
    main()
