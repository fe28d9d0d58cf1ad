"""Standards (ГОСТ and the like): the title is the subject after the generic header and the standard's number."""
from __future__ import annotations

import re

from uploads.text import is_caps, letters

from .title import garbage, readable_case

# "МЕЖГОСУДАРСТВЕННЫЙ СТАНДАРТ", "ГОСУДАРСТВЕННЫЙ СТАНДАРТ СОЮЗА ССР", "НАЦИОНАЛЬНЫЙ СТАНДАРТ", "ҰЛТТЫҚ СТАНДАРТ"
_HEADER = re.compile(r"(?:МЕЖГОСУДАРСТВЕННЫЙ|ГОСУДАРСТВЕННЫЙ|НАЦИОНАЛЬНЫЙ|ҰЛТТЫҚ|МЕМЛЕКЕТТІК)\s+(?:ГОСТ\s+)?СТАНД", re.I)
_NUMBER = re.compile(r"(?:ГОСТ|ҚР\s+СТ|СТ\s+РК|ГОСТ\s+Р)\s*(\d{1,2}(?:\.\d{1,4})+)\s*[—–-]\s*(\d{2}(?:\d{2})?)\b")
_BARE_NUMBER = re.compile(r"\b(\d{1,2}\.\d{1,4})\s*[—–-]\s*(\d{2}(?:\d{2})?)\b")
# lines of the title page that are not the subject
_NOT_SUBJECT = re.compile(
    r"система\s+стандартов|издание\s+официальное|official\s+edition|^\s*(?:БЗ|Б3)\s|совет\s+по\s+стандартизации|"
    r"council\s+for\s+standardization|госстандарт|издательство\s+стандартов|москва|минск|interstate|^\s*гост\b", re.I)
_END = re.compile(r"издание\s+официальное|official\s+edition|^\s*(?:БЗ|Б3)\s", re.I)


def _mixed_script(t: str) -> bool:
    """OCR noise on a Cyrillic title page: Latin and Cyrillic words on one line ("нин errr nena")."""
    words = re.findall(r"[^\W\d_]{2,}", t)
    latin = sum(1 for w in words if re.fullmatch(r"[A-Za-z]+", w))
    return 0 < latin < len(words)


def _year(two_or_four: str) -> int:
    y = int(two_or_four)
    return y if y > 999 else (1900 + y if y >= 30 else 2000 + y)


def _number(lines: list[str], head: str) -> tuple[str, int] | None:
    """The standard's own number: on its title page first (OCR often loses "ГОСТ" there), else anywhere."""
    top = " ".join(lines[:12])     # the number may break over lines: "СТАНДАРТ 7.88—" / "2003"
    m = _NUMBER.search(top) or _BARE_NUMBER.search(top) or _NUMBER.search(head)
    if not m:
        return None
    return m.group(1), _year(m.group(2))


def _subject(lines: list[str], head: str) -> list[str]:
    """The subject lines below the header, up to "Издание официальное": no series line, number, noise or imprint."""
    subject: list[str] = []
    skipping = False
    prev = ""
    for t in lines:
        if _END.search(t):
            break
        # the series line ("Система стандартов по информации, / библиотечному …") runs on after its comma
        skipping = bool(t) and (bool(_NOT_SUBJECT.search(t)) or (skipping and (t[:1].islower() or prev.endswith(","))))
        prev = t.rstrip() if t else prev
        if (not t or skipping or garbage(t) or letters(t) < 6 or _BARE_NUMBER.search(t) or _HEADER.search(t)
                or _mixed_script(t)):
            continue
        part = readable_case(t.strip(" ().—-"), head) if is_caps(t) else t.strip(" ().—-")
        subject.append(part.rstrip("."))
    return subject


def standard_title(lines: list[str], head: str) -> tuple[str, int | None] | None:
    """("ГОСТ 7.80-2000. Библиографическая запись. Заголовок. …", 2000) for a standard's title page, else None."""
    # the header may break over two lines: "МЕЖГОСУДАРСТВЕННЫЙ ГОСТ" / "СТАНДАРТ 7.88—"
    start = next((i for i in range(min(15, len(lines)))
                  if _HEADER.search(lines[i] + " " + (lines[i + 1] if i + 1 < len(lines) else ""))), None)
    if start is None:
        return None
    subject = _subject(lines[start + 1:start + 20], head)
    if not subject:
        return None
    number = _number(lines, head)
    title = ". ".join(subject)
    if number:
        return f"ГОСТ {number[0]}-{number[1] % 100 if number[1] < 2000 else number[1]:02d}. {title}", number[1]
    return title, None
