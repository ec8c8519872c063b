"""Payment providers: the small contract between the shop's checkout and whoever moves the money.

A provider is a class (see :class:`PaymentProvider`) contributed through the ``shopbridge_payment_providers``
hook; the built-in ``sandbox`` and ``stripe`` providers are registered exactly like a third-party plugin's.
The checkout builds a :class:`CheckoutRequest` from an order it has already priced and reserved, and the
provider answers with a :class:`CheckoutRedirect` (where to send the shopper). Later the provider's
notifications — webhooks, a hosted page, a reconciliation poll — are turned into :class:`PaymentState` values
and handed to :mod:`shopbridge.checkout.service`, which owns every order transition. Providers never touch
orders or stock themselves.

Failures the shopper or the owner should hear about are raised as :class:`PaymentError`, with a message fit
to show; anything else is a bug.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from flask import Flask, current_app
from sqlmodel import Session


class PaymentError(Exception):
    """The provider refused or could not be reached. ``str(exc)`` is safe to show to the person acting."""

    def __init__(self, message: str, *, code: str = "provider_error", retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass(frozen=True)
class CheckoutLine:
    sku: str
    title: str
    unit_price_minor: int
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a provider needs to open a payment for one order; all amounts computed by the shop."""

    order_id: int
    order_token: str
    currency: str
    lines: tuple[CheckoutLine, ...]
    shipping_minor: int
    total_minor: int
    shipping_country: str
    email: str | None
    success_url: str  # the shopper's order page: shows "processing" until the payment is confirmed
    cancel_url: str
    expires_at: datetime
    idempotency_key: str  # the same order always sends the same key: a retry never opens a second payment
    metadata: Mapping[str, str] = field(default_factory=dict)
    # The shop's own discount code, already taken off ``total_minor`` (lines are at full price): a provider that
    # itemises lines must take ``discount_minor`` off too, or it would charge more than the total.
    discount_minor: int = 0
    discount_code: str | None = None


@dataclass(frozen=True)
class CheckoutRedirect:
    """Where to send the shopper, and the provider's reference for the payment it opened."""

    url: str
    reference: str
    expires_at: datetime | None = None


class PaymentOutcome(enum.StrEnum):
    open = "open"  # the shopper has not finished yet
    processing = "processing"  # finished, money not yet confirmed (bank transfer, "pay later")
    paid = "paid"
    failed = "failed"  # an asynchronous payment failed: the order is cancelled
    expired = "expired"  # the shopper never paid before the session expired


@dataclass(frozen=True)
class PaymentState:
    """What a provider knows about one checkout, in the shop's terms."""

    reference: str
    outcome: PaymentOutcome
    amount_minor: int | None = None  # what was (or will be) collected, after discounts
    currency: str | None = None
    discount_minor: int = 0
    payment_reference: str | None = None  # e.g. a Stripe PaymentIntent id, used for refunds and disputes
    order_id: int | None = None
    email: str | None = None
    customer_name: str = ""
    phone: str = ""
    shipping_address: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefundResult:
    reference: str
    amount_minor: int
    status: str = "succeeded"  # or "pending": the provider accepted it and will confirm later


class PaymentProvider:
    """Base class of every payment provider. Subclass it and return the class from the hook.

    Identity (``identifier``, ``verbose_name``), capability flags with safe defaults, and four verbs. The
    money-moving verbs are :meth:`create_checkout` (the shopper pays on the provider's page) and
    :meth:`refund`; both must be safe to retry with the same input.
    """

    identifier: ClassVar[str] = ""
    verbose_name: ClassVar[str] = ""
    #: Whether the owner can refund through the shop's admin, and whether less than the full amount.
    supports_refunds: ClassVar[bool] = False
    supports_partial_refunds: ClassVar[bool] = False
    #: A provider that moves no real money (the sandbox); the admin and the pay page say so loudly.
    test_only: ClassVar[bool] = False

    def __init__(self, app: Flask, session: Session | None = None):
        self.app = app
        self.session = session

    def is_configured(self) -> bool:
        """True when the provider has what it needs (keys …) to take a payment."""
        return True

    def create_checkout(self, request: CheckoutRequest) -> CheckoutRedirect:
        """Open a payment for the order and say where the shopper goes. Raise :class:`PaymentError`."""
        raise NotImplementedError

    def fetch_state(self, reference: str) -> PaymentState:
        """Ask the provider what became of a checkout (the success page and reconciliation use this)."""
        raise NotImplementedError

    def cancel_checkout(self, reference: str) -> None:  # noqa: B027 - optional verb, nothing to do by default
        """Stop a checkout from being paid (the order was cancelled in the shop). Optional."""

    def refund(self, payment_reference: str, amount_minor: int, currency: str, *, idempotency_key: str,
               reason: str = "") -> RefundResult:
        """Give ``amount_minor`` back to the shopper. Only called when ``supports_refunds`` is true."""
        raise PaymentError("This payment provider cannot refund through the shop.", code="unsupported")


def available_providers(app: Flask | None = None) -> dict[str, type[PaymentProvider]]:
    """Every provider class the installed plugins contribute, by identifier (the first one registered wins)."""
    from shopbridge.plugins import manager

    app = app or current_app
    found: dict[str, type[PaymentProvider]] = {}
    # pluggy calls the most recently registered plugin first; reversed, the built-ins (registered first) come
    # first, so an installed plugin cannot silently replace "stripe" or "sandbox".
    for result in reversed(manager(app).hook.shopbridge_payment_providers()):
        for provider in result or []:
            cls = provider if isinstance(provider, type) else type(provider)
            if not cls.identifier:
                raise TypeError(f"payment provider {cls!r} has no identifier")
            found.setdefault(cls.identifier, cls)
    return found


def active_identifier(session: Session, app: Flask | None = None) -> str:
    """Which provider takes payments now.

    The owner's explicit choice in the admin wins. Without one, a configured Stripe secret key means Stripe:
    a live shop with keys never silently falls back to the sandbox, which would "sell" without collecting
    money. Otherwise ``PAYMENT_PROVIDER`` (default ``sandbox``, which suits the demo and development).
    """
    from shopbridge import settings

    app = app or current_app
    chosen = settings.get(session, "payments.provider", app=app)
    if chosen:
        return str(chosen)
    configured = app.config.get("PAYMENT_PROVIDER") or "sandbox"
    if configured == "sandbox" and _stripe_key_configured(session, app):
        return "stripe"
    return configured


def _stripe_key_configured(session: Session, app: Flask) -> bool:
    from shopbridge import settings

    return bool(app.config.get("STRIPE_SECRET_KEY") or settings.get(session, "stripe.secret_key", app=app))


def get_provider(session: Session, identifier: str | None = None, app: Flask | None = None) -> PaymentProvider:
    """An instance of the named provider (default: the active one), or :class:`PaymentError` if unknown."""
    app = app or current_app
    identifier = identifier or active_identifier(session, app)
    cls = available_providers(app).get(identifier)
    if cls is None:
        raise PaymentError(f"Payment provider {identifier!r} is not installed.", code="unknown_provider")
    return cls(app, session)
