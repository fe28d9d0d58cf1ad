"""Progress of one file's extraction: ``report(stage, done, total)`` from anywhere in the pipeline.

The limited child installs a sink that sends events to the parent (``limits.run_limited``); without a sink
(a bench, a test, an in-process call) ``report`` does nothing. One child handles one file, so a
module-level sink is enough and the extractors need no callback parameter.
"""
from __future__ import annotations

import time
from typing import Callable

__all__ = ["STAGES", "Throttle", "report", "reporting"]

STAGES = ("read", "ocr", "split", "metadata")
MIN_INTERVAL_S = 0.25   # at most ~4 events a second: a 1,500-page file must not flood the parent

_sink: Callable[[dict], None] | None = None


class Throttle:
    """Pass events on to ``send``: the first and last of each stage always, others at most every ``interval`` s."""

    def __init__(self, send: Callable[[dict], None], interval: float = MIN_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._send, self._interval, self._clock = send, interval, clock
        self._stage = ""
        self._last = float("-inf")

    def __call__(self, event: dict) -> None:
        now = self._clock()
        edge = event["stage"] != self._stage or event["done"] >= event["total"]
        if not edge and now - self._last < self._interval:
            return
        self._stage, self._last = event["stage"], now
        self._send(event)


def report(stage: str, done: int, total: int) -> None:
    """Tell whoever listens that ``done`` of ``total`` units of ``stage`` are finished (cheap when nobody does)."""
    if _sink is not None:
        _sink({"stage": stage, "done": int(done), "total": int(total)})


class reporting:  # noqa: N801 - used as a context manager, reads like one
    """Install ``sink`` for the events reported inside the ``with`` block (throttled unless ``throttle=False``)."""

    def __init__(self, sink: Callable[[dict], None] | None, throttle: bool = True) -> None:
        self._new = Throttle(sink) if (sink is not None and throttle) else sink
        self._old: Callable[[dict], None] | None = None

    def __enter__(self) -> "reporting":
        global _sink
        self._old, _sink = _sink, self._new
        return self

    def __exit__(self, *exc) -> None:
        global _sink
        _sink = self._old
