"""The shop bot's conversation: deep links, product cards, category browsing, and paying inside the chat.

What the shopper sees:

1. ``/start`` (or ``/shop``): a greeting and one button per category. ``/start <code>`` — from a t.me link or a
   QR code on a poster — opens straight on that product.
2. A category button edits the menu into that category's products; a product button sends its card: photo,
   bold title, price, description, and the buttons *Buy in chat* and *Open in shop* (the tracked link).
3. *Buy in chat* (only when the channel has a payment provider token) asks for the variant if there are
   several, then the shop creates a pending order (server-side prices, stock reserved) and the bot sends a
   Telegram invoice for it. Telegram's payment sheet collects name, email and shipping address.
4. Right before charging, Telegram asks (``pre_checkout_query``) and the bot re-checks price and stock with the
   shop: it answers ok, or refuses with the reason, and Telegram shows it.
5. After ``successful_payment`` the shop records a paid order (stock committed, attributed to this channel) —
   once, however often Telegram repeats the update — and the bot thanks the shopper with the order number.

Callback data (≤ 64 bytes): ``cats``, ``cat:<slug>``, ``p:<product id>``, ``buy:<product id>``,
``opt:<item id>``.
"""

from __future__ import annotations

import logging
from typing import Any

from shopbridge.channels import ChannelContext, InboundEvent, PlatformError, ProductInfo
from shopbridge_telegram.api import (
    CALLBACK_DATA_LIMIT,
    INVOICE_DESCRIPTION_LIMIT,
    INVOICE_TITLE_LIMIT,
    TEXT_LIMIT,
    TelegramAPI,
    callback_button,
    escape,
    html_caption,
    keyboard,
    trim,
    url_button,
)
from shopbridge_telegram.shop import Customer, ShopServices

log = logging.getLogger(__name__)


def handle(channel: ChannelContext, event: InboundEvent, shop: ShopServices) -> None:
    """Act on one stored inbound event of a Telegram channel."""
    kind = event.payload.get("type")
    update = event.payload.get("update") or {}
    api = TelegramAPI(channel)
    if kind == "message":
        _on_message(channel, api, shop, update["message"])
    elif kind == "callback_query":
        _on_callback(channel, api, shop, update["callback_query"])
    elif kind == "pre_checkout_query":
        _on_pre_checkout(api, shop, update["pre_checkout_query"])
    elif kind == "successful_payment":
        _on_payment(channel, api, shop, update["message"])


# --- messages -----------------------------------------------------------------------------------------------

def _on_message(channel: ChannelContext, api: TelegramAPI, shop: ShopServices, message: dict[str, Any]) -> None:
    text = (message.get("text") or "").strip()
    chat_id = message["chat"]["id"]
    if message["chat"].get("type") != "private":
        return  # the bot only converses one to one
    command, _, argument = text.partition(" ")
    command = command.split("@", 1)[0]  # "/start@shop_bot" in groups
    if command == "/start" and argument.strip():
        product = shop.find_product(argument.strip())
        if product is not None:  # a sold-out product still gets its card, marked "Sold out", without Buy
            send_product_card(api, chat_id, product, shop.tracked_link(product, channel_id=channel.id),
                              can_pay=_can_pay(channel))
            return
        send_text(api, chat_id, "Sorry, that product is no longer available. Here is what we have:")
        send_categories(api, shop, chat_id, channel)
    elif command in ("/start", "/shop", "/categories"):
        greeting = f"Welcome to {channel.shop_name}!" if channel.shop_name else "Welcome!"
        send_categories(api, shop, chat_id, channel, intro=f"{greeting} What are you looking for?")


def send_text(api: TelegramAPI, chat_id: Any, text: str, markup: dict | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"chat_id": chat_id, "text": escape(trim(text, TEXT_LIMIT)), "parse_mode": "HTML"}
    if markup:
        params["reply_markup"] = markup
    return api.call("sendMessage", params, dry_run_result=api.message_result(chat_id, text=text))


def _category_rows(shop: ShopServices) -> list[list[dict[str, str]]]:
    rows = []
    for category in shop.categories():
        data = f"cat:{category.slug}"
        if len(data.encode()) <= CALLBACK_DATA_LIMIT:
            rows.append([callback_button(category.name[:64], data)])
    return rows


def send_categories(api: TelegramAPI, shop: ShopServices, chat_id: Any, channel: ChannelContext,
                    intro: str = "Browse our shop:") -> None:
    rows = _category_rows(shop)
    if not rows:
        send_text(api, chat_id, f"{intro}\n{channel.shop_url}".strip())
        return
    send_text(api, chat_id, intro, keyboard(*rows))


def product_caption(product: ProductInfo, intro: str = "") -> str:
    lines = [product.price.format()]
    if product.compare_at and product.compare_at.amount_minor > product.price.amount_minor:
        lines[0] += f" (was {product.compare_at.format()})"
    if not product.available:
        lines.append("Sold out")
    body = f"{intro}\n\n{product.description}".strip() if intro else product.description
    return html_caption(title=product.title, lines=tuple(lines), body=body)


def send_product_card(api: TelegramAPI, chat_id: Any, product: ProductInfo, link_url: str, *,
                      intro: str = "", can_pay: bool = False) -> dict[str, Any]:
    """Photo, caption and buttons for one product (a text message when the product has no image)."""
    rows = []
    if can_pay and product.available:
        rows.append([callback_button("Buy in chat", f"buy:{product.id}")])
    rows.append([url_button("Open in shop", link_url)])
    markup = keyboard(*rows)
    caption = product_caption(product, intro)
    if product.image_url:
        try:
            return api.call("sendPhoto", {"chat_id": chat_id, "photo": product.image_url, "caption": caption,
                                          "parse_mode": "HTML", "reply_markup": markup},
                            dry_run_result=api.message_result(chat_id, caption=product.title))
        except PlatformError as exc:
            # Telegram fetches the photo itself; if it cannot (a shop not reachable from the internet, an image
            # it refuses), the card still goes out as text rather than not at all.
            if exc.status != 400 or not any(w in exc.message.lower() for w in ("url", "photo", "file", "image")):
                raise
            log.warning("Telegram could not use %s (%s); sending the card as text", product.image_url, exc.message)
    return api.call("sendMessage", {"chat_id": chat_id, "text": caption, "parse_mode": "HTML",
                                    "reply_markup": markup},
                    dry_run_result=api.message_result(chat_id, text=product.title))


def _can_pay(channel: ChannelContext) -> bool:
    return bool(channel.setting("payment_provider_token"))


# --- inline buttons -------------------------------------------------------------------------------------

def _on_callback(channel: ChannelContext, api: TelegramAPI, shop: ShopServices, query: dict[str, Any]) -> None:
    data = query.get("data") or ""
    message = query.get("message") or {}
    chat_id = (message.get("chat") or {}).get("id") or query["from"]["id"]
    action, _, value = data.partition(":")
    notice = ""
    try:
        if action == "cats":
            rows = _category_rows(shop)
            _edit_menu(api, chat_id, message, "Browse our shop:", keyboard(*rows))
        elif action == "cat":
            products = shop.products_in_category(value, limit=10)
            rows = [[callback_button(trim(f"{p.title} · {p.price.format()}", 60), f"p:{p.id}")] for p in products]
            rows.append([callback_button("« All categories", "cats")])
            text = "Choose a product:" if products else "Nothing in this category right now."
            _edit_menu(api, chat_id, message, text, keyboard(*rows))
        elif action == "p":
            product = shop.find_product(value)
            if product is None:
                notice = "Sorry, this product is no longer available."
            else:
                send_product_card(api, chat_id, product, shop.tracked_link(product, channel_id=channel.id),
                                  can_pay=_can_pay(channel))
        elif action == "buy":
            notice = _buy(channel, api, shop, chat_id, query["from"], value)
        elif action == "opt":
            notice = _send_invoice(channel, api, shop, chat_id, query["from"], value)
    finally:
        # Always answer, or the shopper's button keeps spinning (answerCallbackQuery).
        params: dict[str, Any] = {"callback_query_id": query["id"]}
        if notice:
            params.update(text=trim(notice, 200), show_alert=True)
        api.call("answerCallbackQuery", params)


def _edit_menu(api: TelegramAPI, chat_id: Any, message: dict[str, Any], text: str, markup: dict) -> None:
    """Turn the menu message into the next menu; send a new one if the old message cannot be edited."""
    if message.get("message_id") and "text" in message:
        api.call("editMessageText", {"chat_id": chat_id, "message_id": message["message_id"],
                                     "text": escape(text), "parse_mode": "HTML", "reply_markup": markup},
                 dry_run_result=api.message_result(chat_id, text=text))
    else:
        send_text(api, chat_id, text, markup)


def _customer(user: dict[str, Any], details: dict[str, Any] | None = None) -> Customer:
    from shopbridge_telegram import _name

    return Customer(platform="telegram", id=str(user.get("id", "")), name=_name(user),
                    username=user.get("username", ""), language=user.get("language_code", ""),
                    details=details or {})


def _buy(channel: ChannelContext, api: TelegramAPI, shop: ShopServices, chat_id: Any, user: dict[str, Any],
         product_ref: str) -> str:
    product = shop.find_product(product_ref)
    if product is None:
        return "Sorry, this product is no longer available."
    if not _can_pay(channel):
        send_text(api, chat_id, "Buy it here:", keyboard([url_button(
            "Open in shop", shop.tracked_link(product, channel_id=channel.id))]))
        return ""
    options = [o for o in shop.product_options(product.id) if o.available]
    if not options:
        return f"Sorry, {product.title} is sold out."
    if len(options) == 1:
        return _send_invoice(channel, api, shop, chat_id, user, options[0].item_id, product=product)
    rows = [[callback_button(trim(f"{o.label} · {o.price.format()}", 60), f"opt:{o.item_id}")]
            for o in options if len(f"opt:{o.item_id}".encode()) <= CALLBACK_DATA_LIMIT]
    send_text(api, chat_id, f"Which {product.title}?", keyboard(*rows))
    return ""


def _send_invoice(channel: ChannelContext, api: TelegramAPI, shop: ShopServices, chat_id: Any,
                  user: dict[str, Any], item_id: str, product: ProductInfo | None = None) -> str:
    product = product or shop.find_product(item_id)
    try:
        order = shop.create_pending_order([(item_id, 1)], channel_id=channel.id, customer=_customer(user))
    except ValueError as exc:
        return str(exc)
    prices = [{"label": trim(f"{line.title} × {line.quantity}" if line.quantity > 1 else line.title, 64),
               "amount": line.total.amount_minor} for line in order.lines]
    if order.shipping.amount_minor:
        prices.append({"label": "Shipping", "amount": order.shipping.amount_minor})
    title = product.title if product else order.lines[0].title
    description = (product.description if product else "") or f"Order from {channel.shop_name or 'our shop'}"
    if order.notes:
        description = " ".join(order.notes) + " " + description
    params: dict[str, Any] = {
        "chat_id": chat_id,
        "title": trim(title, INVOICE_TITLE_LIMIT),
        "description": trim(description, INVOICE_DESCRIPTION_LIMIT),
        "payload": order.reference,
        "provider_token": str(channel.setting("payment_provider_token")),
        "currency": order.currency,
        "prices": prices,
        # Physical goods: Telegram's payment sheet asks for what the shop needs to ship the order.
        "need_name": True,
        "need_email": True,
        "need_shipping_address": True,
        "send_email_to_provider": True,
    }
    if product and product.image_url:
        params["photo_url"] = product.image_url
    api.call("sendInvoice", params, dry_run_result=api.message_result(chat_id))
    return ""


# --- payment ------------------------------------------------------------------------------------------------

def _on_pre_checkout(api: TelegramAPI, shop: ShopServices, query: dict[str, Any]) -> None:
    """Telegram waits up to 10 seconds for this answer before it gives up on the payment."""
    try:
        problem = shop.recheck_order(query.get("invoice_payload", ""), amount_minor=int(query["total_amount"]),
                                     currency=str(query["currency"]))
    except Exception:  # the shopper must get an answer even if the shop failed
        log.exception("re-checking Telegram order %s failed", query.get("invoice_payload"))
        problem = "Sorry, we could not confirm your order right now. Please try again in a minute."
    params: dict[str, Any] = {"pre_checkout_query_id": query["id"], "ok": problem is None}
    if problem:
        params["error_message"] = trim(problem, 255)
    api.call("answerPreCheckoutQuery", params)


def _on_payment(channel: ChannelContext, api: TelegramAPI, shop: ShopServices, message: dict[str, Any]) -> None:
    payment = message["successful_payment"]
    details = dict(payment.get("order_info") or {})
    paid = shop.create_paid_order(
        payment["invoice_payload"],
        payment_reference=payment["telegram_payment_charge_id"],
        provider_payment_reference=payment.get("provider_payment_charge_id"),
        amount_minor=int(payment["total_amount"]),
        currency=str(payment["currency"]),
        channel_id=channel.id,
        customer=_customer(message.get("from") or {}, details),
    )
    if paid.created:  # a replayed update must not thank the shopper twice
        send_text(api, message["chat"]["id"],
                  f"Thank you! Your payment is confirmed: order {paid.number}. We will let you know when it ships.")
