"""A volume built straight in the database, for the tests of split editing and publishing."""
from __future__ import annotations

from archive.models import Publication, PublicationPage, Volume
from archive.services.review import set_authors
from uploads.types import Author

LAYOUT = [(1, 3), (3, 6), (6, 6), (7, 10)]      # articles 1|2 share page 3, 2|3 share page 6


def make_volume(archive, owner: int, layout=LAYOUT, authors=None) -> dict:
    """A 10-page volume with articles at ``layout`` (shared pages allowed), built in the database."""
    with archive.db.session() as s:
        vol = Volume(title="Сборник", year=2021)
        vp = Publication(kind="volume", status="draft", title="Сборник", volume=vol, created_by_id=owner,
                         language="ru", year=2021)
        for n in range(1, 11):
            vp.pages.append(PublicationPage(number=n, text=f"Страница {n}", printed=str(n + 27)))
        s.add(vp)
        s.flush()
        ids = {"volume": vp.id}
        for i, (a, b) in enumerate(layout, start=1):
            art = Publication(kind="article", status="draft", title=f"Статья номер {i}", volume=vol,
                              parent_id=vp.id, created_by_id=owner, pdf_page_start=a, pdf_page_end=b,
                              page_start=a + 27, page_end=b + 27, language="ru")
            for k, n in enumerate(range(a, b + 1), start=1):
                art.pages.append(PublicationPage(number=k, text=f"Страница {n}"))
            s.add(art)
            s.flush()
            names = (authors or {}).get(i, [f"Автор{i} А.А."])
            set_authors(s, art, [Author(name=n) for n in names])
            ids[i] = art.id
        s.commit()
    return ids
