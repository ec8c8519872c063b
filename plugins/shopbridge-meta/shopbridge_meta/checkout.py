"""The checkout URL Facebook and Instagram shops send shoppers to: ``/meta/checkout?products=…&coupon=…``.

Meta encodes the cart in the query ("Set up a checkout URL", Commerce Platform): ``products`` is a
comma-separated list of ``<catalogue item id>:<quantity>`` (commas and colons percent-encoded), ``coupon`` an
optional promotion code, and ``cart_origin`` (``facebook``, ``instagram`` or ``meta_shops``) says where the cart
was built. Our catalogue item ids are ``sb-v<variant id>``, as the catalogue sync sends them.

The view validates everything (ids, quantities, stock, active products), tells the shopper plainly what could
not be added, and hands the rest to the checkout through its public contract for carts built by a channel
(:func:`shopbridge.checkout.arrivals.receive`): the cart becomes the shopper's, the order is attributed to the
Facebook or Instagram channel through a tracked buy link, and the coupon travels with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from shopbridge import hookimpl
from shopbridge.access import public
from shopbridge.checkout import arrivals

bp = Blueprint("meta", __name__, url_prefix="/meta", template_folder="templates")

#: Lines one cart may hold, and units of one line: generous for a real shopper, small enough that a crafted URL
#: cannot make the shop look up thousands of variants or reserve its whole stock.
MAX_LINES = 50
MAX_QUANTITY = 20
MAX_QUERY = 4000
ITEM_ID = re.compile(r"^sb-v(\d{1,18})$")
COUPON = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ORIGINS = {"facebook": "facebook_page", "instagram": "instagram", "meta_shops": "facebook_page"}
#: Where the shop's checkout takes over, in order of preference (the checkout feature's endpoints).
CHECKOUT_ENDPOINTS = (arrivals.CHECKOUT_ENDPOINT, "checkout.cart")


@dataclass
class ParsedCart:
    lines: list[tuple[int, int]] = field(default_factory=list)  # (variant id, quantity), ids unique
    problems: list[str] = field(default_factory=list)
    coupon: str | None = None


def parse_cart(products: str | None, coupon: str | None = None) -> ParsedCart:
    """Read Meta's ``products``/``coupon`` parameters; every unreadable part becomes a problem, not an error."""
    cart = ParsedCart()
    raw = (products or "").strip()
    if not raw:
        cart.problems.append(_("This link has no products in it."))
        return cart
    if len(raw) > MAX_QUERY:
        cart.problems.append(_("This cart is too large to open; add the products from our shop instead."))
        return cart
    quantities: dict[int, int] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        item_id, _sep, qty_text = part.rpartition(":")
        match = ITEM_ID.match(item_id)
        if not match:
            cart.problems.append(_("“%(item)s” is not one of our products.", item=part[:40]))
            continue
        if not qty_text.isdigit() or int(qty_text) < 1:
            cart.problems.append(_("“%(item)s” has no valid quantity.", item=item_id))
            continue
        variant_id = int(match.group(1))
        if variant_id not in quantities and len(quantities) == MAX_LINES:
            cart.problems.append(_("Only the first %(n)d products were added.", n=MAX_LINES))
            break
        total = quantities.get(variant_id, 0) + int(qty_text)
        if total > MAX_QUANTITY:
            cart.problems.append(_("At most %(n)d of one item per order; the quantity was lowered.", n=MAX_QUANTITY))
            total = MAX_QUANTITY
        quantities[variant_id] = total
    cart.lines = list(quantities.items())
    if coupon:
        if COUPON.match(coupon.strip()):
            cart.coupon = coupon.strip()
        else:
            cart.problems.append(_("The discount code in this link is not valid."))
    return cart


@dataclass
class CartLine:
    variant: object
    quantity: int


def resolve(db_session, cart: ParsedCart) -> tuple[list[CartLine], list[str]]:
    """Match the parsed lines to sellable variants; unknown, archived or short-stocked ones become problems."""
    from sqlmodel import select

    from shopbridge.catalogue.models import Product, ProductStatus, Variant

    problems: list[str] = []
    found = {}
    if cart.lines:
        rows = db_session.exec(select(Variant, Product).join(Product, Product.id == Variant.product_id)
                               .where(Variant.id.in_([v for v, _q in cart.lines]))).all()
        found = {variant.id: (variant, product) for variant, product in rows}
    lines: list[CartLine] = []
    for variant_id, quantity in cart.lines:
        variant, product = found.get(variant_id, (None, None))
        if variant is None or product.status != ProductStatus.active:
            problems.append(_("One product in this cart is no longer sold here (item sb-v%(id)d).", id=variant_id))
            continue
        name = product.title if variant.label == "Default" else f"{product.title} ({variant.label})"
        if variant.stock <= 0:
            problems.append(_("%(name)s is sold out.", name=name))
            continue
        if variant.stock < quantity:
            problems.append(_("Only %(n)d of %(name)s left; the quantity was lowered.", n=variant.stock, name=name))
            quantity = variant.stock
        lines.append(CartLine(variant, quantity))
    return lines, problems


def _checkout_endpoint(app: Flask) -> str | None:
    return next((e for e in CHECKOUT_ENDPOINTS if e in app.view_functions), None)


@bp.get("/checkout")
@public
def checkout():
    from shopbridge import db

    cart = parse_cart(request.args.get("products"), request.args.get("coupon"))
    lines, problems = resolve(db.session(), cart)
    problems = cart.problems + problems
    origin = request.args.get("cart_origin") or request.args.get("utm_source") or "meta_shops"
    channel_type = ORIGINS.get(origin, "facebook_page")
    if lines:
        # The checkout's public contract for carts a channel built: it replaces the shopper's cart (Meta sends
        # the whole cart), attributes the order to the channel through a tracked link and carries the coupon.
        arrivals.receive(db.session(), session, channel_type=channel_type, coupon=cart.coupon,
                         lines=[(line.variant.id, line.quantity) for line in lines])
        db.session().commit()  # the channel's tracked link, made the first time
    target = _checkout_endpoint(current_app)
    if lines and not problems and target:
        return redirect(url_for(target))
    status = 200 if lines else 422
    return render_template("meta/checkout.html", lines=lines, problems=problems, coupon=cart.coupon,
                           checkout_url=url_for(target) if (target and lines) else None), status


@hookimpl
def shopbridge_register_blueprints(app: Flask) -> None:
    app.register_blueprint(bp)
