"""Search latency through HTTP on a real archive of N synthetic publications, for every backend.

    nice -n 10 .venv/bin/python bench/scale.py --sizes 10000 --words 1000 --backends tantivy whoosh
    .venv/bin/python bench/http_serve.py --size 10000 --words 1000 --backends tantivy whoosh [--db sqlite postgres]

1. Populates a real archive database (SQLite file under the work folder, or PostgreSQL ``kel_bench``, whose
   archive tables are dropped and recreated; the search backend's ``search_*`` tables stay) through the archive's own Alembic migrations and models' tables
   (SQLAlchemy core bulk inserts): people, publications (published), their ``PublicationPage`` rows (the text
   snippets are cut from), authorships and topics — the same articles, same ids, as ``bench/scale.py``
   indexed (same seed, size and words).
2. For each backend, points the data folder's ``index`` at the index folder ``bench/scale.py`` built (for
   ``postgres`` the folder holds the recorded forms, token spans and speller, and ``ARCHIVE_SEARCH_DATABASE_URL``
   names the benchmark database holding its ``search_*`` tables) and starts ``manage.py serve``
   (gunicorn, default 2 workers × 4 threads, ``--no-jobs``). With ``--reindex`` the index is instead built by
   ``manage.py reindex`` from the populated database into a fresh folder (``<backend>/reindexed``), timed: wall
   seconds, CPU seconds of all its processes (the analysing and writing children too, sampled from /proc), peak
   memory, words per second (what an operator's reindex costs, including reading the publications back from the
   database).
3. Drives it with ``bench/loadgen.py`` (wrk): ``/search`` (the normal HTML page: snippets and facets) and
   ``/api/search`` with the query mix of ``bench/scale.py`` at 1, 8 and 32 clients. The mix holds ``--queries``
   (default 20,000) queries, each request one of them at random: nearly every page is a first-time one, as a
   reader's is, and each run's line says what share of its requests could have repeated an earlier one of the run
   (at most; each worker has a cache of its own). With a mix of 300 (the default before 2026-12-05 13:30 UTC, so
   most earlier figures of docs/performance.md), a run of ~3,000 requests mostly asks what a worker has cached.
   After the runs reads VmRSS of each gunicorn worker from ``/proc/<pid>/status``, and its parts: RssAnon and
   RssFile (mapped index files).

4. Stops the server and times, in a process of its own with the same settings, the engine alone
   (``backend.search``) and the whole search (``run_search``: engine, records, snippets) for each query of the mix
   once, every cache emptied: page ÷ engine (CPU, p50 and p95), the issue's ratio (``--no-engine`` skips it).

Results: ``<workdir>/results/http_<db>_<N>_w<words>.json`` and a Markdown table on stdout, with the machine's
speed (``bench._common.machine_probe``) before and after each backend's runs: runs compare when these agree. Beside
it, the spread of one fixed piece of work (``bench._common.machine_jitter``, p95 ÷ p50) and the page's own p95 ÷
p50 with one client: how much of a page's tail is the machine's.
``--profile N`` instead requests N /search pages in process (test client) under pyinstrument and prints the profile.
Note: the index was built from ``bench.synth.to_index_document`` (author names, no person ids), so the
"persons" facet is empty; everything else matches what ``rebuild_index`` would index for these rows.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.serve import _die_with_parent  # noqa: E402
from bench._common import jitter_line, machine_jitter, machine_probe, probe_line, status_mb  # noqa: E402
from bench.loadgen import load  # noqa: E402
from bench.scale import DEFAULT_DSN, DEFAULT_WORKDIR, query_mix  # noqa: E402
from bench.synth import Synth  # noqa: E402

CHUNK = 500
ENGINE_QUERIES = 300       # queries of the mix timed in process (engine beside page), each once


def repeat_share(n_paths: int, requests: int) -> float:
    """The expected share of ``requests`` uniform draws from ``n_paths`` paths that repeat an earlier draw:
    ``n_paths * (1 - (1 - 1/n_paths) ** requests)`` of them are distinct. The most a run's pages can have been
    served from a cache that kept everything."""
    if not requests or not n_paths:
        return 0.0
    return 1 - n_paths * (1 - (1 - 1 / n_paths) ** requests) / requests


def populate(url: str, synth: Synth, n: int, log) -> float:
    """Create the schema and bulk-insert ``n`` published synthetic publications; returns seconds."""
    from sqlalchemy import create_engine, insert, text

    from archive.collation import initial, sort_name
    from archive.names import person_surname_key
    from archive.migrate import upgrade
    from archive.models import Authorship, Person, Publication, PublicationPage, PublicationTopic, Topic
    from archive.services.topics import VOCABULARY

    from archive.db import database_url

    url = database_url(url, Path("."))
    t0 = time.perf_counter()
    if url.startswith("postgresql"):
        # drop the archive's tables only: the postgres search backend's tables (search_*) stay
        from archive.models import Base

        eng = create_engine(url)
        Base.metadata.drop_all(eng)
        with eng.begin() as c:
            c.execute(text("drop table if exists alembic_version"))
        eng.dispose()
    upgrade(url)
    eng = create_engine(url)
    now = datetime.now(timezone.utc)
    with eng.begin() as c:
        c.execute(insert(Topic.__table__), [
            {"id": i + 1, "slug": t.slug, "label_ru": t.label_ru, "label_kk": t.label_kk, "label_en": t.label_en}
            for i, t in enumerate(VOCABULARY)])
        c.execute(insert(Person.__table__), [
            {"id": i + 1, "name": f"{s} {g}", "surname": s, "given": g, "name_key": f"{s} {g}".lower(),
             "index_letter": initial(f"{s} {g}"), "sort_name": sort_name(f"{s} {g}"),
             "surname_key": person_surname_key(f"{s} {g}", s),
             "created_at": now, "updated_at": now} for i, (s, g) in enumerate(synth.people)])
    topic_id = {t.slug: i + 1 for i, t in enumerate(VOCABULARY)}
    person_id = {p: i + 1 for i, p in enumerate(synth.people)}
    for start in range(0, n, CHUNK):
        arts = [synth.article(i) for i in range(start, min(n, start + CHUNK))]
        pubs, pages, auths, tops = [], [], [], []
        for a in arts:
            pid = a.n + 1
            pubs.append({"id": pid, "kind": a.kind, "status": "published", "title": a.title,
                         "titles": {a.language: a.title}, "abstracts": {a.language: a.abstract},
                         "keywords": list(a.keywords), "language": a.language, "year": a.year, "extra": {},
                         "created_at": now, "updated_at": now, "published_at": now, "title_key": a.title.lower()[:300]})
            pages += [{"publication_id": pid, "number": i + 1, "text": t, "method": "text", "problems": []}
                      for i, t in enumerate(a.pages)]
            auths += [{"publication_id": pid, "person_id": person_id[p], "position": i + 1,
                       "name_as_printed": f"{p[0]} {p[1]}"} for i, p in enumerate(a.authors)]
            tops += [{"publication_id": pid, "topic_id": topic_id[s], "suggested": False, "year": a.year,
                      "published_at": now} for s in a.topics]
        with eng.begin() as c:
            c.execute(insert(Publication.__table__), pubs)
            c.execute(insert(PublicationPage.__table__), pages)
            c.execute(insert(Authorship.__table__), auths)
            if tops:
                c.execute(insert(PublicationTopic.__table__), tops)
        if (start + CHUNK) % 10_000 == 0:
            log(f"  populated {start + CHUNK}/{n}")
    if url.startswith("postgresql"):
        with eng.begin() as c:
            for table in ("publications", "people", "topics", "publication_pages", "authorships"):
                c.execute(text(f"select setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(select coalesce(max(id), 1) from {table}))"))
            c.execute(text("analyze"))
    eng.dispose()
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: dict, workers: int, threads: int, log_path: Path | None = None):
    """``manage.py serve`` on a free port; with ``log_path`` its output goes to that file (a pipe nobody
    reads during a long run would fill and block the workers)."""
    port = free_port()
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), "--workers", str(workers),
                             "--threads", str(threads), "--no-jobs"], cwd=REPO, env=env,
                            stdout=out, stderr=subprocess.STDOUT if log_path else subprocess.PIPE,
                            preexec_fn=_die_with_parent)   # a killed bench leaves no server behind
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            detail = log_path.read_text(errors="replace") if log_path else proc.stderr.read().decode()
            raise RuntimeError("server exited: " + detail[-2000:])
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return base, proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start")


def _session_processes(sid: int) -> dict[int, tuple[float, float]]:
    """CPU seconds (user + system) and RSS (MB) of every process in session ``sid``, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()     # after "pid (comm) "; fields[0] is the state
        if int(fields[3]) != sid:                        # session id
            continue
        out[int(entry)] = ((int(fields[11]) + int(fields[12])) / tick, int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20)
    return out


def reindex(env: dict, log) -> dict:
    """``manage.py reindex`` with ``env``, timed: wall s, CPU s of all its processes, exit status, memory.

    The analysing and writing processes are children of a forkserver, which ``RUSAGE_CHILDREN`` does not see: the
    command runs in a session of its own, whose processes are sampled from /proc every 0.2 s (each process's last
    sample counts, so up to 0.2 s a process may be missed)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "manage.py", "reindex"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    cpu: dict[int, float] = {}
    peak_total = peak_one = 0.0
    while proc.poll() is None:
        seen = _session_processes(proc.pid)
        for pid, (c, _rss) in seen.items():
            cpu[pid] = c
        rss = [r for _c, r in seen.values()]
        peak_total = max(peak_total, sum(rss))
        peak_one = max([peak_one] + rss)
        time.sleep(0.2)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode:
        log("  reindex failed: " + (err or out)[-1500:])
    return {"wall_s": round(wall, 1), "cpu_s": round(sum(cpu.values()), 1), "processes": len(cpu),
            "exit": proc.returncode, "max_rss_one_mb": round(peak_one), "max_rss_all_mb": round(peak_total)}


# What the servers started here log as a slow request (ARCHIVE_SLOW_REQUEST_MS): each run then says how many of its
# answers took longer inside the app, and how much of that was the request's own CPU, which tells a slow search
# from a request that waited (for a core, the disk, a lock) when a run has an outlier.
SLOW_MS = 100


def server_slow(log_path: Path, offset: int) -> dict:
    """The "slow request" records the server wrote to ``log_path`` past byte ``offset``: how many, and the slowest
    five (duration and CPU ms, endpoint, status)."""
    with open(log_path, "rb") as f:
        f.seek(offset)
        lines = f.read().decode("utf-8", "replace").splitlines()
    slow = []
    for line in lines:
        if '"slow request"' not in line:
            continue
        try:
            d = json.loads(line)
        except ValueError:
            continue
        slow.append({k: d.get(k) for k in ("duration_ms", "cpu_ms", "endpoint", "status", "process")})
    slow.sort(key=lambda d: -(d["duration_ms"] or 0))
    return {"count": len(slow), "slowest": slow[:5]}


def slow_line(slow: dict) -> str:
    if not slow["count"]:
        return f"none over {SLOW_MS} ms in the app"
    top = slow["slowest"][0]
    return (f"{slow['count']} over {SLOW_MS} ms in the app, slowest {top['duration_ms']:.0f} ms "
            f"(CPU {top['cpu_ms']:.0f} ms, {top['endpoint']})")


def worker_rss(master: int, field: str = "VmRSS") -> list[float]:
    """``field`` of /proc/<pid>/status (MB) of each child of the gunicorn master: VmRSS, or its parts RssAnon
    (the worker's own memory) and RssFile (mapped files: a Whoosh index's segments, shared with the other
    workers and the page cache)."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return [round(mb, 1) for mb in (status_mb(field, pid) for pid in out) if mb is not None]


_IN_PROCESS = """
import json, sys
sys.path.insert(0, {repo!r})
from archive import create_app
from bench._common import engine_and_page
from bench.scale import BenchQuery
mix = [(k, t, BenchQuery(t, "", k, tuple(map(tuple, p))).filters()) for k, t, p in json.loads(sys.stdin.read())]
app = create_app()
out = engine_and_page(app, mix)
app.extensions["archive"].close()
print(json.dumps(out))
"""


def engine_beside_page(env: dict, queries: list, log) -> dict | None:
    """The engine alone and the whole search (``run_search``) in a process of their own with the server's
    settings (``env``), each query of the mix once with every cache emptied (``bench._common.engine_and_page``):
    what the page adds over the engine it wraps."""
    mix = json.dumps([(q.kind, q.text, q.params) for q in queries])
    proc = subprocess.run([sys.executable, "-c", _IN_PROCESS.format(repo=str(REPO))], input=mix, env=env,
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        log("  engine beside page failed: " + proc.stderr[-1500:])
        return None
    return json.loads(proc.stdout.splitlines()[-1])


def profile(data: Path, backend: str, synth: Synth, count: int, dsn: str) -> None:
    """pyinstrument profile of the /search page (the app's test client: view, search, snippets, template) in
    process, on a populated archive: where the time of a search request goes. Needs ``pip install pyinstrument``."""
    from pyinstrument import Profiler

    os.environ.update(ARCHIVE_DATA_DIR=str(data), ARCHIVE_SEARCH_BACKEND=backend, ARCHIVE_SECRET_KEY="bench",
                      ARCHIVE_RATELIMIT_ENABLED="0")
    if backend == "postgres":
        os.environ["ARCHIVE_SEARCH_DATABASE_URL"] = dsn
    from archive import create_app

    app = create_app()
    queries = query_mix(synth, count)
    client = app.test_client()
    for q in queries[:10]:
        client.get(q.path())
    prof = Profiler()
    prof.start()
    t, c = time.perf_counter(), time.process_time()
    for q in queries:
        if client.get(q.path()).status_code != 200:
            raise SystemExit(f"{q.path()} did not answer 200")
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    prof.stop()
    print(f"{len(queries)} search pages: {wall / len(queries) * 1000:.1f} ms wall, {cpu / len(queries) * 1000:.1f} ms CPU each")
    print(prof.output_text(unicode=False, color=False))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--words", type=int, default=3000)
    ap.add_argument("--authors", type=int, default=3000, help="people the synthetic articles draw their authors from")
    ap.add_argument("--backends", nargs="+", default=["tantivy", "whoosh", "postgres"])
    ap.add_argument("--db", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    ap.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--endpoints", nargs="+", default=["/search", "/api/search"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--queries", type=int, default=20_000,
                    help="queries in the mix (default 20,000: nearly every page a run asks is a first-time one; each "
                         "run says what share could have repeated; 300 gives the old mix, mostly cached pages)")
    ap.add_argument("--workdir", default=DEFAULT_WORKDIR)
    ap.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    ap.add_argument("--skip-populate", action="store_true", help="reuse the database of an earlier run")
    ap.add_argument("--reindex", action="store_true",
                    help="build each index with a timed `manage.py reindex` from the database (not bench/scale.py's)")
    ap.add_argument("--no-engine", action="store_true",
                    help="skip the in-process engine and run_search timings (page ÷ engine) after each backend's runs")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="instead of HTTP: profile N in-process /search pages (first --backends, first --db)")
    a = ap.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if "postgres" in a.backends or "postgres" in a.db:
        from bench._common import ensure_database

        ensure_database(a.dsn)
    work = Path(a.workdir)
    base_dir = work / (f"n{a.size}_w{a.words}" + (f"_a{a.authors}" if a.authors != 3000 else ""))
    synth = Synth(seed=a.seed, words=a.words, authors=a.authors)
    queries = query_mix(synth, a.queries)
    if a.profile:
        data = base_dir / f"http_{a.db[0]}"
        link = data / "index"
        if link.is_symlink():
            link.unlink()
        if not link.exists():
            # bench/scale.py's index or the one a --reindex run built (that one first with --reindex)
            kinds = ("reindexed", "index") if a.reindex else ("index", "reindexed")
            built = [base_dir / a.backends[0] / k for k in kinds]
            link.symlink_to(next((p for p in built if p.exists()), built[0]))
        if a.db[0] == "postgres":
            os.environ["DATABASE_URL"] = a.dsn
        profile(data, a.backends[0], synth, a.profile, a.dsn)
        return
    for db in a.db:
        data = base_dir / f"http_{db}"
        data.mkdir(parents=True, exist_ok=True)
        url = a.dsn if db == "postgres" else f"sqlite:///{data / 'archive.sqlite3'}"
        res = {"articles": a.size, "mean_words": a.words, "db": db, "workers": a.workers, "threads": a.threads,
               "seconds_per_run": a.seconds, "runs": [], "rss_mb": {}, "probe_s": {}}
        if not a.skip_populate:
            if db == "sqlite":
                (data / "archive.sqlite3").unlink(missing_ok=True)
            log(f"[{db}] populating {a.size} publications ...")
            res["populate_s"] = round(populate(url, synth, a.size, log), 1)
            log(f"  {res['populate_s']} s")
        words = None
        if a.reindex:
            words = sum(synth.article(i).words for i in range(a.size))
            res["words"] = words
        for backend in a.backends:
            # The index folder (PostgreSQL's too: its recorded forms and token spans, the speller) of the build
            # this run searches: bench/scale.py's, or a fresh one a timed reindex fills.
            src = base_dir / backend / ("reindexed" if a.reindex else "index")
            if a.reindex:
                if src.exists():
                    shutil.rmtree(src)
                src.mkdir(parents=True)
            if not src.exists():
                log(f"  no {backend} index at {src}: run bench/scale.py first; skipped")
                continue
            link = data / "index"
            if link.is_symlink() or link.is_file():
                link.unlink()
            elif link.exists():
                shutil.rmtree(link)
            link.symlink_to(src)
            env = dict(os.environ, ARCHIVE_DATA_DIR=str(data), ARCHIVE_SEARCH_BACKEND=backend, ARCHIVE_RATELIMIT_ENABLED="0",
                       ARCHIVE_SECRET_KEY="bench", ARCHIVE_LOG_LEVEL="WARNING", ARCHIVE_SLOW_REQUEST_MS=str(SLOW_MS))
            env.pop("DATABASE_URL", None)
            if db == "postgres":
                env["DATABASE_URL"] = a.dsn
            if backend == "postgres":
                env["ARCHIVE_SEARCH_DATABASE_URL"] = a.dsn
            probe = res["probe_s"][backend] = [machine_probe()]
            jitter = res.setdefault("jitter", {})[backend] = [machine_jitter()]
            log(f"  machine probe {probe[0]} s; {jitter_line(jitter[0])}")
            if a.reindex:
                log(f"  [{db}] {backend}: manage.py reindex ...")
                r = reindex(env, log)
                r["words_per_s"] = round(words / r["wall_s"]) if r["wall_s"] else None
                res.setdefault("reindex", {})[backend] = r
                log(f"  [{db}] {backend}: reindex {r}")
                if r["exit"]:
                    continue
            # The server's log goes to a file: a stderr pipe nobody reads would fill up during a chatty run and
            # block the worker that writes next.
            serve_log = base_dir / f"serve_{db}_{backend}.log"
            serve_log.unlink(missing_ok=True)
            try:
                base, proc = start(env, a.workers, a.threads, log_path=serve_log)
            except RuntimeError as exc:
                log(f"  {backend}: {exc}")
                res["runs"].append({"backend": backend, "error": str(exc)[:300]})
                continue
            try:
                for ep in a.endpoints:
                    paths = [q.path(ep) for q in queries]
                    # warm-up, not measured: every worker thread opens the index, loads dictionaries, templates
                    load(base, paths, clients=a.workers * a.threads, requests=4 * a.workers * a.threads,
                         seconds=None, engine="python", timeout=120)
                    for c in a.clients:
                        # A seed of its own per run: the next run on this server draws other queries first (not
                        # the ones the last run left in the caches).
                        offset = serve_log.stat().st_size
                        r = load(base, paths, clients=c, seconds=a.seconds, seed=a.seed * 1000 + len(res["runs"]))
                        repeats = round(repeat_share(len(paths), r.requests), 3)
                        slow = server_slow(serve_log, offset)
                        log(f"  {db} {backend} {ep}: {r.line()}  repeats ≤ {repeats:.0%}; {slow_line(slow)}")
                        res["runs"].append({"backend": backend, "endpoint": ep, **r.as_dict(), "repeats_at_most": repeats,
                                            "server_slow": slow})
                logged = serve_log.read_text(errors="replace").splitlines()
                errors = [line for line in logged if '"ERROR"' in line or "Traceback" in line or "[ERROR]" in line]
                log(f"  server log {serve_log}: {len(logged)} lines, {len(errors)} errors")
                res.setdefault("server_log", {})[backend] = {"lines": len(logged), "errors": errors[:5]}
                res["rss_mb"][backend] = worker_rss(proc.pid)
                res.setdefault("rss_parts_mb", {})[backend] = {
                    "anon": worker_rss(proc.pid, "RssAnon"), "file": worker_rss(proc.pid, "RssFile")}
                log(f"  worker RSS MB: {res['rss_mb'][backend]} (own {res['rss_parts_mb'][backend]['anon']}, "
                    f"mapped files {res['rss_parts_mb'][backend]['file']})")
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            if not a.no_engine:
                log(f"  [{db}] {backend}: engine beside the page, in process ...")
                e = engine_beside_page(env, queries[:ENGINE_QUERIES], log)
                if e is not None:
                    res.setdefault("in_process", {})[backend] = e
                    log(f"  engine CPU p50/p95 {e['engine_cpu']['p50']}/{e['engine_cpu']['p95']} ms, page CPU "
                        f"{e['page_cpu']['p50']}/{e['page_cpu']['p95']} ms: page ÷ engine {e['page_over_engine_p50']}"
                        f"/{e['page_over_engine_p95']}")
            probe.append(machine_probe())
            jitter.append(machine_jitter())
            log(f"  machine probe {probe[1]} s; {jitter_line(jitter[0], jitter[1])}")
            (work / "results").mkdir(parents=True, exist_ok=True)
            (work / "results" / f"http_{db}_{a.size}_w{a.words}.json").write_text(json.dumps(res, indent=1))
        print(table(res))


def table(res: dict) -> str:
    lines = [f"HTTP, {res['db']}, N = {res['articles']:,} × ~{res['mean_words']:,} words, "
             f"gunicorn {res['workers']} workers × {res['threads']} threads",
             "| backend | endpoint | clients | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | repeats ≤ |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in res["runs"]:
        if "error" in r:
            lines.append(f"| {r['backend']} | — | — | — | — | — | — | — | server: {r['error'][:80]} | — |")
            continue
        errs = ", ".join(f"{k} {v}" for k, v in r["errors"].items()) or "0"
        lines.append(f"| {r['backend']} | {r['endpoint']} | {r['clients']} | {r['throughput']} | {r['p50']:.1f} | "
                     f"{r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {errs} | "
                     f"{r.get('repeats_at_most', 0):.0%} |")
    for b, r in res.get("reindex", {}).items():
        lines.append(f"\nmanage.py reindex, {b}: {r['wall_s']} s wall, {r['cpu_s']} s CPU in {r['processes']} processes, "
                     f"{r['words_per_s']:,} words/s, peak RSS {r['max_rss_one_mb']} MB (one process), "
                     f"{r['max_rss_all_mb']} MB (all at once)")
    for b, e in res.get("in_process", {}).items():
        lines.append(f"\nin process, {b}, {e['engine']['n']} queries once, caches emptied: engine p50/p95 "
                     f"{e['engine']['p50']}/{e['engine']['p95']} ms "
                     f"(CPU {e['engine_cpu']['p50']}/{e['engine_cpu']['p95']}), run_search "
                     f"{e['page']['p50']}/{e['page']['p95']} ms (CPU {e['page_cpu']['p50']}/{e['page_cpu']['p95']}); "
                     f"page ÷ engine (CPU) p50 {e['page_over_engine_p50']}, p95 {e['page_over_engine_p95']}")
    for b, (before, *after) in res.get("probe_s", {}).items():
        lines.append(f"\n{b}, {probe_line(before, after[0] if after else None)} its runs")
    for b, (before, *after) in res.get("jitter", {}).items():
        pages = [r for r in res["runs"] if r.get("backend") == b and r.get("clients") == 1 and r.get("p50")]
        page = "; the page with one client: " + ", ".join(f"{r['endpoint']} p95 ÷ p50 {r['p95'] / r['p50']:.2f}"
                                                           for r in pages) if pages else ""
        lines.append(f"\n{b}, {jitter_line(before, after[0] if after else None)}{page}")
    for b, rss in res["rss_mb"].items():
        parts = res.get("rss_parts_mb", {}).get(b)
        lines.append(f"\nworker RSS after the runs, {b}: {', '.join(f'{x} MB' for x in rss)}"
                     + (f" (own memory {', '.join(map(str, parts['anon']))}; mapped files "
                        f"{', '.join(map(str, parts['file']))})" if parts else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
