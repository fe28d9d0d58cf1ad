"""``manage.py`` commands. They stay thin: parse, call a service, report."""
from __future__ import annotations

import html
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from indexer.bridge import describe_link
from uploads.limits import cpu_count

from .core import get_archive
from .errors import UserValueError, fault_message
from .migrate import upgrade
from .representations import publication_json
from .search import run_search
from .serve import PortInUse, claim_port, manage_child, run_gunicorn
from .services.accounts import create_user
from .services.bridge import current_bridge, ensure_bridge
from .services.consistency import empty_index_notice
from .services.indexing import process_index_tasks, rebuild_index
from .services.ingest import IngestOutcome, ingest_file, iter_input_files
from .services.references import relink, reread_all
from .services.topics import ensure_topics


def _init_db() -> None:
    upgrade(get_archive().db.url)
    with get_archive().db.session() as s:
        ensure_topics(s)
        s.commit()


@click.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database schema and the data folder."""
    _init_db()
    a = get_archive()
    a.files.root.mkdir(parents=True, exist_ok=True)
    click.echo(f"Archive ready in {a.data_dir} (database: {a.db.engine.url.render_as_string(hide_password=True)})")


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--publish", is_flag=True, help="Publish at once (otherwise the records wait as drafts for review).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file (in input order).")
@click.option("--recursive/--no-recursive", default=True, help="Descend into folders (default: yes).")
@click.option("--jobs", "-j", type=click.IntRange(1, 32), default=None,
              help="Files processed at once (default: the number of cores).")
@with_appcontext
def ingest_command(paths, publish, as_json, recursive, jobs):
    """Store PDF and DOCX files, extract text and metadata, create publications and index them.

    Files already stored (same bytes) are reported as duplicates, so a batch can be re-run to resume.
    Extraction runs in child processes, several at once; indexing happens once after the batch.
    Exit code 1 if any file failed.
    """
    _init_db()
    archive = get_archive()
    files = iter_input_files(list(paths), recursive)
    failed = 0
    outcomes = []
    t0 = time.perf_counter()
    for p in paths:
        if not p.exists():
            failed += 1
            _report(as_json, {"file": str(p), "status": "error", "publication_ids": [],
                              "error": "No such file or folder."})
    jobs = jobs or cpu_count()

    def one(f: Path):
        try:
            return ingest_file(archive, f, f.name, publish=publish, index_now=False)
        except Exception as exc:
            # A full disk, a read-only data folder or a lost database: this file's line says so, the batch goes on.
            message = fault_message(exc)
            if message is None:
                raise
            return IngestOutcome(f.name, "error", error=message)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(one, files)
        if as_json:
            for outcome in results:
                outcomes.append(outcome)
                click.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
        else:
            with click.progressbar(results, length=len(files), label="Ingesting", file=sys.stderr,
                                   show_pos=True, item_show_func=lambda o: o.file[:40] if o else "") as bar:
                for outcome in bar:
                    outcomes.append(outcome)
    if publish:
        try:
            process_index_tasks(archive)
        except Exception as exc:  # noqa: BLE001 - records stand; `manage.py index-pending` catches up
            click.echo(f"Indexing failed ({exc.__class__.__name__}); run `manage.py index-pending` later.", err=True)
    failed += sum(o.status == "error" for o in outcomes)
    if not as_json:
        _summary(outcomes, time.perf_counter() - t0)
    if failed:
        sys.exit(1)


def _summary(outcomes, seconds: float) -> None:
    """The table a person reads after a batch: counts, then every failure with its reason."""
    ok = [o for o in outcomes if o.status == "ok"]
    rows = [
        ("ok", len(ok)),
        ("duplicate", sum(o.status == "duplicate" for o in outcomes)),
        ("  of them volumes", sum(o.is_volume for o in ok)),
        ("  files with repaired pages", sum(o.repaired_pages > 0 for o in ok)),
        ("  files with OCR'd pages", sum(o.ocr_pages > 0 for o in ok)),
        ("failed", sum(o.status == "error" for o in outcomes)),
    ]
    pages = sum(o.pages for o in ok)
    click.echo("")
    for label, n in rows:
        click.echo(f"  {label:28} {n:6}")
    click.echo(f"  {'pages':28} {pages:6}  ({sum(o.ocr_pages for o in ok)} OCR, "
               f"{sum(o.repaired_pages for o in ok)} repaired)")
    for o in ok:
        ids = o.publication_ids
        what = f"volume {ids[0]} with {len(ids) - 1} articles" if o.is_volume else ", ".join(map(str, ids))
        click.echo(f"  ok         {o.file} → {what}")
        for w in o.warnings:
            click.echo(f"             note: {w}")
    for o in outcomes:
        if o.status == "duplicate":
            click.echo(f"  duplicate  {o.file} → already stored as {', '.join(map(str, o.publication_ids))}")
    for o in outcomes:
        if o.status == "error":
            click.echo(f"  failed     {o.file}: {o.error}")
    click.echo(f"Done in {seconds:.1f} s.")


def _report(as_json: bool, obj: dict) -> None:
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False))
    else:
        click.echo(f"error     {obj['file']}: {obj['error']}")


@click.command("search")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--page", default=1, show_default=True, type=click.IntRange(1, 1000))
@with_appcontext
def search_command(query, as_json, limit, page):
    """Search published publications, as the web and API do."""
    archive = get_archive()
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    with archive.db.session() as s:
        r = run_search(archive, s, query, page=page, limit=limit, facets=False)   # it shows no facets
        notice = empty_index_notice(archive) if not r.total else None
        if notice:
            click.echo(f"Warning: {notice}", err=True)      # stderr: --json's output stays JSON
        if as_json:
            click.echo(json.dumps({"query": query, "total": r.total, "page": page, "relaxed": r.relaxed,
                                   "hits": [publication_json(h.publication, base, h.score, h.snippet_html)
                                            for h in r.hits]},
                                  ensure_ascii=False, indent=1))
            return
        click.echo(f"{r.total} result(s) in {r.elapsed_ms:.0f} ms" + (" (any word)" if r.relaxed else ""))
        for i, h in enumerate(r.hits, (page - 1) * limit + 1):
            p = h.publication
            authors = ", ".join(a.person.name for a in p.authorships)
            click.echo(f"{i:3}. [{p.id}] {p.title}" + (f" — {authors}" if authors else "") + (f" ({p.year})" if p.year else ""))
            for sn in h.snippets[:2]:
                text = re.sub(r"</?mark>", "*", sn.html)
                click.echo(f"      p.{sn.page}: {html.unescape(text)}")


@click.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index from the database."""
    _init_db()
    n, secs = rebuild_index(get_archive(), progress=None)
    click.echo(f"Indexed {n} publication(s) in {secs:.1f} s.")


@click.command("relink")
@click.option("--reread", is_flag=True, help="First read every publication's reference lists again from its "
                                             "stored text (after the upgrade that added them).")
@with_appcontext
def relink_command(reread):
    """Recompute the automatic links of reference lists to the archive's works (people's decisions stay)."""
    started = time.perf_counter()
    with get_archive().db.session() as s:
        if reread:
            click.echo(f"Read {reread_all(s)} reference(s) again from the stored texts.")
        rep = relink(s)
        s.commit()
    click.echo(f"{rep.entries} reference(s) of {rep.works} published work(s): {rep.linked} linked, "
               f"{rep.changed} link(s) changed, in {time.perf_counter() - started:.1f} s.")


@click.command("index-pending")
@with_appcontext
def index_pending_command():
    """Apply index work left pending (e.g. after a crash), and store the term bridge if it is missing or stale."""
    archive = get_archive()
    click.echo(f"Applied index work for {process_index_tasks(archive)} publication(s).")
    ensure_bridge(archive)


@click.command("create-user")
@click.argument("email")
@click.option("--name", default="")
@click.option("--role", type=click.Choice(["member", "editor", "admin"]), default="member", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
def create_user_command(email, name, role, password):
    """Create an account (invitation-only archive)."""
    _init_db()
    try:
        with get_archive().db.session() as s:
            user = create_user(s, email, password, role=role, name=name)
            s.commit()
            click.echo(f"Created {user.role} {user.email} (id {user.id}).")
    except UserValueError as exc:
        raise click.ClickException(exc.message) from exc


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--jobs/--no-jobs", default=True, show_default=True,
              help="Also run the background job worker (uploads); use --no-jobs when `manage.py worker` runs apart.")
@with_appcontext
def serve_command(host, port, workers, threads, jobs):
    """Serve the archive with gunicorn (a production WSGI server), plus the job worker by default."""
    _init_db()
    _serve(host, port, workers, threads, jobs,
           f"Serving {get_archive().data_dir} on http://{host}:{port}/ ({workers} workers × {threads} threads)")


def _serve(host: str, port: int, workers: int, threads: int, jobs: bool, banner: str) -> None:
    """gunicorn on ``host:port``, with the job worker beside it when ``jobs``; a clear error when the port is taken."""
    try:
        claim_port(host, port)
    except PortInUse as exc:
        raise click.ClickException(exc.strerror) from None
    except OSError as exc:              # an address this machine does not have, a name that does not resolve
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(banner)
    archive = get_archive()
    notice = empty_index_notice(archive)
    archive.close()             # each worker opens its own: no index handle or connection is carried into its fork
    if notice:
        click.echo(f"Warning: {notice}", err=True)
    with manage_child(jobs, "worker"):
        run_gunicorn(host, port, workers, threads, current_app.config,
                     factory=current_app.extensions["archive_factory"])


@click.command("demo")
@click.option("--serve", "then_serve", is_flag=True, help="Start the server afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@with_appcontext
def demo_command(then_serve, host, port):
    """Load the demo content (the project's own sample articles and volume) and publish it."""
    _init_db()
    archive = get_archive()
    folder = Path(__file__).resolve().parent.parent / "demo" / "files"
    for f in iter_input_files([folder]):
        if f.suffix.lower() not in (".pdf", ".docx"):
            continue
        o = ingest_file(archive, f, f.name, publish=True)
        click.echo(f"{o.status:9} {f.name}" + (f": {o.error}" if o.error else ""))
    if then_serve:
        _serve(host, port, 2, 4, True, f"Serving on http://{host}:{port}/")


@click.command("bridge")
@click.argument("word", required=False)
@with_appcontext
def bridge_command(word):
    """The Russian <-> Kazakh term bridge: how many links by source, or the links of one WORD (any form,
    Cyrillic or Kazakh Latin)."""
    archive = get_archive()
    ensure_bridge(archive)              # stored by the indexing step; made here when missing or stale
    bridge = current_bridge(archive)
    if not word:
        counts = bridge.counts()
        for kind in ("glossary", "topic", "parallel"):
            click.echo(f"  {kind:10} {counts.get(kind, 0):6}")
        click.echo(f"  {'total':10} {counts['total']:6}  ({counts['usable']} confident enough for queries)")
        return
    links = bridge.links_of(word)
    if not links:
        click.echo(f"No links for “{word}”.")
        return
    for link in links:
        click.echo(describe_link(link))


def register(app) -> None:
    """Add the commands to ``manage.py``."""
    for cmd in (init_command, ingest_command, search_command, reindex_command, relink_command, index_pending_command,
                create_user_command, serve_command, demo_command, bridge_command):
        app.cli.add_command(cmd)
