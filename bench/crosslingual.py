"""Cross-lingual relevance: Russian queries that should find Kazakh works and the reverse, with and without
the term bridge (indexer/bridge), and the same-language query set run both ways to show nothing is lost.

Run from the repository root:

    .venv/bin/python bench/crosslingual.py                    # demo + corpus + cross-lingual test articles
    .venv/bin/python bench/crosslingual.py --cache /tmp/xl     # keep the ingested documents for reruns
    .venv/bin/python bench/crosslingual.py --audit             # per query: which documents hold its words

What it does:

1. Renders the cross-lingual test articles (scripts/make_crosslingual_content.py, into bench/out/) and builds
   a fresh archive (``create_app`` + ``ingest_file``, OCR off; ``bench/relevance.py``'s builder) from them,
   ``demo/files`` and the shared corpus ``pdf/`` and ``docx/`` folders; the archive's own ``IndexDocument``s
   (``document_for``) are then indexed by ``open_backend``-style Whoosh in a temporary folder.
2. Builds the bridge from the curated glossary, the topic vocabulary (``archive.services.topics.VOCABULARY``
   handed over as plain tuples) and the parallel titles, abstracts and keyword lists of the ingested
   publications (``parallel_record``).
3. Runs ``bench/relevance_crosslingual.json`` and ``bench/relevance_queries.json`` twice: the parsed query as
   it is, and ``expand_query(bridge, parsed)`` (counterparts as weaker alternatives, weight 0.5 x confidence),
   on the archive's Whoosh backend, which honours ``BridgedWord`` / ``BridgedPhrase`` (keys and weight) and ranks
   the reader's own words first (``CachedSearch._tiered``; ``--no-tiers`` ranks by the weighted score alone, to
   show why the tiers are there).

Metrics as in bench/relevance.py: RR@10 = 1/rank of the first expected item in the top 10, recall@10 =
|expected in top 10| / min(|expected|, 10). Items are files; an article of a volume is ``<volume file>#<n>``
(n-th article of the volume) in the cross-lingual set, so a Russian article of a mixed volume does not count
for a Kazakh one; the same-language set maps articles to their volume file exactly as bench/relevance.py does.
The archive shows one result per work and an article rather than its volume: a hit also counts for its work's
other copies (DOCX and PDF) and an article for its volume (``credited``), in both columns alike.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import pickle
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
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

QUERIES = Path(__file__).resolve().parent / "relevance_crosslingual.json"
SAME_LANGUAGE = Path(__file__).resolve().parent / "relevance_queries.json"
RENDERED = ROOT / "bench" / "out" / "crosslingual-files"
FETCH = 40
EXPAND_SECONDS: list[float] = []     # expand_query time per query (translation cost)
SEARCH_SECONDS: dict[str, list[float]] = {"plain": [], "bridged": []}   # one uncached backend search per query
GOAL_MRR = 0.8
PURE = ("ru>kk", "kk>ru", "kk-latin>ru")   # categories whose relevant works are only in the other language


# --------------------------------------------------------------------------- documents
@dataclass
class Corpus:
    docs: list                                   # IndexDocument
    label: dict[int, str]                        # publication id -> item key ("x.pdf", "vol.pdf#2")
    file: dict[int, str]                         # publication id -> file key
    lang: dict[int, str]
    title: dict[int, str]
    failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def input_files(corpus_dir: Path | None) -> list[tuple[Path, str]]:
    """The relevance benchmark's files plus the rendered cross-lingual articles."""
    import relevance

    import make_crosslingual_content as xl

    rendered = xl.render_all(RENDERED)
    return relevance.input_files(corpus_dir) + [(p, p.name) for p in sorted(rendered)]


def _signature(files: list[tuple[Path, str]]) -> str:
    h = hashlib.sha256()
    for path, key in files:
        h.update(key.encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def build_corpus(files: list[tuple[Path, str]], folder: Path, quiet: bool) -> Corpus:
    """Ingest ``files`` into a fresh archive and read back its IndexDocuments and item labels."""
    import relevance
    from sqlalchemy import select

    from archive.models import Publication

    b = relevance.build_archive(folder / "archive", files, quiet=quiet)
    docs = relevance.index_documents(b)
    label: dict[int, str] = {}
    file_of: dict[int, str] = {}
    lang: dict[int, str] = {}
    title: dict[int, str] = {}
    with b.archive.db.session() as s:
        pubs = list(s.scalars(select(Publication).where(Publication.status == "published").order_by(Publication.id)))
        by_volume: dict[int, list[int]] = defaultdict(list)
        for p in pubs:
            if p.parent_id:
                by_volume[p.parent_id].append(p.id)
        for p in pubs:
            src = p.source_file if p.source_file else (s.get(Publication, p.parent_id).source_file if p.parent_id else None)
            name = src.original_name if src else ""
            key = b.files.get(name, name)
            file_of[p.id] = key
            label[p.id] = f"{key}#{by_volume[p.parent_id].index(p.id) + 1}" if p.parent_id else key
            lang[p.id] = p.language or "ru"
            title[p.id] = p.title or ""
    b.archive.close()
    return Corpus(docs, label, file_of, lang, title, dict(b.failed), b.seconds)


def load_corpus(files: list[tuple[Path, str]], cache: Path | None, quiet: bool) -> Corpus:
    """The ingested corpus, from ``cache`` when it was built from the very same files."""
    sig = _signature(files)
    if cache is not None:
        path = cache / f"corpus-{sig}.pickle"
        if path.exists():
            with path.open("rb") as fh:
                return pickle.load(fh)
    with tempfile.TemporaryDirectory(prefix="kelisim-xl-") as tmp:
        corpus = build_corpus(files, Path(tmp), quiet)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        with (cache / f"corpus-{sig}.pickle").open("wb") as fh:
            pickle.dump(corpus, fh)
    return corpus


# --------------------------------------------------------------------------- bridge and engine
def topic_tuples() -> list[tuple]:
    """The archive's topic vocabulary as the plain tuples the bridge takes."""
    from archive.services.topics import VOCABULARY

    return [(t.slug, t.label_ru, t.label_kk, t.label_en, t.phrases) for t in VOCABULARY]


def parallel_records(docs) -> list:
    """A parallel record for every publication with titles or abstracts in both Russian and Kazakh."""
    from indexer.bridge import parallel_record

    out = []
    for d in docs:
        langs = set(d.titles) | set(d.abstracts)
        if {"ru", "kk"} <= langs:
            out.append(parallel_record(d.id, d.titles, d.abstracts, d.keywords))
    return out


def make_backend(path: Path, tiers: bool = True, kind: str = "whoosh"):
    """The archive's backend (whoosh or tantivy), ranking a bridged query in tiers (or by weighted score alone)."""
    from indexer.backend import open_backend

    backend = open_backend(kind, path)
    backend.tiers = tiers
    return backend


# --------------------------------------------------------------------------- running
@dataclass
class Outcome:
    query: str
    category: str
    expected: list[str]
    plain: list[str]
    bridged: list[str]
    rr: float = 0.0
    recall: float = 0.0
    rr_bridge: float = 0.0
    recall_bridge: float = 0.0
    bridged_words: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def credited(corpus: Corpus, item_of) -> dict[int, list[str]]:
    """Items a hit also stands for: the other copies of its work (a DOCX and its PDF) and, for an article of a
    volume, the volume. The archive shows one result per work and never the volume beside its article."""
    by_group: dict[int, list[int]] = defaultdict(list)
    for d in corpus.docs:
        by_group[int(d.group_id or d.id)].append(d.id)
    out: dict[int, list[str]] = {}
    for d in corpus.docs:
        items = [item_of(o) for o in by_group[int(d.group_id or d.id)] if o != d.id]
        label = corpus.label[d.id]
        if "#" in label:
            items.append(item_of_volume(label, item_of, corpus))
        out[d.id] = [i for i in items if i]
    return out


def item_of_volume(label: str, item_of, corpus: Corpus) -> str:
    """The item naming the volume of an article labelled ``vol.pdf#N``."""
    volume = label.split("#", 1)[0]
    return next((item_of(pid) for pid, lab in corpus.label.items() if lab == volume), "")


def run(backend, bridge, queries: list[dict], item_of, also: dict[int, list[str]] | None = None) -> list[Outcome]:
    """Each query plain and bridged; ``item_of(publication id)`` names the ranked item, ``also`` the items a
    hit stands for besides (``credited``)."""
    from relevance import score

    from indexer.bridge import expand_query
    from indexer.query import parse_query

    out: list[Outcome] = []
    for q in queries:
        parsed = parse_query(q["query"])
        t0 = time.perf_counter()
        expanded = expand_query(bridge, parsed)
        EXPAND_SECONDS.append(time.perf_counter() - t0)
        ranked = {}
        for name, query in (("plain", parsed), ("bridged", expanded.query)):
            t0 = time.perf_counter()
            res = backend.search(query, limit=FETCH, facets=False)
            SEARCH_SECONDS[name].append(time.perf_counter() - t0)
            ranked[name] = list(dict.fromkeys(i for h in res.hits for i in [item_of(h.id), *(also or {}).get(h.id, [])]))
        o = Outcome(q["query"], q["category"], q["expected"], ranked["plain"], ranked["bridged"])
        o.rr, o.recall = score(o.plain, o.expected)
        o.rr_bridge, o.recall_bridge = score(o.bridged, o.expected)
        o.bridged_words = list(expanded.translation.bridged_words)
        o.targets = [f"{'/'.join(t.source)} -> {t.target} ({t.target_lang}, {t.weight})" for t in expanded.translation.terms]
        o.sources = sorted({k for t in expanded.translation.terms for s in t.sources for k in [s.split(':')[0]]})
        out.append(o)
    return out


def summarise(outcomes: list[Outcome], categories: list[str]) -> dict[str, dict[str, float]]:
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by[o.category].append(o)
    rows: dict[str, dict[str, float]] = {}
    for cat in [c for c in categories if c in by] + sorted(set(by) - set(categories)) + ["overall"]:
        os_ = outcomes if cat == "overall" else by[cat]
        rows[cat] = {"n": len(os_), "mrr": statistics.fmean(o.rr for o in os_),
                     "recall": statistics.fmean(o.recall for o in os_),
                     "mrr_bridge": statistics.fmean(o.rr_bridge for o in os_),
                     "recall_bridge": statistics.fmean(o.recall_bridge for o in os_)}
    return rows


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print()
    print(title)
    print(f"{'category':18} {'n':>3}   {'MRR@10':>7} {'R@10':>6}   {'+bridge MRR':>11} {'R@10':>6}")
    print("-" * 62)
    for cat, r in rows.items():
        if cat == "overall":
            print("-" * 62)
        print(f"{cat:18} {r['n']:3}   {r['mrr']:7.3f} {r['recall']:6.3f}   {r['mrr_bridge']:11.3f} {r['recall_bridge']:6.3f}")


def audit(corpus: Corpus, backend, bridge, queries: list[dict]) -> None:
    """For writing honest expected sets: every item the plain query matches and every item only the bridged
    query matches (all of them, not the top 10), with the item's language and the translation used."""
    from indexer.bridge import expand_query
    from indexer.query import parse_query

    for q in queries:
        parsed = parse_query(q["query"])
        expanded = expand_query(bridge, parsed)
        plain = backend.search(parsed, limit=100, facets=False)
        bridged = backend.search(expanded.query, limit=100, facets=False)
        direct = list(dict.fromkeys(h.id for h in plain.hits))
        reach = [h.id for h in bridged.hits if h.id not in set(direct)]
        print(f"\n{q['category']}: {q['query']!r}   expected {q['expected']}")
        print(f"  plain{' (relaxed)' if plain.relaxed else ''}: "
              + ", ".join(f"{corpus.label[p]} [{corpus.lang[p]}]" for p in direct))
        print(f"  bridge adds{' (relaxed)' if bridged.relaxed else ''}: "
              + ", ".join(f"{corpus.label[p]} [{corpus.lang[p]}]" for p in reach))
        for t in expanded.translation.terms:
            print(f"    {' '.join(t.source)} -> {t.target} ({t.target_lang}, w={t.weight}, {', '.join(t.sources)})")


def main(argv: list[str] | None = None) -> int:
    import relevance

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=relevance.DEFAULT_CORPUS)
    ap.add_argument("--queries", type=Path, default=QUERIES)
    ap.add_argument("--glossary", type=Path, help="another glossary file (default: indexer/data/bridge_glossary.tsv)")
    ap.add_argument("--cache", type=Path, help="keep the ingested documents here and reuse them when the inputs match")
    ap.add_argument("--audit", action="store_true", help="print which documents hold each query's words")
    ap.add_argument("--no-same-language", action="store_true", help="skip bench/relevance_queries.json")
    ap.add_argument("--no-tiers", action="store_true",
                    help="rank by weighted score alone (no 'reader's own words first' tier), for comparison")
    ap.add_argument("--backend", choices=("whoosh", "tantivy"), default="whoosh", help="search engine (default whoosh)")
    ap.add_argument("--json", type=Path, help="also write per-query results here")
    ap.add_argument("-v", "--verbose", action="store_true", help="ingest progress; every query's ranking")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    if not (args.corpus / "pdf").is_dir():
        print(f"The shared corpus is not at {args.corpus}; pass --corpus PATH.")
        return 0
    t0 = time.perf_counter()
    files = input_files(args.corpus)
    print(f"Documents: {len(files)} files" + (f" (cache {args.cache})" if args.cache else ""), flush=True)
    corpus = load_corpus(files, args.cache, quiet=not args.verbose)

    from indexer.bridge import build_bridge, load_glossary

    t1 = time.perf_counter()
    parallel = parallel_records(corpus.docs)
    bridge = build_bridge(load_glossary(args.glossary), topic_tuples(), parallel)
    build_s = time.perf_counter() - t1
    counts = bridge.counts()
    print(f"Bridge: {counts['total']} links ({counts['usable']} usable in queries): glossary {counts['glossary']}, "
          f"topic {counts['topic']}, parallel {counts['parallel']} from {len(parallel)} bilingual publications; "
          f"built in {build_s:.1f} s")
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix="kelisim-xl-ix-"))
    try:
        backend = make_backend(tmp / "ix", tiers=not args.no_tiers, kind=args.backend)
        backend.update(corpus.docs)
        if args.audit:
            audit(corpus, backend, bridge, queries)
            backend.close()
            return 0
        xl = run(backend, bridge, queries, corpus.label.get, credited(corpus, corpus.label.get))
        xl_rows = summarise(xl, list(PURE))
        print_table("Cross-lingual queries (relevant works only in the other language unless the category says so)",
                    xl_rows)
        pure = [o for o in xl if o.category in PURE]
        pure_mrr = statistics.fmean(o.rr_bridge for o in pure) if pure else 0.0
        ok = pure_mrr >= GOAL_MRR
        print(f"goal: cross-lingual MRR@10 >= {GOAL_MRR} with the bridge ({len(pure)} queries): "
              f"{pure_mrr:.3f} {'MET' if ok else 'NOT MET'}")
        same: list[Outcome] = []
        if not args.no_same_language:
            # Without the cross-lingual test articles: the same documents bench/relevance.py indexes.
            own = {p.name for p in RENDERED.iterdir()}
            backend_same = make_backend(tmp / "ix-same", tiers=not args.no_tiers, kind=args.backend)
            backend_same.update(d for d in corpus.docs if corpus.file[d.id] not in own)
            sq = json.loads(SAME_LANGUAGE.read_text(encoding="utf-8"))
            present = set(corpus.file.values())
            sq = [{**q, "expected": [e for e in q["expected"] if e in present]} for q in sq]
            sq = [q for q in sq if q["expected"]]
            same = run(backend_same, bridge, sq, corpus.file.get, credited(corpus, corpus.file.get))
            backend_same.close()
            same_rows = summarise(same, list(relevance.CATEGORIES))
            print_table("Same-language queries (bench/relevance_queries.json)", same_rows)
            changed = [o for o in same if (o.rr, o.recall) != (o.rr_bridge, o.recall_bridge)]
            print(f"same-language queries whose RR or recall changed with the bridge: {len(changed)}")
            for o in changed:
                print(f"  {o.category}: {o.query!r}  RR {o.rr:.2f} -> {o.rr_bridge:.2f}, "
                      f"R@10 {o.recall:.2f} -> {o.recall_bridge:.2f}   ({'; '.join(o.targets)})")
            ok = ok and not any(o.rr_bridge < o.rr or o.recall_bridge < o.recall for o in same)
        print()
        print("Cross-lingual queries below RR 1 with the bridge:")
        for o in xl:
            if o.rr_bridge < 1.0 or args.verbose:
                print(f"  [{o.category}] {o.query!r}  RR {o.rr:.2f} -> {o.rr_bridge:.2f}  "
                      f"R@10 {o.recall:.2f} -> {o.recall_bridge:.2f}")
                print(f"      expected: {', '.join(o.expected)}")
                print(f"      bridged top-5: {', '.join(o.bridged[:5]) or '(nothing)'}")
                print(f"      translation: {'; '.join(o.targets) or '(none)'}")
        used = defaultdict(int)
        for o in pure:
            for s in o.sources:
                used[s] += 1
        print()
        print("Pure cross-lingual queries using links from each source: "
              + ", ".join(f"{k} {v}" for k, v in sorted(used.items())))
        ex = sorted(EXPAND_SECONDS)
        print(f"expand_query: median {1000 * ex[len(ex) // 2]:.2f} ms, max {1000 * ex[-1]:.1f} ms "
              f"over {len(ex)} queries (first calls fill the per-word caches)")
        for name, times in SEARCH_SECONDS.items():
            ts = sorted(times)
            print(f"backend search, {name}: median {1000 * ts[len(ts) // 2]:.1f} ms, p95 "
                  f"{1000 * ts[int(len(ts) * 0.95)]:.1f} ms over {len(ts)} queries (uncached; tiers included)")
        print(f"Ingest {corpus.seconds:.0f} s (0 when cached); total run {time.perf_counter() - t0:.0f} s")
        if args.json:
            args.json.write_text(json.dumps({"crosslingual": xl_rows, "same_language": summarise(same, []) if same else {},
                                             "bridge": counts, "queries": [o.__dict__ for o in xl + same]},
                                            ensure_ascii=False, indent=1), encoding="utf-8")
        backend.close()
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
