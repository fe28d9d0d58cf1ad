"""The benchmark tools count what they say: bench/loadgen.py against a local server, bench/synth.py by seed."""
from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import pytest

from support import CORPUS

from bench.loadgen import load

pytestmark = pytest.mark.no_database   # the benchmarks build SQLite archives of their own


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        path = urlsplit(self.path).path
        _Handler.seen.append(unquote(self.path))
        status = {"/ok": 200, "/moved": 302, "/missing": 404, "/broken": 500}.get(path, 404)
        body = b"x" * 100
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 302:
            self.send_header("Location", "/ok")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_python_engine_counts_requests_and_errors_by_kind(server):
    _Handler.seen.clear()
    r = load(server, ["/ok", "/moved", "/missing", (2, "/broken?q=тіл")], clients=3, requests=200, seconds=None,
             engine="python")
    assert r.requests == 200
    assert set(r.errors) == {"status_4xx", "status_5xx"}
    assert r.errors["status_5xx"] > r.errors["status_4xx"] > 0      # weight 2 against weight 1
    assert not r.ok
    assert 0 < r.p50 <= r.p95 <= r.p99 <= r.max
    assert "/broken?q=тіл" in _Handler.seen                       # non-ASCII paths are percent-encoded


def test_success_only_is_ok_and_a_callable_picks_paths(server):
    r = load(server, lambda rng: rng.choice(["/ok", "/moved"]), clients=2, requests=50, seconds=None,
             engine="python")
    assert r.ok and r.requests == 50 and r.errors == {}


def test_connection_errors_are_counted_not_raised():
    r = load("http://127.0.0.1:1", ["/"], clients=2, seconds=0.5, engine="python")
    assert r.requests == 0 and r.errors.get("connect", 0) > 0 and not r.ok


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/setup.sh --test)")
def test_wrk_engine_counts_the_same_kinds(server):
    r = load(server, ["/ok", "/missing", "/broken"], clients=4, seconds=1, engine="wrk")
    assert r.engine == "wrk" and r.requests > 0
    assert r.errors.get("status_4xx", 0) > 0 and r.errors.get("status_5xx", 0) > 0
    ok = load(server, ["/ok", "/moved"], clients=2, seconds=1, engine="wrk")
    assert ok.ok and ok.throughput > 0


@pytest.mark.corpus
def test_synthetic_articles_are_deterministic_and_shaped(tmp_path):
    if not (CORPUS / "text").is_dir():
        pytest.skip("shared corpus absent")
    from bench.synth import Synth, to_index_document

    a = Synth(seed=3, words=900, page_words=300)
    b = Synth(seed=3, words=900, page_words=300)
    arts = list(a.articles(30))
    assert [x.pages for x in arts] == [b.article(i).pages for i in range(30)]
    assert {x.language for x in arts} == {"ru", "kk"}
    assert all(1 <= len(x.authors) <= 3 and 1995 <= x.year <= 2025 and x.title for x in arts)
    for x in arts:
        assert all(len(p.split()) <= 330 for p in x.pages)
    doc = to_index_document(arts[0])
    assert doc.id == 1 and doc.pages[0][0] == 1 and doc.language == arts[0].language
    assert Synth(seed=4, words=900).article(0).pages != arts[0].pages


def test_http_serve_says_how_many_pages_of_a_run_could_repeat_an_earlier_one():
    """A run drawing ~2,800 pages from 300 queries mostly repeats them (a worker's cache answers); from 20,000,
    hardly ever: what ``bench/http_serve.py`` prints beside each run."""
    from bench.http_serve import repeat_share

    assert repeat_share(1, 10) == pytest.approx(0.9) and repeat_share(10, 0) == 0.0
    assert repeat_share(300, 2800) > 0.8 and repeat_share(20_000, 2800) < 0.1
    assert repeat_share(20_000, 2800) < repeat_share(20_000, 5600)


def test_machine_probe_times_the_addition_loop_by_its_median_piece(monkeypatch):
    """The probe is the 20-million-addition loop's CPU seconds, from the median of its pieces: one piece the
    machine stalled in does not count."""
    from types import SimpleNamespace

    from bench import _common

    ticks = iter([0.0, 0.1, 0.1, 0.2, 0.2, 5.2, 5.2, 5.3])      # the third of four pieces stalls for 5 s
    with monkeypatch.context() as m:
        m.setattr(_common, "time", SimpleNamespace(process_time=lambda: next(ticks)))
        assert _common.machine_probe(chunks=4) == pytest.approx(0.4)
    real = _common.machine_probe(chunks=20)                       # 1 million additions a piece
    assert 0.05 < real < 60


def test_machine_jitter_gives_the_spread_of_one_fixed_piece_of_work(monkeypatch):
    """The jitter gauge times the same piece again and again: its p50 and p95 (ms) and their ratio, the spread the
    machine itself adds to anything timed on it."""
    from types import SimpleNamespace

    from bench import _common

    took = [1.5] + [2.0] * 35 + [3.0, 4.0, 4.0, 9.0]   # ms: four pieces of forty slowed down by the machine
    clock = iter(t for ms in took for t in (0.0, ms / 1000))
    with monkeypatch.context() as m:
        m.setattr(_common, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
        j = _common.machine_jitter(pieces=40)
    assert j == {"p50_ms": 2.0, "p95_ms": 4.0, "p95_over_p50": 2.0}        # the 95th percentile, not the slowest
    assert "p50/p95 2.0/4.0 ms (p95 ÷ p50 2.0) before" in _common.jitter_line(j)
    real = _common.machine_jitter(pieces=20)
    assert 0 < real["p50_ms"] <= real["p95_ms"] and real["p95_over_p50"] >= 1


@pytest.mark.slow
@pytest.mark.corpus
def test_http_serve_times_a_real_reindex_and_serves_its_index(tmp_path):
    """``bench/http_serve.py --reindex``: the database it populates is indexed by ``manage.py reindex`` (timed, with
    the CPU of all its processes), the served search page answers from that index without errors, and the engine
    is timed beside the whole search (page ÷ engine)."""
    import json
    import subprocess
    import sys

    from support import REPO

    if not (CORPUS / "text").is_dir():
        pytest.skip("shared corpus absent")
    # 210 publications: past PARALLEL_MIN_DOCS, so the rebuild analyses (and Whoosh writes) in child processes.
    out = subprocess.run([sys.executable, "bench/http_serve.py", "--size", "210", "--words", "300",
                          "--backends", "tantivy", "whoosh", "--workdir", str(tmp_path), "--clients", "1", "--seconds", "2",
                          "--endpoints", "/search", "--workers", "1", "--threads", "2", "--reindex"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads((tmp_path / "results" / "http_sqlite_210_w300.json").read_text())
    for backend in ("tantivy", "whoosh"):
        r = res["reindex"][backend]
        assert r["exit"] == 0 and r["wall_s"] > 0 and r["cpu_s"] > 0 and r["words_per_s"] > 0
        # manage.py, the forkserver, two analysing children (and for Whoosh two writing ones), seen in /proc
        assert r["processes"] >= 4 and r["max_rss_all_mb"] > r["max_rss_one_mb"] > 0, r
        assert f"manage.py reindex, {backend}:" in out.stdout
        # The engine alone beside the whole search, in process, each query of the mix once.
        e = res["in_process"][backend]
        assert e["engine"]["n"] == e["page"]["n"] > 100 and e["page_cpu"]["p50"] > e["engine_cpu"]["p50"] > 0
        assert e["page_over_engine_p50"] > 1 and f"in process, {backend}," in out.stdout
    assert res["words"] > 210 * 100
    assert {run["backend"] for run in res["runs"]} == {"tantivy", "whoosh"}
    assert all(run["requests"] > 0 and not run["errors"] for run in res["runs"])
    # The default mix (20,000 queries): nearly every page of a run is a first-time one, and the run says so.
    assert all(0 <= run["repeats_at_most"] < 0.2 for run in res["runs"]) and "repeats ≤" in out.stdout
    # The machine's speed before and after each backend's runs, in the results and the printed table.
    assert all(len(res["probe_s"][b]) == 2 and min(res["probe_s"][b]) > 0 for b in ("tantivy", "whoosh"))
    assert "whoosh, machine probe (bench._common.machine_probe): " in out.stdout
    # ... and the spread a fixed piece of work has on it, beside the page's own spread with one client.
    assert all(len(res["jitter"][b]) == 2 and res["jitter"][b][0]["p95_over_p50"] >= 1 for b in ("tantivy", "whoosh"))
    assert "tantivy, a fixed piece of Python (bench._common.machine_jitter): " in out.stdout
    assert "the page with one client: /search p95 ÷ p50 " in out.stdout
    assert (tmp_path / "n210_w300" / "tantivy" / "reindexed" / "meta.json").exists()
    assert list((tmp_path / "n210_w300" / "whoosh" / "reindexed").glob("*.seg"))
