"""Who may use the API: bearer tokens only, with the admin's role rules; CSRF stays on everywhere else."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from shopbridge.accounts.models import ApiToken, User
from shopbridge.accounts.service import revoke_token, update_user
from shopbridge.catalogue.models import Product, Variant
from shopbridge.db import session_scope
from shopbridge.problems import PROBLEM_MIMETYPE

NEW_PRODUCT = {"title": "Wool scarf", "variants": [{"sku": "SCARF-1", "price_minor": 2900, "currency": "EUR"}]}


def _assert_unauthorised(response, *, invalid_token: bool):
    assert response.status_code == 401
    assert response.mimetype == PROBLEM_MIMETYPE
    assert response.json["status"] == 401
    assert "Bearer" in response.json["detail"] or "token" in response.json["detail"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is invalid_token


def test_a_request_without_a_token_is_told_how_to_authenticate(client, users):
    response = client.get("/api/v1/products")
    _assert_unauthorised(response, invalid_token=False)
    assert "Authorization: Bearer" in response.json["detail"]


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Basic b3duZXI6cGFzc3dvcmQ=", "Bearer",
                                    "token abc"])
def test_a_wrong_token_or_scheme_is_refused(client, users, header):
    _assert_unauthorised(client.get("/api/v1/products", headers={"Authorization": header}),
                         invalid_token=True)


def test_a_revoked_token_stops_working(app, api_client):
    api = api_client("staff")
    assert api.get("/api/v1/products").status_code == 200

    with session_scope(app) as session:
        token = session.exec(select(ApiToken)).one()
        revoke_token(session, token, by=session.get(User, token.user_id))

    _assert_unauthorised(api.get("/api/v1/products"), invalid_token=True)


def test_a_deactivated_users_token_stops_working(app, api_client, users):
    api = api_client("staff")
    with session_scope(app) as session:
        update_user(session, session.get(User, users["staff"].id), is_active=False)

    _assert_unauthorised(api.get("/api/v1/products"), invalid_token=True)


def test_the_admin_session_cookie_alone_never_authenticates_the_api(auth, client, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    auth.login("owner")
    assert client.get("/admin/").status_code == 200  # signed in to the admin

    _assert_unauthorised(client.get("/api/v1/products"), invalid_token=False)
    _assert_unauthorised(client.post("/api/v1/products", json=NEW_PRODUCT), invalid_token=False)
    _assert_unauthorised(client.post(f"/api/v1/products/{product.id}/archive"), invalid_token=False)


def test_the_agency_may_read_the_catalogue_but_not_change_it(api_client, product_factory, db_session):
    product = product_factory(title="Linen shirt", slug="linen-shirt")
    variant_id = product.variants[0].id
    api = api_client("agency")

    assert api.get("/api/v1/products").json["pagination"]["total"] == 1
    assert api.get(f"/api/v1/products/{product.id}").status_code == 200
    assert api.get(f"/api/v1/variants/{variant_id}").status_code == 200

    refused = [
        api.post("/api/v1/products", json=NEW_PRODUCT),
        api.patch(f"/api/v1/products/{product.id}", json={"title": "Hacked"}),
        api.post(f"/api/v1/products/{product.id}/archive"),
        api.post(f"/api/v1/products/{product.id}/variants", json={"sku": "X-1", "price_minor": 1,
                                                                 "currency": "EUR"}),
        api.patch(f"/api/v1/variants/{variant_id}", json={"stock": 0}),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response.mimetype == PROBLEM_MIMETYPE
        assert "role" in response.json["detail"]

    db_session.expire_all()
    assert db_session.exec(select(func.count()).select_from(Product)).one() == 1
    again = db_session.get(Product, product.id)
    assert (again.title, again.status) == ("Linen shirt", "active")
    assert db_session.get(Variant, variant_id).stock == 5


@pytest.mark.parametrize("role", ["owner", "staff"])
def test_owner_and_staff_may_change_the_catalogue(api_client, role):
    assert api_client(role).post("/api/v1/products", json=NEW_PRODUCT).status_code == 201


def test_api_writes_need_no_csrf_token_while_the_admin_still_does(app, api_client, auth, client):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on in this app, as in production
    assert api_client("owner").post("/api/v1/products", json=NEW_PRODUCT).status_code == 201

    auth.login("owner")
    refused = client.post("/admin/logout")  # no CSRF token: refused, and the session stays signed in
    assert refused.status_code == 400
    assert client.get("/admin/").status_code == 200
