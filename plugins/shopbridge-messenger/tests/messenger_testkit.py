"""Test kit for the Messenger plugin: a channel, a tiny shop, and webhook payloads shaped like Meta's
(``{"object": "page", "entry": [{"id", "time", "messaging": [{sender, recipient, timestamp, message|postback}]}]}``
as in the Messenger Platform webhook events reference)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import datetime
from typing import Any

from shopbridge.channels import ChannelContext, InboundRequest, PlatformHTTP, ProductInfo
from shopbridge.money import Money

TOKEN = "EAAPageAccessTokenForAcmeCeramics0123456789"
APP_SECRET = "5e0c1b2a3d4f5e6a7b8c9d0e1f2a3b4c"
VERIFY_TOKEN = "acme-messenger-verify-91ab"
PAGE_ID = "1234567890"
PSID = "24036000000000001"

_mids = itertools.count(1)


def make_channel(base_url: str, *, dry_run: bool = False, recorder=None, **settings: Any) -> ChannelContext:
    values = {"page_id": PAGE_ID, "page_access_token": TOKEN, "app_secret": APP_SECRET,
              "verify_token": VERIFY_TOKEN, "graph_version": "v23.0", "graph_base_url": base_url, **settings}
    secrets = tuple(str(values[k]) for k in ("page_access_token", "app_secret", "verify_token") if values[k])
    return ChannelContext(id=4, name="Acme Messenger", type="messenger", settings=values,
                          http=PlatformHTTP(secrets=secrets, dry_run=dry_run, recorder=recorder), dry_run=dry_run,
                          shop_name="Acme Ceramics", shop_url="https://shop.example/")


class FakeShop:
    def __init__(self):
        self.products = {1: ProductInfo(id=1, slug="red-mug", title="Red mug", description="Glazed by hand.",
                                        brand="Acme", url="https://shop.example/p/red-mug",
                                        image_url="https://shop.example/media/red-mug.jpg", image_alt="Red mug",
                                        price=Money(1500, "EUR"))}

    def find_product(self, ref: str):
        return next((p for p in self.products.values() if ref in (str(p.id), p.slug)), None)

    def tracked_link(self, product, *, channel_id: int, medium: str = "chat") -> str:
        return f"https://shop.example/l/{product.slug}-m{channel_id}"


def envelope(item: dict[str, Any], at: datetime) -> dict[str, Any]:
    ms = int(at.timestamp() * 1000)
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": ms + 123, "messaging": [
        {"sender": {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp": ms, **item}]}]}


def text(body: str, at: datetime, quick_reply: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"mid": f"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_{next(_mids):05d}", "text": body}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    return envelope({"message": message}, at)


def postback(title: str, payload: str, at: datetime) -> dict[str, Any]:
    return envelope({"postback": {"mid": f"m_Pb1Hz2Uq7tuwNEhXfYYKj8_{next(_mids):05d}", "title": title,
                                  "payload": payload}}, at)


def signed(payload: dict[str, Any], secret: str = APP_SECRET) -> InboundRequest:
    body = json.dumps(payload).encode()
    return InboundRequest("POST", "/webhooks/channels/4", {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}, {}, body)


def referral(ref: str, at: datetime) -> dict[str, Any]:
    """``messaging_referrals``: a person opened m.me/<page>?ref=<ref> in an existing conversation."""
    return envelope({"referral": {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}}, at)


def get_started(ref: str, at: datetime) -> dict[str, Any]:
    """A first conversation from an m.me link: the Get Started postback carries the referral."""
    return envelope({"postback": {"title": "Get Started", "payload": "GET_STARTED", "referral": {
        "ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}}}, at)
