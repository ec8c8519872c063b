"""Checkout through Stripe, against the local fake Stripe that judges requests by the SDK's own parameter
types: sessions built from our catalogue, signed webhooks in any order and any number of times, the success
page racing the webhook, reconciliation, refunds and disputes."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from sqlmodel import Session, select

from shopbridge.catalogue.models import Variant
from shopbridge.checkout.models import Order, OrderEvent, OrderStatus, PaymentEvent
from shopbridge.db import engine
from shopbridge.links import attribution
from shopbridge.testing import csrf_token_from


@pytest.fixture
def shirt(product_factory):
    return product_factory(title="Linen shirt", slug="linen-shirt",
                           variants=[{"sku": "LS-M", "price_minor": 4900, "currency": "EUR", "stock": 3}])


def _stock(app, vid):
    with Session(engine(app)) as s:
        return s.get(Variant, vid).stock


def _order(app) -> Order:
    with Session(engine(app)) as s:
        orders = s.exec(select(Order)).all()
        assert len(orders) == 1
        order = orders[0]
        order.events, order.lines  # noqa: B018 - load while the session is open
        return order


def _kinds(app) -> list[str]:
    with Session(engine(app)) as s:
        return [e.kind for e in s.exec(select(OrderEvent).order_by(OrderEvent.id)).all()]


def _buy(client, product, quantity=1, nonce="n1"):
    token = csrf_token_from(client.get(f"/p/{product.slug}").get_data(as_text=True))
    return client.post("/checkout/buy", data={"csrf_token": token, "nonce": nonce, "quantity": quantity,
                                              "variant_id": product.variants[0].id})


def _session_id(fake) -> str:
    (session_id,) = fake.sessions
    return session_id


# --- the fake is strict, by the SDK's types -----------------------------------------------------------------

def test_fake_stripe_rejects_what_stripe_would(fake_stripe):
    client = stripe.StripeClient(fake_stripe.api_key, base_addresses={"api": fake_stripe.url})
    good = {"mode": "payment", "success_url": "https://shop.example/ok", "line_items": [
        {"price_data": {"currency": "eur", "unit_amount": 100, "product_data": {"name": "A"}}, "quantity": 1}]}
    assert client.v1.checkout.sessions.create(params=good).status == "open"
    cases = [
        ({**good, "colour": "blue"}, "parameter_unknown", "colour"),
        ({**good, "line_items": [{"price_data": {"unit_amount": 100, "product_data": {"name": "A"}},
                                  "quantity": 1}]}, "parameter_missing", "line_items[0][price_data][currency]"),
        ({**good, "expires_at": "tomorrow"}, "parameter_invalid_integer", "expires_at"),
        ({**good, "mode": "donation"}, "invalid_string_value", "mode"),
        ({**good, "allow_promotion_codes": "maybe"}, "parameter_invalid_boolean", "allow_promotion_codes"),
        ({**good, "expires_at": int(time.time()) + 60}, "parameter_invalid_integer", "expires_at"),
    ]
    for params, code, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.checkout.sessions.create(params=params)
        assert (caught.value.code, caught.value.param) == (code, param)
        assert caught.value.http_status == 400
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": fake_stripe.url}).v1.checkout.sessions.create(
            params=good)


# --- sessions built from the catalogue ----------------------------------------------------------------------

def test_buy_now_opens_a_checkout_session_priced_from_the_catalogue(app, client, shirt, fake_stripe):
    client.set_cookie(attribution.COOKIE, attribution.value(app.config["SECRET_KEY"], "ig-bio", int(time.time()) - 3600))
    response = _buy(client, shirt, quantity=2)
    assert response.status_code == 303 and response.headers["Location"].startswith(fake_stripe.url + "/pay/cs_test_")
    (_, _, params), = [r for r in fake_stripe.requests if r[1] == "/v1/checkout/sessions"]
    order = _order(app)
    assert params["line_items"][0]["price_data"]["unit_amount"] == "4900"
    assert params["line_items"][0]["quantity"] == "2"
    assert params["shipping_options"][0]["shipping_rate_data"]["fixed_amount"]["amount"] == "500"
    assert params["client_reference_id"] == str(order.id)
    assert params["metadata"] == {"order_id": str(order.id), "link_code": "ig-bio"}
    assert params["payment_intent_data"]["metadata"]["order_id"] == str(order.id)
    assert params["shipping_address_collection"] == {"allowed_countries": ["IT"]}
    assert params["phone_number_collection"] == {"enabled": "true"}
    assert 30 * 60 < int(params["expires_at"]) - time.time() <= 32 * 60
    assert "{CHECKOUT_SESSION_ID}" in params["success_url"]
    assert order.link_code == "ig-bio" and order.provider == "stripe"
    assert fake_stripe.sessions[order.provider_reference]["amount_total"] == order.total_minor == 10300
    assert _stock(app, shirt.variants[0].id) == 1


def test_old_attribution_is_ignored(app, client, shirt, fake_stripe):
    client.set_cookie(attribution.COOKIE, attribution.value(app.config["SECRET_KEY"], "old",
                                                            int(time.time()) - 31 * 86400))
    _buy(client, shirt)
    assert _order(app).link_code is None


def test_a_forged_attribution_cookie_is_ignored(app, client, shirt, fake_stripe):
    genuine = attribution.value(app.config["SECRET_KEY"], "poster1", int(time.time()))
    client.set_cookie(attribution.COOKIE, genuine.replace("poster1", "poster2"))  # claim another link's sale
    _buy(client, shirt)
    assert _order(app).link_code is None


def test_double_submit_makes_one_order_and_one_session(app, client, shirt, fake_stripe):
    first = _buy(client, shirt, nonce="same")
    second = _buy(client, shirt, nonce="same")
    assert client.get(second.headers["Location"]).headers["Location"] == first.headers["Location"]
    assert len(fake_stripe.sessions) == 1 and _stock(app, shirt.variants[0].id) == 2


def test_provider_refusal_cancels_the_order_and_releases_stock(app, client, shirt, fake_stripe):
    from shopbridge.testing_stripe import StripeApiError

    fake_stripe.fail_next = StripeApiError(402, "Your account cannot currently make live charges.",
                                           type_="invalid_request_error")
    response = _buy(client, shirt)
    assert "/pay/" not in response.headers["Location"]
    assert _order(app).status == OrderStatus.cancelled and _stock(app, shirt.variants[0].id) == 3


# --- webhooks -----------------------------------------------------------------------------------------------

def test_completed_webhook_pays_the_order_once_even_when_replayed(app, client, shirt, fake_stripe):
    _buy(client, shirt)
    event = fake_stripe.complete(_session_id(fake_stripe), email="ada@example.com", send=False)
    for _ in range(3):
        assert fake_stripe.post(event).status_code == 200
    order = _order(app)
    assert order.status == OrderStatus.paid and order.email == "ada@example.com"
    assert order.shipping_address["city"] == "Roma" and order.payment_reference.startswith("pi_")
    assert _kinds(app).count("paid") == 1
    with Session(engine(app)) as s:
        assert len(s.exec(select(PaymentEvent)).all()) == 1


@pytest.mark.parametrize("tamper", ["forged", "missing", "stale", "other-secret", "garbage"])
def test_bad_signatures_are_refused_and_change_nothing(app, client, shirt, fake_stripe, tamper):
    _buy(client, shirt)
    event = fake_stripe.complete(_session_id(fake_stripe), send=False)
    payload = json.dumps(event)
    headers = {"Content-Type": "application/json"}
    if tamper == "forged":
        headers["Stripe-Signature"] = fake_stripe.sign(payload).replace("v1=", "v1=00")
    elif tamper == "stale":
        headers["Stripe-Signature"] = fake_stripe.sign(payload, timestamp=int(time.time()) - 3600)
    elif tamper == "other-secret":
        headers["Stripe-Signature"] = fake_stripe.sign(payload, secret="whsec_attacker")
    elif tamper == "garbage":
        headers["Stripe-Signature"] = "t=abc,v1=zz"
    response = client.post("/webhooks/stripe", data=payload, headers=headers)
    assert response.status_code == 400
    assert _order(app).status == OrderStatus.pending
    with Session(engine(app)) as s:
        assert s.exec(select(PaymentEvent)).all() == []


def test_expired_after_completed_does_not_cancel_a_paid_order(app, client, shirt, fake_stripe):
    _buy(client, shirt)
    sid = _session_id(fake_stripe)
    fake_stripe.complete(sid)
    fake_stripe.post(fake_stripe.event("checkout.session.expired", {**fake_stripe._public(fake_stripe.sessions[sid]),
                                                                    "status": "expired"}))
    assert _order(app).status == OrderStatus.paid and _stock(app, shirt.variants[0].id) == 2


def test_expired_session_releases_stock(app, client, shirt, fake_stripe):
    _buy(client, shirt, quantity=3)
    assert _stock(app, shirt.variants[0].id) == 0
    fake_stripe.expire(_session_id(fake_stripe))
    assert _order(app).status == OrderStatus.cancelled and _stock(app, shirt.variants[0].id) == 3


def test_refund_arriving_before_completed_is_kept(app, client, shirt, fake_stripe):
    _buy(client, shirt)
    completed = fake_stripe.complete(_session_id(fake_stripe), send=False)
    intent = completed["data"]["object"]["payment_intent"]
    fake_stripe.refund_event(intent)  # delivered first
    assert _order(app).status == OrderStatus.pending
    fake_stripe.post(completed)
    order = _order(app)
    assert order.status == OrderStatus.refunded and order.refunded_minor == order.total_minor


def test_async_payment_succeeds_or_fails_later(app, client, shirt, fake_stripe, product_factory):
    _buy(client, shirt)
    sid = _session_id(fake_stripe)
    fake_stripe.complete(sid, paid=False)
    assert _order(app).status == OrderStatus.pending and "processing" in _kinds(app)
    fake_stripe.settle_async(sid, succeeded=False)
    assert _order(app).status == OrderStatus.cancelled and _stock(app, shirt.variants[0].id) == 3


def test_async_payment_success(app, client, shirt, fake_stripe):
    _buy(client, shirt)
    sid = _session_id(fake_stripe)
    fake_stripe.complete(sid, paid=False)
    fake_stripe.settle_async(sid, succeeded=True)
    assert _order(app).status == OrderStatus.paid


def test_amount_mismatch_is_flagged_and_shown_in_the_admin(app, client, auth, shirt, fake_stripe):
    _buy(client, shirt)
    fake_stripe.complete(_session_id(fake_stripe), amount_total=100)
    order = _order(app)
    assert order.needs_review and order.status == OrderStatus.paid
    auth.login("owner")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Needs review" in page and "Amount mismatch" in page
    assert order.number in client.get("/admin/orders/?review=1").get_data(as_text=True)
    client.post(f"/admin/orders/{order.id}/reviewed", data={"csrf_token": auth.csrf(f"/admin/orders/{order.id}"),
                                                           "note": "Customer paid the rest by bank transfer"})
    order = _order(app)
    assert not order.needs_review and "bank transfer" in order.events[-1].message
    assert order.number not in client.get("/admin/orders/?review=1").get_data(as_text=True)


def test_disputes_and_unknown_events(app, client, shirt, fake_stripe):
    _buy(client, shirt)
    completed = fake_stripe.complete(_session_id(fake_stripe))
    intent = completed["data"]["object"]["payment_intent"]
    fake_stripe.dispute_event(intent)
    assert _order(app).status == OrderStatus.disputed
    fake_stripe.dispute_event(intent, closed_status="won")
    assert _order(app).status == OrderStatus.paid
    failed = fake_stripe.post(fake_stripe.event("payment_intent.payment_failed", {
        "id": intent, "object": "payment_intent", "metadata": {"order_id": str(_order(app).id)},
        "last_payment_error": {"message": "Your card was declined."}}))
    assert failed.status_code == 200 and "payment_declined" in _kinds(app)
    unknown = fake_stripe.post(fake_stripe.event("customer.created", {"id": "cus_1", "object": "customer"}))
    assert unknown.status_code == 200


# --- the shopper's return races the webhook -----------------------------------------------------------------

@pytest.mark.parametrize("webhook_first", [False, True])
def test_success_page_and_webhook_race_to_one_order(app, client, shirt, fake_stripe, webhook_first):
    redirect = _buy(client, shirt)
    sid = _session_id(fake_stripe)
    event = fake_stripe.complete(sid, send=False)
    success = fake_stripe.sessions[sid]["success_url"].replace("{CHECKOUT_SESSION_ID}", sid)
    path = success.split("localhost", 1)[-1]
    if webhook_first:
        assert fake_stripe.post(event).status_code == 200
    page = client.get(path)
    assert page.status_code == 200 and "is confirmed" in page.get_data(as_text=True)
    if not webhook_first:
        assert fake_stripe.post(event).status_code == 200
    assert _order(app).status == OrderStatus.paid and _kinds(app).count("paid") == 1
    assert redirect.status_code == 303


def test_success_page_shows_processing_until_paid(app, client, shirt, fake_stripe):
    _buy(client, shirt)
    sid = _session_id(fake_stripe)
    order = _order(app)
    page = client.get(f"/order/{order.token}?session_id={sid}").get_data(as_text=True)
    assert "Processing your payment" in page and 'http-equiv="refresh"' in page


# --- reconciliation -----------------------------------------------------------------------------------------

def test_reconcile_settles_pending_orders_whose_webhooks_were_missed(app, client, runner, shirt, fake_stripe):
    _buy(client, shirt, nonce="a")
    _buy(client, shirt, nonce="b")
    paid_id, expired_id = list(fake_stripe.sessions)
    fake_stripe.complete(paid_id, send=False)
    fake_stripe.expire(expired_id, send=False)
    result = runner.invoke(args=["payments", "reconcile", "--min-age", "0"])
    assert result.exit_code == 0, result.output
    assert "paid: 1" in result.output and "cancelled: 1" in result.output
    with Session(engine(app)) as s:
        statuses = {o.provider_reference: o.status for o in s.exec(select(Order)).all()}
    assert statuses == {paid_id: OrderStatus.paid, expired_id: OrderStatus.cancelled}
    assert _stock(app, shirt.variants[0].id) == 2
    again = runner.invoke(args=["payments", "reconcile", "--min-age", "0"])
    assert "Checked 0" in again.output


# --- refunds in the admin -----------------------------------------------------------------------------------

def test_owner_refunds_partially_then_fully_through_stripe(app, client, auth, shirt, fake_stripe):
    _buy(client, shirt)
    fake_stripe.complete(_session_id(fake_stripe))
    order = _order(app)
    auth.login("owner")
    token = auth.csrf(f"/admin/orders/{order.id}")
    client.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": token, "amount": "10.00", "reason": "late"})
    assert _order(app).status == OrderStatus.partially_refunded and _order(app).refunded_minor == 1000
    client.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": token, "amount": "44.00"})
    assert _order(app).status == OrderStatus.refunded
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [1000, 4400]
    # Stripe's own charge.refunded for those refunds changes nothing more.
    fake_stripe.post(fake_stripe.event("charge.refunded", fake_stripe.charges[
        fake_stripe.payment_intents[order.payment_reference]["latest_charge"]]))
    assert _order(app).refunded_minor == 5400
    too_much = client.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": token, "amount": "1.00"},
                           follow_redirects=True)
    assert too_much.status_code == 200 and len(fake_stripe.refunds) == 2


def test_only_the_owner_refunds_and_the_agency_sees_no_orders(app, client, auth, shirt, fake_stripe):
    _buy(client, shirt)
    fake_stripe.complete(_session_id(fake_stripe))
    order = _order(app)
    auth.login("staff")
    assert client.get(f"/admin/orders/{order.id}").status_code == 200
    token = auth.csrf(f"/admin/orders/{order.id}")
    assert client.post(f"/admin/orders/{order.id}/refund", data={"csrf_token": token, "amount": "1"}).status_code == 403
    fulfilled = client.post(f"/admin/orders/{order.id}/fulfil", data={"csrf_token": token,
                                                                       "tracking_number": "TRK123"})
    assert fulfilled.status_code == 303 and _order(app).status == OrderStatus.fulfilled
    assert _order(app).tracking_number == "TRK123"
    auth.logout()
    auth.login("agency")
    for path in ("/admin/orders/", f"/admin/orders/{order.id}", "/admin/orders/export.csv", "/admin/mail/"):
        assert client.get(path).status_code == 403
    assert fake_stripe.refunds == {}


def test_csv_export_lists_orders(app, client, auth, shirt, fake_stripe):
    _buy(client, shirt)
    fake_stripe.complete(_session_id(fake_stripe), email="csv@example.com")
    auth.login("staff")
    csv_text = client.get("/admin/orders/export.csv?status=paid").get_data(as_text=True)
    header, row = csv_text.strip().splitlines()
    assert header.startswith("number,") and "csv@example.com" in row and "54.00" in row and "1 x LS-M" in row


def test_a_double_clicked_refund_refunds_once(app, client, auth, shirt, fake_stripe):
    import re

    _buy(client, shirt)
    fake_stripe.complete(_session_id(fake_stripe))
    order = _order(app)
    auth.login("owner")
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page), "amount": "5.00",
            "nonce": re.search(r'name="nonce"[^>]*value="([^"]+)"', page).group(1)}
    client.post(f"/admin/orders/{order.id}/refund", data=form)
    client.post(f"/admin/orders/{order.id}/refund", data=form)
    assert _order(app).refunded_minor == 500 and len(fake_stripe.refunds) == 1


def test_fulfilling_sends_the_tracking_number_once(app, client, auth, shirt, fake_stripe):
    from shopbridge.mail.models import OutboxMessage

    _buy(client, shirt)
    fake_stripe.complete(_session_id(fake_stripe), email="track@example.com")
    order = _order(app)
    auth.login("staff")
    token = auth.csrf(f"/admin/orders/{order.id}")
    for number in ("TRK-1", "TRK-2"):
        client.post(f"/admin/orders/{order.id}/fulfil", data={"csrf_token": token, "tracking_number": number})
    with Session(engine(app)) as s:
        shipped = [m for m in s.exec(select(OutboxMessage)).all() if "shipped" in m.subject]
    assert len(shipped) == 1 and "TRK-1" in shipped[0].body
    assert _order(app).tracking_number == "TRK-2"


def test_staff_cancels_a_pending_order_and_the_stripe_session_closes(app, client, auth, shirt, fake_stripe):
    _buy(client, shirt, quantity=2)
    order = _order(app)
    auth.login("staff")
    client.post(f"/admin/orders/{order.id}/cancel", data={"csrf_token": auth.csrf(f"/admin/orders/{order.id}")})
    assert _order(app).status == OrderStatus.cancelled and _stock(app, shirt.variants[0].id) == 3
    assert fake_stripe.sessions[order.provider_reference]["status"] == "expired"


def test_webhooks_without_a_signing_secret_are_refused(app, client, shirt, fake_stripe):
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    _buy(client, shirt)
    event = fake_stripe.complete(_session_id(fake_stripe), send=False)
    assert fake_stripe.post(event).status_code == 503
    assert _order(app).status == OrderStatus.pending


def test_stripe_keys_never_reach_the_logs(app, client, auth, shirt, fake_stripe, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    from shopbridge.testing_stripe import StripeApiError

    _buy(client, shirt, nonce="one")
    fake_stripe.complete(_session_id(fake_stripe))
    fake_stripe.fail_next = StripeApiError(400, "Something was wrong with the request.")
    _buy(client, shirt, nonce="two")
    forged = json.dumps(fake_stripe.event("checkout.session.completed", {"id": "cs_x"}))
    client.post("/webhooks/stripe", data=forged, headers={"Stripe-Signature": "t=1,v1=00"})
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert fake_stripe.api_key not in text and fake_stripe.webhook_secret not in text
    assert "stripe error" in caplog.text  # the failure itself is logged, by code


def test_promotion_codes_discount_is_not_a_mismatch(app, client, shirt, fake_stripe):
    from shopbridge import settings

    with app.app_context(), Session(engine(app)) as s:
        settings.put(s, "stripe.allow_promotion_codes", True, app=app)
        s.commit()
    _buy(client, shirt)
    sid = _session_id(fake_stripe)
    assert fake_stripe.sessions[sid]["allow_promotion_codes"] is True
    fake_stripe.complete(sid, discount=500)
    order = _order(app)
    assert order.status == OrderStatus.paid and not order.needs_review
    assert order.paid_minor == order.total_minor - 500 and order.refundable_minor == order.paid_minor
