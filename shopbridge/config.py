"""Configuration: built-in defaults, then the instance config file, then the environment.

A shop is configured in three layers, each overriding the one before:

1. the defaults below, which serve the embedded demo (SQLite, a SQLite job queue, the sandbox payment provider);
2. ``config.toml`` in the data directory, for settings an operator keeps in a file;
3. environment variables: ``SHOPBRIDGE_<NAME>`` sets ``<NAME>``, and a few well-known names are read as they
   are (``DATABASE_URL``, ``REDIS_URL``, ``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``).

Secrets that the shop needs but nobody should have to invent (the session key and the key that encrypts
platform tokens at rest) are generated on first start and kept in the data directory with owner-only
permissions, never in the repository.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

ENV_PREFIX = "SHOPBRIDGE_"
PASSTHROUGH_ENV = (
    "DATABASE_URL",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
)

DEFAULTS: dict[str, Any] = {
    "SHOP_NAME": "shopbridge demo shop",
    "DEFAULT_CURRENCY": "EUR",
    "DEFAULT_LOCALE": "en",
    "LANGUAGES": ["en", "it"],
    "TIMEZONE": "Europe/Rome",
    # Public address of the storefront. Empty means "the host the request came in on", which suits local use;
    # production sets it so that links, QR codes and feeds built outside a request name the right host.
    "BASE_URL": "",
    "PRODUCTS_PER_PAGE": 24,
    "ADMIN_PAGE_SIZE": 25,
    "MAX_UPLOAD_BYTES": 10 * 1024 * 1024,
    "IMAGE_SIZES": [320, 640, 1280],
    "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    "RATELIMIT_STORAGE_URI": "memory://",
    "QUEUE_URL": "",  # empty: a SQLite queue in the data directory; "redis://..." for scale; "immediate" in tests
    "PAYMENT_PROVIDER": "sandbox",
    "PLUGINS_ALLOW": None,  # a list of plugin names to load, None for every installed plugin
    "TRACE_PLUGINS": False,
    "PLUGINS": [],  # extra plugin modules (dotted names) to register, besides the installed entry points
    "JOB_MAX_ATTEMPTS": 6,  # a publish or sync job gives up (and shows in the admin) after this many tries
    "JOB_BACKOFF_SECONDS": 30,  # first retry delay; doubles each attempt (with jitter), never below Retry-After
    "PUBLISH_STALE_SECONDS": 900,  # an attempt without an outcome this old is treated as crashed
    "SYNC_DEBOUNCE_SECONDS": 30,  # catalogue edits within this window go out as one sync
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: a shopper's tab left open still works
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 14 * 24 * 3600,
}


def _parse_env_value(raw: str) -> Any:
    """Read ``true``/``false``/numbers/JSON lists from the environment; anything else stays a string."""
    lowered = raw.strip().lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    if raw.strip()[:1] in "[{" or raw.strip().lstrip("-").isdigit():
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = dict(os.environ if environ is None else environ)
    found: dict[str, Any] = {}
    for name, raw in environ.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            found[name[len(ENV_PREFIX) :]] = _parse_env_value(raw)
        elif name in PASSTHROUGH_ENV and raw:
            found[name] = raw
    return found


def data_dir_from(overrides: dict[str, Any], environ: dict[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    raw = overrides.get("DATA_DIR") or environ.get(ENV_PREFIX + "DATA_DIR") or "instance"
    return Path(raw).expanduser().resolve()


def from_instance_file(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "config.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        loaded = tomllib.load(fh)
    return {key.upper(): value for key, value in loaded.items()}


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret kept at ``path``, creating it atomically on first use.

    Several gunicorn workers may start at once on a fresh data directory; ``O_EXCL`` makes exactly one of them
    write the file and the others read what it wrote.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            value = path.read_text().strip()
            if value:
                return value
            import time

            time.sleep(0.01)
        raise RuntimeError(f"secret file {path} is empty") from None
    value = secrets.token_urlsafe(nbytes)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def load(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the configuration mapping for :func:`shopbridge.create_app`."""
    overrides = dict(overrides or {})
    data_dir = data_dir_from(overrides, environ)
    data_dir.mkdir(parents=True, exist_ok=True)

    config: dict[str, Any] = dict(DEFAULTS)
    config.update(from_instance_file(data_dir))
    config.update(from_environment(environ))
    config.update(overrides)
    config["DATA_DIR"] = str(data_dir)

    config.setdefault("DATABASE_URL", f"sqlite:///{data_dir / 'shopbridge.db'}")
    config.setdefault("UPLOAD_DIR", str(data_dir / "uploads"))
    config.setdefault("GENERATED_DIR", str(data_dir / "generated"))
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = read_or_create_secret(data_dir / "secret_key")
    if not config.get("ENCRYPTION_KEYS"):
        # A separate key from SECRET_KEY so that rotating sessions never makes stored platform tokens unreadable.
        config["ENCRYPTION_KEYS"] = [read_or_create_secret(data_dir / "encryption_key")]
    elif isinstance(config["ENCRYPTION_KEYS"], str):
        config["ENCRYPTION_KEYS"] = [k for k in config["ENCRYPTION_KEYS"].split(",") if k]

    secure_default = str(config.get("BASE_URL", "")).startswith("https://")
    config.setdefault("SESSION_COOKIE_SECURE", secure_default)
    config.setdefault("REMEMBER_COOKIE_SECURE", secure_default)
    config.setdefault("MAX_CONTENT_LENGTH", int(config["MAX_UPLOAD_BYTES"]) * 5)
    return config
