"""Channels: connect, configure and test a plugin's channel type; build the context its hooks receive.

The only writer of :class:`~shopbridge.channels.models.Channel`. Settings are validated against the type's
:class:`~shopbridge.channels.SettingField` s; secret settings are encrypted with the app's ``SecretBox`` and never
handed back to a page. A channel whose required secrets are missing can only ever run in dry run.
"""

from __future__ import annotations

import json
import re
import secrets as pysecrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_request_context, url_for
from sqlmodel import Session, select

from shopbridge import audit, plugins
from shopbridge.accounts.models import User
from shopbridge.channels.context import ChannelContext
from shopbridge.channels.http import PlatformHTTP, RecordedRequest
from shopbridge.channels.models import Channel, OutboxEntry
from shopbridge.channels.types import Capability, ChannelType, ConnectionCheck, SettingField
from shopbridge.db import utcnow
from shopbridge.settings import secret_box

TYPES_CACHE = "shopbridge.channel_types"
TRANSPORT = "shopbridge.channel_transport"  # tests put an httpx transport here to reach a fake platform
CAPTURE = "shopbridge.http_capture"  # tests put a list here to see every request any channel made


class ChannelError(ValueError):
    """Bad channel input; ``errors`` maps a field name to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


# --- Channel types ----------------------------------------------------------------------------------------------


def channel_types(app: Flask | None = None) -> dict[str, ChannelType]:
    """Every channel type the installed plugins declare, by name (computed once per app)."""
    app = app or current_app._get_current_object()
    cached = app.extensions.get(TYPES_CACHE)
    if cached is None:
        cached = {}
        for declared in plugins.call("shopbridge_channel_types", app=app):
            for ctype in declared or ():
                if isinstance(ctype, ChannelType) and ctype.name not in cached:
                    cached[ctype.name] = ctype
        app.extensions[TYPES_CACHE] = cached
    return cached


def channel_type(name: str, app: Flask | None = None) -> ChannelType | None:
    return channel_types(app).get(name)


def can(channel: Channel, capability: Capability, app: Flask | None = None) -> bool:
    ctype = channel_type(channel.type, app)
    return bool(ctype and capability in ctype.capabilities)


# --- Settings ---------------------------------------------------------------------------------------------------


def _coerce(field: SettingField, raw: Any) -> tuple[Any, str | None]:
    """The typed value of one setting, or an error message."""
    if field.kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        return str(raw).strip().lower() in {"1", "true", "yes", "on", "y"}, None
    text = "" if raw is None else str(raw).strip()
    if field.kind == "integer":
        if not re.fullmatch(r"-?\d+", text):
            return None, "Enter a whole number."
        value: Any = int(text)
    elif field.kind == "url":
        if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", text):
            return None, "Enter a full web address starting with https://."
        value = text
    elif field.kind == "choice":
        if text not in field.choices:
            return None, f"Choose one of: {', '.join(field.choices)}."
        value = text
    else:
        value = text
    if field.pattern and not re.fullmatch(field.pattern, text):
        return None, "This value does not have the expected format."
    return value, None


def validate_settings(ctype: ChannelType, values: dict[str, Any],
                      existing_secrets: set[str] = frozenset()) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split and check ``values`` against ``ctype``'s fields; returns ``(settings, secrets)``.

    A blank secret keeps the stored one ("leave blank to keep"). Required secrets may be missing: the channel
    then runs in dry run until they are given. Raises :class:`ChannelError` with a message per bad field.
    """
    settings: dict[str, Any] = {}
    secret_values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in ctype.settings:
        raw = values.get(field.name)
        blank = raw is None or (isinstance(raw, str) and raw.strip() == "")
        if field.secret:
            if not blank:
                secret_values[field.name] = str(raw).strip()
                if field.pattern and not re.fullmatch(field.pattern, str(raw).strip()):
                    errors[field.name] = "This value does not have the expected format."
            continue
        if blank and field.kind != "boolean":
            if field.default is not None:
                settings[field.name] = field.default
            elif field.required:
                errors[field.name] = "This setting is required."
            continue
        value, error = _coerce(field, raw)
        if error:
            errors[field.name] = error
        else:
            settings[field.name] = value
    if errors:
        raise ChannelError(errors)
    return settings, secret_values


def missing_secrets(channel: Channel, ctype: ChannelType | None) -> list[str]:
    if ctype is None:
        return []
    have = set(channel.secret_names or ())
    return [f.label for f in ctype.settings if f.secret and f.required and f.name not in have]


def effective_dry_run(channel: Channel, app: Flask | None = None) -> bool:
    """Dry run when switched on, or when the channel lacks credentials (it could not send anyway)."""
    return bool(channel.dry_run or missing_secrets(channel, channel_type(channel.type, app)))


def decrypted_secrets(channel: Channel, app: Flask | None = None) -> dict[str, str]:
    if not channel.secrets:
        return {}
    return json.loads(secret_box(app).decrypt(channel.secrets))


def _store_secrets(channel: Channel, values: dict[str, str], app: Flask | None = None) -> None:
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    channel.secrets = secret_box(app).encrypt(json.dumps(kept)) if kept else None
    channel.secret_names = sorted(kept)


def _check_name(session: Session, name: str, channel: Channel | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ChannelError({"name": "Give the channel a name, e.g. “Instagram – main account”."})
    if len(name) > 120:
        raise ChannelError({"name": "Keep the name under 120 characters."})
    clash = session.exec(select(Channel).where(Channel.name == name)).first()
    if clash is not None and (channel is None or clash.id != channel.id):
        raise ChannelError({"name": "Another channel already has this name."})
    return name


def create_channel(session: Session, *, name: str, type: str, values: dict[str, Any] | None = None,
                   dry_run: bool = True, enabled: bool = True, user: User | None = None,
                   app: Flask | None = None) -> Channel:
    ctype = channel_type(type, app)
    if ctype is None:
        raise ChannelError({"type": "No installed plugin provides this channel type."})
    name = _check_name(session, name)
    settings, secret_values = validate_settings(ctype, values or {})
    channel = Channel(name=name, type=type, key=pysecrets.token_urlsafe(24), enabled=enabled, dry_run=dry_run,
                      settings=settings)
    _store_secrets(channel, secret_values, app)
    session.add(channel)
    session.flush()
    audit.record(session, user, "channel.create", channel,
                 {"type": type, "settings": settings, "secrets_set": sorted(secret_values), "dry_run": dry_run})
    return channel


def update_channel(session: Session, channel: Channel, *, name: str | None = None,
                   values: dict[str, Any] | None = None, dry_run: bool | None = None,
                   enabled: bool | None = None, clear_secrets: tuple[str, ...] = (), user: User | None = None,
                   app: Flask | None = None) -> Channel:
    ctype = channel_type(channel.type, app)
    changes: dict[str, Any] = {}
    if name is not None and name.strip() != channel.name:
        changes["name"] = [channel.name, _check_name(session, name, channel)]
        channel.name = name.strip()
    if values is not None:
        if ctype is None:
            raise ChannelError({"type": "The plugin for this channel type is not installed."})
        settings, secret_values = validate_settings(ctype, values, set(channel.secret_names or ()))
        if settings != channel.settings:
            changes["settings"] = audit.diff(channel.settings, settings)
            channel.settings = settings
        if secret_values or clear_secrets:
            stored = decrypted_secrets(channel, app)
            stored.update(secret_values)
            for gone in clear_secrets:
                stored.pop(gone, None)
            _store_secrets(channel, stored, app)
            changes["secrets_changed"] = sorted(set(secret_values) | set(clear_secrets))
    if dry_run is not None and dry_run != channel.dry_run:
        changes["dry_run"] = [channel.dry_run, dry_run]
        channel.dry_run = dry_run
    if enabled is not None and enabled != channel.enabled:
        changes["enabled"] = [channel.enabled, enabled]
        channel.enabled = enabled
    if changes:
        channel.updated_at = utcnow()
        session.add(channel)
        audit.record(session, user, "channel.update", channel, changes)
    return channel


def get_by_name(session: Session, name: str) -> Channel | None:
    return session.exec(select(Channel).where(Channel.name == name)).first()


def list_channels(session: Session) -> list[Channel]:
    return list(session.exec(select(Channel).order_by(Channel.type, Channel.name)))


# --- The context a plugin's hook receives ------------------------------------------------------------------------


def absolute_url(endpoint: str, app: Flask | None = None, **values: Any) -> str:
    """An absolute URL on the shop's public host, inside a request or not (jobs, CLI)."""
    app = app or current_app._get_current_object()
    base = str(app.config.get("BASE_URL") or "").rstrip("/")
    if has_request_context():
        from shopbridge.web import external_url

        return external_url(endpoint, **values)
    with app.test_request_context("/", base_url=base or "http://localhost:5000"):
        return url_for(endpoint, _external=True, **values)


def webhook_url(channel: Channel, app: Flask | None = None) -> str:
    return absolute_url("webhooks.channel_webhook", app, channel_key=channel.key)


def outbox_recorder(session: Session, channel: Channel, label: str = ""):
    """A ``PlatformHTTP`` recorder that writes each request to the outbox in ``session`` (the caller commits)."""

    def record(request: RecordedRequest) -> None:
        session.add(OutboxEntry(channel_id=channel.id, method=request.method, url=request.url,
                                headers=dict(request.headers), body=_jsonable(request.body), context=label[:200]))

    return record


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)


@dataclass
class _Saver:
    session: Session
    channel: Channel
    app: Flask

    def __call__(self, changes: dict[str, Any]) -> None:
        ctype = channel_type(self.channel.type, self.app)
        secret_fields = {f.name for f in ctype.settings if f.secret} if ctype else set()
        stored = decrypted_secrets(self.channel, self.app)
        for key, value in changes.items():
            if key in secret_fields:
                stored[key] = value
            else:
                self.channel.settings = {**self.channel.settings, key: value}
        _store_secrets(self.channel, stored, self.app)
        self.channel.updated_at = utcnow()
        self.session.add(self.channel)


@dataclass
class _Renewer:
    """:meth:`ChannelContext.renew` against the database: single-flight across threads and processes."""

    channel_id: int
    app: Flask

    def __call__(self, stale: dict[str, Any], fetch) -> dict[str, Any]:
        import sqlalchemy as sa

        from shopbridge.db import engine

        # A session of its own: the new credentials are committed the moment the platform issues them, whatever
        # happens to the caller's transaction, and the lock is held only for this exchange.
        with Session(engine(self.app), expire_on_commit=False) as session:
            table = Channel.__table__
            # The UPDATE takes the channel row's write lock (a row lock on PostgreSQL, the database write lock on
            # SQLite); a concurrent renewal of the same channel waits here until this one commits.
            session.execute(sa.update(table).where(table.c.id == self.channel_id).values(updated_at=utcnow()))
            channel = session.get(Channel, self.channel_id)
            if channel is None:
                raise LookupError(f"channel {self.channel_id} was deleted")
            current = {**channel.settings, **decrypted_secrets(channel, self.app)}
            if any(current.get(key) != value for key, value in stale.items()):
                session.rollback()  # another worker renewed while we waited: use its values
                return current
            try:
                changes = fetch(dict(current))
                _Saver(session, channel, self.app)(changes)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return changes


def context_for(session: Session, channel: Channel, *, app: Flask | None = None, label: str = "",
                dry_run: bool | None = None) -> ChannelContext:
    """The one place a :class:`ChannelContext` is built: decrypted settings, an HTTP client, a settings saver.

    In dry run every request the plugin makes is recorded in the outbox (in ``session``; the caller commits).
    Secrets are masked in everything recorded.
    """
    app = app or current_app._get_current_object()
    stored_secrets = decrypted_secrets(channel, app)
    is_dry = effective_dry_run(channel, app) if dry_run is None else (dry_run or effective_dry_run(channel, app))
    recorders = [outbox_recorder(session, channel, label)] if is_dry else []
    capture = app.extensions.get(CAPTURE)
    if capture is not None:
        recorders.append(capture.append)
    http = PlatformHTTP(
        secrets=tuple(v for v in stored_secrets.values() if isinstance(v, str)),
        dry_run=is_dry,
        recorder=(lambda request: [r(request) for r in recorders]) if recorders else None,
        transport=app.extensions.get(TRANSPORT),
    )
    return ChannelContext(
        id=channel.id,
        name=channel.name,
        type=channel.type,
        settings={**channel.settings, **stored_secrets},
        http=http,
        dry_run=is_dry,
        webhook_url=webhook_url(channel, app),
        shop_name=str(app.config.get("SHOP_NAME", "")),
        shop_url=absolute_url("storefront.home", app),
        save_settings=_Saver(session, channel, app),
        # Dry run never renews for real (nothing is sent), so it has nothing to serialise.
        renewer=None if is_dry or channel.id is None else _Renewer(channel.id, app),
    )


def test_connection(session: Session, channel: Channel, *, user: User | None = None,
                    app: Flask | None = None) -> ConnectionCheck:
    """Ask the channel's plugin to check its settings; the answer is kept on the channel and shown."""
    from shopbridge.channels.errors import PlatformError

    app = app or current_app._get_current_object()
    ctx = context_for(session, channel, app=app, label="test connection")
    try:
        check = plugins.call("shopbridge_test_connection", app=app, raise_crash=True, channel=ctx)
    except PlatformError as exc:
        check = ConnectionCheck(ok=False, detail=exc.message)
    except plugins.PluginCrashed as exc:
        check = ConnectionCheck(ok=False, detail=str(exc))
    if check is None:
        check = ConnectionCheck(ok=False, detail="No installed plugin can check this channel type.")
    if ctx.dry_run and check.ok:
        check = ConnectionCheck(ok=True, detail=f"{check.detail} (dry run: nothing was sent)")
    channel.last_check_ok = check.ok
    channel.last_check_detail = check.detail[:1000]
    channel.last_check_at = utcnow()
    session.add(channel)
    audit.record(session, user, "channel.test", channel, {"ok": check.ok})
    return check
