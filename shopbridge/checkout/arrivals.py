"""Carts that arrive from a channel: a Facebook or Instagram shop, a marketplace, a chat bot's "checkout" button.

Some platforms build the cart themselves and send the shopper to the shop's own checkout with it (Meta's
"checkout URL": ``?products=sb-v12:2,sb-v7:1&coupon=SUMMER``). A plugin that serves such a URL parses and
validates it, then hands the cart over with :func:`receive`. This module is the whole contract; plugins never
touch the checkout's session keys themselves::

    from shopbridge.checkout import arrivals

    arrival = arrivals.receive(db_session, flask.session, channel_type="instagram",
                               lines=[(variant_id, quantity), ...], coupon="SUMMER")
    return redirect(url_for(arrivals.CHECKOUT_ENDPOINT))

What it does:

- **The cart.** The shopper's cart (``store["cart"]``) becomes exactly the channel's cart: the platform sends the
  whole cart, so whatever the session held before is replaced. Prices are never taken from the channel; the
  checkout prices every line from the catalogue, as always.
- **Attribution.** The order is attributed to the channel through a tracked buy link, like a post's link: one
  link per (channel type, placement, product), campaign ``channel-cart``, made the first time and reused after
  (:func:`shopbridge.posts.linking.cart_link_code`). The placement is the name of the shop's connected channel of
  that type (so two Instagram accounts stay apart), or the type itself when none is connected. Paid orders and
  revenue then appear in the links analytics by link, product, channel and campaign (``Order.link_code``), and
  checkout prefers this attribution over an older buy-link visit: the channel just built this cart.
- **The coupon.** A promotion code the platform sent along is kept with the cart and filled in as the checkout's
  discount code: a code the owner made in ``/admin/discounts`` is applied (server-side, like any typed code);
  an unknown or expired one is reported on the checkout page and the cart still works. The order's timeline
  records the channel and whether its coupon was applied.

The arrival expires with the buy-link attribution window, and is forgotten once an order is made from the cart
or the cart is emptied.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from shopbridge.catalogue.models import Product, ProductStatus, Variant

#: The checkout's cart in the shopper's session: ``{"<variant id>": quantity}``.
CART_KEY = "cart"
#: Where this module keeps the arrival next to the cart (plain JSON values: the session is a signed cookie).
ORIGIN_KEY = "sb_cart_origin"
#: Where a plugin sends the shopper once the cart is in place.
CHECKOUT_ENDPOINT = "checkout.checkout"
#: The buy-link campaign of channel carts, so analytics can tell them from posts and printed codes.
CAMPAIGN = "channel-cart"
MAX_COUPON = 64
CHANNEL_TYPE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")


@dataclass(frozen=True)
class Arrival:
    """A channel's cart as the checkout remembers it."""

    channel_type: str  # the shop's channel type ("instagram", "facebook_page"), also the buy link's channel
    placement: str  # the connected channel's name, or the type when none is connected
    link_code: str | None  # the buy link the order is attributed to; None when no link could be made
    coupon: str | None  # the promotion code the platform sent, as sent (trimmed)
    at: int  # Unix time of arrival

    def as_session_value(self) -> dict[str, Any]:
        return {"channel_type": self.channel_type, "placement": self.placement, "link_code": self.link_code,
                "coupon": self.coupon, "at": self.at}


def receive(session: Session, store: MutableMapping[str, Any], *, channel_type: str,
            lines: Iterable[tuple[int, int]], coupon: str | None = None, now: float | None = None) -> Arrival | None:
    """Make ``lines`` (``(variant id, quantity)``, already checked by the caller) the shopper's cart, attributed
    to ``channel_type``; return the :class:`Arrival`, or ``None`` (cart untouched) when no line is sellable.

    ``store`` is the shopper's session (``flask.session`` in a view); ``session`` the database session, which may
    get a new buy link: the caller commits. Variants that are unknown or not on sale are dropped here too, so a
    plugin's mistake can never put them in a cart.
    """
    from shopbridge.checkout.pricing import MAX_QUANTITY

    wanted: dict[int, int] = {}
    for variant_id, quantity in lines:
        if int(quantity) > 0:
            wanted[int(variant_id)] = min(wanted.get(int(variant_id), 0) + int(quantity), MAX_QUANTITY)
    sellable = {v.id: v for v in session.exec(
        select(Variant).join(Product).where(Variant.id.in_(list(wanted)),  # type: ignore[union-attr]
                                            Product.status == ProductStatus.active)).all()} if wanted else {}
    cart = {str(vid): qty for vid, qty in wanted.items() if vid in sellable}
    if not cart:
        return None
    channel_type = channel_type.strip().lower()
    if not CHANNEL_TYPE.fullmatch(channel_type):
        raise ValueError(f"channel_type must be a channel type name such as 'instagram', not {channel_type!r}")
    placement = _placement(session, channel_type)
    first = sellable[next(vid for vid in wanted if vid in sellable)]
    link_code = _link_code(session, channel_type, placement, first.product)
    clean_coupon = (coupon or "").strip()[:MAX_COUPON] or None
    arrival = Arrival(channel_type=channel_type, placement=placement, link_code=link_code, coupon=clean_coupon,
                      at=int(time.time() if now is None else now))
    store[CART_KEY] = cart
    store[ORIGIN_KEY] = arrival.as_session_value()
    return arrival


def current(store: MutableMapping[str, Any], now: float | None = None) -> Arrival | None:
    """The arrival behind the shopper's cart, while it is recent enough to earn the sale and the cart exists."""
    from shopbridge.links.attribution import WINDOW

    raw = store.get(ORIGIN_KEY)
    if not isinstance(raw, dict) or not store.get(CART_KEY):
        return None
    at = raw.get("at")
    if not isinstance(at, int | float):
        return None
    now = time.time() if now is None else now
    if not 0 <= now - at <= WINDOW.total_seconds():
        return None
    code = raw.get("link_code")
    coupon = raw.get("coupon")
    return Arrival(channel_type=str(raw.get("channel_type") or "")[:40],
                   placement=str(raw.get("placement") or "")[:120],
                   link_code=code if isinstance(code, str) and 0 < len(code) <= 64 else None,
                   coupon=coupon[:MAX_COUPON] if isinstance(coupon, str) and coupon else None, at=int(at))


def record(session: Session, order: Any, arrival: Arrival) -> None:
    """Note on ``order``'s timeline which channel built its cart, and whether the coupon it sent was applied.

    A coupon the shop does not know (or that expired) is recorded as *not applied*: the owner sees what the
    shopper may have been promised on the platform and can honour it by hand (a partial refund).
    """
    from shopbridge.checkout.discounts import normalise
    from shopbridge.checkout.service import add_event

    message = f"Cart from {arrival.channel_type}"
    if arrival.placement != arrival.channel_type:
        message += f" ({arrival.placement})"
    message += "."
    applied = bool(arrival.coupon) and order.discount_code == normalise(arrival.coupon)
    if arrival.coupon:
        message += (f" Its discount code {arrival.coupon} was applied." if applied else
                    f" Its discount code {arrival.coupon} was not applied.")
    add_event(session, order, "channel_cart", message, source=arrival.channel_type,
              data={**arrival.as_session_value(), "coupon_applied": applied})


def forget(store: MutableMapping[str, Any]) -> None:
    """Drop the arrival (an order was made from the cart, or the cart was emptied)."""
    store.pop(ORIGIN_KEY, None)


def _placement(session: Session, channel_type: str) -> str:
    """The connected channel of this type (its name tells two accounts apart), else the type itself."""
    try:
        from shopbridge.channels.models import Channel
    except ImportError:  # pragma: no cover - channels are part of the core today
        return channel_type
    query = select(Channel).where(Channel.type == channel_type, Channel.enabled.is_(True))  # type: ignore[attr-defined]
    channel = session.exec(query.order_by(Channel.id)).first()
    return channel.name[:120] if channel is not None else channel_type


def _link_code(session: Session, channel_type: str, placement: str, product: Product) -> str | None:
    from shopbridge.posts import linking

    try:
        return linking.cart_link_code(session, channel=channel_type, placement=placement, product=product,
                                      campaign=CAMPAIGN)
    except linking.LinkingUnavailable:
        return None
