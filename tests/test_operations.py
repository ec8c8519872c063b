"""What an operator relies on: a health check, clean failures when the database is away, and no secret in logs."""

from __future__ import annotations

import logging

import pytest

from shopbridge.app import create_app


def test_health_check_reports_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok",
                                   "hit_spool": {"files": 0, "oldest_seconds": 0.0}}


def test_health_check_shows_buy_link_hits_waiting_for_the_database(app, client, db_session):
    from shopbridge.links import service, spool
    from shopbridge.testing import make_product

    link = service.create_link(db_session, product=make_product(db_session), destination="product",
                               channel="poster")
    db_session.commit()
    waiting = spool.HitSpool(app, spool.spool_for(app).directory, interval=3600)  # a worker that cannot flush
    waiting.append(service.hit_values(link_id=link.id, kind="scan", user_agent="x", referrer=None, ip=None,
                                      secret_key="k"))
    assert client.get("/healthz").get_json()["hit_spool"]["files"] == 1
    waiting.flush()
    assert client.get("/healthz").get_json()["hit_spool"] == {"files": 0, "oldest_seconds": 0.0}


@pytest.fixture
def app_without_database(tmp_path):
    # A SQLite file in a directory that does not exist: every connection attempt fails, like a database down.
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "k",
                       "ENCRYPTION_KEYS": ["e"], "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/shop.db"})


def test_without_a_database_pages_answer_503_and_ask_to_retry(app_without_database):
    client = app_without_database.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"]
    page = client.get("/")
    assert page.status_code == 503
    assert "Back in a moment" in page.get_data(as_text=True)
    api = client.get("/api/v1/products", headers={"Authorization": "Bearer sb_x"})
    assert api.status_code == 503
    assert api.headers["Content-Type"] == "application/problem+json"


def test_configured_secrets_never_reach_the_logs(tmp_path, caplog):
    stripe_key = "sk_test_51NotARealKeyButLongEnough"
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "DATABASE_URL": "sqlite://",
                      "STRIPE_SECRET_KEY": stripe_key, "ENCRYPTION_KEYS": ["enc-key-123456"]})
    log = logging.getLogger("shopbridge.test")
    with caplog.at_level(logging.INFO):
        log.info("calling Stripe with %s", stripe_key)
        log.warning("secret key is " + app.config["SECRET_KEY"])
        try:
            raise RuntimeError(f"boom {stripe_key}")
        except RuntimeError:
            log.exception("failed")
    text = caplog.text
    assert stripe_key not in text and app.config["SECRET_KEY"] not in text
    assert "calling Stripe with ***" in text


def test_json_logs_are_one_object_per_line(tmp_path):
    import json

    from shopbridge.logs import JsonFormatter

    record = logging.LogRecord("shopbridge", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hello world" and entry["level"] == "info" and entry["time"]


def test_behind_a_proxy_the_forwarded_scheme_and_address_are_trusted(tmp_path):
    from flask import jsonify, request

    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "d"), "DATABASE_URL": "sqlite://",
                      "SECRET_KEY": "k", "ENCRYPTION_KEYS": ["e"], "PROXY_FIX": 1})

    @app.get("/_echo")
    def echo():
        return jsonify(scheme=request.scheme, addr=request.remote_addr)

    echo.access_rule = ("public",)
    seen = app.test_client().get("/_echo", headers={"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-For": "203.0.113.9"}).get_json()
    assert seen == {"scheme": "https", "addr": "203.0.113.9"}
