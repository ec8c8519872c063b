"""Prices, shipping and totals, always computed on the server from the catalogue.

The request says only *which* variants and *how many*; everything with a price on it comes from here, so a
tampered form can change what is bought, never what it costs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import Flask, current_app
from sqlmodel import Session, select

from shopbridge.catalogue.models import Product, ProductStatus, Variant
from shopbridge.money import Money

#: Most of one variant a single order may take; keeps a typo ("100" for "10") from reserving a whole shelf.
MAX_QUANTITY = 20
#: Flat shipping by destination, in the shop's currency's minor units; the owner edits them in the admin.
DEFAULT_SHIPPING_RATES = {"IT": 500, "FR": 900, "DE": 900, "ES": 900, "AT": 900, "NL": 900, "BE": 900}
SHIPPING_SETTING = "checkout.shipping_rates"


class CheckoutError(Exception):
    """The shopper asked for something the shop cannot sell; ``field`` names the input that is wrong."""

    def __init__(self, message: str, field: str = "", *, code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class LineRequest:
    """One line as the shopper asked for it: a variant id and a quantity, nothing else."""

    variant_id: int
    quantity: int


@dataclass(frozen=True)
class QuotedLine:
    variant: Variant
    quantity: int
    unit_price_minor: int

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity

    @property
    def title(self) -> str:
        return self.variant.title


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuotedLine, ...]
    currency: str
    shipping_country: str
    shipping_minor: int
    # Set by with_discount(): the code (upper case) and what it takes off the subtotal (never more than it).
    discount_code: str | None = None
    discount_minor: int = 0
    discount_label: str = ""  # "20%" or "5.00 EUR", for the order timeline
    discount_percent: int | None = None  # set for percentage codes, shown next to the code

    @property
    def subtotal_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor - self.discount_minor + self.shipping_minor

    @property
    def discount(self) -> Money:
        return Money(self.discount_minor, self.currency)

    @property
    def subtotal(self) -> Money:
        return Money(self.subtotal_minor, self.currency)

    @property
    def shipping(self) -> Money:
        return Money(self.shipping_minor, self.currency)

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


def shipping_rates(session: Session, app: Flask | None = None) -> dict[str, int]:
    """``{country: minor units}``: the admin's rates, else ``SHIPPING_RATES`` from the config, else defaults."""
    from shopbridge import settings

    app = app or current_app
    stored = settings.get(session, SHIPPING_SETTING, app=app)
    rates = stored if isinstance(stored, Mapping) and stored else app.config.get("SHIPPING_RATES")
    rates = rates or DEFAULT_SHIPPING_RATES
    return {str(k).upper(): int(v) for k, v in rates.items()}


def default_country(session: Session, app: Flask | None = None) -> str:
    """The destination a one-tap "buy now" assumes: ``SHOP_COUNTRY`` if it ships there, else the first rate."""
    app = app or current_app
    rates = shipping_rates(session, app)
    home = str(app.config.get("SHOP_COUNTRY", "")).upper()
    return home if home in rates else next(iter(rates), "")


def parse_quantity(raw: object, field: str = "quantity") -> int:
    try:
        quantity = int(str(raw).strip())
    except (TypeError, ValueError):
        raise CheckoutError("Quantity must be a whole number.", field) from None
    if quantity < 1:
        raise CheckoutError("Quantity must be at least 1.", field)
    if quantity > MAX_QUANTITY:
        raise CheckoutError(f"At most {MAX_QUANTITY} of one item per order.", field)
    return quantity


def quote(session: Session, requested: Iterable[LineRequest], country: str, *,
          app: Flask | None = None, check_stock: bool = True) -> Quote:
    """Price ``requested`` for delivery to ``country``, or raise :class:`CheckoutError`.

    Lines for the same variant are merged. Only variants of active products can be bought; all lines must be
    in the shop's currency (shipping rates are kept in it). ``check_stock`` gives the shopper a friendly
    answer early; the reservation in :func:`shopbridge.checkout.service.create_order` is what actually
    guarantees the stock.
    """
    app = app or current_app
    merged: dict[int, int] = {}
    for line in requested:
        merged[line.variant_id] = merged.get(line.variant_id, 0) + line.quantity
    if not merged:
        raise CheckoutError("Your cart is empty.", "lines", code="empty")
    variants = {
        v.id: v
        for v in session.exec(
            select(Variant).join(Product).where(Variant.id.in_(list(merged)))  # type: ignore[union-attr]
        ).all()
    }
    currency = str(app.config.get("DEFAULT_CURRENCY", "EUR"))
    quoted = []
    for index, (variant_id, quantity) in enumerate(merged.items()):
        field = f"lines.{index}"
        variant = variants.get(variant_id)
        if variant is None or variant.product.status != ProductStatus.active:
            raise CheckoutError("This item is not for sale.", f"{field}.variant_id", code="unavailable")
        if quantity > MAX_QUANTITY:
            raise CheckoutError(f"At most {MAX_QUANTITY} of one item per order.", f"{field}.quantity")
        if variant.currency != currency:
            raise CheckoutError("This item is priced in another currency.", f"{field}.variant_id")
        if check_stock and quantity > variant.stock:
            message = ("Sorry, this item is sold out." if variant.stock == 0
                       else f"Only {variant.stock} left of {variant.product.title}.")
            raise CheckoutError(message, f"{field}.quantity", code="out_of_stock")
        quoted.append(QuotedLine(variant=variant, quantity=quantity, unit_price_minor=variant.price_minor))
    rates = shipping_rates(session, app)
    country = (country or "").strip().upper()
    if country not in rates:
        raise CheckoutError("We do not ship to this country.", "country", code="country")
    return Quote(lines=tuple(quoted), currency=currency, shipping_country=country, shipping_minor=rates[country])


def with_discount(session: Session, priced: Quote, code: str | None) -> Quote:
    """``priced`` with discount ``code`` applied to its subtotal, or :class:`CheckoutError` (field
    ``discount_code``) saying why the code cannot be used: unknown, disabled, expired or another currency."""
    from dataclasses import replace

    from shopbridge.checkout.discounts import evaluate

    applied = evaluate(session, code, subtotal_minor=priced.subtotal_minor, currency=priced.currency)
    return replace(priced, discount_code=applied.code, discount_minor=applied.amount_minor,
                   discount_label=applied.label, discount_percent=applied.percent)
