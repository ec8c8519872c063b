"""Jane scans the QR code on a mug's tag, lands in the shop's Telegram bot, browses, and pays without leaving
the chat — through the real shop: catalogue, buy links, checkout service, stock, orders admin."""

from __future__ import annotations

import pytest
from sqlmodel import select
from telegram_testkit import PROVIDER_TOKEN, TOKEN, WEBHOOK_SECRET, Updates

from shopbridge.catalogue.models import Variant
from shopbridge.checkout.models import Order, OrderStatus, StockState


class TelegramChat:
    """Jane's side: every update goes to the shop's webhook exactly as Telegram posts it."""

    def __init__(self, client, channel, api, signed_webhook):
        self.client, self.channel, self.api, self.signer = client, channel, api, signed_webhook
        self.updates = Updates()

    def deliver(self, update: dict, secret: str = WEBHOOK_SECRET):
        body, headers = self.signer.telegram(update, secret)
        response = self.client.post(f"/webhooks/channels/{self.channel.key}", data=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def last(self, method: str) -> dict:
        calls = self.api.called(method)
        assert calls, f"the bot never called {method}"
        return calls[-1]

    def buttons(self, message: dict) -> list[dict]:
        return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


@pytest.fixture
def telegram(channel_factory, telegram_api, client, signed_webhook):
    saved = channel_factory("telegram", {
        "bot_token": TOKEN, "webhook_secret": WEBHOOK_SECRET, "payment_provider_token": PROVIDER_TOKEN,
        "bot_username": "acme_shop_bot", "api_base_url": telegram_api.base_url}, dry_run=False, name="Acme bot")
    return TelegramChat(client, saved.channel, telegram_api, signed_webhook)


def _order(db_session, token: str) -> Order:
    db_session.expire_all()
    return db_session.exec(select(Order).where(Order.token == token)).one()


def _stock(db_session, sku: str) -> int:
    db_session.expire_all()
    return db_session.exec(select(Variant).where(Variant.sku == sku)).one().stock


def test_qr_code_to_a_paid_order_in_the_shop(telegram, mugs, db_session, auth, client, app):
    from shopbridge.checkout.service import conversions_by_link
    from shopbridge.links import service as links

    # The poster's QR code is a buy link of the shop; its t.me deep link carries the link's short code.
    poster = links.create_link(db_session, product=mugs["red"], channel="poster", campaign="market")
    db_session.commit()
    telegram.deliver(telegram.updates.text(f"/start {poster.code}"))
    card = telegram.last("sendMessage")  # the demo mug has no photo: the card goes out as text
    assert card["chat_id"] == 111222333
    assert card["text"].startswith("<b>Red mug</b>\n€15.00")
    buy, open_in_shop = telegram.buttons(card)
    assert buy == {"text": "Buy in chat", "callback_data": f"buy:{mugs['red'].id}"}
    # "Open in shop" is the channel's own tracked link, reused for every card of this product in this chat.
    chat_link = links.get_by_code(db_session, open_in_shop["url"].rstrip("/").rsplit("/", 1)[-1])
    assert (chat_link.channel, chat_link.campaign, chat_link.placement) == ("telegram", "chat", "Acme bot")
    landing = client.get(open_in_shop["url"].split("localhost", 1)[-1]).headers["Location"]
    assert landing.startswith("/p/red-mug?") and "utm_source=telegram" in landing

    # Jane taps "Buy in chat": the shop prices the order and reserves the mug; the bot sends the invoice.
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": "Red mug"}))
    invoice = telegram.last("sendInvoice")
    assert invoice["prices"] == [{"label": "Red mug", "amount": 1500}, {"label": "Shipping", "amount": 500}]
    assert (invoice["currency"], invoice["provider_token"]) == ("EUR", PROVIDER_TOKEN)
    reference = invoice["payload"]
    order = _order(db_session, reference)
    assert (order.status, order.stock_state, order.total_minor) == (OrderStatus.pending, StockState.reserved, 2000)
    assert order.link_code == chat_link.code  # attributed to the Telegram channel
    assert _stock(db_session, "MUG-RED") == 2

    # Right before charging, Telegram asks; the shop re-checks and the bot says yes.
    telegram.deliver(telegram.updates.pre_checkout(reference, 2000))
    assert telegram.last("answerPreCheckoutQuery")["ok"] is True

    # The payment succeeds: a paid order, stock committed, the shopper's details from the payment sheet.
    payment = telegram.updates.payment(reference, 2000, charge_id="5012345678_1234567_abcdef")
    telegram.deliver(payment)
    order = _order(db_session, reference)
    assert (order.status, order.stock_state, order.paid_minor) == (OrderStatus.paid, StockState.committed, 2000)
    assert (order.provider, order.payment_reference) == ("telegram", "5012345678_1234567_abcdef")
    assert (order.email, order.customer_name) == ("jane@example.com", "Jane Doe")
    assert order.shipping_address["city"] == "Faenza"
    assert not order.needs_review
    assert _stock(db_session, "MUG-RED") == 2
    assert f"order {order.number}" in telegram.last("sendMessage")["text"]
    assert conversions_by_link(db_session)[chat_link.code] == (1, {"EUR": 2000})

    # Telegram repeats the update, then sends the same payment in a new update: nothing happens twice.
    calls = len(telegram.api.calls)
    assert telegram.deliver(payment)["new"] == 0
    payment["update_id"] += 1000
    telegram.deliver(payment)
    assert len(telegram.api.calls) == calls
    assert db_session.exec(select(Order)).all() == [order]
    assert _stock(db_session, "MUG-RED") == 2

    # The owner sees the order, paid, with where it came from.
    auth.login()
    listing = client.get("/admin/orders/").get_data(as_text=True)
    assert order.number in listing
    detail = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Paid in Acme bot" in detail and chat_link.code in detail


def test_browsing_categories_and_choosing_a_size(telegram, mugs, db_session):
    telegram.deliver(telegram.updates.text("/start"))
    menu = telegram.last("sendMessage")
    assert menu["text"] == "Welcome to Acme! What are you looking for?"
    assert [b["callback_data"] for b in telegram.buttons(menu)] == ["cat:bowls", "cat:mugs"]

    # The menu message is edited into the category's products (the fake knows the message the bot sent).
    sent_menu = next(m for (chat, mid), m in telegram.api.messages.items() if m.get("text") == menu["text"])
    menu_id = max(mid for (chat, mid), m in telegram.api.messages.items() if m is sent_menu)
    telegram.deliver(telegram.updates.callback("cat:bowls", {"message_id": menu_id, "text": menu["text"]}))
    listing = telegram.last("editMessageText")
    rows = listing["reply_markup"]["inline_keyboard"]
    assert rows[0][0] == {"text": "Serving bowl · €24.00", "callback_data": f"p:{mugs['bowl'].id}"}
    assert rows[-1][0]["callback_data"] == "cats"

    telegram.deliver(telegram.updates.callback(f"p:{mugs['bowl'].id}", {"message_id": menu_id, "text": ""}))
    assert telegram.last("sendMessage")["text"].startswith("<b>Serving bowl</b>")

    # Two sizes: the bot asks which, offering the shop's catalogue item ids; the invoice has the server price.
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['bowl'].id}", {"message_id": menu_id, "text": ""}))
    question = telegram.last("sendMessage")
    large = mugs["bowl"].variants[1]
    assert [(b["text"], b["callback_data"]) for b in telegram.buttons(question)] == [
        ("Small · €24.00", f"opt:sb-v{mugs['bowl'].variants[0].id}"), ("Large · €32.00", f"opt:sb-v{large.id}")]
    telegram.deliver(telegram.updates.callback(f"opt:sb-v{large.id}", {"message_id": menu_id, "text": ""}))
    invoice = telegram.last("sendInvoice")
    assert invoice["prices"][0] == {"label": "Serving bowl (Large)", "amount": 3200}
    assert _stock(db_session, "BOWL-L") == 0


def test_sold_out_and_unknown_products_get_clear_answers(telegram, mugs, db_session):
    telegram.deliver(telegram.updates.text("/start no-such-mug"))
    assert telegram.api.called("sendMessage")[0]["text"] == \
        "Sorry, that product is no longer available. Here is what we have:"

    red = db_session.get(Variant, mugs["red"].variants[0].id)
    red.stock = 0
    db_session.add(red)
    db_session.commit()
    telegram.deliver(telegram.updates.text("/start red-mug"))  # the card still opens, marked sold out
    card = telegram.last("sendMessage")
    assert "Sold out" in card["text"] and [b["text"] for b in telegram.buttons(card)] == ["Open in shop"]
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": ""}))
    answer = telegram.last("answerCallbackQuery")
    assert (answer["text"], answer["show_alert"]) == ("Sorry, Red mug is sold out.", True)

    # An option button for an item the shop no longer sells (a stale keyboard) is refused in words.
    telegram.deliver(telegram.updates.callback("opt:sb-v999999", {"message_id": 101, "text": ""}))
    assert telegram.last("answerCallbackQuery")["text"] == "Sorry, one item is no longer available."
    assert telegram.api.called("sendInvoice") == []
    assert db_session.exec(select(Order)).all() == []


def test_pre_checkout_refused_when_the_mug_sold_out_meanwhile(telegram, mugs, db_session, app):
    from shopbridge.checkout import service
    from shopbridge.db import session_scope

    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": ""}))
    reference = telegram.last("sendInvoice")["payload"]
    # Jane waited: the reservation lapsed, and the web shop sold the last mugs.
    with app.app_context(), session_scope(app) as session:
        order = session.exec(select(Order).where(Order.token == reference)).one()
        service.cancel(session, order.id, reason="Reservation lapsed.", source="test")
        session.get(Variant, mugs["red"].variants[0].id).stock = 0

    telegram.deliver(telegram.updates.pre_checkout(reference, 2000))
    answer = telegram.last("answerPreCheckoutQuery")
    assert (answer["ok"], answer["error_message"]) == (False, "Sorry, Red mug just sold out.")

    telegram.deliver(telegram.updates.pre_checkout(reference, 1))
    assert telegram.last("answerPreCheckoutQuery")["ok"] is False


def test_a_payment_after_the_reservation_lapsed_takes_the_stock_again(telegram, mugs, db_session, app):
    from shopbridge.checkout import service
    from shopbridge.db import session_scope

    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": ""}))
    reference = telegram.last("sendInvoice")["payload"]
    with app.app_context(), session_scope(app) as session:
        order = session.exec(select(Order).where(Order.token == reference)).one()
        service.cancel(session, order.id, reason="Reservation lapsed.", source="test")
    assert _stock(db_session, "MUG-RED") == 3

    telegram.deliver(telegram.updates.pre_checkout(reference, 2000))
    assert telegram.last("answerPreCheckoutQuery")["ok"] is True
    telegram.deliver(telegram.updates.payment(reference, 2000, charge_id="charge-late"))
    order = _order(db_session, reference)
    assert (order.status, order.stock_state, order.needs_review) == (OrderStatus.paid, StockState.committed, False)
    assert _stock(db_session, "MUG-RED") == 2


def test_a_payment_of_another_amount_is_recorded_and_flagged(telegram, mugs, db_session):
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": ""}))
    reference = telegram.last("sendInvoice")["payload"]
    telegram.deliver(telegram.updates.payment(reference, 1999, charge_id="charge-short"))
    order = _order(db_session, reference)
    assert order.status == OrderStatus.paid and order.needs_review
    assert "Amount mismatch" in order.review_reason


def test_the_shop_service_itself_is_idempotent_on_the_payment_reference(telegram, mugs, app):
    from shopbridge.channels.models import Channel
    from shopbridge.channels.shop import Shop
    from shopbridge.db import session_scope
    from shopbridge_telegram.shop import Customer, ShopServices

    customer = Customer(platform="telegram", id="42", name="Jane")
    with app.app_context(), session_scope(app) as session:
        channel = session.get(Channel, telegram.channel.id)
        shop = Shop(app, session, channel)
        # One core object serves all three chat plugins' protocols.
        import shopbridge_messenger
        import shopbridge_whatsapp.shop

        assert isinstance(shop, ShopServices) and isinstance(shop, shopbridge_whatsapp.shop.ShopServices)
        assert all(callable(getattr(shop, name)) for name in dir(shopbridge_messenger.ShopServices)
                   if not name.startswith("_"))
        pending = shop.create_pending_order([(f"sb-v{mugs['red'].variants[0].id}", 5)], channel_id=channel.id,
                                            customer=customer)
        assert pending.notes == ("Only 3 Red mug left: quantity set to 3.",)
        assert [(x.title, x.quantity, x.total.amount_minor) for x in pending.lines] == [("Red mug", 3, 4500)]
        assert pending.checkout_url.endswith(f"/checkout/pay/{pending.reference}")
        assert len(pending.reference) <= 64 and pending.reference.isascii()
        first = shop.create_paid_order(pending.reference, payment_reference="pay-1", amount_minor=5000,
                                       currency="EUR", channel_id=channel.id, customer=customer)
        again = shop.create_paid_order(pending.reference, payment_reference="pay-1", amount_minor=5000,
                                       currency="EUR", channel_id=channel.id, customer=customer)
        assert (first.created, again.created, first.number) == (True, False, again.number)
        with pytest.raises(ValueError, match="sold out"):
            shop.create_pending_order([(f"sb-v{mugs['red'].variants[0].id}", 1)], channel_id=channel.id,
                                      customer=customer)


def test_a_double_tap_on_buy_reserves_once(telegram, mugs, db_session):
    tap = {"message_id": 101, "text": "Red mug"}
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", tap))
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", tap))
    first, second = telegram.api.called("sendInvoice")
    assert first["payload"] == second["payload"]
    assert len(db_session.exec(select(Order)).all()) == 1
    assert _stock(db_session, "MUG-RED") == 2

    # Once that order is paid, buying again is a new order.
    telegram.deliver(telegram.updates.payment(first["payload"], 2000, charge_id="charge-first"))
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", tap))
    assert telegram.last("sendInvoice")["payload"] != first["payload"]
    assert _stock(db_session, "MUG-RED") == 1


def test_paying_in_telegram_closes_the_web_checkout_the_shopper_also_opened(telegram, mugs, db_session, client,
                                                                            fake_stripe):
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": ""}))
    reference = telegram.last("sendInvoice")["payload"]
    # Jane also opened the order's pay page (the shop's web checkout, Stripe here) but did not pay there.
    opened = client.get(f"/checkout/pay/{reference}")
    assert opened.headers["Location"].startswith(fake_stripe.url)
    (session_id,) = fake_stripe.sessions

    telegram.deliver(telegram.updates.payment(reference, 2000, charge_id="charge-chat"))
    order = _order(db_session, reference)
    assert (order.status, order.provider) == (OrderStatus.paid, "telegram")
    assert fake_stripe.sessions[session_id]["status"] == "expired"  # it can no longer take a second payment


def test_refunding_an_in_chat_payment_points_to_the_providers_dashboard(telegram, mugs, db_session, auth, client):
    telegram.deliver(telegram.updates.callback(f"buy:{mugs['red'].id}", {"message_id": 101, "text": ""}))
    reference = telegram.last("sendInvoice")["payload"]
    telegram.deliver(telegram.updates.payment(reference, 2000, charge_id="charge-refund"))
    order = _order(db_session, reference)

    auth.login()
    page = client.post(f"/admin/orders/{order.id}/refund", follow_redirects=True, data={
        "csrf_token": auth.csrf(f"/admin/orders/{order.id}"), "amount": "20.00", "reason": "", "nonce": "r1"})
    assert "refund it in that payment provider" in page.get_data(as_text=True)
    assert _order(db_session, reference).refunded_minor == 0
