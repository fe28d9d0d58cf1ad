"""What several benchmarks share: the repository and corpus paths, and raw PDF page texts."""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def page_texts(path: Path, use_pdfminer: bool = False) -> list[str]:
    """Page texts of a PDF (pypdfium2 by default, pdfminer.six on request), without any repair."""
    if use_pdfminer:
        from pdfminer.high_level import extract_text
        from pypdf import PdfReader

        n = len(PdfReader(str(path)).pages)
        return extract_text(str(path)).split("\f")[:n]
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def ensure_database(dsn: str) -> None:
    """Create the benchmark's PostgreSQL database when the server runs but the database does not exist yet
    (a fresh machine); say nothing when the server is away (the benchmark then reports the backend skipped)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    if not name:
        return
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            return
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
