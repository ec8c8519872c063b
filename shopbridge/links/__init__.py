"""Buy links, QR codes, printables and attribution analytics.

Three blueprints: ``shortlinks`` (public: ``/b/<code>``, ``/q/<code>`` and QR images), ``links`` (the admin at
``/admin/links``) and ``analytics`` (``/admin/analytics``). The JSON API lives in :mod:`shopbridge.links.api`
and is registered on the app's flask-smorest ``Api``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

public_bp = Blueprint("shortlinks", __name__)
bp = Blueprint("links", __name__, url_prefix="/admin/links")
analytics_bp = Blueprint("analytics", __name__, url_prefix="/admin/analytics")


def _sign_in_first(_exc):
    """Anonymous visitors of the admin pages are sent to the sign-in page, as in the rest of the admin."""
    from flask import redirect, request, url_for

    return redirect(url_for("auth.login", next=request.full_path))


bp.register_error_handler(401, _sign_in_first)
analytics_bp.register_error_handler(401, _sign_in_first)


def fresh_hits() -> None:
    """Before showing figures, move this host's spooled hits into the database: the owner who scans their own
    poster to try it sees the scan at once, not a second later (see :mod:`shopbridge.links.spool`)."""
    import logging

    from flask import current_app

    from shopbridge.links import spool

    try:
        spool.flush(current_app)
    except Exception:  # the page still shows what the database has; the background thread retries
        logging.getLogger(__name__).warning("could not move spooled hits before a report", exc_info=True)


bp.before_request(fresh_hits)
analytics_bp.before_request(fresh_hits)


def init_app(app: Flask) -> None:
    from shopbridge.links import admin, views  # noqa: F401  (routes register on the blueprints)

    app.register_blueprint(public_bp)
    # No rate limit on buy links: a poster in a station is scanned by many phones behind one carrier NAT
    # address, and limiting them would turn away shoppers. (This also keeps the hot path lean.)
    from shopbridge.extensions import limiter

    limiter.exempt(public_bp)
    app.register_blueprint(bp)
    app.register_blueprint(analytics_bp)
    # The JSON API object is built by shopbridge.api (registered just before us); adding our blueprint from here
    # keeps that package untouched.
    from shopbridge.links import fastpath

    fastpath.install(app)
    api = app.extensions.get("shopbridge.api")
    if api is not None:
        from shopbridge.links.api import blp

        api.register_blueprint(blp)
