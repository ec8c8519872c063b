"""Discount codes: the owner makes them in ``/admin/discounts``; the checkout applies them on the server.

A code takes a percentage or a fixed amount (minor units, one currency) off the order's **subtotal**; shipping is
never discounted and a discount never exceeds the subtotal. Percentages round down to the minor unit, in the
shop's favour by at most one cent. Codes are matched case-insensitively (stored upper case), may expire, and are
disabled rather than deleted, because orders keep the code they used.

Everything here takes an explicit ``session`` and never reads the request: the checkout view, the cart that
arrives from a channel (``shopbridge.checkout.arrivals``) and tests call the same functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from shopbridge import audit
from shopbridge.checkout.models import DiscountCode, DiscountKind
from shopbridge.checkout.pricing import CheckoutError
from shopbridge.db import utcnow
from shopbridge.money import Money, MoneyError, normalise_currency

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")


class DiscountError(CheckoutError):
    """A code that cannot be made, or cannot be used for this order; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str = "discount_code"):
        super().__init__(message, field, code="discount")


@dataclass(frozen=True)
class AppliedDiscount:
    code: str
    amount_minor: int
    label: str  # "20%" or "5.00 EUR", for the order timeline
    percent: int | None = None  # for the checkout page: "SUMMER20 (20%)"


def normalise(code: str | None) -> str:
    return (code or "").strip().upper()


def get(session: Session, code: str | None) -> DiscountCode | None:
    wanted = normalise(code)
    if not CODE_RE.match(wanted):
        return None
    return session.exec(select(DiscountCode).where(DiscountCode.code == wanted)).first()


def list_codes(session: Session) -> list[DiscountCode]:
    return list(session.exec(select(DiscountCode).order_by(DiscountCode.enabled.desc(),  # type: ignore[attr-defined]
                                                            DiscountCode.code)).all())


def create_code(session: Session, *, code: str, kind: str, percent: int | None = None,
                amount_minor: int | None = None, currency: str | None = None, expires_at: datetime | None = None,
                user=None) -> DiscountCode:
    """Make a code, or raise :class:`DiscountError` naming the field to fix (nothing is written then)."""
    wanted = normalise(code)
    if not CODE_RE.match(wanted):
        raise DiscountError("Use 2 to 40 letters, digits, '-' or '_' (e.g. SUMMER20).", "code")
    if get(session, wanted) is not None:
        raise DiscountError(f"The code {wanted} already exists; disable it or choose another.", "code")
    if kind == DiscountKind.percent:
        if percent is None or not 1 <= percent <= 100:
            raise DiscountError("A percentage must be between 1 and 100.", "percent")
        amount_minor, currency = None, None
    elif kind == DiscountKind.fixed:
        if amount_minor is None or amount_minor < 1:
            raise DiscountError("Enter an amount above zero, in minor units (500 = 5.00).", "amount_minor")
        if not (currency or "").strip():
            raise DiscountError("Enter the amount's currency (e.g. EUR).", "currency")
        try:
            currency = normalise_currency(currency)
        except MoneyError as exc:
            raise DiscountError(str(exc), "currency") from None
        percent = None
    else:
        raise DiscountError("Choose a percentage or a fixed amount.", "kind")
    if expires_at is not None and expires_at <= utcnow():
        raise DiscountError("The expiry date is in the past.", "expires_at")
    discount = DiscountCode(code=wanted, kind=DiscountKind(kind), percent=percent, amount_minor=amount_minor,
                            currency=currency, expires_at=expires_at)
    session.add(discount)
    session.flush()
    audit.record(session, user, "discount.create", discount,
                 {"code": wanted, "kind": str(kind), "percent": percent, "amount_minor": amount_minor,
                  "currency": currency, "expires_at": expires_at})
    return discount


def set_enabled(session: Session, discount: DiscountCode, enabled: bool, user=None) -> DiscountCode:
    if discount.enabled != enabled:
        discount.enabled = enabled
        discount.updated_at = utcnow()
        session.add(discount)
        audit.record(session, user, "discount.enable" if enabled else "discount.disable", discount,
                     {"enabled": [not enabled, enabled]})
    return discount


def evaluate(session: Session, code: str | None, *, subtotal_minor: int, currency: str,
             now: datetime | None = None) -> AppliedDiscount:
    """What ``code`` takes off a subtotal, or :class:`DiscountError` with a message the shopper can act on."""
    shown = normalise(code)[:40]
    discount = get(session, code)
    if discount is None or not discount.enabled:
        raise DiscountError(f"The discount code “{shown}” is not valid in this shop.")
    if discount.is_expired(now):
        raise DiscountError(f"The discount code “{shown}” has expired.")
    if discount.kind == DiscountKind.percent:
        amount = subtotal_minor * int(discount.percent or 0) // 100
        label = f"{discount.percent}%"
    else:
        if discount.currency != currency:
            raise DiscountError(f"The discount code “{shown}” cannot be used for prices in {currency}.")
        amount = min(int(discount.amount_minor or 0), subtotal_minor)
        label = str(Money(int(discount.amount_minor or 0), currency))
    return AppliedDiscount(code=discount.code, amount_minor=max(amount, 0), label=label,
                           percent=discount.percent if discount.kind == DiscountKind.percent else None)
