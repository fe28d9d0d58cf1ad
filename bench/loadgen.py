"""HTTP load generator: N concurrent keep-alive clients for a duration (or a request count), latency percentiles.

Library::

    from bench.loadgen import run_load
    r = run_load("http://127.0.0.1:8000", ["/search?q=тіл", (3, "/api/search?q=язык")], clients=8, seconds=10)
    print(r.line())          # requests, errors by kind, req/s, p50/p95/p99/max
    assert r.ok              # no errors at all

``paths`` is a list of paths (``"/x"``) and/or ``(weight, path)`` pairs, or a callable ``pick(rng) -> path``
(``rng`` is a ``random.Random``); paths may hold raw Unicode, they are percent-encoded here.

CLI::

    .venv/bin/python bench/loadgen.py http://127.0.0.1:8000 "/search?q=тіл" "3 /api/search?q=язык" \\
        --clients 32 --seconds 10 [--requests 500] [--engine wrk|python] [--json]

Engines (choice documented because it decides whether the numbers are honest on a 2-core machine):

* ``wrk`` (default when the Debian package ``wrk`` is installed; ``--duration`` mode only): one event-loop
  thread in C drives all connections, so 32 clients cost the machine almost nothing and the CPU stays with
  the server being measured. A generated Lua script picks each next request by weight (a callable picker is
  sampled in advance into 5,000 paths) and counts 4xx/5xx; latency is wrk's own per-request histogram
  (microsecond resolution). Clients are closed-loop (each sends its next request when the last answer
  arrives), as readers and the issue's goals assume; wrk's ``--timeout`` is set to 30 s so a slow answer is
  measured as latency, not dropped as a timeout error.
* ``python`` (fallback, and for ``requests=N`` mode): one thread per client, each with its own
  ``http.client`` keep-alive connection. At 32 clients its threads take a visible share of the two cores
  (the GIL and the parsing of responses), which inflates server-side latency by a few per cent; its
  results say ``engine=python`` so a reader can tell.

Errors are counted by kind: ``status_4xx`` / ``status_5xx`` (3xx is success: the archive redirects),
``connect``, ``read``, ``write``, ``timeout`` (and for the python engine the exception class name).
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence, Union

PathSpec = Union[Sequence[Union[str, tuple]], Callable[[random.Random], str]]

_PRESAMPLE = 5000


@dataclass
class LoadResult:
    """What one load run measured. Latencies in milliseconds."""

    engine: str
    clients: int
    seconds: float                     # wall time of the run
    requests: int                      # answered requests (any status)
    errors: dict = field(default_factory=dict)   # kind -> count
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    max: float = 0.0
    mean: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.requests > 0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["throughput"] = round(self.throughput, 1)
        d["error_count"] = self.error_count
        return d

    def line(self) -> str:
        errs = ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"
        return (f"{self.clients:3d} clients  {self.requests:6d} req in {self.seconds:5.1f} s  "
                f"{self.throughput:7.1f} req/s  p50 {self.p50:7.1f}  p95 {self.p95:7.1f}  p99 {self.p99:7.1f}  "
                f"max {self.max:7.1f} ms  errors: {errs}  [{self.engine}]")


def quote_path(path: str) -> str:
    """Percent-encode non-ASCII and unsafe characters of a path+query, keeping URL syntax."""
    return urllib.parse.quote(path, safe="/?&=%:+,;@!$'()*~-._")


def _weighted(paths: PathSpec) -> tuple[list[str], list[float]]:
    if callable(paths):
        rng = random.Random(12345)
        return [quote_path(paths(rng)) for _ in range(_PRESAMPLE)], [1.0] * _PRESAMPLE
    out, weights = [], []
    for p in paths:
        w, p = (p if isinstance(p, tuple) else (1.0, p))
        out.append(quote_path(p))
        weights.append(float(w))
    if not out:
        raise ValueError("no paths")
    return out, weights


def _picker(paths: PathSpec) -> Callable[[random.Random], str]:
    if callable(paths):
        return lambda rng: quote_path(paths(rng))
    ps, ws = _weighted(paths)
    return lambda rng: rng.choices(ps, ws)[0]


# ---------------------------------------------------------------------------------------------- wrk engine

_LUA = r"""
local paths = {%(paths)s}
local cum = {%(cum)s}
local total = cum[#cum]
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  math.randomseed(%(seed)d + (tonumber(tostring({}):match("0x(%%x+)"), 16) or 0) %% 100000)
  c4, c5 = 0, 0
end
function request()
  local r = math.random() * total
  local lo, hi = 1, #cum
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cum[mid] < r then lo = mid + 1 else hi = mid end
  end
  return wrk.format("GET", paths[lo])
end
function response(status, headers, body)
  if status >= 500 then c5 = c5 + 1 elseif status >= 400 then c4 = c4 + 1 end
end
function done(summary, latency, requests)
  local s4, s5 = 0, 0
  for _, t in ipairs(threads) do s4 = s4 + (t:get("c4") or 0); s5 = s5 + (t:get("c5") or 0) end
  io.write(string.format(
    "LOADGEN_JSON {\"requests\":%%d,\"duration_us\":%%d,\"connect\":%%d,\"read\":%%d,\"write\":%%d," ..
    "\"timeout\":%%d,\"s4\":%%d,\"s5\":%%d,\"p50\":%%d,\"p95\":%%d,\"p99\":%%d,\"max\":%%d,\"mean\":%%f}\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, s4, s5, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _lua_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_wrk(base_url: str, paths: PathSpec, clients: int, seconds: float, timeout: float, seed: int,
             threads: int) -> LoadResult:
    ps, ws = _weighted(paths)
    cum, acc = [], 0.0
    for w in ws:
        acc += w
        cum.append(acc)
    script = _LUA % {"paths": ",".join(_lua_str(p) for p in ps), "cum": ",".join(repr(c) for c in cum),
                     "seed": seed}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        lua = f.name
    try:
        cmd = ["wrk", "-t", str(max(1, min(threads, clients))), "-c", str(clients), "-d", f"{max(1, round(seconds))}s",
               "--timeout", f"{int(timeout)}s", "-s", lua, base_url.rstrip("/")]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout + 60)
        wall = time.perf_counter() - t0
    finally:
        Path(lua).unlink(missing_ok=True)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("LOADGEN_JSON ")), None)
    if line is None and "unable to connect" in out.stderr:
        return LoadResult("wrk", clients, wall, 0, {"connect": clients})
    if line is None:
        raise RuntimeError(f"wrk failed (exit {out.returncode}): {out.stderr.strip()[-500:]}")
    d = json.loads(line.split(" ", 1)[1])
    errors = {k: d[k] for k in ("connect", "read", "write", "timeout") if d[k]}
    if d["s4"]:
        errors["status_4xx"] = d["s4"]
    if d["s5"]:
        errors["status_5xx"] = d["s5"]
    dur = d["duration_us"] / 1e6 or wall
    return LoadResult("wrk", clients, dur, d["requests"], errors, d["p50"] / 1000, d["p95"] / 1000,
                      d["p99"] / 1000, d["max"] / 1000, d["mean"] / 1000)


# ------------------------------------------------------------------------------------------- python engine

def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return 0.0
    k = (len(sorted_ms) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(sorted_ms) - 1)
    return sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * (k - lo)


def _run_python(base_url: str, paths: PathSpec, clients: int, seconds: float | None, requests: int | None,
                timeout: float, seed: int) -> LoadResult:
    u = urllib.parse.urlsplit(base_url)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    prefix = u.path.rstrip("/")
    pick = _picker(paths)
    lock = threading.Lock()
    lat: list[float] = []
    errors: dict[str, int] = {}
    budget = [requests if requests is not None else -1]
    deadline = time.perf_counter() + seconds if seconds else None
    answered = [0]

    def take() -> bool:
        if deadline is not None and time.perf_counter() >= deadline:
            return False
        with lock:
            if budget[0] == 0:
                return False
            if budget[0] > 0:
                budget[0] -= 1
        return True

    def err(kind: str) -> None:
        with lock:
            errors[kind] = errors.get(kind, 0) + 1

    def client(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        conn = None
        mine: list[float] = []
        while take():
            path = prefix + pick(rng)
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Connection": "keep-alive"})
                resp = conn.getresponse()
                resp.read()
            except ConnectionRefusedError:
                err("connect")
                conn.close(); conn = None
                time.sleep(0.05)          # a refused connect returns at once: do not spin
                continue
            except TimeoutError:
                err("timeout")
                conn.close(); conn = None
                continue
            except (OSError, http.client.HTTPException) as e:
                err("read" if isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError))
                    else type(e).__name__)
                conn.close(); conn = None
                continue
            mine.append((time.perf_counter() - t) * 1000)
            if resp.status >= 500:
                err("status_5xx")
            elif resp.status >= 400:
                err("status_4xx")
            if resp.getheader("Connection", "").lower() == "close":
                conn.close(); conn = None
        if conn is not None:
            conn.close()
        with lock:
            lat.extend(mine)
            answered[0] += len(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return LoadResult("python", clients, wall, answered[0], errors, _percentile(lat, .5), _percentile(lat, .95),
                      _percentile(lat, .99), lat[-1] if lat else 0.0, sum(lat) / len(lat) if lat else 0.0)


# ------------------------------------------------------------------------------------------------- API

def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def load(base_url: str, paths: PathSpec, clients: int = 1, seconds: float | None = 10.0,
         requests: int | None = None, engine: str = "auto", timeout: float = 30.0, seed: int = 1,
         wrk_threads: int = 1) -> LoadResult:
    """Run the load; ``requests`` (a total count) forces the python engine, ``seconds`` bounds it anyway."""
    if engine == "auto":
        engine = "wrk" if wrk_available() and requests is None and seconds else "python"
    if engine == "wrk":
        if not seconds:
            raise ValueError("the wrk engine needs a duration")
        return _run_wrk(base_url, paths, clients, seconds, timeout, seed, wrk_threads)
    if engine == "python":
        return _run_python(base_url, paths, clients, seconds, requests, timeout, seed)
    raise ValueError(f"unknown engine {engine!r}")


def run_load(base_url: str, paths: PathSpec, clients: int, seconds: float) -> LoadResult:
    """The short form: ``clients`` closed-loop keep-alive clients for ``seconds``; best available engine."""
    return load(base_url, paths, clients=clients, seconds=seconds)


def _parse_path_arg(s: str):
    head, sep, rest = s.partition(" ")
    if sep and not head.startswith("/"):
        return float(head), rest.strip()
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="HTTP load generator (see the module docstring).")
    ap.add_argument("base_url")
    ap.add_argument("paths", nargs="+", help='"/path?q=…" or "WEIGHT /path?q=…"')
    ap.add_argument("--clients", "-c", type=int, nargs="+", default=[1], help="one or more client counts")
    ap.add_argument("--seconds", "-d", type=float, default=10.0)
    ap.add_argument("--requests", "-n", type=int, default=None, help="total requests (python engine)")
    ap.add_argument("--engine", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--json", action="store_true", help="one JSON object per run")
    a = ap.parse_args(argv)
    paths = [_parse_path_arg(p) for p in a.paths]
    bad = 0
    for c in a.clients:
        r = load(a.base_url, paths, clients=c, seconds=a.seconds, requests=a.requests, engine=a.engine,
                 timeout=a.timeout)
        print(json.dumps(r.as_dict(), ensure_ascii=False) if a.json else r.line(), flush=True)
        bad += not r.ok
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
