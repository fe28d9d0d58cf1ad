"""Imported once by the forkserver (``limits._context``): what every extraction child needs is loaded here,
before the fork, instead of again in each child.

The language identifier's model takes ~1.7 s to unpack; loaded in the server, every child shares it.
"""
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

try:
    import textlang

    from . import metadata, pipeline, references  # noqa: F401

    # The identifier is built lazily, and only for text the letter rules cannot decide: build it here once.
    textlang.warm_up()
except Exception:  # noqa: BLE001 - a failed warm-up only costs time: each child loads what it needs itself
    logger.warning("extraction preload failed; children will load their models themselves", exc_info=True)
