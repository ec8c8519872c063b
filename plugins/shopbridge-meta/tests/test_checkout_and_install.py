"""Shoppers arrive from a Facebook or Instagram shop with a cart in the URL; the plugin installs like any other."""

from __future__ import annotations

from importlib import metadata
from urllib.parse import quote

import pytest

from shopbridge.checkout import arrivals
from shopbridge_meta.checkout import MAX_QUANTITY, parse_cart


def products_param(*pairs: tuple[str, int]) -> str:
    """Meta's ``products`` value, percent-encoded the way Meta sends it (RFC 3986: ``%3A`` and ``%2C``)."""
    return quote(",".join(f"{item}:{qty}" for item, qty in pairs), safe="")


def shop(product_factory):
    mug = product_factory(title="Red mug", slug="red-mug", variants=[
        {"sku": "MUG-RED", "price_minor": 1500, "currency": "EUR", "stock": 5}])
    shirt = product_factory(title="Linen shirt", slug="linen-shirt", variants=[
        {"sku": "SHIRT-M", "price_minor": 4900, "currency": "EUR", "stock": 0, "options": {"size": "M"}},
        {"sku": "SHIRT-L", "price_minor": 4900, "currency": "EUR", "stock": 3, "options": {"size": "L"}}])
    old = product_factory(title="Old mug", slug="old-mug", status="archived")
    return mug.variants[0], shirt.variants[0], shirt.variants[1], old.variants[0]


def test_the_cart_in_the_link_becomes_the_shops_cart_with_its_channel(client, product_factory):
    mug, _sold_out, shirt_l, _old = shop(product_factory)

    # With the shop's checkout installed the shopper lands there; without it, on a page listing the cart.
    page = client.get(f"/meta/checkout?products={products_param((f'sb-v{mug.id}', 2), (f'sb-v{shirt_l.id}', 1))}"
                      "&coupon=SUMMER20&cart_origin=instagram", follow_redirects=True)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Red mug" in html and "Linen shirt" in html
    with client.session_transaction() as session:
        cart, arrival = session["cart"], arrivals.current(session)
    # The checkout's own cart shape: variant id (as text) -> quantity.
    assert cart == {str(mug.id): 2, str(shirt_l.id): 1}
    assert arrival.coupon == "SUMMER20"
    assert arrival.channel_type == "instagram" and arrival.link_code


def test_unknown_sold_out_and_archived_items_are_reported_and_the_rest_kept(client, product_factory):
    mug, sold_out, shirt_l, old = shop(product_factory)

    page = client.get("/meta/checkout?products=" + products_param(
        (f"sb-v{mug.id}", 9), (f"sb-v{sold_out.id}", 1), (f"sb-v{old.id}", 1), ("sb-v999999", 1), ("SKU-123", 1)))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Only 5 of Red mug left; the quantity was lowered." in html
    assert "Linen shirt (M) is sold out." in html
    assert html.count("is no longer sold here") == 2
    assert "“SKU-123:1” is not one of our products." in html
    with client.session_transaction() as session:
        assert session["cart"] == {str(mug.id): 5}


def test_a_link_with_nothing_buyable_says_so_and_leaves_the_cart_alone(client, product_factory):
    _mug, sold_out, _shirt, _old = shop(product_factory)
    page = client.get(f"/meta/checkout?products={products_param((f'sb-v{sold_out.id}', 1))}")
    assert page.status_code == 422
    assert "Nothing from this link can be bought here right now." in page.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "cart" not in session

    assert client.get("/meta/checkout").status_code == 422


def test_a_clean_cart_goes_straight_to_the_shops_checkout_when_it_is_installed(app, client, product_factory):
    mug, _sold_out, _shirt, _old = shop(product_factory)
    if "checkout.checkout" not in app.view_functions:
        pytest.skip("the checkout feature (feat/checkout) is not merged yet")

    page = client.get(f"/meta/checkout?products={products_param((f'sb-v{mug.id}', 1))}&cart_origin=facebook")

    assert page.status_code == 302 and page.headers["Location"].endswith("/checkout")
    with client.session_transaction() as session:
        assert session["cart"] == {str(mug.id): 1}
        assert arrivals.current(session).channel_type == "facebook_page"


def test_parsing_is_strict_about_ids_and_bounds_quantities():
    cart = parse_cart("sb-v1:2,sb-v1:1,sb-v2:0,sb-v3:x,sb-v4:-1,,sb-v5:1000,sb-v6", "bad coupon!")
    assert cart.lines == [(1, 3), (5, MAX_QUANTITY)]
    assert cart.coupon is None
    assert len(cart.problems) == 6  # 3 bad quantities, one lowered, one unreadable item, the coupon

    many = parse_cart(",".join(f"sb-v{n}:1" for n in range(1, 80)))
    assert len(many.lines) == 50 and "Only the first 50 products were added." in many.problems
    assert parse_cart("x" * 5000).lines == []


def test_the_checkout_page_is_public(app):
    assert app.view_functions["meta.checkout"].access_rule == ("public",)


def test_the_plugin_is_installed_through_its_entry_point_and_listed_by_the_shop(app):
    from shopbridge.plugins import describe

    assert {ep.name: ep.value for ep in metadata.entry_points(group="shopbridge.plugins")}["meta"] == \
        "shopbridge_meta.plugin"
    row = next(r for r in describe(app) if r["name"] == "meta")
    assert row["distribution"] == "shopbridge-meta" and row["version"] == metadata.version("shopbridge-meta")
    assert {"shopbridge_publish_post", "shopbridge_parse_webhook", "shopbridge_webhook_challenge",
            "shopbridge_reply", "shopbridge_order_event", "shopbridge_register_blueprints",
            "shopbridge_render_post_text", "shopbridge_sync_catalogue"} <= set(row["hooks"])
    names = {t.name for types in app.extensions["shopbridge.plugins"].hook.shopbridge_channel_types() for t in types}
    assert {"facebook_page", "instagram"} <= names
