"""The demo shop that ``make run`` loads on first start: users, a catalogue and generated product images."""

from __future__ import annotations

from flask import Flask

from shopbridge import settings
from shopbridge.db import session_scope

DEMO_USERS = (
    ("owner@demo.shop", "demo-owner-password", "owner"),
    ("staff@demo.shop", "demo-staff-password", "staff"),
    ("agency@demo.shop", "demo-agency-password", "agency"),
)
MARKER = "demo.loaded"


def load_demo(app: Flask) -> bool:
    """Load the demo once; returns False (and changes nothing) when it was loaded before."""
    from shopbridge.accounts.service import create_user, find_by_email
    from shopbridge.demo.catalogue import load_catalogue

    with session_scope(app) as session:
        if settings.get(session, MARKER, app=app):
            return False
        for email, password, role in DEMO_USERS:
            if find_by_email(session, email) is None:
                create_user(session, email, password, role, name=f"Demo {role}")
        load_catalogue(app, session)
        _demo_channels(app, session)
        settings.put(session, MARKER, True, app=app)
    return True


def _demo_channels(app: Flask, session) -> None:
    """One dry-run channel per installed channel type: everything they would send lands in the outbox."""
    from shopbridge.channels import service
    from shopbridge.channels.types import SettingField

    def example(field: SettingField):
        if field.secret or not field.required:
            return None  # no credentials: the channel stays in dry run whatever its switch says
        if field.default is not None:
            return field.default
        if field.choices:
            return field.choices[0]
        if field.kind == "integer" or (field.pattern and "\\d" in field.pattern):
            return "1234567890"
        if field.kind == "url":
            return "https://example.com/"
        if field.kind == "boolean":
            return False
        return "demo"

    for ctype in service.channel_types(app).values():
        name = f"{ctype.label} (demo)"
        if service.get_by_name(session, name) is not None:
            continue
        values = {f.name: example(f) for f in ctype.settings}
        try:
            service.create_channel(session, name=name, type=ctype.name, values=values, dry_run=True, app=app)
        except service.ChannelError as exc:
            # A made-up value the type's pattern rejects: leave that setting empty (the owner fills it in) and
            # still give the demo a dry-run channel of this type.
            import secrets

            from shopbridge.channels.models import Channel

            kept = {k: v for k, v in values.items() if k not in exc.errors and v is not None}
            session.add(Channel(name=name, type=ctype.name, key=secrets.token_urlsafe(24), dry_run=True,
                                settings=kept))
