"""Language of a text or paragraph: Russian, Kazakh or English."""
from __future__ import annotations

import functools
import re
import threading

_KK_ONLY = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYR = re.compile(r"[\u0400-\u04ff]")
_LAT = re.compile(r"[A-Za-z]")
_lock = threading.Lock()
_identifier = None


def _langid():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier  # model ships in the wheel

                ident = LanguageIdentifier.from_model_file(MODEL_FILE)
                ident.set_languages(["ru", "kk", "en"])
                _identifier = ident
    return _identifier


@functools.lru_cache(maxsize=4096)
def detect_language(text: str, default: str = "") -> str:
    """"ru", "kk" or "en" for ``text``; ``default`` when there is too little text to tell."""
    sample = text[:4000]
    cyr = len(_CYR.findall(sample))
    lat = len(_LAT.findall(sample))
    if cyr + lat < 12:
        return default
    if lat > cyr * 2:
        return "en"
    kk = len(_KK_ONLY.findall(sample))
    # Kazakh-only letters are about 8-10 % of Cyrillic letters in Kazakh prose and ~0 in Russian.
    if kk >= 3 and kk / max(cyr, 1) > 0.02:
        return "kk"
    if kk == 0 and cyr >= 200:
        return "ru"          # a long Cyrillic passage without a single Kazakh letter is Russian

    lang, _ = _langid().classify(sample)
    if lang == "en" and cyr > lat:
        return "ru"
    return lang
