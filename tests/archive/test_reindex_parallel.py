"""`reindex` with analysis in child processes builds the same index as analysis in one process."""
from __future__ import annotations

from archive.search import run_search
from archive.services import indexing
from archive.services.ingest import ingest_file
from support import KK_ARTICLE, RU_ARTICLE, make_pdf

QUERIES = ["озёрам", "ақындары", "Qazaqstan", "межэтнических отношений", "тіл", "\"языковая политика\""]


def _results(archive):
    with archive.db.session() as s:
        return {q: [(h.publication.id, round(h.score, 4), h.snippet_html) for h in run_search(archive, s, q).hits]
                for q in QUERIES}


def test_parallel_rebuild_gives_the_same_index(archive, tmp_path, monkeypatch):
    for i, pages in enumerate((RU_ARTICLE, KK_ARTICLE, RU_ARTICLE[:1] + KK_ARTICLE[1:])):
        o = ingest_file(archive, make_pdf(tmp_path / f"{i}.pdf", pages + [f"Страница {i}"]), f"{i}.pdf", publish=True)
        assert o.status == "ok", o.error
    n1, _ = indexing.rebuild_index(archive, processes=1)
    sequential = _results(archive)
    ids = archive.search.doc_ids()
    assert any(sequential.values()), "the queries should find something"
    monkeypatch.setattr(indexing, "PARALLEL_MIN_DOCS", 0)
    n2, _ = indexing.rebuild_index(archive, processes=2)
    assert n1 == n2 == 3
    assert archive.search.doc_ids() == ids and len(ids) == 3
    assert _results(archive) == sequential
