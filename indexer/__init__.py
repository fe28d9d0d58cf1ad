"""Russian/Kazakh analysis and the search index.

Documents in (``IndexDocument``), ranked ids, totals, facets and snippets out. This package never
imports Flask, SQLAlchemy or ``archive``.
"""
