"""pytest fixtures for shopbridge and its plugins (loaded automatically through the ``pytest11`` entry point).

A plugin's tests get, with no set-up of their own:

- ``app``: a shopbridge app on a fresh, fully migrated database in a temporary data directory;
- ``client`` and ``runner``: Flask's test client and CLI runner for that app;
- ``db_session``: a database session (committed explicitly by the test);
- ``users``: an owner, a staff member and an agency user, with known passwords;
- ``auth``: ``auth.login("staff")`` signs the test client in as that role; ``auth.token("owner")`` returns an
  API token for it;
- ``api_client``: ``api_client("agency").get("/api/v1/products")`` calls the JSON API with that role's token.

Migrating from scratch for every test would dominate the run time, so the schema is migrated once per test
session into a template database and each test starts from a copy of it (SQLite), or from emptied tables
(any other database named by ``SHOPBRIDGE_TEST_DATABASE_URL``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shopbridge.security import use_cheap_hashing_for_tests  # noqa: E402

use_cheap_hashing_for_tests()

PASSWORDS = {"owner": "owner-password-1", "staff": "staff-password-1", "agency": "agency-password-1"}


def _test_database_url() -> str | None:
    """The server database the tests use, if any: one database per pytest-xdist worker, created on demand."""
    url = os.environ.get("SHOPBRIDGE_TEST_DATABASE_URL") or None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        from sqlalchemy.engine import make_url

        base = make_url(url)
        url = base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)
    return url


def _create_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from shopbridge.db import make_engine

    target = make_url(url)
    if target.get_backend_name() != "postgresql":
        return
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory) -> Path | None:
    from shopbridge import migrate
    from shopbridge.db import make_engine

    url = _test_database_url()
    if url:
        _create_database(url)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return None
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _empty_tables(url: str) -> None:
    from shopbridge.db import make_engine, metadata

    engine = make_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        # A connection an earlier test left inside a transaction (a live server's thread, a leaked session)
        # would make TRUNCATE wait for ever: end every other session on this test database first.
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        conn.exec_driver_sql("SET lock_timeout = '20s'")
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture
def app_config(tmp_path) -> dict[str, Any]:
    """Override to change the test app's configuration (call the original and update the dict)."""
    return {}


@pytest.fixture
def app(tmp_path, _migrated_template, app_config):
    import shopbridge.models  # noqa: F401
    from shopbridge.app import create_app

    url = _test_database_url()
    if url:
        _empty_tables(url)
    else:
        target = tmp_path / "shop.db"
        shutil.copyfile(_migrated_template, target)
        url = f"sqlite:///{target}"
    config = {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEYS": ["test-encryption-key"],
        "SERVER_NAME": None,
        "RATELIMIT_ENABLED": False,
        "QUEUE_URL": "immediate",
    }
    config.update(app_config)
    application = create_app(config)
    yield application
    from shopbridge.db import engine
    from shopbridge.links import spool

    # The next test starts from empty tables: this app's spool must not move a late hit into them.
    spool.stop(application)
    engine(application).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db_session(app) -> Iterator[Any]:
    from sqlmodel import Session

    from shopbridge.db import engine

    with Session(engine(app), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def users(app) -> dict[str, Any]:
    from shopbridge.accounts.service import create_user
    from shopbridge.db import session_scope

    made = {}
    with session_scope(app) as session:
        for role, password in PASSWORDS.items():
            made[role] = create_user(session, f"{role}@example.com", password, role, name=role.title())
    return made


@dataclass
class AuthActions:
    app: Any
    client: Any
    users: dict[str, Any]

    def login(self, role: str = "owner", *, follow: bool = False):
        """Sign the test client in as ``role`` through the real login form (CSRF token and all)."""
        page = self.client.get("/admin/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post(
            "/admin/login",
            data={"email": f"{role}@example.com", "password": PASSWORDS[role], "csrf_token": token},
            follow_redirects=follow,
        )

    def logout(self):
        return self.client.post("/admin/logout", data={"csrf_token": self.csrf()})

    def csrf(self, path: str = "/admin/") -> str:
        """A valid CSRF token for the signed-in session, as a form would carry it."""
        return csrf_token_from(self.client.get(path).get_data(as_text=True))

    def token(self, role: str = "owner") -> str:
        from shopbridge.accounts.service import create_token
        from shopbridge.db import session_scope

        with session_scope(self.app) as session:
            user = session.merge(self.users[role])
            _, plain = create_token(session, user, f"test {role}")
        return plain


def csrf_token_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


@pytest.fixture
def auth(app, client, users) -> AuthActions:
    return AuthActions(app, client, users)


class ApiClient:
    """Flask's test client speaking to the JSON API with one bearer token: ``api.post("/api/v1/products",
    json={...})``. Extra ``headers=`` are merged over the token (pass ``Authorization`` to replace it)."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def open(self, path: str, method: str = "GET", **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs):
        return self.open(path, "POST", **kwargs)

    def patch(self, path: str, **kwargs):
        return self.open(path, "PATCH", **kwargs)

    def put(self, path: str, **kwargs):
        return self.open(path, "PUT", **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open(path, "DELETE", **kwargs)


@pytest.fixture
def api_client(auth, client):
    """``api_client("staff")``: an :class:`ApiClient` with a fresh API token of that role's user."""
    return lambda role="owner": ApiClient(client, auth.token(role))


def make_product(session, *, title: str = "Linen shirt", slug: str | None = None, status: str = "active",
                 variants: list[dict] | None = None, category: str | None = "Shirts", brand: str = "Acme",
                 description: str = "A shirt for hot days.", user=None):
    """Create a product through the catalogue service (the same path the admin and the API take)."""
    from shopbridge.catalogue.service import ProductInput, VariantInput, create_product

    variants = variants or [{"sku": (slug or title).upper().replace(" ", "-")[:20] + "-1", "price_minor": 4900,
                             "currency": "EUR", "stock": 5}]
    product = create_product(
        session,
        ProductInput(title=title, slug=slug, status=status, category=category, brand=brand,
                     description=description, variants=[VariantInput(**v) for v in variants]),
        user,
    )
    session.commit()
    return product


@pytest.fixture
def product_factory(db_session):
    """``product_factory(title=..., variants=[{...}])`` creates an active product and returns it."""
    return lambda **kwargs: make_product(db_session, **kwargs)




# --- For platform plugin authors ---------------------------------------------------------------------------------


@dataclass
class ChannelUnderTest:
    """What ``channel_factory`` returns: the saved channel and the context its hooks receive."""

    channel: Any
    context: Any


@pytest.fixture
def channel_factory(app, db_session):
    """``channel_factory("pinterest", {"access_token": "…"}, dry_run=False)`` saves a channel of that type
    (settings validated like the admin does) and returns it with its :class:`~shopbridge.channels.ChannelContext`.

    Requests made through ``context.http`` in dry run land in the outbox (committed with ``db_session``).
    """
    from shopbridge.channels import service

    counter = {"n": 0}

    def make(type: str, settings: dict | None = None, dry_run: bool = True, *, name: str | None = None,
             enabled: bool = True) -> ChannelUnderTest:
        counter["n"] += 1
        with app.app_context():
            channel = service.create_channel(db_session, name=name or f"{type} {counter['n']}", type=type,
                                             values=settings or {}, dry_run=dry_run, enabled=enabled, app=app)
            db_session.commit()
            context = service.context_for(db_session, channel, app=app)
        return ChannelUnderTest(channel, context)

    return make


@pytest.fixture
def captured_http(app) -> list:
    """Every request any channel makes during the test (sent or dry run), as masked ``RecordedRequest`` s."""
    from shopbridge.channels.service import CAPTURE

    captured: list = []
    app.extensions[CAPTURE] = captured
    yield captured
    app.extensions.pop(CAPTURE, None)


class WebhookSigner:
    """Builds inbound webhooks the way platforms sign them."""

    @staticmethod
    def _body(payload) -> bytes:
        import json

        if isinstance(payload, bytes):
            return payload
        if isinstance(payload, str):
            return payload.encode()
        return json.dumps(payload, separators=(",", ":")).encode()

    def meta(self, payload, app_secret: str) -> tuple[bytes, dict[str, str]]:
        """Meta (Facebook, Instagram, WhatsApp, Messenger): ``X-Hub-Signature-256: sha256=<HMAC-SHA256 hex>``."""
        import hashlib
        import hmac

        body = self._body(payload)
        digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}

    def telegram(self, payload, secret_token: str) -> tuple[bytes, dict[str, str]]:
        """Telegram: the ``secret_token`` given to ``setWebhook`` comes back in a header."""
        return self._body(payload), {"Content-Type": "application/json",
                                     "X-Telegram-Bot-Api-Secret-Token": secret_token}


@pytest.fixture
def signed_webhook() -> WebhookSigner:
    """``body, headers = signed_webhook.meta(payload, app_secret)`` (or ``.telegram(payload, token)``)."""
    return WebhookSigner()


class FakeClock:
    """The time jobs go by, moved by hand: ``advance(seconds=…)`` then ``run_due()`` runs what came due."""

    def __init__(self, app, start=None):
        from datetime import UTC, datetime

        self.app = app
        self.now = start or datetime.now(UTC)

    def __call__(self):
        return self.now

    def advance(self, seconds: float = 0, **kwargs) -> Any:
        from datetime import timedelta

        self.now = self.now + timedelta(seconds=seconds, **kwargs)
        return self.now

    def run_due(self) -> int:
        """Run the scheduled jobs whose time has come (retries, scheduled posts, debounced syncs)."""
        from shopbridge import jobs

        return jobs.run_due(self.app, self.now)

    def tick(self) -> None:
        """What the worker does every minute (the sweepers), at the fake time."""
        from shopbridge import jobs

        with self.app.app_context():
            jobs.run_periodic(self.app)


@pytest.fixture
def fake_clock(app) -> FakeClock:
    from shopbridge.jobs import CLOCK

    clock = FakeClock(app)
    app.extensions[CLOCK] = clock
    yield clock
    app.extensions.pop(CLOCK, None)


from shopbridge.browser import chromium, desktop, live_server, phone  # noqa: E402,F401  (fixtures)
from shopbridge.testing_stripe import fake_stripe  # noqa: E402,F401  (fixture)
