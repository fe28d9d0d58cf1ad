"""Files in, plain data out: type detection, text extraction, quality repair, metadata, volume splitting.

This package never imports Flask, SQLAlchemy or ``archive``. ``precheck`` is the quick look a web request
may take before queueing a file; ``pipeline.process_file`` does the work in a limited child process.
"""
from .admission import Precheck, precheck

__all__ = ["Precheck", "precheck"]
