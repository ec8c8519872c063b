"""Catalogue tables: the shop's own source of truth for what it sells."""

# No `from __future__ import annotations` here: SQLModel resolves relationship types at class creation.
import enum
from datetime import datetime
from typing import Any, Optional  # Optional["X"]: SQLModel cannot resolve "X | None" strings

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from shopbridge.db import UTCDateTime, utcnow
from shopbridge.money import Money


class ProductStatus(enum.StrEnum):
    draft = "draft"
    active = "active"
    archived = "archived"


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True, index=True)
    name: str = Field(max_length=120)
    position: int = 0

    products: list["Product"] = Relationship(back_populates="category")


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=160, unique=True, index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    brand: str = Field(default="", max_length=120)
    category_id: int | None = Field(default=None, foreign_key="category.id", index=True)
    status: ProductStatus = Field(
        default=ProductStatus.draft,
        sa_column=sa.Column(sa.String(16), nullable=False, index=True, server_default="draft"),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)

    category: Optional["Category"] = Relationship(back_populates="products")
    variants: list["Variant"] = Relationship(
        back_populates="product",
        sa_relationship_kwargs={"order_by": "Variant.position", "cascade": "all, delete-orphan"},
    )
    images: list["Image"] = Relationship(
        back_populates="product",
        sa_relationship_kwargs={"order_by": "Image.position", "cascade": "all, delete-orphan"},
    )

    @property
    def is_active(self) -> bool:
        return self.status == ProductStatus.active

    @property
    def in_stock(self) -> bool:
        return any(v.stock > 0 for v in self.variants)

    @property
    def cheapest_variant(self) -> Optional["Variant"]:
        available = [v for v in self.variants if v.stock > 0] or list(self.variants)
        return min(available, key=lambda v: v.price_minor, default=None)

    @property
    def main_image(self) -> Optional["Image"]:
        return self.images[0] if self.images else None


class Variant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    sku: str = Field(max_length=64, unique=True, index=True)
    # e.g. {"size": "M", "colour": "Blue"}; order of keys is the order options are shown in.
    options: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    # 64-bit: a 32-bit column tops out at 21 million euros in cents, and PostgreSQL refuses what SQLite keeps.
    price_minor: int = Field(ge=0, sa_type=sa.BigInteger)
    compare_at_minor: int | None = Field(default=None, ge=0, sa_type=sa.BigInteger)
    currency: str = Field(max_length=3)
    stock: int = Field(default=0, ge=0)
    gtin: str | None = Field(default=None, max_length=14)
    position: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    product: "Product" = Relationship(back_populates="variants")

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    @property
    def compare_at(self) -> Money | None:
        if self.compare_at_minor is None or self.compare_at_minor <= self.price_minor:
            return None
        return Money(self.compare_at_minor, self.currency)

    @property
    def label(self) -> str:
        return " / ".join(str(v) for v in self.options.values()) or "Default"

    @property
    def title(self) -> str:
        """What a shopper reads on an order line: "Linen shirt (Red / M)", or just the product's title."""
        label = self.label
        return self.product.title if label == "Default" else f"{self.product.title} ({label})"


class Image(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    # Path of the stored original, relative to UPLOAD_DIR; generated sizes sit beside it (see images.py).
    path: str = Field(max_length=255)
    content_type: str = Field(max_length=40)
    width: int
    height: int
    sizes: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    alt: str = Field(default="", max_length=300)
    position: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    product: "Product" = Relationship(back_populates="images")
