"""Shoppers talk to the shop on WhatsApp: product cards, catalogue carts turned into orders, and the 24-hour rule."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points

import pytest
from whatsapp_testkit import (
    APP_SECRET,
    CATALOGUE_ID,
    SHOPPER,
    TOKEN,
    VERIFY_TOKEN,
    button_reply,
    failed_status,
    make_channel,
    order_message,
    signed,
    text_message,
)

import shopbridge_whatsapp
from shopbridge.channels import AuthError, InboundRequest, Reply, WebhookSignatureError
from shopbridge_whatsapp import OutsideCustomerServiceWindow, send_template


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_discovered_through_the_entry_point(hooks):
    assert {ep.name: ep.value for ep in entry_points(group="shopbridge.plugins")}["whatsapp"] == "shopbridge_whatsapp"
    [types] = [r for r in hooks.shopbridge_channel_types() if any(t.name == "whatsapp" for t in r)]
    whatsapp = next(t for t in types if t.name == "whatsapp")
    assert {f.name for f in whatsapp.settings if f.secret} == {"access_token", "app_secret", "verify_token"}
    # Verbs answer only for WhatsApp channels, so other plugins get their turn.
    other = dataclasses.replace(make_channel("https://graph.facebook.com"), type="telegram")
    assert shopbridge_whatsapp.shopbridge_reply(channel=other, event=None, reply=None) is None
    assert shopbridge_whatsapp.shopbridge_parse_webhook(channel=other, request=None) is None


def test_webhook_verification_challenge(hooks, channel):
    def get(token):
        return InboundRequest("GET", "/webhooks/channels/3", {}, {"hub.mode": "subscribe", "hub.verify_token": token,
                                                                  "hub.challenge": "1158201444"}, b"")

    answer = hooks.shopbridge_webhook_challenge(channel=channel, request=get(VERIFY_TOKEN))
    assert (answer.status, answer.body) == (200, "1158201444")
    assert hooks.shopbridge_webhook_challenge(channel=channel, request=get("guess")).status == 403
    plain = InboundRequest("GET", "/webhooks/channels/3", {}, {}, b"")
    assert hooks.shopbridge_webhook_challenge(channel=channel, request=plain) is None


@pytest.mark.parametrize("tamper", ["wrong secret", "no header", "body changed"])
def test_unsigned_or_tampered_webhooks_are_refused(hooks, channel, tamper):
    payload = text_message("hello", at=now())
    request = signed(payload, secret="not-the-app-secret" if tamper == "wrong secret" else APP_SECRET)
    if tamper == "no header":
        request = InboundRequest(request.method, request.path, {"Content-Type": "application/json"}, {}, request.body)
    if tamper == "body changed":
        request = InboundRequest(request.method, request.path, request.headers, {},
                                 request.body.replace(b"hello", b"HELLO"))
    with pytest.raises(WebhookSignatureError):
        hooks.shopbridge_parse_webhook(channel=channel, request=request)


def test_messages_and_statuses_become_events(hooks, channel):
    at = now()
    [message] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(
        text_message("Does it come in another color?", at=at)))
    assert (message.kind, message.author_id, message.thread_id, message.author_name, message.text,
            message.occurred_at) == ("message", SHOPPER, SHOPPER, "Sheena Nelson", "Does it come in another color?", at)
    [button] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(button_reply("cancel-button", "Cancel",
                                                                                          at=at)))
    assert (button.kind, button.text) == ("postback", "Cancel")
    [status] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(failed_status("wamid.X", at=at)))
    assert status.kind == "status" and status.payload["outside_window"] is True
    assert "24 hours" in status.text and "template" in status.text


def test_a_catalogue_cart_becomes_a_pending_order_with_a_checkout_link(inbox, whatsapp_api, shop):
    # Sheena sends a cart; her phone claims the mugs cost $0.30: only the shop's prices count.
    inbox.deliver(order_message([("di9ozbzfi4", 2, 0.30), ("nqryix03ez", 3, 25)], at=now()))
    [order] = shop.orders
    assert [(line.title, line.quantity, line.unit_price.amount_minor) for line in order.lines] == [
        ("Red mug", 2, 1500), ("Serving bowl (Small)", 1, 2500)]
    assert order.channel_id == 3 and order.customer.id == SHOPPER
    [sent] = whatsapp_api.sent
    card = sent["interactive"]
    assert sent["to"] == SHOPPER and card["type"] == "cta_url"
    assert card["action"]["parameters"] == {"display_text": "Pay now", "url": order.checkout_url}
    assert card["body"]["text"] == ("Only 1 Serving bowl left: quantity set to 1.\n\n"
                                    "2 × Red mug — $30.00\n1 × Serving bowl (Small) — $25.00\nShipping — $5.00\n"
                                    "*Total $60.00*")
    assert card["footer"]["text"] == "Prices and stock confirmed by Acme Ceramics"


def test_a_cart_of_sold_out_items_gets_an_apology(inbox, whatsapp_api, shop):
    shop.options[1][0].stock = 0
    inbox.deliver(order_message([("di9ozbzfi4", 1, 15)], at=now()))
    assert whatsapp_api.sent[-1]["text"]["body"] == "Sorry, nothing in this cart can be ordered right now."


def test_reply_with_a_product_card_inside_the_window(hooks, inbox, whatsapp_api, shop, channel):
    [event] = inbox.deliver(text_message("BUY", at=now() - timedelta(hours=23)))
    result = hooks.shopbridge_reply(channel=channel, event=event, reply=Reply(
        text="Here it is!", link_url="https://shop.example/l/abc", product=shop.products[1]))
    sent = whatsapp_api.sent[-1]
    assert result.remote_id == "wamid.FAKE000001"
    assert sent["context"] == {"message_id": event.external_id}
    card = sent["interactive"]
    assert card["header"] == {"type": "image", "image": {"link": "https://shop.example/media/red-mug.jpg"}}
    assert card["body"]["text"].startswith("*Red mug*\n$15.00\n\nHere it is!")
    assert card["action"] == {"name": "cta_url", "parameters": {"display_text": "View & buy",
                                                                "url": "https://shop.example/l/abc"}}


def test_free_form_is_refused_outside_the_window_and_a_template_is_allowed(hooks, inbox, whatsapp_api, channel):
    [event] = inbox.deliver(text_message("Is the mug back in stock?", at=now() - timedelta(hours=25)))
    with pytest.raises(OutsideCustomerServiceWindow, match="approved template"):
        hooks.shopbridge_reply(channel=channel, event=event, reply=Reply(text="Yes, it is!"))
    assert whatsapp_api.sent == []  # refused before anything left the shop

    # If the core knows she wrote again since, the window is open.
    later = event.__class__(**{**event.__dict__, "payload": {**event.payload,
                                                             "customer_last_inbound_at": now().isoformat()}})
    whatsapp_api.customer_wrote(SHOPPER, now())
    hooks.shopbridge_reply(channel=channel, event=later, reply=Reply(text="Yes, it is!"))
    assert whatsapp_api.sent[-1]["text"]["body"] == "Yes, it is!"

    result = send_template(channel, SHOPPER, "back_in_stock", language="en_US", components=[
        {"type": "body", "parameters": [{"type": "text", "text": "Red mug"}]}])
    assert result.remote_id.startswith("wamid.")
    assert whatsapp_api.sent[-1]["template"] == {"name": "back_in_stock", "language": {"code": "en_US"},
                                                 "components": [{"type": "body", "parameters": [
                                                     {"type": "text", "text": "Red mug"}]}]}


def test_a_product_code_gets_the_catalogue_product_message(inbox, whatsapp_api, channel):
    channel.settings["catalogue_id"] = CATALOGUE_ID
    inbox.deliver(text_message("red-mug", at=now()))  # e.g. the prefilled text of a wa.me link on a QR code
    single = whatsapp_api.sent[-1]["interactive"]
    assert single["type"] == "product"
    assert single["action"] == {"catalog_id": CATALOGUE_ID, "product_retailer_id": "di9ozbzfi4"}

    inbox.deliver(text_message("Do you still have the #bowl?", at=now()))
    multi = whatsapp_api.sent[-1]["interactive"]
    assert multi["type"] == "product_list" and multi["header"] == {"type": "text", "text": "Serving bowl"}
    assert multi["action"]["sections"] == [{"title": "Serving bowl", "product_items": [
        {"product_retailer_id": "nqryix03ez"}, {"product_retailer_id": "nqryix03fz"}]}]

    inbox.deliver(text_message("Thanks, see you soon", at=now()))
    inbox.deliver(text_message("1", at=now()))  # an answer to a person's question, not product #1
    assert len(whatsapp_api.sent) == 2  # ordinary words are left to people and keyword rules
    inbox.deliver(text_message("I'd like #1 please", at=now()))
    assert whatsapp_api.sent[-1]["interactive"]["action"]["product_retailer_id"] == "di9ozbzfi4"


def test_without_a_catalogue_a_product_code_gets_a_card_with_the_tracked_link(inbox, whatsapp_api):
    inbox.deliver(text_message("red-mug", at=now()))
    card = whatsapp_api.sent[-1]["interactive"]
    assert card["type"] == "cta_url" and card["action"]["parameters"]["url"] == "https://shop.example/l/red-mug-wa3"


def test_test_connection_reports_the_number_and_a_disabled_cart(hooks, whatsapp_api, channel):
    channel.settings["catalogue_id"] = CATALOGUE_ID
    whatsapp_api.cart_enabled = False
    check = hooks.shopbridge_test_connection(channel=channel)
    assert check.ok and check.detail.startswith("Connected to +1 555-078-3881 (Acme Ceramics), quality GREEN.")
    assert "cart is switched off" in check.detail


def test_an_expired_token_is_explained(hooks, whatsapp_api):
    channel = make_channel(whatsapp_api.base_url, access_token="EAAexpiredexpiredexpired")
    with pytest.raises(AuthError, match="access token"):
        hooks.shopbridge_test_connection(channel=channel)


def test_dry_run_records_the_request_with_secrets_masked(hooks, shop):
    outbox = []
    channel = make_channel("https://graph.facebook.com", dry_run=True, recorder=outbox.append)
    event = hooks.shopbridge_parse_webhook(channel=channel, request=signed(text_message("BUY", at=now())))[0]
    result = hooks.shopbridge_reply(channel=channel, event=event, reply=Reply(
        text="Here you go", link_url="https://shop.example/l/abc", product=shop.products[1]))
    assert result.remote_id.startswith("wamid.")
    [request] = outbox
    assert request.url == "https://graph.facebook.com/v23.0/106540352242922/messages"
    assert request.headers["Authorization"] == "***"
    assert request.body["interactive"]["type"] == "cta_url"
    assert TOKEN not in json.dumps(request.__dict__) and APP_SECRET not in json.dumps(request.__dict__)


def test_the_fake_refuses_what_meta_would(whatsapp_api, channel):
    """A missing required field, a too-long button label and an unknown message type are all caught."""
    from shopbridge.channels import PlatformError
    from shopbridge_whatsapp.api import WhatsAppAPI

    whatsapp_api.customer_wrote(SHOPPER, now())
    api = WhatsAppAPI(channel)
    with pytest.raises(PlatformError, match="Invalid parameter|required"):
        api.send(SHOPPER, "text", {"preview_url": True}, last_inbound_at=now())
    with pytest.raises(PlatformError):
        api.send(SHOPPER, "interactive", {"type": "cta_url", "body": {"text": "x"}, "action": {
            "name": "cta_url", "parameters": {"display_text": "A label far too long for it", "url": "https://x.y"}}},
            last_inbound_at=now())
    with pytest.raises(PlatformError):
        api.send(SHOPPER, "carousel_of_joy", {}, last_inbound_at=now())
    assert len(whatsapp_api.take_violations()) == 3


def test_payloads_for_another_number_or_garbage_are_ignored(hooks, channel):
    other = text_message("hello", at=now())
    other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999999"
    assert hooks.shopbridge_parse_webhook(channel=channel, request=signed(other)) == []
    garbage = signed({"object": "page"})
    assert hooks.shopbridge_parse_webhook(channel=channel, request=garbage) == []
    broken = InboundRequest("POST", "/w", signed({}).headers, {}, b"{not json")
    with pytest.raises(WebhookSignatureError):  # the signature is checked before anything is parsed
        hooks.shopbridge_parse_webhook(channel=channel, request=broken)
