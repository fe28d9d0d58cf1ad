"""``manage.py check``, ``backup`` and ``restore``: keeping what was deposited, exactly."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .config import data_dir
from .core import get_archive
from .jobs import get_jobs, queued_record_ids
from .services.backup import BackupError, backup_archive, restore_archive
from .services.consistency import ORPHAN_GRACE_S, check_archive


@click.command("check")
@click.option("--repair", is_flag=True, help="Fix what can be fixed safely and say what was done.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--grace", "grace_s", default=None, type=click.FloatRange(0),
              help="Seconds an unreferenced file must be old before --repair deletes it (default: 3600).")
@click.option("--no-hashes", is_flag=True, help="Check stored files exist without re-reading their bytes.")
@with_appcontext
def check_command(repair, as_json, grace_s, no_hashes):
    """Compare database, stored files and search index; report (or --repair) differences.

    Reported: stored files missing or whose SHA-256 changed (never deleted), files nobody references
    (orphans), published publications missing from the index and index entries that are not published,
    pending index work, uploads stuck in "queued"/"running" with no live job, an index that is missing
    or cannot be read, titles that break the metadata rules, reference lists mostly unparsed. Exit code 1
    while any problem remains.
    """
    archive = get_archive()
    jobs = get_jobs(current_app._get_current_object())
    report = check_archive(archive, waiting_ids=lambda: queued_record_ids(jobs), repair=repair,
                           enqueue=jobs.enqueue_upload,
                           orphan_grace_s=ORPHAN_GRACE_S if grace_s is None else grace_s,
                           verify_hashes=not no_hashes)
    problems = report.problems()
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        click.echo(f"{report.stored_files} stored file(s), {report.published} published publication(s), "
                   f"{report.indexed} indexed; index {report.index}.")
        for item in report.missing_files:
            click.echo(f"  missing    stored file {item['id']} ({item['sha256']}): restore it from a backup "
                       f"or ingest the original again")
        for item in report.corrupted_files:
            click.echo(f"  CORRUPTED  stored file {item['id']} ({item['sha256']}): bytes differ from the hash; "
                       f"restore it from a backup or ingest the original again")
        for item in report.orphan_files:
            click.echo(f"  orphan     {item['path']} ({item['age_s']} s old)")
        for item in report.young_orphans:
            click.echo(f"  recent     {item['path']} ({item['age_s']} s old; maybe an upload in progress, left alone)")
        if report.unindexed:
            click.echo(f"  unindexed  {', '.join(map(str, report.unindexed[:50]))}")
        if report.extra_indexed:
            click.echo(f"  extra      {', '.join(map(str, report.extra_indexed[:50]))}")
        for rule, ids in sorted(report.metadata.items()):
            click.echo(f"  title      {rule}: publication(s) {', '.join(map(str, ids[:20]))}")
        for item in report.unparsed_references:
            click.echo(f"  references publication {item['id']}: {item['unparsed']} of {item['entries']} entries unparsed "
                       "(check its reference list in review)")
        for table, ids in sorted(report.xml_forbidden.items()):
            click.echo(f"  bad text   {table} {', '.join(map(str, ids[:20]))}: characters XML forbids "
                       "(--repair removes them)")
        for item in report.stuck_records:
            click.echo(f"  stuck      processing record {item['id']} ({item['status']}, {item['reason']})")
        for action in report.actions:
            click.echo(f"  repaired   {action}")
        click.echo("Problems: " + "; ".join(problems) if problems else "No problems.")
    if problems:
        sys.exit(1)


def _settings_files(app) -> dict[str, Path]:
    return {"config.py": Path(app.instance_path) / "config.py", "secret_key": data_dir(app) / "secret_key"}


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@with_appcontext
def backup_command(path, as_json):
    """Back up the database, stored files and settings into the folder PATH, while the site runs.

    Repeat into the same folder to refresh it: only new files are copied.
    """
    try:
        m = backup_archive(get_archive(), path, _settings_files(current_app))
    except BackupError as exc:
        raise click.ClickException(exc.message) from exc
    if as_json:
        click.echo(json.dumps(m, ensure_ascii=False, indent=1))
    else:
        rows = sum(m["database"]["tables"].values())
        click.echo(f"Backed up {rows} row(s) in {len(m['database']['tables'])} table(s) "
                   f"(revision {m['database']['alembic_revision']}), {len(m['files'])} file(s) "
                   f"({m['copied_files']} copied, {m['kept_files']} already there), settings: "
                   f"{', '.join(m['settings']) or 'none'} → {path}")
        for p in m["problems"]:
            click.echo(f"  problem: {p}", err=True)
    if m["problems"]:
        sys.exit(1)


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Replace the records of an archive that is not empty.")
@with_appcontext
def restore_command(path, force):
    """Restore a backup folder into this archive (which must be empty), then rebuild the index."""
    archive = get_archive()
    try:
        out = restore_archive(archive, path, force=force, instance_path=Path(current_app.instance_path))
    except BackupError as exc:
        raise click.ClickException(exc.message) from exc
    rows = sum(out["tables"].values())
    click.echo(f"Restored {rows} row(s), {out['files']} new file(s) of {out['files_total']}, "
               f"index rebuilt with {out['indexed']} publication(s) in {out['index_seconds']} s.")
    for s in out["settings"]:
        click.echo(f"  settings: {s}")


def register(app) -> None:
    """Add the commands to ``manage.py``."""
    for cmd in (check_command, backup_command, restore_command):
        app.cli.add_command(cmd)
