"""Orders and their stock: the only code that creates orders or moves them from one status to another.

Two rules keep this correct under concurrency, on SQLite and PostgreSQL alike:

* **Stock** is taken with a conditional atomic ``UPDATE variant SET stock = stock - q WHERE id = :id AND
  stock >= q``. The database decides; of N shoppers racing for the last unit exactly one UPDATE matches a row.
  Stock is *reserved* (taken) when the shopper is sent to pay, *released* (given back) when the payment
  expires or fails, and *committed* (kept) when it is paid.
* **Transitions** start with :func:`lock`, an ``UPDATE`` of the order's ``version`` that takes the row's write
  lock until commit, then re-read the order. Webhook replays, out-of-order events, the reconciliation job and
  the shopper's return to the success page therefore apply one after another, and each handler decides from
  the order's *current* state — "expired" after "paid" does nothing, "paid" after "expired" takes the stock
  back if it can and flags the order if it cannot.

Services take an explicit session and never commit; the caller owns the transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, func, select

from shopbridge import audit
from shopbridge.catalogue.models import Variant
from shopbridge.checkout.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentEvent,
    Refund,
    StockState,
    order_for_update_clause,
)
from shopbridge.checkout.pricing import CheckoutError, LineRequest, Quote
from shopbridge.db import utcnow
from shopbridge.money import Money
from shopbridge.payments import PaymentOutcome, PaymentState

#: How long a shopper has to pay before the reservation lapses. Stripe's minimum session life is 30 minutes
#: counted from *its* clock when the session is created; the margin covers the time until that call lands and
#: a little clock skew.
CHECKOUT_LIFETIME = timedelta(minutes=30) + timedelta(seconds=90)

#: The checkout nonce of every order made in a chat (``shopbridge.channels.shop``) starts with this: its pay link
#: may be opened long after the order, and the pay page then reopens it (:func:`reopen`).
CHAT_NONCE_PREFIX = "chat:"

__all__ = ["CheckoutError", "create_order", "lock", "apply_payment_state", "reopen", "record_refund", "refund",
           "fulfil", "cancel", "conversions_by_link", "remember_event"]


# --- creating orders ------------------------------------------------------------------------------------------

def find_by_nonce(session: Session, nonce: str) -> Order | None:
    return session.exec(select(Order).where(Order.checkout_nonce == nonce)).first()


def create_order(session: Session, quote: Quote, *, nonce: str, provider: str, email: str | None = None,
                 link_code: str | None = None) -> Order:
    """Record a pending order for ``quote`` and reserve its stock, or raise :class:`CheckoutError`.

    ``nonce`` identifies the submitted form: the caller looks it up first (:func:`find_by_nonce`) and, should
    two submissions race past that, the unique index lets only one insert survive. Reservations are taken in
    variant-id order so two multi-item checkouts can never deadlock each other on PostgreSQL.
    """
    order = Order(
        token=secrets.token_urlsafe(24),
        checkout_nonce=nonce,
        currency=quote.currency,
        subtotal_minor=quote.subtotal_minor,
        shipping_minor=quote.shipping_minor,
        discount_code=quote.discount_code,
        discount_minor=quote.discount_minor,
        total_minor=quote.total_minor,
        shipping_country=quote.shipping_country,
        email=email or None,
        provider=provider,
        link_code=link_code,
        expires_at=utcnow() + CHECKOUT_LIFETIME,
        stock_state=StockState.reserved,
    )
    for line in quote.lines:
        order.lines.append(OrderLine(variant_id=line.variant.id, sku=line.variant.sku, title=line.title[:300],
                                     unit_price_minor=line.unit_price_minor, quantity=line.quantity,
                                     total_minor=line.total_minor))
    session.add(order)
    session.flush()
    for line in sorted(order.lines, key=lambda x: x.variant_id or 0):
        if not _take_stock(session, line.variant_id, line.quantity):
            # The caller rolls back, so stock already taken for earlier lines returns with it.
            raise CheckoutError(f"Sorry, {line.title} just sold out.", "quantity", code="out_of_stock")
    add_event(session, order, "created", f"Order created; {len(order.lines)} line(s) reserved.",
              source="checkout", data={"total_minor": order.total_minor, "link_code": link_code})
    if quote.discount_code:
        add_event(session, order, "discount", f"Discount code {quote.discount_code} ({quote.discount_label}): "
                  f"{quote.discount} off the subtotal.", source="checkout",
                  data={"code": quote.discount_code, "discount_minor": quote.discount_minor})
    return order


def _take_stock(session: Session, variant_id: int | None, quantity: int) -> bool:
    table = Variant.__table__
    result = session.execute(
        sa.update(table)
        .where(table.c.id == variant_id, table.c.stock >= quantity)
        .values(stock=table.c.stock - quantity, updated_at=utcnow())
    )
    return result.rowcount == 1


def _give_back_stock(session: Session, variant_id: int | None, quantity: int) -> None:
    if variant_id is None:
        return
    table = Variant.__table__
    session.execute(sa.update(table).where(table.c.id == variant_id)
                    .values(stock=table.c.stock + quantity, updated_at=utcnow()))


#: Timeline entries plugins hear about through ``shopbridge_order_event`` (timeline kind → event name).
PLUGIN_EVENTS = {"created": "created", "paid": "paid", "refund": "refunded", "fulfilled": "fulfilled",
                 "cancelled": "cancelled", "expired": "cancelled"}


def add_event(session: Session, order: Order, kind: str, message: str = "", *, source: str = "",
              data: dict[str, Any] | None = None) -> OrderEvent:
    event = OrderEvent(order_id=order.id, kind=kind, message=message[:500], source=source[:80],
                       data=audit._jsonable(data or {}))
    session.add(event)
    if kind in PLUGIN_EVENTS:
        from shopbridge.channels.inbound import order_event

        # Sent from a job once this transaction commits: a plugin (an ads platform's conversions API, say)
        # never slows down or breaks the order itself.
        order_event(session, plugin_view(order), PLUGIN_EVENTS[kind])
    return event


def plugin_view(order: Order) -> dict[str, Any]:
    """What ``shopbridge_order_event`` receives: plain values a job can carry, never a database row."""
    return {
        "id": order.id,
        "number": order.number,
        "status": str(order.status),
        "total": Money(order.total_minor, order.currency),
        "lines": [{"sku": line.sku, "title": line.title, "quantity": line.quantity,
                   "unit_price": Money(line.unit_price_minor, order.currency),
                   "item_id": f"sb-v{line.variant_id}" if line.variant_id else None} for line in order.lines],
        "email": order.email,
        "link_code": order.link_code,
        "created_at": order.created_at.isoformat() if order.created_at else None,
    }


def attach_checkout(session: Session, order: Order, reference: str, url: str,
                    expires_at: datetime | None) -> None:
    """Remember the provider's checkout for a pending order (the success page and webhooks look it up)."""
    order.provider_reference = reference
    order.checkout_url = url
    if expires_at is not None:
        order.expires_at = expires_at
    order.updated_at = utcnow()
    session.add(order)


# --- locking and the payment state machine --------------------------------------------------------------------

def lock(session: Session, order_id: int) -> Order:
    """Take the order's row lock for the rest of the transaction and return its current state.

    An UPDATE rather than ``SELECT … FOR UPDATE`` because it locks on every database: PostgreSQL holds the row
    lock, SQLite takes its single writer lock, and neither lets a second transaction read a stale order and
    write over the first one's decision.
    """
    result = session.execute(order_for_update_clause(order_id))
    if result.rowcount != 1:
        raise LookupError(f"order {order_id} not found")
    order = session.exec(select(Order).where(Order.id == order_id).execution_options(populate_existing=True)).one()
    return order


def remember_event(session: Session, event_id: str, *, provider: str, kind: str,
                   order_id: int | None = None) -> bool:
    """Record a provider notification by id; False if it was already processed (a replay).

    Inserted in the caller's transaction, before the effects: if two deliveries of one event race, the second
    insert waits on the unique key and then fails, and its effects are rolled back with it.
    """
    if session.get(PaymentEvent, event_id) is not None:
        return False
    session.add(PaymentEvent(id=event_id, provider=provider, kind=kind[:80], order_id=order_id))
    session.flush()
    return True


def apply_payment_state(session: Session, order_id: int, state: PaymentState, *, source: str) -> Order:
    """Bring the order in line with what the provider says; safe to call any number of times, in any order."""
    order = lock(session, order_id)
    if state.payment_reference and not order.payment_reference:
        order.payment_reference = state.payment_reference
    _copy_customer(order, state)
    if state.outcome is PaymentOutcome.paid:
        _mark_paid(session, order, state, source)
    elif state.outcome is PaymentOutcome.processing:
        if order.status == OrderStatus.pending and not _has_event(session, order, "processing"):
            add_event(session, order, "processing", "Payment submitted; waiting for confirmation.", source=source)
    elif state.outcome in (PaymentOutcome.failed, PaymentOutcome.expired):
        if order.status == OrderStatus.pending:
            reason = "Payment failed." if state.outcome is PaymentOutcome.failed else "Checkout expired unpaid."
            _cancel(session, order, str(state.outcome), reason, source)
    order.updated_at = utcnow()
    session.add(order)
    return order


def _has_event(session: Session, order: Order, kind: str) -> bool:
    return session.exec(select(OrderEvent.id).where(OrderEvent.order_id == order.id,
                                                    OrderEvent.kind == kind)).first() is not None


def _copy_customer(order: Order, state: PaymentState) -> None:
    if state.email and not order.email:
        order.email = state.email[:254]
    if state.customer_name and not order.customer_name:
        order.customer_name = state.customer_name[:200]
    if state.phone and not order.phone:
        order.phone = state.phone[:40]
    if state.shipping_address and not order.shipping_address:
        order.shipping_address = dict(state.shipping_address)


def _mark_paid(session: Session, order: Order, state: PaymentState, source: str) -> None:
    if order.paid_at is not None:
        # Already paid: a replay, or the webhook and the success page both got here. A *different* payment
        # for the same order (a second checkout paid in another tab) is money to give back: flag it once.
        second = state.payment_reference and order.payment_reference and \
            state.payment_reference != order.payment_reference
        if second and state.payment_reference not in order.review_reason:
            _flag(session, order, f"A second payment ({state.payment_reference}) arrived for this paid order.",
                  source)
        return
    order.paid_at = utcnow()
    order.paid_minor = state.amount_minor if state.amount_minor is not None else order.total_minor
    if order.stock_state == StockState.reserved:
        order.stock_state = StockState.committed
    elif order.stock_state == StockState.released:
        # Paid after the reservation lapsed (a late asynchronous payment, a delayed webhook): take the stock
        # again if it is still there; if not, the money is in and a person must decide (ship later, refund).
        if _retake_all(session, order):
            order.stock_state = StockState.committed
        else:
            _flag(session, order, "Paid after the reservation lapsed, and the stock is no longer there.", source)
    expected_currency = order.currency.upper()
    # Discounts the provider granted on top of the shop's own (a Stripe promotion code): the shop's own discount
    # code is already in the order total, and the provider reports it again when it applied it as a coupon.
    collected = order.paid_minor + max(state.discount_minor - order.discount_minor, 0)
    if (state.currency and state.currency.upper() != expected_currency) or collected != order.total_minor:
        _flag(session, order,
              f"Amount mismatch: the provider collected {order.paid_minor} minor units of "
              f"{(state.currency or '?').upper()} (discounts {state.discount_minor}); the order total is "
              f"{order.total_minor} minor units of {expected_currency}.",
              source, kind="amount_mismatch")
    was = order.status
    order.status = _settled_status(order)
    add_event(session, order, "paid", f"Payment received ({Money(order.paid_minor, order.currency)}).", source=source,
              data={"reference": state.payment_reference, "previous_status": str(was)})
    if order.email:
        from shopbridge.checkout import emails

        emails.order_confirmation(session, order)


def _retake_all(session: Session, order: Order) -> bool:
    taken: list[OrderLine] = []
    for line in sorted(order.lines, key=lambda x: x.variant_id or 0):
        if line.variant_id is None or not _take_stock(session, line.variant_id, line.quantity):
            for done in taken:
                _give_back_stock(session, done.variant_id, done.quantity)
            return False
        taken.append(line)
    return True


def _flag(session: Session, order: Order, reason: str, source: str, kind: str = "needs_review") -> None:
    order.needs_review = True
    order.review_reason = (order.review_reason + " " + reason).strip()[:300]
    add_event(session, order, kind, reason, source=source)


def _settled_status(order: Order) -> OrderStatus:
    """The status a paid order has given its refunds, dispute and fulfilment."""
    if order.dispute_open:
        return OrderStatus.disputed
    if order.refunded_minor > 0 and order.refunded_minor >= (order.paid_minor or order.total_minor):
        return OrderStatus.refunded
    if order.refunded_minor > 0:
        return OrderStatus.partially_refunded
    if order.fulfilled_at is not None:
        return OrderStatus.fulfilled
    return OrderStatus.paid


def _release(session: Session, order: Order) -> None:
    if order.stock_state != StockState.reserved:
        return
    for line in order.lines:
        _give_back_stock(session, line.variant_id, line.quantity)
    order.stock_state = StockState.released


def _cancel(session: Session, order: Order, kind: str, message: str, source: str) -> None:
    _release(session, order)
    order.status = OrderStatus.cancelled
    add_event(session, order, kind, message + " Stock released.", source=source)


def cancel(session: Session, order_id: int, *, reason: str, source: str) -> Order:
    """Cancel a pending order (the shopper went back, the provider refused, the checkout went stale)."""
    order = lock(session, order_id)
    if order.status == OrderStatus.pending:
        _cancel(session, order, "cancelled", reason, source)
        order.updated_at = utcnow()
        session.add(order)
    return order


def reopen(session: Session, order_id: int, *, source: str) -> Order | None:
    """A shopper comes back to pay an order whose reservation lapsed unpaid (a chat order's *Pay now* link opened
    an hour later): reserve its stock again and make it pending once more, with a fresh checkout lifetime.

    Returns the pending order, or ``None`` — nothing changed — if the stock is no longer there or the order was
    settled some other way. Only the caller knows whether reopening fits (a web shopper who went back from the
    payment page has the items in the cart instead).
    """
    order = lock(session, order_id)
    if order.status == OrderStatus.pending:
        return order
    if order.status != OrderStatus.cancelled or order.paid_at is not None or \
            order.stock_state != StockState.released:
        return None
    if not _retake_all(session, order):
        return None
    order.status, order.stock_state = OrderStatus.pending, StockState.reserved
    # The old provider checkout expired with the reservation: the pay page opens a new one.
    order.provider_reference, order.checkout_url = None, None
    order.expires_at = utcnow() + CHECKOUT_LIFETIME
    order.updated_at = utcnow()
    session.add(order)
    add_event(session, order, "reopened", "The shopper came back to pay; stock reserved again.", source=source)
    return order


def record_refund(session: Session, order_id: int, *, refunded_total_minor: int | None = None,
                  refunds: Iterable[tuple[str, int]] = (), source: str) -> Order:
    """Apply refunds the provider reports; ``refunded_total_minor`` is its running total (Stripe's
    ``charge.amount_refunded``), so a replay or an event about a refund the admin already recorded changes
    nothing. May arrive before the payment itself: the amount is kept and applied when it does."""
    order = lock(session, order_id)
    added = 0
    for reference, amount in refunds:
        if session.exec(select(Refund.id).where(Refund.reference == reference)).first() is None:
            session.add(Refund(order_id=order.id, amount_minor=amount, reference=reference, created_by=source))
            added += amount
    new_total = max(order.refunded_minor, refunded_total_minor if refunded_total_minor is not None
                    else order.refunded_minor + added)
    if new_total != order.refunded_minor:
        add_event(session, order, "refund", f"Refunded {Money(new_total - order.refunded_minor, order.currency)}"
                  f" (total refunded {Money(new_total, order.currency)}).", source=source)
        order.refunded_minor = new_total
        if order.paid_at is not None:
            order.status = _settled_status(order)
        order.updated_at = utcnow()
        session.add(order)
    return order


def record_dispute(session: Session, order_id: int, *, opened: bool, outcome: str = "", source: str) -> Order:
    order = lock(session, order_id)
    if opened and not order.dispute_open:
        order.dispute_open = True
        add_event(session, order, "dispute", "The shopper disputed the payment.", source=source)
    elif not opened and order.dispute_open:
        order.dispute_open = False
        add_event(session, order, "dispute_closed", f"Dispute closed: {outcome or 'unknown outcome'}.",
                  source=source)
        if outcome == "lost":
            _flag(session, order, "Dispute lost: the payment was taken back.", source)
    if order.paid_at is not None:
        order.status = _settled_status(order)
    order.updated_at = utcnow()
    session.add(order)
    return order


# --- the owner's actions --------------------------------------------------------------------------------------

def fulfil(session: Session, order_id: int, *, tracking_number: str, user: Any) -> Order:
    order = lock(session, order_id)
    if order.paid_at is None or order.status in (OrderStatus.refunded, OrderStatus.cancelled):
        raise CheckoutError("Only paid orders can be marked fulfilled.", "status")
    first_time = order.fulfilled_at is None
    order.tracking_number = tracking_number.strip()[:100]
    order.fulfilled_at = order.fulfilled_at or utcnow()
    order.status = _settled_status(order)
    who = getattr(user, "email", "") or "system"
    add_event(session, order, "fulfilled",
              "Marked fulfilled" + (f", tracking {order.tracking_number}" if order.tracking_number else "") + ".",
              source=who)
    audit.record(session, user, "order.fulfil", order, {"tracking_number": order.tracking_number})
    session.add(order)
    if order.email and first_time:
        from shopbridge.checkout import emails

        emails.order_shipped(session, order)
    return order


def mark_reviewed(session: Session, order_id: int, *, note: str, user: Any) -> Order:
    """A person looked at a flagged order and dealt with it; the reason stays in the timeline."""
    order = lock(session, order_id)
    if order.needs_review:
        who = getattr(user, "email", "") or "system"
        add_event(session, order, "reviewed", f"Review closed: {note.strip() or 'no note'}"[:500], source=who)
        audit.record(session, user, "order.reviewed", order, {"reason": order.review_reason, "note": note})
        order.needs_review, order.review_reason = False, ""
        order.updated_at = utcnow()
        session.add(order)
    return order


def refund(session: Session, order_id: int, amount_minor: int, *, user: Any, reason: str = "",
           request_key: str | None = None, app: Any = None) -> Order:
    """Refund ``amount_minor`` through the order's provider, then record it. Raises CheckoutError or
    :class:`shopbridge.payments.PaymentError` (nothing is recorded then).

    ``request_key`` identifies the submitted form: a repeat of the same request (a double click) is a no-op,
    and it is the provider's idempotency key, so even a retry after a lost answer refunds once.
    """
    from shopbridge.payments import available_providers, get_provider

    order = lock(session, order_id)
    if request_key and session.exec(select(Refund.id).where(Refund.request_key == request_key)).first():
        return order
    if order.paid_at is None or not order.payment_reference:
        raise CheckoutError("This order has no payment to refund.", "amount")
    if order.provider not in available_providers(app):
        # Paid inside a chat (Telegram payments), through the provider connected there, not through the shop.
        raise CheckoutError(f"This order was paid through {order.provider}, not one of the shop's payment "
                            "providers: refund it in that payment provider's dashboard (the order's timeline "
                            "has the charge id).", "amount")
    if amount_minor <= 0:
        raise CheckoutError("Enter an amount above zero.", "amount")
    if amount_minor > order.refundable_minor:
        raise CheckoutError(f"At most {order.refundable_minor} can be refunded.", "amount")
    provider = get_provider(session, order.provider, app=app)
    if not provider.supports_refunds:
        raise CheckoutError(f"{provider.verbose_name} cannot refund through the shop.", "amount")
    if amount_minor < order.refundable_minor and not provider.supports_partial_refunds:
        raise CheckoutError(f"{provider.verbose_name} can only refund the full amount.", "amount")
    count = session.exec(select(func.count()).select_from(Refund).where(Refund.order_id == order.id)).one()
    key = f"shopbridge-refund-{order.id}-" + (request_key or f"{count + 1}-{amount_minor}")
    result = provider.refund(order.payment_reference, amount_minor, order.currency, idempotency_key=key,
                             reason=reason)
    who = getattr(user, "email", "") or "system"
    session.add(Refund(order_id=order.id, amount_minor=result.amount_minor, reference=result.reference,
                       status=result.status, reason=reason[:300], created_by=who, request_key=request_key))
    order.refunded_minor += result.amount_minor
    order.status = _settled_status(order)
    order.updated_at = utcnow()
    add_event(session, order, "refund", f"Refunded {Money(result.amount_minor, order.currency)}"
              + (f": {reason}" if reason else "."), source=who, data={"reference": result.reference})
    audit.record(session, user, "order.refund", order, {"amount_minor": result.amount_minor, "reason": reason})
    session.add(order)
    return order


# --- reporting ------------------------------------------------------------------------------------------------

def conversions_by_link(session: Session, since: datetime | None = None) -> dict[str, tuple[int, dict[str, int]]]:
    """Paid orders and net revenue per buy-link code: ``{code: (orders, {currency: revenue_minor})}``.

    Revenue is what was collected minus what was refunded; orders count every paid order, refunded or not.
    ``since`` filters on the time of payment.
    """
    collected = func.coalesce(Order.paid_minor, Order.total_minor) - Order.refunded_minor
    query = (select(Order.link_code, Order.currency, func.count(Order.id), func.sum(collected))
             .where(Order.link_code.is_not(None), Order.paid_at.is_not(None))  # type: ignore[union-attr]
             .group_by(Order.link_code, Order.currency))
    if since is not None:
        query = query.where(Order.paid_at >= since)
    result: dict[str, tuple[int, dict[str, int]]] = {}
    for code, currency, count, revenue in session.exec(query).all():
        orders, by_currency = result.get(code, (0, {}))
        by_currency[currency] = by_currency.get(currency, 0) + int(revenue or 0)
        result[code] = (orders + int(count), by_currency)
    return result


def lines_from_form(variant_ids: Iterable[Any], quantities: Iterable[Any]) -> list[LineRequest]:
    """Turn form values into line requests, rejecting anything that is not a plain positive number."""
    from shopbridge.checkout.pricing import parse_quantity

    lines = []
    for index, (raw_id, raw_qty) in enumerate(zip(variant_ids, quantities, strict=False)):
        try:
            variant_id = int(str(raw_id))
        except ValueError:
            raise CheckoutError("This item is not for sale.", f"lines.{index}.variant_id") from None
        lines.append(LineRequest(variant_id, parse_quantity(raw_qty, f"lines.{index}.quantity")))
    return lines
