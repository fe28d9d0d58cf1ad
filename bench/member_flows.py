"""Members' flows on the served archive, timed as a member and an editor live them (issue 15).

    .venv/bin/python bench/member_flows.py [--workdir /tmp/flows-bench] [--keep] [--pages 1500]

Starts ``manage.py serve`` (gunicorn and the job worker with its two lanes) on a fresh archive, signs in as
a member, uploads one DOCX (the first file after a start, timed apart), then **one batch**: the real
385-page volume (``collections/ru_sterlitamak_mathphys_2021_vol1.pdf``), a scan that needs OCR
(``scanned/ru_gost_7_80_2000_scan.pdf``), a one-page DOCX written here,
an empty file and a file of random bytes. Then:

- seconds from the upload to "ready for review" (or to the refusal message) for every file, polled on
  ``/upload/status`` every 0.25 s — the DOCX must be ready while the scan is still being OCR'd;
- the editor publishes the volume; seconds until the job is done and until its last article is found by
  ``/api/search`` for its title;
- the editor publishes the DOCX; seconds until ``/api/search`` finds it by its title;
- every HTTP request the script makes is timed, and the member keeps asking for its upload status while the
  volume is published: the slowest member-flow request is reported (goal ≤ 2 s);
- item 7: a generated PDF of ``--pages`` pages (one short line each) is read by the extraction directly
  (pages/s, and how each page was read: never OCR), then uploaded alone and timed to "ready for review".

Needs ``../shared/corpus``. Prints a table and writes ``<workdir>/member_flows.json``. The machine's other
load changes every figure: run it alone (``nproc`` and the load average are printed with the figures).
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

from _common import CORPUS, REPO

VOLUME = CORPUS / "collections" / "ru_sterlitamak_mathphys_2021_vol1.pdf"
SCAN = CORPUS / "scanned" / "ru_gost_7_80_2000_scan.pdf"
PASSWORD = "Member-flows-bench-2026!"
BUSY = ("queued", "running")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


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


def _docx(path: Path, note: str = "") -> Path:
    from docx import Document

    doc = Document()
    if note:
        doc.add_paragraph(note)
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


def _text_pdf(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` pages with one short Russian line each (a real text layer, no pictures)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setTitle("Длинный отчёт о чтении текстового слоя")
    for n in range(1, pages + 1):
        c.setFont("DejaVuSerif", 11)
        c.drawString(60, 780, f"Страница {n}: строка текста о языковой политике и согласии.")
        c.showPage()
    c.save()
    return path


def read_text_layer(path: Path) -> dict:
    """Item 7: the extraction (in its limited child process, as an upload runs it) on a long text PDF."""
    from collections import Counter

    from uploads.limits import Limits
    from uploads.pipeline import process_file

    t0 = time.perf_counter()
    doc = process_file(path, Limits())
    seconds = time.perf_counter() - t0
    return {"pages": len(doc.pages), "seconds": round(seconds, 2), "pages_per_s": round(len(doc.pages) / seconds, 1),
            "methods": dict(Counter(p.method for p in doc.pages))}


def _upload(session: "Timed", base: str, files: list[tuple[str, bytes]]) -> float:
    """Post files through the upload form; returns the perf_counter time the request was sent."""
    token = _csrf(session.get(base + "/upload").text)
    t0 = time.perf_counter()
    r = session.post(base + "/upload", data={"csrf_token": token},
                     files=[("files", (name, io.BytesIO(body))) for name, body in files], allow_redirects=False)
    if r.status_code != 303:
        raise SystemExit(f"upload answered {r.status_code}")
    return t0


def _settle(member: "Timed", base: str, t0: float, names: set[str], limit_s: float = 1800) -> dict:
    """Poll the upload status every 0.25 s until every named file has an outcome: name → (s, status, ids, details)."""
    done: dict[str, dict] = {}
    while names - set(done) and time.perf_counter() - t0 < limit_s:
        for rec in member.get(base + "/upload/status").json()["records"]:
            if rec["file"] in names and rec["file"] not in done and rec["status"] not in BUSY:
                done[rec["file"]] = {"seconds": round(time.perf_counter() - t0, 2), "status": rec["status"],
                                     "ids": rec["publication_ids"]}
        time.sleep(0.25)
    return done


def _found(session: "Timed", base: str, pub_id: int, t0: float, limit_s: float = 600) -> float | None:
    """Seconds from ``t0`` until ``/api/search`` for the publication's title lists it."""
    title = session.get(base + f"/api/publications/{pub_id}").json().get("title", "")
    while time.perf_counter() - t0 < limit_s:
        if any(h["id"] == pub_id for h in session.get(base + "/api/search", params={"q": title}).json()["hits"]):
            return round(time.perf_counter() - t0, 2)
        time.sleep(0.25)
    return None


def _publish_volume(member: "Timed", editor: "Timed", base: str, vol_id: int, last_id: int) -> dict:
    """The editor publishes the volume (a background job); the member keeps using the site meanwhile."""
    page = editor.get(base + f"/review/{vol_id}").text
    t1 = time.perf_counter()
    r = editor.post(base + f"/review/{vol_id}/publish", data={"csrf_token": _csrf(page)}, allow_redirects=False)
    request_s = time.perf_counter() - t1
    if r.status_code != 303:
        raise SystemExit(f"publishing answered {r.status_code}")
    job_done, job = None, None
    while time.perf_counter() - t1 < 900:
        job = editor.get(base + f"/review/{vol_id}/job").json()["job"]
        member.get(base + "/upload/status")                    # a member's request while the job writes
        if job and job["finished"]:
            job_done = round(time.perf_counter() - t1, 2)
            break
        time.sleep(0.25)
    return {"publish_request_s": round(request_s, 3), "job_done_s": job_done,
            "job_status": job and job["status"], "found_by_search_s": _found(member, base, last_id, t1)}


def _publish_one(member: "Timed", editor: "Timed", base: str, pub_id: int) -> dict:
    page = editor.get(base + f"/review/{pub_id}").text
    t1 = time.perf_counter()
    editor.post(base + f"/review/{pub_id}/publish", data={"csrf_token": _csrf(page)}, allow_redirects=False)
    return {"publish_request_s": round(time.perf_counter() - t1, 3), "found_by_search_s": _found(member, base, pub_id, t1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/flows-bench"))
    ap.add_argument("--keep", action="store_true", help="leave the server's data folder in place")
    ap.add_argument("--pages", type=int, default=1500, help="pages of the generated text PDF (item 7)")
    args = ap.parse_args()
    for f in (VOLUME, SCAN):
        if not f.exists():
            raise SystemExit(f"needs the shared corpus: {f} is missing")
    shutil.rmtree(args.workdir, ignore_errors=True)
    data = args.workdir / "data"
    data.mkdir(parents=True)
    long_pdf = _text_pdf(args.workdir / f"text-{args.pages}.pdf", args.pages)
    result: dict = {"cpus": os.cpu_count(), "item7_extraction": read_text_layer(long_pdf)}
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(data), "ARCHIVE_RATELIMIT_ENABLED": "0",
           "ARCHIVE_JOBS_RETRY_DELAY_S": "5", "ARCHIVE_JOBS_IMMEDIATE": "0"}
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
        # The first file after a start also waits for the worker to start and load the extraction's models:
        # timed apart, so the batch is measured on a running site.
        warm = _docx(args.workdir / "first.docx", "Первый файл после запуска.")
        t_warm = _upload(member, base, [("first.docx", warm.read_bytes())])
        result["first_file_after_start_s"] = _settle(member, base, t_warm, {"first.docx"})["first.docx"]["seconds"]
        docx = _docx(args.workdir / "one-page.docx")
        batch = [("volume.pdf", VOLUME.read_bytes()), ("scan.pdf", SCAN.read_bytes()),
                 ("note.docx", docx.read_bytes()), ("empty.pdf", b""),
                 ("noise.pdf", random.Random(7).randbytes(4096))]
        t0 = _upload(member, base, batch)
        refusal_s = round(member.times[-1][2], 3)          # the upload request itself decides empty and noise
        first = {r["file"]: r["status"] for r in member.get(base + "/upload/status").json()["records"]}
        done = _settle(member, base, t0, {name for name, _body in batch})
        result.update(files=done, refusal_s=refusal_s, refused_in_the_request=[f for f, st in first.items()
                                                                                if st == "error"],
                      docx_before_scan=done.get("note.docx", {}).get("seconds", 1e9) <
                      done.get("scan.pdf", {}).get("seconds", 0))
        volume_ids = done.get("volume.pdf", {}).get("ids") or []
        docx_ids = done.get("note.docx", {}).get("ids") or []
        if docx_ids:
            result["publish_docx"] = _publish_one(member, editor, base, docx_ids[0])
        if volume_ids:
            result["publish_volume"] = {**_publish_volume(member, editor, base, volume_ids[0], volume_ids[-1]),
                                        "articles": len(volume_ids) - 1}
        t2 = _upload(member, base, [(long_pdf.name, long_pdf.read_bytes())])
        long_done = _settle(member, base, t2, {long_pdf.name}).get(long_pdf.name, {})
        result["item7_upload"] = {"pages": args.pages, **{k: long_done.get(k) for k in ("seconds", "status")}}
        slowest = sorted(member.times + editor.times, key=lambda t: -t[2])[:5]
        result["slowest_requests"] = [(m, u, round(t, 3)) for m, u, t in slowest]
        result["requests"] = len(member.times) + len(editor.times)
        result["load_average"] = os.getloadavg()
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
    print(f"\nRefusals (empty, random bytes) decided in the upload request: {result['refused_in_the_request']}, "
          f"{result['refusal_s']} s")
    print(f"DOCX ready before the scan finished OCR: {result['docx_before_scan']}")
    print(f"A DOCX uploaded as the server came up was ready after {result['first_file_after_start_s']} s")
    for key in ("publish_docx", "publish_volume", "item7_extraction", "item7_upload"):
        print(f"{key}: {json.dumps(result.get(key), ensure_ascii=False)}")
    print(f"Slowest of {result['requests']} requests:", result["slowest_requests"])
    print(f"CPUs: {result['cpus']}, load average: {result['load_average']}")
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
