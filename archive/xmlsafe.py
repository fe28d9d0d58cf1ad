"""Every XML the archive writes goes through here: text and attribute values lose the characters XML 1.0
forbids (C0 controls but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates), so one odd character in a stored
record — or in a harvester's request echoed back — never turns an export, a feed or OAI-PMH into a 500."""
from __future__ import annotations

from typing import Optional

from lxml import etree

from uploads.quality import strip_xml_forbidden


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry."""
    return strip_xml_forbidden(str(value))


def sub(parent: etree._Element, tag: str, text: Optional[object] = None, **attrs: object) -> etree._Element:
    """A child element with safe text and attribute values."""
    el = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def set_attr(el: etree._Element, name: str, value: object) -> None:
    """Set an attribute to a safe value."""
    el.set(name, xml_text(value))
