"""Buy links and the hits they receive.

A :class:`BuyLink` is a short code (``/b/<code>``) that sends a shopper to a product, a variant, or straight to
checkout for a variant, and says where the shopper came from (channel, campaign, placement). Every visit is a
:class:`Hit`: one narrow row, spooled by the request that answers the redirect and moved into the table in
batches (:mod:`shopbridge.links.spool`).

Conversions join here without a new table: checkout stores the ``link_code`` of the last buy link a shopper
followed on the order (read from the ``sb_ref`` cookie, :mod:`shopbridge.links.attribution`), so revenue per link is
``order.link_code = buy_link.code``. A code never changes once issued, which is what makes it a stable join key.
"""

# No `from __future__ import annotations` here: SQLModel resolves relationship types at class creation.
import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from shopbridge.db import UTCDateTime, utcnow


class Destination(enum.StrEnum):
    product = "product"  # the product page (variant preselected when the link targets one)
    checkout = "checkout"  # "scan to buy": straight into checkout for the variant


class HitKind(enum.StrEnum):
    click = "click"  # /b/<code>: a link followed in a post, a chat, an e-mail
    scan = "scan"  # /q/<code>: the URL only QR codes carry


class BuyLink(SQLModel, table=True):
    __tablename__ = "buy_link"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    variant_id: int | None = Field(default=None, foreign_key="variant.id", index=True)
    destination: str = Field(default=Destination.product.value, max_length=16)
    channel: str = Field(default="", max_length=40, index=True)
    campaign: str = Field(default="", max_length=80, index=True)
    placement: str = Field(default="", max_length=120)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    enabled: bool = True
    # The shop's own link for a product or variant, made on demand (storefront QR, labels); one per target.
    is_default: bool = Field(default=False, index=True)
    # Set by plugins that publish posts (a later feature): which post this link was made for. No FK yet.
    post_id: int | None = Field(default=None, index=True)
    # Bumped on every change, so cached QR images and printables keyed by it are never served stale.
    version: int = 1
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())

    @property
    def is_live(self) -> bool:
        return self.enabled and not self.is_expired()


class Hit(SQLModel, table=True):
    """One visit of a buy link. No IP address: ``visitor`` is a salted hash whose salt changes every day."""

    __tablename__ = "link_hit"
    __table_args__ = (sa.Index("ix_link_hit_link_day", "link_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The UTC day of ``at``: daily series group on it with plain equality on every database.
    day: date = Field(index=True)
    link_id: int = Field(foreign_key="buy_link.id")
    kind: str = Field(max_length=8)
    device: str = Field(max_length=8)  # android, ios, desktop, other
    in_app: str | None = Field(default=None, max_length=24)  # Instagram, WhatsApp … when recognisable
    referrer_host: str | None = Field(default=None, max_length=120)
    is_bot: bool = False
    # The link was disabled or expired (or its product archived) when visited: the shopper saw the "no longer
    # available" page. Counted apart, like bots — a poster still scanned after its campaign is worth knowing about.
    ended: bool = False
    bot_name: str | None = Field(default=None, max_length=40)
    visitor: str = Field(max_length=32)


class HitBatch(SQLModel, table=True):
    """A spool file of hits already moved into ``link_hit`` (see :mod:`shopbridge.links.spool`).

    Written in the same transaction as the hits, so a file that is ingested twice (its process died between
    the commit and deleting the file) is recognised and never counted twice.
    """

    __tablename__ = "link_hit_batch"

    name: str = Field(primary_key=True, max_length=200)
    hits: int = 0
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
