"""Lighthouse 12 scores of every page kind (the ones tests/test_a11y.py checks with axe), desktop and mobile.

    .venv/bin/python bench/lighthouse.py                       # builds and serves the demo archive itself
    .venv/bin/python bench/lighthouse.py --langs ru kk en --pages home search publication
    .venv/bin/python bench/lighthouse.py --base http://127.0.0.1:8000 --no-editor-pages

Lighthouse comes from npm (``scripts/setup.sh --test`` installs it into ``.venv/node``) and drives Debian's
Chromium (``CHROME_PATH=/usr/bin/chromium``) with the flags of the browser tests. Mobile is Lighthouse's
default (a mid-range phone, simulated slow 4G and a 4x slower CPU); desktop is its ``desktop`` preset.
Pages for signed-in editors get the session cookie of a sign-in made first. Each page is asked for a few
times before it is measured, so the server workers have opened the index (a cold start costs seconds). Goal: at least 98 in each of
the four categories (performance, accessibility, best practices, SEO) on every page.

Prints one line per page and form factor, then the audits that cost points; writes everything to
``bench/out/lighthouse.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from a11y_support import CHROMIUM, CHROMIUM_ARGS, EDITOR, PAGES, node_modules, serve_demo  # noqa: E402

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
GOAL = 98


def lighthouse_cli() -> Path:
    folder = node_modules()
    cli = folder / "lighthouse" / "cli" / "index.js" if folder else None
    if not cli or not cli.exists():
        sys.exit("Lighthouse is not installed: run scripts/setup.sh --test (npm install lighthouse@12)")
    return cli


def session_cookie(base: str) -> str:
    """A Cookie header of a signed-in editor (the login form, with its CSRF token)."""
    import requests

    s = requests.Session()
    form = s.get(base + "/en/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = s.post(base + "/en/login", data={"csrf_token": token, "email": EDITOR[0], "password": EDITOR[1], "next": ""},
               timeout=30, allow_redirects=False)
    if r.status_code not in (302, 303):
        sys.exit(f"sign-in failed: {r.status_code}")
    return "; ".join(f"{c.name}={c.value}" for c in s.cookies)


def warm_up(url: str, cookie: str = "", times: int = 4) -> None:
    """Ask for the page a few times first: each server worker opens the index and loads the analysers on its
    first search (seconds), which is start-up cost, not what a reader of a running archive waits for."""
    import requests

    for _ in range(times):
        requests.get(url, headers={"Cookie": cookie} if cookie else {}, timeout=120)


def run_lighthouse(cli: Path, url: str, form: str, cookie: str = "") -> dict:
    """One Lighthouse run; the parsed JSON report."""
    cmd = ["node", str(cli), url, "--output=json", "--output-path=stdout", "--quiet",
           "--only-categories=" + ",".join(CATEGORIES),
           "--chrome-flags=" + " ".join(["--headless=new", *CHROMIUM_ARGS])]
    if form == "desktop":
        cmd.append("--preset=desktop")
    if cookie:
        cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROMIUM)})
    if out.returncode or not out.stdout.strip():
        raise RuntimeError(f"lighthouse failed on {url}: {out.stderr[-1500:]}")
    return json.loads(out.stdout)


def summarise(report: dict) -> tuple[dict[str, int], list[str]]:
    """Category scores (0-100) and the audits that cost points, worst first."""
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    lost = []
    for c in CATEGORIES:
        for ref in report["categories"][c]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit.get("score") is not None and audit["score"] < 1:
                value = audit.get("displayValue") or ""
                lost.append(f"{c}: {ref['id']} {audit['score']:.2f} {value}".rstrip())
    return scores, lost


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", help="an archive already served (default: build and serve the demo archive)")
    ap.add_argument("--langs", nargs="+", default=["ru"], choices=["ru", "kk", "en"])
    ap.add_argument("--pages", nargs="+", default=[name for name, _, _ in PAGES],
                    choices=[name for name, _, _ in PAGES])
    ap.add_argument("--forms", nargs="+", default=["mobile", "desktop"], choices=["mobile", "desktop"])
    ap.add_argument("--no-editor-pages", action="store_true", help="skip the pages that need a sign-in")
    ap.add_argument("--out", default=str(REPO / "bench" / "out" / "lighthouse.json"))
    args = ap.parse_args()
    cli = lighthouse_cli()

    proc = None
    work = None
    if args.base:
        base = args.base.rstrip("/")
    else:
        work = tempfile.TemporaryDirectory(prefix="lighthouse-")
        print("building the demo archive…", file=sys.stderr)
        base, proc = serve_demo(Path(work.name))
    try:
        pages = [(n, p, ed) for n, p, ed in PAGES if n in args.pages and not (ed and args.no_editor_pages)]
        cookie = session_cookie(base) if any(ed for _, _, ed in pages) else ""
        results: list[dict] = []
        skipped: list[dict] = []
        below: list[str] = []
        print(f"{'page':<14} {'lang':<4} {'form':<7} " + " ".join(f"{c[:11]:>11}" for c in CATEGORIES) + "   s")
        for lang in args.langs:
            for name, path, needs_editor in pages:
                for form in args.forms:
                    warm_up(f"{base}/{lang}{path}", cookie if needs_editor else "")
                    started = time.time()
                    try:
                        report = run_lighthouse(cli, f"{base}/{lang}{path}", form, cookie if needs_editor else "")
                    except RuntimeError as exc:
                        # Lighthouse refuses to score a page answered with an error status (the 404 page).
                        print(f"{name:<14} {lang:<4} {form:<7} not scored: {str(exc).splitlines()[-1][:120]}")
                        skipped.append({"page": name, "lang": lang, "form": form, "error": str(exc)[-500:]})
                        continue
                    scores, lost = summarise(report)
                    results.append({"page": name, "lang": lang, "form": form, "scores": scores, "lost": lost,
                                    "url": report.get("finalDisplayedUrl")})
                    flag = "" if min(scores.values()) >= GOAL else "  <"
                    print(f"{name:<14} {lang:<4} {form:<7} " + " ".join(f"{scores[c]:>11}" for c in CATEGORIES)
                          + f" {time.time() - started:>4.0f}{flag}", flush=True)
                    below += [f"{name}/{lang}/{form}: {x}" for x in lost]
        worst = {c: min((r["scores"][c] for r in results), default=0) for c in CATEGORIES}
        print("\nlowest: " + ", ".join(f"{c} {v}" for c, v in worst.items())
              + f" (goal ≥ {GOAL} everywhere: {'met' if min(worst.values()) >= GOAL else 'not met'})")
        if below:
            print("audits that cost points:")
            for line in below:
                print("  " + line)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps({"base": base, "results": results, "skipped": skipped, "lowest": worst}, indent=1,
                                             ensure_ascii=False), encoding="utf-8")
        return 0 if min(worst.values()) >= GOAL else 1
    finally:
        if proc is not None:
            from support import stop_server

            stop_server(proc)
        if work is not None:
            work.cleanup()


if __name__ == "__main__":
    sys.exit(main())
