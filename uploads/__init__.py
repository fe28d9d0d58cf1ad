"""Files in, plain data out: type detection, text extraction, quality repair, metadata, volume splitting.

This package never imports Flask, SQLAlchemy or ``archive``.
"""
