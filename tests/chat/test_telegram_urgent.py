"""Telegram gives up on a payment if the pre-checkout question is not answered within 10 seconds: the shop
answers it in the webhook request itself, however long the job queue is."""

from __future__ import annotations

import pytest
from sqlmodel import select
from telegram_testkit import PROVIDER_TOKEN, TOKEN, WEBHOOK_SECRET, Updates


@pytest.fixture
def app_config(tmp_path):
    # A real queue that nothing works through during the test: a backlog the answer must not wait behind.
    return {"PLUGINS_ALLOW": ["telegram"], "SHOP_NAME": "Acme", "QUEUE_URL": ""}


def test_pre_checkout_is_answered_before_the_webhook_returns(channel_factory, telegram_api, client, mugs, app,
                                                             signed_webhook, db_session):
    from shopbridge.channels.inbound import process_event
    from shopbridge.channels.models import ChannelEvent
    from shopbridge.channels.shop import Shop
    from shopbridge.db import session_scope
    from shopbridge_telegram.shop import Customer

    saved = channel_factory("telegram", {"bot_token": TOKEN, "webhook_secret": WEBHOOK_SECRET,
                                         "payment_provider_token": PROVIDER_TOKEN,
                                         "api_base_url": telegram_api.base_url}, dry_run=False)
    with app.app_context(), session_scope(app) as session:
        pending = Shop(app, session, saved.channel).create_pending_order(
            [(f"sb-v{mugs['red'].variants[0].id}", 1)], channel_id=saved.channel.id,
            customer=Customer(platform="telegram", id="111222333"))
    updates = Updates()

    # An ordinary message waits in the queue...
    body, headers = signed_webhook.telegram(updates.text("/start"), WEBHOOK_SECRET)
    client.post(f"/webhooks/channels/{saved.channel.key}", data=body, headers=headers)
    assert telegram_api.called("sendMessage") == []

    # ...the pre-checkout question does not.
    body, headers = signed_webhook.telegram(updates.pre_checkout(pending.reference, 2000), WEBHOOK_SECRET)
    assert client.post(f"/webhooks/channels/{saved.channel.key}", data=body, headers=headers).status_code == 200
    [answer] = telegram_api.called("answerPreCheckoutQuery")
    assert answer["ok"] is True

    # When the worker reaches the queued job, it finds the question answered and does nothing.
    row = db_session.exec(select(ChannelEvent).where(ChannelEvent.kind == "postback")).one()
    assert row.processed_at is not None
    with app.app_context():
        assert process_event(app, row.id) == "skipped"
    assert len(telegram_api.called("answerPreCheckoutQuery")) == 1
