"""``/healthz`` for load balancers and monitors, and clean 503s when the database is unreachable."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, g, jsonify, render_template, request
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shopbridge import db
from shopbridge.access import public

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
RETRY_AFTER = "5"


@bp.get("/healthz")
@public
def healthz():
    """200 when this worker can reach the database, 503 otherwise. Cheap enough to poll every second.

    ``hit_spool`` tells monitors how many buy-link hit files wait on this host to be moved into the database
    and how old the oldest is (:mod:`shopbridge.links.spool`); it never fails the check.
    """
    from flask import current_app

    from shopbridge.links import spool

    waiting = spool.backlog(current_app)
    try:
        with db.engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError, PoolTimeout) as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        response = jsonify(status="unavailable", database="unreachable", hit_spool=waiting)
        response.status_code = 503
        response.headers["Retry-After"] = RETRY_AFTER
        return response
    return jsonify(status="ok", database="ok", hit_spool=waiting)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    def database_unavailable(exc):
        # A connection lost mid-request (database restarting, failover) is the infrastructure's fault, not
        # the shopper's: answer 503 with Retry-After so clients and load balancers try again, and roll back.
        log.error("database unavailable: %s", type(exc).__name__)
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
        if request.path.startswith("/api/") or request.path.startswith("/webhooks/"):
            from shopbridge.problems import problem_response

            response = problem_response(503, detail="The shop's database is unavailable; try again shortly.")
        else:
            response = app.make_response((render_template("errors/unavailable.html"), 503))
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(PoolTimeout, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
