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

With ``--mix``: the pages are instead the query mix of ``bench/scale.py`` (what ``bench/http_serve.py`` asks) on
the archive ``bench/http_serve.py`` populated (``--data``, e.g. ``/tmp/h3k/n3000_w3000/http_sqlite`` with its
``index`` link set; ``--mix-words`` as its ``--words``), the same seeded sample of pages in each run, and each run
sets the worker's cache sizes, ``--caches WORDS:SNIPPETS:RESULTS`` (``archive.search.SERVING_WORD_CACHE``,
``archive.search.SNIPPET_CACHE_SIZE``, ``indexer.backend.CACHE_SIZE``; default: this code's, then 10000:4096:512,
the sizes before 2026-12-07 13:10 UTC):

    .venv/bin/python bench/worker_memory.py --mix --data /tmp/h3k/n3000_w3000/http_sqlite --searches 4000
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


def child(searches: int, trim: bool, caches: str | None = None, paths_file: str | None = None) -> None:
    import gc
    import json
    import random
    import time

    import indexer.backend as backend_module
    from archive import create_app
    from archive import search as search_module
    from archive.serve import warm_up
    from indexer.analysis.cache import word_cache_sizes

    if caches:
        words, snippets, results = (int(x) for x in caches.split(":"))
        search_module.SERVING_WORD_CACHE, search_module.SNIPPET_CACHE_SIZE, backend_module.CACHE_SIZE = (
            words, snippets, results)
        label = f"caches {caches}"
    else:
        label = "trimmed" if trim else "not trimmed (reference)"
    if not trim:
        search_module.SERVING_WORD_CACHE = 10 ** 9
    paths = json.loads(Path(paths_file).read_text()) if paths_file else None
    app = create_app()
    warm_up(app)
    gc.collect()
    gc.freeze()
    client = app.test_client()
    rng = random.Random(5)
    print(f"{label}: searches 0, own memory {own_mb()} MB", flush=True)
    t0 = time.perf_counter()
    step = max(1, searches // 5)
    chosen = rng.sample(paths, min(searches, len(paths))) if paths else None
    for i in range(1, searches + 1):
        if chosen:
            path = chosen[(i - 1) % len(chosen)]
            r = client.get(path)
        else:
            path = " ".join("".join(rng.choice(LETTERS) for _ in range(rng.randint(5, 12))) for _ in range(2))
            r = client.get("/search", query_string={"q": path})
        if r.status_code != 200:
            raise SystemExit(f"{path} did not answer 200")
        if i % step == 0 or i == searches:
            print(f"{label}: searches {i}, own memory {own_mb()} MB, {time.perf_counter() - t0:.1f} s", flush=True)
    sizes = word_cache_sizes()
    print(f"{label}: word cache entries: largest {max(sizes.values())}, all {sum(sizes.values())}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--searches", type=int, default=30_000)
    ap.add_argument("--data", help="an archive folder (default: the demo archive, made in a temporary folder)")
    ap.add_argument("--mix", action="store_true", help="pages of bench/scale.py's query mix (needs --data)")
    ap.add_argument("--mix-words", type=int, default=3000, help="words per article of the --data archive")
    ap.add_argument("--caches", nargs="+", metavar="WORDS:SNIPPETS:RESULTS",
                    help="cache sizes, a run each (--mix; default: this code's, then 10000:4096:512)")
    ap.add_argument("--child", choices=["trimmed", "reference"], help=argparse.SUPPRESS)
    ap.add_argument("--child-caches", help=argparse.SUPPRESS)
    ap.add_argument("--paths", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.searches, a.child == "trimmed", a.child_caches, a.paths)
        return
    if a.mix and not a.data:
        ap.error("--mix needs --data (an archive bench/http_serve.py populated)")
    with tempfile.TemporaryDirectory(prefix="kel-worker-memory-") as tmp:
        data = Path(a.data) if a.data else Path(tmp)
        env = dict(os.environ, ARCHIVE_DATA_DIR=str(data), ARCHIVE_SECRET_KEY="bench", ARCHIVE_RATELIMIT_ENABLED="0",
                   ARCHIVE_LOG_LEVEL="ERROR", ARCHIVE_PUBLIC_BASE_URL="http://127.0.0.1:8000")
        if not a.data:
            for cmd in (["init"], ["demo"]):
                subprocess.run([sys.executable, "manage.py", *cmd], cwd=REPO, env=env, check=True,
                               stdout=subprocess.DEVNULL)
        runs: list[list[str]] = [["--child", kind] for kind in ("trimmed", "reference")]
        if a.mix:
            import json

            from archive import search as search_module
            from bench.scale import query_mix
            from bench.synth import Synth
            from indexer.backend import CACHE_SIZE

            # Made here, not in the measured processes (the synthetic corpus they come from holds ~20 MB).
            paths = [q.path() for q in query_mix(Synth(seed=1, words=a.mix_words, authors=3000), 20_000)]
            paths_file = Path(tmp) / "paths.json"
            paths_file.write_text(json.dumps(paths))
            ours = f"{search_module.SERVING_WORD_CACHE}:{search_module.SNIPPET_CACHE_SIZE}:{CACHE_SIZE}"
            runs = [["--child", "trimmed", "--child-caches", c, "--paths", str(paths_file)]
                    for c in (a.caches or [ours, "10000:4096:512"])]
        for run in runs:
            subprocess.run([sys.executable, __file__, *run, "--searches", str(a.searches)], cwd=REPO, env=env,
                           check=True)


if __name__ == "__main__":
    main()
