"""Shoppers racing for limited stock through gunicorn with several worker processes on PostgreSQL: the row
locks, not one process's memory, must keep the shop from selling more than it has."""

from __future__ import annotations

import os
import threading

import httpx
import pytest
from servers import Gunicorn, shop_environment, shopper
from sqlmodel import Session, select

from shopbridge.catalogue.models import Variant
from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.db import engine

pytestmark = pytest.mark.skipif(not os.environ.get("SHOPBRIDGE_TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (SHOPBRIDGE_TEST_DATABASE_URL, see .ci/services.sh)")

SHOPPERS = 20
STOCK = 3


@pytest.mark.timeout(60)
def test_twenty_shoppers_three_lamps_three_gunicorn_workers(app, product_factory, tmp_path):
    product = product_factory(title="Brass lamp", slug="brass-lamp",
                              variants=[{"sku": "LAMP-B", "price_minor": 9900, "currency": "EUR", "stock": STOCK}])
    variant_id = product.variants[0].id
    env = shop_environment(app.config["DATABASE_URL"], tmp_path / "data")
    with Gunicorn(env, workers=3, log=tmp_path / "gunicorn.log") as server:
        shoppers = [shopper(server.url, "brass-lamp") for _ in range(SHOPPERS)]
        barrier = threading.Barrier(SHOPPERS)
        answers: dict[int, httpx.Response | Exception] = {}

        def buy(i: int, client: httpx.Client, data: dict) -> None:
            barrier.wait()
            try:
                answers[i] = client.post("/checkout/buy", data=data,
                                         headers={"Referer": server.url + "/p/brass-lamp"})
            except Exception as exc:  # noqa: BLE001 - a connection error is exactly what the test reports
                answers[i] = exc

        threads = [threading.Thread(target=buy, args=(i, *s)) for i, s in enumerate(shoppers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(45)
        for client, _ in shoppers:
            client.close()
        log = (tmp_path / "gunicorn.log").read_text()

    assert len(answers) == SHOPPERS, "some requests never got an answer"
    failures = {i: a for i, a in answers.items() if isinstance(a, Exception) or a.status_code >= 500}
    assert not failures, f"errors: {failures}\n{log[-3000:]}"
    assert {a.status_code for a in answers.values()} == {303}
    to_payment = [a for a in answers.values() if "/sandbox/pay/" in a.headers["location"]]
    sold_out = [a for a in answers.values() if "/sandbox/pay/" not in a.headers["location"]]
    assert len(to_payment) == STOCK and len(sold_out) == SHOPPERS - STOCK
    with Session(engine(app)) as s:
        assert s.get(Variant, variant_id).stock == 0
        orders = s.exec(select(Order)).all()
        assert len(orders) == STOCK and {o.status for o in orders} == {OrderStatus.pending}
        # Each shopper sent to pay holds one of those orders.
        assert {o.provider_reference for o in orders} == {a.headers["location"].rsplit("/pay/", 1)[1]
                                                          for a in to_payment}
