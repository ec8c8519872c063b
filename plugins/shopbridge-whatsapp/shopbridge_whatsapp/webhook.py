"""Inbound WhatsApp webhooks: the subscription check, the signature, and payloads → normalised events.

Meta signs every POST with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the app
secret>``. A payload is ``{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}`` whose value holds ``messages`` (what shoppers sent) and/or ``statuses``
(what happened to what we sent).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from shopbridge.channels import (
    ChannelContext,
    EventKind,
    InboundEvent,
    InboundRequest,
    WebhookResponse,
    WebhookSignatureError,
)
from shopbridge_whatsapp.api import OUTSIDE_WINDOW_CODE


def challenge(channel: ChannelContext, request: InboundRequest) -> WebhookResponse | None:
    """Meta's ``GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`` when the webhook is configured."""
    if request.method != "GET" or request.args.get("hub.mode") is None:
        return None
    expected = str(channel.setting("verify_token", ""))
    given = request.args.get("hub.verify_token", "")
    if request.args.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(given.encode(),
                                                                                         expected.encode()):
        return WebhookResponse(200, request.args.get("hub.challenge", ""))
    return WebhookResponse(403, "The verify token does not match this channel's settings.")


def verify_signature(app_secret: str, request: InboundRequest) -> None:
    """Raise :class:`WebhookSignatureError` unless the body was signed with the app secret."""
    header = request.header("X-Hub-Signature-256") or ""
    if not app_secret:
        raise WebhookSignatureError("No app secret is configured, so the webhook's signature cannot be checked.")
    if not header.startswith("sha256="):
        raise WebhookSignatureError("The X-Hub-Signature-256 header is missing.")
    expected = hmac.new(app_secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(header[len("sha256="):].strip().lower().encode(), expected.encode()):
        raise WebhookSignatureError("The X-Hub-Signature-256 signature does not match the app secret.")


def parse(channel: ChannelContext, request: InboundRequest) -> list[InboundEvent]:
    verify_signature(str(channel.setting("app_secret", "")), request)
    try:
        payload = request.json()
    except ValueError:
        return []
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return []
    own_number = str(channel.setting("phone_number_id", ""))
    events: list[InboundEvent] = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            if change.get("field") != "messages":
                continue
            number = str((value.get("metadata") or {}).get("phone_number_id", ""))
            if own_number and number and number != own_number:
                continue  # another number of the same Meta app: not this channel's
            names = {c.get("wa_id"): ((c.get("profile") or {}).get("name") or "") for c in value.get("contacts") or []}
            events += [message_event(m, names) for m in value.get("messages") or []]
            events += [status_event(s) for s in value.get("statuses") or []]
    return events


def _when(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), UTC)
    except (TypeError, ValueError):
        return None


def message_text(message: dict[str, Any]) -> str:
    """What the shopper said, in words, whatever kind of message it was."""
    kind = message.get("type")
    content = message.get(kind) or {}
    if kind == "text":
        return content.get("body", "")
    if kind == "interactive":  # a reply to our buttons or list
        reply = content.get("button_reply") or content.get("list_reply") or {}
        return reply.get("title", "")
    if kind == "button":  # a quick-reply button of a template
        return content.get("text", "")
    if kind in ("image", "video", "document", "audio", "sticker"):
        return content.get("caption") or f"[{kind}]"
    if kind == "order":
        return content.get("text") or "[order]"
    if kind == "location":
        return " ".join(p for p in (content.get("name"), content.get("address")) if p) or "[location]"
    if kind == "reaction":
        return content.get("emoji", "")
    return f"[{kind or 'unsupported'} message]"


def message_event(message: dict[str, Any], names: dict[str, str]) -> InboundEvent:
    sender = str(message.get("from", ""))
    kind = EventKind.message
    order_lines: tuple[tuple[str, int], ...] = ()
    if message.get("type") == "order":
        kind = EventKind.order
        # Only what and how many: the prices in the cart (item_price, currency) are the shopper's phone's
        # view of the catalogue and are never trusted; the shop prices the order itself.
        order_lines = tuple((str(item["product_retailer_id"]), int(item.get("quantity", 1)))
                            for item in (message["order"].get("product_items") or [])
                            if item.get("product_retailer_id") and int(item.get("quantity", 0)) > 0)
    elif message.get("type") == "interactive":
        kind = EventKind.postback
    return InboundEvent(kind=kind, external_id=str(message.get("id", "")), author_id=sender,
                        author_name=names.get(sender, ""), thread_id=sender, text=message_text(message),
                        occurred_at=_when(message.get("timestamp")), order_lines=order_lines,
                        payload={"message": message})


def status_event(status: dict[str, Any]) -> InboundEvent:
    """Delivery receipts; a failure says why, and 131047 means the 24-hour window had closed."""
    state = str(status.get("status", ""))
    errors = status.get("errors") or []
    text = state
    outside_window = any(e.get("code") == OUTSIDE_WINDOW_CODE for e in errors)
    if errors:
        first = errors[0]
        details = (first.get("error_data") or {}).get("details") or first.get("message") or first.get("title", "")
        text = f"{state}: {details}"
    if outside_window:
        text = ("failed: more than 24 hours passed since the customer last wrote, so WhatsApp only delivers an "
                "approved template message now.")
    recipient = str(status.get("recipient_id", ""))
    return InboundEvent(kind=EventKind.status, external_id=f"status:{status.get('id')}:{state}",
                        author_id=recipient, thread_id=recipient, text=text, occurred_at=_when(status.get("timestamp")),
                        payload={"status": status, "message_id": status.get("id"), "state": state,
                                 "outside_window": outside_window,
                                 "error_codes": [e.get("code") for e in errors]})
