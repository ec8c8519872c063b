"""Languages and locale-aware formatting.

The shopper's language comes from, in order: an explicit ``?lang=`` choice (remembered in the session), the
signed-in user's preference, the browser's ``Accept-Language``, and the shop's default. Prices and dates are
formatted by Babel for that locale, so an Italian shopper reads ``19,99 €`` and an English one ``€19.99``.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, request, session
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from shopbridge.extensions import babel
from shopbridge.money import Money


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    requested = request.args.get("lang")
    if requested in languages:
        session["lang"] = requested
        return requested
    if session.get("lang") in languages:
        return session["lang"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return request.accept_languages.best_match(languages) or _default_locale()


def _default_locale() -> str:
    """The language chosen on the admin's settings page, else ``DEFAULT_LOCALE`` from the configuration."""
    from shopbridge import db
    from shopbridge.admin.shop_settings import effective

    return effective(db.session(), "default_locale")


def format_money(value: Money | None, fallback: str = "") -> str:
    if value is None:
        return fallback
    return value.format(str(get_locale() or "en"))


def format_when(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, fmt)


def init_app(app: Flask) -> None:
    from pathlib import Path

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config.get("TIMEZONE", "UTC"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals["money_of"] = lambda minor, currency: format_money(Money(int(minor), currency))
    app.jinja_env.globals["current_locale_code"] = lambda: str(get_locale() or app.config["DEFAULT_LOCALE"])
    app.jinja_env.filters["when"] = format_when
