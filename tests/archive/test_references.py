"""Reference lists in the archive: stored at ingest (PDF, DOCX, volumes), linked to published works in both
orders, never on a weak match, confirmed or removed in review (surviving relink and reindex), shown on the
publication and person pages, in the API, as citation_reference tags and OAI-PMH dc:relation; check reports
unparsed lists; backup and restore keep the links. Real files, real database (SQLite or PostgreSQL), real index."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html
from sqlalchemy import select

from archive.models import AuditEvent, Publication, PublicationReference, WorkKey
from archive.services import publishing, references
from archive.services.ingest import ingest_file
from support import DATA, KK_ARTICLE, RU_ARTICLE, corpus_path, make_pdf, statements

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures

BASE = "https://archive.example.kz"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"

# B (Kazakh, 2021) cites A (RU_ARTICLE: Иванова М.П., 2019) twice — in Cyrillic and transliterated — and a
# work that is not in the archive.
CITING_LIST = (
    "Әдебиеттер\n"
    "1. Иванова М.П. Межэтническое согласие в городской среде Алматы // Вестник КазНУ. Серия философии. "
    "2019. № 2. С. 12–18.\n"
    "2. Ivanova M.P. Mezhetnicheskoe soglasie v gorodskoj srede Almaty // Vestnik KazNU. 2019. No 2. P. 12–18.\n"
    "3. Петров И.И. Языковая политика в Казахстане // Полис. 2015. № 3. С. 45–60.\n")
# C cites A's title only weakly: another author and year, and a bare title with another year.
WEAK_ARTICLE = ("УДК 316.4\nПетренко А.А.\nГОРОДСКАЯ ИДЕНТИЧНОСТЬ И ЯЗЫК\n"
                "Аннотация. Статья о городской идентичности жителей Шымкента в 2022 году.\n"
                "Городская идентичность складывается из языка, памяти и повседневных встреч горожан.")
WEAK_ENTRIES = ["Петров И.И. Межэтническое согласие в городской среде Алматы // Полис. 2005. № 1. С. 3–9.",
                "Межэтническое согласие в городской среде Алматы. – Алматы: Білім, 2010. – 120 с."]


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    from docx import Document

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.save(str(path))
    return path


@pytest.fixture
def docs(tmp_path) -> dict[str, Path]:
    return {"cited": make_pdf(tmp_path / "a.pdf", RU_ARTICLE),
            "citing": make_pdf(tmp_path / "b.pdf", KK_ARTICLE + [CITING_LIST]),
            "weak": make_docx(tmp_path / "c.docx", WEAK_ARTICLE.split("\n")
                              + ["Список литературы"] + [f"{i}. {e}" for i, e in enumerate(WEAK_ENTRIES, 1)])}


def ingest(archive, path: Path, publish: bool = True, user_id: int | None = None) -> int:
    out = ingest_file(archive, path, publish=publish, user_id=user_id)
    assert out.status == "ok", out.error
    return out.publication_ids[0]


def rows_of(archive, pub_id: int) -> list[tuple[int, int | None, str]]:
    with archive.db.session() as s:
        return [(r.position, r.target_publication_id, r.link_status) for r in references.references_of(s, pub_id)]


def cited_by_ids(archive, pub_id: int) -> list[int]:
    with archive.db.session() as s:
        return [p.id for p in references.cited_by(s, pub_id)]


@pytest.mark.parametrize("order", ["cited-first", "citing-first"])
def test_links_appear_after_publish_in_both_orders(archive, docs, order):
    if order == "cited-first":
        a = ingest(archive, docs["cited"])
        b = ingest(archive, docs["citing"])
    else:
        b = ingest(archive, docs["citing"])
        assert [t for _p, t, _s in rows_of(archive, b)] == [None, None, None]   # nothing to cite yet
        a = ingest(archive, docs["cited"])
    assert rows_of(archive, b) == [(1, a, "auto"), (2, a, "auto"), (3, None, "auto")]
    assert cited_by_ids(archive, a) == [b] and cited_by_ids(archive, b) == []
    with archive.db.session() as s:
        stored = references.references_of(s, b)
        assert stored[0].authors == ["Иванова М.П."] and stored[0].year == 2019 and stored[0].pages == "12-18"
        assert stored[0].raw.startswith("Иванова М.П. Межэтническое") and stored[0].score >= 0.8
        assert references.cited_counts(s, [a, b]) == {a: 1}
        # linking is a lookup in work_keys: the cited work has its keys, a draft would have none
        assert s.scalar(select(WorkKey.id).where(WorkKey.publication_id == a)) is not None


def test_weak_match_is_not_linked_and_docx_lists_are_read(archive, docs):
    a = ingest(archive, docs["cited"])
    c = ingest(archive, docs["weak"])
    with archive.db.session() as s:
        stored = references.references_of(s, c)
        assert [r.raw for r in stored] == WEAK_ENTRIES
        assert all(r.target_publication_id is None for r in stored)
        assert all(references.best_match(s, r)[1] < 0.8 for r in stored)   # scored, found wanting
    assert cited_by_ids(archive, a) == []


def test_draft_references_count_only_once_published_and_withdrawal_hides_the_link(archive, docs):
    a = ingest(archive, docs["cited"])
    b = ingest(archive, docs["citing"], publish=False)
    assert rows_of(archive, b)[0][1] == a                  # a suggestion for the reviewer already
    assert cited_by_ids(archive, a) == []                  # but a draft cites nothing in public
    with archive.db.session() as s:
        editor = _editor(s)
        publishing.publish(s, editor, b)
        s.commit()
    assert cited_by_ids(archive, a) == [b]
    with archive.db.session() as s:
        publishing.withdraw(s, _editor(s), a, {"reason": "проверка"})
        s.commit()
    assert rows_of(archive, b)[0][1] is None and cited_by_ids(archive, a) == []


def _editor(session):
    from archive.services.accounts import create_user
    from archive.models import User

    user = session.scalars(select(User).where(User.email == "ed@example.kz")).first()
    return user or create_user(session, "ed@example.kz", "correct horse battery", role="editor")


def test_review_confirm_and_remove_survive_relink_and_reindex(signed_in, archive, users, docs, runner):
    member, other, editor = signed_in("member"), signed_in("other"), signed_in("editor")
    a = ingest(archive, docs["cited"])
    b = ingest(archive, docs["citing"], publish=False, user_id=users["member"])
    with archive.db.session() as s:
        ref1, ref2 = [r.id for r in references.references_of(s, b)][:2]
    page = member.get(f"/review/{b}").get_data(as_text=True)
    assert "Confirm link" in page and f"/review/{b}/references/{ref1}" in page
    url = f"/review/{b}/references/{ref1}"
    assert member.post(url, data={"decision": "confirm"}).status_code == 400           # no CSRF token
    assert other.post(url, data={"csrf_token": other.csrf, "decision": "confirm"}).status_code == 404
    r = member.post(url, data={"csrf_token": member.csrf, "decision": "maybe"})
    assert r.status_code == 400 and "Choose to confirm or to remove the link." in r.get_data(as_text=True)
    r = member.post(url, data={"csrf_token": member.csrf, "decision": "confirm"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"#reference-{ref1}")
    r = member.post(f"/review/{b}/references/{ref2}", data={"csrf_token": member.csrf, "decision": "remove"})
    assert r.status_code == 303
    assert rows_of(archive, b)[:2] == [(1, a, "confirmed"), (2, None, "removed")]
    with archive.db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("reference.%"))
                                                .order_by(AuditEvent.id))]
    assert actions == ["reference.confirm", "reference.remove"]
    assert editor.post(f"/review/{b}/publish", data={"csrf_token": editor.csrf}).status_code == 303

    res = runner.invoke(args=["relink"])
    assert res.exit_code == 0 and "1 linked" in res.output, res.output
    res = runner.invoke(args=["reindex"])
    assert res.exit_code == 0, res.output
    assert rows_of(archive, b)[:2] == [(1, a, "confirmed"), (2, None, "removed")]
    assert cited_by_ids(archive, a) == [b]

    # The pages: references (linked), the count of citing works, the person's cited works.
    page = editor.get(f"/p/{b}").get_data(as_text=True)
    doc = lxml_html.fromstring(page)
    items = doc.xpath('//section[@class="references"]//li')
    assert len(items) == 3 and items[0].xpath(".//a/@href") == [f"/p/{a}"] and not items[1].xpath(".//a")
    page = editor.get(f"/p/{a}").get_data(as_text=True)
    assert "Cited in the archive: 1" in page and f'href="/p/{b}"' in page
    # A work no one in the archive cites shows no "cited" section (not a count of 0).
    assert 'class="cited-by"' not in editor.get(f"/p/{b}").get_data(as_text=True)
    ru = member.get(f"/p/{a}?hl=ru").get_data(as_text=True)
    assert "Цитируется в архиве: 1" in ru
    person = re.search(r'href="(/authors/\d+)"', page).group(1)
    assert "Cited in the archive: 1" in editor.get(person).get_data(as_text=True)
    assert "Әдебиеттер" in editor.get(f"/p/{b}?hl=kk").get_data(as_text=True)


def test_api_scholar_tags_and_oai_relation(app, archive, client, docs):
    from archive.views import oai

    if oai.bp.name not in app.blueprints:
        app.register_blueprint(oai.bp)
    app.config["PUBLIC_BASE_URL"] = BASE
    a = ingest(archive, docs["cited"])
    b = ingest(archive, docs["citing"])

    data = client.get(f"/api/publications/{b}").get_json()
    assert [r["position"] for r in data["references"]] == [1, 2, 3]
    first = data["references"][0]
    assert first["title"] == "Межэтническое согласие в городской среде Алматы" and first["year"] == 2019
    assert first["target"] == {"id": a, "url": f"{BASE}/p/{a}", "link_status": "auto"}
    assert data["references"][2]["target"] is None and data["cited_by"] == []
    cited = client.get(f"/api/publications/{a}").get_json()
    assert [c["id"] for c in cited["cited_by"]] == [b] and cited["cited_by"][0]["url"] == f"{BASE}/p/{b}"

    page = client.get(f"/p/{b}").get_data(as_text=True)
    tags = [m.get("content") for m in lxml_html.fromstring(page).iter("meta") if m.get("name") == "citation_reference"]
    assert len(tags) == 3 and all(t.strip() for t in tags)
    assert tags[0].startswith("citation_author=Иванова М.П.; citation_title=Межэтническое согласие в городской "
                              "среде Алматы; citation_journal_title=Вестник КазНУ")
    assert "citation_publication_date=2019" in tags[0]

    ris = client.get(f"/p/{b}/references.ris").get_data(as_text=True)
    assert ris.count("ER  - ") == 3 and f"UR  - {BASE}/p/{a}" in ris           # the linked entry: the work's record
    assert "TI  - Языковая политика в Казахстане\r\nT2  - Полис\r\nPY  - 2015\r\nSP  - 45\r\nEP  - 60" in ris
    bib = client.get(f"/p/{b}/references.bib").get_data(as_text=True)
    assert bib.count("\n@") + bib.startswith("@") == 3 and "pages = {45--60}" in bib
    csl = client.get(f"/p/{b}/references.json").get_json()
    assert [c["id"] for c in csl] == [f"kelisim{b}ref1", f"kelisim{b}ref2", f"kelisim{b}ref3"]
    assert csl[2]["container-title"] == "Полис" and csl[2]["issued"] == {"date-parts": [[2015]]}
    txt = client.get(f"/p/{b}/references.txt").get_data(as_text=True)
    assert txt.splitlines()[2] == "3. Петров И.И. Языковая политика в Казахстане // Полис. 2015. № 3. С. 45–60."
    assert client.get(f"/p/{a}/references.ris").status_code == 404               # a work without a list
    assert client.get(f"/p/{b}/references.exe").status_code == 404

    resp = client.get("/oai", query_string={"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                            "identifier": f"oai:archive.example.kz:{b}"})
    root = etree.fromstring(resp.data)
    etree.XMLSchema(etree.parse(str(DATA / "oai" / "OAI-PMH.xsd"))).assertValid(etree.ElementTree(root))
    dc = root.find(f".//{OAI}metadata")[0]
    etree.XMLSchema(etree.parse(str(DATA / "oai" / "oai_dc.xsd"))).assertValid(etree.ElementTree(dc))
    assert [e.text for e in dc.iter(f"{DC}relation")] == [f"{BASE}/p/{a}"]
    # A page of records reads the links of all its records at once.
    with statements(archive.db.engine) as ran:
        listed = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    root = etree.fromstring(listed.data)
    relations = {int(r.findtext(f".//{OAI}identifier").rsplit(":", 1)[1]): [e.text for e in r.iter(f"{DC}relation")]
                 for r in root.iter(f"{OAI}record")}
    assert relations == {a: [], b: [f"{BASE}/p/{a}"]}
    assert len([st for st, _p in ran if "publication_references" in st and "target_publication_id" in st]) == 1


def test_check_reports_an_unparsed_reference_list(archive, runner, tmp_path):
    junk = ["УДК 316\nКасымов Б.Б.\nО ГОРОДСКИХ ПРАЗДНИКАХ\nТекст статьи о праздниках в городе Алматы в 2020 году.",
            "Список литературы\n1. Там же.\n2. Там же.\n3. Ibid.\n"
            "4. Иванов И.И. Книга о городе. М.: Наука, 2001. 200 с.\n"]
    pid = ingest(archive, make_pdf(tmp_path / "junk.pdf", junk), publish=False)
    res = runner.invoke(args=["check", "--no-hashes"])
    assert res.exit_code == 1
    assert f"references publication {pid}: 3 of 4 entries unparsed" in res.output
    assert "1 reference list(s) mostly unparsed" in res.output


def test_backup_and_restore_keep_the_links(archive, docs, tmp_path):
    from archive import create_app
    from archive.services.backup import backup_archive, restore_archive

    a = ingest(archive, docs["cited"])
    b = ingest(archive, docs["citing"])
    with archive.db.session() as s:
        references.remove_link(s, _editor(s), b, references.references_of(s, b)[1].id)
        s.commit()
    before = rows_of(archive, b)
    assert before == [(1, a, "auto"), (2, None, "removed"), (3, None, "auto")]
    backup_archive(archive, tmp_path / "bk")
    dst_app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "dst"), "SECRET_KEY": "s",
                          "DATABASE_URL": f"sqlite:///{tmp_path / 'dst.db'}"})
    dst = dst_app.extensions["archive"]
    try:
        restore_archive(dst, tmp_path / "bk")
        assert rows_of(dst, b) == before and cited_by_ids(dst, a) == [b]
        with dst.db.session() as s:
            assert s.scalar(select(WorkKey.id).where(WorkKey.publication_id == a)) is not None
    finally:
        dst.close()


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_volume_stores_references_per_article(archive):
    volume = corpus_path("collections", "ru_sterlitamak_mathphys_2021_vol1.pdf")
    out = ingest_file(archive, volume)
    assert out.status == "ok" and out.is_volume
    with archive.db.session() as s:
        articles = list(s.scalars(select(Publication).where(Publication.parent_id == out.publication_ids[0])))
        per_article = {p.id: len(references.references_of(s, p.id)) for p in articles}
        on_volume = len(references.references_of(s, out.publication_ids[0]))
        total = s.scalar(select(PublicationReference.id).order_by(PublicationReference.id.desc()).limit(1))
    assert len(articles) >= 80 and on_volume == 0              # each article its own list, none on the volume
    assert sum(1 for n in per_article.values() if n) >= 0.8 * len(articles)
    assert sum(per_article.values()) >= 400 and total


def test_split_correction_reads_the_articles_lists_again(archive, users):
    from archive.models import PublicationPage, User, Volume
    from archive.services import splits

    texts = ["ПЕРВАЯ СТАТЬЯ СБОРНИКА\nТекст первой статьи.", "Продолжение первой статьи.",
             "ВТОРАЯ СТАТЬЯ СБОРНИКА\nТекст второй статьи о городе.",
             "Список литературы\n1. Иванова М.П. Межэтническое согласие в городской среде Алматы // Вестник КазНУ. "
             "2019. № 2. С. 12–18.\n2. Петров И.И. Языковая политика в Казахстане // Полис. 2015. № 3. С. 45–60."]
    with archive.db.session() as s:
        vp = Publication(kind="volume", status="draft", title="Сборник", volume=Volume(title="Сборник", year=2021),
                         created_by_id=users["member"], language="ru", year=2021)
        vp.pages = [PublicationPage(number=n, text=t) for n, t in enumerate(texts, start=1)]
        s.add(vp)
        s.flush()
        arts = []
        for title, (a, b) in (("Первая статья сборника", (1, 2)), ("Вторая статья сборника", (3, 3))):
            art = Publication(kind="article", status="draft", title=title, parent_id=vp.id, volume_id=vp.volume_id,
                              created_by_id=users["member"], pdf_page_start=a, pdf_page_end=b, language="ru")
            art.pages = [PublicationPage(number=k, text=texts[n - 1]) for k, n in enumerate(range(a, b + 1), 1)]
            s.add(art)
            s.flush()
            arts.append(art.id)
        s.commit()
    assert rows_of(archive, arts[1]) == []
    with archive.db.session() as s:
        splits.move_boundary(s, s.get(User, users["member"]), arts[1], {"start": "3", "end": "4"})
        s.commit()
        got = [r.raw for r in references.references_of(s, arts[1])]
    assert got == ["Иванова М.П. Межэтническое согласие в городской среде Алматы // Вестник КазНУ. 2019. № 2. "
                   "С. 12–18.", "Петров И.И. Языковая политика в Казахстане // Полис. 2015. № 3. С. 45–60."]
    assert rows_of(archive, arts[0]) == []


def test_relink_reread_fills_lists_of_an_archive_upgraded_without_them(archive, docs, runner):
    from sqlalchemy import delete

    a = ingest(archive, docs["cited"])
    b = ingest(archive, docs["citing"])
    with archive.db.session() as s:                 # as after migration 0007 on an older archive
        s.execute(delete(PublicationReference))
        s.commit()
    assert rows_of(archive, b) == [] and cited_by_ids(archive, a) == []
    res = runner.invoke(args=["relink", "--reread"])
    assert res.exit_code == 0, res.output
    assert "Read 3 reference(s) again" in res.output and "3 reference(s) of 2 published work(s): 2 linked" in res.output
    assert rows_of(archive, b) == [(1, a, "auto"), (2, a, "auto"), (3, None, "auto")]
