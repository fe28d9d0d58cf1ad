"""The topic vocabulary and suggestions from keywords and text (inflected Russian and Kazakh forms count)."""
import os

import pytest
from sqlalchemy import func, select

from archive.models import Publication, PublicationPage, PublicationTopic, Topic
from archive.services.ingest import ingest_file
from archive.services.topics import VOCABULARY, apply_suggestions, ensure_topics, suggest_topics
from support import DEMO


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One archive with the demo files ingested and published."""
    from archive import create_app
    from archive.migrate import upgrade

    config = {"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("topics")), "SECRET_KEY": "t",
              "DATABASE_URL": "", "OCR_ENABLED": os.environ.get("ARCHIVE_TEST_OCR", "1") == "1"}
    application = create_app(config)
    archive = application.extensions["archive"]
    upgrade(archive.db.url)
    for f in sorted(DEMO.iterdir()):
        assert ingest_file(archive, f, f.name, publish=True).status == "ok"
    yield application
    archive.close()


@pytest.fixture
def session(archive):
    with archive.db.session() as s:
        yield s
        s.rollback()


def _pub(session, title_start: str) -> Publication:
    return session.scalars(select(Publication).where(Publication.title.like(f"{title_start}%"))).first()


def test_ensure_topics_seeds_the_vocabulary_once_with_three_labels(session):
    ensure_topics(session)
    ensure_topics(session)
    assert session.scalar(select(func.count()).select_from(Topic)) == len(VOCABULARY)
    lp = session.scalars(select(Topic).where(Topic.slug == "language-policy")).one()
    assert (lp.label_ru, lp.label_kk, lp.label_en) == ("Языковая политика", "Тіл саясаты", "Language policy")
    assert lp.label("kk") == "Тіл саясаты"
    assert all(t.label_ru and t.label_kk and t.label_en for t in session.scalars(select(Topic)))


def test_ensure_topics_keeps_labels_edited_by_editors(session):
    ensure_topics(session)
    t = session.scalars(select(Topic).where(Topic.slug == "media")).one()
    t.label_en = "Media and journalism"
    ensure_topics(session)
    assert t.label_en == "Media and journalism"


@pytest.mark.parametrize("title_start, expected, absent", [
    ("Языковая политика и трёхъязычие", {"language-policy", "education"}, {"religion"}),
    ("Алматыдағы этномәдени бірлестіктер", {"language-policy", "ethnocultural-associations"}, {"religion"}),
    ("Межконфессиональный диалог", {"religion"}, {"language-policy"}),
    ("Гражданская идентичность студенческой", {"civic-identity", "youth"}, {"religion"}),
    ("Межэтнические отношения в городском", {"interethnic-relations"}, {"migration"}),
    ("Жастардың діни сауаттылығы", {"religion", "youth"}, {"language-policy"}),
    ("Қазақстан халқы Ассамблеясының", {"assembly", "history"}, {"religion"}),
])
def test_suggestions_on_the_demo_articles(session, title_start, expected, absent):
    slugs = {t.slug for t in suggest_topics(session, _pub(session, title_start))}
    assert expected <= slugs and not (absent & slugs)
    assert len(slugs) <= 4


def test_inflected_forms_in_body_text_count(session):
    pub = Publication(title="О государстве", language="ru", keywords=[])
    pub.pages = [PublicationPage(number=1, text="О языковой политике государства. Языковую политику обсуждают. "
                                                "Языковой политикой занимаются. Языковая политика меняется. "
                                                "Итоги языковой политики.")]
    assert [t.slug for t in suggest_topics(session, pub)] == ["language-policy"]
    kk = Publication(title="Діннің қоғамдағы рөлі", language="kk", keywords=[])
    kk.pages = [PublicationPage(number=1, text="Діни бірлестіктер. Дінге деген көзқарас. Діннің рөлі. Дінді "
                                                "оқыту. Діни сауаттылық.")]
    assert "religion" in {t.slug for t in suggest_topics(session, kk)}


def test_apply_suggestions_stores_suggested_rows_and_keeps_editor_topics(session):
    ensure_topics(session)
    pub = _pub(session, "Языковая политика и трёхъязычие")
    media = session.scalars(select(Topic).where(Topic.slug == "media")).one()
    migration = session.scalars(select(Topic).where(Topic.slug == "migration")).one()
    session.add(PublicationTopic(publication_id=pub.id, topic_id=media.id, suggested=False))     # an editor's choice
    session.add(PublicationTopic(publication_id=pub.id, topic_id=migration.id, suggested=True))  # a stale guess
    session.flush()
    first = apply_suggestions(session, pub)
    again = apply_suggestions(session, pub)                       # idempotent
    assert [t.slug for t in first] == [t.slug for t in again]
    rows = {r.topic_id: r.suggested for r in session.scalars(
        select(PublicationTopic).where(PublicationTopic.publication_id == pub.id))}
    lp = session.scalars(select(Topic).where(Topic.slug == "language-policy")).one()
    assert rows[lp.id] is True and rows[media.id] is False and migration.id not in rows
    assert {"language-policy", "media"} <= {t.slug for t in pub.topics}


def test_apply_suggestions_seeds_the_vocabulary_when_missing(session):
    from sqlalchemy import delete

    session.execute(delete(PublicationTopic))
    session.execute(delete(Topic))                 # ingest seeds the vocabulary; start without it here
    assert session.scalar(select(func.count()).select_from(Topic)) == 0
    topics = apply_suggestions(session, _pub(session, "Межконфессиональный диалог"))
    assert "religion" in {t.slug for t in topics}


def _long_pub(session, body_sentence: str, sprinkle: str, every: int = 40, pages: int = 30) -> Publication:
    """A publication whose pages repeat a subject sentence, with ``sprinkle`` once every ``every`` sentences."""
    pub = Publication(kind="volume", status="draft", title="Сборник трудов конференции", language="ru")
    n = 0
    for number in range(1, pages + 1):
        sentences = []
        for _ in range(20):
            n += 1
            sentences.append(sprinkle if n % every == 0 else body_sentence)
        pub.pages.append(PublicationPage(number=number, text=" ".join(sentences)))
    session.add(pub)
    session.flush()
    return pub


def test_affiliation_mentions_in_a_long_body_are_no_evidence(session):
    ensure_topics(session)
    pub = _long_pub(session, "Рассмотрена краевая задача для уравнения смешанного типа с оператором Бесселя.",
                    "Стерлитамакский филиал Башкирского государственного университета, студент, молодёжная школа.",
                    every=150)
    assert suggest_topics(session, pub) == []            # "no topic" beats a wrong one


def test_a_body_that_runs_on_the_topic_is_evidence(session):
    ensure_topics(session)
    pub = _long_pub(session, "Языковая политика государства и государственный язык в школах Алматы.",
                    "Погода была хорошей.", every=5, pages=4)
    assert "language-policy" in {t.slug for t in suggest_topics(session, pub)}


def test_warm_up_analyses_every_vocabulary_phrase():
    from archive.services import topics as topics_service

    topics_service._phrase_keys.cache_clear()
    topics_service.warm_up()
    phrases = {ph for spec in topics_service.VOCABULARY for ph in spec.phrases}
    assert topics_service._phrase_keys.cache_info().currsize == len(phrases) > 0
