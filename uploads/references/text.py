"""Character classes and small text helpers shared by the reference modules."""
from __future__ import annotations

import re
import unicodedata

# Upper- and lower-case letters as regex class bodies (the stdlib ``re`` has no \p{Lu}): Latin with
# diacritics and Cyrillic with the Kazakh letters. Latin Extended-A/B alternate upper and lower case
# letter by letter, so that block counts as both - compact ranges keep the patterns quick to compile.
UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u024f\u0400-\u042f\u0460-\u04fe"
LO = "a-z\u00df-\u00f6\u00f8-\u00ff\u0100-\u024f\u0430-\u045f\u0461-\u04ff"

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_TABLE = str.maketrans({c: "-" for c in DASHES})
_CYR_RE = re.compile("[\u0400-\u04ff]")
_LAT_RE = re.compile("[A-Za-z\u00c0-\u024f]")


def squash(text: str) -> str:
    """NFC, soft hyphens dropped, every run of white space one blank, stripped."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if "\u00ad" in text or "\ufffe" in text:
        text = text.replace("\u00ad", "").replace("\ufffe", "")
    return " ".join(text.split())


def plain_dashes(text: str) -> str:
    """Every hyphen or dash variant as ASCII "-" (page ranges are compared this way)."""
    return text.translate(_DASH_TABLE)


def script_of(text: str) -> str:
    """"latin" when Latin letters outnumber Cyrillic ones, else "cyrillic"."""
    return "latin" if len(_LAT_RE.findall(text)) > len(_CYR_RE.findall(text)) else "cyrillic"
