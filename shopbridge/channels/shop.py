"""The shop as a chat plugin sees it: what ``shopbridge_inbound_event`` receives as ``shop``.

The chat plugins (Telegram, WhatsApp, Messenger) declare the services they need as a small protocol
(``ShopServices`` in each plugin's ``shop.py``); :class:`Shop` implements all of it on the shop's own tables and
services, so a conversation never prices, reserves or records anything itself:

* products, their options and categories come from the catalogue (public, active products only);
* links are the channel's own tracked buy links (one per channel, product and medium, reused);
* pending orders are priced by :mod:`shopbridge.checkout.pricing` and created by
  :func:`shopbridge.checkout.service.create_order` — stock reserved exactly as for the web checkout, the order
  attributed to the channel through its link code — and can be paid on the shop's own pay page;
* a payment made inside the chat goes through :func:`shopbridge.checkout.service.apply_payment_state`, once per
  payment reference (:func:`shopbridge.checkout.service.remember_event`), with the amount checked and the stock
  taken again if the reservation had lapsed.

Messages in ``ValueError`` and in :meth:`Shop.recheck_order`'s answer are written for the shopper.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from shopbridge import plugins
from shopbridge.catalogue.models import Category, Product, ProductStatus, Variant
from shopbridge.channels import service as channels
from shopbridge.channels.models import Channel
from shopbridge.channels.types import InboundEvent, ProductInfo, Reply
from shopbridge.checkout.models import OrderStatus
from shopbridge.money import Money

log = logging.getLogger(__name__)

#: Longest reference a chat plugin may hand back (Telegram's invoice payload allows 128 bytes; 64 is plenty).
REFERENCE_LIMIT = 64
#: Most products one category listing returns (a chat keyboard is not a catalogue page).
CATEGORY_LIMIT = 50


@dataclass(frozen=True)
class ProductOption:
    """One buyable variant: its catalogue item id (``sb-v<variant id>``), label, price and availability."""

    item_id: str
    label: str
    price: Money
    available: bool


@dataclass(frozen=True)
class CategoryRef:
    slug: str
    name: str


@dataclass(frozen=True)
class PendingLine:
    title: str
    quantity: int
    unit_price: Money
    total: Money


@dataclass(frozen=True)
class PendingOrder:
    """A pending order as the chat sees it; ``reference`` is the order's unguessable token."""

    reference: str
    number: str
    checkout_url: str
    currency: str
    lines: tuple[PendingLine, ...]
    shipping: Money
    total: Money
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PaidOrder:
    reference: str
    number: str
    created: bool


class Shop:
    """The shop services handed to chat plugins, bound to one channel and the caller's session.

    The caller owns the transaction (a job's ``session_scope`` or a view's request session): nothing here
    commits, so an order and the event that caused it are stored together or not at all.
    """

    def __init__(self, app: Flask, session: Session, channel: Channel):
        self.app, self.session, self.channel = app, session, channel

    # --- products ---------------------------------------------------------------------------------------

    def find_product(self, ref: str) -> ProductInfo | None:
        """A public, active product by id (digits), slug, buy-link short code or catalogue item id."""
        product = self._product(ref)
        return self._info(product) if product is not None else None

    def _product(self, ref: Any) -> Product | None:
        from shopbridge.catalogue.items import variant_id_from_item
        from shopbridge.catalogue.service import get_by_slug

        ref = str(ref or "").strip()
        if not ref or len(ref) > 160:
            return None
        product: Product | None = None
        if ref.isdigit():
            product = self.session.get(Product, int(ref))
        elif (variant_id := variant_id_from_item(ref)) is not None:
            variant = self.session.get(Variant, variant_id)
            product = variant.product if variant is not None else None
        else:
            product = get_by_slug(self.session, ref) or self._product_by_link_code(ref)
        return product if product is not None and product.status == ProductStatus.active else None

    def _product_by_link_code(self, code: str) -> Product | None:
        try:
            from shopbridge.links import service as links_service
        except ImportError:  # buy links are an optional feature
            return None
        link = links_service.get_by_code(self.session, code)
        if link is None or not link.enabled:
            return None
        return self.session.get(Product, link.product_id)

    def _info(self, product: Product) -> ProductInfo:
        from shopbridge.channels.products import product_info

        return product_info(product, app=self.app)

    def product_options(self, product_id: int) -> list[ProductOption]:
        """The product's variants in display order (none for a product that is not public)."""
        from shopbridge.catalogue.items import item_id

        product = self.session.get(Product, int(product_id))
        if product is None or product.status != ProductStatus.active:
            return []
        return [ProductOption(item_id=item_id(v.id), label=v.label, price=v.price, available=v.stock > 0)
                for v in product.variants]

    def categories(self) -> list[CategoryRef]:
        """Categories with at least one active product, in menu order (as the storefront's navigation)."""
        from shopbridge.catalogue.service import categories_in_use

        return [CategoryRef(slug=c.slug, name=c.name) for c in categories_in_use(self.session)]

    def products_in_category(self, slug: str, *, limit: int = 10) -> list[ProductInfo]:
        """Active products of a category, best first: those in stock, then the most recently updated."""
        limit = max(1, min(int(limit), CATEGORY_LIMIT))
        in_stock = select(Variant.product_id).where(Variant.stock > 0)
        query = (select(Product).join(Category, Product.category_id == Category.id)
                 .where(Category.slug == slug, Product.status == ProductStatus.active)
                 .order_by(Product.id.in_(in_stock).desc(), Product.updated_at.desc(), Product.id.desc())
                 .limit(limit))
        return [self._info(p) for p in self.session.exec(query).all()]

    # --- links ------------------------------------------------------------------------------------------

    def tracked_link(self, product: ProductInfo, *, channel_id: int, medium: str = "chat") -> str:
        """An absolute buy link for ``product`` that attributes visits and orders to this channel."""
        row = self._product(product.id)
        if row is None:
            raise ValueError("Sorry, this product is no longer available.")
        return self._link(row, channel_id, medium)[1]

    def _link(self, product: Product, channel_id: int, medium: str = "chat") -> tuple[str, str]:
        from shopbridge.posts import linking

        return linking.chat_link(self.session, channel=self._channel(channel_id), product=product, medium=medium)

    def _channel(self, channel_id: int | None) -> Channel:
        if channel_id in (None, self.channel.id):
            return self.channel
        channel = self.session.get(Channel, int(channel_id))
        if channel is None:
            raise LookupError(f"channel {channel_id} not found")
        return channel

    def buy_link(self, product_id: int) -> str:
        """The channel's tracked link to a product (keyword replies and the inbox use it)."""
        from shopbridge.posts import linking

        product = self.session.get(Product, product_id)
        return linking.tracked_link(self.session, post=None, channel=self.channel, product=product)

    # --- orders -----------------------------------------------------------------------------------------

    def create_pending_order(self, lines: Sequence[tuple[str, int]], *, channel_id: int,
                             customer: Any) -> PendingOrder:
        """Price ``(item_id, quantity)`` lines server-side and reserve stock, like the web checkout does.

        Whatever the platform said about prices is ignored. Unknown and sold-out items are left out and
        quantities above the stock (or the per-order maximum) are lowered, each with a note for the shopper.

        :raises ValueError: with a message the shopper can read when nothing can be sold.
        """
        from shopbridge.checkout import pricing
        from shopbridge.checkout import service as orders
        from shopbridge.payments import active_identifier

        channel = self._channel(channel_id)
        requests, notes = self._sellable_lines(lines)
        if not requests:
            raise ValueError(" ".join(notes) if notes else "Sorry, none of these products can be ordered right now.")
        try:
            quote = pricing.quote(self.session, requests, pricing.default_country(self.session, self.app),
                                  app=self.app, check_stock=False)
        except pricing.CheckoutError as exc:
            raise ValueError(str(exc)) from None
        nonce = _nonce(channel, customer, requests)
        existing = orders.find_by_nonce(self.session, nonce)
        if existing is not None and existing.status == OrderStatus.pending:
            # A double tap on "Buy", or the same cart sent again: the same order, not a second reservation.
            return self._pending(existing, notes)
        if existing is not None:  # that order was paid or cancelled: this is a new purchase
            nonce = f"{nonce}:{secrets.token_urlsafe(6)}"
        link_code, _ = self._link(quote.lines[0].variant.product, channel.id)
        details = dict(getattr(customer, "details", None) or {})
        try:
            with self.session.begin_nested():  # a lost race for the last unit undoes this order only
                order = orders.create_order(
                    self.session, quote, nonce=nonce,
                    # Paid on the shop's pay page (the checkout link) unless paid inside the chat, which then
                    # records the channel as the provider (see create_paid_order).
                    provider=active_identifier(self.session, self.app),
                    email=_email(details.get("email")), link_code=link_code)
        except pricing.CheckoutError as exc:
            raise ValueError(str(exc)) from None
        except IntegrityError:  # the same request handled twice at once: the other one made the order
            existing = orders.find_by_nonce(self.session, nonce)
            if existing is None:
                raise
            return self._pending(existing, notes)
        who = getattr(customer, "name", "") or getattr(customer, "username", "") or getattr(customer, "id", "")
        orders.add_event(self.session, order, "chat", f"Ordered in {channel.name} by {who}.",
                         source=f"{channel.type}:{channel.id}", data={"customer": _customer_data(customer),
                                                                      "notes": notes})
        return self._pending(order, notes)

    def _pending(self, order: Any, notes: Sequence[str]) -> PendingOrder:
        return PendingOrder(
            reference=order.token,
            number=order.number,
            checkout_url=channels.absolute_url("checkout.pay", self.app, token=order.token),
            currency=order.currency,
            lines=tuple(PendingLine(title=x.title, quantity=x.quantity, unit_price=x.unit_price, total=x.total)
                        for x in order.lines),
            shipping=order.shipping,
            total=order.total,
            notes=tuple(notes),
        )

    def _sellable_lines(self, lines: Sequence[tuple[str, int]]):
        """``(line requests, notes)``: what can be sold of ``lines``, and what changed, in words."""
        from shopbridge.catalogue.items import variant_id_from_item
        from shopbridge.checkout.pricing import MAX_QUANTITY, LineRequest

        wanted: dict[int, int] = {}
        notes: list[str] = []
        unknown = 0
        for item, quantity in lines:
            variant_id = variant_id_from_item(str(item or ""))
            try:
                quantity = int(quantity)
            except (TypeError, ValueError):
                quantity = 0
            variant = self.session.get(Variant, variant_id) if variant_id is not None else None
            if variant is None or variant.product.status != ProductStatus.active or quantity < 1:
                unknown += 1
                continue
            wanted[variant.id] = wanted.get(variant.id, 0) + quantity
        if unknown:
            notes.append("Sorry, one item is no longer available." if unknown == 1
                         else f"Sorry, {unknown} items are no longer available.")
        requests = []
        for variant_id, quantity in wanted.items():
            variant = self.session.get(Variant, variant_id)
            title = variant.title
            if variant.stock < 1:
                notes.append(f"Sorry, {title} is sold out.")
                continue
            allowed = min(variant.stock, MAX_QUANTITY)
            if quantity > allowed:
                notes.append(f"Only {variant.stock} {title} left: quantity set to {allowed}." if allowed == variant.stock
                             else f"At most {MAX_QUANTITY} {title} per order: quantity set to {allowed}.")
                quantity = allowed
            requests.append(LineRequest(variant.id, quantity))
        return requests, notes

    def _order(self, reference: str):
        from shopbridge.checkout.models import Order

        reference = str(reference or "")
        if not reference or len(reference) > REFERENCE_LIMIT:
            return None
        return self.session.exec(select(Order).where(Order.token == reference)).first()

    def recheck_order(self, reference: str, *, amount_minor: int, currency: str) -> str | None:
        """Right before the shopper pays: ``None`` if the order still stands at this amount with its stock
        (reserved, or back on the shelf and still there), else the reason in words for the shopper."""
        from shopbridge.checkout.models import StockState

        order = self._order(reference)
        if order is None:
            return "Sorry, this order has expired. Please tap Buy again."
        if order.paid_at is not None:
            return f"Order {order.number} is already paid."
        if (int(amount_minor), str(currency).upper()) != (order.total_minor, order.currency.upper()):
            return "The price has changed since this invoice was sent. Please tap Buy again."
        if order.stock_state != StockState.reserved:
            # The reservation lapsed (the shopper took their time): payable if the stock is still there;
            # create_paid_order takes it again.
            for line in order.lines:
                variant = self.session.get(Variant, line.variant_id) if line.variant_id else None
                if variant is None or variant.product.status != ProductStatus.active:
                    return f"Sorry, {line.title} is no longer available."
                if variant.stock < line.quantity:
                    return f"Sorry, {line.title} just sold out."
        return None

    def create_paid_order(self, reference: str, *, payment_reference: str, amount_minor: int, currency: str,
                          channel_id: int, customer: Any, provider_payment_reference: str | None = None) -> PaidOrder:
        """Record a payment made inside the chat: the pending order becomes paid, its stock committed (taken
        again if the reservation lapsed, flagged for review if it is gone), attributed to the channel.

        Idempotent on ``payment_reference``: the same payment again returns the order with ``created=False``.
        An amount or currency that differs from the order is recorded and flagged for review, never ignored.

        :raises LookupError: when ``reference`` is not an order of this shop (the error is shown in the admin).
        """
        from shopbridge.checkout import service as orders
        from shopbridge.payments import PaymentOutcome, PaymentState

        channel = self._channel(channel_id)
        order = self._order(reference)
        if order is None:
            raise LookupError(f"A {channel.type} payment ({payment_reference}) names no order of this shop "
                              f"({reference!r}); refund it from the payment provider's dashboard.")
        event_id = f"{channel.type}:payment:{payment_reference}"[:255]
        try:
            with self.session.begin_nested():
                fresh = orders.remember_event(self.session, event_id, provider=channel.type,
                                              kind="successful_payment", order_id=order.id)
        except IntegrityError:  # the same payment delivered twice at once: the other delivery records it
            fresh = False
        if not fresh:
            return PaidOrder(reference=order.token, number=order.number, created=False)
        order = orders.lock(self.session, order.id)
        open_checkout = None
        if order.paid_at is None:
            # The money came through the chat: refunds and the timeline name the channel, not the web provider.
            open_checkout = (order.provider, order.provider_reference) if order.provider_reference else None
            order.provider = channel.type[:40]
            self.session.add(order)
            self.session.flush()
        details = dict(getattr(customer, "details", None) or {})
        address = details.get("shipping_address")
        state = PaymentState(
            reference=order.token, outcome=PaymentOutcome.paid, amount_minor=int(amount_minor),
            currency=str(currency).upper(), payment_reference=str(payment_reference)[:255], order_id=order.id,
            email=_email(details.get("email")),
            customer_name=str(details.get("name") or getattr(customer, "name", "") or ""),
            phone=str(details.get("phone_number") or getattr(customer, "phone", "") or ""),
            shipping_address=dict(address) if isinstance(address, dict) else {},
        )
        source = f"{channel.type}:{channel.id}"
        order = orders.apply_payment_state(self.session, order.id, state, source=source)
        orders.add_event(self.session, order, "chat_payment", f"Paid in {channel.name}.", source=source,
                         data={"payment_reference": payment_reference,
                               "provider_payment_reference": provider_payment_reference,
                               "customer": _customer_data(customer)})
        if open_checkout is not None:
            self._close_web_checkout(*open_checkout)
        return PaidOrder(reference=order.token, number=order.number, created=True)

    def _close_web_checkout(self, provider_id: str, checkout_reference: str) -> None:
        """The shopper also opened the pay page: close that checkout so the order cannot be paid twice."""
        from shopbridge.payments import PaymentError, get_provider

        try:
            get_provider(self.session, provider_id, app=self.app).cancel_checkout(checkout_reference)
        except PaymentError as exc:
            log.warning("could not close the %s checkout %s: %s", provider_id, checkout_reference, exc)

    # --- replies ----------------------------------------------------------------------------------------

    def reply(self, event: InboundEvent, text: str, product_id: int | None = None):
        """Answer ``event`` through the channel's plugin, with a product card and tracked link if given."""
        product = self.session.get(Product, product_id) if product_id else None
        link = self.buy_link(product_id) if product else None
        ctx = channels.context_for(self.session, self.channel, app=self.app, label="reply")
        return plugins.call("shopbridge_reply", app=self.app, channel=ctx, event=event,
                            reply=Reply(text=text, link_url=link, product=self._info(product) if product else None))


#: How long the same shopper asking for the same items again gets the same pending order (as the web checkout).
SAME_ORDER_SECONDS = 600


def _nonce(channel: Channel, customer: Any, requests: Sequence[Any]) -> str:
    """The order's checkout nonce: who asks for what in which channel, per ten minutes; random without a shopper."""
    from shopbridge.checkout.service import CHAT_NONCE_PREFIX as PREFIX

    who = str(getattr(customer, "id", "") or "")
    if not who:
        return f"{PREFIX}{channel.id}:{secrets.token_urlsafe(18)}"
    basis = f"{channel.id}|{getattr(customer, 'platform', '')}:{who}|" + ",".join(
        f"{x.variant_id}x{x.quantity}" for x in sorted(requests, key=lambda x: x.variant_id))
    return f"{PREFIX}{hashlib.sha256(basis.encode()).hexdigest()[:40]}:{int(time.time() // SAME_ORDER_SECONDS)}"


def _email(value: Any) -> str | None:
    """An address the platform collected, if it looks like one (the payment sheet validated it already)."""
    text = str(value or "").strip()
    return text[:254] if "@" in text and len(text) <= 254 else None


def _customer_data(customer: Any) -> dict[str, str]:
    """Who ordered, as the platform knows them: kept in the order's timeline (never the payment details)."""
    return {key: str(getattr(customer, key, "") or "")[:200]
            for key in ("platform", "id", "name", "username", "phone") if getattr(customer, key, "")}
