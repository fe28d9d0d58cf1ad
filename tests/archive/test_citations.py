"""Citation formats built from in-memory publications (no database), plus the download routes."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from archive.models import Authorship, Person, Publication, Volume
from archive.services import citations as c
from support import DATA

BASE = "https://archive.example.kz"
DC = "{http://purl.org/dc/elements/1.1/}"


def person(surname: str, given: str) -> Person:
    return Person(name=f"{surname} {given}", surname=surname, given=given)


def volume(**kw) -> Volume:
    fields = dict(id=3, title="Межэтническое согласие и гражданская идентичность",
                  event_title="Международная научно-практическая конференция", place="Алматы",
                  dates_text="20 ноября 2019 г.", publisher="Қазақ университеті", year=2019,
                  isbn="978-601-04-1234-5", editors=["Сериков А.Б."])
    fields.update(kw)
    return Volume(**fields)


def pub(authors=(("Иванова", "М.П."),), vol: Volume | None = None, **kw) -> Publication:
    fields = dict(id=12, kind="article", status="published", title="Межэтническое согласие в городской среде Алматы",
                  titles={"ru": "Межэтническое согласие в городской среде Алматы",
                          "en": "Interethnic accord in Almaty"},
                  abstracts={"ru": "Статья о согласии."}, keywords=["согласие", "язык"], language="ru", year=2019,
                  page_start=12, page_end=18, extra={}, isbn="", doi="")
    fields.update(kw)
    p = Publication(**fields)
    p.volume = vol
    p.authorships = [Authorship(person=person(s, g), position=i) for i, (s, g) in enumerate(authors, 1)]
    return p


THREE = (("Иванова", "М.П."), ("Ахметов", "Болат Серикович"), ("Петров", "И."))
FOUR = THREE + (("Сейтқали", "Айгерім Болатқызы"),)
FIVE = FOUR + (("Ким", "Д. В."),)
HOST = ("// Межэтническое согласие и гражданская идентичность : материалы конф. (Алматы, 20 нояб. 2019 г.). "
        "– Алматы : Қазақ университеті, 2019. – С. 12–18.")
TITLE = "Межэтническое согласие в городской среде Алматы"

GOST_CASES = {
    "ru-article-in-volume": (
        lambda: pub(vol=volume()),
        f"Иванова, М. П. {TITLE} / М. П. Иванова {HOST}"),
    "three-authors": (
        lambda: pub(THREE, vol=volume()),
        f"Иванова, М. П. {TITLE} / М. П. Иванова, Б. С. Ахметов, И. Петров {HOST}"),
    "four-authors-no-heading": (
        lambda: pub(FOUR, vol=volume()),
        f"{TITLE} / М. П. Иванова, Б. С. Ахметов, И. Петров, А. Б. Сейтқали {HOST}"),
    "five-authors-et-al": (
        lambda: pub(FIVE, vol=volume()),
        f"{TITLE} / М. П. Иванова [и др.] {HOST}"),
    "missing-year-and-pages": (
        lambda: pub(vol=volume(year=None, dates_text=""), year=None, page_start=None, page_end=None),
        f"Иванова, М. П. {TITLE} / М. П. Иванова // Межэтническое согласие и гражданская идентичность : "
        "материалы конф. (Алматы). – Алматы : Қазақ университеті, [б. г.]."),
    "kk-article-in-volume": (
        lambda: pub((("Сейтқали", "Айгерім Болатқызы"),), vol=volume(title="Тіл және қоғам", place="Алматы",
                                                                         dates_text="", event_title="", year=2021),
                    title="Тіл саясаты және қазақ ақындары", language="kk", year=2021, page_start=5, page_end=9),
        "Сейтқали, А. Б. Тіл саясаты және қазақ ақындары / А. Б. Сейтқали // Тіл және қоғам. "
        "– Алматы : Қазақ университеті, 2021. – Б. 5–9."),
    "kk-standalone-article": (
        lambda: pub((("Сейтқали", "Айгерім Болатқызы"),), title="Тіл саясаты және қазақ ақындары", language="kk",
                    year=2021, page_start=None, page_end=None),
        "Сейтқали, А. Б. Тіл саясаты және қазақ ақындары / А. Б. Сейтқали. – 2021."),
    "volume": (
        lambda: pub((), vol=volume(), kind="volume", id=11, title="Межэтническое согласие и гражданская идентичность",
                    page_start=None, page_end=None),
        "Межэтническое согласие и гражданская идентичность : материалы конф. (Алматы, 20 нояб. 2019 г.) / "
        "отв. ред. А. Б. Сериков. – Алматы : Қазақ университеті, 2019. – ISBN 978-601-04-1234-5."),
}


@pytest.mark.parametrize("case", list(GOST_CASES))
def test_gost_r_7_0_100_without_url(case):
    make, expected = GOST_CASES[case]
    assert c.gost_r_7_0_100(make()) == expected


def test_gost_r_7_0_100_electronic_with_url_and_access_date():
    text = c.gost_r_7_0_100(pub(vol=volume()), BASE, accessed=date(2025, 1, 14))
    assert text == (f"Иванова, М. П. {TITLE} / М. П. Иванова. – Текст : электронный {HOST} "
                    f"– URL: {BASE}/p/12 (дата обращения: 14.01.2025).")


def test_gost_7_1_uses_em_dash_and_electronic_resource_gmd():
    p = pub(vol=volume())
    assert c.gost_7_1(p) == f"Иванова, М. П. {TITLE} / М. П. Иванова {HOST}".replace(" – ", " — ")
    text = c.gost_7_1(p, BASE, accessed=date(2025, 1, 14))
    assert text.startswith(f"Иванова, М. П. {TITLE} [Электронный ресурс] / М. П. Иванова // ")
    assert text.endswith(f"— Режим доступа: {BASE}/p/12 (дата обращения: 14.01.2025).")


def test_bibtex_inproceedings_with_ascii_key():
    text = c.bibtex(pub(THREE, vol=volume()), BASE)
    assert text.startswith("@inproceedings{ivanova2019mezhetnicheskoe,\n")
    assert "  author = {Иванова, М. П. and Ахметов, Болат Серикович and Петров, И.},\n" in text
    assert "  booktitle = {Межэтническое согласие и гражданская идентичность},\n" in text
    assert "  pages = {12--18},\n" in text and "  year = {2019},\n" in text
    assert f"  url = {{{BASE}/p/12}},\n" in text and "  language = {russian}" in text
    assert text.endswith("}\n")


@pytest.mark.parametrize("make, kind, key", [
    (lambda: pub(), "misc", "ivanova2019mezhetnicheskoe"),          # no journal known: never @article
    (lambda: pub(extra={"journal": "Вестник КазНУ"}), "article", "ivanova2019mezhetnicheskoe"),
    (lambda: pub(vol=volume()), "inproceedings", "ivanova2019mezhetnicheskoe"),
    (lambda: pub(extra={"genre": "thesis"}), "misc", "ivanova2019mezhetnicheskoe"),        # no school known
    (lambda: pub(extra={"genre": "book"}), "booklet", "ivanova2019mezhetnicheskoe"),       # no publisher known
    (lambda: pub(extra={"genre": "standard"}), "misc", "ivanova2019mezhetnicheskoe"),
    (lambda: pub(vol=volume(), kind="volume", title="Тіл және қоғам", language="kk"), "proceedings",
     "ivanova2019til"),
    (lambda: pub((), vol=volume(event_title="", dates_text=""), kind="volume", title="О языке"), "book",
     "serikov2019iazyke"),
    (lambda: pub((("Сейтқали", "Айгерім"),), kind="report", title="Қазақ тілі", year=2021), "techreport",
     "seitqali2021qazaq"),
    (lambda: pub((), kind="commentary", title="", titles={}, year=None), "misc", "kelisim12"),
])
def test_bibtex_entry_types_and_keys(make, kind, key):
    assert c.bibtex(make()).startswith(f"@{kind}{{{key},\n")


@pytest.mark.parametrize("make, ris_type, csl_type", [
    (lambda: pub(), "GEN", "article"),
    (lambda: pub(extra={"journal": "Вестник КазНУ"}), "JOUR", "article-journal"),
    (lambda: pub(vol=volume()), "CPAPER", "paper-conference"),
    (lambda: pub(extra={"genre": "thesis"}), "THES", "thesis"),
    (lambda: pub(extra={"genre": "dissertation"}), "THES", "thesis"),
    (lambda: pub(extra={"genre": "standard"}), "STAND", "standard"),
    (lambda: pub(extra={"genre": "book"}), "BOOK", "book"),
    (lambda: pub((), vol=volume(), kind="volume"), "CONF", "book"),
    (lambda: pub(kind="report"), "RPRT", "report"),
])
def test_ris_and_csl_types_follow_the_kind_and_genre(make, ris_type, csl_type):
    p = make()
    assert c.ris(p).startswith(f"TY  - {ris_type}\r\n")
    assert c.csl_json(p)["type"] == csl_type


def test_outside_parsers_read_every_kind_without_errors():
    """pybtex formats every entry with its plain style (a missing required field raises); bibtexparser, rispy
    and citeproc-py read them back; RIS editors are a tag rispy knows; CSL's event is the variable citeproc reads."""
    import warnings

    import bibtexparser
    import rispy
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from pybtex.database import parse_string
    from pybtex.style.formatting.plain import Style

    makers = [pub, lambda: pub(extra={"journal": "Вестник"}), lambda: pub(vol=volume()),
              lambda: pub(extra={"genre": "thesis"}), lambda: pub(extra={"genre": "standard"}),
              lambda: pub(extra={"genre": "book"}), lambda: pub((), vol=volume(), kind="volume"),
              lambda: pub((), vol=volume(event_title="", dates_text=""), kind="volume", title="О языке"),
              lambda: pub(kind="report"), lambda: pub(kind="commentary", extra={"outlet": "Казинформ"}),
              lambda: pub(kind="event", extra={"date": "2024-03-15"}),
              # what real uploads often lack: a year, the authors, the volume's year
              lambda: pub(vol=volume(year=None), year=None), lambda: pub((), vol=volume()),
              lambda: pub((), extra={"genre": "book"}, year=None), lambda: pub(kind="report", year=None),
              lambda: pub((), vol=volume(year=None, editors=[]), kind="volume", year=None)]
    pubs = []
    for i, make in enumerate(makers):
        p = make()
        p.id = 100 + i
        pubs.append(p)
    keys = c.unique_keys(pubs)
    bib = "\n".join(c.bibtex(p, "https://archive.example.kz", key=k) for p, k in zip(pubs, keys))
    db = parse_string(bib, "bibtex")
    list(Style().format_entries(db.entries.values()))          # raises on a missing required field
    library = bibtexparser.parse_string(bib)
    assert not library.failed_blocks and len(library.entries) == len(pubs)
    records = rispy.loads("".join(c.ris(p, "https://archive.example.kz") for p in pubs))
    assert len(records) == len(pubs)
    volume_record = records[6]
    assert volume_record["type_of_reference"] == "CONF" and "secondary_authors" in volume_record
    assert not any("unknown_tag" in r for r in records)
    items = [c.csl_json(p, "https://archive.example.kz") for p in pubs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        source = CiteProcJSON(items)
        style = CitationStylesStyle("harvard-cite-them-right", validate=False)
        biblio = CitationStylesBibliography(style, source, formatter.plain)
        for item in items:
            biblio.register(Citation([CitationItem(item["id"])]))
        out = [str(x) for x in biblio.bibliography()]
    assert len(out) == len(pubs)
    assert not [w for w in caught if "unsupported" in str(w.message)], [str(w.message) for w in caught]


def test_bibtex_escapes_specials_and_braces():
    text = c.bibtex(pub(title="50% & {x}_y #1 $ ~ ^ \\ end"))
    assert r"title = {50\% \& \{x\}\_y \#1 \$ \textasciitilde{} \textasciicircum{} \textbackslash{} end}" in text
    assert text.count("{") - text.count(r"\{") == text.count("}") - text.count(r"\}")


def test_unique_keys_for_a_list():
    assert c.unique_keys([pub(), pub(), pub(), pub(title="Другое")]) == [
        "ivanova2019mezhetnicheskoe", "ivanova2019mezhetnicheskoea", "ivanova2019mezhetnicheskoeb",
        "ivanova2019drugoe"]


def test_ris_conference_paper():
    text = c.ris(pub(THREE, vol=volume(), doi="10.1234/x"), BASE)
    lines = text.split("\r\n")
    assert lines[0] == "TY  - CPAPER" and lines[-2] == "ER  - " and lines[-1] == ""
    assert [ln for ln in lines if ln.startswith("AU")] == [
        "AU  - Иванова, М. П.", "AU  - Ахметов, Болат Серикович", "AU  - Петров, И."]
    for expected in ("TI  - " + TITLE, "T2  - Межэтническое согласие и гражданская идентичность", "PY  - 2019",
                     "SP  - 12", "EP  - 18", "LA  - ru", "KW  - согласие", "KW  - язык", "AB  - Статья о согласии.",
                     "SN  - 978-601-04-1234-5", "DO  - 10.1234/x", f"UR  - {BASE}/p/12"):
        assert expected in lines


@pytest.mark.parametrize("make, ty", [
    (lambda: pub(extra={"journal": "Вестник"}), "JOUR"), (lambda: pub(vol=volume(), kind="volume"), "CONF"),
    (lambda: pub(vol=volume(event_title="", dates_text=""), kind="volume"), "BOOK"),
    (lambda: pub(kind="report"), "RPRT"), (lambda: pub(kind="commentary"), "NEWS"),
])
def test_ris_types(make, ty):
    assert c.ris(make()).startswith(f"TY  - {ty}\r\n")


def test_ris_values_stay_on_one_line_and_missing_fields_are_left_out():
    text = c.ris(pub(title="Заголовок\nв две строки", year=None, page_start=None, page_end=None, keywords=[]))
    assert "TI  - Заголовок в две строки\r\n" in text
    assert "PY  -" not in text and "SP  -" not in text and "KW  -" not in text and "UR  -" not in text


def test_csl_json():
    item = c.csl_json(pub(vol=volume()), BASE)
    json.dumps(item)
    assert item["type"] == "paper-conference" and item["id"] == "kelisim-12"
    assert item["author"] == [{"family": "Иванова", "given": "М. П."}]
    assert item["container-title"] == "Межэтническое согласие и гражданская идентичность"
    assert item["issued"] == {"date-parts": [[2019]]} and item["page"] == "12-18"
    assert item["publisher-place"] == "Алматы" and item["URL"] == f"{BASE}/p/12"
    assert c.csl_json(pub(extra={"journal": "Вестник"}))["type"] == "article-journal"
    assert c.csl_json(pub())["type"] == "article"
    assert "issued" not in c.csl_json(pub(year=None))


def test_dublin_core_element():
    el = c.dublin_core(pub(vol=volume()), BASE)
    schema = etree.XMLSchema(etree.parse(str(DATA / "oai" / "oai_dc.xsd")))
    schema.assertValid(etree.ElementTree(el))
    titles = el.findall(f"{DC}title")
    assert [(t.get("{http://www.w3.org/XML/1998/namespace}lang"), t.text) for t in titles] == [
        ("ru", TITLE), ("en", "Interethnic accord in Almaty")]
    assert [e.text for e in el.findall(f"{DC}creator")] == ["Иванова, М. П."]
    assert el.findtext(f"{DC}type") == "info:eu-repo/semantics/conferenceObject"
    assert el.findtext(f"{DC}language") == "rus" and el.findtext(f"{DC}date") == "2019"
    assert el.findtext(f"{DC}source").endswith("– С. 12–18")
    assert el.findtext(f"{DC}rights") == "info:eu-repo/semantics/openAccess"
    assert [e.text for e in el.findall(f"{DC}identifier")] == [f"{BASE}/p/12"]
    kk = c.dublin_core(pub(language="kk", kind="report"), BASE)
    assert kk.findtext(f"{DC}language") == "kaz" and kk.findtext(f"{DC}type") == "info:eu-repo/semantics/report"


def test_no_urls_without_base_url():
    p = pub(vol=volume())
    assert "URL" not in c.gost_r_7_0_100(p) and "url =" not in c.bibtex(p) and "UR  -" not in c.ris(p)
    assert "URL" not in c.csl_json(p)


# --------------------------------------------------------------------------- routes


@pytest.fixture
def app_with_export(app):
    from archive.views import export, feeds, oai

    for module in (oai, feeds, export):
        if module.bp.name not in app.blueprints:
            app.register_blueprint(module.bp)
    app.config["PUBLIC_BASE_URL"] = BASE
    return app


@pytest.fixture
def two(archive, tmp_path: Path):
    from archive.services.ingest import ingest_file
    from support import KK_ARTICLE, RU_ARTICLE, make_pdf

    ru = ingest_file(archive, make_pdf(tmp_path / "ru.pdf", RU_ARTICLE), "ru.pdf", publish=True)
    kk = ingest_file(archive, make_pdf(tmp_path / "kk.pdf", KK_ARTICLE), "kk.pdf", publish=True)
    return ru.publication_ids[0], kk.publication_ids[0]


@pytest.mark.parametrize("fmt, mime, start", [
    ("bib", "application/x-bibtex", "@misc{ivanova2019mezhetnicheskoe,"),
    ("ris", "application/x-research-info-systems", "TY  - GEN"),
    ("json", "application/vnd.citationstyles.csl+json", "{"),
    ("xml", "application/xml", "<?xml"),
    ("txt", "text/plain", "Иванова, М. П. Межэтническое согласие в городской среде Алматы / М. П. Иванова."),
])
def test_cite_downloads(app_with_export, two, fmt, mime, start):
    client = app_with_export.test_client()
    r = client.get(f"/p/{two[0]}/cite.{fmt}")
    assert r.status_code == 200 and r.mimetype == mime
    assert r.headers["Content-Disposition"] == f'attachment; filename="kelisim-{two[0]}.{fmt}"'
    text = r.get_data(as_text=True)
    assert text.startswith(start)
    assert "localhost" not in text and (fmt == "txt" or BASE in text or fmt == "json")


def test_cite_withdrawn_is_gone_and_drafts_missing(app_with_export, archive, two):
    client = app_with_export.test_client()
    with archive.db.session() as s:
        p = s.get(Publication, two[1])
        p.status = "withdrawn"
        s.commit()
    assert client.get(f"/p/{two[1]}/cite.bib").status_code == 410
    assert client.get("/p/999999/cite.bib").status_code == 404
    assert client.get(f"/p/{two[0]}/cite.doc").status_code == 404


def test_search_export_lists_all_results(app_with_export, two):
    client = app_with_export.test_client()
    r = client.get("/search/export.json?q=")
    assert r.status_code == 200 and r.mimetype == "application/vnd.citationstyles.csl+json"
    items = json.loads(r.get_data(as_text=True))
    assert sorted(i["id"] for i in items) == sorted(f"kelisim-{i}" for i in two)
    r = client.get("/search/export.bib", query_string={"q": "озёрам"})
    text = r.get_data(as_text=True)
    assert text.count("@misc{") == 1 and "ivanova2019" in text
    txt = client.get("/search/export.txt?q=").get_data(as_text=True)
    assert txt.startswith("1. ") and "\n2. " in txt
    ris = client.get("/search/export.ris?q=").get_data(as_text=True)
    assert ris.count("ER  - ") == 2
    xml = etree.fromstring(client.get("/search/export.xml?q=").data)
    assert len(xml) == 2
