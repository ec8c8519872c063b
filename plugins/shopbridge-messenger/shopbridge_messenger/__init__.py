"""Facebook Messenger for shopbridge: a Page's conversations in the shop's inbox, answered with product cards.

- Webhook: Meta's subscription check (``hub.verify_token``) and ``X-Hub-Signature-256`` on every POST; messages,
  quick replies and postbacks (button taps) become events, with the sender's page-scoped id as the thread.
- Replies: a generic template — image, title, subtitle (price), a ``web_url`` button with the tracked link —
  through the Send API (``POST /{version}/me/messages``, ``messaging_type: RESPONSE``), or text.
- Buttons and quick replies whose payload is ``BUY:<product>`` or ``PRODUCT:<product>``, and conversations opened
  through ``m.me/<page>?ref=<product>`` (a link or QR code), are answered with that product's card
  (``shopbridge_inbound_event``).

Meta's standard messaging window applies: a Page may answer within 24 hours of the person's last message; later
messages need a message tag, so a reply outside the window is refused with a clear error instead of being sent.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from shopbridge import hookimpl
from shopbridge.channels import (
    AuthError,
    Capability,
    ChannelContext,
    ChannelType,
    ConnectionCheck,
    EventKind,
    InboundEvent,
    InboundRequest,
    PlatformError,
    ProductInfo,
    PublishResult,
    RateLimited,
    Reply,
    SettingField,
    WebhookResponse,
    WebhookSignatureError,
)

TYPE = "messenger"
DEFAULT_GRAPH_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v23.0"
STANDARD_MESSAGING_WINDOW = timedelta(hours=24)
#: Send API limits: text 2000 characters; generic template title and subtitle 80, button title 20.
TEXT_LIMIT, TITLE_LIMIT, SUBTITLE_LIMIT, BUTTON_LIMIT = 2000, 80, 80, 20
RATE_LIMIT_CODES = {4, 17, 32, 613}
AUTH_CODES = {190, 102, 10, 200}

CHANNEL_TYPE = ChannelType(
    name=TYPE,
    label="Messenger",
    description="Answer your Facebook Page's Messenger conversations with product cards and tracked links.",
    settings=(
        SettingField("page_id", "Page ID", pattern=r"^\d{5,20}$",
                     help="Your Facebook Page → About → Page transparency, or Meta Business Suite settings."),
        SettingField("page_access_token", "Page access token", kind="secret",
                     help="A Page token with pages_messaging (Meta app → Messenger → Settings → Access tokens)."),
        SettingField("app_secret", "App secret", kind="secret",
                     help="Meta app → App settings → Basic; used to check that webhooks really come from Meta."),
        SettingField("verify_token", "Webhook verify token", kind="secret",
                     help="Any long random text; paste the same value in the app's Messenger webhook settings."),
        SettingField("graph_version", "Graph API version", required=False, default=DEFAULT_GRAPH_VERSION,
                     pattern=r"^v\d+\.\d+$"),
        SettingField("graph_base_url", "Graph API base URL", kind="url", required=False, default=DEFAULT_GRAPH_BASE),
    ),
    capabilities=frozenset({Capability.messaging, Capability.listening}),
)


class ShopServices(Protocol):
    """The Messenger subset of the chat plugins' shared shop services (same names as Telegram/WhatsApp)."""

    def find_product(self, ref: str) -> ProductInfo | None:
        """A public, active product by id, slug, buy-link short code or catalogue item id."""

    def tracked_link(self, product: ProductInfo, *, channel_id: int, medium: str = "chat") -> str:
        """An absolute buy link for ``product`` attributed to this channel."""


class OutsideMessagingWindow(PlatformError):
    def __init__(self):
        super().__init__("Messenger only allows a Page to answer within 24 hours of the person's last message. "
                         "Wait until they write again.", code="10/2018278")


@hookimpl
def shopbridge_channel_types():
    return [CHANNEL_TYPE]


# --- the Graph API ------------------------------------------------------------------------------------------

def _root(channel: ChannelContext) -> str:
    base = str(channel.setting("graph_base_url", DEFAULT_GRAPH_BASE)).rstrip("/")
    return f"{base}/{channel.setting('graph_version', DEFAULT_GRAPH_VERSION)}"


def _headers(channel: ChannelContext) -> dict[str, str]:
    token = channel.setting("page_access_token")
    if not token:
        raise AuthError("The Page access token is missing: generate one in the Meta app's Messenger settings.")
    return {"Authorization": f"Bearer {token}"}


def _result(response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise PlatformError(f"Messenger answered with something that is not JSON (HTTP {response.status_code}).",
                            status=response.status_code, transient=True) from None
    if response.status_code < 400 and "error" not in data:
        return data
    error = data.get("error") or {}
    code, subcode, message = error.get("code"), error.get("error_subcode"), error.get("message", "")
    if code in RATE_LIMIT_CODES:
        raise RateLimited(f"Messenger is limiting how fast the Page sends ({message}).", code=str(code))
    if code == 10 and (subcode == 2018278 or "outside of allowed window" in message):
        raise OutsideMessagingWindow()
    if code in AUTH_CODES or response.status_code == 401:
        raise AuthError(f"Messenger does not accept the Page access token (expired, or missing pages_messaging): "
                        f"{message}", status=response.status_code, code=str(code))
    if code == 551 or subcode == 1545041:
        raise PlatformError("This person isn't available on Messenger any more.", status=response.status_code,
                            code=str(code))
    raise PlatformError(f"Messenger refused the message: {message or response.status_code}",
                        status=response.status_code, code=str(code) if code else None,
                        transient=response.status_code >= 500)


def send(channel: ChannelContext, recipient: str, message: dict[str, Any]) -> str:
    """``POST /{version}/me/messages`` as a RESPONSE to the person; returns the message id."""
    body = {"recipient": {"id": recipient}, "messaging_type": "RESPONSE", "message": message}
    response = channel.http.request("POST", f"{_root(channel)}/me/messages", json_body=body,
                                    headers=_headers(channel),
                                    dry_run_response={"recipient_id": recipient,
                                                      "message_id": f"m_DRYRUN{int(time.time() * 1000)}"})
    return str(_result(response).get("message_id", ""))


def _trim(text: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,;:.-") + "…"


def generic_card(products: Sequence[ProductInfo], links: Sequence[str], *, button: str = "View & buy") -> dict:
    """A generic template with one element per product (at most 10): image, title, price, and a web_url button."""
    elements = []
    for product, link in list(zip(products, links, strict=True))[:10]:
        subtitle = product.price.format() + ("" if product.available else " · sold out")
        element: dict[str, Any] = {"title": _trim(product.title, TITLE_LIMIT), "subtitle": _trim(subtitle, SUBTITLE_LIMIT),
                                   "default_action": {"type": "web_url", "url": link},
                                   "buttons": [{"type": "web_url", "url": link, "title": _trim(button, BUTTON_LIMIT)}]}
        if product.image_url:
            element["image_url"] = product.image_url
        elements.append(element)
    return {"attachment": {"type": "template", "payload": {"template_type": "generic", "elements": elements}}}


@hookimpl
def shopbridge_test_connection(channel: ChannelContext):
    if channel.type != TYPE:
        return None
    response = channel.http.request("GET", f"{_root(channel)}/{channel.setting('page_id', '')}",
                                    params={"fields": "name"}, headers=_headers(channel),
                                    dry_run_response={"name": channel.shop_name, "id": channel.setting("page_id")})
    page = _result(response)
    return ConnectionCheck(ok=True, detail=f"Connected to the Page “{page.get('name', '?')}”.")


# --- webhooks -----------------------------------------------------------------------------------------------

@hookimpl
def shopbridge_webhook_challenge(channel: ChannelContext, request: InboundRequest):
    if channel.type != TYPE or request.method != "GET" or request.args.get("hub.mode") is None:
        return None
    expected = str(channel.setting("verify_token", ""))
    given = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(given.encode(),
                                                                                         expected.encode()):
        return WebhookResponse(200, request.args.get("hub.challenge", ""))
    return WebhookResponse(403, "The verify token does not match this channel's settings.")


def verify_signature(app_secret: str, request: InboundRequest) -> None:
    header = request.header("X-Hub-Signature-256") or ""
    if not app_secret or not header.startswith("sha256="):
        raise WebhookSignatureError("The X-Hub-Signature-256 header is missing (or no app secret is configured).")
    expected = hmac.new(app_secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header[len("sha256="):].strip().lower().encode(), expected.encode()):
        raise WebhookSignatureError("The X-Hub-Signature-256 signature does not match the app secret.")


@hookimpl
def shopbridge_parse_webhook(channel: ChannelContext, request: InboundRequest):
    if channel.type != TYPE:
        return None
    verify_signature(str(channel.setting("app_secret", "")), request)
    try:
        payload = request.json()
    except ValueError:
        return []
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return []
    page_id = str(channel.setting("page_id", ""))
    events = []
    for entry in payload.get("entry") or []:
        if page_id and str(entry.get("id")) != page_id:
            continue  # another Page of the same app
        for item in entry.get("messaging") or []:
            event = messaging_event(item)
            if event is not None:
                events.append(event)
    return events


def messaging_event(item: dict[str, Any]) -> InboundEvent | None:
    sender = str((item.get("sender") or {}).get("id", ""))
    at = datetime.fromtimestamp(int(item.get("timestamp", 0)) / 1000, UTC) if item.get("timestamp") else None
    if message := item.get("message"):
        if message.get("is_echo"):
            return None  # what the Page itself sent
        quick = (message.get("quick_reply") or {}).get("payload")
        text = message.get("text") or ", ".join(f"[{a.get('type')}]" for a in message.get("attachments") or [])
        return InboundEvent(kind=EventKind.postback if quick else EventKind.message,
                            external_id=str(message.get("mid", "")), author_id=sender, thread_id=sender,
                            text=text, occurred_at=at, payload={"message": message, "button_payload": quick})
    if postback := item.get("postback"):
        external = postback.get("mid") or f"postback:{sender}:{item.get('timestamp')}"
        # "Get Started" tapped after opening an m.me link carries the link's ref: treat it as the product.
        ref = (postback.get("referral") or {}).get("ref")
        return InboundEvent(kind=EventKind.postback, external_id=str(external), author_id=sender, thread_id=sender,
                            text=postback.get("title", ""), occurred_at=at,
                            payload={"postback": postback,
                                     "button_payload": f"PRODUCT:{ref}" if ref else postback.get("payload")})
    if referral := item.get("referral"):
        # An existing conversation opened through m.me/<page>?ref=<product> (a link or QR code): the
        # messaging_referrals webhook field.
        ref = referral.get("ref") or ""
        return InboundEvent(kind=EventKind.postback, external_id=f"referral:{sender}:{item.get('timestamp')}",
                            author_id=sender, thread_id=sender, text=ref, occurred_at=at,
                            payload={"referral": referral, "button_payload": f"PRODUCT:{ref}" if ref else None})
    return None  # reads, deliveries, reactions: nothing for the shop to do


# --- replies ------------------------------------------------------------------------------------------------

def _check_window(event: InboundEvent) -> None:
    anchor = event.payload.get("customer_last_inbound_at") or event.occurred_at
    if isinstance(anchor, str):
        anchor = datetime.fromisoformat(anchor)
    if anchor is not None and datetime.now(UTC) - anchor >= STANDARD_MESSAGING_WINDOW:
        raise OutsideMessagingWindow()


@hookimpl
def shopbridge_reply(channel: ChannelContext, event: InboundEvent, reply: Reply):
    if channel.type != TYPE:
        return None
    _check_window(event)
    to = event.thread_id or event.author_id
    if reply.product is not None and reply.link_url:
        if reply.text:
            send(channel, to, {"text": _trim(reply.text, TEXT_LIMIT)})
        message_id = send(channel, to, generic_card([reply.product], [reply.link_url]))
    else:
        body = reply.text + (f"\n{reply.link_url}" if reply.link_url and reply.link_url not in reply.text else "")
        message_id = send(channel, to, {"text": _trim(body, TEXT_LIMIT)})
    return PublishResult(remote_id=message_id)


@hookimpl
def shopbridge_inbound_event(channel: ChannelContext, event: InboundEvent, shop: ShopServices):
    if channel.type != TYPE:
        return None
    action, _, ref = str(event.payload.get("button_payload") or "").partition(":")
    if action.upper() not in ("BUY", "PRODUCT") or not ref:
        return None
    product = shop.find_product(ref)
    to = event.thread_id or event.author_id
    if product is None:
        send(channel, to, {"text": "Sorry, this product is no longer available."})
        return None
    send(channel, to, generic_card([product], [shop.tracked_link(product, channel_id=channel.id)]))
    return None
