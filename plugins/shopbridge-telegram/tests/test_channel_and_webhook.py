"""The shop owner connects the bot, posts products to the channel, and only Telegram can talk to the webhook."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest
from telegram_testkit import TOKEN, WEBHOOK_SECRET, make_channel, webhook_request

import shopbridge_telegram
from shopbridge.channels import AuthError, PostContent, WebhookSignatureError


def post(shop, **options) -> PostContent:
    product = shop.products[2]
    return PostContent(post_id=5, title=product.title, text="Our <large> bowl & friends: 20% off! #ceramics",
                       link_url="https://shop.example/l/p5-tg", image_url=product.image_url, image_alt="",
                       products=(product,), options=options)


def test_plugin_is_found_through_its_entry_point(plugin_manager):
    names = {ep.name: ep.value for ep in entry_points(group="shopbridge.plugins")}
    assert names["telegram"] == "shopbridge_telegram"
    assert plugin_manager.get_plugin("telegram") is shopbridge_telegram
    types = [t for result in plugin_manager.hook.shopbridge_channel_types() for t in result]
    telegram = next(t for t in types if t.name == "telegram")
    assert {f.name for f in telegram.settings if f.secret} == {"bot_token", "webhook_secret",
                                                                 "payment_provider_token"}


def test_test_connection_sets_the_webhook_with_a_generated_secret(hooks, telegram_api):
    saved = {}
    channel = make_channel(telegram_api.base_url, webhook_secret="", bot_username="")
    channel.save_settings = saved.update
    check = hooks.shopbridge_test_connection(channel=channel)
    assert check.ok and check.detail.startswith("Connected as @acme_shop_bot.")
    secret = saved["webhook_secret"]
    assert len(secret) >= 32 and saved["bot_username"] == "acme_shop_bot"
    assert telegram_api.webhook == {"url": "https://shop.example/webhooks/channels/7", "secret_token": secret,
                                    "allowed_updates": ["message", "callback_query", "pre_checkout_query"],
                                    "max_connections": 40}
    # From now on updates must carry that secret.
    assert hooks.shopbridge_parse_webhook(channel=channel, request=webhook_request(
        {"update_id": 1, "message": {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"},
                                     "from": {"id": 5, "first_name": "A"}, "text": "hi"}}, secret))


def test_revoked_token_is_explained(hooks, telegram_api):
    channel = make_channel(telegram_api.base_url, bot_token="123456789:AAHrevokedrevokedrevokedrevoked0000")
    with pytest.raises(AuthError, match="@BotFather"):
        hooks.shopbridge_test_connection(channel=channel)


@pytest.mark.parametrize("secret", [None, "", "wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]])
def test_updates_without_the_secret_token_are_refused(hooks, channel, updates, secret):
    with pytest.raises(WebhookSignatureError):
        hooks.shopbridge_parse_webhook(channel=channel, request=webhook_request(updates.text("/start"), secret))


def test_with_no_secret_configured_nothing_is_accepted(hooks, telegram_api, updates):
    channel = make_channel(telegram_api.base_url, webhook_secret="")
    with pytest.raises(WebhookSignatureError):
        hooks.shopbridge_parse_webhook(channel=channel, request=webhook_request(updates.text("/start"), ""))


def test_updates_become_events(hooks, channel, updates):
    events = hooks.shopbridge_parse_webhook(channel=channel, request=webhook_request(
        updates.text("Do you have the red mug in stock?")))
    assert [(e.kind, e.author_id, e.thread_id, e.author_name, e.text) for e in events] == [
        ("message", "111222333", "111222333", "Jane Doe", "Do you have the red mug in stock?")]
    payment = updates.payment("ord_0001", 2000, "charge-1")
    [event] = hooks.shopbridge_parse_webhook(channel=channel, request=webhook_request(payment))
    assert (event.kind, event.external_id) == ("payment", "payment:charge-1")


def test_publish_update_and_delete_a_channel_post(hooks, channel, telegram_api, shop):
    result = hooks.shopbridge_publish_post(channel=channel, content=post(shop))
    sent = telegram_api.called("sendPhoto")[-1]
    assert sent["chat_id"] == "@acme_shop"
    assert sent["caption"] == "Our &lt;large&gt; bowl &amp; friends: 20% off! #ceramics"
    assert sent["parse_mode"] == "HTML"
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": "Buy now", "url": "https://shop.example/l/p5-tg"}]]}
    assert result.remote_id.startswith("@acme_shop:") and result.url.startswith("https://t.me/acme_shop/")

    hooks.shopbridge_update_post(channel=channel, content=post(shop, button_text="Shop the bowl"),
                                 remote_id=result.remote_id)
    edited = telegram_api.called("editMessageCaption")[-1]
    assert edited["reply_markup"]["inline_keyboard"][0][0]["text"] == "Shop the bowl"

    assert hooks.shopbridge_delete_post(channel=channel, remote_id=result.remote_id) is True
    # Deleting again (a retried job) is still success: the post is gone.
    assert hooks.shopbridge_delete_post(channel=channel, remote_id=result.remote_id) is True


def test_long_captions_are_cut_to_telegrams_limit(hooks, channel, telegram_api, shop):
    text = hooks.shopbridge_render_post_text(channel=channel, post={
        "caption": "Fired twice & glazed by hand. " * 60, "hashtags": ["ceramics", "faenza"], "title": "Bowl",
        "products": []}, link_url="https://shop.example/l/x")
    assert len(text) <= 1024 and text.endswith("#ceramics #faenza")
    content = post(shop)
    hooks.shopbridge_publish_post(channel=channel, content=PostContent(**{**content.__dict__, "text": text}))
    # The fake measures the caption after entity parsing and would have refused anything over 1024.
    assert telegram_api.called("sendPhoto")


def test_dry_run_records_exact_requests_with_the_token_masked(hooks, shop):
    outbox = []
    channel = make_channel("https://api.telegram.org", dry_run=True, recorder=outbox.append)
    result = hooks.shopbridge_publish_post(channel=channel, content=post(shop))
    assert result.remote_id.startswith("@acme_shop:")
    [request] = outbox
    assert request.method == "POST"
    assert request.url == "https://api.telegram.org/bot***/sendPhoto"
    assert TOKEN not in json.dumps(request.__dict__)
    assert request.body["chat_id"] == "@acme_shop" and request.body["photo"].endswith("blue-bowl.jpg")


def test_dry_run_bot_conversation_masks_the_payment_token(hooks, shop, updates):
    from telegram_testkit import PROVIDER_TOKEN, Bot

    outbox = []
    channel = make_channel("https://api.telegram.org", dry_run=True, recorder=outbox.append)
    Bot(hooks, channel, shop).deliver(updates.callback("buy:1", {"message_id": 9, "text": "Red mug"}))
    invoice = next(r for r in outbox if r.url.endswith("/sendInvoice"))
    assert invoice.body["provider_token"] == "***"
    assert PROVIDER_TOKEN not in json.dumps([r.__dict__ for r in outbox])


def test_a_wrong_request_fails_against_the_fake(telegram_api, channel):
    """The fake really judges requests: a misspelt parameter and a missing required one are caught."""
    from shopbridge.channels import PlatformError
    from shopbridge_telegram.api import TelegramAPI

    api = TelegramAPI(channel)
    with pytest.raises(PlatformError, match="Bad Request"):
        api.call("sendPhoto", {"chat_id": "@acme_shop", "photo": "https://x/y.jpg", "captoin": "hi"})
    with pytest.raises(PlatformError, match="Bad Request"):
        api.call("answerPreCheckoutQuery", {"pre_checkout_query_id": "1", "ok": False})
    with pytest.raises(PlatformError, match="Not Found"):
        api.call("sendInvoce", {"chat_id": 1})
    with pytest.raises(PlatformError, match="Bad Request"):
        api.call("sendMessage", {"chat_id": 1, "text": "a < b & c", "parse_mode": "HTML"})
    assert len(telegram_api.take_violations()) == 4


def test_start_link_command_prints_the_deep_link_and_writes_a_qr_code(plugin_manager, tmp_path):
    import zxingcpp
    from click.testing import CliRunner
    from PIL import Image

    [[group]] = [r for r in plugin_manager.hook.shopbridge_cli_commands() if r and r[0].name == "telegram"]
    qr = tmp_path / "red-mug.png"
    result = CliRunner().invoke(group, ["start-link", "@acme_shop_bot", "red-mug", "--qr", str(qr)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "https://t.me/acme_shop_bot?start=red-mug"
    [decoded] = zxingcpp.read_barcodes(Image.open(qr))
    assert decoded.text == "https://t.me/acme_shop_bot?start=red-mug"

    refused = CliRunner().invoke(group, ["start-link", "acme_shop_bot", "red mug!"])
    assert refused.exit_code == 2 and "64 letters, digits, _ or -" in refused.output


def test_updates_the_shop_does_not_use_are_ignored(hooks, channel):
    from shopbridge.channels import InboundRequest

    channel_post = {"update_id": 5, "channel_post": {"message_id": 3, "date": 1, "text": "hi",
                                                     "chat": {"id": -1001234567890, "type": "channel"}}}
    assert hooks.shopbridge_parse_webhook(channel=channel, request=webhook_request(channel_post)) == []
    broken = InboundRequest("POST", "/w", webhook_request({}).headers, {}, b"{not json")
    assert hooks.shopbridge_parse_webhook(channel=channel, request=broken) == []
