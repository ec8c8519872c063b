"""The shopper's side of checkout: buy now, scan to buy, the cart, the checkout form and the order page.

Every POST carries a CSRF token (flask-wtf) and a per-form ``nonce``: the first submission of a form makes
the order, any repeat (a double tap, the back button, a retry on a flaky connection) finds that same order
and goes to the same payment page. Order creation is rate-limited per client address.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as cookie_session,
)
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shopbridge import db
from shopbridge.access import public
from shopbridge.catalogue.models import ProductStatus, Variant
from shopbridge.checkout import arrivals, bp, pricing, service
from shopbridge.checkout.models import Order, OrderStatus
from shopbridge.checkout.pricing import CheckoutError, LineRequest
from shopbridge.extensions import limiter
from shopbridge.links import attribution
from shopbridge.money import Money
from shopbridge.payments import CheckoutLine, CheckoutRequest, PaymentError, PaymentOutcome, get_provider
from shopbridge.web import external_url

CART_KEY = arrivals.CART_KEY  # one key for the cart, whoever fills it


def checkout_rate_limit() -> str:
    return current_app.config.get("CHECKOUT_RATE_LIMIT", "20 per minute;200 per hour")


limit_checkout = limiter.limit(checkout_rate_limit, methods=["POST"], scope="checkout")


@bp.app_context_processor
def checkout_helpers():
    return {
        "buy_action": url_for("checkout.buy_now"),
        "checkout_nonce": lambda: secrets.token_urlsafe(16),
        "cart_count": lambda: sum((cookie_session.get(CART_KEY) or {}).values()),
    }


# --- buying -------------------------------------------------------------------------------------------------

@bp.post("/checkout/buy")
@public
@limit_checkout
def buy_now():
    """One variant, straight to payment: the product page's Buy button and the scan-to-buy page."""
    session = db.session()
    back = request.referrer if _same_site(request.referrer) else url_for("storefront.home")
    try:
        lines = service.lines_from_form([request.form.get("variant_id", "")], [request.form.get("quantity", "1")])
        country = request.form.get("country") or pricing.default_country(session)
        quote = pricing.quote(session, lines, country)
    except CheckoutError as exc:
        flash(str(exc))
        return redirect(back, 303)
    return _place_order(session, quote, email=None, back=back)


@bp.get("/checkout/start/<int:variant_id>")
@public
def start(variant_id: int):
    """Scan to buy: the product, a quantity and one Pay button, on the phone that scanned the code."""
    session = db.session()
    variant = session.get(Variant, variant_id)
    if variant is None or variant.product.status != ProductStatus.active:
        abort(404)
    rates = pricing.shipping_rates(session)
    return render_template("checkout/start.html", variant=variant, product=variant.product,
                           countries=sorted(rates), default_country=pricing.default_country(session),
                           rates=rates, max_quantity=min(pricing.MAX_QUANTITY, max(variant.stock, 1)))


# --- the cart -----------------------------------------------------------------------------------------------

def _cart() -> dict[str, int]:
    raw = cookie_session.get(CART_KEY)
    return {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _cart_lines() -> list[LineRequest]:
    return [LineRequest(int(k), v) for k, v in _cart().items() if k.isdigit() and v > 0]


def _cart_view(session: Session) -> list[dict[str, Any]]:
    rows = []
    for line in _cart_lines():
        variant = session.get(Variant, line.variant_id)
        if variant is None:
            continue
        rows.append({"variant": variant, "quantity": line.quantity,
                     "available": variant.product.status == ProductStatus.active and variant.stock > 0})
    return rows


@bp.get("/cart")
@public
def cart():
    session = db.session()
    rows = _cart_view(session)
    subtotal = sum(r["variant"].price_minor * r["quantity"] for r in rows if r["available"])
    return render_template("checkout/cart.html", rows=rows,
                           subtotal=Money(subtotal, current_app.config["DEFAULT_CURRENCY"]))


@bp.post("/cart/add")
@public
def cart_add():
    session = db.session()
    try:
        (line,) = service.lines_from_form([request.form.get("variant_id", "")],
                                          [request.form.get("quantity", "1")])
        variant = session.get(Variant, line.variant_id)
        if variant is None or variant.product.status != ProductStatus.active:
            raise CheckoutError("This item is not for sale.", "variant_id")
        items = _cart()
        if not items:
            arrivals.forget(cookie_session)  # a new cart: a channel's earlier cart no longer earns this sale
        quantity = min(items.get(str(line.variant_id), 0) + line.quantity, pricing.MAX_QUANTITY)
        if quantity > variant.stock:
            raise CheckoutError(f"Only {variant.stock} left.", "quantity")
    except CheckoutError as exc:
        flash(str(exc))
        return redirect(request.referrer if _same_site(request.referrer) else url_for("checkout.cart"), 303)
    items[str(line.variant_id)] = quantity
    cookie_session[CART_KEY] = items
    flash(_("Added to your cart."))
    return redirect(url_for("checkout.cart"), 303)


@bp.post("/cart/update")
@public
def cart_update():
    items = _cart()
    remove = request.form.get("remove")
    for key in list(items):
        if key == remove:
            items.pop(key)
            continue
        raw = request.form.get(f"quantity-{key}")
        if raw is None:
            continue
        try:
            quantity = int(raw)
        except ValueError:
            flash(_("Quantity must be a whole number."))
            return redirect(url_for("checkout.cart"), 303)
        if quantity <= 0:
            items.pop(key)
        else:
            items[key] = min(quantity, pricing.MAX_QUANTITY)
    cookie_session[CART_KEY] = items
    return redirect(url_for("checkout.cart"), 303)


@bp.route("/checkout", methods=["GET", "POST"])
@public
@limit_checkout
def checkout():
    """The cart's checkout form: email and destination; the shipping rate follows the country."""
    session = db.session()
    lines = _cart_lines()
    if not lines:
        flash(_("Your cart is empty."))
        return redirect(url_for("checkout.cart"), 303)
    rates = pricing.shipping_rates(session)
    country = (request.values.get("country") or pricing.default_country(session)).upper()
    email = (request.form.get("email") or "").strip()
    arrival = arrivals.current(cookie_session)
    # The code in the submitted form; on a visit, the one a channel's cart brought along (Meta's coupon=).
    if request.method == "POST":
        code = (request.form.get("discount_code") or "").strip()[:40]
    else:
        code = (request.args.get("discount_code") or (arrival.coupon if arrival else None) or "").strip()[:40]
    error = discount_error = None
    try:
        quote = pricing.quote(session, lines, country)
    except CheckoutError as exc:
        quote, error = None, str(exc)
    if quote is not None and code:
        try:
            quote = pricing.with_discount(session, quote, code)
        except CheckoutError as exc:
            discount_error = str(exc)  # the cart still works: at full price, or with another code
    applying = request.method == "POST" and request.form.get("action") == "apply"
    if request.method == "POST" and quote is not None and not applying and discount_error is None:
        from email_validator import EmailNotValidError, validate_email

        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            error = _("Enter a valid email address.")
        else:
            return _place_order(session, quote, email=email, back=url_for("checkout.checkout"), from_cart=True)
    status = 400 if request.method == "POST" and not (applying and discount_error is None) else 200
    return render_template("checkout/checkout.html", quote=quote, error=error, countries=sorted(rates),
                           country=country, email=email, rates=rates, arrival=arrival, discount_code=code,
                           discount_error=discount_error), status


# --- placing the order and sending the shopper to pay -------------------------------------------------------

def _nonce(quote: pricing.Quote) -> str:
    """The form's own nonce, or — for a form that sent none — one derived from who buys what, per 10 minutes."""
    given = (request.form.get("nonce") or "").strip()
    if given and len(given) <= 64:
        return "form:" + given
    shopper = cookie_session.setdefault("sb_shopper", secrets.token_urlsafe(12))
    basis = f"{shopper}|{quote.shipping_country}|" + ",".join(f"{x.variant.id}x{x.quantity}" for x in quote.lines)
    return "auto:" + hashlib.sha256(basis.encode()).hexdigest()[:40] + f":{int(time.time() // 600)}"


def _place_order(session: Session, quote: pricing.Quote, *, email: str | None, back: str, from_cart: bool = False):
    nonce = _nonce(quote)
    existing = service.find_by_nonce(session, nonce)
    if existing is not None and existing.status != OrderStatus.pending:
        # The form's order is settled (paid, or cancelled when the shopper came back from the payment page):
        # pressing Buy again on that page (the back button keeps the form) is a new purchase.
        nonce, existing = nonce + ":" + secrets.token_urlsafe(6), None
    if existing is not None:
        return redirect(url_for("checkout.pay", token=existing.token), 303)
    link_code = attribution.from_request()
    # A cart a channel built (arrivals.receive) is attributed to that channel, ahead of an older buy-link visit.
    arrival = arrivals.current(cookie_session) if from_cart else None
    link_code = arrival.link_code if arrival and arrival.link_code else link_code
    try:
        provider = get_provider(session)
        order = service.create_order(session, quote, nonce=nonce, provider=provider.identifier, email=email,
                                     link_code=link_code)
        if arrival is not None:
            arrivals.record(session, order, arrival)
        session.commit()
    except CheckoutError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(back, 303)
    except PaymentError as exc:
        session.rollback()
        flash(str(exc))
        return redirect(back, 303)
    except IntegrityError:
        # Two submissions of the same form raced past the lookup; the other one made the order.
        session.rollback()
        existing = service.find_by_nonce(session, nonce)
        if existing is None:
            raise
        return redirect(url_for("checkout.pay", token=existing.token), 303)
    if from_cart:
        cookie_session.pop(CART_KEY, None)
    return _open_checkout(session, order, back)


def checkout_request(order: Order) -> CheckoutRequest:
    metadata = {"order_id": str(order.id)}
    if order.link_code:
        metadata["link_code"] = order.link_code
    return CheckoutRequest(
        order_id=order.id or 0,
        order_token=order.token,
        currency=order.currency,
        lines=tuple(CheckoutLine(sku=x.sku, title=x.title, unit_price_minor=x.unit_price_minor, quantity=x.quantity)
                    for x in order.lines),
        shipping_minor=order.shipping_minor,
        total_minor=order.total_minor,
        shipping_country=order.shipping_country,
        email=order.email,
        success_url=external_url("checkout.order_page", token=order.token),
        cancel_url=external_url("checkout.cancelled", token=order.token),
        expires_at=order.expires_at,  # type: ignore[arg-type]
        idempotency_key=f"shopbridge-order-{order.id}-{order.token[:12]}",
        metadata=metadata,
        discount_minor=order.discount_minor,
        discount_code=order.discount_code,
    )


def _open_checkout(session: Session, order: Order, back: str):
    provider = get_provider(session, order.provider)
    try:
        opened = provider.create_checkout(checkout_request(order))
    except PaymentError as exc:
        service.cancel(session, order.id, reason=f"The payment provider refused: {exc}", source=provider.identifier)
        session.commit()
        flash(_("We could not start the payment: %(error)s", error=str(exc)))
        return redirect(back, 303)
    service.attach_checkout(session, order, opened.reference, opened.url, opened.expires_at)
    session.commit()
    return redirect(opened.url, 303)


@bp.get("/checkout/pay/<token>")
@public
def pay(token: str):
    """Resume payment for a pending order (a repeated form, a shopper back from the provider's page)."""
    session = db.session()
    order = _order_or_404(session, token)
    if order.status == OrderStatus.cancelled and order.checkout_nonce.startswith(service.CHAT_NONCE_PREFIX):
        # A chat's "Pay now" link opened after the reservation lapsed: take the stock again if it is there.
        reopened = service.reopen(session, order.id, source="shopper")
        if reopened is None:
            session.rollback()
            flash(_("Sorry, this order can no longer be paid: an item sold out meanwhile."))
            return redirect(url_for("checkout.order_page", token=token), 303)
        session.commit()
        order = reopened
    if order.status != OrderStatus.pending:
        return redirect(url_for("checkout.order_page", token=token), 303)
    if order.checkout_url:
        return redirect(order.checkout_url, 303)
    return _open_checkout(session, order, url_for("storefront.home"))


@bp.get("/order/<token>")
@public
def order_page(token: str):
    """The success page and, later, the shopper's order page. Until the payment is confirmed it shows
    "processing" and refreshes itself (a meta refresh: the CSP allows no inline script)."""
    session = db.session()
    order = _order_or_404(session, token)
    if order.status == OrderStatus.pending and order.provider_reference:
        order = _refresh_from_provider(session, order)
    processing = order.status == OrderStatus.pending
    response = render_template("checkout/order.html", order=order, processing=processing,
                               sandbox=order.provider == "sandbox")
    return response, 200, {"Cache-Control": "no-store"}


def _refresh_from_provider(session: Session, order: Order) -> Order:
    """The shopper may be back before the webhook: ask the provider, and apply what it says exactly as the
    webhook would (whichever comes second finds the work done)."""
    try:
        state = get_provider(session, order.provider).fetch_state(order.provider_reference or "")
    except PaymentError:
        return order  # the webhook or the reconciliation job will get there
    if state.outcome in (PaymentOutcome.paid, PaymentOutcome.processing, PaymentOutcome.failed,
                         PaymentOutcome.expired):
        order = service.apply_payment_state(session, order.id, state, source=f"{order.provider}:return")
        session.commit()
    return order


@bp.get("/checkout/cancelled/<token>")
@public
def cancelled(token: str):
    """The shopper left the payment page: close that checkout, put the stock back and the items in the cart."""
    session = db.session()
    order = _order_or_404(session, token)
    if order.status == OrderStatus.pending:
        provider = get_provider(session, order.provider)
        try:
            if order.provider_reference:
                provider.cancel_checkout(order.provider_reference)
        except PaymentError:
            # Already paid, or the provider is unreachable: leave the order to the webhook and reconciliation.
            return redirect(url_for("checkout.order_page", token=token), 303)
        service.cancel(session, order.id, reason="The shopper went back without paying.", source="shopper")
        session.commit()
        items = _cart()
        for line in order.lines:
            if line.variant_id:
                items[str(line.variant_id)] = min(items.get(str(line.variant_id), 0) + line.quantity,
                                                  pricing.MAX_QUANTITY)
        cookie_session[CART_KEY] = items
        flash(_("Payment cancelled. Your items are in your cart."))
    return redirect(url_for("checkout.cart"), 303)


def _order_or_404(session: Session, token: str) -> Order:
    order = session.exec(select(Order).where(Order.token == token)).first() if len(token) <= 43 else None
    if order is None:
        abort(404)
    return order


def _same_site(url: str | None) -> bool:
    from urllib.parse import urlsplit

    if not url:
        return False
    parts = urlsplit(url)
    return parts.netloc == request.host and parts.scheme in ("http", "https")

