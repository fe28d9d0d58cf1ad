"""pyflakes over the project's code: no undefined name (a NameError waiting on a path no test walks), no unused
import, no f-string without a placeholder. A line that imports for its side effect says so with ``# noqa``."""
from __future__ import annotations

import subprocess
import sys

import pytest

from support import REPO

pytestmark = pytest.mark.no_database   # static check

CODE = ["archive", "uploads", "indexer", "textlang", "manage.py", "bench", "scripts"]


def test_pyflakes_finds_nothing():
    out = subprocess.run([sys.executable, "-m", "pyflakes", *CODE], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert "No module named pyflakes" not in out.stderr, "pip install -r requirements-test.txt"
    findings = []
    for line in out.stdout.splitlines():
        path, _, rest = line.partition(":")
        number = rest.split(":", 1)[0]
        source = (REPO / path).read_text(encoding="utf-8").splitlines()[int(number) - 1] if number.isdigit() else ""
        if "# noqa" not in source:
            findings.append(line)
    assert not findings, "\n".join(findings)
