"""OAI-PMH 2.0 at /oai: structure (the official XSDs, tests/data/oai), every verb and error, resumption, deletions.

The last tests harvest the app served by gunicorn (``manage.py serve``) with Sickle, a real OAI-PMH client.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from archive.models import Publication, utcnow
from support import (DATA, KK_ARTICLE, REPO, RU_ARTICLE, make_pdf, sqlite_plan, start_server, statements,
                     stop_server)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BASE = "https://archive.example.kz"
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")

_SCHEMA = etree.XMLSchema(etree.parse(str(DATA / "oai" / "OAI-PMH.xsd")))
_DC_SCHEMA = etree.XMLSchema(etree.parse(str(DATA / "oai" / "oai_dc.xsd")))

EXTRA_DOCS = [
    ["ОТЧЁТ О ДЕЯТЕЛЬНОСТИ ЭКСПЕРТНОЙ ГРУППЫ\nГруппа провела семинары о языковой политике и гражданской "
     "идентичности в Алматы в 2020 году. Участники обсудили межэтнические отношения."],
    ["КОММЕНТАРИЙ ЭКСПЕРТА О МИГРАЦИИ\nМиграция в крупные города меняет состав населения; эксперты "
     "обсуждают адаптацию переселенцев и роль этнокультурных объединений."],
]
DRAFT_DOC = ["ЧЕРНОВИК СТАТЬИ О ТОЛЕРАНТНОСТИ\nЧерновик ещё не проверен редакцией и не опубликован."]


def check(resp) -> etree._Element:
    """Parse an OAI-PMH response and check what every response must satisfy."""
    assert resp.status_code == 200
    assert resp.mimetype == "text/xml" and resp.mimetype_params.get("charset", "").lower() == "utf-8"
    root = etree.fromstring(resp.data)
    _SCHEMA.assertValid(etree.ElementTree(root))
    assert root.tag == f"{OAI}OAI-PMH"
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    assert STAMP.fullmatch(root.findtext(f"{OAI}responseDate"))
    rd = datetime.strptime(root.findtext(f"{OAI}responseDate"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - rd).total_seconds()) < 120
    assert root.findtext(f"{OAI}request") == f"{BASE}/oai"
    for h in root.iter(f"{OAI}header"):
        assert STAMP.fullmatch(h.findtext(f"{OAI}datestamp"))
        assert re.fullmatch(r"oai:archive\.example\.kz:\d+", h.findtext(f"{OAI}identifier"))
    for md in root.iter(f"{OAI}metadata"):
        _DC_SCHEMA.assertValid(etree.ElementTree(md[0]))
    return root


def error_code(root: etree._Element) -> str | None:
    err = root.find(f"{OAI}error")
    return err.get("code") if err is not None else None


@pytest.fixture
def oai_app(app):
    from archive.views import export, feeds, oai

    for module in (oai, feeds, export):
        if module.bp.name not in app.blueprints:
            app.register_blueprint(module.bp)
    app.config["PUBLIC_BASE_URL"] = BASE
    app.config["ADMIN_EMAIL"] = "neg@example.kz"
    return app


@pytest.fixture
def oai_client(oai_app):
    return oai_app.test_client()


@pytest.fixture
def loaded(archive, tmp_path: Path) -> dict[str, int]:
    from archive.services.ingest import ingest_file

    ids = {}
    for name, pages in (("ru", RU_ARTICLE), ("kk", KK_ARTICLE), ("report", EXTRA_DOCS[0]), ("comment", EXTRA_DOCS[1])):
        ids[name] = ingest_file(archive, make_pdf(tmp_path / f"{name}.pdf", pages), f"{name}.pdf",
                                publish=True).publication_ids[0]
    ids["draft"] = ingest_file(archive, make_pdf(tmp_path / "draft.pdf", DRAFT_DOC), "draft.pdf").publication_ids[0]
    return ids


def withdraw(archive, pub_id: int) -> None:
    with archive.db.session() as s:
        p = s.get(Publication, pub_id)
        p.status, p.withdrawn_at, p.withdrawal_reason = "withdrawn", utcnow(), "test"
        s.commit()


def get(client, **args):
    return check(client.get("/oai", query_string=args))


# --------------------------------------------------------------------------- verbs


def test_identify(oai_client, loaded):
    root = get(oai_client, verb="Identify")
    assert root.find(f"{OAI}request").attrib == {"verb": "Identify"}
    ident = root.find(f"{OAI}Identify")
    assert ident.findtext(f"{OAI}baseURL") == f"{BASE}/oai"
    assert ident.findtext(f"{OAI}protocolVersion") == "2.0"
    assert ident.findtext(f"{OAI}adminEmail") == "neg@example.kz"
    assert ident.findtext(f"{OAI}deletedRecord") == "persistent"
    assert ident.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert STAMP.fullmatch(ident.findtext(f"{OAI}earliestDatestamp"))
    assert ident.findtext(".//{http://www.openarchives.org/OAI/2.0/oai-identifier}repositoryIdentifier") == \
        "archive.example.kz"


def test_identify_on_an_empty_archive_and_by_post(oai_client):
    root = check(oai_client.post("/oai", data={"verb": "Identify"}))
    assert root.find(f"{OAI}Identify") is not None


def test_list_metadata_formats(oai_client, loaded):
    root = get(oai_client, verb="ListMetadataFormats")
    fmts = root.findall(f".//{OAI}metadataFormat")
    assert [f.findtext(f"{OAI}metadataPrefix") for f in fmts] == ["oai_dc"]
    assert fmts[0].findtext(f"{OAI}metadataNamespace") == "http://www.openarchives.org/OAI/2.0/oai_dc/"
    root = get(oai_client, verb="ListMetadataFormats", identifier=f"oai:archive.example.kz:{loaded['ru']}")
    assert root.find(f"{OAI}request").get("identifier") == f"oai:archive.example.kz:{loaded['ru']}"
    assert root.find(f"{OAI}ListMetadataFormats") is not None
    for ident in (f"oai:archive.example.kz:{loaded['draft']}", "oai:other.org:1", "junk", "oai:archive.example.kz:x"):
        assert error_code(get(oai_client, verb="ListMetadataFormats", identifier=ident)) == "idDoesNotExist"


def test_list_sets(oai_client, loaded):
    root = get(oai_client, verb="ListSets")
    specs = [s.findtext(f"{OAI}setSpec") for s in root.iter(f"{OAI}set")]
    assert "kind" in specs and "kind:article" in specs and "volume" in specs
    assert all(s.findtext(f"{OAI}setName") for s in root.iter(f"{OAI}set"))


def test_list_sets_paged(oai_app, oai_client, loaded):
    oai_app.config["OAI_PAGE_SIZE"] = 1
    root = get(oai_client, verb="ListSets")
    seen = [root.findtext(f".//{OAI}setSpec")]
    token = root.find(f".//{OAI}resumptionToken")
    while token is not None and token.text:
        root = get(oai_client, verb="ListSets", resumptionToken=token.text)
        seen.append(root.findtext(f".//{OAI}setSpec"))
        token = root.find(f".//{OAI}resumptionToken")
    assert token is not None and not token.text and int(token.get("completeListSize")) == len(seen)


def test_list_records_dc_content(oai_client, loaded):
    root = get(oai_client, verb="ListRecords", metadataPrefix="oai_dc")
    assert root.find(f"{OAI}request").attrib == {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    records = {r.findtext(f"{OAI}header/{OAI}identifier"): r for r in root.iter(f"{OAI}record")}
    assert set(records) == {f"oai:archive.example.kz:{loaded[k]}" for k in ("ru", "kk", "report", "comment")}
    ru = records[f"oai:archive.example.kz:{loaded['ru']}"].find(f"{OAI}metadata/{OAI_DC}dc")
    title = ru.find(f"{DC}title")
    assert title.text == "Межэтническое согласие в городской среде Алматы" and title.get(XML_LANG) == "ru"
    assert [e.text for e in ru.findall(f"{DC}creator")] == ["Иванова, М. П."]
    assert ru.find(f"{DC}description").get(XML_LANG) == "ru"
    assert [e.text for e in ru.findall(f"{DC}subject")] == ["межэтнические отношения", "согласие", "язык"]
    assert ru.findtext(f"{DC}date") == "2019" and ru.findtext(f"{DC}language") == "rus"
    assert ru.findtext(f"{DC}type") == "info:eu-repo/semantics/article"
    assert ru.findtext(f"{DC}rights") == "info:eu-repo/semantics/openAccess"
    assert [e.text for e in ru.findall(f"{DC}identifier")] == [
        f"{BASE}/p/{loaded['ru']}", f"{BASE}/p/{loaded['ru']}/article.pdf"]
    kk = records[f"oai:archive.example.kz:{loaded['kk']}"].find(f"{OAI}metadata/{OAI_DC}dc")
    assert kk.findtext(f"{DC}language") == "kaz" and kk.find(f"{DC}title").get(XML_LANG) == "kk"
    assert [e.text for e in kk.findall(f"{DC}creator")] == ["Сейтқали, Айгерім Болатқызы"]
    header = records[f"oai:archive.example.kz:{loaded['ru']}"].find(f"{OAI}header")
    assert [s.text for s in header.findall(f"{OAI}setSpec")] == ["kind:article"]


def test_resumption_tokens_page_through_everything(oai_app, oai_client, loaded):
    oai_app.config["OAI_PAGE_SIZE"] = 3
    root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find(f".//{OAI}resumptionToken")
    assert token.text and token.get("completeListSize") == "4" and token.get("cursor") == "0"
    assert re.fullmatch(r"[A-Za-z0-9_\-]+", token.text)
    first = [h.findtext(f"{OAI}identifier") for h in root.iter(f"{OAI}header")]
    assert len(first) == 3
    root = check(oai_client.post("/oai", data={"verb": "ListIdentifiers", "resumptionToken": token.text}))
    assert root.find(f"{OAI}request").attrib == {"verb": "ListIdentifiers", "resumptionToken": token.text}
    second = [h.findtext(f"{OAI}identifier") for h in root.iter(f"{OAI}header")]
    last = root.find(f".//{OAI}resumptionToken")
    assert len(second) == 1 and not set(first) & set(second)
    assert last is not None and (last.text or "") == "" and last.get("completeListSize") == "4"
    assert last.get("cursor") == "3"
    # a token belongs to its verb
    assert error_code(get(oai_client, verb="ListRecords", resumptionToken=token.text)) == "badResumptionToken"


def test_a_list_goes_in_datestamp_order_through_records_changed_at_one_moment(oai_app, oai_client, archive, loaded):
    """Lists go in (datestamp, id) order from the position a token holds: records changed at one moment (a bulk
    import) are paged by id, each once; every page, and an incremental harvest, reads a range of the
    (updated_at, id) index (before: every record walked in id order, 85 ms for a "from" that matches nothing at
    30,000)."""
    from sqlalchemy import update

    moment = datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    with archive.db.session() as s:
        stamp = moment if archive.db.engine.dialect.name != "sqlite" else moment.replace(tzinfo=None)
        same = [loaded["ru"], loaded["kk"], loaded["report"]]
        s.execute(update(Publication).where(Publication.id.in_(same)).values(updated_at=stamp))
        s.execute(update(Publication).where(Publication.id == loaded["comment"])
                  .values(updated_at=stamp - timedelta(days=1)))
        s.commit()
    oai_app.config["OAI_PAGE_SIZE"] = 2
    seen = []
    with statements(archive.db.engine) as ran:
        args = {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}
        while args:
            root = get(oai_client, **args)
            page = [int(h.findtext(f"{OAI}identifier").rsplit(":", 1)[1]) for h in root.iter(f"{OAI}header")]
            assert 0 < len(page) <= 2
            seen += page
            token = root.find(f".//{OAI}resumptionToken")
            args = {"verb": "ListIdentifiers", "resumptionToken": token.text} if token is not None and token.text \
                else None
        oai_app.config["OAI_PAGE_SIZE"] = 10
        since = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2026-01-01"})
    assert seen == [loaded["comment"], *sorted(same)]
    assert sorted(int(h.findtext(f"{OAI}identifier").rsplit(":", 1)[1]) for h in since.iter(f"{OAI}header")) == \
        sorted(same)
    if archive.db.engine.dialect.name == "sqlite":
        lists = [(st, p) for st, p in ran if "ORDER BY publications.updated_at" in st
                 or "publications.updated_at = ?" in st]
        assert len(lists) >= 4
        for statement, params in lists:
            plan = sqlite_plan(archive.db.engine, statement, params)
            assert "ix_publications_updated_at" in plan and "TEMP B-TREE" not in plan, plan


def test_identify_and_list_sets_look_records_up_in_indexes(oai_client, archive, loaded):
    """Identify's earliest datestamp, and the kinds and volumes ListSets offers, are found by index look-ups: the
    first visible record in datestamp order, one visible record per kind and per volume; never every visible record
    gathered by the status index (70 and 45 ms at 30,000 records)."""
    with statements(archive.db.engine) as ran:
        identify = get(oai_client, verb="Identify")
        sets = get(oai_client, verb="ListSets")
    assert identify.findtext(f".//{OAI}earliestDatestamp")
    specs = [x.findtext(f"{OAI}setSpec") for x in sets.iter(f"{OAI}set")]
    assert "kind:article" in specs and "kind:volume" not in specs
    if archive.db.engine.dialect.name != "sqlite":
        return
    reads = [(st, p) for st, p in ran if "FROM publications" in st and "status" in st]
    assert len(reads) >= 3
    for statement, params in reads:
        plan = sqlite_plan(archive.db.engine, statement, params)
        assert "ix_publications_status" not in plan and "TEMP B-TREE" not in plan, plan
        walk = "SCAN publications USING INDEX ix_publications_updated_at"       # in datestamp order, up to one
        assert "SCAN publications" not in plan.replace(walk, ""), plan


def test_list_identifiers_reads_what_headers_show_only(oai_client, archive, loaded):
    """A page of headers loads the columns they show, not whole records with their authors and volumes."""
    with statements(archive.db.engine) as ran:
        root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert sorted(int(h.findtext(f"{OAI}identifier").rsplit(":", 1)[1]) for h in root.iter(f"{OAI}header")) == \
        sorted(v for k, v in loaded.items() if k != "draft")
    pages = [st for st, _p in ran if "FROM publications" in st and "LIMIT" in st]
    assert pages and not [st for st in pages if "publications.abstracts" in st or "publications.extra" in st]
    assert not [st for st, _p in ran if "FROM authorships" in st or "FROM volumes" in st]


def test_a_whole_lists_size_is_counted_once_per_index_generation(oai_app, oai_client, archive, loaded, tmp_path):
    """A list without dates (of everything or of a kind) is counted at its first page once per search index
    generation (it read every record's status each time: 40 ms at 30,000); a change, once indexed, is counted."""
    from archive.services import indexing
    from archive.services.ingest import ingest_file

    oai_app.config["OAI_PAGE_SIZE"] = 1

    def size(**args) -> tuple[str, int]:
        with statements(archive.db.engine) as ran:
            root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", **args)
        counts = [st for st, _p in ran if "count(" in st.lower()]
        return root.find(f".//{OAI}resumptionToken").get("completeListSize"), len(counts)

    assert size() == ("4", 1) and size() == ("4", 0)
    assert size(set="kind:article")[1] == 1 and size(set="kind:article")[1] == 0
    assert size(**{"from": "2000-01-01"}) == ("4", 1) and size(**{"from": "2000-01-01"}) == ("4", 1)  # dated
    text = ["ОБЗОР СЕМИНАРА О ТРЁХЪЯЗЫЧИИ\nСеминар в Алматы обсудил трёхъязычие в школах и вузах в 2021 году."]
    ingest_file(archive, make_pdf(tmp_path / "new.pdf", text), "new.pdf", publish=True)
    indexing.index_after_commit(archive)          # as the web and the CLI do after a commit
    assert size() == ("5", 1) and size() == ("5", 0)


def test_single_page_lists_have_no_token(oai_client, loaded):
    root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert root.find(f".//{OAI}resumptionToken") is None


def test_withdrawn_is_deleted_and_drafts_never_appear(oai_client, archive, loaded):
    before = get(oai_client, verb="GetRecord", metadataPrefix="oai_dc",
                 identifier=f"oai:archive.example.kz:{loaded['kk']}").findtext(f".//{OAI}datestamp")
    time.sleep(1.1)
    withdraw(archive, loaded["kk"])
    root = get(oai_client, verb="GetRecord", metadataPrefix="oai_dc",
               identifier=f"oai:archive.example.kz:{loaded['kk']}")
    header = root.find(f".//{OAI}header")
    assert header.get("status") == "deleted"
    assert root.find(f".//{OAI}metadata") is None
    assert header.findtext(f"{OAI}datestamp") > before            # the withdrawal bumped the datestamp
    for verb in ("ListRecords", "ListIdentifiers"):
        root = get(oai_client, verb=verb, metadataPrefix="oai_dc")
        headers = {h.findtext(f"{OAI}identifier"): h.get("status") for h in root.iter(f"{OAI}header")}
        assert headers[f"oai:archive.example.kz:{loaded['kk']}"] == "deleted"
        assert f"oai:archive.example.kz:{loaded['draft']}" not in headers
        assert len(headers) == 4
    # an incremental harvest from the withdrawal time sees only the deletion
    root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": header.findtext(f"{OAI}datestamp")})
    assert [h.get("status") for h in root.iter(f"{OAI}header")] == ["deleted"]
    assert error_code(get(oai_client, verb="GetRecord", metadataPrefix="oai_dc",
                          identifier=f"oai:archive.example.kz:{loaded['draft']}")) == "idDoesNotExist"


def test_from_until_day_and_seconds_granularity(oai_client, loaded):
    today = datetime.now(timezone.utc).date()
    n = lambda root: len(list(root.iter(f"{OAI}header")))  # noqa: E731
    assert n(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": today.isoformat()})) == 4
    assert n(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=today.isoformat())) == 4
    stamps = sorted(h.findtext(f"{OAI}datestamp")
                    for h in get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc").iter(f"{OAI}header"))
    # until is inclusive at the second shown in the datestamp
    assert n(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=stamps[-1])) == 4
    assert n(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": stamps[0],
                                                                                  "until": stamps[-1]})) == 4
    yesterday = (today - timedelta(days=1)).isoformat()
    root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=yesterday)
    assert error_code(root) == "noRecordsMatch"
    assert root.find(f"{OAI}request").attrib == {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc",
                                                 "until": yesterday}
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert error_code(get(oai_client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": tomorrow})) == \
        "noRecordsMatch"


def test_sets_select_records(oai_client, loaded):
    root = get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:article")
    assert len(list(root.iter(f"{OAI}header"))) == 4
    assert error_code(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="volume:999")) == \
        "noRecordsMatch"
    assert error_code(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:volume")) == \
        "noRecordsMatch"


def test_no_set_hierarchy_when_sets_are_off(oai_app, oai_client, loaded):
    oai_app.config["OAI_SETS"] = False
    assert error_code(get(oai_client, verb="ListSets")) == "noSetHierarchy"
    assert error_code(get(oai_client, verb="ListRecords", metadataPrefix="oai_dc", set="kind:article")) == \
        "noSetHierarchy"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("query", [
    "", "verb=Nonsense", "verb=Identify&verb=Identify", "verb=listrecords&metadataPrefix=oai_dc", "foo=bar",
])
def test_bad_verb(oai_client, query):
    root = check(oai_client.get("/oai?" + query))
    assert error_code(root) == "badVerb"
    assert root.find(f"{OAI}request").attrib == {}            # no attributes echoed on badVerb


@pytest.mark.parametrize("query", [
    "verb=Identify&foo=bar",
    "verb=ListRecords",
    "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc",
    "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2020-13-01",
    "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2020-01-01T00:00:00",
    "verb=ListIdentifiers&metadataPrefix=oai_dc&from=2020-01-01&until=2021-01-01T00:00:00Z",
    "verb=ListIdentifiers&metadataPrefix=oai_dc&set=bad%20set",
    "verb=ListIdentifiers&metadataPrefix=oai_dc&resumptionToken=abc",
    "verb=ListRecords&metadataPrefix=",
    "verb=GetRecord&metadataPrefix=oai_dc",
    "verb=GetRecord&identifier=oai:archive.example.kz:1",
    "verb=ListSets&set=kind",
    "verb=ListMetadataFormats&metadataPrefix=oai_dc",
])
def test_bad_argument(oai_client, query):
    root = check(oai_client.get("/oai?" + query))
    assert error_code(root) == "badArgument"
    assert root.find(f"{OAI}request").attrib == {}
    assert root.find(f"{OAI}request").text == f"{BASE}/oai"


@pytest.mark.parametrize("token", ["!!!", "eyJ2IjoiTGlzdFJlY29yZHMifQ", "bm90IGpzb24", "A" * 3000])
def test_bad_resumption_token(oai_client, token):
    root = get(oai_client, verb="ListRecords", resumptionToken=token)
    assert error_code(root) == "badResumptionToken"
    assert root.find(f"{OAI}request").get("resumptionToken") == token


def test_cannot_disseminate_format(oai_client, loaded):
    for args in ({"verb": "ListRecords", "metadataPrefix": "marc21"},
                 {"verb": "ListIdentifiers", "metadataPrefix": "oai_openaire"},
                 {"verb": "GetRecord", "metadataPrefix": "mods", "identifier": f"oai:archive.example.kz:{loaded['ru']}"}):
        root = get(oai_client, **args)
        assert error_code(root) == "cannotDisseminateFormat"
        assert root.find(f"{OAI}request").attrib == args


def test_no_records_on_an_empty_archive(oai_client):
    assert error_code(get(oai_client, verb="ListRecords", metadataPrefix="oai_dc")) == "noRecordsMatch"
    assert error_code(get(oai_client, verb="ListIdentifiers", metadataPrefix="oai_dc")) == "noRecordsMatch"


def test_identifier_uses_request_host_without_public_base_url(app, loaded):
    from archive.views import export, feeds, oai

    for module in (oai, feeds, export):
        if module.bp.name not in app.blueprints:
            app.register_blueprint(module.bp)
    app.config["PUBLIC_BASE_URL"] = ""
    root = etree.fromstring(app.test_client().get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
                                                  base_url="http://archive.local:8000").data)
    assert root.findtext(f"{OAI}request") == "http://archive.local:8000/oai"
    assert all(re.fullmatch(r"oai:archive\.local:\d+", h.findtext(f"{OAI}identifier"))
               for h in root.iter(f"{OAI}header"))


# --------------------------------------------------------------------------- served + Sickle


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn on a fresh data folder: 4 published files, 1 withdrawn, 1 draft; OAI page size 2."""
    data = tmp_path_factory.mktemp("oai-served")
    pub_dir = tmp_path_factory.mktemp("oai-files")
    draft_dir = tmp_path_factory.mktemp("oai-drafts")
    env = {**os.environ, "ARCHIVE_DATA_DIR": str(data), "ARCHIVE_OAI_PAGE_SIZE": "2",
           "ARCHIVE_PUBLIC_BASE_URL": BASE, "ARCHIVE_OCR_ENABLED": "0"}
    env.pop("DATABASE_URL", None)
    for name, pages in (("ru", RU_ARTICLE), ("kk", KK_ARTICLE), ("report", EXTRA_DOCS[0]),
                        ("comment", EXTRA_DOCS[1])):
        make_pdf(pub_dir / f"{name}.pdf", pages)
    make_pdf(draft_dir / "draft.pdf", DRAFT_DOC)
    ids = {}
    for folder, flags in ((pub_dir, ["--publish"]), (draft_dir, [])):
        out = subprocess.run([sys.executable, "manage.py", "ingest", str(folder), *flags, "--json"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        import json

        for line in out.stdout.splitlines():
            if line.startswith("{"):
                rec = json.loads(line)
                if rec.get("publication_ids"):
                    ids[Path(rec["file"]).stem] = rec["publication_ids"][0]
    # withdraw one through the models, as the editor UI does
    from archive import create_app

    app = create_app({"DATA_DIR": str(data), "SECRET_KEY": "x"})
    archive = app.extensions["archive"]
    withdraw(archive, ids["kk"])
    archive.close()
    base, proc = start_server(env, "--workers", "2")
    yield base, ids
    stop_server(proc)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sickle_harvests_everything_through_resumption_tokens(served, method):
    from sickle import Sickle

    base, ids = served
    sickle = Sickle(base + "/oai", http_method=method, max_retries=2, timeout=60)
    ident = sickle.Identify()
    assert ident.protocolVersion == "2.0" and ident.deletedRecord == "persistent"
    assert ident.baseURL == f"{BASE}/oai"
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    by_id = {r.header.identifier: r for r in records}
    expected = {f"oai:archive.example.kz:{ids[k]}" for k in ("ru", "kk", "report", "comment")}
    assert set(by_id) == expected and len(records) == 4         # 2 pages of 2, nothing twice, no draft
    assert f"oai:archive.example.kz:{ids['draft']}" not in by_id
    assert by_id[f"oai:archive.example.kz:{ids['kk']}"].header.deleted
    ru = by_id[f"oai:archive.example.kz:{ids['ru']}"]
    assert not ru.header.deleted
    assert ru.metadata["title"] == ["Межэтническое согласие в городской среде Алматы"]
    assert ru.metadata["creator"] == ["Иванова, М. П."] and ru.metadata["language"] == ["rus"]
    assert f"{BASE}/p/{ids['ru']}" in ru.metadata["identifier"]
    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", ignore_deleted=True))
    assert {h.identifier for h in headers} == expected - {f"oai:archive.example.kz:{ids['kk']}"}
    rec = sickle.GetRecord(identifier=f"oai:archive.example.kz:{ids['report']}", metadataPrefix="oai_dc")
    assert rec.metadata["type"] == ["info:eu-repo/semantics/article"]
    assert [f.metadataPrefix for f in sickle.ListMetadataFormats()] == ["oai_dc"]
    assert "kind:article" in {s.setSpec for s in sickle.ListSets()}


@pytest.mark.slow
def test_served_pages_are_schema_valid_and_tokens_chain(served):
    import requests

    base, _ids = served
    r = requests.get(base + "/oai", params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}, timeout=60)
    root = etree.fromstring(r.content)
    _SCHEMA.assertValid(etree.ElementTree(root))
    token = root.find(f".//{OAI}resumptionToken")
    assert len(list(root.iter(f"{OAI}record"))) == 2 and token.get("completeListSize") == "4"
    r = requests.post(base + "/oai", data={"verb": "ListRecords", "resumptionToken": token.text}, timeout=60)
    root = etree.fromstring(r.content)
    _SCHEMA.assertValid(etree.ElementTree(root))
    last = root.find(f".//{OAI}resumptionToken")
    assert len(list(root.iter(f"{OAI}record"))) == 2 and (last.text or "") == "" and last.get("cursor") == "2"
    from sickle import Sickle
    from sickle.oaiexceptions import NoRecordsMatch

    sickle = Sickle(base + "/oai")
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "2000-01-01", "until": "2000-01-02"}))
    assert sickle.harvest(verb="Nope").xml.find(f"{OAI}error").get("code") == "badVerb"
