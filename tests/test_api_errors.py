"""Bad input gets a clear problem document, with the fields at fault, and changes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from shopbridge.accounts.models import AuditEntry
from shopbridge.catalogue.models import Product, Variant
from shopbridge.problems import PROBLEM_MIMETYPE


@pytest.fixture
def api(api_client):
    return api_client("owner")


@pytest.fixture
def shirt(product_factory):
    return product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-S", "price_minor": 4900, "currency": "EUR", "stock": 3}])


def _variant(**overrides):
    return {"sku": "NEW-1", "price_minor": 1999, "currency": "EUR", "stock": 1, **overrides}


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_MIMETYPE
    body = response.json
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


def _field_errors(response, status=422):
    return {e["field"]: e["message"] for e in _problem(response, status).get("errors", [])}


@pytest.fixture
def unchanged(db_session, shirt):
    """Asserts, after the test, that no product, variant or audit entry was added or changed."""

    def state():
        db_session.expire_all()
        return (
            db_session.exec(select(func.count()).select_from(Product)).one(),
            db_session.exec(select(func.count()).select_from(AuditEntry)).one(),
            [(v.sku, v.price_minor, v.stock, v.currency) for v in db_session.exec(select(Variant))],
            db_session.get(Product, shirt.id).title,
        )

    before = state()
    yield
    assert state() == before


# --------------------------------------------------------------------------------------------- addressing


def test_unknown_api_paths_ids_and_slugs_are_problem_404s(api, shirt):
    assert "/api/docs" in _problem(api.get("/api/v1/nothing-here"), 404)["detail"]
    assert _problem(api.get("/api/v2/products"), 404)
    assert "12345" in _problem(api.get("/api/v1/products/12345"), 404)["detail"]
    assert _problem(api.get("/api/v1/products/99999999999999999999999"), 404)  # beyond any database's integers
    assert "no-such-thing" in _problem(api.get("/api/v1/products/by-slug/no-such-thing"), 404)["detail"]
    assert _problem(api.get("/api/v1/products/by-slug/NOT%20A%20SLUG%00"), 404)
    assert _problem(api.get("/api/v1/variants/0"), 404)
    assert _problem(api.patch("/api/v1/variants/777", json={"stock": 1}), 404)


def test_a_wrong_method_is_405_with_the_allowed_ones(api, shirt):
    response = api.delete(f"/api/v1/products/{shirt.id}")
    assert "DELETE" in _problem(response, 405)["detail"]
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert _problem(api.put(f"/api/v1/products/{shirt.id}", json={}), 405)


# ------------------------------------------------------------------------------------------ the body itself


def test_malformed_json_is_a_400_that_says_where(api, unchanged):
    body = _problem(api.post("/api/v1/products", data='{"title": "x",}',
                             headers={"Content-Type": "application/json"}), 400)
    assert "not valid JSON" in body["detail"] and "line 1" in body["detail"]
    assert _problem(api.post("/api/v1/products", data="[" * 100_000, content_type="application/json"), 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_415(api, unchanged, content_type):
    body = _problem(api.post("/api/v1/products", data="title=Scarf", content_type=content_type), 415)
    assert "application/json" in body["detail"]


@pytest.mark.parametrize("payload", ["[]", "3", '"a product"', "null"])
def test_a_json_body_that_is_not_an_object_is_refused(api, unchanged, payload):
    errors = _field_errors(api.post("/api/v1/products", data=payload, content_type="application/json"))
    assert any("JSON object" in m or "required" in m for m in errors.values())


def test_a_missing_body_names_the_required_fields(api, unchanged):
    errors = _field_errors(api.post("/api/v1/products"))
    assert set(errors) == {"title", "variants"}


# -------------------------------------------------------------------------------------------- field rules


def test_unknown_fields_are_named_not_ignored(api, shirt, unchanged):
    errors = _field_errors(api.post("/api/v1/products", json={
        "title": "Scarf", "prise": 100, "variants": [_variant(colour="red")]}))
    assert errors == {"prise": "is not a known field", "variants.0.colour": "is not a known field"}
    errors = _field_errors(api.patch(f"/api/v1/variants/{shirt.variants[0].id}", json={"stok": 3}))
    assert errors == {"stok": "is not a known field"}


@pytest.mark.parametrize(("field", "value", "message"), [
    ("price_minor", -1, "cannot be negative"),
    ("price_minor", 19.99, "whole number of minor units"),
    ("price_minor", "1999", "whole number of minor units"),
    ("price_minor", True, "whole number of minor units"),
    ("price_minor", 10**12, "implausibly large"),
    ("stock", -3, "cannot be negative"),
    ("stock", 2.5, "whole number"),
    ("currency", "XYZ", "ISO 4217"),
    ("currency", "eur", "ISO 4217"),
    ("currency", 978, "must be a string"),
    ("sku", "", "letters, digits"),
    ("sku", "has space", "letters, digits"),
    ("gtin", "123", "8 to 14 digits"),
    ("gtin", "4006381333932", "check digit"),  # right length, wrong check digit: the catalogue's own rule
    ("options", {"size": 3}, "must be a string"),
])
def test_each_bad_variant_field_gets_a_message_a_person_understands(api, unchanged, field, value, message):
    errors = _field_errors(api.post("/api/v1/products", json={"title": "Scarf", "variants": [
        _variant(**{field: value})]}))
    assert list(errors) == [f"variants.0.{field}"] or list(errors)[0].startswith(f"variants.0.{field}")
    assert message in next(iter(errors.values()))


def test_every_problem_is_reported_at_once(api, unchanged):
    errors = _field_errors(api.post("/api/v1/products", json={"title": "", "status": "sold", "variants": [
        _variant(price_minor=-5, currency="ZZZ"), _variant(sku="OK-2", stock="many")]}))
    assert set(errors) == {"title", "status", "variants.0.price_minor", "variants.0.currency",
                           "variants.1.stock"}


def test_the_catalogues_own_rules_apply_as_in_the_admin(api, shirt, unchanged):
    errors = _field_errors(api.post("/api/v1/products", json={"title": "Scarf", "variants": [
        _variant(sku="A-1", compare_at_minor=1000), _variant(sku="a-1", currency="USD")]}))
    assert "higher than the price" in errors["variants.0.compare_at_minor"]
    assert "used twice" in errors["variants.1.sku"]
    assert "same currency" in errors["variants"]

    errors = _field_errors(api.post(f"/api/v1/products/{shirt.id}/variants", json=_variant(currency="USD")))
    assert errors == {"currency": "all variants of a product use the same currency"}
    errors = _field_errors(api.patch(f"/api/v1/variants/{shirt.variants[0].id}", json={"price_minor": -1}))
    assert errors == {"price_minor": "cannot be negative"}


def test_a_taken_sku_or_slug_is_a_409_conflict_naming_the_field(api, shirt, product_factory, unchanged):
    body = _problem(api.post("/api/v1/products", json={"title": "Linen shirt", "variants": [
        _variant(sku="lin-s")]}), 409)
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert errors == {"slug": "“linen-shirt” is already used by another product",
                      "variants.0.sku": "SKU “lin-s” already belongs to another product"}
    assert _problem(api.post(f"/api/v1/products/{shirt.id}/variants", json=_variant(sku="LIN-S")), 422)


def test_renaming_onto_a_taken_slug_or_sku_is_refused(api, shirt, product_factory, db_session):
    other = product_factory(title="Wool scarf", slug="wool-scarf", variants=[_variant(sku="SCARF-1")])
    assert _field_errors(api.patch(f"/api/v1/products/{other.id}", json={"slug": "linen-shirt"}), 409) == {
        "slug": "“linen-shirt” is already used by another product"}
    assert "another product" in _field_errors(
        api.patch(f"/api/v1/variants/{other.variants[0].id}", json={"sku": "LIN-S"}), 409)["sku"]
    db_session.expire_all()
    assert db_session.get(Product, other.id).slug == "wool-scarf"


def test_query_parameters_are_checked_too(api, unchanged):
    errors = _field_errors(api.get("/api/v1/products?page=0&per_page=500&status=sold&updated_since=yesterday"))
    assert set(errors) == {"page", "per_page", "status", "updated_since"}
    assert "ISO 8601" in errors["updated_since"]
    assert api.get("/api/v1/products?page=99").json["items"] == []  # past the end: an empty page, not an error


# ----------------------------------------------------------------------------------------- no 500, ever

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
field_names = st.sampled_from(["title", "slug", "description", "brand", "category", "status", "variants", "sku",
                               "price_minor", "compare_at_minor", "currency", "stock", "options", "gtin"])
bodies = st.one_of(json_values, st.dictionaries(field_names, json_values, max_size=6),
                   st.fixed_dictionaries({"title": st.text(max_size=20), "variants": st.lists(
                       st.dictionaries(field_names, json_values, max_size=7), max_size=3)}))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(body=bodies, target=st.sampled_from(["POST /api/v1/products", "PATCH /api/v1/products/{product}",
                                            "POST /api/v1/products/{product}/variants",
                                            "PATCH /api/v1/variants/{variant}"]))
def test_garbage_never_breaks_the_api(api, shirt, body, target):
    method, path = target.split(" ")
    path = path.format(product=shirt.id, variant=shirt.variants[0].id)
    response = api.open(path, method, data=json.dumps(body), content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM_MIMETYPE
        assert all(set(e) == {"field", "message"} for e in response.json.get("errors", []))
