"""The shop's own settings (name, default currency and language): the database wins over the configuration.

The configuration file gives a fresh shop its starting values; once the owner saves the settings page, the
values in the database are used. Reads are remembered for a couple of seconds per process
(:mod:`shopbridge.recent`), since every page shows the shop's name.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from shopbridge import audit, recent, settings
from shopbridge.accounts.models import User
from shopbridge.money import MoneyError, normalise_currency

#: setting key → the configuration key that provides its default
SHOP_SETTINGS = {"shop_name": "SHOP_NAME", "default_currency": "DEFAULT_CURRENCY", "default_locale": "DEFAULT_LOCALE"}


class SettingsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def effective(session: Session, key: str) -> Any:
    """The value in use for ``key``: the saved setting, else the configured default.

    Every page reads some of these (the layout shows the shop's name, the locale selector needs its default
    language), so they are remembered for a couple of seconds (:mod:`shopbridge.recent`).
    """
    app = current_app._get_current_object()

    def load() -> Any:
        stored = settings.get(session, key)
        return stored if stored not in (None, "") else app.config[SHOP_SETTINGS[key]]

    try:
        return recent.remembered(app, ("shop_setting", key), load)
    except SQLAlchemyError:
        # Error pages (the database being what failed, say) must still render: the configured value will do.
        session.rollback()
        return app.config[SHOP_SETTINGS[key]]


def update(session: Session, values: dict[str, str], user: User | None, *, languages: list[str]) -> dict:
    """Validate and save ``values``; returns the changes (also written to the audit log)."""
    errors: dict[str, str] = {}
    cleaned = {
        "shop_name": (values.get("shop_name") or "").strip(),
        "default_currency": (values.get("default_currency") or "").strip().upper(),
        "default_locale": (values.get("default_locale") or "").strip(),
    }
    if not cleaned["shop_name"]:
        errors["shop_name"] = "is required"
    elif len(cleaned["shop_name"]) > 80:
        errors["shop_name"] = "is longer than 80 characters"
    try:
        normalise_currency(cleaned["default_currency"])
    except MoneyError as exc:
        errors["default_currency"] = str(exc)
    if cleaned["default_locale"] not in languages:
        errors["default_locale"] = f"must be one of {', '.join(languages)}"
    if errors:
        raise SettingsError(errors)
    before = {key: effective(session, key) for key in SHOP_SETTINGS}
    for key, value in cleaned.items():
        settings.put(session, key, value)
    changes = audit.diff(before, cleaned)
    if changes:
        audit.record(session, user, "settings.update", None, changes)
    return changes  # the flush of the new values makes shopbridge.recent forget the old ones
