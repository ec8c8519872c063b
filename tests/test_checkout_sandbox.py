"""A shopper buys through the sandbox provider: product page → buy → test payment page → order page; the
owner sees the order, refunds it; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from shopbridge.catalogue.models import Variant
from shopbridge.checkout.models import Order, OrderStatus, StockState
from shopbridge.db import engine
from shopbridge.mail.models import OutboxMessage
from shopbridge.testing import csrf_token_from


def _stock(app, vid):
    with Session(engine(app)) as s:
        return s.get(Variant, vid).stock


def _orders(app):
    with Session(engine(app)) as s:
        return s.exec(select(Order).order_by(Order.id)).all()


def _buy(client, product, quantity=1, **extra):
    page = client.get(f"/p/{product.slug}")
    html = page.get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf_token_from(html), "nonce": nonce, "variant_id": product.variants[0].id,
            "quantity": quantity}
    data.update(extra)
    return client.post("/checkout/buy", data=data)


@pytest.fixture
def shirt(product_factory):
    return product_factory(title="Linen shirt", slug="linen-shirt",
                           variants=[{"sku": "LS-M", "price_minor": 4900, "currency": "EUR", "stock": 3}])


def test_buy_now_pay_in_sandbox_and_see_the_order(app, client, shirt):
    response = _buy(client, shirt, quantity=2)
    assert response.status_code == 303
    pay_url = response.headers["Location"]
    assert "/sandbox/pay/sbx_" in pay_url
    assert _stock(app, shirt.variants[0].id) == 1  # reserved

    page = client.get(pay_url)
    assert "TEST PAYMENT" in page.get_data(as_text=True)
    assert "€103.00" in page.get_data(as_text=True)  # 2 × 49.00 + 5.00 shipping to IT
    done = client.post(pay_url, data={"csrf_token": csrf_token_from(page.get_data(as_text=True)),
                                      "action": "pay", "email": "ada@example.com"})
    order_page = client.get(done.headers["Location"])
    text = order_page.get_data(as_text=True)
    assert "is confirmed" in text
    (order,) = _orders(app)
    assert order.status == OrderStatus.paid and order.stock_state == StockState.committed
    assert order.total_minor == 10300 and order.email == "ada@example.com"
    with Session(engine(app)) as s:
        (mail,) = s.exec(select(OutboxMessage)).all()
    assert mail.to == "ada@example.com" and order.number in mail.subject
    assert _stock(app, shirt.variants[0].id) == 1


def test_double_submitted_form_makes_one_order(app, client, shirt):
    page = client.get(f"/p/{shirt.slug}").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1),
            "variant_id": shirt.variants[0].id, "quantity": 1}
    first = client.post("/checkout/buy", data=data)
    second = client.post("/checkout/buy", data=data)
    assert client.get(second.headers["Location"]).headers["Location"] == first.headers["Location"]
    assert len(_orders(app)) == 1 and _stock(app, shirt.variants[0].id) == 2


def test_tampered_price_fields_are_ignored_and_bad_quantities_rejected(app, client, shirt):
    response = _buy(client, shirt, quantity=1, price_minor=1, total_minor=1, unit_amount=1)
    assert response.status_code == 303
    (order,) = _orders(app)
    assert order.total_minor == 4900 + 500
    for bad in ("0", "-1", "abc", "1.5", "4", "21"):
        before = _stock(app, shirt.variants[0].id)
        response = _buy(client, shirt, quantity=bad)
        assert response.status_code == 303 and "/sandbox/" not in response.headers["Location"]
        assert _stock(app, shirt.variants[0].id) == before
    assert len(_orders(app)) == 1


def test_unknown_and_archived_variants_cannot_be_bought(app, client, shirt, product_factory):
    archived = product_factory(title="Old hat", slug="old-hat", status="archived",
                               variants=[{"sku": "HAT-1", "price_minor": 1000, "currency": "EUR", "stock": 5}])
    token = csrf_token_from(client.get(f"/p/{shirt.slug}").get_data(as_text=True))
    for vid in (archived.variants[0].id, 999999, "x"):
        response = client.post("/checkout/buy", data={"csrf_token": token, "variant_id": vid, "quantity": 1})
        assert response.status_code == 303 and "/sandbox/" not in response.headers["Location"]
    assert _orders(app) == [] and _stock(app, archived.variants[0].id) == 5
    assert client.get(f"/checkout/start/{archived.variants[0].id}").status_code == 404


def test_storefront_forms_need_a_csrf_token(app, client, shirt):
    response = client.post("/checkout/buy", data={"variant_id": shirt.variants[0].id, "quantity": 1})
    assert response.status_code == 400
    assert client.post("/cart/add", data={"variant_id": shirt.variants[0].id}).status_code == 400
    assert _orders(app) == []


def test_declined_then_cancelled_returns_stock_and_fills_the_cart(app, client, shirt):
    pay_url = _buy(client, shirt, quantity=2).headers["Location"]
    token = csrf_token_from(client.get(pay_url).get_data(as_text=True))
    declined = client.post(pay_url, data={"csrf_token": token, "action": "decline"}, follow_redirects=True)
    assert "declined" in declined.get_data(as_text=True)
    assert _orders(app)[0].status == OrderStatus.pending
    back = client.post(pay_url, data={"csrf_token": token, "action": "cancel"}, follow_redirects=True)
    assert "Linen shirt" in back.get_data(as_text=True)  # the cart
    assert _orders(app)[0].status == OrderStatus.cancelled
    assert _stock(app, shirt.variants[0].id) == 3


def test_pay_later_then_fails_cancels_and_releases(app, client, shirt):
    pay_url = _buy(client, shirt).headers["Location"]
    token = csrf_token_from(client.get(pay_url).get_data(as_text=True))
    order_url = client.post(pay_url, data={"csrf_token": token, "action": "later"}).headers["Location"]
    waiting = client.get(order_url)
    assert "Processing your payment" in waiting.get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting.get_data(as_text=True)
    client.post(pay_url, data={"csrf_token": token, "action": "later_fail"})
    assert _orders(app)[0].status == OrderStatus.cancelled
    assert _stock(app, shirt.variants[0].id) == 3


def test_cart_checkout_with_country_rate(app, client, shirt, product_factory):
    socks = product_factory(title="Socks", slug="socks",
                            variants=[{"sku": "SO-1", "price_minor": 900, "currency": "EUR", "stock": 10}])
    token = csrf_token_from(client.get(f"/p/{shirt.slug}").get_data(as_text=True))
    client.post("/cart/add", data={"csrf_token": token, "variant_id": shirt.variants[0].id, "quantity": 1})
    client.post("/cart/add", data={"csrf_token": token, "variant_id": socks.variants[0].id, "quantity": 3})
    client.post("/cart/update", data={"csrf_token": token, f"quantity-{socks.variants[0].id}": 2})
    form = client.get("/checkout?country=DE").get_data(as_text=True)
    assert "€76.00" in form  # 49.00 + 2 × 9.00 + 9.00 shipping to Germany
    response = client.post("/checkout", data={"csrf_token": token, "email": "bo@example.com", "country": "DE",
                                              "nonce": "n1"})
    assert response.status_code == 303
    (order,) = _orders(app)
    assert (order.subtotal_minor, order.shipping_minor, order.email) == (4900 + 1800, 900, "bo@example.com")
    bad = client.post("/checkout", data={"csrf_token": token, "email": "x@example.com", "country": "ZZ"})
    assert bad.status_code in (302, 303, 400)


def test_sandbox_cannot_pay_once_the_shop_takes_real_payments(app, client, shirt):
    pay_url = _buy(client, shirt).headers["Location"]
    token = csrf_token_from(client.get(pay_url).get_data(as_text=True))
    app.config["STRIPE_SECRET_KEY"] = "sk_live_now_configured"
    assert client.post(pay_url, data={"csrf_token": token, "action": "pay"}).status_code == 403
    assert _orders(app)[0].status == OrderStatus.pending


def test_buying_again_from_the_same_page_after_cancelling_starts_a_new_order(app, client, shirt):
    page = client.get(f"/p/{shirt.slug}").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1),
            "variant_id": shirt.variants[0].id, "quantity": 1}
    pay_url = client.post("/checkout/buy", data=data).headers["Location"]
    client.post(pay_url, data={"csrf_token": data["csrf_token"], "action": "cancel"}, follow_redirects=True)
    again = client.post("/checkout/buy", data=data)  # the back button kept the old form
    assert "/sandbox/pay/" in again.headers["Location"] and again.headers["Location"] != pay_url
    assert [o.status for o in _orders(app)] == [OrderStatus.cancelled, OrderStatus.pending]


def test_a_very_expensive_order_is_kept_to_the_cent(app, client, product_factory):
    # 20 × €999,999,999.99 is 1,999,999,999,980 cents: far beyond a 32-bit column (a 500 on PostgreSQL once).
    yacht = product_factory(title="Yacht", slug="yacht", variants=[
        {"sku": "YACHT", "price_minor": 99_999_999_999, "currency": "EUR", "stock": 20}])
    response = _buy(client, yacht, quantity=20)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    done = client.post(response.headers["Location"], data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "action": "pay", "email": "owner@example.com"})
    assert done.status_code in (302, 303)
    (order,) = _orders(app)
    assert order.status == OrderStatus.paid
    assert order.subtotal_minor == 20 * 99_999_999_999 and order.total_minor == order.subtotal_minor + 500
    assert order.paid_minor == order.total_minor
    from shopbridge.checkout.models import OrderLine

    with Session(engine(app)) as s:
        (line,) = s.exec(select(OrderLine)).all()
    assert (line.unit_price_minor, line.quantity, line.total_minor) == (99_999_999_999, 20, order.subtotal_minor)
