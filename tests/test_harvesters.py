"""Real clients against the served archive (demo content plus the shared corpus PDFs when present).

An OAI-PMH harvester (oaipmh-scythe; Sickle runs in tests/archive/test_oai.py) takes every record through
resumption tokens, every answer validates against the official schemas (pyoai 2.5.0, the other client asked
for, cannot run beside lxml 6: it calls ``XPathEvaluator.evaluate``, which lxml removed); every export format of every published record parses with the
tools researchers use (pybtex, bibtexparser, rispy, citeproc-py); every feed parses with feedparser.
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
import requests
from lxml import etree

from support import CORPUS, DATA, DEMO, REPO, served_env, start_server, stop_server

pytestmark = pytest.mark.slow


# Every record the ingest published (the search exports give one result per work, OAI-PMH every record).
PUBLISHED: list[int] = []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("harvest")
    env = served_env(data, ARCHIVE_OAI_PAGE_SIZE="7", ARCHIVE_RATELIMIT_ENABLED="0")
    folders = [str(DEMO)] + ([str(CORPUS / "pdf")] if (CORPUS / "pdf").is_dir() else [])
    out = subprocess.run([sys.executable, "manage.py", "ingest", *folders, "--publish", "--json"], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=1800)
    ok = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert sum(o["status"] == "ok" for o in ok) >= 5, out.stdout[-2000:] + out.stderr[-2000:]
    PUBLISHED[:] = sorted(i for o in ok if o["status"] == "ok" for i in o["publication_ids"])
    base, proc = start_server(env, "--workers", "2", "--no-jobs")
    yield base
    stop_server(proc)


def _published_ids(base: str) -> list[int]:
    items = requests.get(base + "/search/export.json", params={"q": ""}, timeout=120).json()
    return [int(i["id"].split("-")[1]) for i in items]


def test_oai_paging_is_really_exercised(server):
    assert len(_published_ids(server)) > 7          # OAI_PAGE_SIZE is 7: harvests go through tokens


def test_oaipmh_scythe_harvests_every_record_and_each_validates(server):
    from oaipmh_scythe import Scythe

    with Scythe(server + "/oai") as scythe:
        records = list(scythe.list_records(metadata_prefix="oai_dc"))
        identifiers = list(scythe.list_identifiers(metadata_prefix="oai_dc"))
    assert len(records) == len(identifiers) == len(PUBLISHED)
    assert {int(h.identifier.rsplit(":", 1)[1]) for h in identifiers} == set(PUBLISHED)
    schema = etree.XMLSchema(etree.parse(str(DATA / "oai" / "OAI-PMH.xsd")))
    dc = etree.XMLSchema(etree.parse(str(DATA / "oai" / "oai_dc.xsd")))
    for pid in PUBLISHED:
        doc = etree.fromstring(requests.get(server + "/oai", params={
            "verb": "GetRecord", "metadataPrefix": "oai_dc",
            "identifier": records[0].header.identifier.rsplit(":", 1)[0] + f":{pid}"}, timeout=60).content)
        schema.assertValid(etree.ElementTree(doc))
        for el in doc.iter("{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"):
            dc.assertValid(etree.ElementTree(el))


def test_every_export_parses_with_outside_tools(server):
    import bibtexparser
    import rispy
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from pybtex.database import parse_string
    from pybtex.style.formatting.plain import Style

    n = len(_published_ids(server))
    bib = requests.get(server + "/search/export.bib", params={"q": ""}, timeout=120).text
    db = parse_string(bib, "bibtex")
    assert len(db.entries) == n
    list(Style().format_entries(db.entries.values()))             # a required field missing raises
    library = bibtexparser.parse_string(bib)
    assert not library.failed_blocks and len(library.entries) == n
    ris = rispy.loads(requests.get(server + "/search/export.ris", params={"q": ""}, timeout=120).text)
    assert len(ris) == n and not any("unknown_tag" in r for r in ris)
    assert not [r for r in ris if r["type_of_reference"] == "JOUR" and "secondary_title" not in r]
    items = requests.get(server + "/search/export.json", params={"q": ""}, timeout=120).json()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        biblio = CitationStylesBibliography(CitationStylesStyle("harvard-cite-them-right", validate=False),
                                            CiteProcJSON(items), formatter.plain)
        for item in items:
            biblio.register(Citation([CitationItem(item["id"])]))
        assert len(biblio.bibliography()) == n
    assert not [str(w.message) for w in caught if "unsupported" in str(w.message)]
    assert not [i for i in items if i["type"] == "article-journal" and not i.get("container-title")]


def test_every_feed_parses_and_every_xml_answer_is_well_formed(server):
    import feedparser

    for path in ("/feeds/new.atom", "/search.atom?q=", "/search.atom?q=%D1%8F%D0%B7%D1%8B%D0%BA"):
        d = feedparser.parse(requests.get(server + path, timeout=60).content)
        assert d.bozo == 0 and d.entries, path
    for pid in _published_ids(server):
        r = requests.get(server + f"/p/{pid}/cite.xml", timeout=60)
        assert r.status_code == 200
        etree.fromstring(r.content)
    etree.fromstring(requests.get(server + "/search/export.xml", params={"q": ""}, timeout=120).content)
    etree.fromstring(requests.get(server + "/sitemap.xml", timeout=60).content)


def test_raw_utf8_in_the_request_line_is_understood(server):
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall("GET /search?q=Алматы HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n", 1)[0]
    assert head.startswith(b"HTTP/1.1 200"), head
    assert "Алматы".encode() in data
