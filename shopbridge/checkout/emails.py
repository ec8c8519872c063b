"""The messages a shopper receives about an order."""

from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from sqlmodel import Session

from shopbridge import mail
from shopbridge.checkout.models import Order


def order_confirmation(session: Session, order: Order) -> None:
    """"Thank you, here is your order": sent once, when the payment is confirmed."""
    app = current_app._get_current_object()
    # Inside a request the shop's own host is known; a job or the CLI relies on BASE_URL.
    context = nullcontext() if has_request_context() else app.test_request_context(
        base_url=app.config.get("BASE_URL") or None)
    with context, force_locale(app.config.get("DEFAULT_LOCALE", "en")):
        from flask_babel import gettext as _

        subject = _("Your order %(number)s at %(shop)s", number=order.number, shop=app.config["SHOP_NAME"])
        body = render_template("checkout/email_confirmation.txt", order=order, shop_name=app.config["SHOP_NAME"])
    mail.send(session, to=order.email or "", subject=subject, body=body, app=app)
