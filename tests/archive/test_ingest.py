"""The ingest service with real files, a real SQLite database, real child processes and a real index."""
import io
import json
import zipfile
import zlib

import pytest
from sqlalchemy import func, select

from archive.models import IndexTask, ProcessingRecord, Publication, StoredFile
from archive.search import run_search
from archive.services import indexing
from archive.services.ingest import ingest_file
from support import KK_ARTICLE, RU_ARTICLE, make_pdf


@pytest.fixture
def ru_pdf(tmp_path):
    return make_pdf(tmp_path / "ivanova.pdf", RU_ARTICLE)


@pytest.fixture
def kk_pdf(tmp_path):
    return make_pdf(tmp_path / "seitqali.pdf", KK_ARTICLE)


def count(archive, model):
    with archive.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_ingest_pdf_creates_publication_with_pages_metadata_and_stored_file(archive, ru_pdf):
    out = ingest_file(archive, ru_pdf, "Иванова — статья.pdf", publish=True)
    assert out.status == "ok", out.error
    with archive.db.session() as s:
        pub = s.get(Publication, out.publication_ids[0])
        assert pub.status == "published"
        assert len(pub.pages) == 2 and pub.pages[0].method == "text"
        assert "согласие" in pub.title.lower()
        assert pub.language == "ru" and pub.year == 2019
        assert [a.person.surname for a in pub.authorships] == ["Иванова"]
        sf = pub.source_file
        assert sf.original_name == "Иванова — статья.pdf"
        stored = archive.files.path_for(sf.sha256)
        assert stored.read_bytes() == ru_pdf.read_bytes()


def test_published_upload_is_searchable_by_other_word_forms(archive, ru_pdf, kk_pdf):
    ids_ru = ingest_file(archive, ru_pdf, publish=True).publication_ids
    ids_kk = ingest_file(archive, kk_pdf, publish=True).publication_ids
    with archive.db.session() as s:
        assert [h.publication.id for h in run_search(archive, s, "озёрам").hits] == ids_ru
        assert [h.publication.id for h in run_search(archive, s, "ақындары").hits] == ids_kk
        hit = run_search(archive, s, "межэтническим отношениям").hits[0]
        assert "<mark>" in hit.snippet_html and hit.snippets[0].page in (1, 2)


def test_draft_is_not_searchable(archive, ru_pdf):
    out = ingest_file(archive, ru_pdf, publish=False)
    assert out.status == "ok"
    with archive.db.session() as s:
        assert run_search(archive, s, "согласие").total == 0
    assert count(archive, IndexTask) == 0


def test_same_bytes_again_is_a_duplicate_pointing_to_the_record(archive, ru_pdf, tmp_path):
    first = ingest_file(archive, ru_pdf, publish=True)
    copy = tmp_path / "other-name.pdf"
    copy.write_bytes(ru_pdf.read_bytes())
    again = ingest_file(archive, copy, publish=True)
    assert again.status == "duplicate" and again.publication_ids == first.publication_ids
    assert count(archive, Publication) == 1 and count(archive, StoredFile) == 1


def test_path_like_upload_name_is_stored_as_text_not_used_as_path(archive, ru_pdf):
    out = ingest_file(archive, ru_pdf, "../../etc/passwd.pdf")
    with archive.db.session() as s:
        pub = s.get(Publication, out.publication_ids[0])
        assert pub.source_file.original_name == "passwd.pdf"
    assert not (archive.data_dir.parent / "etc").exists()
    long_name = "Межэтнические отношения " * 12 + ".pdf"
    out2 = ingest_file(archive, make_pdf(ru_pdf.parent / "b.pdf", ["Другой текст о согласии."]), long_name)
    assert out2.status == "ok"


@pytest.mark.parametrize("name, content, fragment", [
    ("empty.pdf", b"", "empty"),
    ("page.pdf", b"<!DOCTYPE html><html><body>Not a PDF</body></html>", "web page"),
    ("noise.pdf", bytes(range(256)) * 40, "not a PDF"),
    ("truncated.pdf", None, "damaged"),
    ("fake.docx", b"PK\x03\x04 this is not really a zip", "damaged"),
    ("notes.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".docx"),
])
def test_bad_files_get_a_clear_message_and_no_records(archive, tmp_path, ru_pdf, name, content, fragment):
    path = tmp_path / name
    if content is None:
        data = ru_pdf.read_bytes()
        content = data[: len(data) // 3]
    path.write_bytes(content)
    out = ingest_file(archive, path)
    assert out.status == "error"
    assert fragment.lower() in out.error.lower()
    assert "Traceback" not in out.error
    assert count(archive, Publication) == 0 and count(archive, StoredFile) == 0
    with archive.db.session() as s:
        rec = s.scalars(select(ProcessingRecord)).one()
        assert rec.status == "error" and rec.message == out.error


def test_encrypted_pdf_is_refused_with_a_clear_message(archive, ru_pdf, tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter(clone_from=PdfReader(str(ru_pdf)))
    w.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as fh:
        w.write(fh)
    out = ingest_file(archive, path)
    assert out.status == "error" and "password" in out.error


def test_docx_zip_bomb_is_refused(archive, tmp_path):
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"<w:document>" + b" " * (300 * 1024 * 1024) + b"</w:document>")
    assert path.stat().st_size < 2 * 1024 * 1024
    out = ingest_file(archive, path)
    assert out.status == "error" and "zip bomb" in out.error


def test_pdf_decompression_bomb_stops_at_the_memory_limit(app, archive, tmp_path):
    from uploads.limits import Limits

    archive.limits = Limits(seconds=60, memory_mb=700, max_pages=100, ocr=False)
    stream = zlib.compress(b"0 0 0 rg\n" + b" " * (1200 * 1024 * 1024), 9)
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
            + b"4 0 obj<</Length " + str(len(stream)).encode() + b"/Filter/FlateDecode>>stream\n" + stream
            + b"\nendstream endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")
    path = tmp_path / "bomb.pdf"
    path.write_bytes(body)
    out = ingest_file(archive, path)
    assert out.status == "error"
    assert "memory limit" in out.error or "No text" in out.error
    assert count(archive, Publication) == 0


def test_slow_extraction_stops_at_the_time_limit(archive, tmp_path):
    from uploads.limits import Limits

    archive.limits = Limits(seconds=0.3, memory_mb=1536, max_pages=3000, ocr=False)
    pages = ["Страница номер %d о межэтническом согласии. " % i * 30 for i in range(150)]
    path = make_pdf(tmp_path / "long.pdf", pages)
    out = ingest_file(archive, path)
    assert out.status == "error" and "longer than the limit" in out.error


def test_index_failure_leaves_work_pending_and_a_later_run_catches_up(archive, ru_pdf, monkeypatch):
    backend = archive.search
    original = backend.update

    def broken(docs):
        raise OSError("disk full")

    monkeypatch.setattr(backend, "update", broken)
    out = ingest_file(archive, ru_pdf, publish=True)
    assert out.status == "ok"                                # the upload stands
    assert count(archive, IndexTask) == 1
    monkeypatch.setattr(backend, "update", original)
    assert indexing.process_index_tasks(archive) == 1
    assert count(archive, IndexTask) == 0
    with archive.db.session() as s:
        assert run_search(archive, s, "согласие").total == 1     # only the Russian article was ingested


def test_reindex_rebuilds_from_the_database(archive, ru_pdf, kk_pdf):
    ingest_file(archive, ru_pdf, publish=True)
    ingest_file(archive, kk_pdf, publish=True)
    archive.search.clear()
    with archive.db.session() as s:
        assert run_search(archive, s, "согласие").total == 0
    n, _secs = indexing.rebuild_index(archive)
    assert n == 2
    with archive.db.session() as s:
        assert run_search(archive, s, "согласие", translate=False).total == 1
        both = run_search(archive, s, "согласие")       # and the Kazakh article through «келісім»
        assert both.total == 2 and [h.translated for h in both.hits] == [False, True]


def test_volume_is_split_into_articles_with_their_own_pdfs_and_volume_metadata(archive, client):
    from pypdf import PdfReader

    from support import DEMO

    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    assert out.status == "ok" and out.is_volume
    volume_id, *article_ids = out.publication_ids
    assert len(article_ids) == 3
    with archive.db.session() as s:
        vol = s.get(Publication, volume_id)
        assert vol.kind == "volume" and len(vol.pages) == 14
        arts = [s.get(Publication, i) for i in article_ids]
        assert [(a.page_start, a.page_end) for a in arts] == [(5, 7), (8, 10), (11, 12)]   # «Сведения об авторах» is back matter
        assert [(a.pdf_page_start, a.pdf_page_end) for a in arts] == [(6, 8), (9, 11), (12, 13)]
        assert [a.language for a in arts] == ["ru", "ru", "kk"]
        assert [p.person.surname for p in arts[1].authorships] == ["Нургалиева", "Шмидт"]
        assert arts[0].volume.isbn == "978-601-80123-4-1" and arts[0].volume.place == "Алматы"
        assert all(a.parent_id == volume_id and a.year == 2023 for a in arts)
        pdf = archive.files.path_for(arts[0].article_file.sha256)
        assert len(PdfReader(str(pdf)).pages) == 3
        assert "Межконфессиональный" in arts[0].pages[0].text
    hit = client.get(f"/api/publications/{article_ids[0]}").get_json()
    assert hit["pages"] == "5-7" and hit["collection"]["id"]
    r = client.get(f"/p/{article_ids[0]}/article.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    data = client.get("/api/search", query_string={"q": "межконфессионального диалога"}).get_json()
    assert data["hits"][0]["id"] == article_ids[0]                     # the article ranks, not the volume


def test_same_article_as_pdf_and_docx_is_flagged_not_merged(archive):
    from support import DEMO

    docx = ingest_file(archive, DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.docx", publish=True)
    pdf = ingest_file(archive, DEMO / "ru-2022-molodezh-grazhdanskaya-identichnost.pdf", publish=True)
    other = ingest_file(archive, DEMO / "ru-2020-yazykovaya-politika-trekhyazychie.pdf", publish=True)
    with archive.db.session() as s:
        assert s.get(Publication, pdf.publication_ids[0]).duplicate_of_id == docx.publication_ids[0]
        assert s.get(Publication, other.publication_ids[0]).duplicate_of_id is None
        assert s.get(Publication, docx.publication_ids[0]).status == "published"   # both records stay


def test_simhash_distance_separates_versions_from_other_texts():
    from archive.services.duplicates import distance, simhash

    base = " ".join(f"слово{i % 97} текст{i % 13} пример{i % 7}" for i in range(400))
    edited = base.replace("слово5 ", "изменено ", 3)
    unrelated = " ".join(f"другое{i % 89} иное{i % 11}" for i in range(400))
    assert distance(simhash(base), simhash(edited)) <= 12 < distance(simhash(base), simhash(unrelated))
    assert simhash("слишком мало слов") is None


@pytest.mark.parametrize("name, fragment", [
    ("empty.pdf", "empty"), ("truncated.pdf", "damaged"), ("html_named.pdf", "web page"),
    ("random_bytes.pdf", "not a PDF"), ("encrypted.pdf", "password"), ("not_a_zip.docx", "not a PDF"),
    ("looping_pages.pdf", "damaged"),
])
def test_project_fixtures_of_bad_files_get_specific_messages(archive, name, fragment):
    from support import DATA

    out = ingest_file(archive, DATA / name)
    assert out.status == "error" and fragment in out.error, out.error


def test_markup_in_titles_is_stored_as_text_and_escaped_on_pages(archive, client):
    from support import DATA

    out = ingest_file(archive, DATA / "xss_title.pdf", publish=True)
    with archive.db.session() as s:
        assert "<script>" in s.get(Publication, out.publication_ids[0]).title      # kept as the person wrote it
    for url in (f"/p/{out.publication_ids[0]}", "/search?q=alert", "/"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_a_long_volumes_split_runs_at_the_usual_priority_while_its_transaction_is_open(archive, monkeypatch):
    """A long upload is extracted at the lower priority, but cutting its articles' PDFs happens while the
    ingest transaction holds SQLite's write lock: that child keeps the usual priority, so other writers are
    not kept waiting behind a starved process."""
    from dataclasses import replace

    from archive.services import ingest
    from support import DEMO

    seen = []
    real_process, real_limited = ingest.process_file, ingest.run_limited
    monkeypatch.setattr(ingest, "process_file",
                        lambda path, limits, on_progress=None: seen.append(("extract", limits.priority))
                        or real_process(path, limits, on_progress=on_progress))
    monkeypatch.setattr(ingest, "run_limited",
                        lambda func, args, limits: seen.append((func.__name__, limits.priority))
                        or real_limited(func, args, limits))
    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf",
                      limits=replace(archive.limits, priority="low"))
    assert out.status == "ok" and out.is_volume
    assert seen == [("extract", "low"), ("split_pdf", "normal")]
