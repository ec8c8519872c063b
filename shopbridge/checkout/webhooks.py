"""``POST /webhooks/stripe``: Stripe tells the shop what happened to a payment.

The signature is verified with :func:`stripe.Webhook.construct_event` (the endpoint's signing secret, a
5-minute tolerance): a bad, missing or stale signature gets 400 and changes nothing. Each event id is stored
in the same transaction as its effects, so a replay is acknowledged and ignored. Handlers decide from the
order's current state, under its row lock, so events may arrive in any order. Unknown event types are
acknowledged (200) so Stripe stops retrying them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import stripe
from flask import current_app, request
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shopbridge import db
from shopbridge.access import public
from shopbridge.checkout import bp, service
from shopbridge.checkout.models import Order
from shopbridge.extensions import csrf
from shopbridge.payments import PaymentOutcome, PaymentState
from shopbridge.payments.stripe_provider import _get, plain, state_from_session, webhook_secret
from shopbridge.problems import problem_response

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300


@bp.post("/webhooks/stripe")
@public
@csrf.exempt
def stripe_webhook():
    session = db.session()
    secret = webhook_secret(current_app, session)
    if not secret:
        return problem_response(503, detail="Stripe webhooks are not configured.")
    payload = request.get_data()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature", ""), secret,
                                               tolerance=TOLERANCE_SECONDS)
    except (ValueError, stripe.SignatureVerificationError):
        return problem_response(400, detail="Invalid Stripe signature or payload.")
    try:
        handled = handle_event(session, event)
        session.commit()
    except IntegrityError:
        # The same event delivered twice at once: the other delivery stored it first and did the work.
        session.rollback()
        return {"received": True, "duplicate": True}
    return {"received": True, "handled": handled}


def handle_event(session: Session, event: Mapping[str, Any]) -> bool:
    """Apply one verified Stripe event; False if it was a replay or not about one of our orders."""
    kind, obj = event["type"], plain(event["data"]["object"])
    handler = HANDLERS.get(kind)
    order_id = _order_id(session, obj) if handler else None
    if not service.remember_event(session, f"stripe:{event['id']}", provider="stripe", kind=kind,
                                  order_id=order_id):
        return False
    if handler is None or order_id is None:
        if handler is not None:
            log.info("stripe event %s (%s) is not about an order of this shop", event["id"], kind)
        return False
    handler(session, order_id, obj, f"stripe:{event['id']}")
    return True


def _order_id(session: Session, obj: Mapping[str, Any]) -> int | None:
    """Find the order an event is about: our metadata first, else the PaymentIntent or session id we stored."""
    raw = _get(_get(obj, "metadata", {}), "order_id") or (
        _get(obj, "client_reference_id") if _get(obj, "object") == "checkout.session" else None)
    if isinstance(raw, str) and raw.isdigit():
        found = session.get(Order, int(raw))
        if found is not None:
            return found.id
    for column, value in ((Order.provider_reference, _get(obj, "id")),
                          (Order.payment_reference, _get(obj, "payment_intent"))):
        if isinstance(value, str) and value:
            match = session.exec(select(Order.id).where(column == value)).first()
            if match is not None:
                return match
    # A refund or dispute may arrive before checkout.session.completed told us the PaymentIntent: ask Stripe
    # for the intent, whose metadata carries our order id.
    intent = _get(obj, "payment_intent")
    if isinstance(intent, str) and intent.startswith("pi_"):
        from shopbridge.payments import PaymentError
        from shopbridge.payments.stripe_provider import StripeProvider

        try:
            raw = StripeProvider(current_app._get_current_object(), session).intent_order_id(intent)
        except PaymentError:
            raw = None
        if raw and raw.isdigit() and session.get(Order, int(raw)) is not None:
            return int(raw)
    return None


def _session_event(session: Session, order_id: int, obj: Any, source: str) -> None:
    service.apply_payment_state(session, order_id, state_from_session(obj), source=source)


def _async_failed(session: Session, order_id: int, obj: Any, source: str) -> None:
    state = state_from_session(obj)
    service.apply_payment_state(session, order_id, PaymentState(state.reference, PaymentOutcome.failed,
                                                                payment_reference=state.payment_reference),
                                source=source)


def _charge_refunded(session: Session, order_id: int, obj: Any, source: str) -> None:
    refunds = [(_get(r, "id"), int(_get(r, "amount", 0))) for r in _get(_get(obj, "refunds", {}), "data", [])
               if _get(r, "id") and _get(r, "status") in ("succeeded", "pending")]
    service.record_refund(session, order_id, refunded_total_minor=int(_get(obj, "amount_refunded", 0)),
                          refunds=refunds, source=source)


def _dispute(opened: bool) -> Callable[[Session, int, Any, str], None]:
    def handle(session: Session, order_id: int, obj: Any, source: str) -> None:
        service.record_dispute(session, order_id, opened=opened, outcome=str(_get(obj, "status", "")),
                               source=source)

    return handle


def _intent_failed(session: Session, order_id: int, obj: Any, source: str) -> None:
    order = service.lock(session, order_id)
    error = _get(obj, "last_payment_error", {})
    service.add_event(session, order, "payment_declined",
                      f"A payment attempt failed: {_get(error, 'message', 'declined')}"[:500], source=source)


HANDLERS: dict[str, Callable[[Session, int, Any, str], None]] = {
    "checkout.session.completed": _session_event,
    "checkout.session.async_payment_succeeded": _session_event,
    "checkout.session.async_payment_failed": _async_failed,
    "checkout.session.expired": _session_event,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute(True),
    "charge.dispute.closed": _dispute(False),
    "payment_intent.payment_failed": _intent_failed,
}
