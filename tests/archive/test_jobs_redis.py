"""The job queue on Redis (JOBS_REDIS_URL): an upload queued by the web app is taken and processed by a
worker from the same Redis queue (the local Redis server; skipped when none answers)."""
from __future__ import annotations

import uuid

import pytest

from archive.models import ProcessingRecord

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - no server here
        return False


pytestmark = pytest.mark.skipif(not _redis_available(), reason="no Redis server at 127.0.0.1:6379")


def test_upload_goes_through_a_redis_queue(data_dir, tmp_path):
    from archive import create_app
    from archive.jobs import get_jobs
    from archive.services.uploads import incoming_dir
    from archive.migrate import upgrade
    from support import RU_ARTICLE, make_pdf

    name = f"kelisim-test-{uuid.uuid4().hex[:8]}"
    app = create_app({"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "t", "JOBS_REDIS_URL": REDIS_URL,
                      "JOBS_QUEUE_NAME": name, "OCR_ENABLED": False})
    archive = app.extensions["archive"]
    upgrade(archive.db.url)
    jobs = get_jobs(app)
    try:
        assert type(jobs.huey.storage).__name__ == "RedisStorage"
        folder = incoming_dir(archive)
        folder.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        make_pdf(folder / token, RU_ARTICLE)
        with archive.db.session() as s:
            rec = ProcessingRecord(original_name="a.pdf", status="queued", details={"incoming": token})
            s.add(rec)
            s.commit()
            rid = rec.id
        with app.app_context():
            jobs.process_upload(rid)
        assert jobs.huey.pending_count() == 1            # waiting in Redis, not run in the web process
        task = jobs.huey.dequeue()
        jobs.huey.execute(task)                          # what `manage.py worker` does with it
        with archive.db.session() as s:
            rec = s.get(ProcessingRecord, rid)
            assert rec.status == "ok", rec.message
    finally:
        jobs.huey.storage.flush_all()
        archive.close()
