"""Shoppers on WhatsApp and Messenger, answered by the real shop: carts priced by the shop and paid on its own
checkout, product cards with the channel's tracked links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import messenger_testkit
import pytest
import whatsapp_testkit
from sqlmodel import select

from shopbridge.checkout.models import Order, OrderStatus, StockState


@pytest.fixture
def whatsapp(channel_factory, whatsapp_api):
    return channel_factory("whatsapp", {
        "phone_number_id": whatsapp_testkit.PHONE_NUMBER_ID, "access_token": whatsapp_testkit.TOKEN,
        "app_secret": whatsapp_testkit.APP_SECRET, "verify_token": whatsapp_testkit.VERIFY_TOKEN,
        "catalogue_id": whatsapp_testkit.CATALOGUE_ID, "graph_version": "v23.0",
        "graph_base_url": whatsapp_api.base_url}, dry_run=False, name="Acme WhatsApp").channel


def post_whatsapp(client, channel, payload, signed_webhook):
    body, headers = signed_webhook.meta(payload, whatsapp_testkit.APP_SECRET)
    response = client.post(f"/webhooks/channels/{channel.key}", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_whatsapp_cart_becomes_an_order_priced_by_the_shop(whatsapp, whatsapp_api, mugs, client, db_session,
                                                             signed_webhook):
    red, large = mugs["red"].variants[0], mugs["bowl"].variants[1]
    now = datetime.now(UTC)
    whatsapp_api.customer_wrote(whatsapp_testkit.SHOPPER, now)
    # The cart says each item costs a cent: the phone's view of the catalogue is never trusted.
    cart = whatsapp_testkit.order_message([(f"sb-v{red.id}", 5, 0.01), (f"sb-v{large.id}", 1, 0.01),
                                           ("sb-v999999", 1, 0.01)], at=now, currency="EUR")
    post_whatsapp(client, whatsapp, cart, signed_webhook)

    order = db_session.exec(select(Order)).one()
    assert [(x.title, x.quantity, x.unit_price_minor) for x in order.lines] == [
        ("Red mug", 3, 1500), ("Serving bowl (Large)", 1, 3200)]
    assert (order.status, order.stock_state, order.total_minor) == (OrderStatus.pending, StockState.reserved, 8200)
    assert order.link_code  # the channel's link: the sale counts for WhatsApp

    [answer] = whatsapp_api.sent
    assert answer["to"] == whatsapp_testkit.SHOPPER and answer["context"]["message_id"] == \
        cart["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    card = answer["interactive"]
    assert card["type"] == "cta_url"
    assert card["body"]["text"].splitlines()[:2] == ["Sorry, one item is no longer available.",
                                                     "Only 3 Red mug left: quantity set to 3."]
    assert "*Total €82.00*" in card["body"]["text"]
    pay_url = card["action"]["parameters"]["url"]
    assert pay_url.endswith(f"/checkout/pay/{order.token}")

    # Meta delivers the same webhook again: no second order, no second message.
    assert post_whatsapp(client, whatsapp, cart, signed_webhook)["new"] == 0
    assert len(db_session.exec(select(Order)).all()) == 1 and len(whatsapp_api.sent) == 1

    # The link opens the shop's own payment for that very order (the sandbox provider in tests).
    response = client.get(pay_url.split("localhost", 1)[-1])
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Order, order.id).provider_reference


def test_a_whatsapp_cart_with_nothing_left_is_answered_in_words(whatsapp, whatsapp_api, mugs, client, db_session,
                                                                signed_webhook):
    from shopbridge.catalogue.models import Variant

    red = db_session.get(Variant, mugs["red"].variants[0].id)
    red.stock = 0
    db_session.add(red)
    db_session.commit()
    now = datetime.now(UTC)
    whatsapp_api.customer_wrote(whatsapp_testkit.SHOPPER, now)
    post_whatsapp(client, whatsapp, whatsapp_testkit.order_message([(f"sb-v{red.id}", 1, 15.0)], at=now),
                  signed_webhook)
    assert whatsapp_api.sent[-1]["text"]["body"] == "Sorry, Red mug is sold out."
    assert db_session.exec(select(Order)).all() == []


def test_a_product_code_gets_its_card_with_the_channels_link(whatsapp, whatsapp_api, mugs, client, signed_webhook,
                                                            db_session):
    from shopbridge.channels.models import Channel

    # Without a catalogue connected, the bot answers with the shop's own card and tracked link.
    channel = db_session.get(Channel, whatsapp.id)
    channel.settings = {**channel.settings, "catalogue_id": ""}
    db_session.add(channel)
    db_session.commit()
    now = datetime.now(UTC)
    whatsapp_api.customer_wrote(whatsapp_testkit.SHOPPER, now)
    post_whatsapp(client, whatsapp, whatsapp_testkit.text_message("red-mug", at=now), signed_webhook)
    card = whatsapp_api.sent[-1]["interactive"]
    assert card["body"]["text"].startswith("*Red mug*\n€15.00")
    assert "/b/" in card["action"]["parameters"]["url"]


@pytest.fixture
def messenger(channel_factory, messenger_api):
    return channel_factory("messenger", {
        "page_id": messenger_testkit.PAGE_ID, "page_access_token": messenger_testkit.TOKEN,
        "app_secret": messenger_testkit.APP_SECRET, "verify_token": messenger_testkit.VERIFY_TOKEN,
        "graph_version": "v23.0", "graph_base_url": messenger_api.base_url}, dry_run=False,
        name="Acme Messenger").channel


def post_messenger(client, channel, payload, signed_webhook):
    body, headers = signed_webhook.meta(payload, messenger_testkit.APP_SECRET)
    response = client.post(f"/webhooks/channels/{channel.key}", data=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_messenger_answers_an_m_me_link_with_a_generic_template(messenger, messenger_api, mugs, client,
                                                                signed_webhook):
    # Jane opens m.me/acme?ref=red-mug from a poster: the Page answers with the product's card.
    post_messenger(client, messenger, messenger_testkit.get_started("red-mug", datetime.now(UTC)), signed_webhook)
    [sent] = messenger_api.sent
    assert sent["recipient"] == {"id": messenger_testkit.PSID}
    template = sent["message"]["attachment"]["payload"]
    assert template["template_type"] == "generic"
    [element] = template["elements"]
    assert (element["title"], element["subtitle"]) == ("Red mug", "€15.00")
    assert "/b/" in element["buttons"][0]["url"]

    post_messenger(client, messenger, messenger_testkit.referral("gone-mug", datetime.now(UTC)), signed_webhook)
    assert messenger_api.sent[-1]["message"] == {"text": "Sorry, this product is no longer available."}


def test_messenger_keyword_reply_is_a_generic_template(messenger, messenger_api, mugs, client, signed_webhook,
                                                      db_session):
    from shopbridge.channels.inbound import add_rule

    add_rule(db_session, keyword="BUY", reply_text="Here you go: {link}", product_id=mugs["red"].id)
    db_session.commit()
    post_messenger(client, messenger, messenger_testkit.text("I want to buy one!", datetime.now(UTC)),
                   signed_webhook)
    intro, card = messenger_api.sent
    assert intro["message"]["text"].startswith("Here you go: http")
    assert card["message"]["attachment"]["payload"]["template_type"] == "generic"


def test_the_24_hour_window_follows_the_customers_stored_messages(whatsapp, whatsapp_api, mugs, client,
                                                                   db_session, signed_webhook, app, users):
    from shopbridge.channels import service as channels
    from shopbridge.channels.inbound import reply_by_hand
    from shopbridge.channels.models import ChannelEvent

    # Sheena asked something 30 hours ago; nobody answered in time.
    then = datetime.now(UTC) - timedelta(hours=30)
    whatsapp_api.customer_wrote(whatsapp_testkit.SHOPPER, then)
    post_whatsapp(client, whatsapp, whatsapp_testkit.text_message("Do you ship to Norway?", at=then), signed_webhook)
    old = db_session.exec(select(ChannelEvent)).one()
    with app.test_request_context(), pytest.raises(channels.ChannelError) as refused:
        reply_by_hand(db_session, old, "Yes we do!", user=users["owner"], app=app)
    assert "24 hours" in refused.value.errors["text"]
    assert whatsapp_api.sent == []

    # She writes again today: answering her old question is fine now, because the shop knows she just wrote
    # (from its stored messages, whatever the old message's own timestamp says).
    now = datetime.now(UTC)
    whatsapp_api.customer_wrote(whatsapp_testkit.SHOPPER, now)
    post_whatsapp(client, whatsapp, whatsapp_testkit.text_message("Hello?", at=now), signed_webhook)
    db_session.expire_all()
    with app.test_request_context():
        reply_by_hand(db_session, db_session.get(ChannelEvent, old.id), "Yes we do!", user=users["owner"], app=app)
    db_session.commit()
    assert whatsapp_api.sent[-1]["text"]["body"] == "Yes we do!"


def test_a_payload_cannot_claim_a_later_time_than_the_shop_received_it(whatsapp, whatsapp_api, client, db_session,
                                                                       signed_webhook):
    from shopbridge.channels.inbound import last_inbound_at
    from shopbridge.channels.models import ChannelEvent

    future = datetime.now(UTC) + timedelta(days=3)
    post_whatsapp(client, whatsapp, whatsapp_testkit.text_message("hi", at=future), signed_webhook)
    row = db_session.exec(select(ChannelEvent)).one()
    assert last_inbound_at(db_session, whatsapp.id, whatsapp_testkit.SHOPPER) == row.created_at < future


def test_pay_now_after_the_reservation_lapsed_reserves_again_or_explains(whatsapp, whatsapp_api, mugs, client,
                                                                         db_session, signed_webhook, app):
    from shopbridge.catalogue.models import Variant
    from shopbridge.checkout import service
    from shopbridge.db import session_scope

    red = mugs["red"].variants[0]
    now = datetime.now(UTC)
    whatsapp_api.customer_wrote(whatsapp_testkit.SHOPPER, now)
    post_whatsapp(client, whatsapp, whatsapp_testkit.order_message([(f"sb-v{red.id}", 2, 15.0)], at=now),
                  signed_webhook)
    pay_path = whatsapp_api.sent[-1]["interactive"]["action"]["parameters"]["url"].split("localhost", 1)[-1]
    order_id = db_session.exec(select(Order)).one().id

    def lapse():  # what the reconciliation does to a chat order nobody paid for a while
        with app.app_context(), session_scope(app) as session:
            service.cancel(session, order_id, reason="No payment was ever opened.", source="reconcile")

    # Sheena taps "Pay now" an hour later: the mugs are still there, so the order is hers again.
    lapse()
    assert db_session.get(Variant, red.id).stock == 3
    response = client.get(pay_path)
    assert response.status_code == 303 and "/sandbox/pay/" in response.headers["Location"]
    db_session.expire_all()
    order = db_session.get(Order, order_id)
    assert (order.status, order.stock_state) == (OrderStatus.pending, StockState.reserved)
    assert db_session.get(Variant, red.id).stock == 1

    # Another time the mugs sold out meanwhile: she is told, and nothing changes.
    lapse()
    with app.app_context(), session_scope(app) as session:
        session.get(Variant, red.id).stock = 1
    response = client.get(pay_path, follow_redirects=True)
    assert "sold out meanwhile" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Order, order_id).status == OrderStatus.cancelled
    assert db_session.get(Variant, red.id).stock == 1
