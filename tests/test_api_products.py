"""A shop's sync script manages the catalogue through the JSON API: create, read, list, change, archive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from shopbridge.accounts.models import AuditEntry
from shopbridge.catalogue.models import Product


@pytest.fixture
def api(api_client):
    return api_client("owner")


SHIRT = {
    "title": "Linen shirt",
    "description": "Cool on hot days.",
    "brand": "Acme",
    "category": "Shirts",
    "status": "active",
    "variants": [
        {"sku": "LIN-S", "price_minor": 4900, "currency": "EUR", "stock": 3, "options": {"size": "S"}},
        {"sku": "LIN-M", "price_minor": 4900, "compare_at_minor": 5900, "currency": "EUR", "stock": 0,
         "options": {"size": "M"}, "gtin": "4006381333931"},
    ],
}


def test_the_owner_creates_a_product_and_the_shop_sells_it(api, client, db_session):
    created = api.post("/api/v1/products", json=SHIRT)

    assert created.status_code == 201
    product = created.json
    assert created.headers["Location"] == f"/api/v1/products/{product['id']}"
    assert product["slug"] == "linen-shirt"
    assert product["category"] == {"slug": "shirts", "name": "Shirts"}
    assert product["url"].endswith("/p/linen-shirt")
    assert [(v["sku"], v["price_minor"], v["currency"], v["stock"]) for v in product["variants"]] == [
        ("LIN-S", 4900, "EUR", 3), ("LIN-M", 4900, "EUR", 0)]
    assert product["variants"][1]["compare_at_minor"] == 5900
    assert product["variants"][1]["gtin"] == "4006381333931"

    assert api.get(f"/api/v1/products/{product['id']}").json == product
    assert api.get("/api/v1/products/by-slug/linen-shirt").json["id"] == product["id"]
    assert "Linen shirt" in client.get("/p/linen-shirt").get_data(as_text=True)

    entry = db_session.exec(select(AuditEntry).where(AuditEntry.action == "product.create")).one()
    assert entry.actor == "owner@example.com"
    assert entry.object_id == str(product["id"])


def test_new_products_are_drafts_unless_told_otherwise(api, client):
    draft = api.post("/api/v1/products", json={"title": "Secret tee", "variants": [
        {"sku": "TEE-1", "price_minor": 1500, "currency": "EUR"}]}).json

    assert draft["status"] == "draft"
    assert draft["variants"][0]["stock"] == 0
    assert client.get("/p/secret-tee").status_code == 404


def test_a_sync_script_walks_every_page_without_missing_or_repeating_a_product(api, product_factory):
    made = [product_factory(title=f"Mug {i}", slug=f"mug-{i}").id for i in range(7)]

    seen, url, pages = [], "/api/v1/products?per_page=3", 0
    while url:
        page = api.get(url)
        assert page.status_code == 200
        pages += 1
        body = page.json
        assert body["pagination"] == {"page": pages, "per_page": 3, "total": 7, "pages": 3}
        seen += [p["id"] for p in body["items"]]
        links = dict(reversed(part.split("; ")) for part in page.headers["Link"].split(", "))
        assert 'rel="first"' in links and 'rel="last"' in links
        url = links.get('rel="next"', "").strip("<>").replace("http://localhost", "") or None
    assert seen == sorted(made)
    assert pages == 3


def test_the_list_filters_by_status_category_search_and_last_change(api, product_factory, db_session):
    product_factory(title="Linen shirt", slug="linen-shirt", category="Shirts")
    product_factory(title="Wool scarf", slug="wool-scarf", category="Scarves", status="draft",
                    variants=[{"sku": "SCARF-RED", "price_minor": 2900, "currency": "EUR", "stock": 1}])
    old = product_factory(title="Old hat", slug="old-hat", category="Hats", status="archived")
    old.updated_at = datetime.now(UTC) - timedelta(days=30)
    db_session.add(old)
    db_session.commit()

    def slugs(query):
        response = api.get("/api/v1/products?" + query)
        assert response.status_code == 200, response.json
        return [p["slug"] for p in response.json["items"]]

    assert slugs("status=draft") == ["wool-scarf"]
    assert slugs("category=shirts") == ["linen-shirt"]
    assert slugs("q=scarf-red") == ["wool-scarf"]  # SKUs are searched too
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert sorted(slugs("updated_since=" + since.replace("+", "%2B"))) == ["linen-shirt", "wool-scarf"]
    assert slugs("updated_since=2000-01-01T00:00:00&sort=updated_at")[0] == "old-hat"  # no offset means UTC
    assert slugs("sort=title") == ["linen-shirt", "old-hat", "wool-scarf"]
    assert slugs("status=active&category=hats") == []


def test_patch_changes_only_the_fields_sent(api, product_factory):
    product = product_factory(title="Linen shirt", slug="linen-shirt", brand="Acme")
    before = api.get(f"/api/v1/products/{product.id}").json

    changed = api.patch(f"/api/v1/products/{product.id}", json={"title": "Linen shirt, sand"})

    assert changed.status_code == 200
    after = changed.json
    assert after["title"] == "Linen shirt, sand"
    assert after["slug"] == "linen-shirt"  # the slug (and every shared link) stays
    assert {k: v for k, v in after.items() if k not in {"title", "updated_at", "variants"}} == {
        k: v for k, v in before.items() if k not in {"title", "updated_at", "variants"}}
    assert [v["sku"] for v in after["variants"]] == [v["sku"] for v in before["variants"]]
    assert after["updated_at"] > before["updated_at"]


def test_archiving_hides_a_product_from_the_shop_and_can_be_undone(api, client, product_factory, db_session):
    product = product_factory(title="Linen shirt", slug="linen-shirt")

    archived = api.post(f"/api/v1/products/{product.id}/archive")
    assert archived.status_code == 200
    assert archived.json["status"] == "archived"
    assert client.get("/p/linen-shirt").status_code == 404
    assert api.get(f"/api/v1/products/{product.id}").json["status"] == "archived"  # still readable

    again = api.post(f"/api/v1/products/{product.id}/archive")
    assert again.status_code == 200
    actions = db_session.exec(select(AuditEntry.action).where(AuditEntry.object_id == str(product.id))).all()
    assert actions.count("product.archived") == 1  # archiving twice is recorded once

    assert api.patch(f"/api/v1/products/{product.id}", json={"status": "active"}).json["status"] == "active"
    assert client.get("/p/linen-shirt").status_code == 200


def test_variants_are_listed_added_and_restocked(api, product_factory, db_session):
    product = product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "LIN-S", "price_minor": 4900, "currency": "EUR", "stock": 0, "options": {"size": "S"}}])

    listed = api.get(f"/api/v1/products/{product.id}/variants").json["items"]
    assert [v["sku"] for v in listed] == ["LIN-S"]

    added = api.post(f"/api/v1/products/{product.id}/variants",
                     json={"sku": "LIN-L", "price_minor": 5200, "currency": "EUR", "stock": 4,
                           "options": {"size": "L"}})
    assert added.status_code == 201
    variant = added.json
    assert added.headers["Location"] == f"/api/v1/variants/{variant['id']}"
    assert variant["product_id"] == product.id

    restocked = api.patch(f"/api/v1/variants/{listed[0]['id']}", json={"stock": 12})
    assert restocked.status_code == 200
    assert restocked.json["stock"] == 12
    assert restocked.json["price_minor"] == 4900  # untouched

    repriced = api.patch(f"/api/v1/variants/{variant['id']}", json={"price_minor": 3900,
                                                                    "compare_at_minor": 5200})
    assert (repriced.json["price_minor"], repriced.json["compare_at_minor"]) == (3900, 5200)
    assert api.patch(f"/api/v1/variants/{variant['id']}",
                     json={"compare_at_minor": None}).json["compare_at_minor"] is None

    assert api.get(f"/api/v1/variants/{variant['id']}").json["stock"] == 4
    skus = [v["sku"] for v in api.get(f"/api/v1/products/{product.id}").json["variants"]]
    assert skus == ["LIN-S", "LIN-L"]
    actions = set(db_session.exec(select(AuditEntry.action)).all())
    assert {"variant.create", "variant.update"} <= actions
    db_session.expire_all()
    assert db_session.get(Product, product.id).in_stock
