"""Macro files are imported without the page's context.

Jinja builds a macro file imported plainly once and keeps it; imported ``with context`` it is built again on every
page, from that page's whole context. On CPython 3.11 the latter crashed the process (a segmentation fault in the
garbage collector) on a person page listing a thousand publications, so macro files must work without the page's
variables: whatever they need is a parameter or a global (``ui_locale()`` for the locale).
"""
from __future__ import annotations

import re

import pytest
from jinja2 import meta

from support import REPO

TEMPLATES = REPO / "templates"
IMPORT = re.compile(r"{%-?\s*(?:import|from)\s+\"([^\"]+)\"[^%]*?%}")


def _imports() -> list[tuple[str, str]]:
    out = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for m in IMPORT.finditer(path.read_text(encoding="utf-8")):
            out.append((str(path.relative_to(TEMPLATES)), m.group(0)))
    return out


def test_no_template_imports_macros_with_the_page_context():
    found = [(name, tag) for name, tag in _imports() if "with context" in tag]
    assert _imports() and not found, found


def test_imported_macro_files_use_only_globals_and_their_parameters(app):
    env = app.jinja_env
    imported = sorted({IMPORT.match(tag).group(1) for _, tag in _imports()})
    assert "browse/_browse.html" in imported
    for name in imported:
        free = meta.find_undeclared_variables(env.parse(env.loader.get_source(env, name)[0]))
        unknown = sorted(v for v in free if v not in env.globals)
        assert not unknown, f"{name} reads {unknown} from the page that imports it"


@pytest.mark.parametrize("locale", ["ru", "kk", "en"])
def test_a_macro_speaks_the_page_language(app, locale):
    from archive.models import Topic

    topic = Topic(id=1, slug="language-policy", label_ru="Языковая политика", label_kk="Тіл саясаты",
                  label_en="Language policy")
    source = '{% import "browse/_browse.html" as b %}{{ b.topic_chips([(topic, 3)]) }}'
    with app.test_request_context(f"/?hl={locale}"):
        html = app.jinja_env.from_string(source).render(topic=topic)
    assert f">{topic.label(locale)}</a>" in html
    others = {topic.label_ru, topic.label_kk, topic.label_en} - {topic.label(locale)}
    assert not any(label in html for label in others)
