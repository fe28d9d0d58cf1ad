"""``manage.py set-password`` and ``manage.py worker``: accounts and background jobs from the shell."""
from __future__ import annotations


import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from . import get_archive


@click.command("set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given.")
@with_appcontext
def set_password_command(email, password):
    """Set a new password for an account (unlocks it and ends its sessions)."""
    from .auth import set_password
    from .errors import UserValueError
    from .models import User

    with get_archive().db.session() as s:
        user = s.scalars(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise click.ClickException(f"No account with the e-mail {email}.")
        try:
            set_password(s, None, user, password)
        except UserValueError as exc:
            raise click.ClickException(exc.message) from exc
        s.commit()
        click.echo(f"Password set for {user.email}; their sessions have ended.")


@click.command("worker")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Uploads processed at once (each extraction also runs in its own child process).")
@with_appcontext
def worker_command(workers):
    """Process queued uploads (the huey consumer; stop with Ctrl+C).

    On start it queues again the uploads a killed worker left "running" (or whose task was lost) and
    applies index work left pending; while it runs, pending index work is retried every minute.
    """
    from .jobs import get_jobs, worker_startup

    app = current_app._get_current_object()
    jobs = get_jobs(app)
    if jobs.huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: tasks run inside the web process, no worker needed.")
    from .logs import setup_logging

    setup_logging(current_app.config)
    where = getattr(jobs.huey.storage, "filename", None) or "Redis queue " + jobs.huey.name
    click.echo(f"Worker on {where} ({workers} thread(s)).")
    done = worker_startup(app)
    if done["requeued"] or done["indexed"]:
        click.echo(f"Recovered: {len(done['requeued'])} upload(s) queued again, "
                   f"index work applied for {done['indexed']} publication(s).")
    jobs.huey.create_consumer(workers=workers, worker_type="thread").run()


def register(app) -> None:
    """Add the commands to ``manage.py``."""
    for cmd in (set_password_command, worker_command):
        app.cli.add_command(cmd)
