"""Landing pages for Google Scholar: Highwire tags by the rules, JSON-LD, and the Cite box."""
import json
import re

from lxml import html as lxml_html

from archive.services.ingest import ingest_file
from support import DEMO


def meta(page: str) -> list[tuple[str, str]]:
    doc = lxml_html.fromstring(page)
    return [(m.get("name"), m.get("content")) for m in doc.iter("meta") if (m.get("name") or "").startswith("citation_")]


def test_article_in_volume_has_scholar_tags_by_the_rules(app, archive, client):
    app.config["PUBLIC_BASE_URL"] = "https://archive.example.kz"
    out = ingest_file(archive, DEMO / "volume-2023-kruglyi-stol-religiya-tolerantnost.pdf", publish=True)
    article = out.publication_ids[2]
    page = client.get(f"/p/{article}").get_data(as_text=True)
    tags = meta(page)
    names = [n for n, _ in tags]
    assert all(v.strip() for _, v in tags)                                   # no empty tags
    assert dict(tags)["citation_title"].startswith("Этнокультурные объединения")   # the article, not the volume
    assert [v for n, v in tags if n == "citation_author"] == ["Нургалиева, Айгерим Кайратовна",
                                                              "Шмидт, Елена Викторовна"]
    assert dict(tags)["citation_firstpage"] == "8" and dict(tags)["citation_lastpage"] == "10"
    assert dict(tags)["citation_pdf_url"] == f"https://archive.example.kz/p/{article}/article.pdf"
    assert dict(tags)["citation_isbn"] == "978-601-80123-4-1" and dict(tags)["citation_publication_date"] == "2023"
    assert "citation_doi" not in names and "localhost" not in page
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert ld["@type"] == "ScholarlyArticle" and ld["pagination"] == "8-10"
    assert client.get(f"/p/{article}/article.pdf").status_code == 200


def test_cite_box_offers_gost_bibtex_ris_with_downloads(client, archive):
    out = ingest_file(archive, DEMO / "ru-2021-mezhetnicheskie-otnosheniya-almaty.pdf", publish=True)
    pid = out.publication_ids[0]
    page = client.get(f"/p/{pid}?hl=en").get_data(as_text=True)
    assert "ГОСТ Р 7.0.100-2018" in page and "BibTeX" in page and 'data-copy="cite-bibtex"' in page
    assert "Иванова" in page.split('id="cite-gost"')[1][:400]
    r = client.get(f"/p/{pid}/cite.bib")
    assert r.status_code == 200 and r.data.startswith(b"@article") or r.data.startswith(b"@misc")
    assert client.get(f"/p/{pid}/cite.ris").data.startswith(b"TY  -")
