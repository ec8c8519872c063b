"""Paid orders as Purchase events in Meta's Conversions API, deduplicated with the browser pixel.

``POST /{pixel-id}/events`` with ``{"data": [event]}`` (Conversions API "Server Event Parameters"): the event's
``event_id`` is the order id, the same id the shop's pixel sends with its browser Purchase event, so Meta counts
the sale once. The shopper's email is normalised (trimmed, lower-cased) and SHA-256 hashed before it leaves.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from shopbridge import hookimpl
from shopbridge.channels import ChannelContext, PlatformError
from shopbridge_meta.graph import call
from shopbridge_meta.posts import TYPES


def sha256(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def purchase_event(order: Mapping[str, Any], *, shop_url: str = "", now: float | None = None) -> dict[str, Any]:
    """The Purchase event for a paid order.

    Website events need ``event_source_url`` and ``client_user_agent``; an order placed through the shop's own
    checkout carries the shopper's user agent (``client_user_agent``). An order without one (created by staff, or
    in a chat) is reported with ``action_source="system_generated"`` instead of pretending it came from a browser.
    """
    total = order["total"]
    user_data: dict[str, Any] = {}
    if order.get("email"):
        user_data["em"] = [sha256(str(order["email"]))]
    for key in ("client_user_agent", "client_ip_address", "fbp", "fbc"):
        if order.get(key):
            user_data[key] = str(order[key])
    contents = []
    for line in order.get("lines") or ():
        item_id = line.get("item_id") or (f"sb-v{line['variant_id']}" if line.get("variant_id") else None)
        if item_id:
            contents.append({"id": item_id, "quantity": int(line.get("quantity") or 1)})
    event: dict[str, Any] = {
        "event_name": "Purchase",
        "event_time": int(now if now is not None else time.time()),
        "event_id": str(order["id"]),
        "action_source": "website" if user_data.get("client_user_agent") else "system_generated",
        "user_data": user_data,
        "custom_data": {"currency": total.currency, "value": float(total.decimal), "order_id": str(order["id"]),
                        **({"contents": contents, "content_type": "product"} if contents else {})},
    }
    source_url = order.get("event_source_url") or (f"{shop_url.rstrip('/')}/" if shop_url else "")
    if source_url:
        event["event_source_url"] = source_url
    return event


def send_purchase(channel: ChannelContext, order: Mapping[str, Any]) -> dict[str, Any]:
    """Send one paid order to the channel's pixel; returns Meta's answer (``events_received``)."""
    pixel = channel.setting("pixel_id")
    if not pixel or not channel.setting("capi_token"):
        raise PlatformError("Set the pixel id and a Conversions API token in the channel settings first.")
    body: dict[str, Any] = {"data": [purchase_event(order, shop_url=channel.shop_url)]}
    if channel.setting("capi_test_event_code"):
        body["test_event_code"] = channel.setting("capi_test_event_code")
    return call(channel, "POST", f"/{pixel}/events", json_body=body, token_setting="capi_token",
                dry_run_response={"events_received": 1, "messages": [], "fbtrace_id": "dry-run"})


def _channels_for(order: Mapping[str, Any]) -> list[ChannelContext]:
    """The Meta channels with a pixel that should hear about this order.

    The order-event hook receives no channel, so shopbridge passes the connected channels it wants plugins to
    use in ``order["channels"]`` (or the order's own channel in ``order["channel"]``); each pixel is told once.
    """
    candidates = list(order.get("channels") or ())
    if isinstance(order.get("channel"), ChannelContext):
        candidates.append(order["channel"])
    chosen, pixels = [], set()
    for channel in candidates:
        if isinstance(channel, ChannelContext) and channel.type in TYPES and channel.setting("pixel_id") \
                and channel.setting("capi_token") and channel.setting("pixel_id") not in pixels:
            pixels.add(channel.setting("pixel_id"))
            chosen.append(channel)
    return chosen


@hookimpl
def shopbridge_order_event(order: Mapping[str, Any], event: str) -> None:
    if event != "paid":
        return None
    for channel in _channels_for(order):
        send_purchase(channel, order)
    return None
