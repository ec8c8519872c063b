"""A plugin contributes its own payment provider through ``shopbridge_payment_providers``; the owner selects
it and checkout goes through it, with the same orders and stock as the built-ins."""

from __future__ import annotations

import pluggy
from sqlmodel import Session, select

from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.db import engine
from shopbridge.payments import (
    CheckoutRedirect,
    PaymentOutcome,
    PaymentProvider,
    PaymentState,
    available_providers,
)
from shopbridge.plugins import manager
from shopbridge.testing import csrf_token_from

hookimpl = pluggy.HookimplMarker("shopbridge")


class CashOnDelivery(PaymentProvider):
    identifier = "cod"
    verbose_name = "Cash on delivery"

    def create_checkout(self, request):
        return CheckoutRedirect(url=request.success_url, reference=f"cod-{request.order_id}")

    def fetch_state(self, reference):
        # Cash on delivery is "paid" as far as the shop is concerned: the courier collects.
        order_id = int(reference.split("-")[1])
        order = self.session.get(Order, order_id)
        return PaymentState(reference, PaymentOutcome.paid, amount_minor=order.total_minor, currency=order.currency,
                            payment_reference=reference)


class Plugin:
    @hookimpl
    def shopbridge_payment_providers(self):
        return [CashOnDelivery]


def test_a_plugin_provider_takes_the_checkout(app, client, product_factory):
    manager(app).register(Plugin(), name="cod-plugin")
    assert list(available_providers(app))[:2] == ["sandbox", "stripe"] and "cod" in available_providers(app)
    app.config["PAYMENT_PROVIDER"] = "cod"
    product = product_factory(title="Kettle", slug="kettle",
                              variants=[{"sku": "KET-1", "price_minor": 3000, "currency": "EUR", "stock": 2}])
    token = csrf_token_from(client.get("/p/kettle").get_data(as_text=True))
    response = client.post("/checkout/buy", data={"csrf_token": token, "variant_id": product.variants[0].id,
                                                  "quantity": 1, "nonce": "k1"}, follow_redirects=True)
    assert "is confirmed" in response.get_data(as_text=True)
    with Session(engine(app)) as s:
        (order,) = s.exec(select(Order)).all()
        assert (order.provider, order.status, order.payment_reference) == ("cod", OrderStatus.paid, f"cod-{order.id}")


def test_a_plugin_cannot_take_over_a_builtin_identifier(app):
    class Impostor(PaymentProvider):
        identifier = "stripe"
        verbose_name = "Not Stripe"

    class Bad:
        @hookimpl
        def shopbridge_payment_providers(self):
            return [Impostor]

    manager(app).register(Bad(), name="impostor")
    assert available_providers(app)["stripe"].verbose_name == "Stripe"
