"""WhatsApp Cloud API for shopbridge: product cards in chat, catalogue carts as shop orders, templates.

- Inbound: the webhook's subscription check and ``X-Hub-Signature-256``; messages, button replies, catalogue
  carts (``order``) and delivery statuses become events (:mod:`.webhook`).
- Replies within the 24-hour customer-service window: a product card (interactive ``cta_url`` with the tracked
  link), or the catalogue's own single/multi-product messages; outside the window only templates
  (:func:`send_template`) — free-form is refused before anything is sent (:mod:`.api`).
- A cart sent from the WhatsApp catalogue becomes a pending order priced by the shop, answered with its checkout
  link (:func:`shopbridge_inbound_event`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from shopbridge import hookimpl
from shopbridge.channels import (
    Capability,
    ChannelContext,
    ChannelType,
    ConnectionCheck,
    EventKind,
    InboundEvent,
    InboundRequest,
    PublishResult,
    Reply,
    SettingField,
)
from shopbridge_whatsapp import webhook
from shopbridge_whatsapp.api import (
    DEFAULT_GRAPH_BASE,
    DEFAULT_GRAPH_VERSION,
    OutsideCustomerServiceWindow,
    WhatsAppAPI,
    cta_url_card,
    product_card,
    product_list,
    single_product,
    text,
    window_open,
)
from shopbridge_whatsapp.shop import Customer, ShopServices

__all__ = ["OutsideCustomerServiceWindow", "send_template", "window_open"]

TYPE = "whatsapp"

CHANNEL_TYPE = ChannelType(
    name=TYPE,
    label="WhatsApp",
    description="Answer shoppers on WhatsApp with product cards and turn carts from your WhatsApp catalogue "
                "into orders.",
    settings=(
        SettingField("phone_number_id", "Phone number ID", pattern=r"^\d{5,20}$",
                     help="WhatsApp Manager → Phone numbers, or the app's WhatsApp → API Setup page (not the "
                          "phone number itself)."),
        SettingField("access_token", "Access token", kind="secret",
                     help="A System User token with whatsapp_business_messaging (and catalog_management if you "
                          "connect a catalogue)."),
        SettingField("app_secret", "App secret", kind="secret",
                     help="Meta app → App settings → Basic; used to check that webhooks really come from Meta."),
        SettingField("verify_token", "Webhook verify token", kind="secret",
                     help="Any long random text; paste the same value in the app's WhatsApp → Configuration."),
        SettingField("catalogue_id", "Catalogue ID", required=False, pattern=r"^\d{5,20}$",
                     help="The Commerce Manager catalogue connected to this number; enables product messages "
                          "and carts."),
        SettingField("graph_version", "Graph API version", required=False, default=DEFAULT_GRAPH_VERSION,
                     pattern=r"^v\d+\.\d+$"),
        SettingField("graph_base_url", "Graph API base URL", kind="url", required=False, default=DEFAULT_GRAPH_BASE),
    ),
    capabilities=frozenset({Capability.messaging, Capability.listening}),
)


@hookimpl
def shopbridge_channel_types():
    return [CHANNEL_TYPE]


@hookimpl
def shopbridge_test_connection(channel: ChannelContext):
    if channel.type != TYPE:
        return None
    api = WhatsAppAPI(channel)
    number = api.get(api.phone_number_id, {"fields": "display_phone_number,verified_name,quality_rating"},
                     dry_run_response={"display_phone_number": "+1 555-0100", "verified_name": channel.shop_name,
                                       "quality_rating": "GREEN", "id": api.phone_number_id})
    detail = (f"Connected to {number.get('display_phone_number', '?')} "
              f"({number.get('verified_name') or 'name not verified yet'}), quality {number.get('quality_rating', '?')}.")
    if channel.setting("catalogue_id"):
        settings = api.get(f"{api.phone_number_id}/whatsapp_commerce_settings",
                           dry_run_response={"data": [{"is_cart_enabled": True, "is_catalog_visible": True,
                                                       "id": "0"}]})
        commerce = (settings.get("data") or [{}])[0]
        if not commerce.get("is_cart_enabled"):
            detail += " The cart is switched off, so shoppers cannot send orders: enable it in WhatsApp Manager."
        if not commerce.get("is_catalog_visible"):
            detail += " The catalogue is hidden from shoppers."
    return ConnectionCheck(ok=True, detail=detail)


@hookimpl
def shopbridge_webhook_challenge(channel: ChannelContext, request: InboundRequest):
    if channel.type != TYPE:
        return None
    return webhook.challenge(channel, request)


@hookimpl
def shopbridge_parse_webhook(channel: ChannelContext, request: InboundRequest):
    if channel.type != TYPE:
        return None
    return webhook.parse(channel, request)


def last_inbound_at(event: InboundEvent) -> datetime | None:
    """When the customer last wrote to the shop: what the 24-hour customer-service window is decided on.

    shopbridge's core passes ``payload["customer_last_inbound_at"]`` (ISO 8601), taken from the messages it
    stored for this customer: that is authoritative — it covers a reply to an older message after the customer
    wrote again, and a payload's own timestamp cannot stretch the window. Without it (the plugin driven by
    something else than the core) the event's own time is the best there is.
    """
    stored = event.payload.get("customer_last_inbound_at")
    if isinstance(stored, str):
        try:
            stored = datetime.fromisoformat(stored)
        except ValueError:
            stored = None
    known = stored if isinstance(stored, datetime) else event.occurred_at
    if known is None:
        return None
    return known if known.tzinfo else known.replace(tzinfo=UTC)


@hookimpl
def shopbridge_reply(channel: ChannelContext, event: InboundEvent, reply: Reply):
    if channel.type != TYPE:
        return None
    api = WhatsAppAPI(channel)
    to = event.thread_id or event.author_id
    anchor = last_inbound_at(event)
    quoted = event.external_id if event.kind in (EventKind.message, EventKind.postback) else None
    if reply.product is not None and reply.link_url:
        card = product_card(reply.product, reply.link_url, intro=reply.text, shop_name=channel.shop_name)
        wamid = api.send(to, "interactive", card, last_inbound_at=anchor, reply_to=quoted)
    else:
        body = reply.text + (f"\n{reply.link_url}" if reply.link_url and reply.link_url not in reply.text else "")
        wamid = api.send(to, "text", text(body), last_inbound_at=anchor, reply_to=quoted)
    return PublishResult(remote_id=wamid)


def send_template(channel: ChannelContext, to: str, name: str, *, language: str = "en_US",
                  components: Sequence[dict[str, Any]] = ()) -> PublishResult:
    """Contact a customer with an approved template (e.g. outside the 24-hour window, or to start a chat).

    ``components`` fill the template's variables, e.g.
    ``[{"type": "body", "parameters": [{"type": "text", "text": "Jane"}]}]``.
    """
    return PublishResult(remote_id=WhatsAppAPI(channel).send_template(to, name, language=language,
                                                                      components=components))


# --- the shop's side of the conversation --------------------------------------------------------------------

#: A product reference in a message: the whole message (e.g. a wa.me link's prefilled text, or a QR code's)
#: when it is one word with a letter in it (a bare "1" is an answer, not product 1), or a ``#code`` anywhere.
PRODUCT_REF = re.compile(r"^\s*(?=[\w-]*[A-Za-z])([A-Za-z0-9][A-Za-z0-9_-]{1,63})\s*$|#([A-Za-z0-9][A-Za-z0-9_-]{0,63})")


@hookimpl
def shopbridge_inbound_event(channel: ChannelContext, event: InboundEvent, shop: ShopServices):
    if channel.type != TYPE:
        return None
    if event.kind == EventKind.order:
        _answer_order(channel, event, shop)
    elif event.kind == EventKind.message and event.payload.get("message", {}).get("type") == "text":
        _answer_product_reference(channel, event, shop)
    return None


def _customer(event: InboundEvent) -> Customer:
    return Customer(platform=TYPE, id=event.author_id, name=event.author_name, phone=event.author_id)


def _answer_order(channel: ChannelContext, event: InboundEvent, shop: ShopServices) -> None:
    api = WhatsAppAPI(channel)
    to = event.thread_id or event.author_id
    anchor = last_inbound_at(event)
    try:
        order = shop.create_pending_order(list(event.order_lines), channel_id=channel.id, customer=_customer(event))
    except ValueError as exc:
        api.send(to, "text", text(str(exc)), last_inbound_at=anchor, reply_to=event.external_id)
        return
    lines = [f"{line.quantity} × {line.title} — {line.total.format()}" for line in order.lines]
    if order.shipping.amount_minor:
        lines.append(f"Shipping — {order.shipping.format()}")
    lines.append(f"*Total {order.total.format()}*")
    body = "\n".join([*order.notes, *([""] if order.notes else []), *lines])
    card = cta_url_card(header_text="Your order is ready", body=body, url=order.checkout_url, button="Pay now",
                        footer=f"Prices and stock confirmed by {channel.shop_name}" if channel.shop_name else "")
    api.send(to, "interactive", card, last_inbound_at=anchor, reply_to=event.external_id)


def _answer_product_reference(channel: ChannelContext, event: InboundEvent, shop: ShopServices) -> None:
    match = PRODUCT_REF.search(event.text or "")
    if not match:
        return
    product = shop.find_product(match.group(1) or match.group(2))
    if product is None:
        return  # ordinary words: left to the inbox and keyword rules
    api = WhatsAppAPI(channel)
    to = event.thread_id or event.author_id
    anchor = last_inbound_at(event)
    catalogue = channel.setting("catalogue_id")
    options = [o for o in shop.product_options(product.id) if o.available] if catalogue else []
    if catalogue and len(options) == 1:
        content = single_product(str(catalogue), options[0].item_id, body=product.title,
                                 footer=channel.shop_name)
    elif catalogue and options:
        content = product_list(str(catalogue), header=product.title, body="Choose yours and add it to the cart:",
                               sections=[(product.title, [o.item_id for o in options])], footer=channel.shop_name)
    else:
        content = product_card(product, shop.tracked_link(product, channel_id=channel.id),
                               shop_name=channel.shop_name)
    api.send(to, "interactive", content, last_inbound_at=anchor, reply_to=event.external_id)
