"""The import direction holds: indexer and uploads never load Flask, SQLAlchemy or archive."""
import subprocess
import sys

import pytest


from support import REPO


@pytest.mark.parametrize("modules", [
    "indexer, indexer.analysis, indexer.backend, indexer.whoosh_backend, indexer.query, indexer.snippets, "
    "indexer.documents, indexer.analysis.kazakh, indexer.analysis.translit",
    "uploads, uploads.pipeline, uploads.quality, uploads.metadata, uploads.volumes, uploads.detect, "
    "uploads.extract.pdf, uploads.extract.docx, uploads.extract.ocr, uploads.limits, uploads.pdfsplit",
])
def test_packages_import_no_web_or_orm_or_archive(modules):
    code = (f"import sys; import {modules}; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'archive', 'flask_babel')); "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_uploads_and_indexer_do_not_import_each_other():
    for pkg, other in (("uploads", "indexer"), ("indexer", "uploads")):
        for path in (REPO / pkg).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert f"from {other}" not in text and f"import {other}" not in text, path
