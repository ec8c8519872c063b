"""The owner points the Telegram bot at the shop: from the command line or the admin's "Test connection"."""

from __future__ import annotations

import pytest
from telegram_testkit import TOKEN, Updates

from shopbridge.cli import main


@pytest.fixture
def app_config(tmp_path):
    return {"PLUGINS_ALLOW": ["telegram"], "SHOP_NAME": "Acme", "BASE_URL": "https://shop.example"}


@pytest.fixture
def bot_channel(channel_factory, telegram_api):
    # No webhook secret yet: connecting generates one.
    return channel_factory("telegram", {"bot_token": TOKEN, "api_base_url": telegram_api.base_url},
                           dry_run=False, name="Acme bot").channel


def test_connect_from_the_command_line_sets_the_webhook_with_a_secret(bot_channel, telegram_api, runner, app,
                                                                       client, signed_webhook, db_session):
    from shopbridge.channels import service

    result = runner.invoke(main, ["channel", "connect", "Acme bot"])
    assert result.exit_code == 0, result.output
    assert "Connected as @acme_shop_bot." in result.output
    url = f"https://shop.example/webhooks/channels/{bot_channel.key}"
    assert f"Webhook: {url}" in result.output

    db_session.expire_all()
    secret = service.decrypted_secrets(db_session.get(type(bot_channel), bot_channel.id), app)["webhook_secret"]
    assert len(secret) >= 32
    assert telegram_api.webhook == {"url": url, "secret_token": secret, "max_connections": 40,
                                    "allowed_updates": ["message", "callback_query", "pre_checkout_query"]}

    # Telegram now sends updates with that secret, and only those are accepted.
    update = Updates().text("/start")
    body, headers = signed_webhook.telegram(update, secret)
    assert client.post(f"/webhooks/channels/{bot_channel.key}", data=body, headers=headers).status_code == 200
    body, headers = signed_webhook.telegram(update, "not-the-secret")
    assert client.post(f"/webhooks/channels/{bot_channel.key}", data=body, headers=headers).status_code == 403


def test_connecting_an_unknown_channel_names_the_ones_there_are(bot_channel, runner):
    result = runner.invoke(main, ["channel", "connect", "Nope"])
    assert result.exit_code != 0 and "Acme bot" in result.output


def test_a_shop_without_https_is_told_why_telegram_cannot_reach_it(bot_channel, telegram_api, runner, app):
    app.config["BASE_URL"] = "http://localhost:5000"
    result = runner.invoke(main, ["channel", "connect", "Acme bot"])
    assert result.exit_code == 1
    assert "https://" in result.output and "BASE_URL" in result.output
    assert telegram_api.webhook == {}


def test_the_admin_test_connection_button_sets_the_webhook(bot_channel, telegram_api, auth, client):
    auth.login()
    page = client.get(f"/admin/channels/{bot_channel.id}")
    assert page.status_code == 200
    response = client.post(f"/admin/channels/{bot_channel.id}/test", data={"csrf_token": auth.csrf()},
                           follow_redirects=True)
    assert "Connected as @acme_shop_bot." in response.get_data(as_text=True)
    assert telegram_api.webhook["url"] == f"https://shop.example/webhooks/channels/{bot_channel.key}"
