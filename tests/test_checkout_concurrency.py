"""Real concurrency over HTTP: shoppers racing for the last unit through a live server, and a flood of Stripe
webhooks — replayed, shuffled, delivered at once — that must leave every order right with each effect once."""

from __future__ import annotations

import random
import re
import threading

import httpx
import pytest
from sqlmodel import Session, select

from shopbridge.catalogue.models import Variant
from shopbridge.checkout.models import Order, OrderEvent, OrderStatus
from shopbridge.db import engine
from shopbridge.mail.models import OutboxMessage
from shopbridge.testing_stripe import deliver_over_http


def _shopper_form(base_url: str, slug: str) -> tuple[httpx.Client, dict]:
    client = httpx.Client(base_url=base_url, timeout=30)
    html = client.get(f"/p/{slug}").text
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
            "nonce": re.search(r'name="nonce" value="([^"]+)"', html).group(1),
            "variant_id": re.search(r'name="variant_id" value="(\d+)"', html).group(1), "quantity": "1"}
    return client, data


def test_exactly_one_shopper_gets_the_last_unit_through_the_live_server(app, live_server, product_factory):
    product = product_factory(title="Last lamp", slug="last-lamp",
                              variants=[{"sku": "LAMP-1", "price_minor": 9900, "currency": "EUR", "stock": 1}])
    shoppers = [_shopper_form(live_server.url, "last-lamp") for _ in range(8)]
    barrier = threading.Barrier(len(shoppers))
    answers: list[str] = []

    def buy(client: httpx.Client, data: dict) -> None:
        barrier.wait()
        response = client.post("/checkout/buy", data=data, headers={"Referer": live_server.url + "/p/last-lamp"})
        answers.append(response.headers.get("location", str(response.status_code)))

    threads = [threading.Thread(target=buy, args=s) for s in shoppers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    to_payment = [a for a in answers if "/sandbox/pay/" in a]
    assert len(answers) == 8 and len(to_payment) == 1
    with Session(engine(app)) as s:
        assert s.get(Variant, product.variants[0].id).stock == 0
        assert len(s.exec(select(Order).where(Order.status == OrderStatus.pending)).all()) == 1


@pytest.mark.timeout(240)
def test_webhook_flood_with_replays_and_out_of_order_events(app, live_server, product_factory, fake_stripe):
    fake_stripe.deliver = deliver_over_http(live_server.url)
    product = product_factory(title="Mug", slug="mug",
                              variants=[{"sku": "MUG-1", "price_minor": 1200, "currency": "EUR", "stock": 30}])
    sessions = []
    for _ in range(6):
        client, data = _shopper_form(live_server.url, "mug")
        location = client.post("/checkout/buy", data=data).headers["location"]
        sessions.append(location.rsplit("/pay/", 1)[1])
    assert len(set(sessions)) == 6
    paid, refunded, expired = sessions[:3], sessions[3:5], sessions[5:]
    events = []
    for sid in paid + refunded:
        completed = fake_stripe.complete(sid, email=f"{sid[-6:]}@example.com", send=False)
        events.append(completed)
        # Stripe may still send "expired" for a session it completed (it never does, but a buggy proxy might).
        events.append(fake_stripe.event("checkout.session.expired", {**completed["data"]["object"],
                                                                     "status": "expired"}))
    for sid in refunded:
        intent = fake_stripe.sessions[sid]["payment_intent"]
        events.append(fake_stripe.refund_event(intent, 500, send=False))
    for sid in expired:
        events.append(fake_stripe.expire(sid, send=False))
    deliveries = events * 3  # every event three times
    random.Random(9).shuffle(deliveries)
    statuses: list[int] = []

    def worker(batch):
        for event in batch:
            statuses.append(fake_stripe.post(event).status_code)

    batches = [deliveries[i::6] for i in range(6)]
    threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(200)
    assert statuses == [200] * len(deliveries)
    with Session(engine(app)) as s:
        orders = {o.provider_reference: o for o in s.exec(select(Order)).all()}
        for sid in paid:
            assert orders[sid].status == OrderStatus.paid
        for sid in refunded:
            assert orders[sid].status == OrderStatus.partially_refunded and orders[sid].refunded_minor == 500
        assert orders[expired[0]].status == OrderStatus.cancelled
        for order in orders.values():
            kinds = [e.kind for e in s.exec(select(OrderEvent).where(OrderEvent.order_id == order.id)).all()]
            assert kinds.count("paid") <= 1 and kinds.count("refund") <= 1 and kinds.count("expired") <= 1
        assert len(s.exec(select(OutboxMessage)).all()) == 5  # one confirmation per paid order
        assert s.get(Variant, product.variants[0].id).stock == 30 - 5
