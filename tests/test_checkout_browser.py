"""In Chromium: a shopper on a phone buys from the product page and pays (sandbox, then the fake Stripe's
hosted page); the owner then finds the order in the admin."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shopbridge.testing import PASSWORDS


def _owner_sees_order(page, base_url, expected_status="paid", link_code=None):
    page.goto(base_url + "/admin/login")
    page.fill("input[name=email]", "owner@example.com")
    page.fill("input[name=password]", PASSWORDS["owner"])
    page.click("button[type=submit]")
    page.goto(base_url + "/admin/orders/")
    page.locator("table a").first.click()
    expect(page.get_by_test_id("order-status")).to_have_text(expected_status)
    if link_code:
        expect(page.get_by_test_id("link-code")).to_have_text(link_code)
    return page


@pytest.mark.browser
def test_phone_buys_with_the_sandbox_and_the_owner_sees_the_order(live_server, phone, desktop, users,
                                                                   product_factory):
    product_factory(title="Linen shirt", slug="linen-shirt",
                    variants=[{"sku": "LS-M", "price_minor": 4900, "currency": "EUR", "stock": 2}])
    phone.goto(live_server.url + "/p/linen-shirt")
    phone.fill("input[name=quantity]", "2")
    phone.get_by_role("button", name="Buy now").click()
    expect(phone.get_by_text("TEST PAYMENT")).to_be_visible()
    phone.fill("input[name=email]", "ada@example.com")
    phone.get_by_role("button", name=re.compile(r"^Pay €")).click()
    expect(phone.locator("h1")).to_contain_text("is confirmed")
    expect(phone.locator(".summary")).to_contain_text("€103.00")
    # Sold out now: the product page says so instead of offering to buy.
    phone.goto(live_server.url + "/p/linen-shirt")
    expect(phone.get_by_role("button", name="Sold out")).to_be_disabled()
    admin = _owner_sees_order(desktop, live_server.url)
    expect(admin.locator(".timeline")).to_contain_text("Payment received")


@pytest.mark.browser
def test_scan_to_buy_through_the_fake_stripe_hosted_page(app, live_server, phone, desktop, users, product_factory,
                                                          fake_stripe):
    from shopbridge.testing_stripe import deliver_over_http

    fake_stripe.deliver = deliver_over_http(live_server.url)  # webhooks reach the live server, as Stripe's would
    product = product_factory(title="Straw hat", slug="straw-hat",
                              variants=[{"sku": "HAT-1", "price_minor": 2500, "currency": "EUR", "stock": 5}])
    phone.goto(f"{live_server.url}/checkout/start/{product.variants[0].id}")
    expect(phone.locator("h1")).to_contain_text("Straw hat")
    phone.get_by_role("button", name="Pay").click()  # tap 1
    expect(phone.get_by_role("heading", name=re.compile("Pay 30.00 EUR"))).to_be_visible()
    phone.get_by_role("button", name="Pay").click()  # tap 2, on Stripe's page
    expect(phone.locator("h1")).to_contain_text("is confirmed")
    _owner_sees_order(desktop, live_server.url)
