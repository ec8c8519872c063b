"""Test kit for the WhatsApp plugin: a channel, a small shop implementing the plugin's ``ShopServices``, and
builders for webhook payloads shaped like Meta's (``WebhookPayload`` → entry → changes → value with
``messages``/``statuses``, as in the Cloud API's official webhook examples)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shopbridge.channels import ChannelContext, InboundRequest, PlatformHTTP, ProductInfo
from shopbridge.money import Money

TOKEN = "EAAGm0PX4ZCpsBAKZAZBqv5ZCTestAccessTokenWhatsApp0123"
APP_SECRET = "9f4d8e2b1c7a6e5d4c3b2a1f0e9d8c7b"
VERIFY_TOKEN = "acme-verify-7c2e9d41f0"
PHONE_NUMBER_ID = "106540352242922"
CATALOGUE_ID = "194836987003835"
SHOPPER = "16505551234"


def make_channel(base_url: str, *, dry_run: bool = False, recorder=None, **settings: Any) -> ChannelContext:
    values = {"phone_number_id": PHONE_NUMBER_ID, "access_token": TOKEN, "app_secret": APP_SECRET,
              "verify_token": VERIFY_TOKEN, "catalogue_id": "", "graph_version": "v23.0", "graph_base_url": base_url}
    values.update(settings)
    secrets = tuple(str(values[k]) for k in ("access_token", "app_secret", "verify_token") if values[k])
    return ChannelContext(id=3, name="Acme WhatsApp", type="whatsapp", settings=values,
                          http=PlatformHTTP(secrets=secrets, dry_run=dry_run, recorder=recorder), dry_run=dry_run,
                          webhook_url="https://shop.example/webhooks/channels/3", shop_name="Acme Ceramics",
                          shop_url="https://shop.example/")


# --- the shop -----------------------------------------------------------------------------------------------

@dataclass
class Option:
    item_id: str
    label: str
    price: Money
    stock: int

    @property
    def available(self) -> bool:
        return self.stock > 0


@dataclass(frozen=True)
class Line:
    title: str
    quantity: int
    unit_price: Money

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Pending:
    reference: str
    checkout_url: str
    currency: str
    lines: tuple[Line, ...]
    shipping: Money
    notes: tuple[str, ...]
    channel_id: int
    customer: Any

    @property
    def total(self) -> Money:
        return sum((line.total for line in self.lines), self.shipping)


@dataclass
class FakeShop:
    products: dict[int, ProductInfo] = field(default_factory=dict)
    options: dict[int, list[Option]] = field(default_factory=dict)
    orders: list[Pending] = field(default_factory=list)

    def add(self, pid: int, slug: str, title: str, price_minor: int, variants: list[tuple[str, str, int, int]]):
        self.products[pid] = ProductInfo(id=pid, slug=slug, title=title, description=f"{title}, glazed by hand.",
                                         brand="Acme", url=f"https://shop.example/p/{slug}",
                                         image_url=f"https://shop.example/media/{slug}.jpg", image_alt=title,
                                         price=Money(price_minor, "USD"))
        self.options[pid] = [Option(item, label, Money(p, "USD"), s) for item, label, p, s in variants]
        return self.products[pid]

    def _option(self, item_id: str) -> tuple[ProductInfo, Option] | None:
        for pid, options in self.options.items():
            for option in options:
                if option.item_id == item_id:
                    return self.products[pid], option
        return None

    def find_product(self, ref: str):
        for pid, product in self.products.items():
            if ref in (str(pid), product.slug) or any(o.item_id == ref for o in self.options[pid]):
                return product
        return None

    def product_options(self, product_id: int):
        return list(self.options[product_id])

    def tracked_link(self, product, *, channel_id: int, medium: str = "chat") -> str:
        return f"https://shop.example/l/{product.slug}-wa{channel_id}"

    def create_pending_order(self, lines, *, channel_id: int, customer):
        priced, notes = [], []
        for item_id, quantity in lines:
            found = self._option(item_id)
            if found is None:
                notes.append("One item is no longer sold and was left out.")
                continue
            product, option = found
            if option.stock < quantity:
                if option.stock == 0:
                    notes.append(f"{product.title} is sold out and was left out.")
                    continue
                notes.append(f"Only {option.stock} {product.title} left: quantity set to {option.stock}.")
                quantity = option.stock
            option.stock -= quantity
            priced.append(Line(product.title if option.label == "Default" else f"{product.title} ({option.label})",
                               quantity, option.price))
        if not priced:
            raise ValueError("Sorry, nothing in this cart can be ordered right now.")
        order = Pending(f"wa_{len(self.orders) + 1}", f"https://shop.example/checkout/wa_{len(self.orders) + 1}",
                        "USD", tuple(priced), Money(500, "USD"), tuple(notes), channel_id, customer)
        self.orders.append(order)
        return order


# --- webhook payloads -------------------------------------------------------------------------------------

_ids = itertools.count(1)


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "419561257915477", "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID}, **value},
        "field": "messages"}]}]}


def inbound(message: dict[str, Any], *, at: datetime, sender: str = SHOPPER, name: str = "Sheena Nelson"):
    return envelope({"contacts": [{"profile": {"name": name}, "wa_id": sender}],
                     "messages": [{"from": sender, "id": f"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQz{next(_ids):06d}",
                                   "timestamp": str(int(at.timestamp())), **message}]})


def text_message(body: str, *, at: datetime, **kwargs) -> dict[str, Any]:
    return inbound({"type": "text", "text": {"body": body}}, at=at, **kwargs)


def order_message(items: list[tuple[str, int, float]], *, at: datetime, currency: str = "USD") -> dict[str, Any]:
    return inbound({"type": "order", "order": {"catalog_id": CATALOGUE_ID, "text": "", "product_items": [
        {"product_retailer_id": rid, "quantity": qty, "item_price": price, "currency": currency}
        for rid, qty, price in items]}}, at=at)


def button_reply(button_id: str, title: str, *, at: datetime) -> dict[str, Any]:
    return inbound({"type": "interactive", "context": {"from": "15550783881", "id": "wamid.PREVIOUS"},
                    "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}}}, at=at)


def failed_status(message_id: str, *, at: datetime, code: int = 131047) -> dict[str, Any]:
    return envelope({"statuses": [{"id": message_id, "status": "failed", "timestamp": str(int(at.timestamp())),
                                   "recipient_id": SHOPPER, "errors": [{
                                       "code": code, "title": "Re-engagement message",
                                       "message": "Re-engagement message", "error_data": {
                                           "details": "Message failed to send because more than 24 hours have "
                                                      "passed since the customer last replied to this number."}}]}]})


def signed(payload: dict[str, Any], secret: str = APP_SECRET) -> InboundRequest:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return InboundRequest(method="POST", path="/webhooks/channels/3",
                          headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
                          args={}, body=body)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
