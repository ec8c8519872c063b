"""A shopper scans a QR code, lands in the shop's bot on a product, and pays without leaving Telegram."""

from __future__ import annotations


def _last(telegram_api, method):
    calls = telegram_api.called(method)
    assert calls, f"the bot never called {method}"
    return calls[-1]


def test_qr_deep_link_to_paid_order_once(bot, telegram_api, shop, updates):
    # The QR code on the mug's tag opens t.me/acme_shop_bot?start=red-mug; Telegram sends "/start red-mug".
    bot.deliver(updates.text("/start red-mug"))
    card = _last(telegram_api, "sendPhoto")
    assert card["chat_id"] == 111222333
    assert card["photo"] == "https://shop.example/media/red-mug.jpg"
    assert card["caption"].startswith("<b>Red mug</b>\n€15.00")
    buttons = [b for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0] == {"text": "Buy in chat", "callback_data": "buy:1"}
    assert buttons[1] == {"text": "Open in shop", "url": "https://shop.example/l/red-mug-c7?m=chat"}

    # Jane taps "Buy in chat": the button stops spinning and an invoice priced by the shop arrives.
    card_message = {"message_id": 101, "text": "Red mug"}
    bot.deliver(updates.callback("buy:1", card_message))
    assert _last(telegram_api, "answerCallbackQuery") == {"callback_query_id": telegram_api.called(
        "answerCallbackQuery")[-1]["callback_query_id"]}
    invoice = _last(telegram_api, "sendInvoice")
    reference = invoice["payload"]
    assert reference in shop.pending
    assert invoice["provider_token"] == "284685063:TEST:NjQ1OGQ5YWI0NmRk"
    assert invoice["currency"] == "EUR"
    assert invoice["prices"] == [{"label": "Red mug", "amount": 1500}, {"label": "Shipping", "amount": 500}]
    assert invoice["need_shipping_address"] is True
    assert shop.options[1][0].stock == 2  # reserved when the invoice was made

    # Telegram asks before charging; the shop re-checks price and stock, and the bot says yes.
    bot.deliver(updates.pre_checkout(reference, 2000))
    assert _last(telegram_api, "answerPreCheckoutQuery")["ok"] is True

    # The payment succeeds: one paid order, attributed to this channel, and one thank-you message.
    payment = updates.payment(reference, 2000, charge_id="5012345678_1234567_abcdef")
    bot.deliver(payment)
    assert list(shop.paid) == ["5012345678_1234567_abcdef"]
    order = shop.paid["5012345678_1234567_abcdef"]
    assert (order["reference"], order["amount_minor"], order["channel_id"]) == (reference, 2000, 7)
    assert order["customer"].details["shipping_address"]["city"] == "Faenza"
    thanks = _last(telegram_api, "sendMessage")
    assert "order 1042" in thanks["text"]

    # Telegram repeats the update (our answer was slow): nothing happens twice.
    sent_before = len(telegram_api.calls)
    assert bot.deliver(payment) == []
    # Even if the same payment arrived in a different update, the shop's idempotency holds and no second
    # thank-you is sent.
    payment["update_id"] += 1000
    bot.seen.clear()
    bot.deliver(payment)
    assert len(shop.paid) == 1
    assert len(telegram_api.calls) == sent_before


def test_pre_checkout_refused_when_stock_ran_out(bot, telegram_api, shop, updates):
    bot.deliver(updates.callback("buy:1", {"message_id": 101, "text": "Red mug"}))
    reference = _last(telegram_api, "sendInvoice")["payload"]
    # Jane waited too long: the reservation lapsed and someone else bought the last mugs on the web.
    shop.release(reference)
    shop.options[1][0].stock = 0

    bot.deliver(updates.pre_checkout(reference, 2000))
    answer = _last(telegram_api, "answerPreCheckoutQuery")
    assert answer["ok"] is False
    assert answer["error_message"] == "Sorry, Red mug just sold out."
    assert shop.paid == {}


def test_pre_checkout_refused_when_amount_differs(bot, telegram_api, shop, updates):
    bot.deliver(updates.callback("buy:1", {"message_id": 101, "text": "Red mug"}))
    reference = _last(telegram_api, "sendInvoice")["payload"]
    bot.deliver(updates.pre_checkout(reference, 1))
    assert _last(telegram_api, "answerPreCheckoutQuery")["ok"] is False


def test_browsing_categories_and_choosing_a_variant(bot, telegram_api, shop, updates):
    bot.deliver(updates.text("/start"))
    menu = _last(telegram_api, "sendMessage")
    assert menu["text"] == "Welcome to Acme! What are you looking for?"
    assert [row[0]["callback_data"] for row in menu["reply_markup"]["inline_keyboard"]] == ["cat:mugs", "cat:bowls"]

    menu_message = {"message_id": 101, "text": menu["text"]}
    bot.deliver(updates.callback("cat:bowls", menu_message))
    edited = _last(telegram_api, "editMessageText")
    assert edited["message_id"] == 101
    rows = edited["reply_markup"]["inline_keyboard"]
    assert rows[0][0] == {"text": "Blue bowl <large> & deep · €24.00", "callback_data": "p:2"}
    assert rows[-1][0]["callback_data"] == "cats"

    bot.deliver(updates.callback("p:2", menu_message))
    card = _last(telegram_api, "sendPhoto")
    # Product text is escaped for Telegram's HTML mode (the fake refuses a bare "<" or "&").
    assert card["caption"].startswith("<b>Blue bowl &lt;large&gt; &amp; deep</b>")

    # Three variants, one sold out: the bot asks which one, offering only what can be bought.
    bot.deliver(updates.callback("buy:2", {"message_id": 102, "text": ""}))
    question = _last(telegram_api, "sendMessage")
    assert question["text"] == "Which Blue bowl &lt;large&gt; &amp; deep?"
    assert [(row[0]["text"], row[0]["callback_data"]) for row in question["reply_markup"]["inline_keyboard"]] == [
        ("Small · €24.00", "opt:item-2-0"), ("Large · €32.00", "opt:item-2-1")]
    bot.deliver(updates.callback("opt:item-2-0", {"message_id": 103, "text": question["text"]}))
    invoice = _last(telegram_api, "sendInvoice")
    assert invoice["prices"][0] == {"label": "Blue bowl <large> & deep (Small)", "amount": 2400}
    assert invoice["title"] == "Blue bowl <large> & deep"


def test_unknown_deep_link_falls_back_to_the_menu(bot, telegram_api, updates):
    bot.deliver(updates.text("/start no-such-thing"))
    texts = [c["text"] for c in telegram_api.called("sendMessage")]
    assert texts[0] == "Sorry, that product is no longer available. Here is what we have:"
    assert len(texts) == 2


def test_without_a_payment_token_buying_happens_on_the_shop(bot, telegram_api, channel, updates):
    channel.settings["payment_provider_token"] = ""
    bot.deliver(updates.text("/start red-mug"))
    buttons = [b for row in _last(telegram_api, "sendPhoto")["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["text"] for b in buttons] == ["Open in shop"]
    assert telegram_api.called("sendInvoice") == []


def test_sold_out_product_cannot_be_bought(bot, telegram_api, shop, updates):
    shop.options[1][0].stock = 0
    bot.deliver(updates.callback("buy:1", {"message_id": 101, "text": "Red mug"}))
    answer = _last(telegram_api, "answerCallbackQuery")
    assert answer["text"] == "Sorry, Red mug is sold out." and answer["show_alert"] is True
    assert telegram_api.called("sendInvoice") == []


def test_a_sold_out_product_still_opens_from_its_qr_code(bot, telegram_api, shop, updates):
    shop.products[1] = shop.products[1].__class__(**{**shop.products[1].__dict__, "available": False})
    bot.deliver(updates.text("/start red-mug"))
    card = _last(telegram_api, "sendPhoto")
    assert "Sold out" in card["caption"]
    assert [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row] == ["Open in shop"]


def test_a_card_whose_photo_telegram_cannot_fetch_goes_out_as_text(bot, telegram_api, shop, updates):
    shop.products[1] = shop.products[1].__class__(**{**shop.products[1].__dict__,
                                                    "image_url": "https://unreachable.example/red-mug.jpg"})
    bot.deliver(updates.text("/start red-mug"))
    card = _last(telegram_api, "sendMessage")
    assert card["text"].startswith("<b>Red mug</b>")
    assert card["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "buy:1"
