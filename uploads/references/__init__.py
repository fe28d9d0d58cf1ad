"""Reference lists of articles: find them, split them into entries, read the fields, match them to works.

``find_reference_lists(pages, title="", next_title="")`` takes one article's page texts and returns
``ReferenceList``s of ``Reference`` entries (raw text kept, ``parse_status`` per entry and per list);
``volume_reference_lists(pages, spans)`` does every article of a volume; ``parse_entry`` reads one entry;
``work_key`` and ``match_score`` link entries to works already in the archive (link only at
``LINK_THRESHOLD`` or above). Pure functions on strings, no I/O: see docs/references.md.
"""
from .fields import parse_entry
from .locate import find_reference_lists, split_entries, volume_reference_lists
from .matching import LINK_THRESHOLD, match_score, normalise_title, title_similarity, work_key
from .model import PARSED, PARTIAL, UNPARSED, Reference, ReferenceList

__all__ = [
    "LINK_THRESHOLD",
    "PARSED",
    "PARTIAL",
    "UNPARSED",
    "Reference",
    "ReferenceList",
    "find_reference_lists",
    "match_score",
    "normalise_title",
    "parse_entry",
    "split_entries",
    "title_similarity",
    "volume_reference_lists",
    "work_key",
]
