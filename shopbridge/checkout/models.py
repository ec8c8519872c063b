"""Orders, their lines and timelines, and the payment-provider events already processed.

An order is created *pending* when a shopper is sent to the payment provider, with its stock reserved; the
provider's answer moves it along::

    pending ──paid──▶ paid ──▶ fulfilled
       │                │
       └─expired/failed─┴─▶ cancelled        paid ──refund──▶ partially_refunded / refunded
                                              paid ──dispute─▶ disputed ──won──▶ paid

Every transition goes through :mod:`shopbridge.checkout.service`, which locks the order row first, so webhook
replays, out-of-order deliveries and the shopper's own return to the success page can race without harm.
"""

# No `from __future__ import annotations` here: SQLModel resolves relationship types at class creation.
import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from shopbridge.db import UTCDateTime, utcnow
from shopbridge.money import Money


class OrderStatus(enum.StrEnum):
    pending = "pending"
    paid = "paid"
    fulfilled = "fulfilled"
    cancelled = "cancelled"
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    disputed = "disputed"


class StockState(enum.StrEnum):
    """Where the order's units are: held for a pending payment, sold, or back on the shelf."""

    reserved = "reserved"
    committed = "committed"
    released = "released"


class Order(SQLModel, table=True):
    __tablename__ = "shop_order"  # "order" is an SQL keyword

    id: int | None = Field(default=None, primary_key=True)
    # Unguessable handle for the shopper's own pages (success, confirmation); never the sequential id.
    token: str = Field(max_length=43, unique=True, index=True)
    # One order per submitted form: a double click or a replayed POST finds the order it already made.
    checkout_nonce: str = Field(max_length=80, unique=True, index=True)
    status: OrderStatus = Field(
        default=OrderStatus.pending,
        sa_column=sa.Column(sa.String(24), nullable=False, index=True, server_default="pending"),
    )
    stock_state: StockState = Field(
        default=StockState.reserved, sa_column=sa.Column(sa.String(16), nullable=False, server_default="reserved")
    )
    # Bumped on every locked transition; the UPDATE that bumps it is the portable row lock (see service.lock).
    version: int = 0
    currency: str = Field(max_length=3)
    # Money columns are 64-bit: a line of 20 items at the catalogue's highest price overflows 32 bits.
    subtotal_minor: int = Field(default=0, sa_type=sa.BigInteger)
    shipping_minor: int = Field(default=0, sa_type=sa.BigInteger)
    # A discount code the shopper used (as stored: upper case) and what it took off the subtotal.
    discount_code: str | None = Field(default=None, max_length=40, index=True)
    discount_minor: int = Field(default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, server_default="0"))
    total_minor: int = Field(default=0, sa_type=sa.BigInteger)
    # What the provider says it collected (after discounts) and what has been refunded so far.
    paid_minor: int | None = Field(default=None, sa_type=sa.BigInteger)
    refunded_minor: int = Field(default=0, sa_type=sa.BigInteger)
    shipping_country: str = Field(default="", max_length=2)
    email: str | None = Field(default=None, max_length=254, index=True)
    customer_name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    shipping_address: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    provider: str = Field(max_length=40)
    # The provider's checkout reference (a Stripe Checkout Session id) and payment reference (PaymentIntent id).
    provider_reference: str | None = Field(default=None, max_length=255, unique=True, index=True)
    payment_reference: str | None = Field(default=None, max_length=255, index=True)
    checkout_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Buy-link attribution (issue 4): the code of the link or QR that brought the shopper, when recent.
    link_code: str | None = Field(default=None, max_length=64, index=True)
    # Something a person must look at: the amount or currency paid differs from the order, or stock ran out
    # before a late payment arrived. Shown in the admin; never cleared automatically.
    needs_review: bool = Field(default=False, index=True)
    review_reason: str = Field(default="", max_length=300)
    tracking_number: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    fulfilled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dispute_open: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    lines: list["OrderLine"] = Relationship(
        back_populates="order", sa_relationship_kwargs={"order_by": "OrderLine.id", "cascade": "all, delete-orphan"}
    )
    events: list["OrderEvent"] = Relationship(
        back_populates="order", sa_relationship_kwargs={"order_by": "OrderEvent.id", "cascade": "all, delete-orphan"}
    )

    @property
    def number(self) -> str:
        """The order number people read and say on the phone."""
        return f"{self.id:06d}" if self.id else "-"

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def subtotal(self) -> Money:
        return Money(self.subtotal_minor, self.currency)

    @property
    def shipping(self) -> Money:
        return Money(self.shipping_minor, self.currency)

    @property
    def discount(self) -> Money:
        return Money(self.discount_minor, self.currency)

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def refundable_minor(self) -> int:
        collected = self.paid_minor if self.paid_minor is not None else self.total_minor
        return max(collected - self.refunded_minor, 0)

    @property
    def is_settled(self) -> bool:
        """Money has been collected (whatever happened afterwards)."""
        return self.paid_at is not None


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    # Kept even if the variant is later deleted: the line copies what was sold, at what price.
    variant_id: int | None = Field(default=None, foreign_key="variant.id", index=True)
    sku: str = Field(max_length=64)
    title: str = Field(max_length=300)
    unit_price_minor: int = Field(sa_type=sa.BigInteger)
    quantity: int
    total_minor: int = Field(sa_type=sa.BigInteger)

    order: "Order" = Relationship(back_populates="lines")

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.order.currency)

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.order.currency)


class OrderEvent(SQLModel, table=True):
    """One entry of an order's timeline: what happened, when, and who or what said so."""

    __tablename__ = "order_event"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    kind: str = Field(max_length=40)  # e.g. "created", "paid", "refund", "amount_mismatch"
    message: str = Field(default="", max_length=500)
    source: str = Field(default="", max_length=80)  # "stripe:evt_…", "sandbox", "owner@example.com", "reconcile"
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))

    order: "Order" = Relationship(back_populates="events")


class DiscountKind(enum.StrEnum):
    percent = "percent"  # a share of the subtotal
    fixed = "fixed"  # an amount off the subtotal, in one currency


class DiscountCode(SQLModel, table=True):
    """A code shoppers type (or a platform passes along) for money off the subtotal; shipping is never discounted.

    Codes are stored upper case and matched case-insensitively. A code is never deleted once orders may carry
    it (``Order.discount_code``); the owner disables it instead.
    """

    __tablename__ = "discount_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)
    kind: DiscountKind = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    percent: int | None = None  # 1..100 for ``percent``
    amount_minor: int | None = Field(default=None, sa_type=sa.BigInteger)  # for ``fixed``, in ``currency``
    currency: str | None = Field(default=None, max_length=3)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())

    @property
    def amount(self) -> Money | None:
        """The fixed amount off, as :class:`Money` (``None`` for a percentage)."""
        if self.kind != DiscountKind.fixed:
            return None
        return Money(self.amount_minor or 0, self.currency or "EUR")


class PaymentEvent(SQLModel, table=True):
    """A provider notification already processed, by its id: a replayed webhook finds its row and stops."""

    __tablename__ = "payment_event"

    id: str = Field(primary_key=True, max_length=255)  # e.g. "stripe:evt_…"
    provider: str = Field(max_length=40)
    kind: str = Field(max_length=80)
    order_id: int | None = Field(default=None, foreign_key="shop_order.id", index=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Refund(SQLModel, table=True):
    """A refund asked of the provider, or reported by it; unique per provider reference."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="shop_order.id", index=True)
    amount_minor: int = Field(sa_type=sa.BigInteger)
    reference: str | None = Field(default=None, max_length=255, unique=True)
    status: str = Field(default="succeeded", max_length=20)
    reason: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=254)
    # The admin form's nonce: a double-clicked Refund button finds this row and refunds nothing more.
    request_key: str | None = Field(default=None, max_length=80, unique=True)


def order_for_update_clause(order_id: int):
    """``UPDATE shop_order SET version = version + 1 WHERE id = :id``: takes the row's write lock portably."""
    table = Order.__table__
    return sa.update(table).where(table.c.id == order_id).values(version=table.c.version + 1)

