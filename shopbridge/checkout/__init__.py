"""Checkout: cart, buy-now, orders, stock reservations, payment webhooks and the orders admin.

Blueprints: ``checkout`` (shopper pages and the Stripe webhook), ``sandbox`` (the sandbox provider's hosted
page), ``orders`` (``/admin/orders``), ``discounts`` (``/admin/discounts``) and ``mail`` (``/admin/mail``, the outbox).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("checkout", __name__)


def init_app(app: Flask) -> None:
    from shopbridge.checkout import admin, discounts_admin, reconcile, sandbox_views, views, webhooks  # noqa: F401
    from shopbridge.mail.views import bp as mail_bp

    app.register_blueprint(bp)
    app.register_blueprint(sandbox_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(discounts_admin.bp)
    app.register_blueprint(mail_bp)
    app.cli.add_command(reconcile.payments_group)
    allow_payment_page_redirects(app)


#: Hosted payment pages a checkout form may redirect to. Browsers apply the page's CSP ``form-action`` to
#: the redirect that follows a form POST, so with ``form-action 'self'`` alone the Buy button could never
#: reach Stripe Checkout.
PAYMENT_PAGE_ORIGINS = ("https://checkout.stripe.com",)


def allow_payment_page_redirects(app: Flask) -> None:
    """Add the hosted payment pages to the CSP's ``form-action``, once, where every response reads it."""
    from urllib.parse import urlsplit

    origins = list(PAYMENT_PAGE_ORIGINS) + list(app.config.get("PAYMENT_PAGE_ORIGINS") or [])
    base = app.config.get("STRIPE_API_BASE")
    if base:  # a local fake or stripe-mock serves its pretend hosted page from the API host
        parts = urlsplit(base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    extra = {k: list(v) for k, v in (app.config.get("CSP_EXTRA") or {}).items()}
    extra.setdefault("form-action", []).extend(o for o in origins if o not in extra["form-action"])
    app.config["CSP_EXTRA"] = extra


