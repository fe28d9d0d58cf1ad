"""Interface language: Russian, Kazakh, English (Flask-Babel); chosen by ?hl=, a cookie, or the browser."""
from __future__ import annotations

from flask import request
from flask_babel import Babel

LOCALES = ("ru", "kk", "en")


def select_locale() -> str:
    hl = request.args.get("hl")
    if hl in LOCALES:
        return hl
    cookie = request.cookies.get("hl")
    if cookie in LOCALES:
        return cookie
    return request.accept_languages.best_match(LOCALES) or "ru"


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "../translations")
    Babel(app, locale_selector=select_locale)

    @app.after_request
    def _remember(resp):
        hl = request.args.get("hl")
        if hl in LOCALES:
            resp.set_cookie("hl", hl, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return resp

    @app.context_processor
    def _locale_ctx():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale() or "ru"), "locales": LOCALES, "lang_url": lang_url}


def lang_url(locale: str) -> str:
    """The current page's address in another interface language."""
    from flask import url_for

    args = request.args.to_dict(flat=False)
    args["hl"] = [locale]
    if request.endpoint is None:
        return "?hl=" + locale
    return url_for(request.endpoint, **(request.view_args or {}), **args)
