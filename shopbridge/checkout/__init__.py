"""Checkout: cart, buy-now, orders, stock reservations, payment webhooks and the orders admin.

Blueprints: ``checkout`` (shopper pages and the Stripe webhook), ``sandbox`` (the sandbox provider's hosted
page), ``orders`` (``/admin/orders``) and ``mail`` (``/admin/mail``, the outbox).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("checkout", __name__)


def init_app(app: Flask) -> None:
    from shopbridge.checkout import admin, reconcile, sandbox_views, views, webhooks  # noqa: F401
    from shopbridge.mail.views import bp as mail_bp

    app.register_blueprint(bp)
    app.register_blueprint(sandbox_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(mail_bp)
    app.cli.add_command(reconcile.payments_group)
