"""Members' flows on the served archive, timed as a member and an editor live them (issue 15).

    .venv/bin/python bench/member_flows.py [--workdir /tmp/kel_flows] [--keep]

Starts ``manage.py serve`` (gunicorn and the job worker with its two lanes) on a fresh archive, signs in as
a member and uploads **one batch**: the real 385-page volume (``collections/ru_sterlitamak_mathphys_2021_
vol1.pdf``), a scan that needs OCR (``scanned/ru_gost_7_80_2000_scan.pdf``), a one-page DOCX written here,
an empty file and a file of random bytes. Then:

- seconds from the upload to "ready for review" (or to the refusal message) for every file, polled on
  ``/upload/status`` every 0.25 s — the DOCX must be ready while the scan is still being OCR'd;
- the editor publishes the volume; seconds until the job is done and until a word of its last article is
  found by ``/api/search``;
- every HTTP request the script makes is timed: the slowest member-flow request is reported (goal ≤ 2 s).

Needs ``../shared/corpus``. Prints a table and writes ``<workdir>/member_flows.json``.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
VOLUME = CORPUS / "collections" / "ru_sterlitamak_mathphys_2021_vol1.pdf"
SCAN = CORPUS / "scanned" / "ru_gost_7_80_2000_scan.pdf"
PASSWORD = "Member-flows-bench-2026!"


class Timed(requests.Session):
    """A session that records how long each request took."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[str, str, float]] = []

    def request(self, method, url, *args, **kwargs):  # noqa: D102 - same as requests
        t0 = time.perf_counter()
        resp = super().request(method, url, *args, timeout=kwargs.pop("timeout", 120), **kwargs)
        self.times.append((method, url.split("?")[0].replace(self.base, ""), time.perf_counter() - t0))
        return resp

    base = ""


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_paragraph("Ким С.В.")
    doc.add_paragraph("ТРЁХЪЯЗЫЧИЕ В ШКОЛАХ АЛМАТЫ: ОДНА СТРАНИЦА НАБЛЮДЕНИЙ")
    doc.add_paragraph("Аннотация. Короткая заметка о языковой политике в школах Алматы, 2024 год.")
    doc.add_paragraph("Ключевые слова: трёхъязычие, школа, Алматы.")
    doc.add_paragraph("Учителя отмечают, что родители всё чаще выбирают классы с казахским языком обучения.")
    doc.save(path)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(env, *args) -> None:
    out = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    if out.returncode:
        raise SystemExit(out.stdout + out.stderr)


def _sign_in(base: str, email: str) -> Timed:
    s = Timed()
    s.base = base
    token = _csrf(s.get(base + "/login").text)
    r = s.post(base + "/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
               allow_redirects=False)
    if r.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: {r.status_code}")
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/kel_flows"))
    ap.add_argument("--keep", action="store_true", help="leave the server's data folder in place")
    args = ap.parse_args()
    for f in (VOLUME, SCAN):
        if not f.exists():
            raise SystemExit(f"needs the shared corpus: {f} is missing")
    shutil.rmtree(args.workdir, ignore_errors=True)
    data = args.workdir / "data"
    data.mkdir(parents=True)
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(data), "ARCHIVE_RATELIMIT_ENABLED": "0",
           "ARCHIVE_JOBS_RETRY_DELAY_S": "5"}
    env.pop("DATABASE_URL", None)
    _run(env, "init")
    _run(env, "create-user", "member@example.kz", "--password", PASSWORD)
    _run(env, "create-user", "editor@example.kz", "--password", PASSWORD, "--role", "editor")
    port = _free_port()
    log = open(args.workdir / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port)], cwd=REPO, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        member = _sign_in(base, "member@example.kz")
        editor = _sign_in(base, "editor@example.kz")
        docx = _docx(args.workdir / "one-page.docx")
        batch = [("volume.pdf", VOLUME.read_bytes()), ("scan.pdf", SCAN.read_bytes()),
                 ("note.docx", docx.read_bytes()), ("empty.pdf", b""),
                 ("noise.pdf", random.Random(7).randbytes(4096))]
        token = _csrf(member.get(base + "/upload").text)
        t0 = time.perf_counter()
        r = member.post(base + "/upload", data={"csrf_token": token},
                        files=[("files", (name, io.BytesIO(body))) for name, body in batch], allow_redirects=False)
        if r.status_code != 303:
            raise SystemExit(f"upload answered {r.status_code}")
        done: dict[str, tuple[float, str, list[int]]] = {}
        scan_done_at = None
        while len(done) < len(batch) and time.perf_counter() - t0 < 1800:
            for rec in member.get(base + "/upload/status").json()["records"]:
                if rec["file"] in done or rec["status"] in ("queued", "running"):
                    continue
                done[rec["file"]] = (time.perf_counter() - t0, rec["status"], rec["publication_ids"])
                if rec["file"] == "scan.pdf":
                    scan_done_at = done[rec["file"]][0]
            time.sleep(0.25)
        volume_ids = done.get("volume.pdf", (0, "", []))[2]
        publish = {}
        if volume_ids:
            vol_id = volume_ids[0]
            page = editor.get(base + f"/review/{vol_id}").text
            t1 = time.perf_counter()
            r = editor.post(base + f"/review/{vol_id}/publish", data={"csrf_token": _csrf(page)},
                            allow_redirects=False)
            job_done = None
            while time.perf_counter() - t1 < 900:
                state = editor.get(base + f"/review/{vol_id}/job").json()
                if state["job"] and state["job"]["finished"]:
                    job_done = time.perf_counter() - t1
                    break
                time.sleep(0.25)
            last = volume_ids[-1]
            title = member.get(base + f"/api/publications/{last}").json().get("title", "")
            word = max(re.findall(r"\w{6,}", title) or ["задача"], key=len)
            found = None
            while time.perf_counter() - t1 < 900:
                hits = editor.get(base + "/api/search", params={"q": word}).json()["hits"]
                if any(h["id"] == last for h in hits):
                    found = time.perf_counter() - t1
                    break
                time.sleep(0.25)
            publish = {"publish_request_s": editor.times[-1][2] if editor.times else None,
                       "job_done_s": job_done, "found_by_search_s": found, "articles": len(volume_ids) - 1,
                       "query": word}
        slowest = sorted(member.times + editor.times, key=lambda t: -t[2])[:5]
        result = {"files": {k: {"seconds": round(v[0], 2), "status": v[1]} for k, v in done.items()},
                  "docx_before_scan": bool(scan_done_at and done.get("note.docx", (1e9,))[0] < scan_done_at),
                  "publish": publish,
                  "slowest_requests": [(m, u, round(t, 3)) for m, u, t in slowest],
                  "load_average": os.getloadavg()}
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    (args.workdir / "member_flows.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print("| file | outcome | seconds from upload |\n|---|---|---|")
    for name, v in result["files"].items():
        print(f"| {name} | {v['status']} | {v['seconds']} |")
    print(f"\nDOCX ready before the scan finished OCR: {result['docx_before_scan']}")
    print(f"Publishing the volume: {json.dumps(publish, ensure_ascii=False)}")
    print("Slowest requests:", result["slowest_requests"])
    print("Load average:", result["load_average"])
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
