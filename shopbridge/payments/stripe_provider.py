"""Stripe Checkout through the official SDK's :class:`stripe.StripeClient`.

Keys come from the environment (``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``) or the admin's payment
settings (kept encrypted at rest); ``STRIPE_API_BASE`` points the SDK at another host (a local fake in the
tests, ``stripe-mock``). Keys never reach a log line or a page: errors are reported by Stripe's error code
and message only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe
from flask import Flask

from shopbridge.payments import (
    CheckoutRedirect,
    CheckoutRequest,
    PaymentError,
    PaymentOutcome,
    PaymentProvider,
    PaymentState,
    RefundResult,
)

log = logging.getLogger(__name__)


def secret_key(app: Flask, session) -> str | None:
    from shopbridge import settings

    return app.config.get("STRIPE_SECRET_KEY") or (session is not None and
                                                   settings.get(session, "stripe.secret_key", app=app)) or None


def webhook_secret(app: Flask, session) -> str | None:
    from shopbridge import settings

    return app.config.get("STRIPE_WEBHOOK_SECRET") or (session is not None and
                                                       settings.get(session, "stripe.webhook_secret", app=app)) or None


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Read a field from a StripeObject or a plain dict (webhook payloads) alike."""
    if obj is None:
        return default
    try:
        value = obj[key]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def plain(obj: Any) -> Any:
    """A StripeObject as plain dicts and lists (the SDK's objects refuse to be iterated like mappings)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def state_from_session(obj: Mapping[str, Any]) -> PaymentState:
    """A Checkout Session object (retrieved, or from a webhook) in the shop's terms."""
    obj = plain(obj)
    status, payment_status = _get(obj, "status"), _get(obj, "payment_status")
    if status == "complete" and payment_status in ("paid", "no_payment_required"):
        outcome = PaymentOutcome.paid
    elif status == "complete":
        outcome = PaymentOutcome.processing
    elif status == "expired":
        outcome = PaymentOutcome.expired
    else:
        outcome = PaymentOutcome.open
    metadata = _get(obj, "metadata", {}) or {}
    raw_order = _get(metadata, "order_id") or _get(obj, "client_reference_id")
    order_id = int(raw_order) if isinstance(raw_order, str) and raw_order.isdigit() else None
    intent = _get(obj, "payment_intent")
    intent_id = intent if isinstance(intent, str) else _get(intent, "id")
    details = _get(obj, "customer_details", {})
    shipping = _get(_get(obj, "collected_information", {}), "shipping_details") or _get(obj, "shipping_details")
    address: dict[str, Any] = {}
    if shipping:
        address = {"name": _get(shipping, "name", "")}
        address.update({k: v for k, v in dict(_get(shipping, "address", {}) or {}).items() if v})
    currency = _get(obj, "currency")
    return PaymentState(
        reference=_get(obj, "id", ""),
        outcome=outcome,
        amount_minor=_get(obj, "amount_total"),
        currency=currency.upper() if currency else None,
        discount_minor=int(_get(_get(obj, "total_details", {}), "amount_discount", 0) or 0),
        payment_reference=intent_id,
        order_id=order_id,
        email=_get(details, "email") or _get(obj, "customer_email"),
        customer_name=_get(details, "name", "") or "",
        phone=_get(details, "phone", "") or "",
        shipping_address=address,
    )


class StripeProvider(PaymentProvider):
    identifier = "stripe"
    verbose_name = "Stripe"
    supports_refunds = True
    supports_partial_refunds = True

    def is_configured(self) -> bool:
        return bool(secret_key(self.app, self.session))

    def client(self) -> stripe.StripeClient:
        key = secret_key(self.app, self.session)
        if not key:
            raise PaymentError("Stripe is not set up yet: add the secret key in the payment settings.",
                               code="not_configured")
        base = self.app.config.get("STRIPE_API_BASE")
        return stripe.StripeClient(key, base_addresses={"api": base} if base else None, max_network_retries=2)

    def checkout_params(self, request: CheckoutRequest) -> dict[str, Any]:
        """The Checkout Session we ask for: every amount from the shop's own order."""
        from shopbridge import settings

        currency = request.currency.lower()
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": line.unit_price_minor,
                        "product_data": {"name": line.title[:250], "metadata": {"sku": line.sku}},
                    },
                    "quantity": line.quantity,
                }
                for line in request.lines
            ],
            "shipping_options": [{"shipping_rate_data": {
                "type": "fixed_amount",
                "display_name": f"Shipping to {request.shipping_country}",
                "fixed_amount": {"amount": request.shipping_minor, "currency": currency},
            }}],
            "shipping_address_collection": {"allowed_countries": [request.shipping_country]},
            "phone_number_collection": {"enabled": True},
            "client_reference_id": str(request.order_id),
            "metadata": dict(request.metadata),
            # Charges and PaymentIntents carry the order id too, so refunds and disputes find their order.
            "payment_intent_data": {"metadata": dict(request.metadata)},
            # Stripe fills in the session id; the order page does not need it, but it makes support easier.
            "success_url": request.success_url + ("&" if "?" in request.success_url else "?")
            + "session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": request.cancel_url,
            "expires_at": int(request.expires_at.timestamp()),
        }
        if request.email:
            params["customer_email"] = request.email
        if settings.get(self.session, "stripe.allow_promotion_codes", app=self.app):
            params["allow_promotion_codes"] = True
        return params

    def discount_coupon(self, request: CheckoutRequest) -> str:
        """A single-use coupon for the order's discount (Checkout itemises lines at full price, so the shop's
        discount travels as ``discounts=[{"coupon": …}]``); the order's idempotency key makes a retry reuse it."""
        try:
            coupon = self.client().v1.coupons.create(
                params={"amount_off": request.discount_minor, "currency": request.currency.lower(),
                        "duration": "once", "max_redemptions": 1,
                        "name": (request.discount_code or "Discount")[:40],
                        "metadata": {"order_id": str(request.order_id)}},
                options={"idempotency_key": request.idempotency_key + "-coupon"})
        except stripe.StripeError as exc:
            raise _payment_error(exc) from None
        return coupon.id

    def create_checkout(self, request: CheckoutRequest) -> CheckoutRedirect:
        params = self.checkout_params(request)
        if request.discount_minor > 0:
            params.pop("allow_promotion_codes", None)  # Stripe takes one or the other
            params["discounts"] = [{"coupon": self.discount_coupon(request)}]
        try:
            created = self.client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _payment_error(exc) from None
        expires = _get(created, "expires_at")
        return CheckoutRedirect(url=created.url or "", reference=created.id,
                                expires_at=datetime.fromtimestamp(expires, UTC) if expires else None)

    def fetch_state(self, reference: str) -> PaymentState:
        try:
            return state_from_session(self.client().v1.checkout.sessions.retrieve(reference))
        except stripe.StripeError as exc:
            raise _payment_error(exc) from None

    def intent_order_id(self, payment_intent: str) -> str | None:
        """The shop's order id recorded in a PaymentIntent's metadata (set through ``payment_intent_data``)."""
        try:
            intent = self.client().v1.payment_intents.retrieve(payment_intent)
        except stripe.StripeError as exc:
            raise _payment_error(exc) from None
        return _get(_get(intent, "metadata", {}), "order_id")

    def cancel_checkout(self, reference: str) -> None:
        try:
            self.client().v1.checkout.sessions.expire(reference)
        except stripe.StripeError as exc:
            raise _payment_error(exc) from None

    def refund(self, payment_reference: str, amount_minor: int, currency: str, *, idempotency_key: str,
               reason: str = "") -> RefundResult:
        params: dict[str, Any] = {"payment_intent": payment_reference, "amount": amount_minor}
        if reason:
            params["metadata"] = {"reason": reason[:500]}
        try:
            refund = self.client().v1.refunds.create(params=params,  # type: ignore[arg-type]
                                                     options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _payment_error(exc) from None
        status = refund.status or "pending"
        if status in ("failed", "canceled"):
            raise PaymentError(f"Stripe could not refund: {status}.", code="refund_failed")
        return RefundResult(reference=refund.id, amount_minor=refund.amount, status=status)


def _payment_error(exc: stripe.StripeError) -> PaymentError:
    # The SDK's message may quote the request, never the key; log the code and the request id only.
    log.warning("stripe error %s (%s, request %s)", type(exc).__name__, exc.code, exc.request_id)
    retryable = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError)
    text = exc.user_message or "The payment service did not answer; please try again."
    return PaymentError(text, code=exc.code or type(exc).__name__, retryable=retryable)
