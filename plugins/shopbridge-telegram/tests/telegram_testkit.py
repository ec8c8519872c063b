"""Test kit for the Telegram plugin: a channel pointing at the fake Bot API, a small in-memory shop implementing
:class:`shopbridge_telegram.shop.ShopServices`, and builders for Telegram updates shaped like the real ones
(Update, Message, CallbackQuery, PreCheckoutQuery, SuccessfulPayment)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from shopbridge.channels import ChannelContext, InboundRequest, PlatformHTTP, ProductInfo
from shopbridge.money import Money

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
WEBHOOK_SECRET = "wh_secret-Token_0123456789abcdef"
PROVIDER_TOKEN = "284685063:TEST:NjQ1OGQ5YWI0NmRk"





def make_channel(base_url: str, *, dry_run: bool = False, recorder=None, **settings: Any) -> ChannelContext:
    values = {"bot_token": TOKEN, "channel_id": "@acme_shop", "webhook_secret": WEBHOOK_SECRET,
              "payment_provider_token": PROVIDER_TOKEN, "bot_username": "acme_shop_bot", "api_base_url": base_url}
    values.update(settings)
    secrets = tuple(str(values[k]) for k in ("bot_token", "webhook_secret", "payment_provider_token") if values[k])
    saved: dict[str, Any] = {}
    return ChannelContext(
        id=7, name="Acme on Telegram", type="telegram", settings=values,
        http=PlatformHTTP(secrets=secrets, dry_run=dry_run, recorder=recorder),
        dry_run=dry_run, webhook_url="https://shop.example/webhooks/channels/7", shop_name="Acme",
        shop_url="https://shop.example/", save_settings=saved.update,
    )



# --- a small shop implementing the ShopServices protocol ------------------------------------------------

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
class Category:
    slug: str
    name: str


@dataclass(frozen=True)
class Line:
    title: str
    quantity: int
    unit_price: Money

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


@dataclass
class Pending:
    reference: str
    checkout_url: str
    currency: str
    lines: tuple[Line, ...]
    shipping: Money
    items: tuple[tuple[str, int], ...]
    customer: Any
    channel_id: int
    notes: tuple[str, ...] = ()
    reserved: bool = True  # the shop releases reservations of orders left unpaid

    @property
    def total(self) -> Money:
        return sum((line.total for line in self.lines), self.shipping)


@dataclass(frozen=True)
class Paid:
    reference: str
    number: str
    created: bool


@dataclass
class FakeShop:
    """Prices and stock live here, as in the real shop: nothing the chat says about prices is trusted."""

    products: dict[int, ProductInfo] = field(default_factory=dict)
    options: dict[int, list[Option]] = field(default_factory=dict)
    category_of: dict[int, str] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)
    paid: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment reference
    shipping_minor: int = 500
    _numbers: Any = field(default_factory=lambda: itertools.count(1042))

    def add(self, pid: int, slug: str, title: str, price_minor: int, *, stock: int = 5, category: str = "mugs",
            variants: list[tuple[str, int, int]] | None = None, image: bool = True) -> ProductInfo:
        product = ProductInfo(id=pid, slug=slug, title=title, description=f"{title}, made by hand in Faenza.",
                              brand="Acme", url=f"https://shop.example/p/{slug}",
                              image_url=f"https://shop.example/media/{slug}.jpg" if image else None,
                              image_alt=title, price=Money(price_minor, "EUR"), category=category.title())
        self.products[pid] = product
        self.category_of[pid] = category
        self.options[pid] = [Option(f"item-{pid}-{i}", label, Money(p, "EUR"), s)
                             for i, (label, p, s) in enumerate(variants or [("Default", price_minor, stock)])]
        return product

    def release(self, reference: str) -> None:
        """What the shop does to an order left unpaid too long: give its stock back."""
        order = self.pending[reference]
        for item_id, quantity in order.items:
            self.option(item_id).stock += quantity
        order.reserved = False

    def option(self, item_id: str) -> Option | None:
        return next((o for opts in self.options.values() for o in opts if o.item_id == item_id), None)

    # the protocol
    def find_product(self, ref: str) -> ProductInfo | None:
        for pid, product in self.products.items():
            if ref in (str(pid), product.slug) or any(o.item_id == ref for o in self.options[pid]):
                return product
        return None

    def product_options(self, product_id: int):
        return list(self.options.get(product_id, []))

    def categories(self):
        return [Category(slug, slug.title()) for slug in dict.fromkeys(self.category_of.values())]

    def products_in_category(self, slug: str, *, limit: int = 10):
        return [p for pid, p in self.products.items() if self.category_of[pid] == slug][:limit]

    def tracked_link(self, product: ProductInfo, *, channel_id: int, medium: str = "chat") -> str:
        return f"https://shop.example/l/{product.slug}-c{channel_id}?m={medium}"

    def create_pending_order(self, lines, *, channel_id: int, customer):
        priced, notes = [], []
        for item_id, quantity in lines:
            option = self.option(item_id)
            product = self.find_product(item_id)
            if option is None or product is None:
                continue
            if option.stock < quantity:
                if not option.stock:
                    continue
                notes.append(f"Only {option.stock} {product.title} left: quantity set to {option.stock}.")
                quantity = option.stock
            option.stock -= quantity  # reserved
            title = product.title if option.label == "Default" else f"{product.title} ({option.label})"
            priced.append((item_id, quantity, Line(title, quantity, option.price)))
        if not priced:
            raise ValueError("Sorry, none of these products can be ordered right now.")
        reference = f"ord_{len(self.pending) + 1:04d}"
        order = Pending(reference, f"https://shop.example/checkout/{reference}", "EUR",
                        tuple(p[2] for p in priced), Money(self.shipping_minor, "EUR"),
                        tuple((p[0], p[1]) for p in priced), customer, channel_id, tuple(notes))
        self.pending[reference] = order
        return order

    def recheck_order(self, reference: str, *, amount_minor: int, currency: str) -> str | None:
        order = self.pending.get(reference)
        if order is None:
            return "Sorry, this order has expired. Please tap Buy again."
        if not order.reserved:  # the reservation lapsed: reserve again, if anything is left
            if any(self.option(item_id).stock < quantity for item_id, quantity in order.items):
                return f"Sorry, {order.lines[0].title} just sold out."
            for item_id, quantity in order.items:
                self.option(item_id).stock -= quantity
            order.reserved = True
        if (amount_minor, currency) != (order.total.amount_minor, order.total.currency):
            return "The price has changed since the invoice was sent. Please tap Buy again."
        return None

    def create_paid_order(self, reference: str, *, payment_reference: str, amount_minor: int, currency: str,
                          channel_id: int, customer, provider_payment_reference: str | None = None):
        if payment_reference in self.paid:
            return Paid(reference, self.paid[payment_reference]["number"], created=False)
        number = str(next(self._numbers))
        self.paid[payment_reference] = {"number": number, "reference": reference, "amount_minor": amount_minor,
                                        "currency": currency, "channel_id": channel_id, "customer": customer,
                                        "provider_payment_reference": provider_payment_reference}
        return Paid(reference, number, created=True)



# --- Telegram updates, shaped like the real ones --------------------------------------------------------

JANE = {"id": 111222333, "is_bot": False, "first_name": "Jane", "last_name": "Doe", "username": "janedoe",
        "language_code": "en"}
JANE_CHAT = {"id": 111222333, "first_name": "Jane", "last_name": "Doe", "username": "janedoe", "type": "private"}


class Updates:
    """Builds Update objects (core.telegram.org/bots/api#update) with increasing update ids."""

    def __init__(self):
        self._ids = itertools.count(900000001)
        self._message_ids = itertools.count(11)

    def text(self, text: str) -> dict[str, Any]:
        message = {"message_id": next(self._message_ids), "from": JANE, "chat": JANE_CHAT, "date": 1767225600,
                   "text": text}
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(text.split(" ")[0]), "type": "bot_command"}]
        return {"update_id": next(self._ids), "message": message}

    def callback(self, data: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": next(self._ids), "callback_query": {
            "id": f"4382bfdwdsb323b2d{next(self._message_ids)}", "from": JANE, "chat_instance": "-8012345678901234567",
            "data": data, "message": {"message_id": message["message_id"], "chat": JANE_CHAT, "date": 1767225700,
                                      "text": message.get("text", "")}}}

    def pre_checkout(self, payload: str, total: int, currency: str = "EUR") -> dict[str, Any]:
        return {"update_id": next(self._ids), "pre_checkout_query": {
            "id": f"12345678901234567{next(self._message_ids)}", "from": JANE, "currency": currency,
            "total_amount": total, "invoice_payload": payload,
            "order_info": {"name": "Jane Doe", "email": "jane@example.com"}}}

    def payment(self, payload: str, total: int, charge_id: str, currency: str = "EUR") -> dict[str, Any]:
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._message_ids), "from": JANE, "chat": JANE_CHAT, "date": 1767225800,
            "successful_payment": {"currency": currency, "total_amount": total, "invoice_payload": payload,
                                   "telegram_payment_charge_id": charge_id,
                                   "provider_payment_charge_id": "ch_3TgShopBridge1003",
                                   "order_info": {"name": "Jane Doe", "email": "jane@example.com",
                                                  "shipping_address": {"country_code": "IT", "state": "",
                                                                       "city": "Faenza", "street_line1": "Via Roma 1",
                                                                       "street_line2": "", "post_code": "48018"}}}}}



def webhook_request(update: dict[str, Any], secret: str | None = WEBHOOK_SECRET) -> InboundRequest:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return InboundRequest(method="POST", path="/webhooks/channels/7", headers=headers, args={},
                          body=json.dumps(update).encode())


class Bot:
    """Delivers updates the way shopbridge does: verify and parse, store by external id, then react once."""

    def __init__(self, hooks, channel, shop):
        self.hooks, self.channel, self.shop = hooks, channel, shop
        self.seen: set[str] = set()

    def deliver(self, update: dict[str, Any]) -> list:
        events = self.hooks.shopbridge_parse_webhook(channel=self.channel, request=webhook_request(update))
        fresh = [e for e in events if e.external_id not in self.seen]
        for event in fresh:
            self.seen.add(event.external_id)
            self.hooks.shopbridge_inbound_event(channel=self.channel, event=event, shop=self.shop)
        return fresh
