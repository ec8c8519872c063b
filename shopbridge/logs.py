"""Logging: plain text for a person at a terminal, JSON lines for production (``LOG_FORMAT=json``).

Every handler carries a filter that replaces any configured secret (Stripe keys, platform tokens, the secret
key itself) with ``***`` wherever it appears in a message or its arguments, so a careless log line or a
library's debug output cannot leak one. Channel secrets are registered at run time with :func:`add_secret`.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

SECRET_CONFIG_KEYS = ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ENCRYPTION_KEYS", "DATABASE_URL")
MASK = "***"


class RedactSecrets:
    """Masks known secret values in every log record, whichever handler later writes it.

    It wraps the log-record factory rather than sitting on one handler as a filter, because handlers come and
    go (gunicorn's, pytest's capture, a plugin's own) and a filter on one of them protects only that one.
    """

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._previous_factory = None

    def add(self, value: str | None) -> None:
        if value and len(value) >= 6:
            with self._lock:
                self._secrets.add(value)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def install(self) -> None:
        if self._previous_factory is not None:
            return
        previous = self._previous_factory = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if self._secrets:
                message = record.getMessage()
                redacted = self.redact(message)
                if redacted != message:
                    record.msg, record.args = redacted, None
                if record.exc_info:
                    record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
                    record.exc_info = None
            return record

        logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry.update(method=request.method, path=request.path, request_id=g.get("request_id"))
        if record.exc_text or record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


_redactor = RedactSecrets()


def add_secret(value: str | None) -> None:
    """Never let ``value`` appear in a log line from now on."""
    _redactor.add(value)


def init_app(app: Flask) -> None:
    for key in SECRET_CONFIG_KEYS:
        value = app.config.get(key)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str):
                if key == "DATABASE_URL":
                    from sqlalchemy.engine import make_url

                    try:
                        item = make_url(item).password
                    except Exception:  # noqa: BLE001 - an unparsable URL has no password to hide
                        item = None
                add_secret(item)
    _redactor.install()
    root = logging.getLogger()
    if not getattr(root, "_shopbridge_handler", False) and not app.testing:
        handler = logging.StreamHandler()
        if app.config.get("LOG_FORMAT") == "json":
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
        root._shopbridge_handler = True
