"""bandit over archive, uploads and indexer: nothing above low severity.

A finding that is not a flaw is answered where it is, with ``# nosec B<id>`` and a comment saying why.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from support import REPO

pytestmark = [pytest.mark.slow, pytest.mark.no_database]   # a static check: the same on every database


def test_bandit_finds_nothing_above_low():
    if shutil.which("bandit") is None and subprocess.run([sys.executable, "-m", "bandit", "--version"],
                                                         capture_output=True).returncode != 0:
        pytest.fail("bandit is not installed: pip install -r requirements-test.txt")
    out = subprocess.run([sys.executable, "-m", "bandit", "-r", "archive", "uploads", "indexer", "-f", "json", "-q"],
                         cwd=REPO, capture_output=True, text=True, timeout=600)
    report = json.loads(out.stdout)
    assert not report["errors"], report["errors"]
    above_low = [f"{r['test_id']} {r['issue_severity']} {r['filename']}:{r['line_number']} {r['issue_text']}"
                 for r in report["results"] if r["issue_severity"] in ("MEDIUM", "HIGH")]
    assert not above_low, "\n".join(above_low)
    assert report["metrics"]["_totals"]["loc"] > 5000          # it did read the code
