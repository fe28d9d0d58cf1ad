"""Line patterns that delimit the zones of an article's first pages (headers, abstract, keywords, body, references)."""
from __future__ import annotations

import re

HEADER_RE = re.compile(
    r"журнал|вестник|вісник|известия|хабаршы|хабарлары|journal|bulletin|proceedings|серия|series|"
    r"том\s*\d|vol\.|№\s*\d|issn|isbn|удк|ӘОЖ|ббк|doi|pacs|msc|грнти|ғтамр|http|www\.|@|"
    r"материалы|конференци|сборник|научн(?:ый|ые) труды|технічні науки|стр\.|pp\.|с\.\s*\d|"
    r"проблемы теоретической|copyright|©",
    re.IGNORECASE,
)
ABSTRACT_MARK = re.compile(
    r"^\s*(Аннотация|Аңдатпа|Андатпа|Түйіндеме|Түйін(?!\s*(?:ді\s+)?сөз)|Abstract|Резюме|Summary|Annotation|Реферат)"
    r"\s*(?:[.:—–-]\s*|\s+(?=\S)|$)",
    re.IGNORECASE,
)
KEYWORDS_MARK = re.compile(
    r"^\s*(Ключевые\s+слова|Кілт(?:ті)?\s+сөздер|Түйін(?:ді)?\s+сөздер|Тірек\s+сөздер|Key\s*-?\s*words|"
    r"Index\s+terms)\s*(?:[.:—–-]\s*|\s+)",
    re.IGNORECASE,
)
BODY_START = re.compile(
    r"^\s*(?:\d\.?\s*)?(Введение|Кіріспе|Introduction|Постановка|Проблема и ее|Актуальность|Основная часть|"
    r"Материалы и методы|Мазмұны|Содержание|Оглавление)\b",
    re.IGNORECASE,
)
REFS_RE = re.compile(
    r"^\s*(?:\d\.?\s*)?(Литература|Список\s+(?:использованной\s+|цитируемой\s+)?литературы|Библиографический\s+список|"
    r"Список\s+источников|Әдебиеттер(?:\s+тізімі)?|Пайдаланылған\s+әдебиеттер|References|Bibliography|Источники)\b",
    re.IGNORECASE,
)


def ends_front(line: str) -> bool:
    """True for the first line after the front zone (abstract, keywords, body or references start)."""
    return bool(ABSTRACT_MARK.match(line) or KEYWORDS_MARK.match(line) or BODY_START.match(line) or REFS_RE.match(line))
