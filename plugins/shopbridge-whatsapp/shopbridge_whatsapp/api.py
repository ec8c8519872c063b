"""Sending WhatsApp messages through the Cloud API, and the 24-hour customer-service window.

``POST {graph_base_url}/{version}/{phone_number_id}/messages`` with ``Authorization: Bearer <access token>``
(developers.facebook.com/docs/whatsapp/cloud-api/reference/messages). Meta's rule: a business may send
free-form messages (text, interactive, media) only within 24 hours of the customer's last message to it; after
that only pre-approved **template** messages are delivered. The Cloud API does not refuse such a message when it
is sent — it accepts it and later reports a ``failed`` status with error 131047 — so this module refuses it up
front with :class:`OutsideCustomerServiceWindow`, which says what to do instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from shopbridge.channels import AuthError, ChannelContext, PlatformError, ProductInfo, RateLimited

DEFAULT_GRAPH_BASE = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v23.0"
CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)

#: Limits from the Messages reference: text.body 4096; interactive body 1024, footer 60, header text 60;
#: cta_url display_text 20; product_list ≤ 10 sections, ≤ 30 items in all, section title 24.
TEXT_LIMIT = 4096
BODY_LIMIT = 1024
FOOTER_LIMIT = 60
HEADER_LIMIT = 60
BUTTON_TEXT_LIMIT = 20
SECTION_TITLE_LIMIT = 24
PRODUCT_LIST_ITEMS = 30

#: Graph error codes worth a plain-words message (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
OUTSIDE_WINDOW_CODE = 131047
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}
AUTH_CODES = {190, 0, 3, 10, 200}


class OutsideCustomerServiceWindow(PlatformError):
    """Free-form messages are only allowed within 24 hours of the customer's last message."""

    def __init__(self, last_inbound_at: datetime | None):
        when = f" (last message {last_inbound_at:%Y-%m-%d %H:%M} UTC)" if last_inbound_at else ""
        super().__init__(
            "WhatsApp only delivers free-form messages within 24 hours of the customer's last message"
            f"{when}. Send an approved template message instead, or wait for the customer to write again.",
            code=str(OUTSIDE_WINDOW_CODE))


def window_open(last_inbound_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether the customer-service window is open, given the customer's last inbound message time."""
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None:
        last_inbound_at = last_inbound_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - last_inbound_at < CUSTOMER_SERVICE_WINDOW


def trim(text: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip(" ,;:.-") + "…"


class WhatsAppAPI:
    """The Cloud API for one channel (one business phone number)."""

    def __init__(self, channel: ChannelContext):
        self.channel = channel
        self.phone_number_id = str(channel.setting("phone_number_id", ""))
        base = str(channel.setting("graph_base_url", DEFAULT_GRAPH_BASE)).rstrip("/")
        self.root = f"{base}/{channel.setting('graph_version', DEFAULT_GRAPH_VERSION)}"

    def _headers(self) -> dict[str, str]:
        token = self.channel.setting("access_token")
        if not token:
            raise AuthError("The WhatsApp access token is missing: create a System User token with "
                            "whatsapp_business_messaging permission in Meta Business Settings.")
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, params: dict[str, Any] | None = None, *, dry_run_response: Any = None) -> Any:
        response = self.channel.http.request("GET", f"{self.root}/{path}", params=params, headers=self._headers(),
                                             dry_run_response=dry_run_response or {})
        return _result(response)

    # --- sending ------------------------------------------------------------------------------------

    def send(self, to: str, message_type: str, content: dict[str, Any], *, last_inbound_at: datetime | None,
             now: datetime | None = None, reply_to: str | None = None) -> str:
        """Send a free-form message (``text``, ``interactive``, ``image``…); returns its ``wamid``.

        :param last_inbound_at: when the customer last wrote to the shop; the message is refused with
            :class:`OutsideCustomerServiceWindow` unless that was less than 24 hours ago.
        """
        if not window_open(last_inbound_at, now):
            raise OutsideCustomerServiceWindow(last_inbound_at)
        return self._post_message(to, message_type, content, reply_to=reply_to)

    def send_template(self, to: str, name: str, *, language: str = "en_US",
                      components: Sequence[dict[str, Any]] = ()) -> str:
        """Send an approved template message: the only kind allowed outside the 24-hour window."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if components:
            template["components"] = list(components)
        return self._post_message(to, "template", template)

    def _post_message(self, to: str, message_type: str, content: dict[str, Any], *,
                      reply_to: str | None = None) -> str:
        if not self.phone_number_id:
            raise PlatformError("This WhatsApp channel has no phone number id: copy it from WhatsApp Manager "
                                "→ Phone numbers (or the app's API Setup page).")
        body: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
                                "type": message_type, message_type: content}
        if reply_to:
            body["context"] = {"message_id": reply_to}
        dry = {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
               "messages": [{"id": f"wamid.DRYRUN{int(time.time() * 1000)}"}]}
        response = self.channel.http.request("POST", f"{self.root}/{self.phone_number_id}/messages",
                                             json_body=body, headers=self._headers(), dry_run_response=dry)
        data = _result(response)
        return str(((data.get("messages") or [{}])[0]).get("id", ""))


def _result(response) -> Any:
    try:
        data = response.json()
    except ValueError:
        raise PlatformError(f"WhatsApp answered with something that is not JSON (HTTP {response.status_code}).",
                            status=response.status_code, transient=True) from None
    if response.status_code < 400 and not (isinstance(data, dict) and "error" in data):
        return data
    error = (data or {}).get("error") or {}
    code = error.get("code")
    details = ((error.get("error_data") or {}).get("details")) or error.get("message") or f"HTTP {response.status_code}"
    if code in RATE_LIMIT_CODES:
        raise RateLimited(f"WhatsApp is limiting how fast we send ({details}).", code=str(code))
    if code in AUTH_CODES or response.status_code == 401:
        raise AuthError("WhatsApp does not accept the access token (expired or missing the "
                        f"whatsapp_business_messaging permission): {details}", status=response.status_code,
                        code=str(code))
    if code == OUTSIDE_WINDOW_CODE:
        raise OutsideCustomerServiceWindow(None)
    if code == 132001:
        raise PlatformError(f"That template does not exist in this language or is not approved yet: {details}",
                            status=response.status_code, code=str(code))
    if code == 131009:
        raise PlatformError(f"WhatsApp refused a parameter: {details}. If this is about a product, check "
                            "that the catalogue is connected to this number and the item is approved.",
                            status=response.status_code, code=str(code))
    raise PlatformError(f"WhatsApp refused the request: {details}", status=response.status_code,
                        code=str(code) if code is not None else None,
                        transient=response.status_code >= 500)


# --- message content --------------------------------------------------------------------------------------

def text(body: str, *, preview_url: bool = True) -> dict[str, Any]:
    return {"body": trim(body, TEXT_LIMIT), "preview_url": preview_url}


def cta_url_card(*, body: str, url: str, button: str, image_url: str | None = None, header_text: str = "",
                 footer: str = "") -> dict[str, Any]:
    """An interactive call-to-action card: header image (or text), body, footer, and one URL button."""
    card: dict[str, Any] = {"type": "cta_url", "body": {"text": trim(body, BODY_LIMIT)},
                            "action": {"name": "cta_url", "parameters": {
                                "display_text": trim(button, BUTTON_TEXT_LIMIT), "url": url}}}
    if image_url:
        card["header"] = {"type": "image", "image": {"link": image_url}}
    elif header_text:
        card["header"] = {"type": "text", "text": trim(header_text, HEADER_LIMIT)}
    if footer:
        card["footer"] = {"text": trim(footer, FOOTER_LIMIT)}
    return card


def product_card(product: ProductInfo, link_url: str, *, intro: str = "", shop_name: str = "") -> dict[str, Any]:
    price = product.price.format()
    lines = [f"*{product.title}*", price if product.available else f"{price} · sold out"]
    body = "\n".join(lines) + (f"\n\n{intro}" if intro else "") + (f"\n\n{product.description}" if product.description else "")
    return cta_url_card(body=body, url=link_url, button="View & buy", image_url=product.image_url,
                        footer=shop_name)


def single_product(catalog_id: str, retailer_id: str, *, body: str = "", footer: str = "") -> dict[str, Any]:
    """A single-product message: WhatsApp renders the catalogue item with its own image and price."""
    message: dict[str, Any] = {"type": "product", "action": {"catalog_id": catalog_id,
                                                             "product_retailer_id": retailer_id}}
    if body:
        message["body"] = {"text": trim(body, BODY_LIMIT)}
    if footer:
        message["footer"] = {"text": trim(footer, FOOTER_LIMIT)}
    return message


def product_list(catalog_id: str, *, header: str, body: str,
                 sections: Sequence[tuple[str, Sequence[str]]], footer: str = "") -> dict[str, Any]:
    """A multi-product message: up to 10 sections and 30 catalogue items in all."""
    remaining = PRODUCT_LIST_ITEMS
    built = []
    for title, retailer_ids in sections[:10]:
        ids = list(retailer_ids)[:remaining]
        if not ids:
            continue
        remaining -= len(ids)
        built.append({"title": trim(title, SECTION_TITLE_LIMIT),
                      "product_items": [{"product_retailer_id": rid} for rid in ids]})
    message: dict[str, Any] = {"type": "product_list", "header": {"type": "text", "text": trim(header, HEADER_LIMIT)},
                               "body": {"text": trim(body, BODY_LIMIT)},
                               "action": {"catalog_id": catalog_id, "sections": built}}
    if footer:
        message["footer"] = {"text": trim(footer, FOOTER_LIMIT)}
    return message
