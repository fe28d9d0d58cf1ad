"""Whatever a stored text holds, every XML answer stays well-formed and valid, and clients read it.

One U+FFFE in an abstract once made OAI-PMH, the Atom feeds, the Dublin Core export and the search export
answer 500. Here a publication carries every character class XML 1.0 forbids, in every field, and each
XML answer is parsed (lxml, feedparser) and OAI answers are validated against the official schemas.
"""
from __future__ import annotations

import json

import feedparser
import pytest
from lxml import etree
from sqlalchemy import select, update

from archive.models import Authorship, IndexTask, Person, Publication, PublicationPage, Volume
from archive.services.consistency import check_archive
from archive.services.indexing import process_index_tasks
from support import DATA

# What a database can store of what XML 1.0 forbids (NUL and lone surrogates cannot be stored at all).
FORBIDDEN = "\x01\x08\x0b\x0c\x0e\x1f\ufffe\uffff"
SCHEMAS = DATA / "oai"


def dirty(text: str) -> str:
    return f"{text[:4]}{FORBIDDEN}{text[4:]}"


@pytest.fixture
def stored(app, archive):
    """A published publication whose every text field carries forbidden characters (as an old import left: the
    archive's own writes now drop them, so the text columns are dirtied with plain UPDATE statements)."""
    with archive.db.session() as s:
        vol = Volume(title="Сборник материалов", year=2014, place="Махачкала")
        person = Person(name="Магомедов А.М.", surname="Магомедов", given="А.М.", name_key="магомедов а м")
        pub = Publication(kind="article", status="published", title="О некоторых задачах", volume=vol,
                          titles={"ru": dirty("О некоторых задачах")}, abstracts={"ru": dirty("Аннотация статьи")},
                          keywords=[dirty("интервал"), "граф"], language="ru", year=2014)
        pub.pages.append(PublicationPage(number=1, text="Текст страницы об интервалах"))
        pub.authorships.append(Authorship(person=person, position=1, name_as_printed="Магомедов А.М."))
        s.add(pub)
        s.flush()
        for model, row, values in ((Volume, vol.id, {"title": dirty(vol.title), "place": dirty(vol.place)}),
                                   (Person, person.id, {"name": dirty(person.name)}),
                                   (Publication, pub.id, {"title": dirty(pub.title)}),
                                   (PublicationPage, pub.pages[0].id, {"text": dirty(pub.pages[0].text)})):
            s.execute(update(model).where(model.id == row).values(**values))
        s.add(IndexTask(publication_id=pub.id, action="update"))
        s.commit()
        pid = pub.id
    process_index_tasks(archive)
    return pid


def _xml(resp) -> etree._Element:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return etree.fromstring(resp.data)


def test_every_xml_answer_survives_forbidden_characters(client, stored):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "OAI-PMH.xsd")))
    dc_schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "oai_dc.xsd")))
    for url in ("/oai?verb=ListRecords&metadataPrefix=oai_dc", "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
                f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:{stored}",
                "/oai?verb=ListSets", "/oai?verb=Identify", "/oai?verb=ListRecords&metadataPrefix=oai_dc&set=x\x01y",
                "/oai?verb=Bad\ufffeVerb"):
        doc = _xml(client.get(url))
        schema.assertValid(etree.ElementTree(doc))
        for dc in doc.iter("{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"):
            dc_schema.assertValid(etree.ElementTree(dc))
    for url in ("/feeds/new.atom", "/feeds/volume/1.atom", "/feeds/person/1.atom", "/search.atom?q=интервал"):
        resp = client.get(url)
        _xml(resp)
        assert feedparser.parse(resp.data).bozo == 0, url
    dc_schema.assertValid(etree.ElementTree(_xml(client.get(f"/p/{stored}/cite.xml"))))
    _xml(client.get("/search/export.xml?q=интервал"))
    _xml(client.get("/sitemap.xml"))
    assert json.loads(client.get(f"/p/{stored}/cite.json").data)["title"]


def test_check_reports_and_repair_cleans_stored_text(app, archive, stored):
    rep = check_archive(archive, repair=False, verify_hashes=False)
    assert rep.xml_forbidden.get("publications") == [stored]
    assert any("characters XML forbids" in p for p in rep.problems())
    rep = check_archive(archive, repair=True, verify_hashes=False)
    assert not rep.xml_forbidden and any("characters XML forbids" in a for a in rep.actions)
    with archive.db.session() as s:
        pub = s.get(Publication, stored)
        assert pub.title == "О некоторых задачах" and pub.keywords[0] == "интервал"
        assert pub.abstracts["ru"] == "Аннотация статьи"
        page = s.scalars(select(PublicationPage).where(PublicationPage.publication_id == stored)).one()
        assert page.text == "Текст страницы об интервалах"
    assert not check_archive(archive, repair=False, verify_hashes=False).xml_forbidden
