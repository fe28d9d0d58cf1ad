"""The layers hold: import-linter checks the contracts in ``.importlinter`` over every module, so a new
module is covered without anyone listing it here."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import REPO

pytestmark = pytest.mark.no_database   # static check


def _lint_imports() -> list[str]:
    exe = Path(sys.executable).with_name("lint-imports")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("lint-imports")
    if found is None:
        pytest.skip("import-linter is not installed (pip install -r requirements-test.txt)")
    return [found]


def test_import_contracts_are_kept():
    out = subprocess.run([*_lint_imports(), "--config", str(REPO / ".importlinter"), "--no-cache"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "broken" in out.stdout and " 0 broken" in out.stdout


def _function_level_imports(package: str) -> list[str]:
    """``from .x import y`` / ``import archive…`` statements inside functions of ``package``."""
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith(package)):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
                elif isinstance(node, ast.Import) and any(a.name.startswith(package) for a in node.names):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def test_archive_has_no_function_level_imports_of_its_own_modules():
    # An import hidden inside a function is how a cycle between modules hides; there must be none.
    # (uploads and indexer defer a few imports on purpose: optional engines, the forkserver's preload.)
    assert _function_level_imports("archive") == []
