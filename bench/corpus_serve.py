"""The search page on the corpus archive, through HTTP, for every backend (issue 13's goals).

    .venv/bin/python bench/corpus_serve.py                       # whoosh tantivy postgres, 1 and 8 clients
    .venv/bin/python bench/corpus_serve.py --backends tantivy --seconds 10 --no-http

1. Builds the corpus archive once in ``--workdir`` (default /tmp/kel_corpus_bench, reused by later runs;
   ``--rebuild`` starts again): the demo files and every PDF/DOCX of ../shared/corpus, ingested with
   ``ingest_file(publish=True)``, OCR off.
2. Per backend: ``rebuild_index`` into an index folder of its own (timed, with tokens per second), then in
   process, for every query of the mix and with every cache emptied first (the cost of a query never seen):
   the engine alone (``backend.search``) and the whole search (``run_search``: engine, records, snippets),
   wall and CPU; the ratio page ÷ engine.
3. ``manage.py serve`` (gunicorn, 2 workers × 4 threads) driven by ``bench/loadgen.py`` on ``/search`` with the
   same mix (each query once per client round, so the result cache serves the repeats, as it would for
   readers; each run's line says what share of its pages could have repeated one) at 1 and 8 clients:
   p50/p95/max, requests/s, worker RSS.

The query mix: the 98 queries of bench/relevance_queries.json (Russian and Kazakh forms, Latin Kazakh, fields,
phrases), each of their words with one letter changed (typos), 24 prefixes of their words (3 and 5 letters and
``*``), and hostile inputs: 1,000-character words, 200-term queries, every Unicode category. Results:
``<workdir>/results.json`` and a table on stdout, with the machine's load average and speed
(``bench._common.machine_probe``) and spread (``bench._common.machine_jitter``) before and after (the machine is
shared and its speed drifts: compare CPU times, and runs whose probes agree).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench._common import (CORPUS, engine_and_page, ensure_database, jitter_line, machine_jitter,  # noqa: E402
                           machine_probe, probe_line)
from bench.http_serve import SLOW_MS, repeat_share, server_slow, slow_line, start, worker_rss  # noqa: E402
from bench.loadgen import load, quote_path  # noqa: E402
from bench.scale import machine  # noqa: E402

# A database of its own: bench/scale.py and bench/http_serve.py keep their (100k) search tables in kel_bench,
# with the same table names, and a corpus run there replaced them.
DEFAULT_DSN = "postgresql://root@127.0.0.1:5432/kel_corpus_bench"

DEFAULT_WORKDIR = "/tmp/kel_corpus_bench"


def query_mix(seed: int = 5) -> list[tuple[str, str]]:
    """(kind, text) pairs: the relevance queries, typos of their words, prefixes, Latin Kazakh, hostile inputs."""
    rng = random.Random(seed)
    rel = json.loads((REPO / "bench" / "relevance_queries.json").read_text(encoding="utf-8"))
    out = [(q["category"], q["query"]) for q in rel]
    letters = "абвгдежзийклмнопрстуфхцчшщыэюяәғқңөұүі"
    for q in rel:
        words = [w for w in q["query"].split() if w.isalpha() and len(w) > 4]
        if words:
            w = rng.choice(words)
            i = rng.randrange(1, len(w))
            out.append(("typo", q["query"].replace(w, w[:i] + rng.choice(letters) + w[i + 1:], 1)))
    # Prefixes of their words, of 3 letters (the shortest allowed, the most keys) and of 5.
    stems = sorted({w.lower()[:n] for q in rel for w in q["query"].split() if w.isalpha() and len(w) > 5
                    for n in (3, 5)})
    out += [("prefix", s + "*") for s in rng.sample(stems, min(24, len(stems)))]
    cats: dict[str, str] = {}
    for cp in range(0x30000):
        c = unicodedata.category(chr(cp))
        if c not in cats and c not in ("Cs", "Co", "Cn"):
            cats[c] = chr(cp)
    # gunicorn refuses request lines over 4 KB (414): Cyrillic costs 6 bytes a letter percent-encoded, so the
    # longest inputs that reach the application are Latin (1,000 letters) or ~650 Cyrillic letters.
    out += [("hostile", "ж" * 600), ("hostile", "qazaqstan" * 111), ("hostile", " ".join(f"soz{i}" for i in range(200))),
            ("hostile", " ".join(cats.values())), ("hostile", " ".join("ы" * 49 for _ in range(10))),
            ("hostile", "x" * 1000)]
    return out


def build_archive(data: Path, log) -> dict:
    """Ingest the demo and corpus files into a fresh archive in ``data`` (SQLite, OCR off)."""
    from archive import create_app
    from archive.migrate import upgrade
    from archive.services.ingest import ingest_file

    data.mkdir(parents=True, exist_ok=True)
    app = create_app({"DATA_DIR": str(data), "SECRET_KEY": "bench", "OCR_ENABLED": False, "JOBS_IMMEDIATE": True})
    arc = app.extensions["archive"]
    upgrade(arc.db.url)
    files = sorted((REPO / "demo" / "files").iterdir())
    for sub in ("pdf", "collections", "docx"):
        files += sorted((CORPUS / sub).glob("*")) if (CORPUS / sub).exists() else []
    t0 = time.perf_counter()
    ok = 0
    for i, f in enumerate(files, 1):
        with app.app_context():
            out = ingest_file(arc, f, f.name, publish=True)
        ok += out.status == "ok"
        log(f"  [{i}/{len(files)}] {f.name}: {out.status}")
    arc.close()
    return {"files": len(files), "ingested": ok, "ingest_s": round(time.perf_counter() - t0, 1)}


def in_process(data: Path, backend: str, dsn: str, mix: list[tuple[str, str]], log) -> dict:
    """Reindex with ``backend``, then time engine and whole search per query, every cache emptied."""
    os.environ.update(ARCHIVE_DATA_DIR=str(data), ARCHIVE_SEARCH_BACKEND=backend, ARCHIVE_SECRET_KEY="bench",
                      ARCHIVE_OCR_ENABLED="0")
    if backend == "postgres":
        os.environ["ARCHIVE_SEARCH_DATABASE_URL"] = dsn
    from archive import create_app
    from archive.models import PublicationPage
    from archive.services.indexing import rebuild_index
    from sqlalchemy import func, select

    app = create_app()
    arc = app.extensions["archive"]
    t0, c0 = time.perf_counter(), time.process_time()
    n, _secs = rebuild_index(arc)
    build = {"publications": n, "wall_s": round(time.perf_counter() - t0, 1),
             "cpu_s_parent": round(time.process_time() - c0, 1)}
    with arc.db.session() as s:
        chars = s.scalar(select(func.sum(func.length(PublicationPage.text)))) or 0
    build["tokens_per_s"] = round(chars / 7 / max(build["wall_s"], 1e-9))   # ~7 characters a token
    log(f"  [{backend}] reindex {n} publications in {build['wall_s']} s")
    out = engine_and_page(app, mix)
    arc.close()
    out["build"] = build
    return out


def over_http(data: Path, backend: str, dsn: str, mix: list[tuple[str, str]], clients: list[int],
              seconds: float, log) -> dict:
    # The per-address search limit (60 a minute) would answer most of the load with 429: measure the search.
    env = dict(os.environ, ARCHIVE_DATA_DIR=str(data), ARCHIVE_SEARCH_BACKEND=backend, ARCHIVE_SECRET_KEY="bench",
               ARCHIVE_LOG_LEVEL="WARNING", ARCHIVE_RATELIMIT_ENABLED="0", ARCHIVE_SLOW_REQUEST_MS=str(SLOW_MS))
    if backend == "postgres":
        env["ARCHIVE_SEARCH_DATABASE_URL"] = dsn
    serve_log = data.parent / f"serve_{backend}.log"
    serve_log.unlink(missing_ok=True)
    base, proc = start(env, 2, 4, serve_log)
    paths = ["/search?q=" + quote_path(text) for _kind, text in mix]
    runs = []
    try:
        # Warm-up, not measured: every worker loads its dictionaries, the index and the speller once.
        load(base, paths, clients=4, seconds=max(5.0, seconds / 2))
        for n in clients:
            offset = serve_log.stat().st_size
            r = load(base, paths, clients=n, seconds=seconds)
            slow = server_slow(serve_log, offset)
            # 182 queries: most of a run's pages repeat one (a worker's cache answers); the first-time cost of every
            # query is what the in-process columns give.
            repeats = round(repeat_share(len(paths), r.requests), 3)
            runs.append({"clients": n, "requests": r.requests, "rps": round(r.requests / max(r.seconds, 1e-9), 1),
                         "p50": r.p50, "p95": r.p95, "max": r.max, "errors": r.errors, "engine": r.engine,
                         "repeats_at_most": repeats, "server_slow": slow})
            log(f"  [{backend}] {n} clients: p50 {r.p50:.0f} p95 {r.p95:.0f} max {r.max:.0f} ms, "
                f"{runs[-1]['rps']}/s, errors {r.errors}, repeats ≤ {repeats:.0%}; {slow_line(slow)}")
            if r.errors:
                log(f"  [{backend}] WARNING: {sum(r.errors.values())} failed answers, the figures above do not "
                    f"measure the search (see {serve_log})")
        rss = worker_rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    return {"runs": runs, "worker_rss_mb": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", nargs="+", default=["whoosh", "tantivy", "postgres"])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workdir", default=DEFAULT_WORKDIR)
    ap.add_argument("--dsn", default=os.environ.get("CORPUS_BENCH_DATABASE_URL", DEFAULT_DSN))
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--no-http", action="store_true")
    a = ap.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if not CORPUS.exists():
        print(f"no corpus at {CORPUS}: nothing to measure")
        return
    work = Path(a.workdir)
    data = work / "data"
    res: dict = {"machine": machine(), "load_before": os.getloadavg(), "probe_before": machine_probe(),
                 "jitter_before": machine_jitter(), "backends": {}}
    if a.rebuild or not (data / "archive.sqlite3").exists():
        import shutil

        shutil.rmtree(data, ignore_errors=True)
        log("building the corpus archive ...")
        res["archive"] = build_archive(data, log)
    if "postgres" in a.backends:
        ensure_database(a.dsn)
    mix = query_mix()
    res["queries"] = len(mix)
    for backend in a.backends:
        link = data / "index"
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            import shutil

            shutil.rmtree(link)                 # the index the ingest wrote: each backend reindexes its own
        (work / f"index_{backend}").mkdir(parents=True, exist_ok=True)
        link.symlink_to(work / f"index_{backend}")
        # A fresh interpreter per backend: the archive's module state (one backend per process) stays clean.
        import subprocess

        code = (f"import json,sys; sys.path.insert(0, {str(REPO)!r}); from bench.corpus_serve import in_process, query_mix; "
                f"print(json.dumps(in_process(__import__('pathlib').Path({str(data)!r}), {backend!r}, {a.dsn!r}, "
                f"query_mix(), lambda m: print(m, file=sys.stderr, flush=True))))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        if out.returncode:
            log(out.stderr[-3000:])
            continue
        entry = json.loads(out.stdout.strip().splitlines()[-1])
        if not a.no_http:
            entry["http"] = over_http(data, backend, a.dsn, mix, a.clients, a.seconds, log)
        res["backends"][backend] = entry
    res["load_after"] = os.getloadavg()
    res["probe_after"] = machine_probe()
    res["jitter_after"] = machine_jitter()
    (work / "results.json").write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print(table(res))


def table(res: dict) -> str:
    lines = [f"corpus archive, {res['queries']} queries; machine {res['machine']}; load average before "
             f"{tuple(round(x, 1) for x in res['load_before'])}, "
             f"after {tuple(round(x, 1) for x in res['load_after'])}; "
             + probe_line(res.get("probe_before", "–"), res.get("probe_after", "–"))
             + ("; " + jitter_line(res["jitter_before"], res.get("jitter_after")) if res.get("jitter_before") else ""),
             "", "| backend | reindex s | engine p50/p95 ms (CPU) | page p50/p95/max ms | page CPU p50/p95 ms | "
             "page÷engine (CPU p50/p95) | HTTP 1 client p50/p95/max | HTTP 8 clients p95/max, req/s | worker RSS MB |",
             "|---|---:|---|---|---|---:|---|---|---|"]
    for name, e in res["backends"].items():
        runs = {r["clients"]: r for r in e.get("http", {}).get("runs", [])}
        one, eight = runs.get(1), runs.get(8)
        lines.append(
            f"| {name} | {e['build']['wall_s']} | {e['engine']['p50']}/{e['engine']['p95']} "
            f"({e['engine_cpu']['p50']}/{e['engine_cpu']['p95']}) | {e['page']['p50']}/{e['page']['p95']}/"
            f"{e['max_page_ms']} | {e['page_cpu']['p50']}/{e['page_cpu']['p95']} | {e['page_over_engine_p50']}/"
            f"{e.get('page_over_engine_p95', '–')} | "
            + (f"{one['p50']:.0f}/{one['p95']:.0f}/{one['max']:.0f}" if one else "–") + " | "
            + (f"{eight['p95']:.0f}/{eight['max']:.0f}, {eight['rps']}" if eight else "–") + " | "
            + str(e.get("http", {}).get("worker_rss_mb", "–")) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
