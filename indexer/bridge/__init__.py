"""Russian <-> Kazakh term bridge: a query in one language also finds documents in the other.

Links come from the curated glossary (``indexer/data/bridge_glossary.tsv``), the topic vocabulary's labels and
phrases, and parallel titles, abstracts and keyword lists of publications; every side carries the index keys
our analyzer gives its forms. Plain data in, plain data out: ``archive`` hands the topics and parallel texts
over as tuples or the dataclasses below (this package never imports ``archive``).

    bridge = build_bridge(load_glossary(), topic_labels, parallel)
    expanded = expand_query(bridge, parse_query("межэтническое согласие"))
    expanded.query          # ParsedQuery with BridgedWord / BridgedPhrase alternatives (weight 0.5 x confidence)
    expanded.translation    # which words were bridged, into which language
    bridge.counts(); bridge.links_of("келісім")     # for ``manage.py bridge``

See docs/crosslingual.md.
"""
from .align import ParallelRecord, parallel_record, split_keywords
from .core import MIN_CONFIDENCE, Bridge, Link, Match, build_bridge, describe_link
from .expand import (DEFAULT_WEIGHT, BridgedPhrase, BridgedQuery, BridgedTerm, BridgedWord, Translation,
                     expand_query, original_clauses, translate)
from .forms import Side, make_side
from .sources import GLOSSARY_PATH, GlossaryEntry, GlossaryError, TopicLabels, load_glossary

__all__ = ["Bridge", "BridgedPhrase", "BridgedQuery", "BridgedTerm", "BridgedWord", "DEFAULT_WEIGHT",
           "GLOSSARY_PATH", "GlossaryEntry", "GlossaryError", "Link", "MIN_CONFIDENCE", "Match",
           "ParallelRecord", "Side", "TopicLabels", "Translation", "build_bridge", "describe_link",
           "expand_query", "load_glossary", "make_side", "original_clauses", "parallel_record",
           "split_keywords", "translate"]
