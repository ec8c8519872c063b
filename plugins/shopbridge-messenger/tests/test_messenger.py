"""A Page's Messenger conversations: verified webhooks, events, and product cards as generic templates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points

import pytest
from messenger_testkit import (
    APP_SECRET,
    PSID,
    TOKEN,
    VERIFY_TOKEN,
    get_started,
    make_channel,
    postback,
    referral,
    signed,
    text,
)

from shopbridge.channels import InboundRequest, Reply, WebhookSignatureError
from shopbridge_messenger import OutsideMessagingWindow


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_discovered_through_the_entry_point(hooks):
    assert {ep.name: ep.value for ep in entry_points(group="shopbridge.plugins")}["messenger"] == "shopbridge_messenger"
    types = [t for result in hooks.shopbridge_channel_types() for t in result]
    assert any(t.name == "messenger" for t in types)


def test_verification_and_signatures(hooks, channel):
    ok = hooks.shopbridge_webhook_challenge(channel=channel, request=InboundRequest(
        "GET", "/w", {}, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"}, b""))
    assert (ok.status, ok.body) == (200, "42")
    bad = hooks.shopbridge_webhook_challenge(channel=channel, request=InboundRequest(
        "GET", "/w", {}, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "42"}, b""))
    assert bad.status == 403
    with pytest.raises(WebhookSignatureError):
        hooks.shopbridge_parse_webhook(channel=channel, request=signed(text("hi", now()), secret="forged"))
    unsigned = signed(text("hi", now()))
    with pytest.raises(WebhookSignatureError):
        hooks.shopbridge_parse_webhook(channel=channel, request=InboundRequest(
            "POST", "/w", {"Content-Type": "application/json"}, {}, unsigned.body))


def test_messages_quick_replies_and_postbacks_become_events(hooks, channel):
    at = now()
    [message] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(text("Is the red mug available?", at)))
    assert (message.kind, message.author_id, message.thread_id, message.text, message.occurred_at) == (
        "message", PSID, PSID, "Is the red mug available?", at)
    [quick] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(text("Buy now", at, "BUY:red-mug")))
    assert (quick.kind, quick.payload["button_payload"]) == ("postback", "BUY:red-mug")
    [tap] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(postback("Buy", "BUY:red-mug", at)))
    assert (tap.kind, tap.text) == ("postback", "Buy")


def test_reply_with_a_generic_template(hooks, channel, messenger_api, shop):
    [event] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(text("BUY", now())))
    result = hooks.shopbridge_reply(channel=channel, event=event, reply=Reply(
        text="Here it is:", link_url="https://shop.example/l/abc", product=shop.products[1]))
    intro, card = messenger_api.sent
    assert intro == {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "Here it is:"}}
    assert card["messaging_type"] == "RESPONSE"
    assert card["message"]["attachment"]["payload"] == {"template_type": "generic", "elements": [{
        "title": "Red mug", "subtitle": "€15.00", "image_url": "https://shop.example/media/red-mug.jpg",
        "default_action": {"type": "web_url", "url": "https://shop.example/l/abc"},
        "buttons": [{"type": "web_url", "url": "https://shop.example/l/abc", "title": "View & buy"}]}]}
    assert result.remote_id == "m_FAKE00002"


def test_a_buy_button_is_answered_with_the_product_card(hooks, channel, messenger_api, shop):
    [tap] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(postback("Buy", "BUY:red-mug", now())))
    hooks.shopbridge_inbound_event(channel=channel, event=tap, shop=shop)
    [card] = messenger_api.sent
    button = card["message"]["attachment"]["payload"]["elements"][0]["buttons"][0]
    assert button["url"] == "https://shop.example/l/red-mug-m4"


def test_replies_outside_the_24_hour_window_are_refused(hooks, channel, messenger_api):
    [event] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(text("hello?", now() - timedelta(days=2))))
    with pytest.raises(OutsideMessagingWindow):
        hooks.shopbridge_reply(channel=channel, event=event, reply=Reply(text="Sorry for the wait"))
    assert messenger_api.sent == []


def test_test_connection_names_the_page(hooks, channel):
    assert hooks.shopbridge_test_connection(channel=channel).detail == "Connected to the Page “Acme Ceramics”."


def test_dry_run_outbox_masks_the_page_token(hooks, shop):
    outbox = []
    channel = make_channel("https://graph.facebook.com", dry_run=True, recorder=outbox.append)
    [event] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(text("BUY", now())))
    hooks.shopbridge_reply(channel=channel, event=event, reply=Reply(text="", link_url="https://shop.example/l/x",
                                                                     product=shop.products[1]))
    [request] = outbox
    assert (request.method, request.url) == ("POST", "https://graph.facebook.com/v23.0/me/messages")
    assert request.headers["Authorization"] == "***"
    assert TOKEN not in json.dumps(request.__dict__) and APP_SECRET not in json.dumps(request.__dict__)


def test_the_fake_refuses_what_meta_would(channel, messenger_api):
    from shopbridge.channels import PlatformError
    from shopbridge_messenger import send

    with pytest.raises(PlatformError):  # a button title over 20 characters
        send(channel, PSID, {"attachment": {"type": "template", "payload": {"template_type": "generic", "elements": [
            {"title": "Mug", "buttons": [{"type": "web_url", "url": "https://x.y", "title": "A title far too long!"}]}]}}})
    with pytest.raises(PlatformError):  # text and attachment together
        send(channel, PSID, {"text": "hi", "attachment": {"type": "image", "payload": {"url": "https://x.y/i.jpg"}}})
    assert len(messenger_api.take_violations()) == 2


@pytest.mark.parametrize("opened", [referral, get_started])
def test_an_m_me_link_with_a_product_ref_opens_on_the_product(hooks, channel, messenger_api, shop, opened):
    # The shop prints m.me/acmeceramics?ref=red-mug as a QR code; scanning it opens the conversation.
    [event] = hooks.shopbridge_parse_webhook(channel=channel, request=signed(opened("red-mug", now())))
    hooks.shopbridge_inbound_event(channel=channel, event=event, shop=shop)
    [card] = messenger_api.sent
    assert card["message"]["attachment"]["payload"]["elements"][0]["title"] == "Red mug"
