"""The sandbox provider: a pretend payment page on the shop itself, for the demo and for development.

It moves no money. Its hosted page (``/sandbox/pay/<reference>``) offers what a real provider's outcomes
are — pay, decline, pay later then succeed or fail — and reports each one through the very same
:func:`shopbridge.checkout.service.apply_payment_state` that Stripe's webhooks use, so everything after the
payment (stock, emails, the admin) behaves exactly as it will with real money.

It is the default only while no Stripe key is configured (see :func:`shopbridge.payments.active_identifier`),
and every page it shows says "test payment".
"""

from __future__ import annotations

import hashlib

from sqlmodel import select

from shopbridge.payments import (
    CheckoutRedirect,
    CheckoutRequest,
    PaymentOutcome,
    PaymentProvider,
    PaymentState,
    RefundResult,
)


def _digest(text: str, size: int = 24) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


class SandboxProvider(PaymentProvider):
    identifier = "sandbox"
    verbose_name = "Sandbox (test payments, no money moves)"
    supports_refunds = True
    supports_partial_refunds = True
    test_only = True

    def create_checkout(self, request: CheckoutRequest) -> CheckoutRedirect:
        from shopbridge.web import external_url

        # Derived from the idempotency key: the same order always gets the same sandbox checkout.
        reference = "sbx_" + _digest(request.idempotency_key + self.app.config["SECRET_KEY"])
        from flask import has_request_context

        if has_request_context():
            url = external_url("sandbox.pay", reference=reference)
        else:  # a job or the CLI: BASE_URL names the host
            with self.app.test_request_context(base_url=self.app.config.get("BASE_URL") or None):
                url = external_url("sandbox.pay", reference=reference)
        return CheckoutRedirect(url=url, reference=reference, expires_at=request.expires_at)

    def fetch_state(self, reference: str) -> PaymentState:
        """The sandbox keeps no state of its own: the order it drove is the record."""
        from shopbridge.checkout.models import Order, OrderEvent, OrderStatus
        from shopbridge.db import utcnow

        order = self.session.exec(select(Order).where(Order.provider_reference == reference)).first()
        if order is None:
            return PaymentState(reference=reference, outcome=PaymentOutcome.expired)
        if order.paid_at is not None:
            outcome = PaymentOutcome.paid
        elif order.status == OrderStatus.cancelled:
            outcome = PaymentOutcome.expired
        elif self.session.exec(select(OrderEvent.id).where(OrderEvent.order_id == order.id,
                                                           OrderEvent.kind == "processing")).first():
            outcome = PaymentOutcome.processing  # "pay later" pending: waits for its outcome, never expires
        elif order.expires_at is not None and order.expires_at < utcnow():
            outcome = PaymentOutcome.expired
        else:
            outcome = PaymentOutcome.open
        return PaymentState(reference=reference, outcome=outcome, order_id=order.id,
                            amount_minor=order.paid_minor, currency=order.currency,
                            payment_reference=order.payment_reference)

    def refund(self, payment_reference: str, amount_minor: int, currency: str, *, idempotency_key: str,
               reason: str = "") -> RefundResult:
        return RefundResult(reference="sbx_re_" + _digest(idempotency_key), amount_minor=amount_minor)

    @staticmethod
    def paid_state(order, email: str | None = None) -> PaymentState:
        """What the sandbox "collects" when the shopper presses Pay: exactly the order's total."""
        return PaymentState(reference=order.provider_reference or "", outcome=PaymentOutcome.paid,
                            amount_minor=order.total_minor, currency=order.currency,
                            payment_reference="sbx_pi_" + _digest(order.provider_reference or str(order.id)),
                            order_id=order.id, email=email)
