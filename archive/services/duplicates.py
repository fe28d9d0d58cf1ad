"""Probable duplicates: the same article as PDF and DOCX, or re-uploaded with small changes.

Same bytes are caught earlier by the sha256; here we compare a normalised title key and a 64-bit
SimHash of the text's word 3-shingles. Matches are flagged with a link, never merged.
"""
from __future__ import annotations

import hashlib
import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import Publication

MAX_DISTANCE = 12           # Hamming distance still "the same text": PDF/DOCX pairs measured 4-5, unrelated texts >= 26
_WORD = re.compile(r"[^\W\d_]{2,}")


def title_key(title: str) -> str:
    """Lower case, ё→е, letters and digits only, single spaces, at most 300 characters."""
    return re.sub(r"\W+", " ", (title or "").lower().replace("ё", "е")).strip()[:300]


def simhash(text: str) -> int | None:
    """Signed 64-bit SimHash of word 3-shingles (fits a BIGINT); None for too little text."""
    words = [w.lower().replace("ё", "е") for w in _WORD.findall(text)]
    if len(words) < 30:
        return None
    weights = [0] * 64
    for i in range(len(words) - 2):
        h = int.from_bytes(hashlib.blake2b(" ".join(words[i:i + 3]).encode(), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return value - (1 << 64) if value >= 1 << 63 else value


def distance(a: int, b: int) -> int:
    """Hamming distance of two signed 64-bit hashes."""
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def find_probable_duplicates(session: Session, pub: Publication) -> list[tuple[int, str]]:
    """Other publications that are probably the same work: (id, "title" | "text")."""
    found: dict[int, str] = {}
    kinds = ("volume",) if pub.kind == "volume" else ("article", "report", "commentary", "event")
    conditions = []
    if pub.title_key and len(pub.title_key) >= 12:
        conditions.append(Publication.title_key == pub.title_key)
    if pub.simhash is not None:
        conditions.append(Publication.simhash.is_not(None))
    if not conditions:
        return []
    rows = session.execute(select(Publication.id, Publication.title_key, Publication.simhash)
                           .where(Publication.id != pub.id, Publication.kind.in_(kinds), or_(*conditions)))
    for pid, key, sh in rows:
        if pub.title_key and key == pub.title_key and len(key) >= 12:
            found[pid] = "title"
        elif sh is not None and pub.simhash is not None and distance(sh, pub.simhash) <= MAX_DISTANCE:
            found.setdefault(pid, "text")
    return sorted(found.items())


def unlink_duplicates(session: Session, ids: list[int]) -> None:
    """Records that pointed at ``ids`` as their duplicate no longer do (those records are going away)."""
    for other in session.scalars(select(Publication).where(Publication.duplicate_of_id.in_(ids))):
        other.duplicate_of_id = None
