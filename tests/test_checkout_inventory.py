"""Orders reserve stock when the shopper is sent to pay, release it when the payment lapses, keep it when paid,
and never sell a unit twice — checked with real concurrent transactions on the real database."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlmodel import Session

from shopbridge.catalogue.models import Variant
from shopbridge.checkout import pricing, service
from shopbridge.checkout.models import Order, OrderStatus, StockState
from shopbridge.db import engine
from shopbridge.payments import PaymentOutcome, PaymentState


def _stock(app, variant_id):
    with Session(engine(app)) as s:
        return s.get(Variant, variant_id).stock


def _new_order(app, variant_id, quantity=1, **kwargs):
    with app.app_context(), Session(engine(app), expire_on_commit=False) as s:
        q = pricing.quote(s, [pricing.LineRequest(variant_id, quantity)], "IT")
        order = service.create_order(s, q, nonce=uuid.uuid4().hex, provider="sandbox", **kwargs)
        s.commit()
        return order.id


def test_prices_come_from_the_catalogue_and_stock_is_reserved(app, product_factory):
    product = product_factory(title="Linen shirt", variants=[{"sku": "LS-1", "price_minor": 4900,
                                                               "currency": "EUR", "stock": 3}])
    vid = product.variants[0].id
    order_id = _new_order(app, vid, 2)
    with Session(engine(app)) as s:
        order = s.get(Order, order_id)
        assert (order.subtotal_minor, order.shipping_minor, order.total_minor) == (9800, 500, 10300)
        assert order.status == OrderStatus.pending and order.stock_state == StockState.reserved
    assert _stock(app, vid) == 1


def test_expiry_releases_stock_once_and_a_late_payment_takes_it_back(app, product_factory):
    vid = product_factory(variants=[{"sku": "EX-1", "price_minor": 1000, "currency": "EUR", "stock": 2}]).variants[0].id
    order_id = _new_order(app, vid, 2)
    expired = PaymentState(reference="x", outcome=PaymentOutcome.expired)
    with app.app_context(), Session(engine(app)) as s:
        service.apply_payment_state(s, order_id, expired, source="test")
        service.apply_payment_state(s, order_id, expired, source="test")  # a replay
        s.commit()
    assert _stock(app, vid) == 2
    paid = PaymentState(reference="x", outcome=PaymentOutcome.paid, amount_minor=2500, currency="eur",
                        payment_reference="pi_1", email="late@example.com")
    with app.app_context(), Session(engine(app)) as s:
        order = service.apply_payment_state(s, order_id, paid, source="test")
        s.commit()
        assert order.status == OrderStatus.paid and order.stock_state == StockState.committed
        assert not order.needs_review
    assert _stock(app, vid) == 0
    # "expired" arriving after "paid" changes nothing.
    with app.app_context(), Session(engine(app)) as s:
        order = service.apply_payment_state(s, order_id, expired, source="test")
        s.commit()
        assert order.status == OrderStatus.paid
    assert _stock(app, vid) == 0


def test_late_payment_without_stock_is_flagged_not_oversold(app, product_factory):
    vid = product_factory(variants=[{"sku": "LT-1", "price_minor": 1000, "currency": "EUR", "stock": 1}]).variants[0].id
    first = _new_order(app, vid)
    with app.app_context(), Session(engine(app)) as s:
        service.apply_payment_state(s, first, PaymentState("a", PaymentOutcome.expired), source="test")
        s.commit()
    _new_order(app, vid)  # someone else takes the unit
    with app.app_context(), Session(engine(app)) as s:
        order = service.apply_payment_state(
            s, first, PaymentState("a", PaymentOutcome.paid, amount_minor=1500, currency="EUR"), source="test")
        s.commit()
        assert order.status == OrderStatus.paid and order.needs_review
        assert "stock" in order.review_reason
    assert _stock(app, vid) == 0


def test_amount_mismatch_is_flagged(app, product_factory):
    vid = product_factory(variants=[{"sku": "AM-1", "price_minor": 1000, "currency": "EUR", "stock": 1}]).variants[0].id
    order_id = _new_order(app, vid)
    with app.app_context(), Session(engine(app)) as s:
        order = service.apply_payment_state(
            s, order_id, PaymentState("a", PaymentOutcome.paid, amount_minor=1, currency="EUR"), source="test")
        s.commit()
        assert order.needs_review and "mismatch" in order.review_reason.lower()
        assert [e.kind for e in order.events].count("amount_mismatch") == 1


@pytest.mark.parametrize("racers", [8])
def test_exactly_one_of_many_concurrent_checkouts_gets_the_last_unit(app, product_factory, racers):
    vid = product_factory(variants=[{"sku": "LAST-1", "price_minor": 1000, "currency": "EUR",
                                     "stock": 1}]).variants[0].id
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def shopper():
        barrier.wait()
        with app.app_context(), Session(engine(app), expire_on_commit=False) as s:
            try:
                # No friendly pre-check: every racer goes straight for the reservation.
                q = pricing.quote(s, [pricing.LineRequest(vid, 1)], "IT", check_stock=False)
                service.create_order(s, q, nonce=uuid.uuid4().hex, provider="sandbox")
                s.commit()
                outcomes.append("ok")
            except pricing.CheckoutError as exc:
                s.rollback()
                outcomes.append(exc.code)

    threads = [threading.Thread(target=shopper) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok"] + ["out_of_stock"] * (racers - 1)
    assert _stock(app, vid) == 0


def test_concurrent_payment_notifications_apply_once(app, product_factory):
    vid = product_factory(variants=[{"sku": "DUP-1", "price_minor": 1000, "currency": "EUR",
                                     "stock": 3}]).variants[0].id
    order_id = _new_order(app, vid, email="dup@example.com")
    paid = PaymentState("a", PaymentOutcome.paid, amount_minor=1500, currency="EUR", payment_reference="pi_d")
    barrier = threading.Barrier(6)

    def deliver():
        barrier.wait()
        with app.app_context(), Session(engine(app)) as s:
            service.apply_payment_state(s, order_id, paid, source="race")
            s.commit()

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with Session(engine(app)) as s:
        order = s.get(Order, order_id)
        assert [e.kind for e in order.events].count("paid") == 1
        from sqlmodel import select

        from shopbridge.mail.models import OutboxMessage
        assert len(s.exec(select(OutboxMessage).where(OutboxMessage.to == "dup@example.com")).all()) == 1
    assert _stock(app, vid) == 2


def test_conversions_by_link_counts_paid_orders_and_net_revenue(app, product_factory):
    vid = product_factory(variants=[{"sku": "CV-1", "price_minor": 1000, "currency": "EUR",
                                     "stock": 9}]).variants[0].id
    paid_ids = [_new_order(app, vid, link_code="ig-bio") for _ in range(2)]
    _new_order(app, vid, link_code="ig-bio")  # never paid: not a conversion
    with app.app_context(), Session(engine(app)) as s:
        for oid in paid_ids:
            service.apply_payment_state(s, oid, PaymentState("a", PaymentOutcome.paid, amount_minor=1500,
                                                             currency="EUR", payment_reference=f"pi_{oid}"),
                                        source="test")
        service.record_refund(s, paid_ids[0], refunded_total_minor=500, source="test")
        s.commit()
        assert service.conversions_by_link(s) == {"ig-bio": (2, {"EUR": 2500})}


def test_a_second_payment_for_a_paid_order_is_flagged(app, product_factory):
    vid = product_factory(variants=[{"sku": "TW-1", "price_minor": 1000, "currency": "EUR", "stock": 2}]).variants[0].id
    order_id = _new_order(app, vid)
    with app.app_context(), Session(engine(app)) as s:
        for reference in ("pi_first", "pi_first", "pi_second", "pi_second"):
            order = service.apply_payment_state(s, order_id, PaymentState(
                "cs", PaymentOutcome.paid, amount_minor=1500, currency="EUR", payment_reference=reference),
                source="test")
        s.commit()
        assert order.payment_reference == "pi_first" and order.needs_review
        assert [e.kind for e in order.events].count("needs_review") == 1
