"""``manage.py set-password`` and ``manage.py worker``: accounts and background jobs from the shell."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from .core import get_archive
from .errors import UserValueError
from .jobs import POLL, get_jobs, warm_worker, worker_startup
from .logs import setup_logging
from .serve import manage_child
from .services.accounts import set_password, user_by_email


@click.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
def set_password_command(email, password):
    """Set a new password for an account (unlocks it and ends its sessions)."""
    with get_archive().db.session() as s:
        user = user_by_email(s, email)
        if user is None:
            raise click.ClickException(f"No account with the e-mail {email}.")
        try:
            set_password(s, None, user, password)
        except UserValueError as exc:
            raise click.ClickException(exc.message) from exc
        s.commit()
        click.echo(f"Password set for {user.email}; their sessions have ended.")


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16),
              help="Quick-lane tasks processed at once (each extraction also runs in its own child process).")
@click.option("--lane", type=click.Choice(["both", "quick", "slow"]), default="both", show_default=True,
              help="Which queue to work on: quick (uploads without OCR, publishing), slow (OCR), or both "
                   "(the slow lane then runs in a child process with one thread).")
@with_appcontext
def worker_command(workers, lane):
    """Process queued uploads and background work (the huey consumers; stop with Ctrl+C).

    On start it queues again the uploads a killed worker left "running" (or whose task was lost) and
    applies index work left pending; while it runs, pending index work is retried every minute.
    Files that need OCR wait in the slow lane, so quick files are never stuck behind a long scan.
    """
    app = current_app._get_current_object()
    jobs = get_jobs(app)
    if jobs.huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: tasks run inside the web process, no worker needed.")
    setup_logging(current_app.config)
    if lane == "slow":
        click.echo(f"Worker on the slow lane ({_where(jobs.slow)}).")
        warm_worker(get_archive(app))
        jobs.slow.create_consumer(workers=1, worker_type="thread", periodic=False, **POLL).run()
        return
    click.echo(f"Worker on {_where(jobs.huey)} ({workers} thread(s)).")
    # The slow lane starts first, beside this start-up (seconds on a busy machine), so a scan queued meanwhile
    # does not wait for it; a record both see as stuck is processed once (the claim is atomic).
    with manage_child(lane == "both", "worker", "--lane", "slow"):
        done = worker_startup(app)
        if done["requeued"] or done["indexed"]:
            click.echo(f"Recovered: {len(done['requeued'])} upload(s) queued again, "
                       f"index work applied for {done['indexed']} publication(s).")
        jobs.huey.create_consumer(workers=workers, worker_type="thread", **POLL).run()


def _where(huey) -> str:
    return getattr(huey.storage, "filename", None) or "Redis queue " + huey.name


def register(app) -> None:
    """Add the commands to ``manage.py``."""
    for cmd in (set_password_command, worker_command):
        app.cli.add_command(cmd)
