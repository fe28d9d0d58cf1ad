"""``manage.py check`` reports titles that break the metadata rules; ``--repair`` reads unedited drafts
again by today's rules and never touches what a person edited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts_support import app, signed_in, users  # noqa: F401 - fixtures
from archive.models import AuditEvent, Publication, PublicationPage
from archive.services.consistency import check_archive
from uploads.metadata.title import title_problems

FIRST_PAGE = ("УДК 323.1\nИванова М.П.\nИнститут философии\nАлматы, 2019\n"
              "МЕЖЭТНИЧЕСКОЕ СОГЛАСИЕ\nВ ГОРОДСКОЙ СРЕДЕ АЛМАТЫ\n"
              "Аннотация. Статья посвящена межэтническим отношениям в Алматы, 2019.\n"
              "Ключевые слова: согласие, город.\nТекст статьи о согласии в большом городе.")


@pytest.mark.parametrize("title, problems", [
    ("Межконфессиональный диалог и", ["cut"]),
    ("Тіл саясаты және", ["cut"]),
    ("Қазақ ақындары туралы", []),
    ("О задаче (Дирихле", ["cut"]),
    ("«КЕЛІСІМ» дөңгелек үстелінің материалдары", []),
    ("Межгосударственный стандарт", ["generic"]),
    ("Иванов И.И. Очерки. – М.: Наука, 2009. – 201 с.", ["reference"]),
    ("Языковая политика в Казахстане", []),
])
def test_title_rules(title, problems):
    assert [p for p in title_problems(title) if p != "cut" or "cut" in problems] == problems


def _draft(archive, owner, title):
    with archive.db.session() as s:
        pub = Publication(kind="article", status="draft", title=title, created_by_id=owner, language="ru")
        pub.pages.append(PublicationPage(number=1, text=FIRST_PAGE))
        s.add(pub)
        s.commit()
        return pub.id


def test_check_reports_cut_titles_and_repair_rederives_only_unedited_drafts(app, archive, users, signed_in):
    untouched = _draft(archive, users["member"], "Межэтническое согласие в")
    edited = _draft(archive, users["member"], "Межэтническое согласие в")
    member = signed_in("member")
    r = member.post(f"/review/{edited}/metadata", data={
        "csrf_token": member.csrf, "title": "Межэтническое согласие в", "authors": "Петров П.П.", "year": "2020",
        "language": "ru", "keywords": "", "kind": "article"})
    assert r.status_code == 303
    rep = check_archive(archive, verify_hashes=False)
    assert set(rep.metadata.get("cut", [])) >= {untouched, edited}
    assert any("cut short" in p for p in rep.problems())
    rep = check_archive(archive, repair=True, verify_hashes=False)
    with archive.db.session() as s:
        a, b = s.get(Publication, untouched), s.get(Publication, edited)
        assert a.title.lower().startswith("межэтническое согласие в городской среде")
        assert [x.name_as_printed for x in a.authorships] and a.year == 2019
        assert b.title == "Межэтническое согласие в" and b.year == 2020          # a person's edit stands
        assert [x.name_as_printed for x in b.authorships] == ["Петров П.П."]
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "publication.rederive")).first()
    assert untouched not in rep.metadata.get("cut", []) and edited in rep.metadata.get("cut", [])
