"""Index build and in-process query latency at scale, for every search backend, on synthetic articles.

    nice -n 10 .venv/bin/python bench/scale.py --sizes 10000 --words 3000 --backends tantivy postgres whoosh
    nice -n 10 .venv/bin/python bench/scale.py --sizes 100000 --words 300 --backends tantivy postgres

For each size N and backend the script feeds N articles from ``bench/synth.py`` (deterministic by seed)
through the backend's own ``update()`` in batches of 200 (the batch ``rebuild_index`` uses), so the build
time includes our Russian/Kazakh analysis exactly as ``manage.py reindex`` pays it (generation is not
timed). Then it runs a realistic query mix (1-4 words, phrases, facet filters, ``author:``/``year:``
fields; 70% Russian / 30% Kazakh) in process and reports p50/p95/p99 of

* ``engine``: ``backend.search(parse_query(q), filters, limit=10, facets=True)`` — the engine alone;
* ``+snippets``: that plus ``indexer.snippets.make_snippets`` over the hits' stored pages, which is what
  ``archive.search.run_search`` adds per hit (the page texts are regenerated outside the timing).

SQLite FTS5 is the reference "on the same pre-analyzed tokens": while the first backend of the list is
built, the terms that ``indexer.documents.field_terms`` returns are captured and written, as space-joined
keys, into an FTS5 table (``unicode61`` with ``~`` as a token character); only the FTS5 inserts are timed
for its build. Its queries are all-words AND of each word's keys (phrases become all-words: FTS5 cannot
match several keys at one position), top 10 by bm25 plus the total count, no facets.

Results go to ``<workdir>/results/scale_<N>_<words>.json`` and a Markdown table on stdout. Index folders
stay under ``<workdir>/n<N>_w<words>/<backend>/index`` so ``bench/http_serve.py`` can serve them.
The PostgreSQL backend is included when ``open_backend("postgres", path, dsn=...)`` exists; its size is
the growth of ``pg_database_size`` of the benchmark database.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.synth import TOPICS, Synth, to_index_document  # noqa: E402

DEFAULT_WORKDIR = "/tmp/kel_bench"
DEFAULT_DSN = "postgresql://root@127.0.0.1:5432/kel_bench"
BATCH = 200


# ------------------------------------------------------------------------------------------ query mix

@dataclass(frozen=True)
class BenchQuery:
    """One query of the mix: the text typed, the facet selection, and its URL parameters."""

    text: str
    lang: str
    kind: str                                # words | phrase | facet | field
    params: tuple[tuple[str, str], ...] = ()   # facet selection as /search URL parameters

    def filters(self):
        from indexer.backend import Filters

        p: dict[str, list[str]] = {}
        for k, v in self.params:
            p.setdefault(k, []).append(v)
        return Filters(year_from=int(p["from"][0]) if "from" in p else None,
                       year_to=int(p["to"][0]) if "to" in p else None,
                       langs=tuple(p.get("lang", ())), kinds=tuple(p.get("kind", ())),
                       topics=tuple(p.get("topic", ())))

    def path(self, endpoint: str = "/search") -> str:
        return endpoint + "?" + urlencode((("q", self.text),) + self.params)


def query_mix(synth: Synth, count: int = 300, seed: int = 7) -> list[BenchQuery]:
    """A realistic mix: 55% plain 1-4 words, 15% phrases, 20% words + a facet, 10% author:/year: fields."""
    rng = random.Random(seed)
    out: list[BenchQuery] = []
    for _ in range(count):
        lang = "ru" if rng.random() < 0.7 else "kk"
        r = rng.random()
        if r < 0.55:
            out.append(BenchQuery(" ".join(synth.query_words(rng, lang)), lang, "words"))
        elif r < 0.70:
            out.append(BenchQuery(synth.query_phrase(rng, lang), lang, "phrase"))
        elif r < 0.90:
            words = " ".join(synth.query_words(rng, lang)[:2])
            facet = rng.choice(("year", "lang", "kind", "topic"))
            if facet == "year":
                y = rng.randint(1998, 2022)
                params = (("from", str(y)), ("to", str(y + rng.choice((0, 2, 5)))))
            elif facet == "lang":
                params = (("lang", lang),)
            elif facet == "kind":
                params = (("kind", rng.choice(("article", "report", "commentary"))),)
            else:
                params = (("topic", rng.choice(TOPICS)),)
            out.append(BenchQuery(words, lang, "facet", params))
        else:
            if rng.random() < 0.5:
                sur, _ = synth.people[min(len(synth.people) - 1, int(rng.paretovariate(1.0)) - 1)]
                out.append(BenchQuery(f"author:{sur} " + synth.query_words(rng, lang)[0], lang, "field"))
            else:
                y = rng.randint(1998, 2020)
                out.append(BenchQuery(f"year:{y}-{y + 5} " + synth.query_words(rng, lang)[0], lang, "field"))
    return out


# ------------------------------------------------------------------------------------- helpers

def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    v = sorted(values)
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(pct(ms, .5), 2), "p95": round(pct(ms, .95), 2), "p99": round(pct(ms, .99), 2),
            "max": round(max(ms), 2) if ms else 0, "mean": round(statistics.fmean(ms), 2) if ms else 0}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pg_size(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as c:
        return c.execute("select pg_database_size(current_database())").fetchone()[0]


def open_bench_backend(name: str, path: Path, dsn: str):
    from indexer.backend import open_backend

    if name == "postgres":
        return open_backend("postgres", path, dsn=dsn)
    return open_backend(name, path)


# ------------------------------------------------------------------ proposed snippet fix (measured here)

def full_snippets(keys, pages, lang: str = "ru", max_snippets: int = 3, width: int = 260):
    """The reference the prefilter is measured against: ``indexer.snippets`` with every page analysed
    whole (what ``make_snippets`` did before it skipped paragraphs and tokens without a key prefix)."""
    from indexer.snippets import _matches, _scan

    keyset = frozenset(keys)
    if not keyset:
        return []
    found = _scan(pages, width, 2 * max_snippets, lambda text: _matches(keyset, text, lang, None))
    found.sort(key=lambda sn: (-sn.score, sn.page))
    return found[:max_snippets]


# ------------------------------------------------------------------------------------------ FTS5

class Fts5Reference:
    """SQLite FTS5 over the same pre-analyzed keys (space-joined), with year/lang/kind beside it."""

    COLS = ("title", "abstract", "keywords", "authors", "body")

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=normal")
        self.db.execute(f"create virtual table docs using fts5({', '.join(self.COLS)}, content='', "
                        "tokenize = \"unicode61 remove_diacritics 0 tokenchars '~'\")")
        self.db.execute("create table meta(id integer primary key, year int, lang text, kind text)")
        self.seconds = 0.0
        self.cpu = 0.0
        self.pending: list = []

    def add(self, doc, terms: dict) -> None:
        self.pending.append((doc.id, *(" ".join(t.key for t in terms[c]) for c in self.COLS), doc.year,
                             doc.language, doc.kind))

    def flush(self) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.db.executemany(f"insert into docs(rowid, {', '.join(self.COLS)}) values (?,?,?,?,?,?)",
                            [p[:6] for p in self.pending])
        self.db.executemany("insert into meta values (?,?,?,?)", [(p[0], *p[6:]) for p in self.pending])
        self.db.commit()
        self.seconds += time.perf_counter() - t
        self.cpu += time.process_time() - c
        self.pending = []

    def optimize(self) -> None:
        t, c = time.perf_counter(), time.process_time()
        self.db.execute("insert into docs(docs) values('optimize')")
        self.db.commit()
        self.seconds += time.perf_counter() - t
        self.cpu += time.process_time() - c

    @staticmethod
    def match_expr(text: str) -> str | None:
        from indexer.analysis import word_keys
        from indexer.query import Phrase, parse_query

        q = parse_query(text)
        groups = []
        for group in q.groups:
            for c in group:
                words = c.words if isinstance(c, Phrase) else (c.text,)
                for w in words:
                    keys = sorted(word_keys(w))
                    if keys:
                        groups.append("(" + " OR ".join('"' + k.replace('"', '""') + '"' for k in keys) + ")")
        return " AND ".join(groups) or None

    def search(self, text: str) -> tuple[list[int], int]:
        expr = self.match_expr(text)
        if not expr:
            return [], 0
        ids = [r[0] for r in self.db.execute(
            "select rowid from docs where docs match ? order by bm25(docs, 4, 2, 2.5, 3, 1) limit 10", (expr,))]
        total = self.db.execute("select count(*) from docs where docs match ?", (expr,)).fetchone()[0]
        return ids, total


# ------------------------------------------------------------------------------------------ runs

def build(name: str, synth: Synth, n: int, folder: Path, dsn: str, fts: Fts5Reference | None, log,
          processes: int = 1) -> dict:
    """Index ``n`` synthetic articles with backend ``name``; returns build figures.

    ``processes > 1``: analysis in ``indexer.documents.ParallelAnalyzer`` child processes, as
    ``manage.py reindex`` does; the build time is then the wall time of waiting for analysed batches
    plus writing them (what a rebuild costs), and ``analysis_s`` is not measured (children).
    """
    import itertools

    import indexer.documents as documents

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    pg_before = pg_size(dsn) if name == "postgres" else 0
    backend = open_bench_backend(name, folder / "index", dsn)
    backend.clear()
    if name == "postgres":
        pg_before = pg_size(dsn)
    module = sys.modules[type(backend).__module__]
    real = documents.analyzed
    analysis = [0.0]
    tokens = [0]

    def timed_analyzed(doc):
        t = time.perf_counter()
        terms, forms, pages = real(doc)
        analysis[0] += time.perf_counter() - t
        tokens[0] += sum(len(v) for v in terms.values())
        if fts is not None:
            fts.add(doc, terms)
        return terms, forms, pages

    # The analysis runs where the backend's writer calls ``analyzed``: its own module, or (Whoosh writing in child
    # processes) the parent's side of the bulk writer.
    from indexer import whoosh_bulk

    patched = [m for m in {module, whoosh_bulk} if getattr(m, "analyzed", None) is real]
    for m in patched:
        m.analyzed = timed_analyzed
    spent = 0.0
    cpu = 0.0
    words = 0
    counted = [0]

    def source():
        for i in range(n):
            a = synth.article(i)
            counted[0] += a.words
            yield to_index_document(a)

    try:
        # As rebuild_index: analysis in child processes, and the backend's bulk writer (Whoosh: segments written
        # in child processes too; the others: one ``update`` a batch).
        with documents.build_collections(), documents.ParallelAnalyzer(processes, once=True) as analyzer:
            stream = analyzer.analyzed(source())
            with backend.bulk(analyzer.processes) as write:
                for start in range(0, n, BATCH):
                    if processes > 1:
                        t, c = time.perf_counter(), time.process_time()
                        docs = list(itertools.islice(stream, BATCH))
                    else:
                        docs = list(itertools.islice(stream, BATCH))
                        t, c = time.perf_counter(), time.process_time()
                    write(docs)
                    spent += time.perf_counter() - t
                    cpu += time.process_time() - c
                    words = counted[0]
                    if fts is not None:
                        fts.flush()
                    done = min(n, start + BATCH)
                    if done % (BATCH * 25) == 0 or done == n:
                        log(f"  {name}: {done}/{n} articles, {spent:.0f} s, {done / spent:.1f} articles/s")
                t, c = time.perf_counter(), time.process_time()
            # The bulk writer's last segments, then what ``manage.py reindex`` does after a full rebuild
            # (PostgreSQL: VACUUM ANALYZE; this server may run without autovacuum, and a never-analysed table gets
            # plans made without statistics): timed as build.
            backend.rebuilt()
            spent += time.perf_counter() - t
            cpu += time.process_time() - c
        if fts is not None:
            fts.optimize()
    finally:
        for m in patched:
            m.analyzed = real
    size = (pg_size(dsn) - pg_before) if name == "postgres" else dir_size(folder / "index")
    out = {"backend": name, "articles": n, "words": words, "processes": processes, "seconds": round(spent, 1),
           "articles_per_s": round(n / spent, 1), "cpu_s": round(cpu, 1),
           "articles_per_cpu_s": round(n / cpu, 1) if cpu else None, "size_mb": round(size / 2**20, 1),
           "analysis_s": round(analysis[0], 1) if patched and processes == 1 else None,
           "tokens": tokens[0] if patched else None, "rss_max_mb": round(rss_mb()), "loadavg": os.getloadavg()[0]}
    if patched and analysis[0] and processes == 1:
        out["tokens_per_s_analysis"] = round(tokens[0] / analysis[0])
    if patched and spent:
        # Terms written per second of the build, and per CPU second of the writing process (with
        # ``processes > 1`` the analysis runs in children and is not in ``cpu_s``).
        out["tokens_per_s"] = round(tokens[0] / spent)
        out["tokens_per_cpu_s"] = round(tokens[0] / cpu) if cpu else None
    backend.close()
    return out


@functools.lru_cache(maxsize=4096)
def _pages(synth: Synth, doc_id: int) -> tuple[tuple[int, str], ...]:
    a = synth.article(doc_id - 1)
    return tuple((i + 1, t) for i, t in enumerate(a.pages))


def query_latency(name: str, synth: Synth, folder: Path, dsn: str, queries: list[BenchQuery],
                  compare: bool = False) -> dict:
    """p50/p95/p99 of the engine alone and with snippets, per query kind too."""
    from indexer.query import parse_query
    from indexer.snippets import make_snippets

    backend = open_bench_backend(name, folder / "index", dsn)
    for q in queries[:20]:                                     # warm-up: open the index, fill caches
        backend.search(parse_query(q.text), q.filters(), limit=10, facets=True)
    engine: list[float] = []
    engine_cpu: list[float] = []
    full: list[float] = []
    full_cpu: list[float] = []
    fixed: list[float] = []
    fixed_cpu: list[float] = []
    compared, differ = [0], [0]
    by_kind: dict[str, list[float]] = {}
    hits = 0
    from indexer.snippets import snippets_from_forms

    forms_ms: list[float] = []
    forms_cpu: list[float] = []
    for q in queries:
        backend.__dict__.get("_result_cache", {}).clear()       # every query costs what a new one would
        t, c = time.perf_counter(), time.process_time()
        r = backend.search(parse_query(q.text), q.filters(), limit=10, facets=True)
        e = (time.perf_counter() - t) * 1000
        ec = (time.process_time() - c) * 1000
        pages = {h.id: (_pages(synth, h.id), synth.article(h.id - 1).language) for h in r.hits}  # not timed
        t, c = time.perf_counter(), time.process_time()
        for h in r.hits:
            if r.keys:
                full_snippets(r.keys, list(pages[h.id][0]), pages[h.id][1])
        s = (time.perf_counter() - t) * 1000
        sc = (time.process_time() - c) * 1000
        t, c = time.perf_counter(), time.process_time()
        fast_out = [make_snippets(r.keys, list(pages[h.id][0]), pages[h.id][1]) if r.keys else []
                    for h in r.hits]
        f = (time.perf_counter() - t) * 1000
        fc = (time.process_time() - c) * 1000
        if compare:
            real_out = [full_snippets(r.keys, list(pages[h.id][0]), pages[h.id][1]) if r.keys else []
                        for h in r.hits]
            for a_, b_ in zip(real_out, fast_out):
                compared[0] += 1
                differ[0] += [x.html for x in a_] != [x.html for x in b_]
        t, c = time.perf_counter(), time.process_time()
        form_keys = backend.forms.form_keys(r.keys)
        for h in r.hits:
            snippets_from_forms(form_keys, list(pages[h.id][0]))
        forms_ms.append(e + (time.perf_counter() - t) * 1000)
        forms_cpu.append(ec + (time.process_time() - c) * 1000)
        fixed.append(e + f)
        fixed_cpu.append(ec + fc)
        engine.append(e)
        engine_cpu.append(ec)
        full.append(e + s)
        full_cpu.append(ec + sc)
        by_kind.setdefault(q.kind, []).append(e)
        hits += r.total > 0
    backend.close()
    return {"engine": summary(engine), "with_snippets": summary(full), "engine_cpu": summary(engine_cpu),
            "with_snippets_cpu": summary(full_cpu), "with_prefiltered_snippets": summary(fixed),
            "with_prefiltered_snippets_cpu": summary(fixed_cpu),
            "prefiltered_snippets_differ": f"{differ[0]}/{compared[0]}" if compare else None,
            "with_form_snippets": summary(forms_ms), "with_form_snippets_cpu": summary(forms_cpu),
            "loadavg": os.getloadavg()[0],
            "by_kind_p95": {k: round(pct(v, .95), 2) for k, v in by_kind.items()},
            "queries_with_hits": hits, "queries": len(queries)}


def fts_latency(fts: Fts5Reference, queries: list[BenchQuery]) -> dict:
    for q in queries[:20]:
        fts.search(q.text)
    ms, cpu = [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        fts.search(q.text)
        ms.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {"engine": summary(ms), "engine_cpu": summary(cpu)}


def postgres_available(dsn: str) -> str | None:
    """None when the postgres backend can be used, else why not."""
    try:
        from indexer.backend import open_backend

        b = open_backend("postgres", Path("/tmp/kel_bench_probe"), dsn=dsn)
        b.close()
        return None
    except Exception as exc:                 # noqa: BLE001 — reported, not hidden
        return f"{type(exc).__name__}: {exc}"[:200]


def machine() -> dict:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": round(int(mem) / 2**20, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--words", type=int, default=3000, help="mean words per article")
    ap.add_argument("--backends", nargs="+", default=["tantivy", "postgres", "whoosh"])
    ap.add_argument("--no-fts5", action="store_true")
    ap.add_argument("--latency-only", action="store_true", help="reuse the indexes of an earlier run (no FTS5)")
    ap.add_argument("--tag", default="", help="suffix of the results file (a partial run beside another)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--processes", type=int, default=1,
                    help="analysis processes for the build (manage.py reindex uses one per CPU)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", default=DEFAULT_WORKDIR)
    ap.add_argument("--dsn", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DSN))
    a = ap.parse_args()
    work = Path(a.workdir)
    (work / "results").mkdir(parents=True, exist_ok=True)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    synth = Synth(seed=a.seed, words=a.words)
    queries = query_mix(synth, a.queries)
    backends = list(a.backends)
    notes = []
    if "postgres" in backends:
        from bench._common import ensure_database

        ensure_database(a.dsn)
        why = postgres_available(a.dsn)
        if why:
            backends.remove("postgres")
            notes.append(f"postgres backend not run: {why}")
            log(notes[-1])
    for n in a.sizes:
        base = work / f"n{n}_w{a.words}"
        res = {"machine": machine(), "articles": n, "mean_words": a.words, "seed": a.seed, "notes": notes,
               "builds": [], "latency": {}, "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
        fts = None if a.no_fts5 or a.latency_only else Fts5Reference(base / "fts5.sqlite3")
        for i, name in enumerate(backends):
            if a.latency_only:
                b = {"backend": name, "articles": n, "seconds": "—", "articles_per_s": "—", "size_mb": "—"}
            else:
                log(f"[{n}] building {name} ...")
                b = build(name, synth, n, base / name, a.dsn, fts if i == 0 else None, log,
                          processes=a.processes)
            res["builds"].append(b)
            log(f"  {b}")
            res["latency"][name] = query_latency(name, synth, base / name, a.dsn, queries, compare=i == 0)
            log(f"  latency {res['latency'][name]}")
            if i == 0 and fts is not None:
                res["builds"].append({"backend": "fts5", "articles": n, "seconds": round(fts.seconds, 1),
                                      "articles_per_s": round(n / fts.seconds, 1), "cpu_s": round(fts.cpu, 1),
                                      "articles_per_cpu_s": round(n / fts.cpu, 1),
                                      "size_mb": round(fts.path.stat().st_size / 2**20, 1),
                                      "note": "inserts of the already analysed keys only"})
                res["latency"]["fts5"] = fts_latency(fts, queries)
                log(f"  fts5 {res['builds'][-1]} {res['latency']['fts5']}")
            suffix = ("_latency" if a.latency_only else "") + (f"_{a.tag}" if a.tag else "")
            (work / "results" / f"scale_{n}_w{a.words}{suffix}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
        print(table(res))


def table(res: dict) -> str:
    lines = [f"N = {res['articles']:,} articles, ~{res['mean_words']:,} words each",
             "| backend | build s (CPU s) | articles/s (per CPU s) | size MB | engine p50 / p95 / p99 ms "
             "(CPU p95) | + analysed snippets p50 / p95 / p99 ms (CPU p95) | + form snippets (CPU p95) |",
             "|---|---:|---:|---:|---|---|---|"]
    for b in res["builds"]:
        lat = res["latency"].get(b["backend"], {})
        e, s, f = lat.get("engine", {}), lat.get("with_snippets"), lat.get("with_form_snippets")
        ec, sc = lat.get("engine_cpu", {}), lat.get("with_snippets_cpu", {})
        fc = lat.get("with_form_snippets_cpu", {})
        fmt = lambda d, c: f"{d['p50']} / {d['p95']} / {d['p99']} ({c.get('p95', '—')})" if d else "—"  # noqa: E731
        lines.append(f"| {b['backend']} | {b['seconds']} ({b.get('cpu_s')}) | {b['articles_per_s']} "
                     f"({b.get('articles_per_cpu_s')}) | {b['size_mb']} | {fmt(e, ec)} | {fmt(s, sc)} | {fmt(f, fc)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
