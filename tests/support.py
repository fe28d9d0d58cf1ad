"""Paths and helpers shared by tests (importable: pytest.ini puts tests/ on sys.path)."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
DEMO = REPO / "demo" / "files"
DATA = REPO / "tests" / "data"


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus; the calling test is skipped when the corpus is absent."""
    p = CORPUS.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared corpus not available ({p})")
    return p


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def make_pdf(path: Path, pages: list[str], title: str = "") -> Path:
    """Render plain-text pages to a real PDF (DejaVu, so Cyrillic and Kazakh letters extract back)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSerif" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSerif", FONT))
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    if title:
        c.setTitle(title)
    for text in pages:
        y = 800
        for para in text.split("\n"):
            words, line = para.split(), ""
            for w in words + [None]:
                if w is not None and len(line) + len(w) < 80:
                    line = f"{line} {w}".strip()
                    continue
                c.setFont("DejaVuSerif", 11)
                c.drawString(50, y, line)
                y -= 15
                line = w or ""
            y -= 6
        c.showPage()
    c.save()
    return path


RU_ARTICLE = [
    "УДК 323.1\nИванова М.П.\nИнститут философии, политологии и религиоведения\nАлматы, 2019\n"
    "МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ В ГОРОДСКОЙ СРЕДЕ АЛМАТЫ\n"
    "Аннотация. Статья посвящена межэтническим отношениям и языковой политике в Алматы в 2019 году.\n"
    "Ключевые слова: межэтнические отношения, согласие, язык.\n"
    "Межэтнические отношения в крупном городе складываются из повседневных практик. Жители Алматы говорят "
    "на казахском и русском языках, а Большое Алматинское озеро и другие горные озёра собирают людей разных "
    "национальностей.",
    "Согласие между этническими группами поддерживают этнокультурные объединения и Ассамблея народа "
    "Казахстана. Языковая политика государства влияет на молодёжь.",
]
KK_ARTICLE = [
    "ӘОЖ 81'272\nСейтқали Айгерім Болатқызы\nАлматы қаласы, 2021\nТІЛ САЯСАТЫ ЖӘНЕ ҚАЗАҚ АҚЫНДАРЫ\n"
    "Аңдатпа. Мақалада Қазақстандағы тіл саясаты мен ақынның рөлі қарастырылады, 2021 жыл.\n"
    "Түйін сөздер: тіл, ақын, келісім.\n"
    "Абай сияқты ұлы ақынның шығармалары Қазақстанда кеңінен оқылады. Ақындар халықтың тілін байытады, "
    "ал мемлекеттік тіл қоғамның бірлігі мен келісімін нығайтады.",
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, *args: str):
    """`manage.py serve` on a free port with ``env``; returns (base URL, process) once /healthz answers."""
    import subprocess
    import sys
    import time

    import requests

    port = free_port()
    proc = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port), *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return base, proc
        except requests.ConnectionError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("server did not start: " + proc.stderr.read().decode()[-2000:])


def stop_server(proc) -> None:
    """Terminate a server started by ``start_server``."""
    proc.terminate()
    proc.wait(20)
