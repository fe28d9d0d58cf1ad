"""The browse pages of an existing archive, in process (the app's test client): mean milliseconds per page.

    ARCHIVE_SEARCH_BACKEND=tantivy .venv/bin/python bench/browse_pages.py /tmp/auth_new/n30000_w100_a30000/http_sqlite

With ``--as editor`` (or ``member``): the pages as a signed-in account of that role (created in the bench
database the first time), e.g. ``/review/people /review /dashboard``.

With ``--walk``: each path's pages followed by their "next" links to the last, each page timed once (a listing
of a year, language, kind or topic: every page should cost the same, wherever it lies). With ``--harvest``: each
path an OAI-PMH list (``"/oai?verb=ListIdentifiers&metadataPrefix=oai_dc"``) followed through its resumption tokens.

For each path: a first request (after a change of the index it counts; its time is printed apart), 2 more to
warm up, then the mean of ``--repeat``. The archive: a data folder with ``archive.sqlite3`` and ``index/``, e.g.
one ``bench/http_serve.py`` built (``--size 30000 --authors 30000``), brought to this tree's migrations first; to
compare two commits, run it from each tree on its own copy of the database (an older tree needs the copy's
``alembic_version`` set back to its own head).
"""
from __future__ import annotations

import argparse
import html
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = ["/", "/authors", "/years", "/topics", "/volumes", "/api/people", "/api/years", "/api/topics"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("paths", nargs="*", default=PATHS)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--walk", action="store_true", help="follow each path's next links to its last page")
    ap.add_argument("--harvest", action="store_true",
                    help="each path an OAI-PMH list request: followed through its resumption tokens to the end")
    ap.add_argument("--as", dest="role", choices=["editor", "member"],
                    help="request the pages signed in with an account of this role")
    a = ap.parse_args()
    from archive import create_app
    from archive.migrate import upgrade

    app = create_app({"SECRET_KEY": "bench", "DATA_DIR": a.data_dir, "RATELIMIT_ENABLED": False,
                      "SEARCH_BACKEND": os.environ.get("ARCHIVE_SEARCH_BACKEND", "tantivy")})
    upgrade(app.extensions["archive"].db.url)          # this tree's indexes (a bench database: no one else's)
    client = app.test_client()
    if a.role:
        sign_in(app, client, a.role)
    if a.walk or a.harvest:
        walk(client, a.paths, harvest=a.harvest)
        return
    print(f"| path | first ms | mean ms of {a.repeat} | status | bytes |\n|---|---:|---:|---:|---:|")
    for path in a.paths:
        t0 = time.perf_counter()
        client.get(path)
        first = (time.perf_counter() - t0) * 1000
        for _ in range(2):
            client.get(path)
        t0 = time.perf_counter()
        for _ in range(a.repeat):
            r = client.get(path)
        mean = (time.perf_counter() - t0) / a.repeat * 1000
        print(f"| `{path}` | {first:.1f} | {mean:.1f} | {r.status_code} | {len(r.data):,} |")


def sign_in(app, client, role: str) -> None:
    """Sign ``client`` in as ``bench-<role>@example.kz`` (created with that role if missing)."""
    from sqlalchemy import select

    from archive.models import User
    from archive.services.accounts import create_user

    email, password = f"bench-{role}@example.kz", "bench-password-for-timing-only"
    with app.extensions["archive"].db.session() as s:
        if s.scalar(select(User.id).where(User.email == email)) is None:
            create_user(s, email, password, role=role, name=f"Bench {role}")
            s.commit()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    if client.post("/login", data={"csrf_token": token, "email": email, "password": password}).status_code != 302:
        raise SystemExit(f"could not sign in as {email}")


def walk(client, paths: list[str], harvest: bool = False) -> None:
    print("| path | pages | first page ms | p50 / p95 / max ms of the others | last page ms |\n"
          "|---|---:|---:|---|---:|")
    for path in paths:
        url, times = path, []
        while url:
            t0 = time.perf_counter()
            body = client.get(url).get_data(as_text=True)
            times.append((time.perf_counter() - t0) * 1000)
            if harvest:
                found = re.search(r"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
                verb = re.search(r"verb=(\w+)", path)
                url = f"/oai?verb={verb.group(1)}&resumptionToken={found.group(1)}" if found and verb else None
            else:
                found = re.search(r'<a rel="next" href="([^"]+)"', body)
                url = html.unescape(found.group(1)).split("#")[0] if found else None
        rest = sorted(times[1:]) or [0.0]
        print(f"| `{path}` | {len(times)} | {times[0]:.1f} | {rest[len(rest) // 2]:.1f} / "
              f"{rest[int(len(rest) * 0.95)]:.1f} / {rest[-1]:.1f} | {times[-1]:.1f} |")


if __name__ == "__main__":
    main()
