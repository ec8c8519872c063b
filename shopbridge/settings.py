"""Shop settings kept in the database and edited in the admin.

Values are JSON. Secret values (platform tokens, Stripe keys) are encrypted with the app's
:class:`~shopbridge.security.SecretBox` before they reach the database, and are never put in logs or pages:
the admin shows only whether a secret is set.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from sqlmodel import Session

from shopbridge.accounts.models import Setting
from shopbridge.db import utcnow
from shopbridge.security import SecretBox

EXTENSION = "shopbridge.secretbox"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = SecretBox(app.config["ENCRYPTION_KEYS"])


def secret_box(app: Flask | None = None) -> SecretBox:
    return (app or current_app).extensions[EXTENSION]


def get(session: Session, key: str, default: Any = None, *, app: Flask | None = None) -> Any:
    row = session.get(Setting, key)
    if row is None or row.value is None:
        return default
    if row.is_secret:
        return secret_box(app).decrypt(row.value)
    return row.value


def put(session: Session, key: str, value: Any, *, secret: bool = False, app: Flask | None = None) -> None:
    row = session.get(Setting, key) or Setting(key=key)
    row.is_secret = secret
    row.value = secret_box(app).encrypt(str(value)) if secret and value is not None else value
    row.updated_at = utcnow()
    session.add(row)
