"""The sandbox provider's hosted payment page: ``/sandbox/pay/<reference>``.

Buttons stand for what can happen at a real provider — the card is accepted, the card is declined (the shopper
may try again), or the payment is "pay later" (a bank transfer) whose outcome arrives afterwards — and each
one is reported through :func:`shopbridge.checkout.service.apply_payment_state`, as Stripe's webhooks are.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from shopbridge import db
from shopbridge.access import public
from shopbridge.checkout import service
from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.payments import PaymentOutcome, PaymentState, active_identifier
from shopbridge.payments.sandbox import SandboxProvider

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def _order(reference: str) -> Order:
    session = db.session()
    order = session.exec(select(Order).where(Order.provider_reference == reference,
                                             Order.provider == SandboxProvider.identifier)).first()
    if order is None:
        abort(404)
    return order


def _provider() -> SandboxProvider:
    return SandboxProvider(current_app._get_current_object(), db.session())


@bp.get("/pay/<reference>")
@public
def pay(reference: str):
    order = _order(reference)
    state = _provider().fetch_state(reference)
    return render_template("checkout/sandbox_pay.html", order=order, state=state.outcome.value)


@bp.post("/pay/<reference>")
@public
def act(reference: str):
    session = db.session()
    order = _order(reference)
    if active_identifier(session) != SandboxProvider.identifier and request.form.get("action") != "cancel":
        # Once the shop takes real payments, a test checkout opened before must not "pay" for real goods.
        abort(403, description=_("Test payments are switched off in this shop."))
    action = request.form.get("action", "")
    current = _provider().fetch_state(reference).outcome
    email = (request.form.get("email") or "").strip() or None
    source = "sandbox"
    if current is PaymentOutcome.expired or order.status == OrderStatus.cancelled:
        flash(_("This test checkout has expired."))
        return redirect(url_for("sandbox.pay", reference=reference), 303)
    if action == "pay" and current in (PaymentOutcome.open, PaymentOutcome.processing):
        service.apply_payment_state(session, order.id, SandboxProvider.paid_state(order, email), source=source)
    elif action == "later" and current is PaymentOutcome.open:
        service.apply_payment_state(session, order.id, PaymentState(reference, PaymentOutcome.processing,
                                                                    email=email), source=source)
    elif action == "later_fail" and current is PaymentOutcome.processing:
        service.apply_payment_state(session, order.id, PaymentState(reference, PaymentOutcome.failed), source=source)
    elif action == "decline" and current is PaymentOutcome.open:
        locked = service.lock(session, order.id)
        service.add_event(session, locked, "payment_declined", "The (test) card was declined.", source=source)
        session.commit()
        flash(_("Your card was declined (test). Try again or go back to the shop."))
        return redirect(url_for("sandbox.pay", reference=reference), 303)
    elif action == "cancel":
        return redirect(url_for("checkout.cancelled", token=order.token), 303)
    else:
        abort(400)
    session.commit()
    return redirect(url_for("checkout.order_page", token=order.token), 303)
