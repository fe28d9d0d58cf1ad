"""A request's logged CPU time counts the work it handed to other threads (tantivy's facet counts)."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from indexer.backend import aside_cpu, aside_meter_start, submit_aside
from support import DEMO, backend_app


def _burn(seconds: float) -> str:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
    return threading.current_thread().name


def test_work_handed_aside_is_counted_for_the_thread_that_handed_it():
    with ThreadPoolExecutor(1, "aside") as pool:
        assert pool.submit(aside_meter_start).result() is None     # another thread's meter counts nothing here
        assert submit_aside(pool, _burn, 0.01).result().startswith("aside")     # unmetered: runs all the same
        aside_meter_start()
        assert aside_cpu() == 0
        assert submit_aside(pool, _burn, 0.15).result().startswith("aside")
        assert 0.15 <= aside_cpu() < 1.0
        assert pool.submit(aside_cpu).result() == 0                 # the pool's thread handed nothing aside
        aside_meter_start()                                         # a new request starts from nothing
        assert aside_cpu() == 0


def test_a_tantivy_search_logs_the_cpu_of_its_facet_count(data_dir, monkeypatch, caplog):
    """The facets are counted in a thread of their own while the request's thread goes on: their CPU time is
    part of the request's ``cpu_ms`` (the request's own thread only waited for them)."""
    import indexer.tantivy_backend as tb
    from archive.services.ingest import ingest_file

    real = tb._facet_counts

    def slow_count(searcher, q):
        _burn(0.3)
        return real(searcher, q)

    with backend_app(data_dir, "tantivy", "request_cpu") as app:
        ingest_file(app.extensions["archive"], DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.pdf", publish=True)
        client = app.test_client()
        assert client.get("/en/search?q=молодежь").status_code == 200        # loads what a first search loads
        monkeypatch.setattr(tb, "_facet_counts", slow_count)
        caplog.clear()                          # the first request's line, where the log level lets it through
        with caplog.at_level(logging.INFO, logger="archive.request"):
            assert client.get("/en/search?q=идентичность").status_code == 200
        rec, = [r for r in caplog.records if r.name == "archive.request"]
        assert rec.cpu_ms >= 300, rec.cpu_ms
