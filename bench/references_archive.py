"""Reference lists in the archive: what they cost at ingest, how long linking takes, how well the archive links.

Run: .venv/bin/python bench/references_archive.py [--runs N] [--no-links]

1. Ingest: the 385-page volume (bench/references.VOLUME) through archive.services.ingest.ingest_file into a
   fresh SQLite archive, as a draft (no indexing), with reference extraction and storing and without it
   (UPLOADS_REFERENCES=off in the uploader's environment). Every run is a fresh process with its own
   forkserver, warmed by a one-page file first; modes alternate, medians are reported.
2. Linking: after the "with" ingest, the volume's articles are published and linked (link_published: their
   entries → works, and entries elsewhere → them) and the whole archive relinked (manage.py relink).
3. Links through the archive (unless --no-links): the 262 works of bench/data/references_works.json become
   published records, and every entry bench/references.py scores (corpus entries and the citing articles)
   is linked by the archive's own path (work_keys lookup, then match_score): precision and recall.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import CORPUS, REPO  # noqa: E402

VOLUME = "collections/ru_sterlitamak_mathphys_2021_vol1.pdf"


def _archive(data: Path):
    from archive import create_app
    from archive.migrate import upgrade

    app = create_app({"TESTING": True, "DATA_DIR": str(data), "SECRET_KEY": "bench", "EXTRACT_TIMEOUT_S": 600,
                      "RATELIMIT_ENABLED": False, "OCR_ENABLED": False})
    archive = app.extensions["archive"]
    upgrade(archive.db.url)
    return archive


def child(mode: str, data: Path) -> dict:
    """One ingest of the volume in this process (``mode`` "on" or "off"), with linking timed for "on"."""
    sys.path.insert(0, str(REPO / "tests"))
    from sqlalchemy import func, select

    from archive.models import Publication, PublicationReference
    from archive.services import references
    from archive.services.ingest import ingest_file
    from support import make_pdf

    from archive.services import ingest

    archive = _archive(data)
    warm = make_pdf(data / "warm.pdf", ["Прогрев: одна страница текста, чтобы дочерний процесс был готов."])
    ingest_file(archive, warm, index_now=False)
    store_cpu = [0.0]
    store = ingest.references.store_references

    def timed_store(*a, **kw):
        c = time.process_time()
        try:
            return store(*a, **kw)
        finally:
            store_cpu[0] += time.process_time() - c

    ingest.references.store_references = timed_store
    t, c = time.perf_counter(), time.process_time()
    out = ingest_file(archive, CORPUS / VOLUME, index_now=False)
    res = {"mode": mode, "ingest_s": time.perf_counter() - t, "parent_cpu_s": time.process_time() - c,
           "store_cpu_s": store_cpu[0], "articles": len(out.publication_ids) - 1}
    with archive.db.session() as s:
        res["entries"] = s.scalar(select(func.count(PublicationReference.id)))
        if mode == "on":
            for p in s.scalars(select(Publication).where(Publication.id.in_(out.publication_ids))):
                p.status = "published"
            s.flush()
            t = time.perf_counter()
            references.link_published(s, out.publication_ids)
            res["link_published_s"] = time.perf_counter() - t
            s.commit()
            t = time.perf_counter()
            rep = references.relink(s)
            res["relink_s"] = time.perf_counter() - t
            s.commit()
            res["linked"] = rep.linked
    archive.close()
    return res


def ingest_runs(runs: int) -> list[dict]:
    """Alternate fresh processes with and without references; each ingests the volume once."""
    out = []
    for _ in range(runs):
        for mode in ("off", "on"):
            with tempfile.TemporaryDirectory(prefix="kelisim-bench-") as tmp:
                env = {**os.environ, "UPLOADS_REFERENCES": mode}
                proc = subprocess.run([sys.executable, __file__, "--child", mode, "--data", tmp], cwd=REPO, env=env,
                                      capture_output=True, text=True, check=True)
                out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def extract_cpu(runs: int) -> dict[str, list[float]]:
    """CPU time of the uploader's extraction of the volume in this process (what the limited child does),
    with and without reference lists: the steady figure on a shared machine."""
    from uploads.pipeline import extract_file

    out: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(runs):
        for mode in ("off", "on"):
            os.environ["UPLOADS_REFERENCES"] = mode
            c = time.process_time()
            extract_file(CORPUS / VOLUME, allow_ocr=False)
            out[mode].append(time.process_time() - c)
    os.environ.pop("UPLOADS_REFERENCES", None)
    return out


class ArchiveIndex:
    """bench/references.py's ``WorkIndex`` interface answered by the archive: works are published records,
    an entry is linked by ``archive.services.references.best_match`` (work_keys lookup, then match_score)."""

    def __init__(self, archive, works: list[dict]):
        from archive.models import Authorship, Person, Publication
        from archive.services import references

        self.archive, self.by_pub = archive, {}
        with archive.db.session() as s:
            for w in works:
                pub = Publication(title=w["title"], year=w["year"], status="published", kind="article")
                for i, name in enumerate(w["surnames"], start=1):
                    pub.authorships.append(Authorship(person=Person(name=name, surname=name), position=i))
                s.add(pub)
                s.flush()
                self.by_pub[pub.id] = w
            s.commit()
            references.relink(s)
            s.commit()
        self.session = archive.db.Session()
        self.run = references.LinkRun()   # one linking run: each work and key read once

    def best(self, ref):
        from archive.models import PublicationReference
        from archive.services import references

        row = PublicationReference(publication_id=0, raw=ref.raw, authors=list(ref.authors), title=ref.title,
                                   container=ref.container, year=ref.year, pages=ref.pages, doi=ref.doi,
                                   url=ref.url, parse_status=ref.parse_status)
        pub, score = references.best_match(self.session, row, self.run)
        return (self.by_pub[pub.id] if pub is not None else None), score


def link_quality() -> list[tuple[str, dict]]:
    import references as lib_bench

    with tempfile.TemporaryDirectory(prefix="kelisim-bench-") as tmp:
        archive = _archive(Path(tmp) / "data")
        index = ArchiveIndex(archive, lib_bench.load_works())
        try:
            out = [("corpus entries", lib_bench.score_links(lib_bench.labelled_corpus_links(), index)),
                   ("citing articles", lib_bench.score_links(lib_bench.citing_links(Path(tmp)), index)),
                   ("citing, held out", lib_bench.score_links(lib_bench.citing_links(Path(tmp), lib_bench.CITING_HELD),
                                                              index))]
        finally:
            index.session.close()
            archive.close()
    return out


def main() -> int:
    """Print ingest, linking and link-quality figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="ingests of the volume per mode (median)")
    ap.add_argument("--no-links", action="store_true", help="skip the link quality part")
    ap.add_argument("--verbose", action="store_true", help="list link mistakes")
    ap.add_argument("--child", choices=("on", "off"), help=argparse.SUPPRESS)
    ap.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return 0
    if not CORPUS.exists():
        print(f"corpus not found at {CORPUS}")
        return 1

    runs = ingest_runs(args.runs)
    off = [r["ingest_s"] for r in runs if r["mode"] == "off"]
    on = [r for r in runs if r["mode"] == "on"]
    m_off, m_on = statistics.median(off), statistics.median(r["ingest_s"] for r in on)
    print(f"INGEST  {VOLUME}: {on[0]['articles']} articles, {on[0]['entries']} entries stored "
          f"({runs[0]['entries']} without references)")
    print(f"  without references  median {m_off:.2f} s  runs " + " ".join(f"{x:.2f}" for x in off))
    print(f"  with references     median {m_on:.2f} s  runs " + " ".join(f"{r['ingest_s']:.2f}" for r in on))
    print(f"  -> wall clock: references add {100 * (m_on - m_off) / m_off:+.1f} % (a shared machine: runs vary)")
    cpu = extract_cpu(args.runs)
    e_off, e_on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    p_off = statistics.median(r["parent_cpu_s"] for r in runs if r["mode"] == "off")
    p_on = statistics.median(r["parent_cpu_s"] for r in on)
    store = statistics.median(r["store_cpu_s"] for r in on)
    print(f"  CPU: extraction (limited child's work) {e_off:.2f} s without, {e_on:.2f} s with references; "
          f"the archive's side {p_off:.2f} s without, {p_on:.2f} s with (storing and linking {store:.2f} s)")
    print(f"  -> CPU: references add {100 * ((e_on + p_on) - (e_off + p_off)) / (e_off + p_off):+.1f} % "
          f"(extraction {100 * (e_on - e_off) / (e_off + p_off):+.1f} %, storing {100 * store / (e_off + p_off):+.1f} %;"
          f" goal <= 10 %)")
    print(f"LINKING  publish-time linking of the volume's {on[0]['articles'] + 1} records: median "
          f"{statistics.median(r['link_published_s'] for r in on):.3f} s; relink of the archive: median "
          f"{statistics.median(r['relink_s'] for r in on):.3f} s ({on[0]['linked']} links)")
    if args.no_links:
        return 0
    results = link_quality()
    tp = fp = fn = n = 0
    print("LINKS THROUGH THE ARCHIVE (work_keys lookup + match_score, 262 published works)")
    for label, r in results:
        tp, fp, fn, n = tp + r["tp"], fp + r["fp"], fn + r["fn"], n + r["entries"]
        print(f"  {label:16s} entries {r['entries']:5d}  correct {r['tp']:3d}  wrong {r['fp']:2d}  missed {r['fn']:2d}  "
              f"precision {r['precision']:.3f}  recall {r['recall']:.3f}")
        if args.verbose:
            print("\n".join(r["mistakes"]))
    print(f"  {'together':16s} entries {n:5d}  correct {tp:3d}  wrong {fp:2d}  missed {fn:2d}  "
          f"precision {tp / (tp + fp) if tp + fp else 1:.3f}  recall {tp / (tp + fn) if tp + fn else 1:.3f}  "
          f"(goal >= 0.98 / >= 0.8)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
