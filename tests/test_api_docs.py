"""A developer finds the API described: a complete OpenAPI document and interactive docs served by the shop."""

from __future__ import annotations

import re

import pytest

from shopbridge.access import access_rule

ERROR_STATUSES = {"400", "401", "403", "404", "409", "415", "422"}


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "patch", "put", "delete"}:
                yield f"{method.upper()} {path}", operation


def _resolve(spec, ref_or_obj):
    if "$ref" in ref_or_obj:
        kind, name = ref_or_obj["$ref"].split("/")[-2:]
        return spec["components"][kind][name]
    return ref_or_obj


def test_the_document_lists_every_operation(spec):
    assert spec["openapi"].startswith("3.")
    assert set(dict(_operations(spec))) == {
        "GET /api/v1/products", "POST /api/v1/products", "GET /api/v1/products/{product_id}",
        "PATCH /api/v1/products/{product_id}", "GET /api/v1/products/by-slug/{slug}",
        "POST /api/v1/products/{product_id}/archive", "GET /api/v1/products/{product_id}/variants",
        "POST /api/v1/products/{product_id}/variants", "GET /api/v1/variants/{variant_id}",
        "PATCH /api/v1/variants/{variant_id}",
    }


def test_every_operation_is_described_secured_and_documents_its_problems(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    assert spec["security"] == [{"bearerAuth": []}]
    for name, operation in _operations(spec):
        assert operation["summary"] and operation.get("description"), name
        responses = operation["responses"]
        assert "401" in responses, name
        writes = not name.startswith("GET")
        if writes:
            assert {"403"} <= set(responses), name
        if "{" in name:
            assert "404" in responses, name
        if "requestBody" in operation:
            assert {"400", "415", "422"} <= set(responses), name
            assert list(operation["requestBody"]["content"]) == ["application/json"]
        for status in set(responses) & ERROR_STATUSES:
            content = _resolve(spec, responses[status])["content"]
            assert list(content) == ["application/problem+json"], (name, status)
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_the_problem_schema_has_field_level_errors(spec):
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    field = _resolve(spec, problem["properties"]["errors"]["items"])
    assert set(field["properties"]) == {"field", "message"}


def test_money_is_documented_as_whole_minor_units_with_a_currency(spec):
    variant_in = spec["components"]["schemas"]["VariantIn"]["properties"]
    assert variant_in["price_minor"]["type"] == "integer" and variant_in["price_minor"]["minimum"] == 0
    assert "EUR" in variant_in["currency"]["enum"] and "XYZ" not in variant_in["currency"]["enum"]
    assert variant_in["stock"]["minimum"] == 0
    query = {p["name"]: p for p in spec["paths"]["/api/v1/products"]["get"]["parameters"]}
    assert {"page", "per_page", "status", "category", "q", "updated_since", "sort"} <= set(query)
    assert query["updated_since"]["schema"]["format"] == "date-time"


def test_every_api_and_docs_route_carries_an_access_rule(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api"):
            assert access_rule(app.view_functions[rule.endpoint]) is not None, rule.rule


def test_the_docs_page_is_served_by_the_shop_without_any_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources  # nothing from another host
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert "<script>" not in html  # the CSP forbids inline scripts; the initialiser is a file
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "'unsafe-eval'" not in csp
    # The relaxation is for this page only.
    assert "'unsafe-inline'" not in client.get("/api/openapi.json").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in client.get("/").headers["Content-Security-Policy"]


@pytest.mark.browser
def test_a_developer_reads_and_tries_the_api_in_the_browser(live_server, desktop, api_client, product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt")
    token = api_client("owner").token
    blocked = []
    desktop.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    outside = []
    desktop.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)

    desktop.goto(live_server.url + "/api/docs")
    desktop.locator("text=List products").first.wait_for(timeout=15000)
    assert desktop.locator(".opblock").count() >= 10

    # Authorise with the token and run "List products" from the page.
    desktop.locator("button.authorize").first.click()
    desktop.locator(".modal-ux input").first.fill(token)
    desktop.locator(".modal-ux button.authorize").first.click()
    desktop.locator(".modal-ux button.close-modal").first.click()
    desktop.locator("#operations-products-list_products").click()
    desktop.locator("#operations-products-list_products button.try-out__btn").click()
    desktop.locator("#operations-products-list_products button.execute").click()
    result = desktop.locator("#operations-products-list_products .live-responses-table tbody .response")
    result.first.wait_for(timeout=15000)
    assert result.first.locator(".response-col_status").inner_text().strip().startswith("200")
    assert "linen-shirt" in result.first.locator(".response-col_description").inner_text()
    assert not blocked, blocked
    assert not outside, outside
