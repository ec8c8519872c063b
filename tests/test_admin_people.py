"""The owner runs the shop's people and settings; everyone manages their own API tokens; every change is in
the audit log; signing in is rate-limited and says nothing about which emails exist; admin forms need CSRF."""

from __future__ import annotations

import re

import pytest
from admin_helpers import errors_for, text
from sqlmodel import Session, select

from shopbridge import audit
from shopbridge.accounts.models import ApiToken, AuditEntry, Role, User
from shopbridge.db import engine, session_scope
from shopbridge.testing import AuthActions, csrf_token_from


def _user(app, email: str) -> User | None:
    with Session(engine(app)) as session:
        return session.exec(select(User).where(User.email == email)).first()


def _audit(app, action: str) -> list[AuditEntry]:
    with Session(engine(app)) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- People -----------------------------------------------------------------------------------------------------


def test_the_owner_adds_a_staff_member_who_can_then_sign_in(app, client, auth):
    auth.login("owner")
    response = client.post("/admin/users/new", data={
        "csrf_token": auth.csrf("/admin/users/new"), "email": "Maria@Example.com", "name": "Maria",
        "role": "staff", "password": "a-long-initial-pass"})
    assert response.status_code == 302
    assert "Added maria@example.com as staff." in text(client.get("/admin/users"))
    [entry] = [e for e in _audit(app, "user.create") if e.changes["email"] == "maria@example.com"]
    assert entry.actor == "owner@example.com" and entry.changes["role"] == "staff"

    maria = app.test_client()
    page = maria.get("/admin/login").get_data(as_text=True)
    signed_in = maria.post("/admin/login", data={"csrf_token": csrf_token_from(page), "email": "maria@example.com",
                                                 "password": "a-long-initial-pass"})
    assert signed_in.status_code == 302
    assert maria.get("/admin/products/new").status_code == 200
    assert maria.get("/admin/users").status_code == 403


def test_adding_a_person_twice_or_with_a_short_password_is_refused(app, client, auth):
    auth.login("owner")
    csrf = auth.csrf("/admin/users/new")
    taken = client.post("/admin/users/new", data={"csrf_token": csrf, "email": "STAFF@example.com", "role": "staff",
                                                  "password": "long-enough-pass"})
    assert taken.status_code == 400
    assert errors_for(text(taken), "email") == ["a user with this email already exists"]
    short = client.post("/admin/users/new", data={"csrf_token": csrf, "email": "new@example.com", "role": "staff",
                                                  "password": "short"})
    assert short.status_code == 400 and errors_for(text(short), "password")
    assert _user(app, "new@example.com") is None


def test_the_owner_changes_a_role_and_it_takes_effect_at_once(app, client, auth, users):
    staff_client = AuthActions(app, app.test_client(), users)
    staff_client.login("staff")
    assert staff_client.client.get("/admin/products/new").status_code == 200

    auth.login("owner")
    staff_id = users["staff"].id
    response = client.post(f"/admin/users/{staff_id}/role", data={"csrf_token": auth.csrf("/admin/users"),
                                                                   f"u{staff_id}-role": "agency"})
    assert response.status_code == 302
    assert "staff@example.com is now agency." in text(client.get("/admin/users"))
    assert _user(app, "staff@example.com").role == Role.agency
    assert staff_client.client.get("/admin/products/new").status_code == 403
    assert _audit(app, "user.update")[-1].changes == {"role": ["staff", "agency"]}


def test_the_last_owner_cannot_be_demoted_or_deactivated(app, client, auth, users):
    auth.login("owner")
    owner_id = users["owner"].id
    csrf = auth.csrf("/admin/users")
    client.post(f"/admin/users/{owner_id}/role", data={"csrf_token": csrf, f"u{owner_id}-role": "staff"})
    page = text(client.get("/admin/users"))
    assert "owner@example.com keeps their role: the shop needs at least one owner." in page
    assert _user(app, "owner@example.com").role == Role.owner

    client.post(f"/admin/users/{owner_id}/active", data={"csrf_token": csrf, "active": "0"})
    assert "You cannot deactivate your own account" in text(client.get("/admin/users"))
    assert _user(app, "owner@example.com").is_active


def test_a_deactivated_person_is_signed_out_and_their_tokens_stop_working(app, client, auth, users):
    staff_token = auth.token("staff")
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {staff_token}"}).status_code == 200
    staff_session = AuthActions(app, app.test_client(), users)
    staff_session.login("staff")

    auth.login("owner")
    staff_id = users["staff"].id
    client.post(f"/admin/users/{staff_id}/active", data={"csrf_token": auth.csrf("/admin/users"), "active": "0"})
    assert not _user(app, "staff@example.com").is_active
    assert "/admin/login" in staff_session.client.get("/admin/products", headers={"Accept": "text/html"}).headers[
        "Location"]
    assert app.test_client().get("/api/v1/products",
                                 headers={"Authorization": f"Bearer {staff_token}"}).status_code == 401

    client.post(f"/admin/users/{staff_id}/active", data={"csrf_token": auth.csrf("/admin/users"), "active": "1"})
    assert _user(app, "staff@example.com").is_active
    assert [e.changes for e in _audit(app, "user.update")] == [{"is_active": [True, False]},
                                                              {"is_active": [False, True]}]


# --- API tokens -------------------------------------------------------------------------------------------------


def test_a_person_creates_a_token_sees_it_once_and_revokes_it(app, client, auth):
    auth.login("agency")
    response = client.post("/admin/tokens", data={"csrf_token": auth.csrf("/admin/tokens"),
                                                  "name": "scheduler"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    plain = re.search(r'<code class="token-once" id="new-token">(sb_[^<]+)</code>', response.get_data(as_text=True))
    assert plain, "the new token is shown"
    plain = plain.group(1)
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {plain}"}).status_code == 200

    listing = text(client.get("/admin/tokens"))
    assert plain not in listing  # shown once, never again
    assert "scheduler" in listing and f"{plain[:10]}…" in listing and "last used" in listing

    with Session(engine(app)) as session:
        token = session.exec(select(ApiToken).where(ApiToken.name == "scheduler")).one()
    client.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": auth.csrf("/admin/tokens")})
    assert "revoked" in text(client.get("/admin/tokens"))
    assert app.test_client().get("/api/v1/products",
                                 headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert [e.action for e in _audit(app, "token.revoke")] == ["token.revoke"]


def test_nobody_can_revoke_someone_elses_token(app, client, auth):
    auth.token("owner")
    with Session(engine(app)) as session:
        owners = session.exec(select(ApiToken)).one()
    auth.login("staff")
    response = client.post(f"/admin/tokens/{owners.id}/revoke", data={"csrf_token": auth.csrf("/admin/tokens")})
    assert response.status_code == 404
    with Session(engine(app)) as session:
        assert session.get(ApiToken, owners.id).revoked_at is None


def test_a_token_needs_a_name(client, auth):
    auth.login("staff")
    response = client.post("/admin/tokens", data={"csrf_token": auth.csrf("/admin/tokens"), "name": ""})
    assert response.status_code == 400 and "token-once" not in response.get_data(as_text=True)


# --- Settings ---------------------------------------------------------------------------------------------------


def test_the_owner_renames_the_shop_and_sets_its_defaults(app, client, auth, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt")
    auth.login("owner")
    page = text(client.get("/admin/settings"))
    assert 'value="shopbridge demo shop"' in page
    response = client.post("/admin/settings", data={"csrf_token": auth.csrf("/admin/settings"),
                                                     "shop_name": "Bottega Riva", "default_currency": "chf",
                                                     "default_locale": "it"})
    assert response.status_code == 302
    assert "Bottega Riva" in text(client.get("/admin/"))
    shopper = app.test_client()  # no Accept-Language: the shop's default language applies
    home = shopper.get("/").get_data(as_text=True)
    assert "<title>Bottega Riva</title>" in home and '<html lang="it">' in home
    assert 'value="CHF"' in text(client.get("/admin/products/new"))  # the default for new products
    [entry] = _audit(app, "settings.update")
    assert entry.changes == {"shop_name": ["shopbridge demo shop", "Bottega Riva"],
                             "default_currency": ["EUR", "CHF"], "default_locale": ["en", "it"]}


def test_bad_settings_are_refused_and_nothing_is_saved(app, client, auth):
    auth.login("owner")
    response = client.post("/admin/settings", data={"csrf_token": auth.csrf("/admin/settings"),
                                                     "shop_name": "Bottega", "default_currency": "ABC",
                                                     "default_locale": "en"})
    assert response.status_code == 400
    assert errors_for(text(response), "default_currency") == [
        "“ABC” is not an ISO 4217 currency code (for example EUR, USD, GBP)."]
    assert "shopbridge demo shop" in text(client.get("/admin/"))
    assert _audit(app, "settings.update") == []


# --- Audit log --------------------------------------------------------------------------------------------------


def test_the_owner_reads_the_audit_log_by_person_and_by_kind_of_change(app, client, auth, users):
    with session_scope(app) as session:
        staff = session.merge(users["staff"])
        for n in range(60):
            audit.record(session, staff, "product.update", None, {"n": n})
        audit.record(session, None, "catalogue.import", None, {"created": 1}, actor="script")
    auth.login("owner")
    first = text(client.get("/admin/audit?actor=staff@example.com&action=product"))
    assert first.count('class="card audit-entry"') == 50 and "Page 1 of 2" in first
    second = text(client.get("/admin/audit?actor=staff@example.com&action=product&page=2"))
    assert second.count('class="card audit-entry"') == 10
    assert '<code class="audit-action">catalogue.import</code>' not in first + second
    only_import = text(client.get("/admin/audit?action=catalogue.import"))
    assert only_import.count('class="card audit-entry"') == 1 and "script" in only_import
    assert '<code class="audit-action">auth.login</code>' in text(client.get("/admin/audit"))  # signing in is recorded too


# --- Signing in ---------------------------------------------------------------------------------------------------


def _attempt(client, email: str, password: str):
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"csrf_token": token, "email": email, "password": password})


def test_a_failed_sign_in_does_not_say_whether_the_email_exists(client, users):
    known = _attempt(client, "staff@example.com", "not-the-password")
    unknown = _attempt(client, "nobody@example.com", "not-the-password")
    assert known.status_code == unknown.status_code == 400
    assert errors_for(text(known), "password") == errors_for(text(unknown), "password") == ["Wrong email or password."]
    assert errors_for(text(known), "email") == errors_for(text(unknown), "email") == []


class TestRateLimitedSignIn:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}

    def test_repeated_sign_in_attempts_are_slowed_down(self, client, users):
        for _ in range(3):
            assert _attempt(client, "owner@example.com", "guess").status_code == 400
        blocked = _attempt(client, "owner@example.com", "owner-password-1")  # even the right password waits
        assert blocked.status_code == 429
        assert "Too many attempts" in text(blocked) and "wait a minute" in text(blocked)
        assert client.get("/admin/login").status_code == 200  # the form itself still loads


# --- CSRF ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "data"), [
    ("/admin/products/new", {"title": "Forged", "currency": "EUR", "variants-0-sku": "F-1",
                             "variants-0-price": "1", "variants-0-stock": "1", "save": "1"}),
    ("/admin/users/new", {"email": "intruder@example.com", "role": "owner", "password": "intruder-password"}),
    ("/admin/tokens", {"name": "forged"}),
    ("/admin/settings", {"shop_name": "Forged", "default_currency": "EUR", "default_locale": "en"}),
])
def test_admin_forms_refuse_a_post_without_the_csrf_token(app, client, auth, path, data):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # on in tests, as in production
    auth.login("owner")
    with Session(engine(app)) as session:
        before = len(session.exec(select(AuditEntry)).all())
    response = client.post(path, data=data)
    assert response.status_code == 400
    assert "Something in that request was not right" in text(response)
    with Session(engine(app)) as session:
        assert len(session.exec(select(AuditEntry)).all()) == before  # nothing happened
    assert _user(app, "intruder@example.com") is None
