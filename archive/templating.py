"""Filters and globals every template may use (registered on the app, not on one blueprint)."""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask_babel import format_date
from markupsafe import Markup

from .core import db_session
from .i18n import _
from .models import ProcessingRecord, Publication
from .sanitize import safe_html
from .services.entries import materials_of
from .services.uploads import message_parts


def clean_html_filter(text: str) -> Markup:
    """Rich text (abstracts, a programme) as sanitised markup."""
    return safe_html(text)


def entry_date(value: str) -> str:
    """An entry's ISO date in the reader's language ("15 March 2024"); anything else as it is."""
    try:
        return format_date(date.fromisoformat(str(value)), "long")
    except ValueError:
        return str(value or "")


def entry_materials(pub: Publication) -> list[Publication]:
    """An event's published materials, for its public page."""
    return materials_of(db_session(), pub)


def record_message(rec: ProcessingRecord) -> str:
    """An upload record's message in the reader's language (each part translated, then its values filled in)."""
    return "; ".join(_(template, **params) for template, params in message_parts(rec))


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.add_template_filter(clean_html_filter, "clean_html")
    app.add_template_filter(entry_date, "entry_date")
    app.add_template_global(entry_materials, "entry_materials")
    app.add_template_global(record_message, "record_message")
