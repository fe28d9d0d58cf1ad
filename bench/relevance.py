"""Search relevance and analyzer cost: our analysis against a naive Whoosh StandardAnalyzer baseline.

Run from the repository root:

    .venv/bin/python bench/relevance.py                 # demo files + ../shared/corpus/{pdf,docx}
    .venv/bin/python bench/relevance.py --no-corpus     # demo files only (when the corpus is absent)

What it does, in one run (about 2 minutes on 2 cores):

1. Builds a fresh archive in a temporary folder (``create_app`` + ``ingest_file(publish=True)``, OCR off)
   from ``demo/files`` and the corpus ``pdf/`` and ``docx/`` folders, and a plain Whoosh index
   (StandardAnalyzer, fields title + body) over the very same publication titles and page texts, read
   back from the archive's database, so both systems see identical text.
2. Runs every query of ``bench/relevance_queries.json`` through ``archive.search.run_search`` and through
   the baseline (MultifieldParser, all words required, any word when that finds nothing), maps hits to
   files and reports MRR@10 and recall@10 per category and overall, then lists the queries where our
   system missed or mis-ranked an expected file, with the index keys of the query words.
3. Measures analyzer throughput (``indexer.analysis.analyze`` vs StandardAnalyzer on the same page texts,
   per-word caches cold and warm) and indexing time for the same documents (``WhooshBackend.update`` on
   ``IndexDocument``s vs a plain Whoosh index with the same fields), and the ratio.

Metrics: a query's ranking is the list of distinct files of its hits (a volume's articles count as the
volume file). RR@10 = 1/rank of the first expected file within the top 10 (0 if none); recall@10 =
|expected in top 10| / min(|expected|, 10). Expected sets were written by reading the extracted texts and
checked with a grep over them: every file that contains the concept (in any inflection) is listed.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEMO_FILES = ROOT / "demo" / "files"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
QUERIES = Path(__file__).resolve().parent / "relevance_queries.json"
CATEGORIES = ("ru-morphology", "kk-morphology", "kk-latin", "yo-e", "fields", "phrase", "mixed")
TOP = 10
FETCH = 40          # publications fetched per query before collapsing them to files
GOAL_OVERALL, GOAL_CATEGORY, GOAL_SLOWDOWN = 0.95, 0.9, 2.0


# --------------------------------------------------------------------------- data
@dataclass
class PubText:
    id: int
    file: str                       # file key as used in the query set ("x.pdf" or "pdf/x.pdf")
    language: str
    title: str
    pages: list[str]


@dataclass
class Outcome:
    query: str
    category: str
    expected: list[str]
    ours: list[str]
    base: list[str]
    rr: float = 0.0
    recall: float = 0.0
    base_rr: float = 0.0
    base_recall: float = 0.0
    relaxed: bool = False
    note: str = ""


@dataclass
class Build:
    app: object
    archive: object
    files: dict[str, str] = field(default_factory=dict)        # display name -> file key
    failed: dict[str, str] = field(default_factory=dict)       # file key -> error
    seconds: float = 0.0


def input_files(corpus: Path | None) -> list[tuple[Path, str]]:
    """(path, key) of every file to ingest; corpus keys keep their sub-folder ("pdf/x.pdf")."""
    out = [(p, p.name) for p in sorted(DEMO_FILES.iterdir()) if p.suffix.lower() in (".pdf", ".docx")]
    if corpus is not None:
        for sub in ("pdf", "docx"):
            out += [(p, f"{sub}/{p.name}") for p in sorted((corpus / sub).iterdir())
                    if p.suffix.lower() in (".pdf", ".docx")]
    return out


def build_archive(folder: Path, files: list[tuple[Path, str]], quiet: bool) -> Build:
    """A fresh archive in ``folder`` with every file ingested and published (OCR off)."""
    from archive import create_app
    from archive.migrate import upgrade
    from archive.services.ingest import clean_display_name, ingest_file

    app = create_app({"TESTING": True, "DATA_DIR": str(folder), "SECRET_KEY": "bench", "DATABASE_URL": "",
                      "OCR_ENABLED": False})
    archive = app.extensions["archive"]
    upgrade(archive.db.url)
    stale = len(archive.search.doc_ids())
    if stale:
        # A PostgreSQL search database that held another archive (an earlier run, or another bench's): its
        # documents would rank among these and the pages drop ids this archive lacks (MRR 0.857 with a 100,000
        # article archive's left there), so the index is emptied first.
        print(f"The search index held {stale:,} documents of another archive: emptied first.", flush=True)
        archive.search.clear()
    b = Build(app, archive)
    t0 = time.perf_counter()
    for path, key in files:
        t = time.perf_counter()
        o = ingest_file(archive, path, key, publish=True)
        b.files[clean_display_name(key)] = key
        if o.status != "ok":
            b.failed[key] = o.error or o.status
        if not quiet:
            print(f"  {o.status:9} {time.perf_counter() - t:5.1f}s  {key}" + (f"  ({o.error})" if o.error else ""),
                  flush=True)
    b.seconds = time.perf_counter() - t0
    return b


def load_texts(b: Build) -> list[PubText]:
    """Published publications with the page texts the archive stored (the baseline's input)."""
    from sqlalchemy import select

    from archive.models import Publication, PublicationPage

    out: list[PubText] = []
    with b.archive.db.session() as s:
        for p in s.scalars(select(Publication).where(Publication.status == "published").order_by(Publication.id)):
            pages = [pg.text or "" for pg in s.scalars(select(PublicationPage).where(
                PublicationPage.publication_id == p.id).order_by(PublicationPage.number))]
            name = p.source_file.original_name if p.source_file else ""
            out.append(PubText(p.id, b.files.get(name, name), p.language or "ru", p.title or "", pages))
    return out


# --------------------------------------------------------------------------- baseline
def _plain_schema(fields_: tuple[str, ...]):
    from whoosh import fields
    from whoosh.analysis import StandardAnalyzer

    ana = StandardAnalyzer()
    return fields.Schema(id=fields.ID(stored=True, unique=True),
                         **{f: fields.TEXT(analyzer=ana, phrase=True) for f in fields_})


def build_plain(folder: Path, docs: list[dict], fields_: tuple[str, ...]):
    """A plain Whoosh index (StandardAnalyzer on every text field) over ``docs``."""
    from whoosh import index

    folder.mkdir(parents=True, exist_ok=True)
    ix = index.create_in(str(folder), _plain_schema(fields_))
    w = ix.writer(limitmb=128)
    for d in docs:
        w.add_document(id=str(d["id"]), **{f: d.get(f, "") for f in fields_})
    w.commit()
    return ix


class Baseline:
    """Naive search: MultifieldParser over title + body, all words, any word when that finds nothing."""

    def __init__(self, ix, pub_file: dict[int, str]):
        from whoosh.qparser import MultifieldParser, OrGroup

        self.ix = ix
        self.searcher = ix.searcher()
        self.and_parser = MultifieldParser(["title", "body"], ix.schema)
        self.or_parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
        self.pub_file = pub_file

    def search(self, text: str) -> list[str]:
        results = self.searcher.search(self.and_parser.parse(text), limit=FETCH)
        if results.is_empty():
            results = self.searcher.search(self.or_parser.parse(text), limit=FETCH)
        return [self.pub_file[int(r["id"])] for r in results]

    def close(self) -> None:
        self.searcher.close()


# --------------------------------------------------------------------------- metrics
def distinct(files: list[str]) -> list[str]:
    return list(dict.fromkeys(f for f in files if f))


def score(ranked: list[str], expected: list[str]) -> tuple[float, float]:
    top = ranked[:TOP]
    rr = next((1.0 / i for i, f in enumerate(top, 1) if f in expected), 0.0)
    recall = len(set(top) & set(expected)) / min(len(expected), TOP) if expected else 0.0
    return rr, recall


def run_queries(b: Build, baseline: Baseline, queries: list[dict]) -> list[Outcome]:
    from archive.search import run_search

    from sqlalchemy import select

    from archive.models import Publication

    out: list[Outcome] = []
    with b.app.test_request_context(), b.archive.db.session() as s:
        # One work, one result: a hit stands for every copy of its work (the PDF and the DOCX of one article).
        copies: dict[int, list[str]] = defaultdict(list)
        for dup in s.scalars(select(Publication).where(Publication.duplicate_of_id.is_not(None))):
            if dup.source_file:
                copies[dup.duplicate_of_id].append(b.files.get(dup.source_file.original_name,
                                                               dup.source_file.original_name))
        for q in queries:
            page = run_search(b.archive, s, q["query"], limit=FETCH, facets=False)
            ours = distinct([f for h in page.hits if h.publication.source_file
                             for f in [b.files.get(h.publication.source_file.original_name,
                                                   h.publication.source_file.original_name)]
                             + copies.get(h.publication.id, [])])
            base = distinct(baseline.search(q["query"]))
            o = Outcome(q["query"], q["category"], q["expected"], ours, base, relaxed=page.relaxed,
                        note=q.get("note", ""))
            o.rr, o.recall = score(ours, q["expected"])
            o.base_rr, o.base_recall = score(base, q["expected"])
            out.append(o)
    return out


def summarise(outcomes: list[Outcome]) -> dict[str, dict[str, float]]:
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.category].append(o)
    rows: dict[str, dict[str, float]] = {}
    for cat in [c for c in CATEGORIES if c in by] + sorted(set(by) - set(CATEGORIES)) + ["overall"]:
        os_ = outcomes if cat == "overall" else by[cat]
        rows[cat] = {"n": len(os_),
                     "mrr": statistics.fmean(o.rr for o in os_), "recall": statistics.fmean(o.recall for o in os_),
                     "base_mrr": statistics.fmean(o.base_rr for o in os_),
                     "base_recall": statistics.fmean(o.base_recall for o in os_)}
    return rows


# --------------------------------------------------------------------------- cost
def clear_word_caches() -> None:
    """Empty the per-word LRU caches of the analysis chain (dictionaries stay loaded)."""
    import indexer.analysis as A
    from indexer.analysis import kazakh, language, russian, translit

    for mod in (A, kazakh, language, russian, translit):
        for obj in vars(mod).values():
            info = getattr(obj, "cache_info", None)
            if callable(info) and (info().maxsize or 0) > 16:
                obj.cache_clear()


def analyzer_throughput(texts: list[PubText]) -> dict[str, dict[str, float]]:
    """Words and seconds for our ``analyze`` (cold and warm caches) and Whoosh's StandardAnalyzer."""
    from whoosh.analysis import StandardAnalyzer

    from indexer.analysis import analyze

    work = [(p.language if p.language in ("ru", "kk", "en") else "ru", t) for p in texts for t in [p.title, *p.pages] if t]
    out: dict[str, dict[str, float]] = {}
    clear_word_caches()
    for label in ("ours (cold caches)", "ours (warm caches)"):
        t0 = time.perf_counter()
        words = terms = 0
        for lang, text in work:
            ts = analyze(text, lang)
            terms += len(ts)
            words += len({t.pos for t in ts})
        out[label] = {"seconds": time.perf_counter() - t0, "words": words, "terms": terms}
    ana = StandardAnalyzer()
    for label in ("whoosh StandardAnalyzer", "whoosh StandardAnalyzer (2nd pass)"):
        t0 = time.perf_counter()
        words = 0
        for _lang, text in work:
            for _tok in ana(text):
                words += 1
        out[label] = {"seconds": time.perf_counter() - t0, "words": words, "terms": words}
    return out


def index_documents(b: Build):
    """The archive's own IndexDocuments for every published publication."""
    from sqlalchemy import select

    from archive.models import Publication
    from archive.services.indexing import _load, documents_for

    with b.archive.db.session() as s:
        ids = list(s.scalars(select(Publication.id).where(Publication.status == "published")))
        return documents_for(s, _load(s, ids))


def plain_fields_of(doc) -> dict:
    """The same field texts our index gets, as plain strings for StandardAnalyzer."""
    return {"id": doc.id, "title": "\n".join(doc.titles.values()), "abstract": "\n\n".join(doc.abstracts.values()),
            "keywords": "\n".join(doc.keywords), "authors": "\n".join(doc.authors),
            "body": "\n\n".join(t for _n, t in doc.pages)}


def indexing_times(b: Build, tmp: Path, repeat: int = 2) -> dict[str, float]:
    """Seconds to index the same documents: ours cold (caches emptied) and warm, plain Whoosh (best of runs)."""
    from indexer.whoosh_backend import WhooshBackend

    docs = index_documents(b)
    out: dict[str, float] = {"documents": len(docs)}
    runs = 0

    def ours() -> float:
        nonlocal runs
        runs += 1
        be = WhooshBackend(tmp / f"ix-ours-{runs}")
        t0 = time.perf_counter()
        be.update(docs)
        secs = time.perf_counter() - t0
        be.close()
        return secs

    def plain(fields_: tuple[str, ...]) -> float:
        nonlocal runs
        runs += 1
        t0 = time.perf_counter()
        build_plain(tmp / f"ix-plain-{runs}", rows, fields_)
        return time.perf_counter() - t0

    rows = [plain_fields_of(d) for d in docs]
    plain(("title", "body"))                      # warm-up: imports, the first Whoosh writer
    clear_word_caches()
    out["ours (cold caches)"] = ours()
    out["ours (warm caches)"] = min(ours() for _ in range(repeat))
    out["plain, same 5 fields"] = min(plain(("title", "abstract", "keywords", "authors", "body")) for _ in range(repeat))
    out["plain, title+body"] = min(plain(("title", "body")) for _ in range(repeat))
    return out


# --------------------------------------------------------------------------- report
def print_relevance(outcomes, rows, build: Build, excluded, verbose) -> bool:
    """The relevance table and the failing queries; True when the MRR goals are met."""
    from indexer.analysis import word_keys
    from indexer.query import parse_query

    print()
    print(f"Relevance: {len(outcomes)} queries, {len(build.files)} files ingested"
          + (f" ({len(build.failed)} failed: {', '.join(sorted(build.failed))})" if build.failed else "")
          + (f", {len(excluded)} queries excluded" if excluded else ""))
    print()
    print(f"{'category':15} {'n':>3}  {'MRR@10':>7} {'R@10':>6}   {'base MRR':>8} {'base R':>7}")
    print("-" * 56)
    for cat, r in rows.items():
        if cat == "overall":
            print("-" * 56)
        print(f"{cat:15} {r['n']:3}  {r['mrr']:7.3f} {r['recall']:6.3f}   {r['base_mrr']:8.3f} {r['base_recall']:7.3f}")
    ok = rows["overall"]["mrr"] >= GOAL_OVERALL and all(
        r["mrr"] >= GOAL_CATEGORY for c, r in rows.items() if c != "overall")
    print(f"goal: MRR@10 >= {GOAL_OVERALL} overall and >= {GOAL_CATEGORY} per category: {'MET' if ok else 'NOT MET'}")

    bad = [o for o in outcomes if o.rr < 1.0 or o.recall < 1.0]
    print()
    print(f"Queries where our system missed or mis-ranked an expected file ({len(bad)}):")
    for o in bad:
        kind = "MISS" if o.rr == 0 else ("RANK" if o.rr < 1 else "PARTIAL")
        missing = [e for e in o.expected if e not in o.ours[:TOP]]
        print(f"  [{kind}] {o.category}: {o.query!r}  RR={o.rr:.2f} R@10={o.recall:.2f}"
              + ("  (relaxed to any word)" if o.relaxed else ""))
        print(f"      expected: {', '.join(o.expected)}")
        if missing:
            print(f"      not in top {TOP}: {', '.join(missing)}")
        print(f"      got top-5: {', '.join(o.ours[:5]) or '(nothing)'}")
        if verbose:
            keys = {w: sorted(word_keys(w)) for w in parse_query(o.query).positive_words()}
            print(f"      query keys: {keys}")
    if excluded:
        print()
        print("Excluded queries:")
        for q, why in excluded:
            print(f"  {q!r}: {why}")
    return ok


def print_cost(thr, idx) -> None:
    print()
    print("Analyzer throughput (the same page texts; 'words' = token positions):")
    print(f"  {'analyzer':36} {'words':>9} {'terms':>9} {'seconds':>8} {'words/s':>10}")
    for label, r in thr.items():
        print(f"  {label:36} {r['words']:9d} {r['terms']:9d} {r['seconds']:8.2f} {r['words'] / r['seconds']:10.0f}")
    base = thr["whoosh StandardAnalyzer"]["seconds"]
    print(f"  ours/whoosh time: cold {thr['ours (cold caches)']['seconds'] / base:.1f}x, "
          f"warm {thr['ours (warm caches)']['seconds'] / base:.1f}x")
    print()
    print(f"Indexing time ({int(idx['documents'])} publications, one commit each run):")
    for label, secs in idx.items():
        if label != "documents":
            print(f"  {label:36} {secs:8.2f} s")
    ref = idx["plain, same 5 fields"]
    cold, warm = idx["ours (cold caches)"] / ref, idx["ours (warm caches)"] / ref
    print(f"  slowdown vs plain (same fields): cold {cold:.2f}x, warm {warm:.2f}x  "
          f"(goal <= {GOAL_SLOWDOWN}x: {'MET' if cold <= GOAL_SLOWDOWN else 'NOT MET'})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-corpus", action="store_true", help="demo files only (queries keep their demo files)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"shared corpus folder ({DEFAULT_CORPUS})")
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--category", action="append", help="only these categories (repeatable)")
    ap.add_argument("--json", type=Path, help="also write per-query results and figures to this file")
    ap.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary folder)")
    ap.add_argument("--no-cost", action="store_true", help="skip the throughput and indexing-time measurements")
    ap.add_argument("-v", "--verbose", action="store_true", help="print ingest progress and query keys")
    args = ap.parse_args(argv)

    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    t_start = time.perf_counter()
    corpus = None if args.no_corpus else args.corpus
    if corpus is not None and not (corpus / "pdf").is_dir():
        print(f"The shared corpus is not at {corpus}. Rerun with --no-corpus for the demo-only benchmark "
              f"or pass --corpus PATH.")
        return 0

    files = input_files(corpus)
    keys = {k for _p, k in files}
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    if args.category:
        queries = [q for q in queries if q["category"] in args.category]

    tmp_obj = None
    if args.keep:
        folder = args.keep
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    else:
        tmp_obj = tempfile.TemporaryDirectory(prefix="kelisim-relevance-")
        folder = Path(tmp_obj.name)
    try:
        print(f"Building the archive from {len(files)} files in {folder} ...", flush=True)
        build = build_archive(folder / "archive", files, quiet=not args.verbose)
        texts = load_texts(build)
        pub_file = {p.id: p.file for p in texts}
        ix = build_plain(folder / "baseline", [{"id": p.id, "title": p.title, "body": "\n\n".join(p.pages)}
                                               for p in texts], ("title", "body"))
        baseline = Baseline(ix, pub_file)

        # Queries whose expected files are absent (no corpus) or failed to ingest are excluded.
        excluded: list[tuple[str, str]] = []
        usable: list[dict] = []
        for q in queries:
            exp = [e for e in q["expected"] if e in keys and e not in build.failed]
            if not exp:
                why = "expected files not ingested: " + ", ".join(
                    f"{e} ({build.failed[e]})" if e in build.failed else e for e in q["expected"])
                if corpus is not None or any(e in build.failed for e in q["expected"]):
                    excluded.append((q["query"], why))
                continue
            usable.append({**q, "expected": exp})
        outcomes = run_queries(build, baseline, usable)
        baseline.close()
        rows = summarise(outcomes)
        thr: dict = {}
        idx: dict = {}
        if not args.no_cost:
            print("Measuring analyzer throughput and indexing time ...", flush=True)
            thr = analyzer_throughput(texts)
            idx = indexing_times(build, folder)
        elapsed = time.perf_counter() - t_start
        ok = print_relevance(outcomes, rows, build, excluded, args.verbose)
        if thr:
            print_cost(thr, idx)
        print()
        print(f"Ingest (extraction + metadata + indexing, OCR off): {build.seconds:.1f} s; total run {elapsed:.0f} s")
        if args.json:
            args.json.write_text(json.dumps({
                "summary": rows, "throughput": thr, "indexing": idx, "ingest_seconds": build.seconds,
                "failed_files": build.failed, "excluded": excluded,
                "queries": [o.__dict__ for o in outcomes]}, ensure_ascii=False, indent=1), encoding="utf-8")
        build.archive.close()
        return 0 if ok else 1
    finally:
        if tmp_obj is not None:
            tmp_obj.cleanup()


if __name__ == "__main__":
    sys.exit(main())
