"""Issue 15 walked in a real browser: a member corrects a real volume, an editor publishes it, and what the
public page, the API and the citations show afterwards (Debian's Chromium driven by Playwright, against
`manage.py serve`: gunicorn and its job worker with both lanes, on SQLite or the suite's PostgreSQL).

One batch goes up through the upload form: the real volume ``collections/ru_sterlitamak_mathphys_2021_
vol1.pdf`` (the tests that need it are skipped without ../shared/corpus), a one-page DOCX written here, an
empty file and random bytes. The corrections (items 1–3) are made on the draft, then the editor publishes
the volume while the member's upload page stays open (items 5 and 6); every test then looks at the
published result. Items 4 and 8 need no corpus.
"""
from __future__ import annotations

import os
import random
import re
import time

import pytest

from a11y_support import CHROMIUM, chromium, run_manage, sign_in
from support import corpus_path, served_env, start_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium missing")]

PASSWORD = "a-long-password-1"
MEMBER, EDITOR = "member@example.kz", "editor@example.kz"
VOLUME = ("collections", "ru_sterlitamak_mathphys_2021_vol1.pdf")
# Articles of the real volume the corrections are made on (titles as the splitter reads them).
BOUNDARY_TITLE = "О НЕОБХОДИМЫХ УСЛОВИЯХ"           # ends on the page where the next article begins
AUTHOR_TITLE = "СИНГУЛЯРНЫЙ ОПЕРАТОР КИПРИЯНОВА"      # its author printed as «Ляхов Л.Н» (no last full stop)
MERGE_FIRST, MERGE_SECOND = "О РАЗРЕШИМОСТИ НЕЛОКАЛЬНОЙ СМЕШАННОЙ", "ОБ ОДНОЗНАЧНОЙ РАЗРЕШИМОСТИ МНОГОМЕРНОЙ"
DOCX_TITLE = "ТРЁХЪЯЗЫЧИЕ В ШКОЛАХ АЛМАТЫ"
QUICK_REQUEST_S = 2.0                                # the goal for any request of a member flow
# What this test allows any request while the volume is read and published beside the browser on a shared
# test machine; bench/member_flows.py measures the 2 s goal on a quiet one (docs/performance.md).
SLOW_REQUEST_S = 5.0


# ----------------------------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A fresh archive served with its worker; jobs explicitly not immediate (item 8)."""
    data = tmp_path_factory.mktemp("flows")
    env = served_env(data, ARCHIVE_JOBS_IMMEDIATE="0")
    run_manage(env, ["init"], ["create-user", MEMBER, "--password", PASSWORD],
               ["create-user", EDITOR, "--role", "editor", "--password", PASSWORD])
    base, proc = start_server(env)
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


class Person:
    """A signed-in browser context with one page; every request's duration is kept."""

    def __init__(self, browser, base: str, email: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.times: list[tuple[float, str]] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("requestfinished", self._timed)
        sign_in(self.page, base, email, PASSWORD)

    def _timed(self, request) -> None:
        timing = request.timing
        if timing.get("responseEnd", -1) >= 0 and request.url.startswith(self.base):
            self.times.append((timing["responseEnd"] / 1000, request.method + " " + request.url[len(self.base):]))

    def get_json(self, path: str, **params):
        """JSON fetched with this person's cookies (not as a navigation)."""
        t0 = time.perf_counter()
        r = self.page.request.get(self.base + path, params=params or None)
        self.times.append((time.perf_counter() - t0, "GET " + path))
        assert r.ok, (path, r.status)
        return r.json()

    def get_text(self, path: str) -> str:
        r = self.page.request.get(self.base + path)
        assert r.ok, (path, r.status)
        return r.text()

    def slowest(self) -> tuple[float, str]:
        return max(self.times, default=(0.0, ""))

    def close(self) -> None:
        assert not self.dialogs, f"a script ran: {self.dialogs}"
        self.context.close()


@pytest.fixture(scope="module")
def member(browser, site):
    p = Person(browser, site, MEMBER)
    yield p
    p.close()


@pytest.fixture(scope="module")
def editor(browser, site):
    p = Person(browser, site, EDITOR)
    yield p
    p.close()


# ------------------------------------------------------------------------------------------- the batch


def write_docx(path):
    from docx import Document

    doc = Document()
    for line in ("Ким С.В.", "Трёхъязычие в школах Алматы: одна страница наблюдений",
                 "Аннотация. Короткая заметка о языковой политике в школах Алматы, 2024 год.",
                 "Ключевые слова: трёхъязычие, школа, Алматы.",
                 "Учителя отмечают, что родители всё чаще выбирают классы с казахским языком обучения."):
        doc.add_paragraph(line)
    doc.save(path)
    return path


def wait_until(what, seconds: float, step: float = 0.25):
    """``what()`` once it is truthy, polled; fails after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = what()
        if got:
            return got
        time.sleep(step)
    pytest.fail(f"not within {seconds} s: {what.__doc__ or what}")


@pytest.fixture(scope="module")
def batch(site, member, tmp_path_factory):
    """The member uploads the volume, a DOCX, an empty file and random bytes in one go, through the form."""
    volume = corpus_path(*VOLUME)
    folder = tmp_path_factory.mktemp("batch")
    docx = write_docx(folder / "note.docx")
    empty = folder / "empty.pdf"
    empty.write_bytes(b"")
    noise = folder / "noise.pdf"
    noise.write_bytes(random.Random(15).randbytes(4096))
    page = member.page
    page.goto(site + "/ru/upload")
    page.set_input_files("#files", [str(volume), str(docx), str(empty), str(noise)])
    t0 = time.monotonic()
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    answered = time.monotonic() - t0
    first = {r["file"]: r for r in member.get_json("/upload/status")["records"]}
    ready: dict[str, float] = {}

    def all_settled():
        """every file of the batch processed"""
        for r in member.get_json("/upload/status")["records"]:
            if r["status"] not in ("queued", "running") and r["file"] not in ready:
                ready[r["file"]] = time.monotonic() - t0
        return len(ready) >= 4

    wait_until(all_settled, 600)
    final = {r["file"]: r for r in member.get_json("/upload/status")["records"]}
    vol_ids = final[volume.name]["publication_ids"]
    return {"answered_s": answered, "first": first, "final": final, "ready_s": ready, "volume": volume.name,
            "volume_id": vol_ids[0], "docx_id": final["note.docx"]["publication_ids"][0]}


def article_rows(page) -> dict[str, dict]:
    """The volume's articles as its review page lists them: title → id, PDF range, printed range, authors."""
    out = {}
    for row in page.locator("section.split tr[id^=article-]").all():
        cells = row.locator("td")
        pdf, _br, printed = cells.nth(2).inner_text().partition("\n")
        numbers = [int(n) for n in re.findall(r"\d+", printed)]
        out[cells.nth(1).locator("a").inner_text()] = {
            "id": int(row.get_attribute("id").split("-")[1]),
            "pdf": tuple(int(n) for n in re.findall(r"\d+", pdf)),
            "printed": (numbers[0], numbers[-1]) if numbers else None,
            "authors": cells.nth(1).locator(".meta").inner_text()}
    return out


def row_of(rows: dict[str, dict], title_start: str) -> dict:
    return next(v for k, v in rows.items() if k.upper().startswith(title_start))


def submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(form_selector).locator("button[type=submit]").click()


def no_error(page) -> None:
    errors = page.locator(".form-error")
    assert errors.count() == 0, errors.all_inner_texts()


@pytest.fixture(scope="module")
def corrected(site, member, batch):
    """Items 1–3 on the draft, as the member makes them on the volume's review page."""
    page = member.page
    review = f"{site}/ru/review/{batch['volume_id']}"
    page.goto(review)
    before = article_rows(page)
    seen: dict = {"before": before}

    # 1. move an article's first page back by one; its end stays on the page it shares with the next one
    b = row_of(before, BOUNDARY_TITLE)
    page.fill(f"#start-{b['id']}", str(b["pdf"][0] - 1))
    submit(page, f"#article-{b['id']} form[action$='/boundary']")
    no_error(page)
    seen["boundary"] = article_rows(page)

    # 2. the author's initials completed with their full stop
    a = row_of(before, AUTHOR_TITLE)
    page.goto(f"{site}/ru/review/{a['id']}")
    authors = page.input_value("#authors")
    assert "Ляхов Л.Н\n" in authors + "\n"
    page.fill("#authors", (authors + "\n").replace("Ляхов Л.Н\n", "Ляхов Л.Н.\n").strip())
    submit(page, "form[action$='/metadata']")
    no_error(page)
    seen["authors"] = page.input_value("#authors")

    # 3. merge two articles that share a page, then split them again at the second one's first page
    page.goto(review)
    first, second = row_of(before, MERGE_FIRST), row_of(before, MERGE_SECOND)
    submit(page, f"#article-{first['id']} form[action$='/merge']")
    no_error(page)
    seen["merged"] = row_of(article_rows(page), MERGE_FIRST)
    page.fill(f"#split-{first['id']}", str(second["pdf"][0]))
    submit(page, f"#article-{first['id']} form[action$='/split']")
    no_error(page)
    seen["split"] = article_rows(page)
    return seen


@pytest.fixture(scope="module")
def published(site, member, editor, batch, corrected):
    """Items 5 and 6: the member keeps the upload page open; the editor publishes the DOCX, then the volume."""
    page = member.page
    page.goto(site + "/ru/upload")
    page.evaluate("window.stillTheSamePage = true")
    out: dict = {}

    ed = editor.page
    ed.goto(f"{site}/ru/review/{batch['docx_id']}")
    submit(ed, "section.actions form[action$='/publish']")
    no_error(ed)
    docx_row = page.locator(f"tr[data-record='{batch['final']['note.docx']['id']}']")
    t0 = time.monotonic()
    docx_row.locator("a[href$='/p/%d']" % batch["docx_id"]).wait_for(timeout=20000)
    out["docx_row_s"] = time.monotonic() - t0
    out["docx_row"] = docx_row.inner_text()

    ed.goto(f"{site}/ru/review/{batch['volume_id']}")
    t0 = time.monotonic()
    submit(ed, "section.actions form[action$='/publish']")
    out["publish_request_s"] = time.monotonic() - t0
    no_error(ed)
    out["progress_shown"] = ed.locator("section#job").count() == 1

    def job_done():
        """the publishing job finished"""
        job = editor.get_json(f"/review/{batch['volume_id']}/job")["job"]
        return job if job and job["finished"] else None

    out["job"] = wait_until(job_done, 600)
    out["job_s"] = time.monotonic() - t0
    articles = batch["final"][batch["volume"]]["publication_ids"][1:]
    last = member.get_json(f"/api/publications/{articles[-1]}")

    def found():
        """the volume's last article found by search for its title"""
        return any(h["id"] == last["id"] for h in member.get_json("/api/search", q=last["title"])["hits"])

    wait_until(found, 120)
    out["found_s"] = time.monotonic() - t0
    vol_row = page.locator(f"tr[data-record='{batch['final'][batch['volume']]['id']}']")
    vol_row.locator("a[href$='/p/%d']" % batch["volume_id"]).wait_for(timeout=20000)
    out["volume_row"] = vol_row.inner_text()
    out["same_page"] = page.evaluate("window.stillTheSamePage === true")
    out["last"] = last
    return out


def public(person: Person, pub_id: int) -> dict:
    """What a reader gets for a publication: its page's text, its API record, GOST and BibTeX."""
    page = person.page
    page.goto(f"{person.base}/ru/p/{pub_id}")
    names = page.locator("dt:text-is('Авторы') + dd, dt:text-is('Участники') + dd")
    return {"page": page.locator("main").inner_text(), "api": person.get_json(f"/api/publications/{pub_id}"),
            "authors": names.first.inner_text() if names.count() else "",
            "gost": person.get_text(f"/p/{pub_id}/cite.txt"), "bib": person.get_text(f"/p/{pub_id}/cite.bib")}


def dashed(a: int, b: int) -> str:
    return f"{a}–{b}"


# ------------------------------------------------------------------------------------------------ items


def test_1_boundary_next_to_a_shared_page_is_accepted_and_published(corrected, published, member):
    b = row_of(corrected["before"], BOUNDARY_TITLE)
    after = row_of(corrected["boundary"], BOUNDARY_TITLE)
    assert after["pdf"] == (b["pdf"][0] - 1, b["pdf"][1])          # the end still shares its page
    assert after["printed"] == (b["printed"][0] - 1, b["printed"][1])
    shown = public(member, b["id"])
    printed = dashed(*after["printed"])
    assert f"{after['printed'][0]}-{after['printed'][1]}" == shown["api"]["pages"]
    assert printed in shown["page"]
    assert f"С. {printed}" in shown["gost"]
    assert f"pages = {{{after['printed'][0]}--{after['printed'][1]}}}" in shown["bib"]


def test_2_author_fix_survives_publishing(corrected, published, member, batch):
    a = row_of(corrected["before"], AUTHOR_TITLE)
    assert "Ляхов Л.Н." in corrected["authors"].splitlines()
    shown = public(member, a["id"])
    assert "Ляхов Л.Н." in shown["api"]["authors"] and "Ляхов Л.Н" not in shown["api"]["authors"]
    assert "Ляхов Л.Н." in shown["authors"] and not re.search(r"Ляхов Л\.Н(?!\.)", shown["authors"])
    assert shown["gost"].startswith("Ляхов, Л. Н.")
    assert re.search(r"author = \{Ляхов, Л\. ?Н\.", shown["bib"]), shown["bib"]
    hits = member.get_json("/api/search", q="Киприянова")
    assert a["id"] in [h["id"] for h in hits["hits"]]
    facet = hits["facets"].get("persons", {})
    member.page.goto(f"{member.base}/ru/search?q=Киприянова")
    names = member.page.locator("aside.facets").inner_text()
    assert facet and "Ляхов Л.Н." in names and not re.search(r"Ляхов Л\.Н(?!\.)", names)


def test_3_merge_then_split_leaves_no_stray_author(corrected, published, member):
    first, second = row_of(corrected["before"], MERGE_FIRST), row_of(corrected["before"], MERGE_SECOND)
    assert corrected["merged"]["pdf"] == (first["pdf"][0], second["pdf"][1])
    split = corrected["split"]
    assert row_of(split, MERGE_FIRST)["pdf"] == first["pdf"]          # the shared page is given back
    assert row_of(split, MERGE_SECOND)["pdf"] == second["pdf"]
    new_id = row_of(split, MERGE_SECOND)["id"]
    own = set(first["authors"].split("; "))
    theirs = set(second["authors"].split("; ")) - own
    a, b = public(member, first["id"]), public(member, new_id)
    assert theirs and set(a["api"]["authors"]) == own and theirs <= set(b["api"]["authors"])
    for name in theirs:                  # (the page may list the other article among related works)
        surname = name.split()[0]
        assert surname not in a["authors"], a["authors"]
        assert surname not in a["gost"], a["gost"]
        assert surname not in a["bib"], a["bib"]
        assert surname in b["gost"] and surname in b["authors"]
    assert f"С. {dashed(*first['printed'])}" in a["gost"]


def test_4_event_programme_keeps_its_lines_and_drops_script_text(site, member, editor):
    page = member.page
    page.goto(site + "/ru/entries/new/event")
    page.fill("#title_ru", "Круглый стол «Тіл саясаты»")
    page.select_option("#language", "kk")
    page.fill("#date", "2024-03-15")
    page.fill("#place", "Алматы")
    page.fill("#programme", "<ol><li>Кіріспе сөзі</li><li>Тұрсынбай Г. Тіл саясаты</li></ol>"
                            "<p>Ли В. Диалог мәдениеті<script>alert('programme')</script></p>")
    page.fill("#authors", "Тұрсынбай Гүлнар\nЛи Виктор")
    with page.expect_navigation():
        page.click("form[action*='/entries/new/event'] button[type=submit]")
    no_error(page)
    pub_id = int(re.search(r"/review/(\d+)", page.url).group(1))
    editor.page.goto(f"{site}/ru/review/{pub_id}")
    submit(editor.page, "section.actions form[action$='/publish']")
    shown = public(member, pub_id)
    programme = member.page.locator("#programme-h + *").inner_text()
    assert re.search(r"Кіріспе сөзі\s*\n\s*\S*\s*Тұрсынбай", programme), programme
    assert "alert" not in shown["page"] and "programme')" not in shown["page"]
    for word in ("Тұрсынбай", "диалог", "сөзі"):
        assert pub_id in [h["id"] for h in member.get_json("/api/search", q=word)["hits"]], word
    assert shown["api"]["kind"] == "event" and "Круглый стол «Тіл саясаты»" in shown["gost"]


def test_5_upload_page_follows_the_files_to_publication(published, batch):
    assert published["same_page"], "the upload page was reloaded instead of updating itself"
    assert "Опубликовано" in published["docx_row"] and "Публичная страница" in published["docx_row"]
    assert "Опубликовано" in published["volume_row"]
    assert published["docx_row_s"] < 10           # polled every 5 s while a file waits in review


def test_6_publishing_a_volume_is_background_work_and_cheap_refusals_never_wait(published, batch, member, editor):
    first = batch["first"]
    assert batch["answered_s"] < SLOW_REQUEST_S, batch["answered_s"]
    assert first["empty.pdf"]["status"] == first["noise.pdf"]["status"] == "error"   # decided in the request
    assert first[batch["volume"]]["status"] in ("queued", "running")                  # the worker's job
    assert batch["ready_s"]["note.docx"] < batch["ready_s"][batch["volume"]]
    # The request only queues the job (it blocked 17.5 s when it cut the volume itself); the progress the page
    # shows afterwards is the proof that the work happened in the background. The 2 s goal is measured by
    # bench/member_flows.py on a quiet machine; a loaded test machine is allowed SLOW_REQUEST_S.
    assert published["publish_request_s"] < SLOW_REQUEST_S and published["progress_shown"]
    assert published["job"]["status"] == "done", published["job"]
    articles = batch["final"][batch["volume"]]["publication_ids"][1:]
    assert len(articles) >= 80
    last = published["last"]
    shown = public(member, last["id"])
    assert shown["api"]["title"] == last["title"] and last["title"][:40] in shown["page"]
    assert shown["api"]["collection"] and shown["api"]["files"]["pdf"], shown["api"]
    assert f"С. {last['pages'].replace('-', '–')}" in shown["gost"] and "@" in shown["bib"]
    docx = public(member, batch["docx_id"])
    assert DOCX_TITLE in docx["page"].upper() and docx["api"]["authors"] == ["Ким С.В."]
    slowest = max(member.slowest(), editor.slowest())
    assert slowest[0] <= SLOW_REQUEST_S, f"slowest request of the flows: {slowest}"


def test_8_member_reads_every_page_signs_out_and_reads_messages_in_russian(site, member, batch, published):
    page = member.page
    page.goto(f"{site}/ru/review/{batch['volume_id']}")
    assert re.search(r"из (\d+)", page.locator("nav.pager").inner_text())
    total = int(re.search(r"из (\d+)", page.locator("nav.pager").inner_text()).group(1))
    assert total > 300
    text1 = page.locator("pre.pagetext").inner_text()
    with page.expect_navigation():
        page.click("nav.pager a[rel=next]")
    assert page.input_value("#page-no") == "2" and page.locator("pre.pagetext").inner_text() != text1
    page.goto(site + "/ru/upload")
    messages = {r: page.locator(f"tr[data-record='{batch['final'][r]['id']}'] .message").inner_text()
                for r in ("empty.pdf", "noise.pdf")}
    for text in messages.values():
        assert re.search(r"[а-яё]{4}", text) and not re.search(r"\b(the|file|empty)\b", text, re.I), messages
    sign_out = page.get_by_role("button", name="Выйти")
    assert sign_out.is_visible()
    box = sign_out.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 5
