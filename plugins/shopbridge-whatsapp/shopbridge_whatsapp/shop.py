"""What the WhatsApp plugin needs from the shop, as a small protocol shopbridge's core implements.

It is the WhatsApp subset of the chat plugins' shared ``ShopServices`` (same names and signatures as in the
Telegram plugin), handed to ``shopbridge_inbound_event(channel, event, shop)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shopbridge.channels import ProductInfo


@dataclass(frozen=True)
class Customer:
    platform: str  # "whatsapp"
    id: str  # the shopper's wa_id (their phone number in international format, digits only)
    name: str = ""
    phone: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


class ProductOption(Protocol):
    item_id: str  # the catalogue item id, which is the WhatsApp catalogue's product_retailer_id
    label: str
    price: Any  # Money
    available: bool


class PendingLine(Protocol):
    title: str
    quantity: int
    unit_price: Any  # Money
    total: Any  # Money


class PendingOrder(Protocol):
    reference: str
    checkout_url: str  # where the shopper pays: the shop's own checkout for this order
    currency: str
    lines: Sequence[PendingLine]
    shipping: Any  # Money
    total: Any  # Money
    notes: Sequence[str]  # what the shop changed, for the shopper ("Only 1 left: quantity set to 1")


@runtime_checkable
class ShopServices(Protocol):
    def find_product(self, ref: str) -> ProductInfo | None:
        """A public, active product by id (digits), slug, buy-link short code or catalogue item id."""

    def product_options(self, product_id: int) -> Sequence[ProductOption]:
        """The product's variants in display order."""

    def tracked_link(self, product: ProductInfo, *, channel_id: int, medium: str = "chat") -> str:
        """An absolute buy link for ``product`` attributed to this channel."""

    def create_pending_order(self, lines: Sequence[tuple[str, int]], *, channel_id: int,
                             customer: Customer) -> PendingOrder:
        """Price ``(item_id, quantity)`` lines with the shop's own prices, reserve stock, attribute the order
        to the channel, and return it with its checkout link. Prices sent by WhatsApp are never used.

        :raises ValueError: with a message the shopper can read when nothing can be sold.
        """
