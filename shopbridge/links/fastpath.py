"""A WSGI fast path for the tracked redirect: ``GET /b/<code>`` and ``/q/<code>`` of live links.

Why: a poster in a station is scanned in bursts, on phone connections, and each scan must be recorded durably.
Profiling showed the redirect spending more CPU in Flask's general request cycle (request context, the rate
limiter's before-request check, every app hook) than in its own work (docs/performance.md). This middleware
answers the one common case — a known, live link — before that cycle, doing exactly what the Flask view
does, with the same building blocks:

- the link is resolved and the hit recorded by the same :func:`shopbridge.links.views.track` (per-process
  link cache, hit spool);
- the ``Location`` comes from the same :func:`shopbridge.links.views.destination_url`, built by the app's own
  URL map (so it is a path on the shop's host, never a URL from the request);
- the attribution cookie comes from the same :func:`shopbridge.links.attribution.header`;
- the security headers are those of :mod:`shopbridge.web`; a test compares both paths header by header.

Anything else — unknown, disabled or expired codes, archived products, a database error — falls through to
the Flask views untouched, which answer as before. Set ``LINK_FAST_PATH = false`` to switch the fast path off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from flask import Flask
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from shopbridge.links import attribution, service, views
from shopbridge.links.models import HitKind

log = logging.getLogger(__name__)
_PATH = re.compile(rf"^/([bq])/([{service.CODE_ALPHABET}]{{{service.CODE_LENGTH}}})$")


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
        user_agent = environ.get("HTTP_USER_AGENT")
        try:
            link, live = views.track(app, code, kind, user_agent=user_agent, referrer=environ.get("HTTP_REFERER"),
                                     ip=environ.get("REMOTE_ADDR"))
        except sa.exc.SQLAlchemyError:
            return None  # the Flask view answers (503), and logs it
        if link is None or not live:
            if link is not None:
                environ[views.RECORDED] = True  # the visit of an ended link is recorded; the view shows the page
            return None  # 404 / 410 pages come from the Flask views
        location, body = self._location(environ, link, kind)
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))),
                   ("Location", location), ("Cache-Control", "no-store")]
        cookie = attribution.header_for_visit(app, link.code, user_agent)
        if cookie is not None:
            headers.append(("Set-Cookie", cookie))
        headers.extend(self._security_headers())
        if environ.get("wsgi.url_scheme") == "https":
            headers.append(("Strict-Transport-Security", "max-age=31536000"))
        return headers, body


def install(app: Flask) -> None:
    app.wsgi_app = FastRedirect(app, app.wsgi_app)  # type: ignore[method-assign]
