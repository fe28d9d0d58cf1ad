"""The search page of two checkouts, A and B, in turns: which is faster, on a machine whose speed drifts.

    git worktree add ../A <commit>              # A: the code before a change; B: this checkout
    .venv/bin/python bench/page_ab.py --a ../A --b . --backend tantivy --rounds 8 --chunk 250

This machine's speed drifted by ±40 % within minutes (docs/performance.md), so two benchmark runs one after the
other compare the machine as much as the code. Here each checkout runs in a process of its own (its code, this
checkout's virtualenv), both loaded and warmed up at once; they then answer the same chunks of the query mix of
``bench/scale.py`` in turns (A then B, then B then A, ...), each page once, through the app's test client (the
whole request: view, search, snippets, facets, template), caches as a worker keeps them. Printed: each round's
p50 / p95 for both, the whole run's, and the median and mean of the per-query differences B - A (negative: B is
faster). Both checkouts must lie beside ``../shared`` (the query mix is made of the shared corpus's words).

The archive is the one ``bench/http_serve.py`` populates (``--workdir``, ``--size``, ``--words``): its database
and, for ``--backend``, the index its ``<backend>/index`` link names (``<backend>/reindexed`` after ``--reindex``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def worker() -> None:
    """In a checkout's process: load the app on the benchmark archive, then time each chunk of the mix asked."""
    import gc
    import logging
    import time

    sys.path.insert(0, os.getcwd())
    logging.disable(logging.WARNING)
    from archive import create_app
    from archive.serve import warm_up
    from bench.scale import query_mix
    from bench.synth import Synth

    app = create_app()
    warm_up(app)
    gc.collect()
    gc.freeze()                              # as a served worker does after its warm-up
    queries = query_mix(Synth(seed=1, words=int(os.environ["AB_WORDS"]), authors=3000), 20_000)
    client = app.test_client()
    for q in queries[:30]:
        client.get(q.path())
    print("ready", flush=True)
    for line in sys.stdin:
        lo, hi = map(int, line.split())
        out = []
        for q in queries[lo:hi]:
            t = time.perf_counter()
            status = client.get(q.path()).status_code
            out.append((time.perf_counter() - t) * 1000)
            if status != 200:
                raise SystemExit(f"{q.path()} answered {status}")
        print(json.dumps(out), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True, help="checkout A (a git worktree of the code before)")
    ap.add_argument("--b", default=str(REPO), help="checkout B (default: this one)")
    ap.add_argument("--backend", default="tantivy", choices=["tantivy", "whoosh"])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--chunk", type=int, default=250, help="pages of the mix each checkout answers a round")
    ap.add_argument("--workdir", default="/tmp/h3k")
    ap.add_argument("--size", type=int, default=3000)
    ap.add_argument("--words", type=int, default=3000)
    a = ap.parse_args()
    sys.path.insert(0, str(REPO))           # here only: a worker imports its own checkout's code
    from bench._common import machine_probe, probe_line
    from bench.scale import pct

    base = Path(a.workdir) / f"n{a.size}_w{a.words}"
    data, index = base / "http_sqlite", base / a.backend / "index"
    if not (data / "archive.sqlite3").exists() or not index.exists():
        raise SystemExit(f"no archive at {data} or no {a.backend} index at {index}: run bench/http_serve.py first")
    link = data / "index"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(index.resolve())
    env = dict(os.environ, ARCHIVE_DATA_DIR=str(data), ARCHIVE_SEARCH_BACKEND=a.backend, ARCHIVE_SECRET_KEY="bench",
               ARCHIVE_RATELIMIT_ENABLED="0", ARCHIVE_LOG_LEVEL="WARNING", AB_WORDS=str(a.words))

    def spawn(checkout: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "page_ab.py"), "--worker"],
                                cwd=Path(checkout).resolve(), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        while (proc.stdout.readline() or "ready").strip() != "ready":
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the worker of {checkout} did not start")
        return proc

    probe = machine_probe()
    procs = {"A": spawn(a.a), "B": spawn(a.b)}

    def ask(name: str, lo: int, hi: int) -> list[float]:
        procs[name].stdin.write(f"{lo} {hi}\n")
        procs[name].stdin.flush()
        return json.loads(procs[name].stdout.readline())

    times: dict[str, list[float]] = {"A": [], "B": []}
    try:
        for r in range(a.rounds):
            lo, hi = 2000 + r * a.chunk, 2000 + (r + 1) * a.chunk
            got = {name: ask(name, lo, hi) for name in (("A", "B") if r % 2 == 0 else ("B", "A"))}
            for name in times:
                times[name] += got[name]
            print(f"round {r}: A p50/p95 {pct(got['A'], .5):.2f}/{pct(got['A'], .95):.2f}  "
                  f"B {pct(got['B'], .5):.2f}/{pct(got['B'], .95):.2f} ms", flush=True)
    finally:
        for proc in procs.values():
            proc.kill()
    ta, tb = times["A"], times["B"]
    print(f"all {len(ta)} pages: A p50/p95/mean {pct(ta, .5):.2f}/{pct(ta, .95):.2f}/{statistics.fmean(ta):.2f}  "
          f"B {pct(tb, .5):.2f}/{pct(tb, .95):.2f}/{statistics.fmean(tb):.2f} ms")
    diff = [y - x for x, y in zip(ta, tb)]
    print(f"B - A per page: median {statistics.median(diff):+.3f}, mean {statistics.fmean(diff):+.3f} ms")
    print(probe_line(probe, machine_probe()))


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        worker()
    else:
        main()
