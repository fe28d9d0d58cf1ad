"""The one place that calls bleach: rich text (abstracts) is reduced to a small allow-list."""
from __future__ import annotations

import bleach
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "i", "b", "sup", "sub", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"https", "http", "mailto"})


def clean_html(text: str | None) -> str:
    """Rich text reduced to the allow-list; every other tag and attribute is stripped (text kept)."""
    if not text:
        return ""
    return bleach.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
                        strip=True, strip_comments=True).strip()


def safe_html(text: str | None) -> Markup:
    """Sanitised rich text marked safe for a template (cleaned again on output: defence in depth)."""
    # Bandit B704: the one place markup is trusted, and only after bleach kept the allowed tags alone
    return Markup(clean_html(text))  # nosec B704


def plain_text(html: str | None) -> str:
    """Text of sanitised rich text, tags removed and entities read (for the index and for plain fields)."""
    # Bandit B704 does not apply: striptags returns a plain str; nothing is marked safe
    return Markup(html or "").striptags()  # nosec B704
