"""The group's topic vocabulary and topic suggestions from a publication's keywords and text."""
from __future__ import annotations

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from indexer.analysis import analyze, is_stopword, normalize_text, tokenize, word_keys

from ..models import Publication, PublicationTopic, Topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    """One entry of the controlled vocabulary: labels and the ru/kk phrases that signal it."""

    slug: str
    label_ru: str
    label_kk: str
    label_en: str
    phrases: tuple[str, ...]


VOCABULARY: tuple[TopicSpec, ...] = (
    TopicSpec("interethnic-relations", "Межэтнические отношения", "Этносаралық қатынастар", "Interethnic relations",
              ("межэтнический", "межнациональный", "полиэтничный", "этнический группа", "этническое многообразие",
               "этносаралық", "ұлтаралық", "этностар", "көпэтносты")),
    TopicSpec("language-policy", "Языковая политика", "Тіл саясаты", "Language policy",
              ("языковая политика", "государственный язык", "трёхъязычие", "двуязычие", "полиязычие",
               "билингвизм", "казахский язык", "языковой", "тіл саясаты", "мемлекеттік тіл", "үштілділік",
               "қостілділік", "тіл курсы", "ана тілі", "тілді үйрету")),
    TopicSpec("religion", "Религия и конфессии", "Дін және конфессиялар", "Religion and confessions",
              ("религия", "религиозный", "конфессия", "межконфессиональный", "ислам", "православие", "верующий",
               "дін", "діни", "конфессия", "конфессияаралық", "мешіт")),
    TopicSpec("migration", "Миграция", "Көші-қон", "Migration",
              ("миграция", "мигрант", "миграционный", "переселение", "репатриация", "кандас", "оралман",
               "көші-қон", "қандас", "мигрант")),
    TopicSpec("civic-identity", "Гражданская идентичность", "Азаматтық бірегейлік", "Civic identity",
              ("гражданская идентичность", "общегражданская идентичность", "казахстанская идентичность",
               "национальная идентичность", "патриотизм", "азаматтық бірегейлік", "бірегейлік", "патриотизм")),
    TopicSpec("youth", "Молодёжь", "Жастар", "Youth",
              ("молодёжь", "молодёжный", "студент", "студенческий", "школьник", "жастар", "жас ұрпақ",
               "студент", "оқушы")),
    TopicSpec("history", "История Казахстана", "Қазақстан тарихы", "History of Kazakhstan",
              ("история", "исторический", "историческая память", "депортация", "советский период", "тарих",
               "тарихи", "тарихи жады", "қалыптасу тарихы")),
    TopicSpec("assembly", "Деятельность Ассамблеи", "Ассамблея қызметі", "The Assembly's work",
              ("Ассамблея народа Казахстана", "АНК", "Ассамблея", "Қазақстан халқы Ассамблеясы", "ҚХА",
               "Ассамблея")),
    TopicSpec("ethnocultural-associations", "Этнокультурные объединения", "Этномәдени бірлестіктер",
              "Ethnocultural associations",
              ("этнокультурное объединение", "этнокультурный центр", "национально-культурный центр", "диаспора",
               "этномәдени бірлестік", "этномәдени орталық", "диаспора")),
    TopicSpec("education", "Образование", "Білім беру", "Education",
              ("образование", "вуз", "университет", "школа", "обучение", "преподавание", "учебный",
               "білім беру", "білім", "оқыту", "мектеп", "университет", "жоғары оқу орны")),
    TopicSpec("media", "СМИ и медиа", "БАҚ және медиа", "Media",
              ("СМИ", "медиа", "журналист", "средство массовой информации", "социальная сеть", "телевидение",
               "пресса", "БАҚ", "бұқаралық ақпарат құралдары", "әлеуметтік желі", "журналист", "медиа")),
    TopicSpec("demography", "Демография", "Демография", "Demography",
              ("демография", "демографический", "перепись", "рождаемость", "численность населения",
               "демография", "демографиялық", "халық санағы", "халық саны")),
    TopicSpec("public-accord", "Общественное согласие и толерантность", "Қоғамдық келісім және төзімділік",
              "Public accord and tolerance",
              ("общественное согласие", "межэтническое согласие", "толерантность", "толерантный", "согласие",
               "қоғамдық келісім", "келісім", "төзімділік", "татулық")),
)

SPECS = {t.slug: t for t in VOCABULARY}

# Where a match counts how much: a phrase in the title or keywords says more than one in the body.
TITLE_WEIGHT = 4.0
KEYWORD_WEIGHT = 4.0
ABSTRACT_WEIGHT = 2.0
BODY_WEIGHT = 1.0
THRESHOLD = 8.0          # a topic is suggested from this score on...
RELATIVE = 0.3           # ...and when it reaches this share of the publication's strongest topic
MAX_TOPICS = 4
# The body alone is evidence only when the topic runs through it: this many mentions per 1,000 words.
# (A volume on mathematical physics says "университет" and "студент" in every affiliation line: 0.1 per
# 1,000 words, not a topic.) No suggestion beats a wrong one.
BODY_DENSITY = 1.5


def ensure_topics(session: Session) -> list[Topic]:
    """Create the vocabulary's topics that are missing (labels edited in the database are kept)."""
    existing = {t.slug: t for t in session.scalars(select(Topic))}
    for spec in VOCABULARY:
        if spec.slug not in existing:
            topic = Topic(slug=spec.slug, label_ru=spec.label_ru, label_kk=spec.label_kk, label_en=spec.label_en)
            session.add(topic)
            existing[spec.slug] = topic
    session.flush()
    return [existing[s.slug] for s in VOCABULARY] + [t for slug, t in existing.items() if slug not in SPECS]


def vocabulary_topics(session: Session) -> list[Topic]:
    """The vocabulary in its own order (rows not yet created are unsaved stand-ins), then topics added in
    the database — what the entry and review forms offer."""
    stored = {t.slug: t for t in session.scalars(select(Topic).order_by(Topic.slug))}
    topics = [stored.pop(v.slug, None) or Topic(slug=v.slug, label_ru=v.label_ru, label_kk=v.label_kk,
                                                label_en=v.label_en) for v in VOCABULARY]
    return topics + list(stored.values())


def topic_by_slug(session: Session, slug: str) -> Topic | None:
    """The topic with this slug, or None (junk slugs included)."""
    if not slug or len(slug) > 100 or "\x00" in slug:
        return None
    return session.scalars(select(Topic).where(Topic.slug == slug)).first()


@functools.lru_cache(maxsize=None)
def _phrase_keys(phrase: str) -> tuple[frozenset[str], ...]:
    """Index keys of each content word of a vocabulary phrase (stop words dropped)."""
    words = [t.text for t in tokenize(normalize_text(phrase))]
    return tuple(word_keys(w) for w in words if not is_stopword(w))


def _positions(text: str, lang: str) -> dict[str, list[int]]:
    """Word positions of every index key in ``text``."""
    out: dict[str, list[int]] = defaultdict(list)
    for term in analyze(text, lang, latin_keys=False):
        out[term.key].append(term.pos)
    return out


def _count(phrase: tuple[frozenset[str], ...], positions: dict[str, list[int]]) -> int:
    """How many times the phrase's words occur one after another."""
    if not phrase:
        return 0
    starts = {p for k in phrase[0] for p in positions.get(k, ())}
    for offset, keys in enumerate(phrase[1:], start=1):
        nxt = {p for k in keys for p in positions.get(k, ())}
        starts = {p for p in starts if p + offset in nxt}
        if not starts:
            break
    return len(starts)


def topic_scores(publication: Publication) -> dict[str, float]:
    """A score per vocabulary slug from the publication's title, keywords, abstracts and page text."""
    lang = publication.language if publication.language in ("ru", "kk", "en") else "ru"
    titles = " \n\n ".join(dict.fromkeys([publication.title or "", *(publication.titles or {}).values()]))
    # (weight, most hits that count, positions): many repetitions in one field should not drown one
    # strong signal elsewhere, yet a long body on the topic must be able to carry it alone.
    fields = [
        (TITLE_WEIGHT, 3, _positions(titles, lang)),
        # Each keyword is its own text, so a phrase never spans two keywords.
        *((KEYWORD_WEIGHT, 2, _positions(kw, lang)) for kw in (publication.keywords or []) if isinstance(kw, str)),
        (ABSTRACT_WEIGHT, 3, _positions(" \n\n ".join((publication.abstracts or {}).values()), lang)),
    ]
    body = _positions("\n\n".join(p.text for p in publication.pages), lang)
    body_words = max(1, max((pos for places in body.values() for pos in places), default=0))
    scores: dict[str, float] = {}
    for spec in VOCABULARY:
        score = 0.0
        for weight, cap, positions in fields:
            hits = sum(_count(_phrase_keys(ph), positions) for ph in dict.fromkeys(spec.phrases))
            score += weight * min(hits, cap)
        body_hits = sum(_count(_phrase_keys(ph), body) for ph in dict.fromkeys(spec.phrases))
        if score or body_hits * 1000 / body_words >= BODY_DENSITY:
            score += BODY_WEIGHT * min(body_hits, 12)
        if score:
            scores[spec.slug] = score
    return scores


def warm_up() -> None:
    """Analyse the vocabulary's phrases now (stemmers' word lists, the morphology dictionary): a worker does
    this as it starts instead of in its first file."""
    for spec in VOCABULARY:
        for phrase in spec.phrases:
            _phrase_keys(phrase)


def suggest_topics(session: Session, publication: Publication) -> list[Topic]:
    """Topics suggested for a publication, strongest first (at most ``MAX_TOPICS``)."""
    scores = topic_scores(publication)
    top = max(scores.values(), default=0.0)
    chosen = [slug for slug, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
              if s >= THRESHOLD and s >= RELATIVE * top]
    if not chosen:
        return []
    topics = {t.slug: t for t in session.scalars(select(Topic).where(Topic.slug.in_(chosen)))}
    if len(topics) < len(chosen):
        topics = {t.slug: t for t in ensure_topics(session)}
    return [topics[slug] for slug in chosen[:MAX_TOPICS] if slug in topics]


def apply_suggestions(session: Session, publication: Publication) -> list[Topic]:
    """Replace the publication's suggested topics with fresh suggestions; topics set by editors are kept."""
    if publication.id is None:
        session.flush()
    suggested = suggest_topics(session, publication)
    rows = {row.topic_id: row for row in session.scalars(
        select(PublicationTopic).where(PublicationTopic.publication_id == publication.id))}
    keep_ids = {t.id for t in suggested}
    stale = [tid for tid, row in rows.items() if row.suggested and tid not in keep_ids]
    if stale:
        session.execute(delete(PublicationTopic).where(PublicationTopic.publication_id == publication.id,
                                                       PublicationTopic.topic_id.in_(stale)))
    for topic in suggested:
        if topic.id not in rows:
            session.add(PublicationTopic(publication_id=publication.id, topic_id=topic.id, suggested=True))
    session.flush()
    session.expire(publication, ["topics"])
    return suggested


def apply_suggestions_all(session: Session) -> int:
    """Suggest topics for every publication (a backfill); returns how many publications got at least one."""
    ensure_topics(session)
    n = 0
    for pub in session.scalars(select(Publication).order_by(Publication.id)):
        if apply_suggestions(session, pub):
            n += 1
    return n
