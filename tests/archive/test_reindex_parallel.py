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


def test_a_change_recorded_during_a_rebuild_is_not_dropped_with_the_old_tasks(archive, tmp_path):
    """SQLite reuses the ids of deleted rows: a task recorded while a rebuild runs, after the older tasks
    were done and deleted elsewhere, may get an id the rebuild saw. It must stay pending all the same."""
    from sqlalchemy import delete, select

    from archive.models import IndexTask, Publication

    for i, pages in enumerate((RU_ARTICLE, KK_ARTICLE)):
        o = ingest_file(archive, make_pdf(tmp_path / f"{i}.pdf", pages), f"{i}.pdf", publish=(i == 0))
        assert o.status == "ok", o.error
    with archive.db.session() as s:
        draft = s.scalars(select(Publication).where(Publication.status != "published")).one()
        published = s.scalars(select(Publication).where(Publication.status == "published")).one()
        indexing.enqueue(s, [published.id, published.id, published.id])      # pending when the rebuild starts
        s.commit()
        draft_id = draft.id

    def meanwhile(done, total):
        with archive.db.session() as s:
            s.execute(delete(IndexTask))                      # another process did the old tasks
            s.get(Publication, draft_id).status = "published"  # and a member published the draft
            indexing.enqueue(s, [draft_id])
            s.commit()

    indexing.rebuild_index(archive, progress=meanwhile, processes=1)
    with archive.db.session() as s:
        assert [t.publication_id for t in s.scalars(select(IndexTask))] == [draft_id]
    indexing.process_index_tasks(archive)
    assert draft_id in archive.search.doc_ids()
