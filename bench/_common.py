"""What several benchmarks share: the repository and corpus paths, raw PDF page texts, the engine beside the
whole search in process, the machine's speed now (``machine_probe``)."""
from __future__ import annotations

import functools
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def page_texts(path: Path, use_pdfminer: bool = False) -> list[str]:
    """Page texts of a PDF (pypdfium2 by default, pdfminer.six on request), without any repair."""
    if use_pdfminer:
        from pdfminer.high_level import extract_text
        from pypdf import PdfReader

        n = len(PdfReader(str(path)).pages)
        return extract_text(str(path)).split("\f")[:n]
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def ensure_database(dsn: str) -> None:
    """Create the benchmark's PostgreSQL database when the server runs but the database does not exist yet
    (a fresh machine); say nothing when the server is away (the benchmark then reports the backend skipped)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    if not name:
        return
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            return
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def engine_and_page(app, mix) -> dict:
    """The engine alone (``backend.search``) and the whole search (``run_search`` as the search page calls it:
    engine, records, snippets; not the template), each with its facets read, in process, wall and CPU ms (of every
    thread) per query of ``mix`` ((kind, text) or (kind, text, Filters)), every cache emptied first (the cost of a
    query never seen); percentiles, the slowest, and page ÷ engine (CPU p50 and p95).

    The two take turns at going first: the one that goes first also analyses the query's words for the first time
    in the process (the word-form cache then serves the other). Always timing the engine first, as this did until
    2026-12-05, charged that analysis to the engine alone and gave a ratio ~0.5 lower than timing them in turns."""
    from archive import search as search_mod
    from archive.search import run_search
    from bench.scale import summary
    from indexer.backend import Filters
    from indexer.query import parse_query

    arc = app.extensions["archive"]
    be = arc.search
    rows = []
    with app.test_request_context(), arc.db.session() as s:
        run_search(arc, s, "тіл")                                         # open the index and the speller

        def timed(call) -> tuple[float, float]:
            be.__dict__.get("_result_cache", {}).clear()
            search_mod._snippet_caches.clear()
            t, c = time.perf_counter(), time.process_time()
            call()
            return (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000

        for i, (kind, text, *rest) in enumerate(mix):
            filters = rest[0] if rest else Filters()
            # Each reads its facets: an engine may count them in a thread of its own (tantivy), after it returns.
            engine = functools.partial(lambda t, f: dict(be.search(parse_query(t), f).facets), text, filters)
            whole = functools.partial(lambda t, f: dict(run_search(arc, s, t, filters=f, names_only=True).facets),
                                      text, filters)      # as the page calls it
            if i % 2:
                page, eng = timed(whole), timed(engine)
            else:
                eng, page = timed(engine), timed(whole)
            rows.append({"kind": kind, "text": text[:80], "engine_ms": eng[0], "engine_cpu_ms": eng[1],
                         "page_ms": page[0], "page_cpu_ms": page[1]})
    out = {"engine": summary([r["engine_ms"] for r in rows]),
           "engine_cpu": summary([r["engine_cpu_ms"] for r in rows]),
           "page": summary([r["page_ms"] for r in rows]), "page_cpu": summary([r["page_cpu_ms"] for r in rows]),
           "max_page_ms": round(max(r["page_ms"] for r in rows), 1),
           "slowest": sorted(rows, key=lambda r: -r["page_ms"])[:3]}
    out["page_over_engine_p50"] = round(out["page_cpu"]["p50"] / max(out["engine_cpu"]["p50"], 0.01), 1)
    out["page_over_engine_p95"] = round(out["page_cpu"]["p95"] / max(out["engine_cpu"]["p95"], 0.01), 1)
    by_kind: dict[str, list[float]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r["page_ms"])
    out["page_by_kind"] = {k: summary(v) for k, v in sorted(by_kind.items())}
    return out


def status_mb(field: str, pid: int | str = "self") -> float | None:
    """A memory ``field`` of /proc/<pid>/status in MB (VmRSS; its parts RssAnon, the process's own memory, and
    RssFile, mapped files; VmHWM, the peak), or None when the process or the field is not there."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine_probe(chunks: int = 10) -> float:
    """Seconds of CPU of the 20-million-addition loop (``s += i`` over ``range(20_000_000)`` at a module's level) on
    this machine now: the figure docs/performance.md gives for every session's machine since 2026-12-02 (1.08 s on
    the quickest, 1.7–3.6 s on slow ones). Timed as ``chunks`` pieces, the median piece times their number (one
    hiccup of the machine does not count).

    This machine kind's speed drifted by up to ±40 % within an hour, and nothing in ``/proc/stat`` shows it (steal
    stays under 1 %). A benchmark prints this figure beside its own, before and after its runs: two runs compare
    when their probes agree. When they do not, the one with the slower probe ran on a slower machine, but not by the
    probe's ratio: on 2026-12-07 a probe 2.6–3.1 times the quickest one's came with a 100,000-article tantivy
    page 1.7–1.9 times as slow and a rebuild 2.1–2.5 times as slow."""
    import statistics

    # At a module's level, as ``python3 -c`` runs it: its names are a dict's (slower than a function's locals).
    piece = compile(f"s = 0\nfor i in range({20_000_000 // chunks}):\n    s += i\n", "<probe>", "exec")
    times = []
    for _ in range(chunks):
        t = time.process_time()
        exec(piece, {})
        times.append(time.process_time() - t)
    return round(statistics.median(times) * chunks, 2)


def machine_jitter(pieces: int = 400) -> dict:
    """The same small piece of pure Python (50,000 additions, ~2.5 ms on the quickest machine) timed ``pieces``
    times, one after another: its p50 and p95 in ms, and p95 ÷ p50. Nothing in it varies, so its spread is the
    machine's own: on 2026-12-07 its p95 was 1.4-1.5 times its p50, as much as a search page's (a page's p95 goal
    leaves its p50 that much less room here than on a steady machine)."""
    piece = compile("s = 0\nfor i in range(50_000):\n    s += i\n", "<jitter>", "exec")
    times = []
    for _ in range(pieces):
        t = time.perf_counter()
        exec(piece, {})
        times.append((time.perf_counter() - t) * 1000)
    # The percentiles every page figure uses (``bench.scale.summary``), so the two ratios compare.
    from bench.scale import summary

    s = summary(times)
    return {"p50_ms": s["p50"], "p95_ms": s["p95"], "p95_over_p50": round(s["p95"] / s["p50"], 2)}


def jitter_line(before: dict, after: dict | None = None) -> str:
    """How a benchmark prints ``machine_jitter`` taken before (and after) its runs."""
    def one(j: dict) -> str:
        return f"p50/p95 {j['p50_ms']}/{j['p95_ms']} ms (p95 ÷ p50 {j['p95_over_p50']})"
    return ("a fixed piece of Python (bench._common.machine_jitter): " + one(before) + " before"
            + (", " + one(after) + " after" if after else ""))


def probe_line(before: float, after: float | None) -> str:
    """How a benchmark prints the probes it took before and after its runs."""
    return f"machine probe (bench._common.machine_probe): {before} s before" + (
        f", {after} s after" if after is not None else "")
