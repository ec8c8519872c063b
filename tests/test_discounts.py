"""Discount codes: the owner makes and disables them in /admin/discounts; shoppers apply them at checkout, the
server computes the discount, the order keeps it, and Stripe charges exactly the discounted total."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from shopbridge.checkout import discounts
from shopbridge.checkout.models import DiscountCode, Order, OrderStatus
from shopbridge.db import engine, utcnow
from shopbridge.testing import csrf_token_from


@pytest.fixture
def shirt(product_factory):
    return product_factory(title="Linen shirt", slug="linen-shirt",
                           variants=[{"sku": "LS-M", "price_minor": 4900, "currency": "EUR", "stock": 5}])


def _make(client, **fields):
    page = client.get("/admin/discounts/").get_data(as_text=True)
    return client.post("/admin/discounts/", data={"csrf_token": csrf_token_from(page), "currency": "EUR", **fields})


def _codes(app) -> dict[str, DiscountCode]:
    with Session(engine(app)) as s:
        return {c.code: c for c in s.exec(select(DiscountCode)).all()}


def _fill_cart(client, shirt, quantity=2):
    page = client.get(f"/p/{shirt.slug}").get_data(as_text=True)
    client.post("/cart/add", data={"csrf_token": csrf_token_from(page), "variant_id": shirt.variants[0].id,
                                   "quantity": quantity})


def _submit(client, page: str, **fields):
    data = {"csrf_token": csrf_token_from(page), "email": "ada@example.com", "country": "IT",
            "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1), **fields}
    return client.post("/checkout", data=data)


def test_the_owner_makes_codes_and_bad_input_changes_nothing(app, auth, client):
    auth.login("owner")
    assert _make(client, code="summer20", kind="percent", percent="20").status_code == 303
    assert _make(client, code="FIVE-OFF", kind="fixed", amount="5.00").status_code == 303
    next_year = (utcnow() + timedelta(days=365)).date().isoformat()
    assert _make(client, code="XMAS", kind="percent", percent="15", expires_on=next_year).status_code == 303
    codes = _codes(app)
    assert codes["XMAS"].expires_at.date().isoformat() == next_year  # the end of that day (shop time zone: UTC)
    assert (codes["SUMMER20"].percent, codes["SUMMER20"].amount_minor) == (20, None)
    assert (codes["FIVE-OFF"].amount_minor, codes["FIVE-OFF"].currency) == (500, "EUR")

    for fields, message in [
        ({"code": "Summer20", "kind": "percent", "percent": "10"}, "The code SUMMER20 already exists"),
        ({"code": "HALF", "kind": "percent", "percent": "150"}, "Number must be between 1 and 100."),
        ({"code": "HALF", "kind": "percent"}, "A percentage must be between 1 and 100."),
        ({"code": "TENNER", "kind": "fixed", "amount": ""}, "Enter an amount above zero"),
        ({"code": "no spaces", "kind": "percent", "percent": "5"}, "Use 2 to 40 letters"),
        ({"code": "OLD", "kind": "percent", "percent": "5", "expires_on": "2020-01-01"}, "in the past"),
    ]:
        answer = _make(client, **fields)
        assert answer.status_code == 400 and message in answer.get_data(as_text=True), fields
    assert set(_codes(app)) == {"SUMMER20", "FIVE-OFF", "XMAS"}

    page = client.get("/admin/discounts/").get_data(as_text=True)
    assert "20%" in page and "€5.00" in page
    disable = client.post(f"/admin/discounts/{codes['SUMMER20'].id}/enabled",
                          data={"csrf_token": csrf_token_from(page)})
    assert disable.status_code == 303 and not _codes(app)["SUMMER20"].enabled


def test_only_the_owner_manages_codes(app, users):
    from shopbridge.testing import AuthActions

    for role in ("staff", "agency"):
        client = app.test_client()
        AuthActions(app, client, users).login(role)
        assert client.get("/admin/discounts/").status_code == 403


def test_a_shopper_applies_a_code_and_the_order_keeps_it(app, client, db_session, shirt, auth):
    with app.app_context():
        discounts.create_code(db_session, code="FIVE", kind="fixed", amount_minor=500, currency="EUR")
        db_session.commit()
    _fill_cart(client, shirt)

    page = client.get("/checkout").get_data(as_text=True)
    applied = _submit(client, page, discount_code="five", action="apply")
    html = applied.get_data(as_text=True)
    assert applied.status_code == 200
    assert "Discount FIVE" in html and "−€5.00" in html
    assert "€98.00" in html  # 2 × 49.00 − 5.00 + 5.00 shipping

    paid = _submit(client, html, discount_code="five")
    assert paid.status_code == 303
    pay_page = client.get(paid.headers["Location"])
    assert "€98.00" in pay_page.get_data(as_text=True)
    done = client.post(paid.headers["Location"], data={"csrf_token": csrf_token_from(pay_page.get_data(as_text=True)),
                                                       "action": "pay"})
    assert "−€5.00" in client.get(done.headers["Location"]).get_data(as_text=True)
    with Session(engine(app)) as s:
        (order,) = s.exec(select(Order)).all()
        assert order.status == OrderStatus.paid and not order.needs_review
        assert (order.subtotal_minor, order.discount_minor, order.total_minor) == (9800, 500, 9800)
        assert order.discount_code == "FIVE" and "discount" in [e.kind for e in order.events]
    auth.login("staff")  # the bookkeeper's export shows what was given away
    export = client.get("/admin/orders/export.csv").get_data(as_text=True).splitlines()
    row = dict(zip(export[0].split(","), export[1].split(","), strict=True))
    assert (row["subtotal"], row["discount_code"], row["discount"], row["total"]) == ("98.00", "FIVE", "5.00", "98.00")


def test_unknown_expired_disabled_and_foreign_codes_say_why_and_the_cart_still_works(app, client, db_session,
                                                                                      shirt):
    with app.app_context():
        old = discounts.create_code(db_session, code="OLD", kind="percent", percent=10)
        old.expires_at = utcnow() - timedelta(minutes=1)
        off = discounts.create_code(db_session, code="OFF", kind="percent", percent=10)
        discounts.set_enabled(db_session, off, False)
        discounts.create_code(db_session, code="DOLLARS", kind="fixed", amount_minor=500, currency="USD")
        db_session.commit()
    _fill_cart(client, shirt, quantity=1)
    page = client.get("/checkout").get_data(as_text=True)

    for code, message in [("NOPE", "The discount code “NOPE” is not valid in this shop."),
                          ("old", "The discount code “OLD” has expired."),
                          ("OFF", "The discount code “OFF” is not valid in this shop."),
                          ("DOLLARS", "cannot be used for prices in EUR")]:
        answer = _submit(client, page, discount_code=code)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400 and message in html, code
        assert "€54.00" in html  # the cart, at full price, is still there
    with Session(engine(app)) as s:
        assert s.exec(select(Order)).all() == []

    # Removing the code places the order at full price.
    assert _submit(client, page, discount_code="").status_code == 303


def test_a_fixed_discount_never_exceeds_the_subtotal_and_percentages_round_down(app, db_session):
    with app.app_context():
        discounts.create_code(db_session, code="BIG", kind="fixed", amount_minor=10_000, currency="EUR")
        discounts.create_code(db_session, code="THIRD", kind="percent", percent=33)
        db_session.commit()
        assert discounts.evaluate(db_session, "big", subtotal_minor=4900, currency="EUR").amount_minor == 4900
        assert discounts.evaluate(db_session, "third", subtotal_minor=1001, currency="EUR").amount_minor == 330


def test_stripe_charges_the_discounted_total_through_a_single_use_coupon(app, client, db_session, shirt,
                                                                         fake_stripe):
    with app.app_context():
        discounts.create_code(db_session, code="TEN", kind="percent", percent=10)
        db_session.commit()
    _fill_cart(client, shirt)
    page = client.get("/checkout?discount_code=TEN").get_data(as_text=True)
    assert _submit(client, page, discount_code="TEN").status_code == 303

    (session_id,) = fake_stripe.sessions
    session = fake_stripe.sessions[session_id]
    (coupon,) = fake_stripe.coupons.values()
    assert (coupon["amount_off"], coupon["max_redemptions"], coupon["name"]) == (980, 1, "TEN")
    assert session["amount_total"] == 9800 - 980 + 500 and "allow_promotion_codes" not in {
        k for k, v in session.items() if v}
    fake_stripe.complete(session_id, email="ada@example.com")
    with Session(engine(app)) as s:
        (order,) = s.exec(select(Order)).all()
        assert order.status == OrderStatus.paid and order.total_minor == 9320 and order.paid_minor == 9320
        assert not order.needs_review  # Stripe's reported discount is the shop's own, not a mismatch
