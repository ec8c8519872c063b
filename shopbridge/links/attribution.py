"""Which buy link earned a sale: a small signed cookie set by the redirect and read by checkout.

Why its own cookie rather than a key in Flask's session: the redirect is the hottest path of the shop (a poster
in a station is scanned in bursts), and the session cookie costs a JSON round trip, compression and a
key derivation on every hit, plus a ``Vary: Cookie``. This cookie is one HMAC: ``<code>.<unix time>.<mac>``.
It is signed so that a visitor cannot credit a sale to a link they never followed (the figures shops pay
agencies by), and it is separate from the session so that following a link never touches a cart or a sign-in.

The last link followed wins, within :data:`WINDOW`; bots never receive the cookie (see the redirect views).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from functools import lru_cache

from werkzeug.http import dump_cookie

COOKIE = "sb_ref"
#: How long after following a link a purchase still counts for it.
WINDOW = timedelta(days=30)
_MAX_CODE = 64


@lru_cache(maxsize=8)
def _key(secret_key: str) -> bytes:
    # A key of its own, derived from the app secret: a MAC made for this cookie is valid nowhere else.
    return hmac.new(secret_key.encode(), b"shopbridge buy-link attribution", hashlib.sha256).digest()


def _mac(secret_key: str, payload: str) -> str:
    digest = hmac.new(_key(secret_key), payload.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def value(secret_key: str, code: str, at: int | None = None) -> str:
    """The cookie value recording that ``code`` was followed at ``at`` (now by default)."""
    payload = f"{code}.{int(time.time()) if at is None else at}"
    return f"{payload}.{_mac(secret_key, payload)}"


def header(secret_key: str, code: str, *, secure: bool, at: int | None = None) -> str:
    """A complete ``Set-Cookie`` header value: HttpOnly, SameSite=Lax (it must survive the top-level navigation
    from an in-app browser or a QR scanner to the shop), kept for the attribution window."""
    return dump_cookie(COOKIE, value(secret_key, code, at), max_age=int(WINDOW.total_seconds()), path="/",
                       secure=secure, httponly=True, samesite="Lax")


def header_for_visit(app, code: str, user_agent: str | None) -> str | None:
    """The ``Set-Cookie`` value a redirect sends for a visit of ``code``, or ``None`` for a bot or link preview:
    they never carry attribution into checkout. Used by the Flask view and the WSGI fast path alike."""
    from shopbridge.links.useragents import classify

    if classify(user_agent).is_bot:
        return None
    return header(app.config["SECRET_KEY"], code, secure=app.config["SESSION_COOKIE_SECURE"])


def link_code(secret_key: str, cookie: str | None, now: float | None = None) -> str | None:
    """The buy-link code in ``cookie`` if its signature holds and it is recent enough to earn the sale."""
    if not cookie or len(cookie) > _MAX_CODE + 64:
        return None
    payload, _, mac = cookie.rpartition(".")
    code, _, at_text = payload.rpartition(".")
    if not code or not at_text.isdigit() or not hmac.compare_digest(mac, _mac(secret_key, payload)):
        return None
    now = time.time() if now is None else now
    return code if 0 <= now - int(at_text) <= WINDOW.total_seconds() else None


def from_request() -> str | None:
    """The attributed buy-link code of the current request (for checkout)."""
    from flask import current_app, request

    return link_code(current_app.config["SECRET_KEY"], request.cookies.get(COOKIE))
