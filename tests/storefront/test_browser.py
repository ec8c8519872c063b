"""A shopper on a phone picks a variant and presses Buy, in a real Chromium, with and without JavaScript."""

from __future__ import annotations

import re

import pytest

from shopbridge.browser import PHONE


@pytest.fixture
def shop(fake_checkout, product_factory, tee_variants):
    product = product_factory(title="Organic tee", slug="organic-tee", variants=tee_variants)
    return {v.sku: v.id for v in product.variants}


@pytest.fixture
def phone_without_js(chromium):
    context = chromium.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.browser
def test_without_javascript_the_variant_list_is_the_picker(live_server, phone_without_js, shop):
    page = phone_without_js
    page.goto(live_server.url + "/p/organic-tee")

    assert page.locator("[data-option-groups]").is_hidden()
    assert page.locator("[data-variant-list]").is_visible()
    sold_out = page.locator(f"input[name=variant_id][value='{shop['TEE-L-SAGE']}']")
    assert sold_out.is_disabled()

    page.get_by_text("L / Navy").click()
    page.locator("input[name=quantity]").fill("2")
    page.get_by_role("button", name="Buy").click()
    assert page.locator("body").inner_text() == f"variant={shop['TEE-L-NAVY']} quantity=2"


@pytest.mark.browser
def test_with_javascript_options_pick_the_variant_and_update_price_and_stock(live_server, phone, shop):
    phone.goto(live_server.url + "/p/organic-tee")

    groups = phone.locator("[data-option-groups]")
    assert groups.is_visible()
    assert phone.locator("[data-variant-list]").is_hidden()
    assert phone.locator("[data-price-now]").inner_text() == "€29.00"
    assert phone.locator("[data-stock]").inner_text() == "In stock"

    groups.get_by_text("Navy", exact=True).click()
    assert phone.locator("[data-price-now]").inner_text() == "€31.00"
    assert phone.locator("[data-stock]").inner_text() == "Only 4 left"

    groups.get_by_text("L", exact=True).click()
    assert phone.locator("[data-price-now]").inner_text() == "€33.00"
    assert phone.locator("[data-price-was]").inner_text() == "€39.00"
    assert phone.locator("[data-stock]").inner_text() == "Only 2 left"
    assert phone.locator("input[name=quantity]").get_attribute("max") == "2"
    # The address now names the variant, so copying it shares this exact choice.
    assert re.search(rf"[?&]variant={shop['TEE-L-NAVY']}\b", phone.url)

    # L only exists in stock in Navy: Sage is shown struck through, and picking it moves to a size in stock.
    sage = groups.locator("label.choice", has_text="Sage")
    assert "choice-unavailable" in sage.get_attribute("class")
    sage.click()
    assert phone.locator("input[name=option-size]:checked").get_attribute("value") == "S"
    assert phone.locator("[data-price-now]").inner_text() == "€29.00"

    groups.get_by_text("Navy", exact=True).click()
    phone.get_by_role("button", name="Buy").click()
    assert phone.locator("body").inner_text() == f"variant={shop['TEE-S-NAVY']} quantity=1"


@pytest.mark.browser
def test_a_buy_link_opens_on_its_variant(live_server, phone, shop):
    phone.goto(live_server.url + f"/p/organic-tee?variant={shop['TEE-L-NAVY']}")
    assert phone.locator("input[name=option-size]:checked").get_attribute("value") == "L"
    assert phone.locator("input[name=option-colour]:checked").get_attribute("value") == "Navy"
    assert phone.locator("[data-price-now]").inner_text() == "€33.00"
    # Nothing on the page is wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
