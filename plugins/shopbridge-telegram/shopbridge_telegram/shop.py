"""What the Telegram bot needs from the shop, as a small protocol the core implements.

shopbridge hands an object of this shape to ``shopbridge_inbound_event(channel, event, shop)``. The plugin never
touches the shop's tables: it looks products up, asks for tracked links, and lets the shop's own checkout and
order services create orders (server-side prices, stock reservation, attribution to the channel).

The same method names and signatures are used by the WhatsApp and Messenger plugins (each declares only the
subset it calls), so one core object serves all three.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shopbridge.channels import ProductInfo


@dataclass(frozen=True)
class Customer:
    """The shopper as the platform knows them; ``details`` carries what they typed at payment time."""

    platform: str  # "telegram"
    id: str  # Telegram user id
    name: str = ""
    username: str = ""
    language: str = ""
    # Telegram's OrderInfo from the payment form: name, email, phone_number, shipping_address{...}
    details: Mapping[str, Any] = field(default_factory=dict)


class ProductOption(Protocol):
    """One buyable variant of a product."""

    item_id: str  # the stable catalogue item id (never changes with SKU or slug)
    label: str  # "Default" for single-variant products, else e.g. "Red / M"
    price: Any  # shopbridge Money
    available: bool


class CategoryRef(Protocol):
    slug: str
    name: str


class PendingLine(Protocol):
    title: str
    quantity: int
    unit_price: Any  # Money
    total: Any  # Money


class PendingOrder(Protocol):
    """An order the shop priced and reserved stock for, waiting for payment."""

    reference: str  # opaque, ≤ 64 ASCII characters; sent back by Telegram as the invoice payload
    checkout_url: str  # the shop's own checkout page for this order (fallback when paying in chat is off)
    currency: str
    lines: Sequence[PendingLine]
    shipping: Any  # Money (zero when free)
    total: Any  # Money: sum of line totals + shipping
    notes: Sequence[str]  # what the shop changed, in words for the shopper ("Only 1 left: quantity set to 1")


class PaidOrder(Protocol):
    reference: str
    number: str  # what the shopper and the shop owner call the order, e.g. "1042"
    created: bool  # False when this payment had already been recorded (a replayed update)


@runtime_checkable
class ShopServices(Protocol):
    """The shop services the Telegram bot uses (implemented by shopbridge's core)."""

    def find_product(self, ref: str) -> ProductInfo | None:
        """A public, active product by id (digits), slug, buy-link short code or catalogue item id."""

    def product_options(self, product_id: int) -> Sequence[ProductOption]:
        """The product's variants in display order (at least one for an active product)."""

    def categories(self) -> Sequence[CategoryRef]:
        """Categories with at least one active product, in menu order."""

    def products_in_category(self, slug: str, *, limit: int = 10) -> Sequence[ProductInfo]:
        """Active products of a category, best first."""

    def tracked_link(self, product: ProductInfo, *, channel_id: int, medium: str = "chat") -> str:
        """An absolute buy link for ``product`` that attributes visits and orders to this channel."""

    def create_pending_order(self, lines: Sequence[tuple[str, int]], *, channel_id: int,
                             customer: Customer) -> PendingOrder:
        """Price ``(item_id, quantity)`` lines server-side and reserve stock, like the web checkout does.

        :raises ValueError: with a message the shopper can read when nothing can be sold (unknown item, sold out).
        """

    def recheck_order(self, reference: str, *, amount_minor: int, currency: str) -> str | None:
        """Right before the shopper pays: ``None`` if the order still stands at this amount with stock
        available, else the reason in words for the shopper ("Sorry, the Red mug just sold out")."""

    def create_paid_order(self, reference: str, *, payment_reference: str, amount_minor: int, currency: str,
                          channel_id: int, customer: Customer,
                          provider_payment_reference: str | None = None) -> PaidOrder:
        """Record the payment: the pending order becomes paid and its reserved stock is committed (re-reserved
        first if the reservation expired), attributed to the channel. Idempotent on ``payment_reference``:
        a second call with the same reference returns the same order with ``created=False``."""
