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
        settings.put(session, MARKER, True, app=app)
    return True
