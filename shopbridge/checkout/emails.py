"""The messages a shopper receives about an order."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session

from shopbridge import mail
from shopbridge.checkout.models import Order


def order_confirmation(session: Session, order: Order) -> None:
    """"Thank you, here is your order": sent once, when the payment is confirmed."""
    _send(session, order, "checkout/email_confirmation.txt",
          lambda shop: _("Your order %(number)s at %(shop)s", number=order.number, shop=shop))


def order_shipped(session: Session, order: Order) -> None:
    """"Your order is on its way", with the tracking number: sent when the order is first marked fulfilled."""
    _send(session, order, "checkout/email_shipped.txt",
          lambda shop: _("Your order %(number)s from %(shop)s has shipped", number=order.number, shop=shop))


def _send(session: Session, order: Order, template: str, subject: Callable[[str], str]) -> None:
    """Render in the shop's language (the shopper's own is not known outside their request)."""
    app = current_app._get_current_object()
    # Inside a request the shop's own host is known; a job or the CLI relies on BASE_URL.
    context = nullcontext() if has_request_context() else app.test_request_context(
        base_url=app.config.get("BASE_URL") or None)
    with context, force_locale(app.config.get("DEFAULT_LOCALE", "en")):
        text = subject(app.config["SHOP_NAME"])
        body = render_template(template, order=order, shop_name=app.config["SHOP_NAME"])
    mail.send(session, to=order.email or "", subject=text, body=body, app=app)
