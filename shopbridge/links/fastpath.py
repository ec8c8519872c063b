"""A WSGI fast path for the tracked redirect: ``GET /b/<code>`` and ``/q/<code>`` of live links.

Why: a poster in a station is scanned in bursts, on phone connections, and each scan must be recorded durably.
Profiling showed the redirect spending more CPU in Flask's general request cycle (request context, the rate
limiter's before-request check, every app hook) than in its own work (docs/performance.md). This middleware
answers the one common case — a known, live link — before that cycle, doing exactly what the Flask view
does, with the same building blocks:

- the link comes from the same per-process cache (:class:`shopbridge.links.views.ResolvedCache`), the hit is
  written by the same :func:`shopbridge.links.service.record_hit` in the same single transaction;
- the ``Location`` comes from the same :func:`shopbridge.links.views.destination_url`, built by the app's own
  URL map (so it is a path on the shop's host, never a URL from the request);
- the attribution cookie is written by the app's own session interface (``open_session``/``save_session``), so
  the cookie is byte-for-byte what Flask would send and other session keys (a cart, a sign-in) survive;
- the security headers are those of :mod:`shopbridge.web`; a test compares both paths header by header.

Anything else — unknown, disabled or expired codes, archived products, a database error, a session interface
that is not Flask's signed cookie — falls through to the Flask views untouched, which answer as before.
Set ``LINK_FAST_PATH = false`` to switch the fast path off.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.http import dump_cookie
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from shopbridge import db
from shopbridge.links import service, views
from shopbridge.links.models import HitKind
from shopbridge.links.useragents import classify

log = logging.getLogger(__name__)
_PATH = re.compile(rf"^/([bq])/([{service.CODE_ALPHABET}]{{{service.CODE_LENGTH}}})$")


class _CookieJar:
    """What ``SessionInterface.save_session`` needs of a response: ``vary`` and ``set_cookie``.

    ``set_cookie`` mirrors :meth:`werkzeug.wrappers.Response.set_cookie` (same arguments, same
    :func:`~werkzeug.http.dump_cookie`), so the header is exactly what Flask would send.
    """

    def __init__(self, max_cookie_size: int):
        self.vary: set[str] = set()
        self.cookies: list[str] = []
        self._max_size = max_cookie_size

    def set_cookie(self, key: str, value: str = "", max_age=None, expires=None, path: str | None = "/",
                   domain: str | None = None, secure: bool = False, httponly: bool = False,
                   samesite: str | None = None, partitioned: bool = False) -> None:
        self.cookies.append(dump_cookie(key, value=value, max_age=max_age, expires=expires, path=path,
                                        domain=domain, secure=secure, httponly=httponly,
                                        max_size=self._max_size, samesite=samesite, partitioned=partitioned))


class FastRedirect:
    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app = app
        self.wsgi_app = wsgi_app
        self._headers: list[tuple[str, str]] | None = None
        # (link, kind, script root) → (Location, body): a cached link always leads to the same place.
        self._locations: dict[tuple, tuple[str, bytes]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and self.app.config.get("LINK_FAST_PATH", True):
            match = _PATH.match(environ.get("PATH_INFO") or "")
            if match is not None:
                kind = HitKind.scan if match.group(1) == "q" else HitKind.click
                answer = self._answer(environ, match.group(2), kind)
                if answer is not None:
                    headers, body = answer
                    start_response("302 FOUND", headers)
                    return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]
        return self.wsgi_app(environ, start_response)

    def _security_headers(self) -> list[tuple[str, str]]:
        if self._headers is None:
            from shopbridge.web import content_security_policy

            self._headers = [
                ("Content-Security-Policy", content_security_policy(self.app)),
                ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "strict-origin-when-cross-origin"),
                ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
            ]
        return self._headers

    def _location(self, environ: dict, link: service.Resolved, kind: str) -> tuple[str, bytes]:
        key = (link, kind, environ.get("SCRIPT_NAME", ""), "checkout.start" in self.app.view_functions)
        found = self._locations.get(key)
        if found is None:
            adapter = self.app.url_map.bind_to_environ(environ)
            location = views.destination_url(
                link, kind, build=lambda endpoint, **values: adapter.build(endpoint, values),
                endpoints=self.app.view_functions)
            found = (location, redirect(location, 302, Response).get_data())
            if len(self._locations) > 10_000:
                self._locations.clear()
            self._locations[key] = found
        return found

    def _answer(self, environ: dict, code: str, kind: str) -> tuple[list[tuple[str, str]], bytes] | None:
        app = self.app
        interface = app.session_interface
        if type(interface) is not SecureCookieSessionInterface:
            return None  # a custom session store: let Flask handle it
        user_agent = environ.get("HTTP_USER_AGENT")
        cache = views.resolved_cache(app)
        try:
            with db.engine(app).begin() as conn:
                link = cache.get(conn, code)
                if link is None or not link.product_available or not link.is_live():
                    return None  # 404 / 410 pages come from the Flask views
                service.record_hit(
                    conn, link_id=link.link_id, kind=kind, user_agent=user_agent,
                    referrer=environ.get("HTTP_REFERER"), ip=environ.get("REMOTE_ADDR"),
                    secret_key=app.config["SECRET_KEY"],
                )
        except sa.exc.SQLAlchemyError:
            log.warning("fast path could not record a hit on %s; handing over to the view", code, exc_info=True)
            return None
        location, body = self._location(environ, link, kind)
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                   ("Location", location), ("Cache-Control", "no-store")]
        if not classify(user_agent).is_bot:
            session = interface.open_session(app, Request(environ))
            if session is None:
                return None
            session["sb_link"] = {"code": link.code, "at": int(time.time())}
            jar = _CookieJar(Response.max_cookie_size)
            interface.save_session(app, session, jar)
            headers.extend(("Set-Cookie", cookie) for cookie in jar.cookies)
            if jar.vary:
                headers.append(("Vary", ", ".join(sorted(jar.vary))))
        headers.extend(self._security_headers())
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
        return headers, body


def install(app: Flask) -> None:
    app.wsgi_app = FastRedirect(app, app.wsgi_app)  # type: ignore[method-assign]
