"""Fuzz the PDF/DOCX intake: mutated corpus files through ``uploads.pipeline.process_file`` under real Limits.

Each input is a corpus file (``pdf/``, ``docx/``, ``scanned/``; ``collections/`` with ``--volumes``) damaged by
one seeded mutation: byte flips, truncation, chunk duplication or deletion, a mutated zip entry (DOCX), or xref,
trailer, /Length or page-tree damage (PDF). Every input goes through ``process_file`` exactly as
``archive/services/ingest.py`` calls it (child process, time and memory limits). Outcomes are recorded and
the invariants asserted:

  * never an exception other than ``UploadError`` (and "internal", the child's catch-all, counts as a bug);
  * never raw exception text in the message a person sees (no traceback, class names, paths, repr);
  * never over the time limit plus a margin;
  * the parent's RSS stays flat (the work happens in children).

Run:  nice -n 10 .venv/bin/python bench/fuzz_intake.py [-n 300] [--seed 1] [--seconds 60] [--memory-mb 1536]
      [--ocr] [--volumes] [--corpus DIR] [--keep DIR]
Exit code 1 when an invariant fails (the failing inputs are kept under --keep for replay).
"""
from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._common import status_mb  # noqa: E402
from uploads.errors import UploadError  # noqa: E402
from uploads.limits import Limits  # noqa: E402
from uploads.pipeline import process_file  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
TIME_MARGIN_S = 10.0
RSS_GROWTH_LIMIT_MB = 64.0
# What a message shown to a person must never contain: traceback lines, exception reprs and class names,
# file system paths, errno texts, Python object reprs.
_RAW = re.compile(r"Traceback|File \"|\b\w+(?:Error|Exception)\b|\w+Error\(|Errno|/tmp/|/work/|<\w+ object at|"
                  r"\bline \d+\b|0x[0-9a-f]{6,}|\bb'|\\x[0-9a-f]{2}")


# --------------------------------------------------------------------------- mutations (bytes in, bytes out)

def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    """Flip 1..64 random bits, anywhere in the file."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 64)):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def truncate(rng: random.Random, data: bytes) -> bytes:
    """Cut the file short: anywhere, or just before its end (a partial download)."""
    cut = rng.choice([rng.randrange(1, len(data)), len(data) - rng.randint(1, min(4096, len(data) - 1))])
    return data[:cut]


def duplicate_chunk(rng: random.Random, data: bytes) -> bytes:
    """Copy a chunk (up to 64 KiB), possibly many times, to another place."""
    n = rng.randint(1, min(65536, len(data)))
    start = rng.randrange(len(data) - n + 1)
    at = rng.randrange(len(data))
    return data[:at] + data[start:start + n] * rng.choice([1, 1, 2, 16]) + data[at:]


def delete_chunk(rng: random.Random, data: bytes) -> bytes:
    """Remove a chunk (up to 64 KiB)."""
    n = rng.randint(1, min(65536, len(data) - 1))
    start = rng.randrange(len(data) - n)
    return data[:start] + data[start + n:]


def _mutate_xml(rng: random.Random, xml: bytes) -> bytes:
    choice = rng.randrange(6)
    if choice == 0:
        return xml[: rng.randrange(1, max(2, len(xml)))]                          # cut mid-tag
    if choice == 1:
        return flip_bytes(rng, xml)
    if choice == 2:                                                                # deep nesting
        depth = rng.choice([1000, 100_000])
        return xml.replace(b"<w:body>", b"<w:body>" + b"<w:p>" * depth, 1)
    if choice == 3:                                                                # entity expansion
        return (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "' + b"x" * 1000 + b'">'
                + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10)
                           for i in range(8))
                + b']>' + xml.split(b"?>", 1)[-1].replace(b"<w:t>", b"<w:t>&i;", 1))
    if choice == 4:
        return duplicate_chunk(rng, xml)
    return xml.replace(b"w:", b"q:", rng.randint(1, 50))                           # unknown namespace prefix


def mutate_zip_entry(rng: random.Random, data: bytes) -> bytes:
    """DOCX: rewrite the zip with one entry mutated, dropped, renamed, duplicated or inflated."""
    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        entries = [(i, src.read(i.filename)) for i in src.infolist()]
    except Exception:  # noqa: BLE001 - already damaged: fall back to a byte mutation
        return flip_bytes(rng, data)
    names = [i.filename for i, _ in entries]
    target = "word/document.xml" if "word/document.xml" in names and rng.random() < 0.6 else rng.choice(names)
    action = rng.choice(["mutate", "mutate", "drop", "rename", "duplicate", "inflate", "store-bad-crc"])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, content in entries:
            name = info.filename
            if name == target:
                if action == "drop":
                    continue
                if action == "rename":
                    name = name + ".bak"
                elif action == "mutate":
                    xml = name.endswith((".xml", ".rels"))
                    content = _mutate_xml(rng, content) if xml else flip_bytes(rng, content)
                elif action == "inflate":                                          # highly compressible junk
                    content = content + b" " * rng.choice([1 << 20, 64 << 20])
                elif action == "duplicate":
                    zf.writestr(name, _mutate_xml(rng, content))
            zf.writestr(name, content)
    blob = out.getvalue()
    if action == "store-bad-crc":                                                  # damage a compressed stream
        return flip_bytes(rng, blob)
    return blob


_XREF_OFFSET = re.compile(rb"startxref\s+(\d+)")
_XREF_ROW = re.compile(rb"\d{10} \d{5} [nf]")
_LENGTH = re.compile(rb"/Length (\d+)")
_COUNT = re.compile(rb"/Count (\d+)")
_REF = re.compile(rb"(\d+) 0 R")


def damage_pdf_structure(rng: random.Random, data: bytes) -> bytes:
    """PDF: a wrong startxref, scrambled xref rows, no trailer, wrong /Length or /Count, loops in references."""
    action = rng.choice(["startxref", "xref-rows", "trailer", "length", "count", "refs", "eof"])
    if action == "startxref":
        return _XREF_OFFSET.sub(lambda m: b"startxref\n%d" % rng.choice([0, 1, int(m.group(1)) + 17, 10**12]), data)
    if action == "xref-rows":
        return _XREF_ROW.sub(lambda m: b"%010d 00000 n" % rng.randrange(len(data) * 2)
                             if rng.random() < 0.3 else m.group(0), data)
    if action == "trailer":
        return data.replace(b"trailer", b"trailex").replace(b"/Root", b"/Roof", rng.randint(0, 1))
    if action == "length":
        return _LENGTH.sub(lambda m: b"/Length %d" % rng.choice([0, 1, int(m.group(1)) * 7, 2**31])
                           if rng.random() < 0.5 else m.group(0), data)
    if action == "count":
        return _COUNT.sub(lambda m: b"/Count %d" % rng.choice([0, 10**6, 2**31 - 1]), data)
    if action == "refs":                                                           # point references elsewhere
        refs = sorted({m.group(1) for m in _REF.finditer(data)})
        if not refs:
            return flip_bytes(rng, data)
        return _REF.sub(lambda m: rng.choice(refs) + b" 0 R" if rng.random() < 0.2 else m.group(0), data)
    return data.replace(b"%%EOF", b"", rng.randint(0, 3)) + b"\n" + bytes(rng.randrange(256) for _ in range(256))


GENERIC = [flip_bytes, truncate, duplicate_chunk, delete_chunk]


def mutate(rng: random.Random, path: Path, data: bytes) -> tuple[str, bytes]:
    """One seeded mutation suited to the file's kind."""
    special = {".docx": mutate_zip_entry, ".pdf": damage_pdf_structure}[path.suffix.lower()]
    fn = special if rng.random() < 0.45 else rng.choice(GENERIC)
    return fn.__name__, fn(rng, data)


def corpus_files(corpus: Path, volumes: bool = False) -> list[Path]:
    """The PDF and DOCX files the fuzzer starts from."""
    folders = ["pdf", "docx", "scanned"] + (["collections"] if volumes else [])
    return sorted(p for f in folders for p in (corpus / f).glob("*") if p.suffix.lower() in (".pdf", ".docx"))


# --------------------------------------------------------------------------- running

@dataclass
class Outcome:
    source: str
    mutation: str
    status: str          # ok | error | timeout | memory | internal | uncaught
    code: str
    message: str
    seconds: float
    problem: str = ""    # the invariant it breaks, if any


def message_problem(message: str, detail: str = "") -> str:
    """Why a person-facing message is not acceptable, or ''."""
    if not message.strip():
        return "empty message"
    if _RAW.search(message):
        return f"raw text in message: {message[:160]!r}"
    if detail and len(detail) > 12 and detail in message:
        return "exception detail copied into the message"
    return ""


def run_one(path: Path, source: str, mutation: str, limits: Limits) -> Outcome:
    """Process one mutated file as the ingest service does and classify what happened."""
    t0 = time.perf_counter()
    try:
        doc = process_file(path, limits)
    except UploadError as exc:
        took = time.perf_counter() - t0
        status = exc.code if exc.code in ("timeout", "memory", "internal") else "error"
        problem = message_problem(exc.user_message, exc.detail)
        if status == "internal":
            problem = "internal error (uncaught in the child): " + exc.detail.strip().splitlines()[-1][:200] \
                if exc.detail.strip() else "internal error"
        return Outcome(source, mutation, status, exc.code, exc.user_message, took, problem)
    except BaseException as exc:  # noqa: BLE001 - that is exactly what the fuzzer looks for
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome(source, mutation, "uncaught", type(exc).__name__, str(exc)[:200],
                       time.perf_counter() - t0, f"uncaught {type(exc).__name__}")
    took = time.perf_counter() - t0
    problem = "" if doc.pages else "ok without pages"
    for w in doc.warnings:
        problem = problem or message_problem(w)
    return Outcome(source, mutation, "ok", "", "", took, problem)


def rss_mb() -> float:
    """This process's resident set size (MB)."""
    return status_mb("VmRSS") or 0.0


def peak_rss_mb() -> float:
    return status_mb("VmHWM") or 0.0


def fuzz(n: int, seed: int, limits: Limits, corpus: Path = CORPUS, volumes: bool = False,
         keep: Path | None = None, log=print) -> tuple[list[Outcome], dict[str, float]]:
    """Run ``n`` mutated inputs; return the outcomes and the parent's memory figures."""
    files = corpus_files(corpus, volumes)
    if not files:
        raise SystemExit(f"no PDF/DOCX files under {corpus}")
    rng = random.Random(seed)
    originals = {p: p.read_bytes() for p in files}
    outcomes: list[Outcome] = []
    rss: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fuzz-intake-") as tmp:
        for i in range(n):
            src = rng.choice(files)
            mutation, data = mutate(rng, src, originals[src])
            path = Path(tmp) / f"input-{i:04d}{src.suffix}"
            path.write_bytes(data)
            out = run_one(path, src.name, mutation, limits)
            if out.status not in ("timeout",) and out.seconds > limits.seconds + TIME_MARGIN_S:
                out.problem = out.problem or f"took {out.seconds:.1f}s, over the limit"
            if out.status == "timeout" and out.seconds > limits.seconds + TIME_MARGIN_S:
                out.problem = out.problem or f"timeout enforced late ({out.seconds:.1f}s)"
            outcomes.append(out)
            if out.problem and keep:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"seed{seed}-{i:04d}-{src.stem}-{mutation}{src.suffix}").write_bytes(data)
            path.unlink()
            if i == min(9, n - 1):
                rss["after_warmup"] = rss_mb()     # forkserver started, modules loaded
            log(f"{i + 1:4d}/{n} {src.name[:38]:38s} {mutation:20s} {out.status:8s} {out.code:16s} "
                f"{out.seconds:6.1f}s {out.problem[:80]}")
    rss["end"] = rss_mb()
    rss["peak"] = peak_rss_mb()
    return outcomes, rss


def summary(outcomes: list[Outcome], rss: dict[str, float], limits: Limits) -> str:
    """A markdown table of outcomes per mutation, plus timings and memory."""
    statuses = ["ok", "error", "timeout", "memory", "internal", "uncaught"]
    by = Counter((o.mutation, o.status) for o in outcomes)
    rows = ["| mutation | inputs | " + " | ".join(statuses) + " |", "|---" * (len(statuses) + 2) + "|"]
    for m in sorted({o.mutation for o in outcomes}):
        total = sum(by[(m, s)] for s in statuses)
        rows.append(f"| {m} | {total} | " + " | ".join(str(by[(m, s)]) for s in statuses) + " |")
    tot = Counter(o.status for o in outcomes)
    rows.append(f"| **all** | {len(outcomes)} | " + " | ".join(str(tot[s]) for s in statuses) + " |")
    codes = Counter(o.code for o in outcomes if o.status == "error")
    times = sorted(o.seconds for o in outcomes)
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] if times else 0.0  # noqa: E731
    lines = rows + [
        "",
        "error codes: " + ", ".join(f"{c} {k}" for c, k in codes.most_common()),
        f"seconds per input: median {p(0.5):.1f}, p95 {p(0.95):.1f}, max {p(1.0):.1f} "
        f"(limit {limits.seconds:.0f} s + {TIME_MARGIN_S:.0f} s margin)",
        f"parent RSS: {rss.get('after_warmup', 0):.0f} MB after warm-up, {rss.get('end', 0):.0f} MB at the end, "
        f"peak {rss.get('peak', 0):.0f} MB (limit for growth {RSS_GROWTH_LIMIT_MB:.0f} MB); children capped at "
        f"{limits.memory_mb} MB address space",
    ]
    return "\n".join(lines)


def problems(outcomes: list[Outcome], rss: dict[str, float]) -> list[str]:
    """Every broken invariant."""
    out = [f"{o.source} / {o.mutation}: {o.problem}" for o in outcomes if o.problem]
    growth = rss.get("end", 0) - rss.get("after_warmup", rss.get("end", 0))
    if growth > RSS_GROWTH_LIMIT_MB:
        out.append(f"parent RSS grew by {growth:.0f} MB")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=300, help="number of mutated inputs (default 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60.0, help="extraction time limit per file (default 60)")
    ap.add_argument("--memory-mb", type=int, default=Limits().memory_mb)
    ap.add_argument("--ocr", action="store_true", help="let damaged pages go to Tesseract (slow)")
    ap.add_argument("--volumes", action="store_true", help="also mutate the two conference volumes (slow)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--keep", type=Path, default=REPO / "instance" / "fuzz-failures",
                    help="where inputs that break an invariant are kept")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    limits = Limits(seconds=args.seconds, memory_mb=args.memory_mb, ocr=args.ocr)
    t0 = time.perf_counter()
    outcomes, rss = fuzz(args.n, args.seed, limits, args.corpus, args.volumes, args.keep)
    print()
    print(f"fuzz_intake: {args.n} inputs, seed {args.seed}, {time.perf_counter() - t0:.0f} s, limits "
          f"{limits.seconds:.0f} s / {limits.memory_mb} MB / OCR {'on' if limits.ocr else 'off'}")
    print(summary(outcomes, rss, limits))
    broken = problems(outcomes, rss)
    print()
    print(f"invariants broken: {len(broken)}")
    for b in broken:
        print("  -", b)
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
