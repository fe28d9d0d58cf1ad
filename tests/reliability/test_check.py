"""`manage.py check`: database, stored files and index compared on a real archive; --repair fixes what is safe."""
import json
import os
import socket
import subprocess
import time
import uuid

import pytest
from sqlalchemy import select

from archive.models import IndexTask, ProcessingRecord, Publication, StoredFile
from archive.search import run_search
from archive.services import indexing
from archive.services.ingest import ingest_file
from support import KK_ARTICLE, RU_ARTICLE, make_pdf


@pytest.fixture
def filled(archive, tmp_path):
    """Two published articles and one draft, indexed."""
    ids = []
    for name, pages in (("ru.pdf", RU_ARTICLE), ("kk.pdf", KK_ARTICLE)):
        out = ingest_file(archive, make_pdf(tmp_path / name, pages), name, publish=True)
        assert out.status == "ok", out.error
        ids += out.publication_ids
    draft = ingest_file(archive, make_pdf(tmp_path / "draft.pdf", ["Черновик статьи о согласии. " * 20]), publish=False)
    assert draft.status == "ok"
    return ids, draft.publication_ids[0]


def check(runner, *args):
    r = runner.invoke(args=["check", "--json", *args])
    import traceback
    assert r.output.startswith("{"), (r.output, "".join(traceback.format_exception(r.exception)) if r.exception else "")
    return r.exit_code, json.loads(r.output)


def _age(path, seconds):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_clean_archive_has_no_problems(runner, filled):
    code, rep = check(runner)
    assert code == 0 and rep["ok"], rep
    assert rep["stored_files"] == 3 and rep["published"] == 2 and rep["indexed"] == 2


def test_missing_and_corrupted_files_are_reported_and_never_deleted(runner, archive, filled):
    with archive.db.session() as s:
        files = list(s.scalars(select(StoredFile).order_by(StoredFile.id)))
    gone, damaged = files[0], files[1]
    archive.files.path_for(gone.sha256).unlink()
    path = archive.files.path_for(damaged.sha256)
    path.write_bytes(path.read_bytes() + b"\0")
    code, rep = check(runner, "--repair", "--grace", "0")
    assert code == 1
    assert rep["missing_files"] == [{"id": gone.id, "sha256": gone.sha256}]
    assert rep["corrupted_files"] == [{"id": damaged.id, "sha256": damaged.sha256}]
    assert path.exists(), "a file with a wrong hash must never be deleted"
    assert not rep["orphan_files"] and not rep["actions"]
    r = runner.invoke(args=["check"])
    assert r.exit_code == 1 and "CORRUPTED" in r.output and damaged.sha256 in r.output


def test_orphans_are_deleted_only_after_the_grace_period(runner, archive, filled):
    orphan_sha, _ = archive.files.put_bytes(b"bytes whose row was never committed")
    orphan = archive.files.path_for(orphan_sha)
    partial = orphan.parent / ".incoming-abc123"             # a copy interrupted by kill -9
    partial.write_bytes(b"half")
    incoming = archive.data_dir / "incoming"
    incoming.mkdir(exist_ok=True)
    waiting = incoming / uuid.uuid4().hex                   # an upload saved, its record never committed
    waiting.write_bytes(b"%PDF-")
    code, rep = check(runner, "--repair")
    assert code == 0, rep                                   # young: maybe in flight, so not a problem yet
    assert {o["path"] for o in rep["young_orphans"]} == {str(orphan), str(partial), str(waiting)}
    assert orphan.exists() and partial.exists() and waiting.exists()
    for p in (orphan, partial, waiting):
        _age(p, 7200)
    code, rep = check(runner)
    assert code == 1 and len(rep["orphan_files"]) == 3
    code, rep = check(runner, "--repair")
    assert code == 0, rep
    assert not orphan.exists() and not partial.exists() and not waiting.exists()
    assert sum("deleted orphan" in a for a in rep["actions"]) == 3
    with archive.db.session() as s:                          # referenced files untouched
        for sf in s.scalars(select(StoredFile)):
            assert archive.files.path_for(sf.sha256).exists()


def test_index_differences_and_pending_work_are_found_and_repaired(runner, archive, filled):
    (ru_id, kk_id), draft_id = filled
    archive.search.remove([ru_id])
    with archive.db.session() as s:
        draft = indexing._load(s, [draft_id])
        archive.search.update(indexing.documents_for(s, draft))          # a draft that leaked into the index
        pub = s.get(Publication, kk_id)
        pub.title = "Новое название ақындары туралы"
        indexing.enqueue(s, [kk_id])                                    # work recorded, never applied
        s.commit()
    code, rep = check(runner)
    assert code == 1
    assert rep["unindexed"] == [ru_id] and rep["extra_indexed"] == [draft_id]
    assert rep["pending_index_tasks"] == 1
    code, rep = check(runner, "--repair")
    assert code == 0, rep["problems"]
    assert archive.search.doc_ids() == {ru_id, kk_id}
    with archive.db.session() as s:
        assert s.scalar(select(IndexTask.id)) is None
        assert [h.publication.id for h in run_search(archive, s, "озёрам").hits] == [ru_id]
    assert check(runner)[1]["ok"]


@pytest.mark.parametrize("damage", ["garbage", "deleted"])
def test_corrupt_or_deleted_index_is_detected_and_rebuilt(runner, archive, filled, damage):
    (ru_id, kk_id), _ = filled
    archive.search.close()
    if damage == "garbage":
        for f in archive.index_path.rglob("*"):
            if f.is_file():
                f.write_bytes(b"not an index")
    else:
        import shutil

        shutil.rmtree(archive.index_path)
    code, rep = check(runner)
    assert code == 1 and rep["index"] == ("corrupt" if damage == "garbage" else "missing")
    code, rep = check(runner, "--repair")
    assert code == 0 and rep["index"] == "ok" and any("rebuilt" in a for a in rep["actions"]), rep
    with archive.db.session() as s:
        assert [h.publication.id for h in run_search(archive, s, "ақындары").hits] == [kk_id]
    assert archive.search.doc_ids() == {ru_id, kk_id}


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_stuck_processing_records_are_found_and_queued_again(runner, archive, filled, tmp_path):
    incoming = archive.data_dir / "incoming"
    incoming.mkdir(exist_ok=True)
    tokens = [uuid.uuid4().hex, uuid.uuid4().hex]
    make_pdf(incoming / tokens[0], ["Статья, которую обрабатывал убитый процесс. Озёра Алматы. " * 10])
    make_pdf(incoming / tokens[1], ["Статья, задача которой потерялась из очереди. Тіл саясаты. " * 10])
    with archive.db.session() as s:
        running = ProcessingRecord(original_name="a.pdf", status="running",
                                   details={"incoming": tokens[0],
                                            "worker": {"host": socket.gethostname(), "pid": _dead_pid()}})
        queued = ProcessingRecord(original_name="b.pdf", status="queued", details={"incoming": tokens[1]})
        alive = ProcessingRecord(original_name="c.pdf", status="running",
                                 details={"incoming": "x", "worker": {"host": socket.gethostname(),
                                                                      "pid": os.getpid()}})
        s.add_all([running, queued, alive])
        s.commit()
        ids = running.id, queued.id, alive.id
    code, rep = check(runner)
    assert code == 1
    # The queued record is younger than the grace period: its task may just be leaving the queue.
    assert [(r["id"], r["reason"]) for r in rep["stuck_records"]] == [(ids[0], "worker-gone")]
    with archive.db.session() as s:
        s.get(ProcessingRecord, ids[1]).created_at = s.get(ProcessingRecord, ids[1]).created_at.replace(year=2020)
        s.commit()
    code, rep = check(runner)
    assert sorted((r["id"], r["reason"]) for r in rep["stuck_records"]) == [(ids[0], "worker-gone"),
                                                                            (ids[1], "not-queued")]
    code, rep = check(runner, "--repair")
    assert code == 0, rep                      # JOBS_IMMEDIATE: queued again means processed at once
    with archive.db.session() as s:
        done = [s.get(ProcessingRecord, i) for i in ids]
        assert [r.status for r in done] == ["ok", "ok", "running"]
        assert all(len(r.publication_ids) == 1 for r in done[:2])
        assert s.get(Publication, done[0].publication_ids[0]).pages
    assert not any(incoming.iterdir()) or {p.name for p in incoming.iterdir()} <= {"x"}


def test_ingesting_the_original_again_heals_a_damaged_or_missing_stored_file(runner, archive, tmp_path):
    pdf = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)
    assert ingest_file(archive, pdf, publish=True).status == "ok"
    with archive.db.session() as s:
        sha = s.scalar(select(StoredFile.sha256))
    stored = archive.files.path_for(sha)
    stored.write_bytes(b"rotten")
    assert check(runner)[1]["corrupted_files"]
    again = ingest_file(archive, pdf)
    assert again.status == "duplicate"
    assert stored.read_bytes() == pdf.read_bytes()
    stored.unlink()
    assert check(runner)[1]["missing_files"]
    ingest_file(archive, pdf)
    code, rep = check(runner)
    assert code == 0 and rep["ok"], rep
