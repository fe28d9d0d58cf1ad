"""Language of a text or paragraph: Russian, Kazakh or English (the archive's one detector, ``textlang``)."""
from __future__ import annotations

from textlang import detect_language as _detect


def detect_language(text: str, default: str = "", model: bool = True) -> str:
    """"ru", "kk" or "en" for ``text``; ``default`` when there is too little text to tell (``model``: see
    ``textlang.detect_language``)."""
    return _detect(text, default, model)
