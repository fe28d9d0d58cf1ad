"""Load: 32 concurrent readers (searches, publication pages, downloads) against gunicorn serving the demo archive,
first alone and then while a 300-page conference volume is being ingested; zero errors, latency percentiles printed.

``LOAD_SECONDS`` (default 60) and ``LOAD_CLIENTS`` (default 32) size the runs; ``LOAD_SECONDS=5`` is a quick check.
The figures are printed (run with ``-s``), never asserted: only errors fail the test.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from reliability_support import Served, reliability_env, archive_json, manage, start_manage
from support import corpus_path

pytestmark = [pytest.mark.slow, pytest.mark.own_databases]

SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "32"))
VOLUME_PAGES = 300
QUERIES = ["согласие", "озёрам", "языковая политика", "тіл", "ақындары", "Qazaqstan", "межэтнических отношений",
           '"языковая политика"', "молодёжь -религия", "author:Иванова", "year:2019-2023", "lang:kk тіл",
           "толерантность", "этнокультурные объединения", "xyzzy", "Ассамблея народа Казахстана"]


def _publications(env: dict) -> list[dict]:
    """Published records of the archive: id, kind and whether a file can be downloaded."""
    return archive_json(env, """
rows = s.scalars(select(Publication).where(Publication.status == 'published'))
print(json.dumps([{'id': p.id, 'kind': p.kind, 'original': p.source_file_id is not None,
                   'article': p.article_file_id is not None} for p in rows]))
""")


def _mix(pubs: list[dict]) -> list[tuple[float, str]]:
    """Half searches (pages and API), a third publication pages, the rest downloads."""
    paths: list[tuple[float, str]] = []
    for q in QUERIES:
        paths.append((3.0, f"/search?q={q}"))
        paths.append((1.0, f"/api/search?q={q}"))
    for p in pubs:
        paths.append((2.5, f"/p/{p['id']}"))
        paths.append((0.5, f"/api/publications/{p['id']}"))
        if p["original"] and p["kind"] != "article":
            paths.append((1.0, f"/p/{p['id']}/original"))
        if p["article"]:
            paths.append((1.5, f"/p/{p['id']}/article.pdf"))
    paths += [(1.0, "/"), (0.5, "/authors"), (0.5, "/years"), (0.5, "/volumes")]
    return paths


def _run(served: Served, paths, label: str):
    from bench.loadgen import run_load

    result = run_load(served.base, paths, clients=CLIENTS, seconds=SECONDS)
    print(f"\n{label}: {result.line()}")
    return result


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory):
    data = tmp_path_factory.mktemp("load") / "data"
    env = reliability_env(data)
    manage(env, "demo", timeout=900)
    pubs = _publications(env)
    assert len(pubs) >= 8 and any(p["article"] for p in pubs)
    served = Served(env, data.parent / "logs", jobs=False)
    yield served, env, pubs
    served.stop()


def test_load_32_readers_on_the_demo_archive_without_errors(demo_archive):
    served, _env, pubs = demo_archive
    result = _run(served, _mix(pubs), f"demo archive, {len(pubs)} publications")
    assert result.requests > 0
    assert result.error_count == 0, result.errors
    assert "Traceback" not in served.log()


def _volume(folder: Path) -> Path:
    """A 300-page conference volume: the front half of each of the two real volumes of the corpus, one after the other."""
    from pypdf import PdfReader, PdfWriter

    first = corpus_path("collections", "ru_sterlitamak_mathphys_2021_vol1.pdf")
    second = corpus_path("collections", "ru_sgtu_ecology_cities_2011_part1.pdf")
    writer = PdfWriter()
    for src in (first, second):
        reader = PdfReader(str(src))
        for page in reader.pages[:VOLUME_PAGES // 2]:
            writer.add_page(page)
    out = folder / "volume-300.pdf"
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def test_load_while_a_300_page_volume_is_ingested_without_errors(demo_archive, tmp_path):
    served, env, pubs = demo_archive
    volume = _volume(tmp_path)
    log = tmp_path / "ingest.log"
    t0 = time.monotonic()
    ingest = start_manage(env, log, "ingest", str(volume), "--publish", "--json")
    time.sleep(2)                                           # the volume is being extracted when readers arrive
    result = _run(served, _mix(pubs), f"demo archive while a {VOLUME_PAGES}-page volume is ingested")
    busy_during_load = ingest.poll() is None
    code = ingest.wait(1800)
    took = time.monotonic() - t0
    outcome = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    print(f"ingest of the {VOLUME_PAGES}-page volume: exit {code}, {took:.0f} s, "
          f"{'still running when the load ended' if busy_during_load else 'finished before the load ended'}; "
          f"{outcome}")
    assert code == 0 and outcome and outcome[0]["status"] == "ok", log.read_text()[-3000:]
    assert result.requests > 0
    assert result.error_count == 0, result.errors
    assert "Traceback" not in served.log()
    # The new volume is served once the ingest has finished.
    import requests

    vol_id = outcome[0]["publication_ids"][0]
    assert requests.get(f"{served.base}/p/{vol_id}", timeout=60).status_code == 200
