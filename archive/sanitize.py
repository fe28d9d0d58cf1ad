"""The one place that calls bleach: rich text (abstracts, an event's programme) is reduced to a small allow-list.

Elements whose content is not text for readers (``<script>``, ``<style>``, ``<template>``…) are removed with
their content before bleach runs (bleach keeps the text of a tag it strips, so ``<script>alert(1)</script>``
would otherwise leave "alert(1)" on the page). ``plain_text`` turns the cleaned markup into text for the
index and for snippets, keeping paragraphs and list items apart.
"""
from __future__ import annotations

import re

import bleach
from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "i", "b", "sup", "sub", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"https", "http", "mailto"})
# Removed with everything inside them: HTML reads their content as raw text (code, styling, a form field's
# value), never as text for readers. Other unknown elements are only unwrapped by bleach (text kept).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "noembed", "noframes",
                                  "textarea", "title", "xmp", "plaintext"})
# Elements that end a line of text: their content never runs into the next element's.
BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "br", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
                    "table", "thead", "tbody", "blockquote", "section", "article", "header", "footer", "aside",
                    "nav", "dd", "dt", "dl", "pre", "hr", "figure", "figcaption", "address", "main"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")


def strip_tags(html: str) -> str:
    """Tags and comments removed, entities decoded, whitespace collapsed: plain text, never markup."""
    # The Markup object is only a parser here; its striptags() returns a plain str, nothing is rendered.
    return Markup(html or "").striptags()  # nosec B704


def _fragment(text: str):
    """The markup parsed into one wrapping element (lxml's HTML parser, no network, no entities beyond HTML's)."""
    try:
        return lxml_html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


_RAW_BLOCK = re.compile(r"<(" + "|".join(sorted(DROPPED_WITH_CONTENT)) + r")\b[^>]*>.*?</\1\s*>", re.I | re.S)


def _drop_content(text: str) -> str:
    """``text`` without the closed elements of ``DROPPED_WITH_CONTENT``, content included (an unclosed one is
    left to bleach, which turns what follows it into plain text)."""
    if "<" not in text:
        return text
    return _RAW_BLOCK.sub("", text)


def clean_html(text: str | None) -> str:
    """Rich text reduced to the allow-list; every other tag and attribute is stripped (text kept), and the
    elements whose content is code are removed with it."""
    if not text:
        return ""
    return bleach.clean(_drop_content(text), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        protocols=ALLOWED_PROTOCOLS, strip=True, strip_comments=True).strip()


def safe_html(text: str | None) -> Markup:
    """Sanitised rich text marked safe for a template (cleaned again on output: defence in depth)."""
    # Bandit B704: the one place markup is trusted, and only after bleach kept the allowed tags alone
    return Markup(clean_html(text))  # nosec B704


def plain_text(html: str | None) -> str:
    """The text of rich text, for the index, snippets and passages: tags removed, entities read, paragraphs
    and list items on lines of their own (never glued: «сөзі</li><li>Тұрсынбай» reads «сөзі\\nТұрсынбай»)."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return _LINES.sub("\n", _SPACES.sub(" ", html)).strip()
    root = _fragment(_drop_content(html))
    if root is None:
        return strip_tags(html)
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        block = tag in BLOCKS
        if block:
            parts.append("\n")
        if el.text and tag:
            parts.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if block:
            parts.append("\n")

    walk(root)
    text = _SPACES.sub(" ", "".join(parts))
    return _LINES.sub("\n", text).strip()
