"""The archive served by gunicorn (manage.py serve), queried over real HTTP."""
import os
import subprocess
import sys
import time

import pytest
import requests

from support import served_env, KK_ARTICLE, REPO, RU_ARTICLE, csrf, make_pdf, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    files = tmp_path_factory.mktemp("files")
    env = served_env(data)
    make_pdf(files / "ru.pdf", RU_ARTICLE)
    make_pdf(files / "kk.pdf", KK_ARTICLE)
    out = subprocess.run([sys.executable, "manage.py", "ingest", str(files), "--publish", "--json"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    out = subprocess.run([sys.executable, "manage.py", "create-user", "member@example.kz", "--password",
                          "member-password-1"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    base, proc = start_server(env, "--workers", "2")
    yield base
    stop_server(proc)


def test_served_search_api_and_pages(server):
    data = requests.get(server + "/api/search", params={"q": "ақындары"}, timeout=30).json()
    assert data["total"] == 1 and data["hits"][0]["source_file"] == "kk.pdf"
    page = requests.get(server + "/search", params={"q": "озёрам"}, timeout=30)
    assert page.status_code == 200 and "<mark>озёра</mark>" in page.text
    r = requests.get(server + f"/api/publications/{data['hits'][0]['id']}", timeout=30)
    assert r.status_code == 200 and r.json()["language"] == "kk"


def test_served_many_parallel_requests_without_errors(server):
    from concurrent.futures import ThreadPoolExecutor

    queries = ["согласие", "тіл", "межэтнических", "Qazaqstan", '"языковая политика"', "xyz"] * 5
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda q: requests.get(server + "/api/search", params={"q": q}, timeout=60).status_code,
                              queries))
    assert codes == [200] * len(queries)


_csrf = csrf


def test_served_upload_is_processed_in_the_background_worker(server, tmp_path):
    """One command (`serve`) also runs the job worker: an upload over HTTP becomes a draft."""
    s = requests.Session()
    login = s.get(server + "/login", timeout=30)
    r = s.post(server + "/login", data={"email": "member@example.kz", "password": "member-password-1",
                                       "csrf_token": _csrf(login.text), "next": ""}, timeout=30)
    assert r.status_code == 200 and "member@example.kz" not in r.url
    page = s.get(server + "/upload", timeout=30)
    pdf = make_pdf(tmp_path / "new.pdf", ["Новая статья о языковой политике и межэтническом согласии. " * 20])
    with open(pdf, "rb") as fh:
        r = s.post(server + "/upload", data={"csrf_token": _csrf(page.text)},
                   files={"files": ("Новая статья.pdf", fh, "application/pdf")}, timeout=60)
    assert r.status_code in (200, 303)
    deadline = time.time() + 90
    status = None
    while time.time() < deadline:
        records = s.get(server + "/upload/status", timeout=30).json()["records"]
        status = records[0]["status"] if records else None
        if status in ("ok", "error", "duplicate"):
            break
        time.sleep(0.5)
    assert status == "ok", records
    assert records[0]["file"] == "Новая статья.pdf"
