"""Money: integer minor units and an ISO 4217 currency, never a float.

``Money(1999, "EUR")`` is €19.99; ``Money(1999, "JPY")`` is ¥1,999, because the yen has no minor unit. The
number of decimals comes from the currency (via Babel's CLDR data), so prices typed by a person are parsed
with the right scale and shown with the right symbol and separators for the shopper's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

_KNOWN_CURRENCIES = frozenset(list_currencies())


class MoneyError(ValueError):
    """A currency or amount that cannot be money (unknown code, too many decimals, not a number)."""


def normalise_currency(code: str) -> str:
    """Return ``code`` upper-cased if it is an ISO 4217 currency, else raise :class:`MoneyError`."""
    upper = (code or "").strip().upper()
    if len(upper) != 3 or upper not in _KNOWN_CURRENCIES:
        raise MoneyError(f"“{code}” is not an ISO 4217 currency code (for example EUR, USD, GBP).")
    return upper


def minor_digits(currency: str) -> int:
    return get_currency_precision(normalise_currency(currency))


@dataclass(frozen=True, slots=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise MoneyError("amounts are whole numbers of minor units (cents)")
        object.__setattr__(self, "currency", normalise_currency(self.currency))

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a human amount such as ``"19.99"`` or ``"19,99"`` into minor units of ``currency``."""
        digits = minor_digits(currency)
        cleaned = (text or "").strip().replace(" ", "")
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise MoneyError(f"“{text}” is not an amount") from None
        if not value.is_finite():
            raise MoneyError(f"“{text}” is not an amount")
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{currency} amounts have at most {digits} decimals")
        return cls(int(scaled), currency)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.amount_minor).scaleb(-minor_digits(self.currency))

    def __add__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int):
            raise MoneyError("money is multiplied by whole quantities only")
        return Money(self.amount_minor * quantity, self.currency)

    def _check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def plain(self) -> str:
        """The amount as a plain decimal string, as feeds and Open Graph want it: ``"19.99"``."""
        return f"{self.decimal:.{minor_digits(self.currency)}f}"

    def format(self, locale: str | Locale = "en") -> str:
        """The amount for a person reading ``locale``: ``€19.99`` in English, ``19,99 €`` in Italian."""
        return format_currency(self.decimal, self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"
