"""The pages every accessibility check visits, and axe-core run inside Playwright's Chromium.

Shared by tests/test_a11y.py and bench/lighthouse.py, so the test and the benchmark look at the same pages.
"""
from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
LANGS = ("ru", "kk", "en")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 667}
# The rule sets of WCAG 2.0-2.2 A and AA, plus axe's best practices (landmark-unique, region, headings).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# (name, path in the demo archive, needs a signed-in editor). Ids are those `manage.py demo` creates:
# publication 8 is a Russian article inside the Kazakh-tagged volume 7 (volume record 1), person 1 has a
# Kazakh name, person 11 a Russian one.
PAGES: list[tuple[str, str, bool]] = [
    ("home", "/", False),
    ("search", "/search?q=межэтнические", False),
    ("search-empty", "/search?q=qqqzzzxxx", False),
    ("search-untranslated", "/search?q=межэтнические&xl=0", False),
    ("publication", "/p/8", False),
    ("volume-book", "/p/7", False),
    ("volume", "/volumes/1", False),
    ("person", "/authors/11", False),
    ("person-kk", "/authors/1", False),
    ("authors", "/authors", False),
    ("authors-letter", "/authors?letter=К", False),
    ("years", "/years", False),
    ("year", "/years/2023", False),
    ("topics", "/topics", False),
    ("volumes", "/volumes", False),
    ("experts", "/experts?q=языковая+политика", False),
    ("members", "/members", False),
    ("login", "/login", False),
    ("not-found", "/no-such-page", False),
    ("upload", "/upload", True),
    ("review-list", "/review", True),
    ("review", "/review/8", True),
    ("dashboard", "/dashboard", True),
    ("people", "/review/people", True),
    ("people-person", "/review/people/11", True),
]
EDITOR = ("editor@example.kz", "a-long-password-1")


def serve_demo(data: Path):
    """The demo archive (`manage.py demo`) with an editor account, built in ``data`` and served by
    `manage.py serve`; returns (base URL, server process) for ``support.stop_server``."""
    from support import served_env, start_server

    env = served_env(data)
    run_manage(env, ["demo"], ["create-user", EDITOR[0], "--role", "editor", "--password", EDITOR[1]])
    return start_server(env)


def run_manage(env: dict, *commands: list[str]) -> None:
    """Run `manage.py` commands one after the other with ``env``; RuntimeError with the output if one fails."""
    import subprocess

    from support import REPO

    for args in commands:
        out = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=900)
        if out.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{out.stdout}{out.stderr}")


def launch_chromium(playwright):
    """Debian's Chromium, headless, as the browser tests run it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@contextlib.contextmanager
def chromium() -> Iterator:
    """Playwright with one Chromium for as long as the block runs (a module's ``browser`` fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            yield browser
        finally:
            browser.close()


def node_modules() -> Path | None:
    """The folder ``scripts/setup.sh --test`` installs axe-core and Lighthouse into (``<venv>/node``)."""
    for folder in (os.environ.get("ARCHIVE_NODE_MODULES", ""), str(Path(sys.prefix) / "node" / "node_modules")):
        if folder and Path(folder).is_dir():
            return Path(folder)
    return None


def axe_source() -> Path | None:
    """axe-core's browser script, or None when it is not installed."""
    folder = node_modules()
    path = folder / "axe-core" / "axe.min.js" if folder else None
    return path if path and path.exists() else None


def sign_in(page, base: str, email: str = EDITOR[0], password: str = EDITOR[1]) -> None:
    """Sign in through the login form (the session cookie stays in the page's context)."""
    page.goto(base + "/en/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.press("#password", "Enter")


def with_axe(context, script: Path):
    """Load axe-core into every page of a browser context before the page's own scripts.

    An init script comes in through the DevTools protocol, so the site's Content-Security-Policy
    (script-src 'self') stays in force and is part of what is tested.
    """
    context.add_init_script(path=str(script))
    return context


def run_axe(page) -> list[dict]:
    """axe-core's violations on the loaded page (WCAG 2.2 A/AA and best practices), as plain dicts."""
    return page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""", AXE_TAGS)


def describe(violations: list[dict], limit: int = 3) -> str:
    """A short readable list of violations for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"][:limit]:
            lines.append(f"    {n['target']}: {(n['summary'] or '').splitlines()[-1][:200]}")
    return "\n".join(lines)
